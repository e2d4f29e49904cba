//! Update rules pinned against PyTorch 2.15 (numbers printed by the snippets in the comments).
//!
//! Common harness for the snippets:
//! ```python
//! import torch
//! def run(opt_fn, grads, p0=(1.0, -2.0)):
//!     p = torch.nn.Parameter(torch.tensor(p0)); o = opt_fn([p]); out = []
//!     for g in grads:
//!         p.grad = torch.tensor(g); o.step(); out.append([round(v, 8) for v in p.tolist()])
//!     return out
//! G = [(1.0, 0.5), (0.3, -1.0), (-0.7, 2.0)]
//! ```

// The golden numbers are PyTorch's printouts, kept verbatim.
#![allow(clippy::excessive_precision)]

use super::*;
use crate::nn::{Activation, Grads, Linear, Mlp};
use ndarray::{Array1, Array2};

/// A model whose only parameters are `w = [p0, p1]` (a 2→1 layer's weight) and a zero bias.
fn two_params(p0: f32, p1: f32) -> Mlp {
    Mlp {
        layers: vec![Linear {
            weight: Array2::from_shape_vec((1, 2), vec![p0, p1]).unwrap(),
            bias: Array1::zeros(1),
        }],
        activation: Activation::Relu,
    }
}

fn run(mut opt: Optimizer, grads: &[(f32, f32)], lr: f64) -> Vec<[f32; 2]> {
    let mut model = two_params(1.0, -2.0);
    let mut g = Grads::zeros_like(&model);
    let mut out = Vec::new();
    for &(a, b) in grads {
        g.weight[0][[0, 0]] = a;
        g.weight[0][[0, 1]] = b;
        opt.step(&mut model, &g, StepParams { lr, momentum: None });
        out.push([
            model.layers[0].weight[[0, 0]],
            model.layers[0].weight[[0, 1]],
        ]);
    }
    out
}

fn assert_close(got: &[[f32; 2]], want: &[[f32; 2]]) {
    for (g, w) in got.iter().zip(want) {
        for i in 0..2 {
            assert!(
                (g[i] - w[i]).abs() <= 2e-7 * w[i].abs().max(1.0),
                "got {got:?}\nwant {want:?}"
            );
        }
    }
}

const G: [(f32, f32); 3] = [(1.0, 0.5), (0.3, -1.0), (-0.7, 2.0)];

fn sgd(momentum: f64, dampening: f64, nesterov: bool, weight_decay: f64) -> Optimizer {
    let m = two_params(0.0, 0.0);
    Optimizer::Sgd(Sgd::new(
        &m,
        SgdConfig {
            momentum,
            dampening,
            nesterov,
            weight_decay,
        },
    ))
}

fn adam(beta1: f64, beta2: f64, eps: f64, wd: f64, decoupled: bool, amsgrad: bool) -> Optimizer {
    let m = two_params(0.0, 0.0);
    Optimizer::Adam(Adam::new(
        &m,
        AdamConfig {
            beta1,
            beta2,
            eps,
            weight_decay: wd,
            decoupled,
            amsgrad,
        },
    ))
}

#[test]
fn sgd_momentum_constant_gradient() {
    // SGD(lr=0.1, momentum=0.9), gradient 1 every step: θ = 1 → 0.9, 0.71, 0.439
    // run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), [(1.0, 1.0)]*3)
    // -> [[0.9, -2.1], [0.71, -2.29], [0.439, -2.561]]
    let got = run(sgd(0.9, 0.0, false, 0.0), &[(1.0, 1.0); 3], 0.1);
    assert_close(&got, &[[0.9, -2.1], [0.71, -2.29], [0.439, -2.561]]);
}

#[test]
fn sgd_nesterov_constant_gradient() {
    // run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), [(1.0,1.0)]*3)
    // -> [[0.81, -2.19000006], [0.53899997, -2.46099997], [0.19509998, -2.80489993]]
    let got = run(sgd(0.9, 0.0, true, 0.0), &[(1.0, 1.0); 3], 0.1);
    assert_close(
        &got,
        &[
            [0.81, -2.19000006],
            [0.53899997, -2.46099997],
            [0.19509998, -2.80489993],
        ],
    );
}

#[test]
fn sgd_dampening_and_weight_decay() {
    // run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01), G)
    // -> [[0.89899999, -2.0480001], [0.79265052, -2.04017615], [0.73153967, -2.13211441]]
    let got = run(sgd(0.9, 0.5, false, 0.01), &G, 0.1);
    assert_close(
        &got,
        &[
            [0.89899999, -2.0480001],
            [0.79265052, -2.04017615],
            [0.73153967, -2.13211441],
        ],
    );
}

#[test]
fn plain_sgd() {
    // no momentum: θ −= lr·g
    let got = run(sgd(0.0, 0.0, false, 0.0), &G, 0.1);
    assert_close(&got, &[[0.9, -2.05], [0.87, -1.95], [0.94, -2.15]]);
}

#[test]
fn adam_defaults() {
    // run(lambda ps: torch.optim.Adam(ps, lr=0.01), G)
    // -> [[0.99000001, -2.00999999], [0.98144305, -2.00633907], [0.97951055, -2.01053572]]
    let got = run(adam(0.9, 0.999, 1e-8, 0.0, false, false), &G, 0.01);
    assert_close(
        &got,
        &[
            [0.99000001, -2.00999999],
            [0.98144305, -2.00633907],
            [0.97951055, -2.01053572],
        ],
    );
}

#[test]
fn adam_l2_amsgrad_custom_betas() {
    // run(lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1, amsgrad=True,
    //                                 betas=(0.8, 0.99), eps=1e-6), G)
    // -> [[0.99000001, -2.00999999], [0.98139566, -2.00391412], [0.97911704, -2.00725317]]
    let got = run(adam(0.8, 0.99, 1e-6, 0.1, false, true), &G, 0.01);
    assert_close(
        &got,
        &[
            [0.99000001, -2.00999999],
            [0.98139566, -2.00391412],
            [0.97911704, -2.00725317],
        ],
    );
}

#[test]
fn adamw_default_decay() {
    // run(lambda ps: torch.optim.AdamW(ps, lr=0.01), G)   # weight_decay defaults to 1e-2
    // -> [[0.98989999, -2.00979996], [0.98124403, -2.00593805], [0.97921336, -2.00993419]]
    let got = run(adam(0.9, 0.999, 1e-8, 1e-2, true, false), &G, 0.01);
    assert_close(
        &got,
        &[
            [0.98989999, -2.00979996],
            [0.98124403, -2.00593805],
            [0.97921336, -2.00993419],
        ],
    );
}

#[test]
fn lr_is_taken_per_step() {
    // The same optimizer with a different LR on each step equals the rule applied step by step.
    let mut model = two_params(1.0, 1.0);
    let mut g = Grads::zeros_like(&model);
    g.weight[0].fill(1.0);
    let mut opt = sgd(0.0, 0.0, false, 0.0);
    for lr in [0.1, 0.2, 0.3] {
        opt.step(&mut model, &g, StepParams { lr, momentum: None });
    }
    assert!((model.layers[0].weight[[0, 0]] - 0.4).abs() < 1e-6);
    assert_eq!(opt.steps_taken(), 3);
}

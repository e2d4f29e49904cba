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

// ---- 200-step trajectories against PyTorch 2.15.0 (CPU, its default single-tensor path) ----
//
// Four parameters (a 2×2 weight; the zero bias gets zero gradients and stays zero) under a
// fixed gradient sequence of dyadic values, so both sides start from the same exact f32
// gradients; the snippet prints the parameters after selected steps, each the float32 value
// in full (`tolist()` gives its exact double). Output pasted below as the constants:
// ```python
// import torch
// torch.set_num_threads(1)
// P0 = [[0.5, -1.5], [2.0, -0.25]]
// def grad(i):  # step i = 1..=200; dyadic values, exact in f32
//     g = [float((i * 7 + j * 13) % 17 - 6) / 8 for j in range(4)]
//     g[3] /= 1024  # a small gradient, where eps matters
//     return [g[0:2], g[2:4]]
// def traj(opt_fn, steps=200, keep=(1, 2, 10, 50, 100, 150, 200)):
//     p = torch.nn.Parameter(torch.tensor(P0)); o = opt_fn([p]); out = {}
//     for i in range(1, steps + 1):
//         p.grad = torch.tensor(grad(i)); o.step()
//         if i in keep: out[i] = [v for row in p.tolist() for v in row]
//     return out
// cases = {
//  'adam': lambda ps: torch.optim.Adam(ps, lr=0.01),
//  'adam_l2': lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1),
//  'adamw': lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
//  'amsgrad': lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True, betas=(0.8, 0.99)),
//  'sgd_nesterov': lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-3),
//  'sgd_dampening': lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, dampening=0.1),
// }
// print('torch', torch.__version__)
// for name, fn in cases.items():
//     print(name)
//     for i, v in traj(fn).items(): print(f'    ({i}, {v}),')
// ```
// Tolerance: |lrtool − torch| ≤ 1e-6 · max(1, |torch|), i.e. 1e-6 absolute for |θ| ≤ 1.
// Before the constants were computed as torch does (`1 − β` in f64 then cast, `β ** step` by
// `pow`, `1 − dampening` in f64), Adam, Adam+L2 and AdamW failed this at step 50 (errors
// 1.25e-6, 1.52e-6, 1.25e-6, growing with the steps); the remaining error is ≤ 2.7e-7.

const ADAM: &[(usize, [f32; 4])] = &[
    (
        1,
        [
            0.49000000953674316,
            -1.4900000095367432,
            1.9900000095367432,
            -0.2599998712539673,
        ],
    ),
    (
        2,
        [
            0.4817853569984436,
            -1.491935133934021,
            1.9832993745803833,
            -0.2614450454711914,
        ],
    ),
    (
        10,
        [
            0.44810131192207336,
            -1.4973877668380737,
            1.9490875005722046,
            -0.29802459478378296,
        ],
    ),
    (
        50,
        [
            0.28854823112487793,
            -1.647169828414917,
            1.8027279376983643,
            -0.44654980301856995,
        ],
    ),
    (
        100,
        [
            0.10003994405269623,
            -1.8367198705673218,
            1.6147093772888184,
            -0.6346122622489929,
        ],
    ),
    (
        150,
        [
            -0.08865761011838913,
            -2.025301456451416,
            1.427188754081726,
            -0.8243100643157959,
        ],
    ),
    (
        200,
        [
            -0.2762148976325989,
            -2.2151732444763184,
            1.2386072874069214,
            -1.0142474174499512,
        ],
    ),
];
const ADAM_L2: &[(usize, [f32; 4])] = &[
    (
        1,
        [
            0.49000000953674316,
            -1.4900000095367432,
            1.9900000095367432,
            -0.24000000953674316,
        ],
    ),
    (
        2,
        [
            0.4815579354763031,
            -1.48856782913208,
            1.9823493957519531,
            -0.22999775409698486,
        ],
    ),
    (
        10,
        [
            0.44316166639328003,
            -1.47491455078125,
            1.9343256950378418,
            -0.15178045630455017,
        ],
    ),
    (
        50,
        [
            0.26508939266204834,
            -1.5354130268096924,
            1.7091245651245117,
            0.016557881608605385,
        ],
    ),
    (
        100,
        [
            0.06512013077735901,
            -1.6106414794921875,
            1.4351017475128174,
            -0.0019230731995776296,
        ],
    ),
    (
        150,
        [
            -0.12168131023645401,
            -1.6794342994689941,
            1.1762957572937012,
            -0.002395529765635729,
        ],
    ),
    (
        200,
        [
            -0.29470738768577576,
            -1.7443822622299194,
            0.9311096668243408,
            -0.0025221146643161774,
        ],
    ),
];
const ADAMW: &[(usize, [f32; 4])] = &[
    (
        1,
        [
            0.4895000159740448,
            -1.4884999990463257,
            1.9880000352859497,
            -0.2597498595714569,
        ],
    ),
    (
        2,
        [
            0.48079586029052734,
            -1.4889466762542725,
            1.979311466217041,
            -0.2609352767467499,
        ],
    ),
    (
        10,
        [
            0.44339942932128906,
            -1.4825440645217896,
            1.9294602870941162,
            -0.29529279470443726,
        ],
    ),
    (
        50,
        [
            0.2695564329624176,
            -1.5713101625442505,
            1.7102289199829102,
            -0.4293656647205353,
        ],
    ),
    (
        100,
        [
            0.07233711332082748,
            -1.6795910596847534,
            1.4433528184890747,
            -0.591875433921814,
        ],
    ),
    (
        150,
        [
            -0.11541546881198883,
            -1.781599521636963,
            1.1899853944778442,
            -0.7480690479278564,
        ],
    ),
    (
        200,
        [
            -0.2928457260131836,
            -1.8798730373382568,
            0.9479532241821289,
            -0.8969312906265259,
        ],
    ),
];
const AMSGRAD: &[(usize, [f32; 4])] = &[
    (
        1,
        [
            0.49000000953674316,
            -1.4900000095367432,
            1.9900000095367432,
            -0.2599998712539673,
        ],
    ),
    (
        2,
        [
            0.4814451336860657,
            -1.4925123453140259,
            1.9837303161621094,
            -0.26087233424186707,
        ],
    ),
    (
        10,
        [
            0.4489743113517761,
            -1.5010135173797607,
            1.9535714387893677,
            -0.29544973373413086,
        ],
    ),
    (
        50,
        [
            0.2891633212566376,
            -1.6564196348190308,
            1.8091404438018799,
            -0.4417553246021271,
        ],
    ),
    (
        100,
        [
            0.10166897624731064,
            -1.844490885734558,
            1.6206790208816528,
            -0.6286596059799194,
        ],
    ),
    (
        150,
        [
            -0.08631677180528641,
            -2.030705213546753,
            1.434165596961975,
            -0.8187054395675659,
        ],
    ),
    (
        200,
        [
            -0.27170389890670776,
            -2.2197165489196777,
            1.2459481954574585,
            -1.009227991104126,
        ],
    ),
];
const SGD_NESTEROV: &[(usize, [f32; 4])] = &[
    (
        1,
        [
            0.4976154863834381,
            -1.4928464889526367,
            1.9762120246887207,
            -0.2500091791152954,
        ],
    ),
    (
        2,
        [
            0.47758948802948,
            -1.4992685317993164,
            1.9660332202911377,
            -0.2499990612268448,
        ],
    ),
    (
        10,
        [
            0.3740864098072052,
            -1.5400091409683228,
            1.8455137014389038,
            -0.25001659989356995,
        ],
    ),
    (
        50,
        [
            -0.6074525713920593,
            -2.443868398666382,
            0.922044038772583,
            -0.24999380111694336,
        ],
    ),
    (
        100,
        [
            -1.8445771932601929,
            -3.676781415939331,
            -0.34093138575553894,
            -0.24995413422584534,
        ],
    ),
    (
        150,
        [
            -3.0870449542999268,
            -4.889547824859619,
            -1.5790283679962158,
            -0.24993135035037994,
        ],
    ),
    (
        200,
        [
            -4.304294586181641,
            -6.114175796508789,
            -2.8243112564086914,
            -0.24991799890995026,
        ],
    ),
];
const SGD_DAMPENING: &[(usize, [f32; 4])] = &[
    (
        1,
        [
            0.4987500011920929,
            -1.496250033378601,
            1.9874999523162842,
            -0.2500073313713074,
        ],
    ),
    (
        2,
        [
            0.4886249899864197,
            -1.4973750114440918,
            1.9762499332427979,
            -0.25000953674316406,
        ],
    ),
    (
        10,
        [
            0.39724141359329224,
            -1.5220242738723755,
            1.8682893514633179,
            -0.2501175105571747,
        ],
    ),
    (
        50,
        [
            -0.4733118414878845,
            -2.3289308547973633,
            1.0399972200393677,
            -0.25092393159866333,
        ],
    ),
    (
        100,
        [
            -1.5929211378097534,
            -3.4485559463500977,
            -0.08807142078876495,
            -0.25201961398124695,
        ],
    ),
    (
        150,
        [
            -2.715324878692627,
            -4.566720962524414,
            -1.209935188293457,
            -0.25312456488609314,
        ],
    ),
    (
        200,
        [
            -3.8311948776245117,
            -5.6941351890563965,
            -2.3364555835723877,
            -0.25423023104667664,
        ],
    ),
];

/// The gradient of step `i` (1-based) for the 2×2 weight, as `grad(i)` in the snippet.
fn traj_grad(i: usize) -> [f32; 4] {
    let mut g = [0f32; 4];
    for (j, gj) in g.iter_mut().enumerate() {
        *gj = ((i * 7 + j * 13) % 17) as f32 - 6.0;
        *gj /= 8.0;
    }
    g[3] /= 1024.0;
    g
}

/// Runs the 200 steps with `opt`'s configuration (its state rebuilt for the 2×2 model) and
/// checks the rows of `want`.
fn trajectory(opt: Optimizer, lr: f64, want: &[(usize, [f32; 4])]) {
    let mut model = Mlp {
        layers: vec![Linear {
            weight: Array2::from_shape_vec((2, 2), vec![0.5, -1.5, 2.0, -0.25]).unwrap(),
            bias: Array1::zeros(2),
        }],
        activation: Activation::Relu,
    };
    let mut opt = match opt {
        Optimizer::Sgd(o) => Optimizer::Sgd(Sgd::new(&model, o.config)),
        Optimizer::Adam(o) => Optimizer::Adam(Adam::new(&model, o.config)),
    };
    let mut g = Grads::zeros_like(&model);
    let mut worst = 0f32;
    let mut rows = want.iter();
    let mut next = rows.next();
    for i in 1..=200 {
        let gi = traj_grad(i);
        g.weight[0].iter_mut().zip(gi).for_each(|(a, b)| *a = b);
        opt.step(&mut model, &g, StepParams { lr, momentum: None });
        if let Some((step, w)) = next.filter(|(s, _)| *s == i) {
            let got: Vec<f32> = model.layers[0].weight.iter().copied().collect();
            for (k, (&a, &b)) in got.iter().zip(w).enumerate() {
                let err = (a - b).abs() / b.abs().max(1.0);
                worst = worst.max(err);
                assert!(
                    err <= 1e-6,
                    "step {step} param {k}: got {a:e}, torch {b:e} (error {err:e})\n\
                     got {got:?}\nwant {w:?}"
                );
            }
            next = rows.next();
        }
    }
    assert!(next.is_none(), "rows left unchecked");
    assert_eq!(model.layers[0].bias, Array1::<f32>::zeros(2));
    eprintln!("worst error against torch: {worst:e}");
}

#[test]
fn trajectory_adam() {
    trajectory(adam(0.9, 0.999, 1e-8, 0.0, false, false), 0.01, ADAM);
}

#[test]
fn trajectory_adam_l2() {
    trajectory(adam(0.9, 0.999, 1e-8, 0.1, false, false), 0.01, ADAM_L2);
}

#[test]
fn trajectory_adamw() {
    trajectory(adam(0.9, 0.999, 1e-8, 0.1, true, false), 0.01, ADAMW);
}

#[test]
fn trajectory_amsgrad() {
    trajectory(adam(0.8, 0.99, 1e-8, 0.0, false, true), 0.01, AMSGRAD);
}

#[test]
fn trajectory_sgd_nesterov() {
    trajectory(sgd(0.9, 0.0, true, 1e-3), 0.01, SGD_NESTEROV);
}

#[test]
fn trajectory_sgd_dampening() {
    trajectory(sgd(0.9, 0.1, false, 0.0), 0.01, SGD_DAMPENING);
}

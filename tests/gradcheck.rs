//! Finite-difference gradient checks of the hand-written backward pass, through the public API,
//! for every activation, both losses and several depths.

use lrtool::nn::{Activation, Grads, InitScheme, Mlp, Targets, Workspace};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ACTIVATIONS: [Activation; 5] = [
    Activation::Relu,
    Activation::LeakyRelu,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Gelu,
];

/// Mean loss over the batch, evaluated in f32 by the model itself.
fn loss(model: &Mlp, x: &Array2<f32>, t: Targets, ws: &mut Workspace) -> f64 {
    model.evaluate(x.view(), t, ws).mean_loss()
}

/// Compare every analytic gradient entry with a central difference of the loss.
fn check(sizes: &[usize], act: Activation, regression: bool, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut model = Mlp::new(sizes, act, InitScheme::Xavier, &mut rng);
    // non-zero biases, so their gradients and the kinks of relu are exercised
    for l in &mut model.layers {
        l.bias.mapv_inplace(|_| rng.random_range(-0.5..0.5));
    }
    let rows = 5;
    let x = Array2::from_shape_fn((rows, sizes[0]), |_| rng.random_range(-1.5f32..1.5));
    let classes: Vec<u32> = (0..rows)
        .map(|_| rng.random_range(0..sizes[sizes.len() - 1] as u32))
        .collect();
    let values: Vec<f32> = (0..rows).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let t = if regression {
        Targets::Values(&values)
    } else {
        Targets::Classes(&classes)
    };
    let mut ws = Workspace::new(&model, rows);
    let mut grads = Grads::zeros_like(&model);
    model.loss_and_grad(x.view(), t, &mut ws, &mut grads);

    let mut worst = 0.0f64;
    for k in 0..model.layers.len() {
        let (out, inp) = model.layers[k].weight.dim();
        let mut entries: Vec<(Option<(usize, usize)>, usize)> = Vec::new();
        for i in 0..out {
            for j in 0..inp {
                entries.push((Some((i, j)), 0));
            }
            entries.push((None, i));
        }
        for (pos, bi) in entries {
            let analytic = match pos {
                Some((i, j)) => grads.weight[k][[i, j]] as f64,
                None => grads.bias[k][bi] as f64,
            };
            let probe = |delta: f32, model: &mut Mlp| match pos {
                Some((i, j)) => model.layers[k].weight[[i, j]] += delta,
                None => model.layers[k].bias[bi] += delta,
            };
            // Central differences at two step sizes: a relu kink crossed by one step is
            // rarely crossed by the other, and f32 rounding stays far below the tolerance.
            let mut err = f64::INFINITY;
            let mut numeric = f64::NAN;
            for h in [1e-3f32, 2.5e-4] {
                probe(h, &mut model);
                let up = loss(&model, &x, t, &mut ws);
                probe(-2.0 * h, &mut model);
                let down = loss(&model, &x, t, &mut ws);
                probe(h, &mut model);
                let n = (up - down) / (2.0 * h as f64);
                let e = (n - analytic).abs() / (1e-2 + n.abs().max(analytic.abs()));
                if e < err {
                    err = e;
                    numeric = n;
                }
            }
            worst = worst.max(err);
            assert!(
                err < 2e-2,
                "{act:?} sizes {sizes:?} regression={regression} layer {k} {pos:?}/{bi}: numeric {numeric} analytic {analytic}"
            );
        }
    }
    assert!(worst.is_finite());
}

#[test]
fn gradients_match_finite_differences_for_every_activation_and_loss() {
    for (n, act) in ACTIVATIONS.into_iter().enumerate() {
        for regression in [false, true] {
            let out = if regression { 1 } else { 3 };
            for (d, hidden) in [vec![], vec![6], vec![5, 4], vec![4, 5, 3]]
                .iter()
                .enumerate()
            {
                let mut sizes = vec![4];
                sizes.extend(hidden);
                sizes.push(out);
                check(&sizes, act, regression, (n * 10 + d) as u64);
            }
        }
    }
}

#[test]
fn a_wrong_gradient_would_be_caught() {
    // The check above must be able to fail: a model whose gradient is scaled is rejected.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let model = Mlp::new(&[3, 4, 2], Activation::Tanh, InitScheme::Torch, &mut rng);
    let x = Array2::from_shape_fn((4, 3), |_| rng.random_range(-1.0f32..1.0));
    let labels = [0u32, 1, 1, 0];
    let mut ws = Workspace::new(&model, 4);
    let mut grads = Grads::zeros_like(&model);
    model.loss_and_grad(x.view(), Targets::Classes(&labels), &mut ws, &mut grads);
    let mut shifted = model.clone();
    let h = 1e-2f32;
    shifted.layers[0].weight[[0, 0]] += h;
    let up = loss(&shifted, &x, Targets::Classes(&labels), &mut ws);
    shifted.layers[0].weight[[0, 0]] -= 2.0 * h;
    let down = loss(&shifted, &x, Targets::Classes(&labels), &mut ws);
    let numeric = (up - down) / (2.0 * h as f64);
    let wrong = 1.5 * grads.weight[0][[0, 0]] as f64;
    let err = (numeric - wrong).abs() / (1e-2 + numeric.abs().max(wrong.abs()));
    assert!(
        numeric.abs() > 1e-3 && err > 2e-2,
        "numeric {numeric} wrong {wrong}"
    );
}

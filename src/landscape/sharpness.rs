//! Sharpness of a minimum: the largest eigenvalues of the Hessian of the training loss (Lanczos
//! on exact Hessian-vector products) and Keskar et al.'s ε-sharpness (2017, eq. 4): the largest
//! relative rise of the loss in the box `|y_i| ≤ ε·(|θ_i| + 1)` around the weights,
//! `100 · (max_y L(θ + y) − L(θ)) / (1 + L(θ))`, found by projected (sign-)gradient ascent.
//!
//! One function, [`measure`], so that any command can report it for a model and its data.

use serde::{Deserialize, Serialize};

use super::eigen::{TopEigen, lanczos_top};
use super::hessian::{Data64, Net64};
use crate::nn::Mlp;

/// Keskar et al.'s ε (they report 1e-3 and 5e-4).
pub const DEFAULT_EPSILON: f64 = 1e-3;
/// Steps of projected gradient ascent for ε-sharpness (Keskar et al. used 10 of L-BFGS-B).
pub const DEFAULT_ASCENT_STEPS: usize = 20;
/// Eigenvalues reported.
pub const DEFAULT_TOP_K: usize = 1;
/// Most Lanczos steps (Hessian-vector products).
pub const DEFAULT_LANCZOS_STEPS: usize = 100;
/// Lanczos stops when each residual is below this fraction of its eigenvalue.
pub const DEFAULT_TOLERANCE: f64 = 1e-6;

/// How to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub top_k: usize,
    pub lanczos_steps: usize,
    pub tolerance: f64,
    pub epsilon: f64,
    pub ascent_steps: usize,
    /// Seeds the Lanczos start vector.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            top_k: DEFAULT_TOP_K,
            lanczos_steps: DEFAULT_LANCZOS_STEPS,
            tolerance: DEFAULT_TOLERANCE,
            epsilon: DEFAULT_EPSILON,
            ascent_steps: DEFAULT_ASCENT_STEPS,
            seed: 0,
        }
    }
}

/// What [`measure`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sharpness {
    /// Mean training loss at the weights (f64 arithmetic).
    pub loss: f64,
    /// The largest Hessian eigenvalues, largest first.
    pub eigenvalues: Vec<f64>,
    /// Their Lanczos residual norms (bounds on each value's error).
    pub residuals: Vec<f64>,
    /// Hessian-vector products used.
    pub lanczos_steps: usize,
    pub epsilon: f64,
    /// The highest loss found in the ε-box.
    pub epsilon_max_loss: f64,
    /// Keskar's ε-sharpness, in percent.
    pub epsilon_sharpness: f64,
    pub ascent_steps: usize,
    /// Rows of the data the loss was taken over.
    pub rows: usize,
}

/// Top Hessian eigenvalues and ε-sharpness of `model`'s mean loss over `data`.
pub fn measure(model: &Mlp, data: &Data64, settings: &Settings) -> Sharpness {
    let net = Net64::from_mlp(model);
    let top = top_eigenvalues(&net, data, settings);
    let (loss, max_loss) = epsilon_box_max(&net, data, settings.epsilon, settings.ascent_steps);
    Sharpness {
        loss,
        eigenvalues: top.values,
        residuals: top.residuals,
        lanczos_steps: top.steps,
        epsilon: settings.epsilon,
        epsilon_max_loss: max_loss,
        epsilon_sharpness: 100.0 * (max_loss - loss) / (1.0 + loss),
        ascent_steps: settings.ascent_steps,
        rows: data.rows(),
    }
}

/// The largest eigenvalues of the Hessian of `net`'s loss over `data`.
pub fn top_eigenvalues(net: &Net64, data: &Data64, settings: &Settings) -> TopEigen {
    lanczos_top(
        net.n_params(),
        settings.top_k,
        settings.lanczos_steps,
        settings.tolerance,
        settings.seed,
        |v| net.hessian_vector(data, v),
    )
}

/// The loss at the weights and the highest loss found in the box `|y_i| ≤ ε(|θ_i| + 1)`:
/// `steps` steps of `y ← clip(y + 2.5/steps · box ⊙ sign(∇L(θ + y)))` from `y = 0` (the L∞
/// steepest ascent of projected gradient methods, Madry et al.'s step size), keeping the best
/// point seen.
pub fn epsilon_box_max(net: &Net64, data: &Data64, epsilon: f64, steps: usize) -> (f64, f64) {
    let theta = net.params();
    let bounds: Vec<f64> = theta.iter().map(|t| epsilon * (t.abs() + 1.0)).collect();
    let mut y = vec![0.0; theta.len()];
    let rate = 2.5 / steps.max(1) as f64;
    let mut base = f64::NAN;
    let mut best = f64::NEG_INFINITY;
    for step in 0..=steps {
        let point: Vec<f64> = theta.iter().zip(&y).map(|(t, d)| t + d).collect();
        let moved = net.with_params(&point);
        if step == steps {
            best = best.max(moved.loss(data));
            break;
        }
        let (loss, grad) = moved.loss_and_grad(data);
        if step == 0 {
            base = loss;
        }
        best = best.max(loss);
        for ((yi, g), b) in y.iter_mut().zip(&grad).zip(&bounds) {
            let sign = if *g > 0.0 {
                1.0
            } else if *g < 0.0 {
                -1.0
            } else {
                0.0
            };
            *yi = (*yi + rate * b * sign).clamp(-b, *b);
        }
    }
    if steps == 0 {
        base = best;
    }
    (base, best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscape::eigen::jacobi;
    use crate::landscape::hessian::Labels;
    use crate::nn::{Activation, InitScheme, Targets};
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn tiny(act: Activation, seed: u64) -> (Mlp, Data64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let model = Mlp::new(&[3, 4, 2], act, InitScheme::Torch, &mut rng);
        let x = Array2::from_shape_fn((25, 3), |_| rng.random_range(-2.0f32..2.0));
        let labels: Vec<u32> = (0..25).map(|_| rng.random_range(0..2u32)).collect();
        (model, Data64::new(x.view(), Targets::Classes(&labels)))
    }

    /// The reference: the whole Hessian by central differences of the hand-written gradient,
    /// column by column, symmetrised, then Jacobi. Independent of the R-operator and of Lanczos.
    fn reference_eigenvalues(net: &Net64, data: &Data64) -> Vec<f64> {
        let theta = net.params();
        let n = theta.len();
        let h = 1e-5;
        let mut hess = vec![0.0; n * n];
        for j in 0..n {
            let mut p = theta.clone();
            p[j] += h;
            let up = net.with_params(&p).loss_and_grad(data).1;
            p[j] -= 2.0 * h;
            let down = net.with_params(&p).loss_and_grad(data).1;
            for i in 0..n {
                hess[i * n + j] = (up[i] - down[i]) / (2.0 * h);
            }
        }
        jacobi(&hess, n).0
    }

    #[test]
    fn top_eigenvalues_match_a_finite_difference_hessian() {
        for (act, seed) in [
            (Activation::Tanh, 1),
            (Activation::Sigmoid, 2),
            (Activation::Gelu, 3),
            (Activation::Relu, 4),
        ] {
            let (model, data) = tiny(act, seed);
            let net = Net64::from_mlp(&model);
            let want = reference_eigenvalues(&net, &data);
            let settings = Settings {
                top_k: 3,
                ..Settings::default()
            };
            let got = top_eigenvalues(&net, &data, &settings);
            for (g, w) in got.values.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-3 * w.abs(),
                    "{act:?}: Lanczos {g} vs finite-difference Hessian {w}"
                );
            }
        }
    }

    #[test]
    fn epsilon_sharpness_is_zero_for_epsilon_zero_and_grows_with_epsilon() {
        let (model, data) = tiny(Activation::Tanh, 5);
        let net = Net64::from_mlp(&model);
        let (base, best) = epsilon_box_max(&net, &data, 0.0, 10);
        assert_eq!(base, best);
        assert_eq!(base, net.loss(&data));
        let mut last = 0.0;
        for eps in [1e-4, 1e-3, 1e-2] {
            let (base, best) = epsilon_box_max(&net, &data, eps, 10);
            let rise = best - base;
            assert!(rise > last, "eps {eps}: {rise} after {last}");
            last = rise;
        }
    }

    #[test]
    fn ascent_beats_random_points_of_the_box() {
        let (model, data) = tiny(Activation::Tanh, 6);
        let net = Net64::from_mlp(&model);
        let eps = 5e-3;
        let (_, best) = epsilon_box_max(&net, &data, eps, 20);
        let theta = net.params();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let p: Vec<f64> = theta
                .iter()
                .map(|t| t + eps * (t.abs() + 1.0) * rng.random_range(-1.0..1.0))
                .collect();
            assert!(net.with_params(&p).loss(&data) <= best);
        }
    }

    #[test]
    fn measure_reports_the_percentage_of_keskar() {
        let (model, data) = tiny(Activation::Tanh, 7);
        let s = measure(&model, &data, &Settings::default());
        let want = 100.0 * (s.epsilon_max_loss - s.loss) / (1.0 + s.loss);
        assert_eq!(s.epsilon_sharpness, want);
        assert!(s.epsilon_sharpness > 0.0);
        assert_eq!(s.rows, 25);
        assert!(matches!(data.labels, Labels::Classes(_)));
    }
}

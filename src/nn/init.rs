//! Weight initialisation from a seeded generator: PyTorch's `nn.Linear` default, He and Xavier.

use ndarray::{Array1, Array2};
use ndarray_rand::RandomExt;
use rand::Rng;
use rand_distr::Uniform;
use serde::Serialize;

use super::Activation;

/// How a layer's weights and biases are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InitScheme {
    /// PyTorch's nn.Linear default: W and b ~ U(±1/√fan_in)
    Torch,
    /// He/Kaiming uniform for the activation (gain·√(3/fan_in)), zero bias
    He,
    /// Xavier/Glorot uniform (√(6/(fan_in+fan_out))), zero bias
    Xavier,
}

/// Draw `(weight [out, in], bias [out])` for one layer.
pub fn init_layer<R: Rng>(
    fan_in: usize,
    fan_out: usize,
    scheme: InitScheme,
    activation: Activation,
    rng: &mut R,
) -> (Array2<f32>, Array1<f32>) {
    let uniform = |bound: f64| {
        let b = bound as f32;
        Uniform::new_inclusive(-b, b).expect("finite positive bound")
    };
    match scheme {
        InitScheme::Torch => {
            // kaiming_uniform_(a=√5) gives bound = √(1/3)·√(3/fan_in) = 1/√fan_in; bias the same.
            let bound = 1.0 / (fan_in as f64).sqrt();
            let w = Array2::random_using((fan_out, fan_in), uniform(bound), rng);
            let b = Array1::random_using(fan_out, uniform(bound), rng);
            (w, b)
        }
        InitScheme::He => {
            let bound = activation.kaiming_gain() * (3.0 / fan_in as f64).sqrt();
            let w = Array2::random_using((fan_out, fan_in), uniform(bound), rng);
            (w, Array1::zeros(fan_out))
        }
        InitScheme::Xavier => {
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            let w = Array2::random_using((fan_out, fan_in), uniform(bound), rng);
            (w, Array1::zeros(fan_out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn bounds_and_determinism() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (w, b) = init_layer(64, 128, InitScheme::Torch, Activation::Relu, &mut rng);
        assert_eq!(w.dim(), (128, 64));
        assert_eq!(b.len(), 128);
        let bound = 1.0 / 8.0;
        assert!(w.iter().chain(b.iter()).all(|v| v.abs() <= bound));
        // spread: a uniform on ±1/8 has std 1/(8√3) ≈ 0.0722
        let n = w.len() as f32;
        let mean = w.sum() / n;
        let std = (w.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
        assert!((std - 0.0722).abs() < 0.004, "std {std}");
        let mut rng2 = ChaCha8Rng::seed_from_u64(3);
        let (w2, _) = init_layer(64, 128, InitScheme::Torch, Activation::Relu, &mut rng2);
        assert_eq!(w, w2);
    }

    #[test]
    fn he_and_xavier_bounds() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (w, b) = init_layer(50, 20, InitScheme::He, Activation::Relu, &mut rng);
        let he = (6.0f32 / 50.0).sqrt();
        assert!(w.iter().all(|v| v.abs() <= he));
        assert!(w.iter().any(|v| v.abs() > 0.8 * he));
        assert!(b.iter().all(|&v| v == 0.0));
        let (w, _) = init_layer(50, 20, InitScheme::Xavier, Activation::Tanh, &mut rng);
        let xa = (6.0f32 / 70.0).sqrt();
        assert!(w.iter().all(|v| v.abs() <= xa));
        assert!(w.iter().any(|v| v.abs() > 0.8 * xa));
    }
}

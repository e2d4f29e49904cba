//! Activation functions: each one's forward and backward side by side.
//!
//! Backward overwrites: it turns the gradient with respect to a layer's output (`grad`, in place)
//! into the gradient with respect to its input, using the saved pre-activation `z` and output `a`.

use ndarray::{ArrayView2, ArrayViewMut2, Zip};
use serde::Serialize;

/// Slope of `leaky-relu` for negative inputs (PyTorch's default `negative_slope`).
pub const LEAKY_SLOPE: f32 = 0.01;

/// The non-linearity between hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// max(0, z)
    Relu,
    /// z if z > 0 else 0.01·z
    LeakyRelu,
    /// tanh(z)
    Tanh,
    /// 1 / (1 + e^-z)
    Sigmoid,
    /// z·Φ(z), the exact (erf) form, PyTorch's default
    Gelu,
}

impl Activation {
    /// The name used on the command line and in weight files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Gelu => "gelu",
        }
    }

    /// Parse a name written by [`Activation::name`].
    pub fn from_name(name: &str) -> Option<Activation> {
        [
            Activation::Relu,
            Activation::LeakyRelu,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Gelu,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }

    /// Gain for He/Kaiming initialisation (PyTorch's `calculate_gain`).
    pub fn kaiming_gain(self) -> f64 {
        match self {
            Activation::Relu | Activation::Gelu => 2f64.sqrt(),
            Activation::LeakyRelu => {
                let s = LEAKY_SLOPE as f64;
                (2.0 / (1.0 + s * s)).sqrt()
            }
            Activation::Tanh => 5.0 / 3.0,
            Activation::Sigmoid => 1.0,
        }
    }

    /// Scalar forward.
    #[inline]
    pub fn apply(self, z: f32) -> f32 {
        match self {
            Activation::Relu => z.max(0.0),
            Activation::LeakyRelu => {
                if z > 0.0 {
                    z
                } else {
                    LEAKY_SLOPE * z
                }
            }
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => sigmoid(z),
            Activation::Gelu => {
                let z = z as f64;
                (0.5 * z * (1.0 + libm::erf(z * std::f64::consts::FRAC_1_SQRT_2))) as f32
            }
        }
    }

    /// Scalar derivative, from the pre-activation `z` and the output `a = apply(z)`.
    #[inline]
    pub fn derivative(self, z: f32, a: f32) -> f32 {
        match self {
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu => {
                if z > 0.0 {
                    1.0
                } else {
                    LEAKY_SLOPE
                }
            }
            Activation::Tanh => 1.0 - a * a,
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Gelu => {
                let z = z as f64;
                let cdf = 0.5 * (1.0 + libm::erf(z * std::f64::consts::FRAC_1_SQRT_2));
                let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                (cdf + z * pdf) as f32
            }
        }
    }

    /// Forward: `a = f(z)` element-wise.
    pub fn forward(self, z: ArrayView2<f32>, mut a: ArrayViewMut2<f32>) {
        Zip::from(&mut a)
            .and(&z)
            .for_each(|a, &z| *a = self.apply(z));
    }

    /// Bias and activation in one pass over a layer's output: `z ← z + bias` (per row), then
    /// `a = f(z)`. The match on the activation is outside the loop, so ReLU's loop vectorises.
    pub fn bias_forward(self, mut z: ArrayViewMut2<f32>, bias: &[f32], mut a: ArrayViewMut2<f32>) {
        debug_assert_eq!(z.dim(), a.dim());
        debug_assert_eq!(z.ncols(), bias.len());
        let (Some(zs), Some(as_)) = (z.as_slice_mut(), a.as_slice_mut()) else {
            // not contiguous: the plain two-pass form
            for mut row in z.rows_mut() {
                Zip::from(&mut row).and(bias).for_each(|z, &b| *z += b);
            }
            return self.forward(z.view(), a);
        };
        match self {
            Activation::Relu => bias_map(zs, bias, as_, |v| v.max(0.0)),
            Activation::LeakyRelu => {
                bias_map(zs, bias, as_, |v| if v > 0.0 { v } else { LEAKY_SLOPE * v })
            }
            Activation::Tanh => bias_map(zs, bias, as_, f32::tanh),
            Activation::Sigmoid => bias_map(zs, bias, as_, sigmoid),
            Activation::Gelu => bias_map(zs, bias, as_, |v| Activation::Gelu.apply(v)),
        }
    }

    /// Backward: `grad ← grad ⊙ f'(z)`, in place.
    pub fn backward(self, z: ArrayView2<f32>, a: ArrayView2<f32>, mut grad: ArrayViewMut2<f32>) {
        if let (Some(zs), Some(as_), Some(gs)) = (z.as_slice(), a.as_slice(), grad.as_slice_mut()) {
            let zs = &zs[..gs.len()];
            let as_ = &as_[..gs.len()];
            match self {
                // f'(z) as the scalar `derivative` gives it, multiplied in (0·inf stays NaN)
                Activation::Relu => {
                    for (g, &z) in gs.iter_mut().zip(zs) {
                        *g *= if z > 0.0 { 1.0 } else { 0.0 };
                    }
                }
                Activation::LeakyRelu => {
                    for (g, &z) in gs.iter_mut().zip(zs) {
                        *g *= if z > 0.0 { 1.0 } else { LEAKY_SLOPE };
                    }
                }
                Activation::Tanh => {
                    for (g, &a) in gs.iter_mut().zip(as_) {
                        *g *= 1.0 - a * a;
                    }
                }
                Activation::Sigmoid => {
                    for (g, &a) in gs.iter_mut().zip(as_) {
                        *g *= a * (1.0 - a);
                    }
                }
                Activation::Gelu => {
                    for ((g, &z), &a) in gs.iter_mut().zip(zs).zip(as_) {
                        *g *= Activation::Gelu.derivative(z, a);
                    }
                }
            }
            return;
        }
        Zip::from(&mut grad)
            .and(&z)
            .and(&a)
            .for_each(|g, &z, &a| *g *= self.derivative(z, a));
    }
}

/// `z[r] += bias; a[r] = f(z[r])` over the rows of contiguous row-major buffers.
#[inline(always)]
fn bias_map(z: &mut [f32], bias: &[f32], a: &mut [f32], f: impl Fn(f32) -> f32) {
    let n = bias.len();
    if n == 0 {
        return;
    }
    for (zr, ar) in z.chunks_exact_mut(n).zip(a.chunks_exact_mut(n)) {
        for ((z, a), &b) in zr.iter_mut().zip(ar.iter_mut()).zip(bias) {
            let v = *z + b;
            *z = v;
            *a = f(v);
        }
    }
}

#[inline]
fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [
            Activation::Relu,
            Activation::LeakyRelu,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Gelu,
        ] {
            for &z in &[-2.5f32, -0.7, -0.1, 0.3, 1.1, 3.0] {
                let h = 1e-3f64;
                let f = |v: f64| act.apply(v as f32) as f64;
                let numeric = (f(z as f64 + h) - f(z as f64 - h)) / (2.0 * h);
                let analytic = act.derivative(z, act.apply(z)) as f64;
                assert!(
                    (numeric - analytic).abs() < 2e-3,
                    "{act:?} at {z}: numeric {numeric} analytic {analytic}"
                );
            }
        }
    }

    #[test]
    fn gelu_matches_pytorch() {
        // torch.nn.functional.gelu(torch.tensor([-1.0, 0.5, 2.0]))
        // -> tensor([-0.1587,  0.3457,  1.9545])
        let got: Vec<f32> = [-1.0f32, 0.5, 2.0]
            .iter()
            .map(|&z| Activation::Gelu.apply(z))
            .collect();
        for (g, want) in got.iter().zip([-0.158_655_3f32, 0.345_731_1, 1.954_499_7]) {
            assert!((g - want).abs() < 1e-6, "{g} vs {want}");
        }
    }

    #[test]
    fn names_round_trip() {
        for a in [Activation::Relu, Activation::LeakyRelu, Activation::Gelu] {
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
        assert_eq!(Activation::from_name("swish"), None);
    }
}

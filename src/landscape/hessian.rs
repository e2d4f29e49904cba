//! The training loss of an MLP in f64, its gradient and its exact Hessian-vector product by
//! Pearlmutter's R-operator, derived by hand for the MLP and both losses.
//!
//! Parameters are one flat vector in the model's order (layer 0 weight `[out, in]` row-major,
//! layer 0 bias, layer 1 weight, …), as `Mlp::for_each_param` visits them. The loss is the mean
//! over all rows (cross-entropy of the softmax, or the squared error of the single output), as in
//! training, without weight decay.
//!
//! Forward, for layers `k = 1…L` with `a_0 = x`:
//! `z_k = a_{k−1}·W_kᵀ + b_k`, `a_k = f(z_k)` (no activation after the last layer).
//! The R-operator `R{·} = d/dr (·)(θ + r·v)|_{r=0}` along `v = (V_k, v_k)` gives
//! `R z_k = R a_{k−1}·W_kᵀ + a_{k−1}·V_kᵀ + v_k` (`R a_0 = 0`), `R a_k = f′(z_k) ⊙ R z_k`.
//! At the output, with `δ_L = ∂loss/∂z_L`: cross-entropy `δ_L = (p − onehot(y))/n`,
//! `R δ_L = (p ⊙ (R z_L − Σ_j p_j R z_{L,j}))/n` per row; squared error `δ_L = 2(z_L − y)/n`,
//! `R δ_L = 2 R z_L / n`. Backward: `∂W_k = δ_kᵀ·a_{k−1}`, `∂b_k = Σ_rows δ_k`,
//! `g_{k−1} = δ_k·W_k`, `δ_{k−1} = f′(z_{k−1}) ⊙ g_{k−1}`, and their R-images
//! `(Hv)_{W_k} = Rδ_kᵀ·a_{k−1} + δ_kᵀ·R a_{k−1}`, `(Hv)_{b_k} = Σ_rows Rδ_k`,
//! `R g_{k−1} = Rδ_k·W_k + δ_k·V_k`,
//! `R δ_{k−1} = f′(z_{k−1}) ⊙ R g_{k−1} + f″(z_{k−1}) ⊙ R z_{k−1} ⊙ g_{k−1}`.
//!
//! Rows are processed in chunks on the rayon pool; the chunks' sums are added in chunk order, so
//! the result does not depend on the number of threads.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
use rayon::prelude::*;

use crate::nn::{Activation, Mlp, Targets};

/// Rows per chunk of the parallel passes.
const CHUNK: usize = 256;

/// An MLP's parameters in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Net64 {
    weights: Vec<Array2<f64>>,
    biases: Vec<Array1<f64>>,
    activation: Activation,
}

/// The rows the loss is taken over: inputs (already standardised) and targets, in f64.
#[derive(Debug, Clone)]
pub struct Data64 {
    pub x: Array2<f64>,
    pub labels: Labels,
}

/// Targets of [`Data64`].
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    Classes(Vec<u32>),
    Values(Vec<f64>),
}

impl Data64 {
    /// The rows of `x` with `targets`, widened to f64.
    pub fn new(x: ArrayView2<f32>, targets: Targets) -> Data64 {
        Data64 {
            x: x.mapv(f64::from),
            labels: match targets {
                Targets::Classes(c) => Labels::Classes(c.to_vec()),
                Targets::Values(v) => Labels::Values(v.iter().map(|&y| f64::from(y)).collect()),
            },
        }
    }

    pub fn rows(&self) -> usize {
        self.x.nrows()
    }
}

/// Sums of one chunk: loss, gradient and (when asked) Hessian-vector product.
struct ChunkSums {
    loss: f64,
    grad: Vec<f64>,
    hv: Option<Vec<f64>>,
}

impl Net64 {
    pub fn from_mlp(model: &Mlp) -> Net64 {
        Net64 {
            weights: model
                .layers
                .iter()
                .map(|l| l.weight.mapv(f64::from))
                .collect(),
            biases: model
                .layers
                .iter()
                .map(|l| l.bias.mapv(f64::from))
                .collect(),
            activation: model.activation,
        }
    }

    pub fn n_params(&self) -> usize {
        self.weights
            .iter()
            .zip(&self.biases)
            .map(|(w, b)| w.len() + b.len())
            .sum()
    }

    /// The parameters as one flat vector.
    pub fn params(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n_params());
        for (w, b) in self.weights.iter().zip(&self.biases) {
            out.extend(w.iter());
            out.extend(b.iter());
        }
        out
    }

    /// The same network with the flat parameters `flat`.
    pub fn with_params(&self, flat: &[f64]) -> Net64 {
        assert_eq!(flat.len(), self.n_params(), "parameter vector length");
        let mut next = self.clone();
        let mut at = 0;
        for (w, b) in next.weights.iter_mut().zip(next.biases.iter_mut()) {
            for v in w.iter_mut().chain(b.iter_mut()) {
                *v = flat[at];
                at += 1;
            }
        }
        next
    }

    /// Views of a flat vector shaped like the layers: `(weight, bias)` per layer.
    fn split<'v>(&self, flat: &'v [f64]) -> Vec<(ArrayView2<'v, f64>, ArrayView1<'v, f64>)> {
        let mut out = Vec::with_capacity(self.weights.len());
        let mut at = 0;
        for w in &self.weights {
            let (o, i) = w.dim();
            let wv = ArrayView2::from_shape((o, i), &flat[at..at + o * i]).expect("shape");
            at += o * i;
            let bv = ArrayView1::from(&flat[at..at + o]);
            at += o;
            out.push((wv, bv));
        }
        out
    }

    /// Mean loss over the rows of `data`.
    pub fn loss(&self, data: &Data64) -> f64 {
        self.reduce(data, None, false).loss
    }

    /// Mean loss and its gradient (flat).
    pub fn loss_and_grad(&self, data: &Data64) -> (f64, Vec<f64>) {
        let s = self.reduce(data, None, true);
        (s.loss, s.grad)
    }

    /// The Hessian of the mean loss times `v` (flat), exactly (R-operator).
    pub fn hessian_vector(&self, data: &Data64, v: &[f64]) -> Vec<f64> {
        assert_eq!(v.len(), self.n_params(), "direction length");
        self.reduce(data, Some(v), true).hv.expect("asked for")
    }

    fn reduce(&self, data: &Data64, v: Option<&[f64]>, grad: bool) -> ChunkSums {
        let n = data.rows();
        let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
        let parts: Vec<ChunkSums> = starts
            .par_iter()
            .map(|&start| {
                let end = (start + CHUNK).min(n);
                self.chunk(data, start, end, n, v, grad)
            })
            .collect();
        let p = self.n_params();
        let mut total = ChunkSums {
            loss: 0.0,
            grad: if grad { vec![0.0; p] } else { Vec::new() },
            hv: v.map(|_| vec![0.0; p]),
        };
        for part in parts {
            total.loss += part.loss;
            for (t, g) in total.grad.iter_mut().zip(&part.grad) {
                *t += g;
            }
            if let (Some(t), Some(h)) = (total.hv.as_mut(), part.hv.as_ref()) {
                for (t, h) in t.iter_mut().zip(h) {
                    *t += h;
                }
            }
        }
        total.loss /= n.max(1) as f64;
        total
    }

    /// Loss sum, and gradient and Hv of the *mean over `n` rows* restricted to rows
    /// `start..end`.
    fn chunk(
        &self,
        data: &Data64,
        start: usize,
        end: usize,
        n: usize,
        v: Option<&[f64]>,
        want_grad: bool,
    ) -> ChunkSums {
        let x = data.x.slice(s![start..end, ..]);
        let last = self.weights.len() - 1;
        let dirs = v.map(|v| self.split(v));
        // forward and R-forward
        let mut zs: Vec<Array2<f64>> = Vec::with_capacity(last + 1);
        let mut acts: Vec<Array2<f64>> = Vec::with_capacity(last);
        let mut rzs: Vec<Array2<f64>> = Vec::new();
        let mut racts: Vec<Array2<f64>> = Vec::new();
        for k in 0..=last {
            let input = if k == 0 { x } else { acts[k - 1].view() };
            let z = input.dot(&self.weights[k].t()) + &self.biases[k];
            if let Some(d) = &dirs {
                let (vw, vb) = d[k];
                let mut rz = input.dot(&vw.t()) + vb;
                if k > 0 {
                    rz += &racts[k - 1].dot(&self.weights[k].t());
                }
                if k < last {
                    let ra = &rz * &z.mapv(|t| first(self.activation, t));
                    racts.push(ra);
                }
                rzs.push(rz);
            }
            if k < last {
                acts.push(z.mapv(|t| apply(self.activation, t)));
            }
            zs.push(z);
        }
        // loss, δ_L and R δ_L
        let out = &zs[last];
        let inv_n = 1.0 / n as f64;
        let mut delta = Array2::<f64>::zeros(out.raw_dim());
        let mut rdelta = dirs.as_ref().map(|_| Array2::<f64>::zeros(out.raw_dim()));
        let mut loss = 0.0;
        match &data.labels {
            Labels::Classes(c) => {
                for (i, z) in out.axis_iter(Axis(0)).enumerate() {
                    let y = c[start + i] as usize;
                    let max = z.fold(f64::NEG_INFINITY, |m, &t| m.max(t));
                    let sum: f64 = z.iter().map(|&t| (t - max).exp()).sum();
                    loss += max + sum.ln() - z[y];
                    let p: Vec<f64> = z.iter().map(|&t| (t - max).exp() / sum).collect();
                    for (j, &pj) in p.iter().enumerate() {
                        delta[[i, j]] = (pj - if j == y { 1.0 } else { 0.0 }) * inv_n;
                    }
                    if let Some(rd) = rdelta.as_mut() {
                        let rz = rzs[last].row(i);
                        let mean: f64 = p.iter().zip(rz.iter()).map(|(p, r)| p * r).sum();
                        for (j, &pj) in p.iter().enumerate() {
                            rd[[i, j]] = pj * (rz[j] - mean) * inv_n;
                        }
                    }
                }
            }
            Labels::Values(values) => {
                let scale = 2.0 * inv_n / out.ncols() as f64;
                for (i, z) in out.axis_iter(Axis(0)).enumerate() {
                    let d = z[0] - values[start + i];
                    loss += d * d;
                    delta[[i, 0]] = scale * d;
                    if let Some(rd) = rdelta.as_mut() {
                        rd[[i, 0]] = scale * rzs[last][[i, 0]];
                    }
                }
            }
        }
        let mut sums = ChunkSums {
            loss,
            grad: Vec::new(),
            hv: None,
        };
        if !want_grad {
            return sums;
        }
        // backward and R-backward, layer by layer from the top; pieces collected per layer
        let mut grad_parts: Vec<Vec<f64>> = vec![Vec::new(); last + 1];
        let mut hv_parts: Vec<Vec<f64>> = vec![Vec::new(); last + 1];
        for k in (0..=last).rev() {
            let input = if k == 0 { x } else { acts[k - 1].view() };
            let gw = delta.t().dot(&input);
            let gb = delta.sum_axis(Axis(0));
            grad_parts[k] = gw.iter().chain(gb.iter()).copied().collect();
            if let (Some(rd), Some(d)) = (rdelta.as_ref(), dirs.as_ref()) {
                let mut hw = rd.t().dot(&input);
                if k > 0 {
                    hw += &delta.t().dot(&racts[k - 1]);
                }
                let hb = rd.sum_axis(Axis(0));
                hv_parts[k] = hw.iter().chain(hb.iter()).copied().collect();
                if k > 0 {
                    let g = delta.dot(&self.weights[k]);
                    let rg = rd.dot(&self.weights[k]) + delta.dot(&d[k].0);
                    let zp = &zs[k - 1];
                    let fp = zp.mapv(|t| first(self.activation, t));
                    let fpp = zp.mapv(|t| second(self.activation, t));
                    let next_rd = &fp * &rg + &(&fpp * &rzs[k - 1] * &g);
                    delta = &fp * &g;
                    rdelta = Some(next_rd);
                }
            } else if k > 0 {
                let g = delta.dot(&self.weights[k]);
                delta = g * &zs[k - 1].mapv(|t| first(self.activation, t));
            }
        }
        sums.grad = grad_parts.concat();
        if dirs.is_some() {
            sums.hv = Some(hv_parts.concat());
        }
        sums
    }
}

/// `f(z)` in f64 (the same functions as `Activation::apply`).
pub fn apply(act: Activation, z: f64) -> f64 {
    match act {
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu => {
            if z > 0.0 {
                z
            } else {
                f64::from(crate::nn::activation::LEAKY_SLOPE) * z
            }
        }
        Activation::Tanh => z.tanh(),
        Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
        Activation::Gelu => z * normal_cdf(z),
    }
}

/// `f′(z)`.
pub fn first(act: Activation, z: f64) -> f64 {
    match act {
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
                f64::from(crate::nn::activation::LEAKY_SLOPE)
            }
        }
        Activation::Tanh => {
            let a = z.tanh();
            1.0 - a * a
        }
        Activation::Sigmoid => {
            let a = 1.0 / (1.0 + (-z).exp());
            a * (1.0 - a)
        }
        Activation::Gelu => normal_cdf(z) + z * normal_pdf(z),
    }
}

/// `f″(z)` (zero almost everywhere for the piecewise linear ones).
pub fn second(act: Activation, z: f64) -> f64 {
    match act {
        Activation::Relu | Activation::LeakyRelu => 0.0,
        Activation::Tanh => {
            let a = z.tanh();
            -2.0 * a * (1.0 - a * a)
        }
        Activation::Sigmoid => {
            let a = 1.0 / (1.0 + (-z).exp());
            a * (1.0 - a) * (1.0 - 2.0 * a)
        }
        Activation::Gelu => normal_pdf(z) * (2.0 - z * z),
    }
}

fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z * std::f64::consts::FRAC_1_SQRT_2))
}

fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Grads, InitScheme, Workspace};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    pub(crate) fn tiny(act: Activation, sizes: &[usize], rows: usize, seed: u64) -> (Mlp, Data64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let model = Mlp::new(sizes, act, InitScheme::Torch, &mut rng);
        let x = Array2::from_shape_fn((rows, sizes[0]), |_| rng.random_range(-2.0f32..2.0));
        let classes = *sizes.last().unwrap();
        let labels: Vec<u32> = (0..rows)
            .map(|_| rng.random_range(0..classes as u32))
            .collect();
        let data = Data64::new(x.view(), Targets::Classes(&labels));
        (model, data)
    }

    #[test]
    fn first_and_second_derivatives_match_finite_differences() {
        for act in [
            Activation::Relu,
            Activation::LeakyRelu,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Gelu,
        ] {
            for z in [-2.3, -0.4, 0.2, 1.7] {
                let h = 1e-5;
                let d1 = (apply(act, z + h) - apply(act, z - h)) / (2.0 * h);
                let d2 = (first(act, z + h) - first(act, z - h)) / (2.0 * h);
                assert!((d1 - first(act, z)).abs() < 1e-8, "{act:?} f' at {z}");
                assert!((d2 - second(act, z)).abs() < 1e-7, "{act:?} f'' at {z}");
            }
        }
    }

    #[test]
    fn gradient_matches_the_models_own_backward() {
        let (model, data) = tiny(Activation::Tanh, &[5, 7, 4], 40, 3);
        let x32 = data.x.mapv(|v| v as f32);
        let Labels::Classes(c) = &data.labels else {
            unreachable!()
        };
        let mut ws = Workspace::new(&model, 40);
        let mut g32 = Grads::zeros_like(&model);
        let sums = model.loss_and_grad(x32.view(), Targets::Classes(c), &mut ws, &mut g32);
        let net = Net64::from_mlp(&model);
        let (loss, grad) = net.loss_and_grad(&data);
        assert!((loss - sums.mean_loss()).abs() < 1e-5);
        let mut flat32 = Vec::new();
        for (w, b) in g32.weight.iter().zip(&g32.bias) {
            flat32.extend(w.iter().map(|&v| f64::from(v)));
            flat32.extend(b.iter().map(|&v| f64::from(v)));
        }
        for (a, b) in grad.iter().zip(&flat32) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences_of_the_loss() {
        for act in [Activation::Tanh, Activation::Gelu, Activation::Sigmoid] {
            let (model, data) = tiny(act, &[3, 6, 5, 3], 30, 7);
            let net = Net64::from_mlp(&model);
            let theta = net.params();
            let (_, grad) = net.loss_and_grad(&data);
            let h = 1e-6;
            for i in 0..theta.len() {
                let mut p = theta.clone();
                p[i] += h;
                let up = net.with_params(&p).loss(&data);
                p[i] -= 2.0 * h;
                let down = net.with_params(&p).loss(&data);
                let fd = (up - down) / (2.0 * h);
                assert!(
                    (fd - grad[i]).abs() < 1e-7,
                    "{act:?} param {i}: {fd} vs {}",
                    grad[i]
                );
            }
        }
    }

    /// The R-operator's Hv against central differences of the hand-written gradient:
    /// `(∇L(θ + h·v) − ∇L(θ − h·v)) / 2h`, whose error is O(h²) (about 1e-10 here), far below the
    /// tolerance. ReLU and leaky ReLU have no curvature of their own (f″ = 0 almost everywhere):
    /// their Hv comes through the softmax and the products of weights.
    #[test]
    fn hessian_vector_product_matches_differences_of_gradients() {
        for (act, regress) in [
            (Activation::Tanh, false),
            (Activation::Relu, false),
            (Activation::LeakyRelu, false),
            (Activation::Sigmoid, false),
            (Activation::Gelu, false),
            (Activation::Tanh, true),
        ] {
            let sizes: &[usize] = if regress { &[3, 5, 1] } else { &[4, 6, 5, 3] };
            let (model, mut data) = tiny(act, sizes, 300, 11);
            if regress {
                let mut rng = ChaCha8Rng::seed_from_u64(5);
                data.labels =
                    Labels::Values((0..300).map(|_| rng.random_range(-1.0..1.0)).collect());
            }
            let net = Net64::from_mlp(&model);
            let theta = net.params();
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            let v: Vec<f64> = (0..theta.len())
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let hv = net.hessian_vector(&data, &v);
            let h = 1e-5;
            let shifted = |sign: f64| {
                let p: Vec<f64> = theta
                    .iter()
                    .zip(&v)
                    .map(|(t, d)| t + sign * h * d)
                    .collect();
                net.with_params(&p).loss_and_grad(&data).1
            };
            let (up, down) = (shifted(1.0), shifted(-1.0));
            let scale = hv.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            for i in 0..theta.len() {
                let fd = (up[i] - down[i]) / (2.0 * h);
                assert!(
                    (fd - hv[i]).abs() < 1e-6 * scale.max(1.0),
                    "{act:?} regress {regress} param {i}: {fd} vs {}",
                    hv[i]
                );
            }
        }
    }

    #[test]
    fn loss_matches_the_models_evaluate() {
        let (model, data) = tiny(Activation::Relu, &[4, 8, 3], 700, 2);
        let net = Net64::from_mlp(&model);
        let (loss, grad) = net.loss_and_grad(&data);
        let x32 = data.x.mapv(|v| v as f32);
        let Labels::Classes(c) = &data.labels else {
            unreachable!()
        };
        let mut ws = Workspace::new(&model, 700);
        let sums = model.evaluate(x32.view(), Targets::Classes(c), &mut ws);
        assert!((loss - sums.mean_loss()).abs() < 1e-5);
        assert_eq!(grad.len(), net.n_params());
    }
}

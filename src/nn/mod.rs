//! The multi-layer perceptron: layers, the reusable `Workspace` of activations and gradients,
//! forward, hand-written backward and evaluation.
//!
//! Backward overwrites every gradient buffer (each parameter and activation has exactly one
//! consumer in an MLP), so there is no `zero_grad` to forget. All buffers are sized once, for a
//! maximum batch, and reused: a training step allocates nothing of its own.

pub mod activation;
pub mod init;
pub mod linear;
pub mod loss;

pub use activation::Activation;
pub use init::InitScheme;
pub use linear::Linear;
pub use loss::{LossSums, Targets};

use ndarray::{Array1, Array2, ArrayView2, s};
use rand::Rng;

use crate::linalg::{gemm, sgemm};

/// A stack of fully connected layers with one activation between them (none after the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Linear>,
    pub activation: Activation,
}

/// Gradients of the loss with respect to every parameter, shaped like the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Grads {
    pub weight: Vec<Array2<f32>>,
    pub bias: Vec<Array1<f32>>,
}

/// Buffers for forward and backward passes of up to `capacity` rows.
#[derive(Debug, Clone)]
pub struct Workspace {
    capacity: usize,
    /// Pre-activations of every layer, `[capacity, out_k]` (the last one is the network output).
    z: Vec<Array2<f32>>,
    /// Activations of the hidden layers, `[capacity, out_k]`.
    a: Vec<Array2<f32>>,
    /// dLoss/dz of every layer, `[capacity, out_k]`.
    delta: Vec<Array2<f32>>,
}

impl Workspace {
    /// Buffers for `model` and batches of at most `capacity` rows.
    pub fn new(model: &Mlp, capacity: usize) -> Workspace {
        let capacity = capacity.max(1);
        let outs: Vec<usize> = model.layers.iter().map(Linear::fan_out).collect();
        let hidden = outs.len().saturating_sub(1);
        // size this thread's packing buffer for the layers' products (forward, weight and
        // input gradients), so that the training step allocates nothing
        for l in &model.layers {
            let (i, o) = (l.fan_in(), l.fan_out());
            sgemm::reserve(capacity, o, i);
            sgemm::reserve(o, i, capacity);
            sgemm::reserve(capacity, i, o);
        }
        Workspace {
            capacity,
            z: outs.iter().map(|&o| Array2::zeros((capacity, o))).collect(),
            a: outs[..hidden]
                .iter()
                .map(|&o| Array2::zeros((capacity, o)))
                .collect(),
            delta: outs.iter().map(|&o| Array2::zeros((capacity, o))).collect(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl Grads {
    /// Zero gradients shaped like `model`.
    pub fn zeros_like(model: &Mlp) -> Grads {
        Grads {
            weight: model
                .layers
                .iter()
                .map(|l| Array2::zeros(l.weight.raw_dim()))
                .collect(),
            bias: model
                .layers
                .iter()
                .map(|l| Array1::zeros(l.bias.raw_dim()))
                .collect(),
        }
    }
}

impl Mlp {
    /// A freshly initialised MLP with layer widths `sizes` (input, hidden…, output).
    pub fn new<R: Rng>(
        sizes: &[usize],
        activation: Activation,
        scheme: InitScheme,
        rng: &mut R,
    ) -> Mlp {
        assert!(sizes.len() >= 2, "an MLP needs input and output sizes");
        let layers = sizes
            .windows(2)
            .map(|w| {
                let (weight, bias) = init::init_layer(w[0], w[1], scheme, activation, rng);
                Linear { weight, bias }
            })
            .collect();
        Mlp { layers, activation }
    }

    /// Layer widths: input, hidden…, output.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.layers[0].fan_in()];
        sizes.extend(self.layers.iter().map(Linear::fan_out));
        sizes
    }

    pub fn n_inputs(&self) -> usize {
        self.layers[0].fan_in()
    }

    pub fn n_outputs(&self) -> usize {
        self.layers.last().map(Linear::fan_out).unwrap_or(0)
    }

    /// Number of trainable parameters.
    pub fn n_params(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }

    /// Forward pass of `x: [rows, in]` (rows ≤ workspace capacity); returns the output rows.
    ///
    /// Uses the inference backend ([`gemm::INFERENCE`]): a row's output has the same bits
    /// whatever other rows are in `x`.
    pub fn forward<'w>(&self, x: ArrayView2<f32>, ws: &'w mut Workspace) -> ArrayView2<'w, f32> {
        self.forward_with(x, ws, gemm::INFERENCE)
    }

    /// [`Mlp::forward`] with the given GEMM backend (training uses the thread's backend).
    pub fn forward_with<'w>(
        &self,
        x: ArrayView2<f32>,
        ws: &'w mut Workspace,
        backend: gemm::Backend,
    ) -> ArrayView2<'w, f32> {
        let rows = x.nrows();
        assert!(rows <= ws.capacity, "batch larger than the workspace");
        let last = self.layers.len() - 1;
        for (k, layer) in self.layers.iter().enumerate() {
            let z = ws.z[k].slice_mut(s![..rows, ..]);
            let (before, from_k) = ws.a.split_at_mut(k);
            let input = if k == 0 {
                x
            } else {
                before[k - 1].slice(s![..rows, ..])
            };
            if k < last {
                let a = from_k[0].slice_mut(s![..rows, ..]);
                layer.forward_activated(input, z, a, self.activation, backend);
            } else {
                layer.forward_with(input, z, backend);
            }
        }
        ws.z[last].slice(s![..rows, ..])
    }

    /// Forward and backward on one batch: the loss sums are returned, `grads` overwritten.
    pub fn loss_and_grad(
        &self,
        x: ArrayView2<f32>,
        targets: Targets,
        ws: &mut Workspace,
        grads: &mut Grads,
    ) -> LossSums {
        let rows = x.nrows();
        let last = self.layers.len() - 1;
        self.forward_with(x, ws, gemm::backend());
        let sums = loss::loss_and_grad(
            ws.z[last].slice(s![..rows, ..]),
            targets,
            Some(ws.delta[last].slice_mut(s![..rows, ..])),
        );
        for k in (0..=last).rev() {
            let layer = &self.layers[k];
            let (before, from_k) = ws.delta.split_at_mut(k);
            let dy = from_k[0].slice(s![..rows, ..]);
            let input = if k == 0 {
                x
            } else {
                ws.a[k - 1].slice(s![..rows, ..])
            };
            let dx = if k == 0 {
                None
            } else {
                Some(before[k - 1].slice_mut(s![..rows, ..]))
            };
            layer.backward(input, dy, &mut grads.weight[k], &mut grads.bias[k], dx);
            if k > 0 {
                self.activation.backward(
                    ws.z[k - 1].slice(s![..rows, ..]),
                    ws.a[k - 1].slice(s![..rows, ..]),
                    before[k - 1].slice_mut(s![..rows, ..]),
                );
            }
        }
        sums
    }

    /// Loss sums over all rows of `x`, in chunks of the workspace capacity (no gradients).
    pub fn evaluate(&self, x: ArrayView2<f32>, targets: Targets, ws: &mut Workspace) -> LossSums {
        let mut total = LossSums::default();
        let n = x.nrows();
        let mut start = 0;
        while start < n {
            let end = (start + ws.capacity).min(n);
            let out = self.forward(x.slice(s![start..end, ..]), ws);
            let chunk = match targets {
                Targets::Classes(c) => Targets::Classes(&c[start..end]),
                Targets::Values(v) => Targets::Values(&v[start..end]),
            };
            total.add(loss::loss_and_grad(out, chunk, None));
            start = end;
        }
        total
    }

    /// Apply `f(params, grads)` to every parameter tensor in a fixed order
    /// (layer 0 weight, layer 0 bias, layer 1 weight, …), as flat slices.
    pub fn for_each_param(&mut self, grads: &Grads, mut f: impl FnMut(usize, &mut [f32], &[f32])) {
        let mut index = 0;
        for (k, layer) in self.layers.iter_mut().enumerate() {
            f(
                index,
                layer.weight.as_slice_mut().expect("standard layout"),
                grads.weight[k].as_slice().expect("standard layout"),
            );
            f(
                index + 1,
                layer.bias.as_slice_mut().expect("standard layout"),
                grads.bias[k].as_slice().expect("standard layout"),
            );
            index += 2;
        }
    }

    /// Whether a training batch of `rows` rows gives some layer products large enough to split
    /// over the calling thread's team ([`gemm::splits`]): the model decides how its step is
    /// threaded, and the optimizer follows it (`Optimizer::step_for_batch`).
    pub fn splits_products(&self, rows: usize) -> bool {
        self.layers
            .iter()
            .any(|l| gemm::splits(rows, l.fan_in(), l.fan_out()))
    }

    /// Lengths of the parameter tensors in `for_each_param` order.
    pub fn param_lengths(&self) -> Vec<usize> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight.len(), l.bias.len()])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::gemm::{Backend, INFERENCE, set_backend};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn inference_rows_do_not_depend_on_the_batch() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let model = Mlp::new(
            &[70, 40, 30, 10],
            Activation::Relu,
            InitScheme::Torch,
            &mut rng,
        );
        let x = Array2::from_shape_fn((150, 70), |_| rng.random_range(-1.0f32..1.0));
        // whatever the training backend of this thread
        set_backend(Backend::Matrixmultiply);
        // the inference backend, and matrixmultiply (which has the property too)
        for backend in [INFERENCE, Backend::Matrixmultiply] {
            let full = model
                .forward_with(x.view(), &mut Workspace::new(&model, 150), backend)
                .to_owned();
            for chunk in [1, 2, 7, 29, 64, 65, 149] {
                let mut ws = Workspace::new(&model, chunk);
                for start in (0..150).step_by(chunk) {
                    let end = (start + chunk).min(150);
                    let y = model.forward_with(x.slice(s![start..end, ..]), &mut ws, backend);
                    assert!(
                        y == full.slice(s![start..end, ..]),
                        "{backend:?} chunk {chunk} at {start}"
                    );
                }
            }
        }
    }
}

//! The fully connected layer `y = x·Wᵀ + b` (W stored `[out, in]` like PyTorch): forward and
//! backward side by side, both writing into caller-owned buffers (no allocation).

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Zip};

use super::Activation;
use crate::linalg::gemm::{self, Backend, gemm};

/// One fully connected layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    /// `[out, in]`
    pub weight: Array2<f32>,
    /// `[out]`
    pub bias: Array1<f32>,
}

impl Linear {
    pub fn fan_in(&self) -> usize {
        self.weight.ncols()
    }
    pub fn fan_out(&self) -> usize {
        self.weight.nrows()
    }

    /// `y = x·Wᵀ + b` for `x: [rows, in]` into `y: [rows, out]`, with the inference backend
    /// (each row's result independent of the other rows).
    pub fn forward(&self, x: ArrayView2<f32>, y: ArrayViewMut2<f32>) {
        self.forward_with(x, y, gemm::INFERENCE);
    }

    /// [`Linear::forward`] with the given GEMM backend.
    pub fn forward_with(&self, x: ArrayView2<f32>, mut y: ArrayViewMut2<f32>, backend: Backend) {
        gemm::gemm_with(backend, 1.0, x, self.weight.t(), 0.0, y.view_mut());
        let bias = self.bias.as_slice().expect("standard layout");
        match y.as_slice_mut() {
            Some(ys) if !bias.is_empty() => {
                for row in ys.chunks_exact_mut(bias.len()) {
                    for (v, &b) in row.iter_mut().zip(bias) {
                        *v += b;
                    }
                }
            }
            _ => {
                for mut row in y.rows_mut() {
                    Zip::from(&mut row)
                        .and(&self.bias)
                        .for_each(|v, &b| *v += b);
                }
            }
        }
    }

    /// A hidden layer: `z = x·Wᵀ + b` and `a = act(z)`, the bias and the activation applied in
    /// one pass after the product.
    pub fn forward_activated(
        &self,
        x: ArrayView2<f32>,
        mut z: ArrayViewMut2<f32>,
        a: ArrayViewMut2<f32>,
        act: Activation,
        backend: Backend,
    ) {
        gemm::gemm_with(backend, 1.0, x, self.weight.t(), 0.0, z.view_mut());
        act.bias_forward(z, self.bias.as_slice().expect("standard layout"), a);
    }

    /// Given `dy = dL/dy`, write `dW = dyᵀ·x`, `db = Σ_rows dy` and, when asked, `dx = dy·W`.
    pub fn backward(
        &self,
        x: ArrayView2<f32>,
        dy: ArrayView2<f32>,
        dw: &mut Array2<f32>,
        db: &mut Array1<f32>,
        dx: Option<ArrayViewMut2<f32>>,
    ) {
        gemm(1.0, dy.t(), x, 0.0, dw.view_mut());
        db.fill(0.0);
        match (db.as_slice_mut(), dy.as_slice()) {
            (Some(dbs), Some(dys)) if !dbs.is_empty() => {
                for row in dys.chunks_exact(dbs.len()) {
                    for (d, &g) in dbs.iter_mut().zip(row) {
                        *d += g;
                    }
                }
            }
            _ => {
                for row in dy.rows() {
                    Zip::from(&mut *db).and(&row).for_each(|d, &g| *d += g);
                }
            }
        }
        if let Some(dx) = dx {
            gemm(1.0, dy, self.weight.view(), 0.0, dx);
        }
    }
}

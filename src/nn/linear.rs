//! The fully connected layer `y = x·Wᵀ + b` (W stored `[out, in]` like PyTorch): forward and
//! backward side by side, both writing into caller-owned buffers (no allocation).

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Zip};

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

    /// `y = x·Wᵀ + b` for `x: [rows, in]` into `y: [rows, out]`.
    pub fn forward(&self, x: ArrayView2<f32>, mut y: ArrayViewMut2<f32>) {
        y.assign(&self.bias);
        general_mat_mul(1.0, &x, &self.weight.t(), 1.0, &mut y);
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
        general_mat_mul(1.0, &dy.t(), &x, 0.0, dw);
        db.fill(0.0);
        for row in dy.rows() {
            Zip::from(&mut *db).and(&row).for_each(|d, &g| *d += g);
        }
        if let Some(mut dx) = dx {
            general_mat_mul(1.0, &dy, &self.weight, 0.0, &mut dx);
        }
    }
}

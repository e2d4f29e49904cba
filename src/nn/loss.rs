//! Losses: softmax cross-entropy (classification) and mean squared error (regression), each
//! computing the loss and, in the same pass, its gradient with respect to the network output.
//!
//! Both are averaged like PyTorch's defaults (`reduction="mean"`): cross-entropy over the rows of
//! the batch, MSE over all elements. The gradient is overwritten, never accumulated.

use ndarray::{ArrayView2, ArrayViewMut2, Axis};

/// Targets of one batch, borrowed from the batch buffers.
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a> {
    /// Class indices, one per row.
    Classes(&'a [u32]),
    /// Real values, one per row (single-output regression).
    Values(&'a [f32]),
}

impl Targets<'_> {
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes(c) => c.len(),
            Targets::Values(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Sums over one batch, to be combined over many batches.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossSums {
    /// Sum over rows of the per-row loss (cross-entropy of the row, or squared error).
    pub loss_sum: f64,
    /// Rows predicted correctly (classification only).
    pub correct: usize,
    /// Rows seen.
    pub rows: usize,
}

impl LossSums {
    pub fn add(&mut self, other: LossSums) {
        self.loss_sum += other.loss_sum;
        self.correct += other.correct;
        self.rows += other.rows;
    }
    /// Mean loss over the rows seen (NaN when none).
    pub fn mean_loss(&self) -> f64 {
        if self.rows == 0 {
            f64::NAN
        } else {
            self.loss_sum / self.rows as f64
        }
    }
    /// Fraction of rows predicted correctly (NaN when none).
    pub fn accuracy(&self) -> f64 {
        if self.rows == 0 {
            f64::NAN
        } else {
            self.correct as f64 / self.rows as f64
        }
    }
}

/// Loss of `output` against `targets`; when `grad` is given, it receives d(mean loss)/d(output).
///
/// `output` is `[rows, classes]` logits for `Targets::Classes`, `[rows, 1]` for `Targets::Values`.
pub fn loss_and_grad(
    output: ArrayView2<f32>,
    targets: Targets,
    grad: Option<ArrayViewMut2<f32>>,
) -> LossSums {
    match targets {
        Targets::Classes(labels) => softmax_cross_entropy(output, labels, grad),
        Targets::Values(values) => mean_squared_error(output, values, grad),
    }
}

/// Softmax cross-entropy, averaged over rows: `-log softmax(z)[y]`.
/// Gradient: `(softmax(z) - onehot(y)) / rows`.
///
/// One pass per row: the maximum, then `exp(z - max)` once per element (in f64, kept in a small
/// buffer) for both the log-sum-exp and the gradient.
fn softmax_cross_entropy(
    logits: ArrayView2<f32>,
    labels: &[u32],
    mut grad: Option<ArrayViewMut2<f32>>,
) -> LossSums {
    /// Rows up to this many classes keep their exponentials on the stack.
    const STACK: usize = 64;
    let rows = logits.nrows();
    let classes = logits.ncols();
    debug_assert_eq!(rows, labels.len());
    let inv_rows = 1.0 / rows as f32;
    let mut sums = LossSums {
        rows,
        ..LossSums::default()
    };
    let mut stack = [0.0f64; STACK];
    let mut heap = Vec::new();
    let exps: &mut [f64] = if classes <= STACK {
        &mut stack[..classes]
    } else {
        heap.resize(classes, 0.0);
        &mut heap
    };
    for (i, z) in logits.axis_iter(Axis(0)).enumerate() {
        let y = labels[i] as usize;
        // argmax (first on ties) and max for a stable log-sum-exp
        let mut best = 0;
        let mut max = z[0];
        for (j, &v) in z.iter().enumerate().skip(1) {
            if v > max {
                max = v;
                best = j;
            }
        }
        let mut sum_exp = 0.0f64;
        for (e, &v) in exps.iter_mut().zip(z.iter()) {
            *e = ((v - max) as f64).exp();
            sum_exp += *e;
        }
        let log_sum_exp = max as f64 + sum_exp.ln();
        sums.loss_sum += log_sum_exp - z[y] as f64;
        if best == y {
            sums.correct += 1;
        }
        if let Some(g) = grad.as_mut() {
            let mut g_row = g.row_mut(i);
            for (j, (gv, &e)) in g_row.iter_mut().zip(exps.iter()).enumerate() {
                let p = (e / sum_exp) as f32;
                *gv = (p - if j == y { 1.0 } else { 0.0 }) * inv_rows;
            }
        }
    }
    sums
}

/// Mean squared error over all elements: `mean((p - y)^2)`; gradient `2 (p - y) / elements`.
fn mean_squared_error(
    pred: ArrayView2<f32>,
    values: &[f32],
    mut grad: Option<ArrayViewMut2<f32>>,
) -> LossSums {
    let rows = pred.nrows();
    debug_assert_eq!(pred.ncols(), 1);
    debug_assert_eq!(rows, values.len());
    let scale = 2.0 / (rows * pred.ncols()) as f32;
    let mut sums = LossSums {
        rows,
        ..LossSums::default()
    };
    for (i, (&p, &y)) in pred.column(0).iter().zip(values).enumerate() {
        let d = p - y;
        sums.loss_sum += (d as f64) * (d as f64);
        if let Some(g) = grad.as_mut() {
            g[[i, 0]] = scale * d;
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    #[test]
    fn cross_entropy_matches_pytorch() {
        // import torch; z = torch.tensor([[1., 2., 3.], [1., -1., 0.]], requires_grad=True)
        // l = torch.nn.functional.cross_entropy(z, torch.tensor([2, 0])); l.backward()
        // l = 0.4076059 ; z.grad = [[0.0450, 0.1224, -0.1674], [-0.1674, 0.0450, 0.1224]]
        let z = array![[1.0f32, 2.0, 3.0], [1.0, -1.0, 0.0]];
        let mut g = Array2::<f32>::zeros((2, 3));
        let s = loss_and_grad(z.view(), Targets::Classes(&[2, 0]), Some(g.view_mut()));
        assert!(
            (s.mean_loss() - 0.407_605_9).abs() < 1e-6,
            "{}",
            s.mean_loss()
        );
        assert_eq!(s.correct, 2);
        // softmax([1, 2, 3]) = [0.0900306, 0.2447285, 0.6652410]; softmax([1, -1, 0]) is its permutation
        let want2 = array![
            [
                0.090_030_6f32 / 2.0,
                0.244_728_5 / 2.0,
                (0.665_241 - 1.0) / 2.0
            ],
            [
                (0.665_241 - 1.0) / 2.0,
                0.090_030_6 / 2.0,
                0.244_728_5 / 2.0
            ]
        ];
        for (a, b) in g.iter().zip(want2.iter()) {
            assert!((a - b).abs() < 1e-6, "{g:?}");
        }
    }

    #[test]
    fn cross_entropy_is_stable_for_huge_logits() {
        let z = array![[1000.0f32, -1000.0]];
        let s = loss_and_grad(z.view(), Targets::Classes(&[1]), None);
        assert!((s.mean_loss() - 2000.0).abs() < 1e-3);
    }

    #[test]
    fn mse_matches_pytorch() {
        // p = torch.tensor([[1.], [3.]], requires_grad=True)
        // l = torch.nn.functional.mse_loss(p, torch.tensor([[0.], [1.]])); l.backward()
        // l = 2.5, p.grad = [[1.], [2.]]
        let p = array![[1.0f32], [3.0]];
        let mut g = Array2::<f32>::zeros((2, 1));
        let s = loss_and_grad(p.view(), Targets::Values(&[0.0, 1.0]), Some(g.view_mut()));
        assert_eq!(s.mean_loss(), 2.5);
        assert_eq!(g, array![[1.0f32], [2.0]]);
    }
}

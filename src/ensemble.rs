//! Ensembles of models: each model's class probabilities (regression: its predictions), their
//! uniform average, and the loss and accuracy (R²) of any such predictions.
//!
//! The ensemble rule is Snapshot Ensembles' (Huang et al. 2017) and SGDR's: average the
//! **probabilities** of the members — not their logits, not their weights:
//! `p̄ = (1/m)·Σ softmax(z_i)`. The loss of a classification ensemble is the mean over rows of
//! `−ln p̄[y]`, its accuracy takes the argmax of `p̄` (the first class on ties, as the training loss
//! does). A regression ensemble averages the predictions; its loss is the mean squared error and
//! its metric R² = 1 − SSE/SST around the rows' own mean target.
//!
//! Probabilities are kept as natural logarithms (log-softmax) and averaged in log space
//! (`ln p̄ = logsumexp_i(ln p_i) − ln m`), which is the same average without the underflow: a
//! confidently wrong model gives `ln p[y] = −800`, not `p[y] = 0`, so no probability has to be
//! clamped to a tiny ε before the logarithm and the loss of one model is exactly its
//! cross-entropy — equal to the training loop's up to rounding (the training loss rounds each
//! `z − max` to f32, here the log-softmax is computed in f64). Only a non-finite output (an
//! overflowed logit) is clamped, at `ln` [`PROB_EPS`].
//!
//! A single model goes through the same code as an ensemble, and the average of one member is
//! that member bit for bit, so an "ensemble" of one model has exactly that model's numbers.

use ndarray::{Array2, ArrayView2, Axis, s};

use crate::nn::{Mlp, Targets, Workspace};

/// The probability a row counts with when its log-probability is not finite (a model output that
/// overflowed): the row then adds `−ln PROB_EPS` = 708.4 to the loss sum instead of infinity.
pub const PROB_EPS: f64 = f64::MIN_POSITIVE;

/// Rows per forward pass when predicting (a fixed chunk, so the same rows give the same bits).
pub const CHUNK_ROWS: usize = 1024;

/// What models say about a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Natural logarithms of the class probabilities, `[rows, classes]` (each row's
    /// probabilities sum to 1).
    LogProbabilities(Array2<f64>),
    /// One predicted value per row (single-output regression).
    Values(Vec<f64>),
}

/// Loss and quality of predictions: accuracy for classification, R² for regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub loss: f64,
    pub metric: f64,
}

impl Predictions {
    /// Zeroed predictions of the right shape for `model`'s outputs (`classify`: log-probabilities
    /// of every output, else one value per row), to be filled by [`predict_into`].
    pub fn zeros(rows: usize, outputs: usize, classify: bool) -> Predictions {
        if classify {
            Predictions::LogProbabilities(Array2::zeros((rows, outputs)))
        } else {
            Predictions::Values(vec![0.0; rows])
        }
    }

    pub fn rows(&self) -> usize {
        match self {
            Predictions::LogProbabilities(p) => p.nrows(),
            Predictions::Values(v) => v.len(),
        }
    }

    /// Number of classes (0 for regression).
    pub fn classes(&self) -> usize {
        match self {
            Predictions::LogProbabilities(p) => p.ncols(),
            Predictions::Values(_) => 0,
        }
    }

    /// The predicted class of each row (argmax, first on ties); `None` for regression.
    pub fn classes_predicted(&self) -> Option<Vec<usize>> {
        match self {
            Predictions::LogProbabilities(p) => {
                Some(p.axis_iter(Axis(0)).map(|r| argmax(r.iter())).collect())
            }
            Predictions::Values(_) => None,
        }
    }

    fn same_shape(&self, other: &Predictions) -> bool {
        match (self, other) {
            (Predictions::LogProbabilities(a), Predictions::LogProbabilities(b)) => {
                a.dim() == b.dim()
            }
            (Predictions::Values(a), Predictions::Values(b)) => a.len() == b.len(),
            _ => false,
        }
    }
}

/// Index of the largest value: the first one on ties; NaN never wins (0 when all are NaN).
pub fn argmax<'a>(values: impl Iterator<Item = &'a f64>) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (j, &v) in values.enumerate() {
        if !v.is_nan() && best.is_none_or(|(_, max)| v > max) {
            best = Some((j, v));
        }
    }
    best.map_or(0, |(j, _)| j)
}

/// Log-softmax of each row of `logits` into `out`, in f64: `ln p_j = (z_j − max) − ln Σ_k
/// exp(z_k − max)`.
pub fn log_softmax_into(logits: ArrayView2<f32>, mut out: ndarray::ArrayViewMut2<f64>) {
    for (z, mut lp) in logits.axis_iter(Axis(0)).zip(out.axis_iter_mut(Axis(0))) {
        let max = f64::from(z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)));
        let sum: f64 = z.iter().map(|&v| (f64::from(v) - max).exp()).sum();
        let log_sum = sum.ln();
        for (l, &zj) in lp.iter_mut().zip(z.iter()) {
            *l = (f64::from(zj) - max) - log_sum;
        }
    }
}

/// `model`'s predictions for the rows of `x` into `out` (shaped by [`Predictions::zeros`]),
/// in chunks of the workspace's capacity. Allocates nothing.
pub fn predict_into(
    model: &Mlp,
    x: ArrayView2<f32>,
    ws: &mut Workspace,
    out: &mut Predictions,
) -> anyhow::Result<()> {
    let n = x.nrows();
    anyhow::ensure!(
        out.rows() == n,
        "predictions for {} cannot hold {}",
        crate::words::count(out.rows(), "row"),
        crate::words::count(n, "row")
    );
    anyhow::ensure!(
        x.ncols() == model.n_inputs(),
        "{} given to a model of {}",
        crate::words::count(x.ncols(), "feature"),
        crate::words::count(model.n_inputs(), "input")
    );
    let mut start = 0;
    while start < n {
        let end = (start + ws.capacity().min(CHUNK_ROWS)).min(n);
        let y = model.forward(x.slice(s![start..end, ..]), ws);
        match out {
            Predictions::LogProbabilities(p) => {
                anyhow::ensure!(
                    p.ncols() == y.ncols(),
                    "probabilities of {} from a model of {}",
                    crate::words::count(p.ncols(), "class"),
                    crate::words::count(y.ncols(), "output")
                );
                log_softmax_into(y, p.slice_mut(s![start..end, ..]));
            }
            Predictions::Values(v) => {
                anyhow::ensure!(
                    y.ncols() == 1,
                    "a regression model has one output, not {}",
                    y.ncols()
                );
                for (slot, &value) in v[start..end].iter_mut().zip(y.column(0)) {
                    *slot = value as f64;
                }
            }
        }
        start = end;
    }
    Ok(())
}

/// `model`'s predictions for the rows of `x` (classification when `classify`).
pub fn predict(model: &Mlp, x: ArrayView2<f32>, classify: bool) -> anyhow::Result<Predictions> {
    let mut ws = Workspace::new(model, CHUNK_ROWS.min(x.nrows().max(1)));
    let mut out = Predictions::zeros(x.nrows(), model.n_outputs(), classify);
    predict_into(model, x, &mut ws, &mut out)?;
    Ok(out)
}

/// The uniform average of `members` (all of one shape) into `out` (of the same shape): the mean
/// of the probabilities, computed in log space (`ln p̄ = max + ln Σ_i exp(ln p_i − max) − ln m`,
/// `max` the largest `ln p_i`); the mean of the values for regression. Members are taken in the
/// order given, and one member is returned exactly.
pub fn average_into(members: &[&Predictions], out: &mut Predictions) -> anyhow::Result<()> {
    anyhow::ensure!(!members.is_empty(), "an ensemble needs at least one member");
    for m in members {
        anyhow::ensure!(
            m.same_shape(out),
            "ensemble members must predict the same rows and classes"
        );
    }
    let count = members.len() as f64;
    match out {
        Predictions::LogProbabilities(acc) => {
            let logs: Vec<&Array2<f64>> = members
                .iter()
                .filter_map(|m| match m {
                    Predictions::LogProbabilities(p) => Some(p),
                    Predictions::Values(_) => None,
                })
                .collect();
            let log_count = count.ln();
            for ((i, j), slot) in acc.indexed_iter_mut() {
                let max = logs.iter().fold(f64::NEG_INFINITY, |m, p| m.max(p[[i, j]]));
                *slot = if max == f64::NEG_INFINITY {
                    max
                } else {
                    let sum: f64 = logs.iter().map(|p| (p[[i, j]] - max).exp()).sum();
                    max + sum.ln() - log_count
                };
            }
        }
        Predictions::Values(acc) => {
            acc.iter_mut().for_each(|v| *v = 0.0);
            for m in members {
                if let Predictions::Values(p) = m {
                    for (a, &v) in acc.iter_mut().zip(p) {
                        *a += v;
                    }
                }
            }
            acc.iter_mut().for_each(|v| *v /= count);
        }
    }
    Ok(())
}

/// The uniform average of `members`.
pub fn average(members: &[&Predictions]) -> anyhow::Result<Predictions> {
    let first = members
        .first()
        .ok_or_else(|| anyhow::anyhow!("an ensemble needs at least one member"))?;
    let mut out = (*first).clone();
    average_into(members, &mut out)?;
    Ok(out)
}

/// Loss and accuracy (classification) or mean squared error and R² (regression) of `pred`
/// against `targets`.
pub fn metrics(pred: &Predictions, targets: Targets) -> anyhow::Result<Metrics> {
    anyhow::ensure!(
        pred.rows() == targets.len(),
        "{} predictions for {} targets",
        pred.rows(),
        targets.len()
    );
    let rows = targets.len();
    if rows == 0 {
        return Ok(Metrics {
            loss: f64::NAN,
            metric: f64::NAN,
        });
    }
    match (pred, targets) {
        (Predictions::LogProbabilities(p), Targets::Classes(labels)) => {
            let mut loss = 0.0;
            let mut correct = 0usize;
            for (row, &y) in p.axis_iter(Axis(0)).zip(labels) {
                let y = y as usize;
                anyhow::ensure!(
                    y < row.len(),
                    "class {y} is beyond the model's {}",
                    crate::words::count(row.len(), "output")
                );
                let log_p = row[y];
                loss -= if log_p.is_finite() {
                    log_p
                } else {
                    PROB_EPS.ln()
                };
                if argmax(row.iter()) == y {
                    correct += 1;
                }
            }
            Ok(Metrics {
                loss: loss / rows as f64,
                metric: correct as f64 / rows as f64,
            })
        }
        (Predictions::Values(v), Targets::Values(y)) => {
            let mean = y.iter().map(|&t| t as f64).sum::<f64>() / rows as f64;
            let sse: f64 = v.iter().zip(y).map(|(&p, &t)| (p - t as f64).powi(2)).sum();
            let sst: f64 = y.iter().map(|&t| (t as f64 - mean).powi(2)).sum();
            Ok(Metrics {
                loss: sse / rows as f64,
                metric: if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN },
            })
        }
        _ => anyhow::bail!("classification predictions need class targets, regression values"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, InitScheme, Linear};
    use ndarray::{Array1, array};
    use rand::SeedableRng;

    fn probs(rows: &[&[f64]]) -> Predictions {
        let cols = rows[0].len();
        let flat: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        let logs = Array2::from_shape_vec((rows.len(), cols), flat).unwrap();
        Predictions::LogProbabilities(logs.mapv(f64::ln))
    }

    fn softmax(z: &[f32]) -> Vec<f64> {
        let logits = Array2::from_shape_vec((1, z.len()), z.to_vec()).unwrap();
        let mut out = Array2::zeros((1, z.len()));
        log_softmax_into(logits.view(), out.view_mut());
        out.row(0).iter().map(|l| l.exp()).collect()
    }

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let p = softmax(&[1.0, 2.0, 3.0]);
        // PyTorch: torch.softmax(torch.tensor([1., 2., 3.]), 0) = [0.0900306, 0.2447285, 0.6652410]
        for (a, b) in p.iter().zip([0.090_030_6, 0.244_728_5, 0.665_241_0]) {
            assert!((a - b).abs() < 1e-7, "{p:?}");
        }
        let p = softmax(&[1000.0, -1000.0, 1000.0]);
        assert_eq!(p, vec![0.5, 0.0, 0.5]);
        // the log-probability of a hopeless class stays finite
        let logits = ndarray::array![[1000.0f32, -1000.0]];
        let mut lp = Array2::zeros((1, 2));
        log_softmax_into(logits.view(), lp.view_mut());
        assert_eq!(lp, ndarray::array![[0.0, -2000.0]]);
        assert!((softmax(&[0.3, -0.2, 5.0, 1.0]).iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn argmax_takes_the_first_of_ties() {
        assert_eq!(argmax([0.2, 0.5, 0.5, 0.1].iter()), 1);
        assert_eq!(argmax([0.7, 0.3].iter()), 0);
        assert_eq!(argmax([0.3, 0.3].iter()), 0);
        assert_eq!(argmax([f64::NAN, 0.3].iter()), 1);
    }

    #[test]
    fn classification_loss_and_accuracy() {
        let p = probs(&[&[0.7, 0.2, 0.1], &[0.1, 0.3, 0.6], &[0.5, 0.5, 0.0]]);
        let m = metrics(&p, Targets::Classes(&[0, 1, 2])).unwrap();
        // p = 0 is ln p = −inf, clamped at ln PROB_EPS
        let want = -(0.7f64.ln() + 0.3f64.ln() + PROB_EPS.ln()) / 3.0;
        assert!((m.loss - want).abs() < 1e-12, "{m:?}");
        assert_eq!(m.metric, 1.0 / 3.0);
    }

    #[test]
    fn regression_mse_and_r2() {
        let p = Predictions::Values(vec![1.0, 2.0, 4.0]);
        let m = metrics(&p, Targets::Values(&[1.0, 3.0, 5.0])).unwrap();
        assert_eq!(m.loss, 2.0 / 3.0);
        // SST around the mean 3: 4 + 0 + 4 = 8; SSE 2
        assert_eq!(m.metric, 1.0 - 2.0 / 8.0);
        let flat = metrics(&p, Targets::Values(&[2.0, 2.0, 2.0])).unwrap();
        assert!(flat.metric.is_nan());
    }

    #[test]
    fn an_ensemble_of_one_is_that_model() {
        let p = probs(&[&[0.7, 0.2, 0.1], &[0.1, 0.3, 0.6]]);
        let e = average(&[&p]).unwrap();
        assert_eq!(e, p);
        let t = Targets::Classes(&[0, 2]);
        assert_eq!(metrics(&e, t).unwrap(), metrics(&p, t).unwrap());
        let v = Predictions::Values(vec![0.1, -3.0, 7.25]);
        assert_eq!(average(&[&v]).unwrap(), v);
    }

    fn model(seed: u64) -> Mlp {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        Mlp::new(&[4, 6, 3], Activation::Tanh, InitScheme::Torch, &mut rng)
    }

    fn data() -> (Array2<f32>, Vec<u32>) {
        let x = Array2::from_shape_fn((50, 4), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0);
        let y = (0..50).map(|i| (i % 3) as u32).collect();
        (x, y)
    }

    #[test]
    fn a_single_model_matches_the_training_loss() {
        let (x, y) = data();
        let m = model(1);
        let p = predict(&m, x.view(), true).unwrap();
        let mine = metrics(&p, Targets::Classes(&y)).unwrap();
        let mut ws = Workspace::new(&m, 16);
        let sums = m.evaluate(x.view(), Targets::Classes(&y), &mut ws);
        // the training loss rounds each `z − max` to f32, the ensemble path does not
        assert!(
            (mine.loss - sums.mean_loss()).abs() < 1e-7,
            "{mine:?} {sums:?}"
        );
        assert_eq!(mine.metric, sums.accuracy());
        // chunking does not change a bit
        let mut small = Workspace::new(&m, 7);
        let mut again = Predictions::zeros(50, 3, true);
        predict_into(&m, x.view(), &mut small, &mut again).unwrap();
        assert_eq!(again, p);
    }

    #[test]
    fn averaging_is_over_probabilities_not_logits() {
        // Three models on one row of two classes: one is extremely sure of class 1, two are
        // fairly sure of class 0. Averaged probabilities pick class 0 (0.587); averaged logits
        // [4/3, 20/3] would pick class 1.
        let logits: [[f32; 2]; 3] = [[0.0, 20.0], [2.0, 0.0], [2.0, 0.0]];
        let members: Vec<Predictions> = logits.iter().map(|z| probs(&[&softmax(z)])).collect();
        let refs: Vec<&Predictions> = members.iter().collect();
        let ens = average(&refs).unwrap();
        let Predictions::LogProbabilities(lp) = &ens else {
            unreachable!()
        };
        let p0 = (softmax(&[0.0, 20.0])[0] + 2.0 * softmax(&[2.0, 0.0])[0]) / 3.0;
        assert!((lp[[0, 0]].exp() - p0).abs() < 1e-15 && p0 > 0.58);
        assert_eq!(ens.classes_predicted().unwrap(), vec![0]);
        let m = metrics(&ens, Targets::Classes(&[0])).unwrap();
        assert_eq!(m.metric, 1.0);
        assert!((m.loss + p0.ln()).abs() < 1e-14);

        let mean_logits: Vec<f32> = (0..2)
            .map(|j| logits.iter().map(|z| z[j]).sum::<f32>() / 3.0)
            .collect();
        let by_logits = probs(&[&softmax(&mean_logits)]);
        assert_eq!(by_logits.classes_predicted().unwrap(), vec![1]);
        let wrong = metrics(&by_logits, Targets::Classes(&[0])).unwrap();
        assert_eq!(wrong.metric, 0.0);
        assert!(wrong.loss > 5.0 && m.loss < 0.6);
    }

    #[test]
    fn averaging_models_is_not_averaging_their_weights() {
        // 2 → 2 → 2 networks with tanh: layer 0 scales the input by w, layer 1 is the identity
        let net = |w: f32| Mlp {
            layers: vec![
                Linear {
                    weight: array![[w, 0.0], [0.0, w]],
                    bias: Array1::zeros(2),
                },
                Linear {
                    weight: array![[1.0, 0.0], [0.0, 1.0]],
                    bias: Array1::zeros(2),
                },
            ],
            activation: Activation::Tanh,
        };
        let x = array![[1.0f32, 0.0]];
        let pa = predict(&net(2.0), x.view(), true).unwrap();
        let pb = predict(&net(-1.0), x.view(), true).unwrap();
        let p0 = |p: &Predictions| match p {
            Predictions::LogProbabilities(p) => p[[0, 0]].exp(),
            Predictions::Values(_) => f64::NAN,
        };
        // members: σ(tanh 2) = 0.7240 and σ(tanh −1) = 0.3183, averaged 0.5212;
        // the weight average w = 0.5 gives σ(tanh 0.5) = 0.6136
        let ens = p0(&average(&[&pa, &pb]).unwrap());
        let weights = p0(&predict(&net(0.5), x.view(), true).unwrap());
        let sigma = |v: f64| 1.0 / (1.0 + (-v).exp());
        assert!((ens - (sigma(2f64.tanh()) + sigma((-1f64).tanh())) / 2.0).abs() < 1e-6);
        assert!((weights - sigma(0.5f64.tanh())).abs() < 1e-6);
        assert!((ens - weights).abs() > 0.05, "{ens} vs {weights}");
    }

    #[test]
    fn confident_mistakes_are_measured_not_clamped() {
        // logits (1000, −1000) against class 1: cross-entropy 2000, as the training loss says
        let confident = Predictions::LogProbabilities(ndarray::array![[0.0, -2000.0]]);
        let m = metrics(&confident, Targets::Classes(&[1])).unwrap();
        assert_eq!(m.loss, 2000.0);
        let sums = crate::nn::loss::loss_and_grad(
            ndarray::array![[1000.0f32, -1000.0]].view(),
            Targets::Classes(&[1]),
            None,
        );
        assert!((sums.mean_loss() - m.loss).abs() < 1e-9);
        // averaged with an unsure member, the ensemble is p̄[1] = (e^−2000 + 1/2)/2 ≈ 1/4
        let unsure = probs(&[&[0.5, 0.5]]);
        let ens = average(&[&confident, &unsure]).unwrap();
        let e = metrics(&ens, Targets::Classes(&[1])).unwrap();
        assert!((e.loss - 4f64.ln()).abs() < 1e-15, "{e:?}");
    }

    #[test]
    fn mismatched_shapes_are_errors_not_panics() {
        let p = probs(&[&[0.5, 0.5]]);
        let v = Predictions::Values(vec![1.0]);
        assert!(average(&[&p, &v]).is_err());
        assert!(average(&[]).is_err());
        assert!(metrics(&p, Targets::Values(&[1.0])).is_err());
        assert!(metrics(&p, Targets::Classes(&[0, 1])).is_err());
        assert!(metrics(&p, Targets::Classes(&[5])).is_err());
        let m = model(0);
        let x = Array2::<f32>::zeros((3, 5));
        assert!(predict(&m, x.view(), true).is_err());
    }
}

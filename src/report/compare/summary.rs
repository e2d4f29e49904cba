//! `summary.json` of a comparison, built as the typed [`CompareSummary`].

use serde_json::Value;

use super::{ArmStats, Experiment, RunRecord, Status};
use crate::report::records::{
    CompareRun, CompareSummary, EpochValue, PerEpoch, Present, RunEnsemble, RunFinal, RunSharpness,
    Shard, TargetReached,
};

/// `value` under the task's key: `(val_acc, val_r2)` for `metric` `acc` or `r2`.
fn by_metric<T>(metric: &str, value: T) -> (Present<T>, Present<T>) {
    if metric == "r2" {
        (None, Some(Some(value)))
    } else {
        (Some(Some(value)), None)
    }
}

/// The typed summary of a comparison.
pub fn summary_record(
    exp: &Experiment,
    shard: Option<(usize, usize)>,
    records: &[RunRecord],
    stats: &[ArmStats],
    files: &[&str],
) -> CompareSummary {
    let m = exp.metric.as_str();
    let runs = records
        .iter()
        .map(|r| {
            let epoch_value = |b: (usize, f64)| EpochValue {
                epoch: b.0 as u64,
                value: b.1,
            };
            let (best_val_acc, best_val_r2) =
                by_metric(m, r.best_metric().map(epoch_value)).into_flat();
            let last = r.last().map(|e| {
                let (val_acc, val_r2) = by_metric(m, e.val_metric).into_flat();
                RunFinal {
                    epoch: e.epoch as u64,
                    train_loss: Some(e.train_loss),
                    val_acc,
                    val_loss: e.val_loss,
                    val_r2,
                }
            });
            let ensemble = r.ensemble.map(|e| {
                let (val_acc, val_r2) = by_metric(m, e.val_metric);
                RunEnsemble {
                    size: e.size,
                    val_acc,
                    val_loss: Some(e.val_loss),
                    val_r2,
                }
            });
            let metric_curve: Vec<Option<f64>> = r.epochs.iter().map(|e| e.val_metric).collect();
            let (val_acc, val_r2) = if m == "r2" {
                (None, Some(metric_curve))
            } else {
                (Some(metric_curve), None)
            };
            CompareRun {
                arm: exp.arms[r.arm].name.clone(),
                best_val_acc,
                best_val_r2,
                diverged: r.status == Status::Diverged,
                diverged_step: r.diverged_step,
                ensemble,
                epochs: r.epochs.len() as u64,
                error: r.error.clone(),
                last,
                folder: exp.folder(r.arm, r.seed),
                min_val_loss: r.min_loss().map(epoch_value),
                per_epoch: PerEpoch {
                    train_loss: r.epochs.iter().map(|e| Some(e.train_loss)).collect(),
                    val_acc,
                    val_loss: r.epochs.iter().map(|e| e.val_loss).collect(),
                    val_r2,
                },
                seed: r.seed,
                sharpness: r.sharpness.map(|s| RunSharpness {
                    epsilon_sharpness: s.epsilon_sharpness,
                    top_eigenvalue: s.top_eigenvalue,
                }),
                status: r.status.name().to_string(),
                steps: r.steps,
                target: r.reached(exp.target).map(|t| TargetReached {
                    epoch: t.0 as u64,
                    step: t.1,
                }),
            }
        })
        .collect();
    CompareSummary {
        arms: stats.to_vec(),
        command: "compare".to_string(),
        experiment: exp.clone(),
        files: files.iter().map(|f| f.to_string()).collect(),
        interrupted: records
            .iter()
            .any(|r| matches!(r.status, Status::Interrupted | Status::NotRun)),
        lrtool_version: env!("CARGO_PKG_VERSION").to_string(),
        runs,
        shard: shard.map(|(i, n)| Shard {
            count: n as u64,
            index: i as u64,
        }),
        target: exp.target_text(),
    }
}

/// The summary as JSON (keys sorted, as every lrtool summary is written).
pub fn summary_json(
    exp: &Experiment,
    shard: Option<(usize, usize)>,
    records: &[RunRecord],
    stats: &[ArmStats],
    files: &[&str],
) -> Value {
    serde_json::to_value(summary_record(exp, shard, records, stats, files))
        .expect("a compare summary is JSON")
}

/// `(Some(Some(Option<T>)), …)` from `by_metric` over an `Option<T>`, flattened to the field's
/// `Present<T>` (`Some(None)` is `null`).
trait IntoFlat<T> {
    fn into_flat(self) -> (Present<T>, Present<T>);
}

impl<T> IntoFlat<T> for (Present<Option<T>>, Present<Option<T>>) {
    fn into_flat(self) -> (Present<T>, Present<T>) {
        (self.0.map(Option::flatten), self.1.map(Option::flatten))
    }
}

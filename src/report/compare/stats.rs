//! Statistics over seeds: each arm's mean ± std of its runs' results, and its paired
//! differences from the first arm.

use serde::{Deserialize, Serialize};

use super::{Experiment, RunRecord, Status};

/// Mean and sample standard deviation of the values that exist.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub n: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1); `None` below two values.
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Stat {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Stat {
        let v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        let n = v.len();
        if n == 0 {
            return Stat {
                n,
                mean: None,
                std: None,
                min: None,
                max: None,
            };
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        let std = (n > 1)
            .then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
        Stat {
            n,
            mean: Some(mean),
            std,
            min: v.iter().copied().reduce(f64::min),
            max: v.iter().copied().reduce(f64::max),
        }
    }

    /// `mean ± std` with `digits` decimals ("–" when empty).
    pub(super) fn text(&self, digits: usize) -> String {
        match (self.mean, self.std) {
            (Some(m), Some(s)) => format!("{m:.digits$} ± {s:.digits$}"),
            (Some(m), None) => format!("{m:.digits$}"),
            _ => "–".into(),
        }
    }
}

/// One arm's aggregate over its seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArmStats {
    pub name: String,
    pub runs: usize,
    pub finished: usize,
    pub diverged: usize,
    /// Statistics over the finished runs.
    pub final_val_loss: Stat,
    pub final_val_metric: Stat,
    /// This arm's final validation metric minus the first arm's, seed by seed (runs of a seed
    /// share initial weights and data order, so the pairing removes most seed-to-seed noise).
    pub final_val_metric_vs_first: Stat,
    pub best_val_metric: Stat,
    pub min_val_loss: Stat,
    pub ensemble_val_loss: Stat,
    pub ensemble_val_metric: Stat,
    /// This arm's ensemble metric minus the first arm's final metric, seed by seed.
    pub ensemble_val_metric_vs_first: Stat,
    /// Over the runs that reached the target (diverged ones included, if they got there first).
    pub reached: usize,
    pub epochs_to_target: Stat,
    pub steps_to_target: Stat,
    /// Mean steps to target over the first arm's mean (both arms must have reached it).
    pub steps_ratio_vs_first: Option<f64>,
}

pub fn arm_stats(exp: &Experiment, records: &[RunRecord]) -> Vec<ArmStats> {
    // the first arm's final metric per seed, for the paired differences
    let first_final: Vec<(u64, f64)> = records
        .iter()
        .filter(|r| r.arm == 0 && r.finished())
        .filter_map(|r| Some((r.seed, r.last()?.val_metric?)))
        .collect();
    let paired = |runs: &[&RunRecord], value: fn(&RunRecord) -> Option<f64>| {
        Stat::of(runs.iter().filter_map(|r| {
            let base = first_final.iter().find(|(s, _)| *s == r.seed)?.1;
            Some(value(r)? - base)
        }))
    };
    let mut stats: Vec<ArmStats> = exp
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let mine: Vec<&RunRecord> = records.iter().filter(|r| r.arm == a).collect();
            let done: Vec<&RunRecord> = mine.iter().copied().filter(|r| r.finished()).collect();
            let reached: Vec<(usize, u64)> =
                mine.iter().filter_map(|r| r.reached(exp.target)).collect();
            ArmStats {
                name: arm.name.clone(),
                runs: mine.len(),
                finished: done.len(),
                diverged: mine.iter().filter(|r| r.status == Status::Diverged).count(),
                final_val_loss: Stat::of(done.iter().filter_map(|r| r.last()?.val_loss)),
                final_val_metric: Stat::of(done.iter().filter_map(|r| r.last()?.val_metric)),
                final_val_metric_vs_first: paired(&done, |r| r.last()?.val_metric),
                best_val_metric: Stat::of(done.iter().filter_map(|r| Some(r.best_metric()?.1))),
                min_val_loss: Stat::of(done.iter().filter_map(|r| Some(r.min_loss()?.1))),
                ensemble_val_loss: Stat::of(done.iter().filter_map(|r| Some(r.ensemble?.val_loss))),
                ensemble_val_metric: Stat::of(
                    done.iter().filter_map(|r| Some(r.ensemble?.val_metric)),
                ),
                ensemble_val_metric_vs_first: paired(&done, |r| Some(r.ensemble?.val_metric)),
                reached: reached.len(),
                epochs_to_target: Stat::of(reached.iter().map(|r| r.0 as f64)),
                steps_to_target: Stat::of(reached.iter().map(|r| r.1 as f64)),
                steps_ratio_vs_first: None,
            }
        })
        .collect();
    let first = stats.first().and_then(|s| s.steps_to_target.mean);
    for s in &mut stats {
        s.steps_ratio_vs_first = match (s.steps_to_target.mean, first) {
            (Some(m), Some(f)) if f > 0.0 => Some(m / f),
            _ => None,
        };
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats() {
        let s = Stat::of([1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(s.n, 3);
        assert_eq!(s.mean, Some(2.0));
        assert_eq!(s.std, Some(1.0));
        assert_eq!(Stat::of([5.0]).std, None);
        assert_eq!(Stat::of([]).text(2), "–");
        assert_eq!(Stat::of([1.0, 3.0]).text(1), "2.0 ± 1.4");
    }
}

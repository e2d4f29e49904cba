//! The range test's analysis over one or several recorded sweeps of one LR range: the median
//! smoothed curve of the repeats with its quartiles, every suggestion method's median answer and
//! spread across sweeps, the consensus and its stability, the schedule bounds, the phase
//! diagnostics, and `--auto-extend`'s next range. Pure functions of the recorded curves (no
//! training, no files), shared by `lrtool find-lr` and `lrtool suggest`.

use serde::{Deserialize, Serialize};

use crate::lr_finder::{self, Consensus, METHODS, Method, Phases, Suggestion, noise};

/// How one sweep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "kebab-case")]
pub enum SweepEnd {
    /// Reached `--max`.
    Completed,
    /// The divergence rule fired at this step.
    Diverged { step: u64 },
    /// The loss was NaN or infinite at this step.
    NonFinite { step: u64 },
    /// Ctrl-C or SIGTERM stopped the sweep after its last recorded step.
    Interrupted,
}

impl SweepEnd {
    /// The `end` tag as written: `completed`, `diverged`, `non-finite` or `interrupted`.
    pub fn name(self) -> &'static str {
        match self {
            SweepEnd::Completed => "completed",
            SweepEnd::Diverged { .. } => "diverged",
            SweepEnd::NonFinite { .. } => "non-finite",
            SweepEnd::Interrupted => "interrupted",
        }
    }
}

/// One recorded sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub seed: u64,
    /// The LR of every recorded step.
    pub lrs: Vec<f64>,
    pub losses: Vec<f64>,
    pub smooth: Vec<f64>,
    /// The smoothing factor β that made `smooth` from `losses` (0: none).
    pub beta: f64,
    pub end: SweepEnd,
    /// The rows the sweep trained on.
    pub rows: usize,
    /// The unrecorded steps below `--min` (`--warmup-from`); None when there were none.
    pub run_in: Option<RunIn>,
}

/// The steps a sweep took below `--min` on its grid without recording them (`--warmup-from`),
/// and whether it kept them: a sweep whose run-in moved the loss on the probe rows by more than
/// [`RUN_IN_TOLERANCE`] started again from its initial weights with a fresh optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunIn {
    pub steps: u64,
    /// The LR of its first step.
    pub from: f64,
    /// The loss on the probe rows before and after it (NaN after a non-finite one).
    pub probe_before: f64,
    pub probe_after: f64,
    pub kept: bool,
}

/// Largest relative change of the probe loss a kept run-in may make: 1 %. Below the flat start
/// the steps move the weights by far less (digits, Adam, 1e-12 to 1e-6: 2e-6 of the loss).
pub const RUN_IN_TOLERANCE: f64 = 0.01;

/// Rows of the training split the run-in's probe loss is measured on (the first ones).
pub const PROBE_ROWS: usize = 256;

impl RunIn {
    /// The probe loss's relative change.
    pub fn change(&self) -> f64 {
        (self.probe_after - self.probe_before).abs() / self.probe_before.abs().max(1e-12)
    }
}

impl Sweep {
    pub fn diverged(&self) -> bool {
        matches!(
            self.end,
            SweepEnd::Diverged { .. } | SweepEnd::NonFinite { .. }
        )
    }
}

/// One method's answer over all sweeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodResult {
    pub method: Method,
    /// The answer (median over repeats).
    pub lr: Option<f64>,
    /// Interquartile range of the answers across repeats, in decades (repeats only).
    pub iqr_decades: Option<f64>,
    /// Each sweep's answer.
    pub per_sweep: Vec<Option<f64>>,
}

/// The median smoothed curve over repeats with its quartiles (one point per step reached by at
/// least half of the sweeps).
#[derive(Debug, Clone, Default)]
pub struct Band {
    pub lrs: Vec<f64>,
    pub q25: Vec<f64>,
    pub median: Vec<f64>,
    pub q75: Vec<f64>,
    /// The median raw loss at each point (what the noise-aware phases are read from).
    pub raw: Vec<f64>,
}

/// The analysis of one range (one or several sweeps).
#[derive(Debug, Clone)]
pub struct Analysis {
    pub min: f64,
    pub max: f64,
    pub sweeps: Vec<Sweep>,
    pub band: Band,
    pub methods: Vec<MethodResult>,
    pub consensus: Consensus,
    pub consensus_iqr_decades: Option<f64>,
    pub stability: Option<&'static str>,
    pub cyclic_max: Option<f64>,
    pub phases: Phases,
}

/// The median of the positive, finite `values` on a log scale and their interquartile range in
/// decades; one value is returned exactly (spread 0), none gives `(None, None)`.
pub fn median_log(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let logs: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|v| v.log10())
        .collect();
    if let [only] = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect::<Vec<_>>()[..]
    {
        // one answer: report it exactly, not through 10^log10
        return (Some(only), Some(0.0));
    }
    match lr_finder::quartiles(&logs) {
        Some((q25, q50, q75)) => (Some(10f64.powf(q50)), Some(q75 - q25)),
        None => (None, None),
    }
}

/// Analyse the sweeps of the range `min..max`: the median band, each method's median answer,
/// the consensus (and its spread across sweeps when there are several), phases and bounds.
pub fn analyse(sweeps: Vec<Sweep>, min: f64, max: f64) -> Analysis {
    let repeats = sweeps.len();
    // median curve
    let longest = sweeps.iter().map(|s| s.smooth.len()).max().unwrap_or(0);
    let mut band = Band::default();
    for i in 0..longest {
        let values: Vec<f64> = sweeps
            .iter()
            .filter_map(|s| s.smooth.get(i).copied())
            .filter(|v| v.is_finite())
            .collect();
        if values.len() * 2 < repeats || values.is_empty() {
            break;
        }
        let (q25, q50, q75) = lr_finder::quartiles(&values).expect("non-empty");
        let lr = sweeps
            .iter()
            .find_map(|s| s.lrs.get(i).copied())
            .unwrap_or(f64::NAN);
        band.lrs.push(lr);
        band.q25.push(q25);
        band.median.push(q50);
        band.q75.push(q75);
        let raws: Vec<f64> = sweeps
            .iter()
            .filter_map(|s| s.losses.get(i).copied())
            .collect();
        band.raw
            .push(lr_finder::quartiles(&raws).map_or(f64::NAN, |q| q.1));
    }
    let per_sweep: Vec<Vec<Suggestion>> = sweeps
        .iter()
        .map(|s| noise::stable_suggestions(&s.lrs, &s.losses, &s.smooth, s.beta).suggestions)
        .collect();
    let methods: Vec<MethodResult> = METHODS
        .iter()
        .enumerate()
        .map(|(k, &method)| {
            let answers: Vec<Option<f64>> = per_sweep.iter().map(|s| s[k].lr).collect();
            let found: Vec<f64> = answers.iter().flatten().copied().collect();
            let (lr, iqr) = median_log(&found);
            MethodResult {
                method,
                lr,
                iqr_decades: if repeats > 1 { iqr } else { None },
                per_sweep: answers,
            }
        })
        .collect();
    let medians: Vec<Suggestion> = methods
        .iter()
        .map(|m| Suggestion {
            method: m.method,
            lr: m.lr,
            index: None,
        })
        .collect();
    let consensus = lr_finder::consensus(&medians);
    let (consensus_iqr_decades, stability) = if repeats > 1 {
        let per: Vec<f64> = per_sweep
            .iter()
            .filter_map(|s| lr_finder::consensus(s).lr)
            .collect();
        let (_, iqr) = median_log(&per);
        let verdict = iqr.map(|d| {
            if d < 0.3 {
                "stable"
            } else if d < 0.6 {
                "somewhat unstable"
            } else {
                "unstable"
            }
        });
        (iqr, verdict)
    } else {
        (None, None)
    };
    let diverged = sweeps.iter().filter(|s| s.diverged()).count() * 2 > repeats;
    let phases = noise::phases(&band.lrs, &band.raw, &band.median, diverged, min, max);
    let cyclic_max = lr_finder::still_steep_max(&band.lrs, &band.median);
    Analysis {
        min,
        max,
        sweeps,
        band,
        methods,
        consensus,
        consensus_iqr_decades,
        stability,
        cyclic_max,
        phases,
    }
}

/// `--auto-extend`: the next range when a phase is missing, or None when nothing can be widened.
pub fn extended_range(a: &Analysis) -> Option<(f64, f64)> {
    let p = &a.phases;
    if (p.descent && p.flat_start && p.divergence) || p.no_signal {
        return None;
    }
    let mut min = a.min;
    let mut max = a.max;
    if !p.descent && p.divergence {
        min /= 100.0;
    } else if !p.descent {
        max *= 100.0;
    } else {
        if !p.flat_start {
            min /= 100.0;
        }
        if !p.divergence {
            max *= 10.0;
        }
    }
    let min = min.max(1e-12);
    let max = max.min(1e4);
    ((min, max) != (a.min, a.max)).then_some((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A U-shaped curve over 1e-5 … 10: flat, falling, then rising again.
    fn sweep(seed: u64, shift: f64) -> Sweep {
        let n = 120;
        let lrs: Vec<f64> = (0..n)
            .map(|i| 1e-5 * 1e6f64.powf(i as f64 / (n - 1) as f64))
            .collect();
        let losses: Vec<f64> = lrs
            .iter()
            .map(|&lr| {
                let x = lr.log10() + 2.0 + shift;
                if x < -2.0 {
                    2.0
                } else {
                    2.0 - 0.5 * (x + 2.0) + 0.6 * (x + 2.0).powi(2) * (x > 0.0) as i32 as f64
                }
            })
            .collect();
        Sweep {
            seed,
            smooth: losses.clone(),
            beta: 0.0,
            lrs,
            losses,
            end: SweepEnd::Completed,
            rows: 0,
            run_in: None,
        }
    }

    #[test]
    fn median_log_of_one_value_is_exact() {
        assert_eq!(median_log(&[3e-3]), (Some(3e-3), Some(0.0)));
        assert_eq!(median_log(&[]), (None, None));
        assert_eq!(median_log(&[f64::NAN, -1.0]), (None, None));
        let (m, iqr) = median_log(&[1e-3, 1e-2, 1e-1]);
        assert!((m.unwrap() - 1e-2).abs() < 1e-15);
        assert!(iqr.unwrap() > 0.0);
    }

    #[test]
    fn one_sweep_gives_its_own_curve_and_no_spread() {
        let s = sweep(0, 0.0);
        let a = analyse(vec![s.clone()], 1e-5, 10.0);
        assert_eq!(a.band.median, s.smooth);
        assert_eq!(a.band.lrs, s.lrs);
        assert_eq!(a.methods.len(), METHODS.len());
        assert!(a.methods.iter().all(|m| m.iqr_decades.is_none()));
        assert!(a.stability.is_none());
        assert!(a.consensus.lr.is_some());
    }

    #[test]
    fn repeats_give_a_median_band_and_a_stability_verdict() {
        let sweeps = vec![sweep(0, -0.1), sweep(1, 0.0), sweep(2, 0.1)];
        let a = analyse(sweeps, 1e-5, 10.0);
        assert_eq!(a.band.lrs.len(), 120);
        for i in 0..a.band.lrs.len() {
            assert!(a.band.q25[i] <= a.band.median[i] && a.band.median[i] <= a.band.q75[i]);
        }
        assert!(a.methods.iter().all(|m| m.per_sweep.len() == 3));
        assert!(a.stability.is_some());
    }

    #[test]
    fn extended_range_widens_only_what_is_missing() {
        let mut a = analyse(vec![sweep(0, 0.0)], 1e-5, 10.0);
        a.phases.flat_start = true;
        a.phases.descent = true;
        a.phases.divergence = true;
        assert_eq!(extended_range(&a), None);
        a.phases.divergence = false;
        assert_eq!(extended_range(&a), Some((1e-5, 100.0)));
        a.phases.descent = false;
        assert_eq!(extended_range(&a), Some((1e-5, 1000.0)));
        a.phases.divergence = true;
        let (lo, hi) = extended_range(&a).unwrap();
        assert!((lo - 1e-7).abs() < 1e-20 && hi == 10.0);
        // flat within noise at --min, then a rise: nothing below --min or above --max would show
        // a descent
        a.phases.no_signal = true;
        assert_eq!(extended_range(&a), None);
    }
}

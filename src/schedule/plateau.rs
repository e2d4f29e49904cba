//! `plateau`: PyTorch `ReduceLROnPlateau`, a feedback policy rather than a schedule of the step.
//!
//! Its LR depends on a monitored quantity (validation loss by default) that only the training
//! loop knows, so it is not a [`Schedule`]: it is plain data ([`Plateau`], the rule and an
//! optional warm-up) plus an explicit state ([`PlateauState`]) that the loop informs once per
//! epoch, after validation, through [`ReduceOnPlateau::step`]. Given the same metric sequence it
//! is as deterministic as any schedule: `lrtool schedule --metrics FILE.csv` replays it from a
//! recorded column (an `epochs.csv`), so it can be printed, plotted and tested without training.
//!
//! The rule, exactly as `torch.optim.lr_scheduler.ReduceLROnPlateau` (2.x), per `step(a)`:
//!
//! - better: min/rel `a < best·(1 − threshold)`, min/abs `a < best − threshold`, max/rel
//!   `a > best·(1 + threshold)`, max/abs `a > best + threshold` (`best` starts at ±∞; a NaN is
//!   never better);
//! - better → `best = a, bad = 0`, else `bad += 1`;
//! - in cooldown (`cooldown_counter > 0`) → `cooldown_counter −= 1, bad = 0`;
//! - `bad > patience` → `new = max(lr·factor, min_lr)`, applied only when `lr − new > eps`;
//!   then `cooldown_counter = cooldown, bad = 0`.
//!
//! So the first cut comes after `patience + 1` bad epochs in a row (Keras cuts after `patience`).
//!
//! Warm-up (`--warmup-steps`/`--warmup-epochs`): the LR rises linearly from `f·lr` as in
//! [`super::Warmup`] (PyTorch `LinearLR`), and epochs that end inside the warm-up (after at most
//! `W` steps) do not inform the rule: it starts listening with the first epoch that ends after the
//! warm-up, as a PyTorch loop that calls the warm-up's `step()` during warm-up epochs and
//! `plateau.step(val_loss)` after them.

use serde::Serialize;

use super::spec::{FamilyInfo, epochs_to_steps, fraction};
use super::{Schedule, ScheduleKind, ScheduleSpec, within};
use crate::input_bail;

/// Whether a lower (`min`) or a higher (`max`) monitored value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlateauMode {
    Min,
    Max,
}

impl PlateauMode {
    pub fn name(self) -> &'static str {
        match self {
            PlateauMode::Min => "min",
            PlateauMode::Max => "max",
        }
    }
}

/// How `--threshold` compares a value with the best so far: relative or absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThresholdMode {
    Rel,
    Abs,
}

impl ThresholdMode {
    pub fn name(self) -> &'static str {
        match self {
            ThresholdMode::Rel => "rel",
            ThresholdMode::Abs => "abs",
        }
    }
}

/// PyTorch `ReduceLROnPlateau`'s parameters; `lr` is the LR it starts from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReduceOnPlateau {
    pub lr: f64,
    pub mode: PlateauMode,
    pub factor: f64,
    pub patience: u64,
    pub threshold: f64,
    pub threshold_mode: ThresholdMode,
    pub cooldown: u64,
    pub min_lr: f64,
    pub eps: f64,
}

/// The rule's counters between two epochs (PyTorch's attributes of the same names).
#[derive(Debug, Clone, PartialEq)]
pub struct PlateauState {
    /// The LR the next steps use.
    pub lr: f64,
    pub best: f64,
    pub num_bad_epochs: u64,
    pub cooldown_counter: u64,
    /// Metrics received so far.
    pub last_epoch: u64,
}

impl ReduceOnPlateau {
    /// The state before the first metric (`best` the worst value of the mode).
    pub fn start(&self) -> PlateauState {
        PlateauState {
            lr: self.lr,
            best: match self.mode {
                PlateauMode::Min => f64::INFINITY,
                PlateauMode::Max => f64::NEG_INFINITY,
            },
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
        }
    }

    /// PyTorch's `_is_better(a, best)`, the same expressions in the same order.
    pub fn is_better(&self, a: f64, best: f64) -> bool {
        match (self.mode, self.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - self.threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - self.threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (self.threshold + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + self.threshold,
        }
    }

    /// PyTorch's `step(metrics)`: take one epoch's monitored value; true when it cut the LR.
    pub fn step(&self, s: &mut PlateauState, current: f64) -> bool {
        s.last_epoch += 1;
        if self.is_better(current, s.best) {
            s.best = current;
            s.num_bad_epochs = 0;
        } else {
            s.num_bad_epochs += 1;
        }
        if s.cooldown_counter > 0 {
            s.cooldown_counter -= 1;
            s.num_bad_epochs = 0; // bad epochs in cooldown are ignored
        }
        let mut cut = false;
        if s.num_bad_epochs > self.patience {
            let new_lr = (s.lr * self.factor).max(self.min_lr);
            if s.lr - new_lr > self.eps {
                s.lr = new_lr;
                cut = true;
            }
            s.cooldown_counter = self.cooldown;
            s.num_bad_epochs = 0;
        }
        cut
    }

    /// The LR after each of `metrics` (what PyTorch's optimizer holds after each `step`).
    pub fn replay(&self, metrics: &[f64]) -> Vec<f64> {
        let mut s = self.start();
        metrics
            .iter()
            .map(|&m| {
                self.step(&mut s, m);
                s.lr
            })
            .collect()
    }
}

/// `--schedule plateau`: an optional linear warm-up to `--lr`, then ReduceLROnPlateau.
/// Serialized into `summary.json` as `{"name": "plateau", …}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "name", rename = "plateau")]
pub struct Plateau {
    /// Warm-up steps (0: none).
    pub warmup_steps: u64,
    pub warmup_start_factor: f64,
    pub rule: ReduceOnPlateau,
}

impl Plateau {
    /// The LR of `step` while the rule is in `state`: the warm-up ramp before `warmup_steps`,
    /// then the rule's current LR.
    pub fn lr(&self, state: &PlateauState, step: u64) -> f64 {
        if step >= self.warmup_steps {
            return state.lr;
        }
        let target = self.rule.lr;
        let f = self.warmup_start_factor;
        let v = target * (f + (1.0 - f) * step as f64 / self.warmup_steps as f64);
        within(v, target * f, target)
    }

    /// Whether an epoch that ended after `steps_done` optimizer steps informs the rule (it does
    /// not while the warm-up lasts).
    pub fn listens_after(&self, steps_done: u64) -> bool {
        steps_done > self.warmup_steps
    }

    /// One line with the rule's resolved parameters.
    pub fn describe(&self) -> String {
        let r = &self.rule;
        let mut text = format!(
            "plateau ({}): lr {} × {} once {} in a row are not better, threshold {} {}, cooldown {}, min-lr {}",
            r.mode.name(),
            super::num(r.lr),
            super::num(r.factor),
            crate::words::count(r.patience.saturating_add(1), "epoch"),
            super::num(r.threshold),
            r.threshold_mode.name(),
            r.cooldown,
            super::num(r.min_lr)
        );
        if self.warmup_steps > 0 {
            text = format!(
                "warm-up {} from {} × lr, then {text}",
                crate::words::count(self.warmup_steps, "step"),
                super::num(self.warmup_start_factor)
            );
        }
        text
    }

    /// The LR at every step `0 … steps − 1` with `spe` steps per epoch, when epoch `k`
    /// (1-based) reported `metrics[k − 1]`; `None` when `metrics` are too few for `steps`.
    pub fn replay_steps(&self, metrics: &[f64], steps: u64, spe: u64) -> Option<Vec<f64>> {
        let mut state = self.rule.start();
        let mut used = 0usize;
        let mut out = Vec::with_capacity(steps.min(1 << 24) as usize);
        for t in 0..steps {
            if t > 0 && t % spe == 0 {
                // epoch t/spe ended after t steps: it informs the rule unless inside the warm-up
                if self.listens_after(t) {
                    self.rule.step(&mut state, *metrics.get(used)?);
                }
                used += 1;
            }
            out.push(self.lr(&state, t));
        }
        Some(out)
    }
}

/// What a run's LR follows: a schedule of the step, or a feedback policy the loop informs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LrPlan {
    Schedule(Schedule),
    Plateau(Plateau),
}

impl LrPlan {
    pub fn describe(&self) -> String {
        match self {
            LrPlan::Schedule(s) => s.describe(),
            LrPlan::Plateau(p) => p.describe(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            LrPlan::Schedule(s) => s.name(),
            LrPlan::Plateau(_) => "plateau",
        }
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// PyTorch's defaults.
pub const DEFAULT_FACTOR: f64 = 0.1;
pub const DEFAULT_PATIENCE: u64 = 10;
pub const DEFAULT_THRESHOLD: f64 = 1e-4;
pub const DEFAULT_COOLDOWN: u64 = 0;
pub const DEFAULT_MIN_LR: f64 = 0.0;
pub const DEFAULT_EPS: f64 = 1e-8;

impl ScheduleSpec {
    /// What the run follows: [`ScheduleSpec::build`]'s schedule, or for `--schedule plateau` the
    /// feedback policy with `mode` (from `--monitor-mode`, or the monitored quantity's).
    pub fn build_plan(
        &self,
        lr: f64,
        steps_per_epoch: usize,
        total_steps: u64,
        mode: PlateauMode,
    ) -> anyhow::Result<LrPlan> {
        if self.schedule != ScheduleKind::Plateau {
            return self
                .build(lr, steps_per_epoch, total_steps)
                .map(LrPlan::Schedule);
        }
        let lr = super::check_lr("--lr", lr)?;
        self.check_flags_used()?;
        build(self, lr, steps_per_epoch, total_steps, mode).map(LrPlan::Plateau)
    }
}

/// `--schedule plateau` (flags already checked to be plateau's).
fn build(
    spec: &ScheduleSpec,
    lr: f64,
    steps_per_epoch: usize,
    total: u64,
    mode: PlateauMode,
) -> anyhow::Result<Plateau> {
    let spe = u64::try_from(steps_per_epoch.max(1)).unwrap_or(u64::MAX);
    let warmup_steps = match (spec.warmup_steps, spec.warmup_epochs) {
        (Some(w), _) => w,
        (None, Some(e)) => epochs_to_steps("--warmup-epochs", e, spe)?,
        (None, None) => 0,
    };
    if warmup_steps > 0 && warmup_steps >= total {
        input_bail!(
            "--warmup-{}: the warm-up ({}) must be shorter than the run ({})",
            if spec.warmup_steps.is_some() {
                "steps"
            } else {
                "epochs"
            },
            crate::words::count(warmup_steps, "step"),
            crate::words::count(total, "step")
        );
    }
    let warmup_start_factor = match spec.warmup_start_factor {
        Some(f) => fraction("--warmup-start-factor", f, false, true)?,
        None => 1.0 / 3.0,
    };
    let factor = match spec.factor {
        Some(f) => fraction("--factor", f, false, false)?,
        None => DEFAULT_FACTOR,
    };
    let threshold = spec.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(threshold.is_finite() && threshold >= 0.0) {
        input_bail!("--threshold {threshold}: must be a finite number of at least 0");
    }
    let eps = spec.plateau_eps.unwrap_or(DEFAULT_EPS);
    if !(eps.is_finite() && eps >= 0.0) {
        input_bail!("--plateau-eps {eps}: must be a finite number of at least 0");
    }
    Ok(Plateau {
        warmup_steps,
        warmup_start_factor,
        rule: ReduceOnPlateau {
            lr,
            mode,
            factor,
            patience: spec.patience.unwrap_or(DEFAULT_PATIENCE),
            threshold,
            threshold_mode: spec.threshold_mode.unwrap_or(ThresholdMode::Rel),
            cooldown: spec.cooldown.unwrap_or(DEFAULT_COOLDOWN),
            min_lr: spec.min_lr_or(lr, DEFAULT_MIN_LR)?,
            eps,
        },
    })
}

/// this family for `lrtool schedule --list`.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Plateau,
        flags: format!(
            "--lr --monitor [val_loss] --monitor-mode [min for losses, max for val_acc] --factor [{DEFAULT_FACTOR}] \
             --patience [{DEFAULT_PATIENCE}] --threshold [{DEFAULT_THRESHOLD:e}] --threshold-mode [rel] \
             --cooldown [{DEFAULT_COOLDOWN}] --min-lr [{DEFAULT_MIN_LR}] --plateau-eps [{DEFAULT_EPS:e}]"
        ),
        formula: "feedback, once per epoch after validation: a = --monitor; better = a < best·(1 − th) \
                  (min, rel), a < best − th (abs), a > best·(1 + th) / a > best + th (max); \
                  better → best = a, bad = 0, else bad += 1; in cooldown → bad = 0; \
                  bad > patience → lr = max(lr·factor, min-lr) unless that changes lr by ≤ eps, \
                  cooldown starts; `lrtool schedule --metrics epochs.csv` replays it",
        pytorch: "ReduceLROnPlateau(mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps) \
                  stepped with the metric once per epoch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(lr: f64, f: impl FnOnce(&mut ReduceOnPlateau)) -> ReduceOnPlateau {
        let mut r = ReduceOnPlateau {
            lr,
            mode: PlateauMode::Min,
            factor: DEFAULT_FACTOR,
            patience: DEFAULT_PATIENCE,
            threshold: DEFAULT_THRESHOLD,
            threshold_mode: ThresholdMode::Rel,
            cooldown: DEFAULT_COOLDOWN,
            min_lr: DEFAULT_MIN_LR,
            eps: DEFAULT_EPS,
        };
        f(&mut r);
        r
    }

    fn same(what: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(
                g.to_bits(),
                w.to_bits(),
                "{what}: after metric {i}: {g:e} vs {w:e}"
            );
        }
    }

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), the LR after each step(m):
    //   import torch
    //   from torch.optim.lr_scheduler import ReduceLROnPlateau as R
    //   def run(metrics, lr=1.0, **kw):
    //       o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    //       s = R(o, **kw)
    //       out = []
    //       for m in metrics:
    //           s.step(m); out.append(o.param_groups[0]["lr"])
    //       print(kw, [repr(v) for v in out])
    //   run([1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8999, 0.89991, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6],
    //       lr=1.0, patience=2, cooldown=1)
    //   run([1.0, 0.96, 0.94, 0.94, 0.90, 0.86, 0.85, 0.84, 0.70], lr=0.1, patience=1,
    //       factor=0.5, threshold=0.05, threshold_mode="abs")
    //   run([0.5, 0.6, 0.605, 0.61, 0.62, 0.7, 0.7, 0.7, 0.7, 0.71, 0.72], lr=0.3, mode="max",
    //       threshold=0.01, patience=0, cooldown=2)
    //   run([0.5, 0.52, 0.55, 0.56, 0.565, 0.6], lr=0.3, mode="max", threshold=0.02,
    //       threshold_mode="abs", patience=0)
    //   run([1.0]*8, lr=1e-3, patience=0, min_lr=2e-6)
    //   run([1.0]*8, lr=1e-3, patience=0, min_lr=0.0, eps=1e-6)
    #[test]
    fn matches_pytorch_reduce_lr_on_plateau() {
        // patience 2 (cut on the 3rd bad epoch), cooldown 1 (the epoch after a cut is not
        // counted), the default relative threshold 1e-4 (0.8999 beats 0.9 by more than 1e-4·0.9;
        // 0.89991 does not beat 0.8999)
        let r = rule(1.0, |r| {
            r.patience = 2;
            r.cooldown = 1;
        });
        let m = [
            1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8999, 0.89991, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6,
        ];
        let want = [
            1.0,
            1.0,
            1.0,
            1.0,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.010000000000000002,
            0.010000000000000002,
            0.010000000000000002,
        ];
        same("min rel patience 2 cooldown 1", &r.replay(&m), &want);

        // absolute threshold: an improvement must exceed 0.05
        let r = rule(0.1, |r| {
            r.patience = 1;
            r.factor = 0.5;
            r.threshold = 0.05;
            r.threshold_mode = ThresholdMode::Abs;
        });
        let m = [1.0, 0.96, 0.94, 0.94, 0.90, 0.86, 0.85, 0.84, 0.70];
        let want = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025];
        same("min abs", &r.replay(&m), &want);

        // mode max, relative threshold 1%, patience 0, cooldown 2
        let r = rule(0.3, |r| {
            r.mode = PlateauMode::Max;
            r.threshold = 0.01;
            r.patience = 0;
            r.cooldown = 2;
        });
        let m = [0.5, 0.6, 0.605, 0.61, 0.62, 0.7, 0.7, 0.7, 0.7, 0.71, 0.72];
        let want = [
            0.3, 0.3, 0.03, 0.03, 0.03, 0.03, 0.003, 0.003, 0.003, 0.003, 0.003,
        ];
        same("max rel cooldown 2", &r.replay(&m), &want);

        // mode max, absolute threshold 0.02
        let r = rule(0.3, |r| {
            r.mode = PlateauMode::Max;
            r.threshold = 0.02;
            r.threshold_mode = ThresholdMode::Abs;
            r.patience = 0;
        });
        let m = [0.5, 0.52, 0.55, 0.56, 0.565, 0.6];
        let want = [
            0.3,
            0.03,
            0.03,
            0.003,
            0.00030000000000000003,
            0.00030000000000000003,
        ];
        same("max abs", &r.replay(&m), &want);

        // the floor: min_lr holds the LR at 2e-6
        let r = rule(1e-3, |r| {
            r.patience = 0;
            r.min_lr = 2e-6;
        });
        let want = [0.001, 0.0001, 1e-05, 2e-06, 2e-06, 2e-06, 2e-06, 2e-06];
        same("min_lr", &r.replay(&[1.0; 8]), &want);

        // eps: a cut from 1e-6 to 1e-7 changes the LR by less than eps 1e-6 and is skipped
        let r = rule(1e-3, |r| {
            r.patience = 0;
            r.eps = 1e-6;
        });
        let want = [
            0.001,
            0.0001,
            1e-05,
            1.0000000000000002e-06,
            1.0000000000000002e-06,
            1.0000000000000002e-06,
            1.0000000000000002e-06,
            1.0000000000000002e-06,
        ];
        same("eps", &r.replay(&[1.0; 8]), &want);
    }

    #[test]
    fn a_nan_metric_is_a_bad_epoch() {
        let r = rule(1.0, |r| r.patience = 0);
        same("nan", &r.replay(&[1.0, f64::NAN, 0.5]), &[1.0, 0.1, 0.1]);
    }

    #[test]
    fn warm_up_then_listening_per_epoch() {
        let mut spec = ScheduleSpec::defaults(ScheduleKind::Plateau);
        spec.patience = Some(0);
        spec.warmup_steps = Some(4);
        spec.warmup_start_factor = Some(0.5);
        let LrPlan::Plateau(p) = spec.build_plan(0.2, 2, 12, PlateauMode::Min).unwrap() else {
            panic!("plateau")
        };
        // epochs of 2 steps: epochs 1 and 2 end inside the warm-up (after 2 and 4 steps) and are
        // not heard; epoch 3's metric 1.0 is the first (better); epoch 4's 1.0 is bad → cut
        let lrs = p.replay_steps(&[9.0, 9.0, 1.0, 1.0, 1.0], 12, 2).unwrap();
        let want = [
            0.1, 0.125, 0.15, 0.175, 0.2, 0.2, 0.2, 0.2, 0.02, 0.02, 0.002, 0.002,
        ];
        for (t, (g, w)) in lrs.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-15, "step {t}: {g} vs {w}");
        }
        assert_eq!(p.replay_steps(&[1.0; 4], 12, 2), None, "too few metrics");
        assert!(p.replay_steps(&[1.0; 5], 12, 2).is_some());
    }
}

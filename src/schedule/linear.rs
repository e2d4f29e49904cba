//! `linear`: move the LR in a straight line from `start_factor·lr` to `end_factor·lr` over
//! `--decay-steps` steps, then hold it (PyTorch `LinearLR`).
//!
//! Formula: `lr(t) = lr·(s + (e − s)·min(t, T)/T)` with `s = --start-factor`, `e = --end-factor`,
//! `T = --decay-steps` (PyTorch's `total_iters`), evaluated in PyTorch's closed-form order.
//!
//! Units: like `cosine` (whose `T_max` is in steps), `linear` changes every optimizer step:
//! `T` is in steps (`--decay-epochs E` gives `T = E·K`), so `LinearLR` stepped per batch. PyTorch's
//! documentation steps `LinearLR` once per epoch; that is the same table at one step per epoch
//! (`lrtool schedule --steps-per-epoch 1`), which is how the golden tests compare. The staircase
//! families (`step`, `multistep`, `exponential`) are the ones that hold within an epoch.
//!
//! Deliberate difference: PyTorch's `total_iters` defaults to 5; lrtool's `T` defaults to the
//! whole schedule (the run, or the segment of a `sequential` schedule), like cosine's `T_max`.

use serde::Serialize;

use super::spec::{FamilyInfo, fraction};
use super::{Schedule, ScheduleKind, ScheduleSpec, within};

/// `lr·(start + (end − start)·min(t, T)/T)`, held at `end·lr` from `T` on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Linear {
    pub lr: f64,
    pub start_factor: f64,
    pub end_factor: f64,
    /// `total_iters` in steps (at least 1).
    pub total_iters: u64,
}

impl Linear {
    pub fn lr(&self, step: u64) -> f64 {
        let (s, e) = (self.start_factor, self.end_factor);
        let t = step.min(self.total_iters) as f64;
        let v = self.lr * (s + (e - s) * t / self.total_iters.max(1) as f64);
        within(v, self.lr * s, self.lr * e)
    }

    pub fn lr_bounds(&self) -> (f64, f64) {
        let (a, b) = (self.lr * self.start_factor, self.lr * self.end_factor);
        (a.min(b), a.max(b))
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--start-factor` when not given (PyTorch LinearLR's).
pub const DEFAULT_START_FACTOR: f64 = 1.0 / 3.0;
/// `--end-factor` when not given (PyTorch LinearLR's).
pub const DEFAULT_END_FACTOR: f64 = 1.0;

/// `--schedule linear` over `total` steps (`spe` steps per epoch).
pub(super) fn build(
    spec: &ScheduleSpec,
    lr: f64,
    spe: u64,
    total: u64,
) -> anyhow::Result<Schedule> {
    let start_factor = match spec.start_factor {
        Some(f) => fraction("--start-factor", f, false, true)?,
        None => DEFAULT_START_FACTOR,
    };
    let end_factor = match spec.end_factor {
        Some(f) => fraction("--end-factor", f, true, true)?,
        None => DEFAULT_END_FACTOR,
    };
    Ok(Schedule::Linear(Linear {
        lr,
        start_factor,
        end_factor,
        total_iters: spec.decay_steps_or(spe, total.max(1))?,
    }))
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Linear,
        flags: format!(
            "--lr --start-factor [1/3] --end-factor [{DEFAULT_END_FACTOR}] --decay-steps T | \
             --decay-epochs E [T = N]"
        ),
        formula: "lr(t) = lr·(s + (e − s)·min(t, T)/T), s = start factor, e = end factor",
        pytorch: "LinearLR(start_factor, end_factor, total_iters=T) stepped per batch \
                  (PyTorch's default T is 5)",
    }
}

#[cfg(test)]
mod tests {
    use crate::schedule::test_util::check;
    use crate::schedule::{ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), one step per epoch:
    //   import torch; from torch.optim import SGD, lr_scheduler as L
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=8)
    //   for t in range(12): print(t, s.get_last_lr()[0]); o.step(); s.step()
    const LINEAR_LR: [(u64, f64); 12] = [
        (0, 0.025),
        (1, 0.03125),
        (2, 0.0375),
        (3, 0.043750000000000004),
        (4, 0.05),
        (5, 0.05625),
        (6, 0.0625),
        (7, 0.06875),
        (8, 0.075),
        (9, 0.075),
        (10, 0.075),
        (11, 0.075),
    ];
    // Same driver, L.LinearLR(o) (PyTorch's defaults: 1/3 → 1 over 5 iterations), range(8)
    const LINEAR_LR_DEFAULTS: [(u64, f64); 8] = [
        (0, 0.03333333333333333),
        (1, 0.04666666666666667),
        (2, 0.060000000000000005),
        (3, 0.07333333333333335),
        (4, 0.08666666666666668),
        (5, 0.1),
        (6, 0.1),
        (7, 0.1),
    ];

    #[test]
    fn matches_pytorch_linear_lr() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Linear);
        a.start_factor = Some(0.25);
        a.end_factor = Some(0.75);
        a.decay_steps = Some(8);
        let s = a.build(0.1, 1, 12).unwrap();
        check("LinearLR", |t| s.lr(t), &LINEAR_LR);
        assert_eq!(s.lr(u64::MAX), s.lr(8));
        // --decay-epochs 2 at 4 steps per epoch is T = 8 steps
        a.decay_steps = None;
        a.decay_epochs = Some(2);
        assert_eq!(a.build(0.1, 4, 48).unwrap(), s);
    }

    #[test]
    fn default_factors_are_pytorchs_and_default_length_is_the_run() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Linear);
        a.decay_steps = Some(5);
        let s = a.build(0.1, 1, 8).unwrap();
        check("LinearLR()", |t| s.lr(t), &LINEAR_LR_DEFAULTS);
        let whole = ScheduleSpec::defaults(ScheduleKind::Linear)
            .build(0.3, 1, 10)
            .unwrap();
        check(
            "1/3 → 1 over 10",
            |t| whole.lr(t),
            &[(0, 0.1), (5, 0.2), (10, 0.3)],
        );
    }
}

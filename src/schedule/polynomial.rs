//! `polynomial`: polynomial decay from `lr` to `--min-lr` over `--decay-steps` steps (PyTorch
//! `PolynomialLR`, Keras `PolynomialDecay`, including Keras's `cycle`).
//!
//! Formula (Keras `PolynomialDecay`, of which PyTorch `PolynomialLR` is the case `end = 0`):
//!
//! - without `--cycle`: `p = min(t, T)/T`, constant at `end` from `T` on;
//! - with `--cycle`: `T' = T·max(1, ⌈t/T⌉)` (Keras: the multiplier is 1 at step 0, else
//!   `ceil(t/T)`), `p = t/T'` — the LR reaches `end` at `t = T, 2T, 3T, …` and jumps back up on the
//!   next step to a decay over the next multiple of `T`;
//! - `lr(t) = (lr − end)·(1 − p)^power + end`, `end = --min-lr`.
//!
//! Units: every optimizer step, like `linear` and `cosine` (`--decay-epochs E` gives `T = E·K`);
//! Keras counts optimizer iterations, PyTorch's `PolynomialLR` stepped per epoch is the same table
//! at one step per epoch. `⌈t/T⌉` is integer arithmetic; Keras evaluates in float32, lrtool in f64.
//!
//! Deliberate differences: `--min-lr` defaults to 0 (PyTorch's; Keras's `end_learning_rate` is
//! 1e-4); `T` defaults to the whole schedule (PyTorch's `total_iters` defaults to 5, Keras's
//! `decay_steps` is required).

use serde::Serialize;

use super::spec::FamilyInfo;
use super::{Schedule, ScheduleKind, ScheduleSpec, within};
use crate::input_bail;

/// `(lr − end_lr)·(1 − p)^power + end_lr` (see the module docs for `p`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Polynomial {
    pub lr: f64,
    pub end_lr: f64,
    /// `total_iters` / `decay_steps` in steps (at least 1).
    pub decay_steps: u64,
    pub power: f64,
    /// Keras's `cycle=True`.
    pub cycle: bool,
}

impl Polynomial {
    pub fn lr(&self, step: u64) -> f64 {
        let d = self.decay_steps.max(1);
        let p = if self.cycle {
            let multiplier = if step == 0 { 1 } else { step.div_ceil(d) };
            // d·multiplier ≥ step, computed in f64 so that it cannot overflow
            step as f64 / (d as f64 * multiplier as f64)
        } else {
            step.min(d) as f64 / d as f64
        };
        let v = (self.lr - self.end_lr) * (1.0 - p).powf(self.power) + self.end_lr;
        within(v, self.end_lr, self.lr)
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--power` when not given (PyTorch's and Keras's).
pub const DEFAULT_POWER: f64 = 1.0;
/// `--min-lr` of polynomial when not given (PyTorch's PolynomialLR decays to 0).
pub const DEFAULT_END_LR: f64 = 0.0;

/// `--schedule polynomial` over `total` steps (`spe` steps per epoch).
pub(super) fn build(
    spec: &ScheduleSpec,
    lr: f64,
    spe: u64,
    total: u64,
) -> anyhow::Result<Schedule> {
    let power = spec.power.unwrap_or(DEFAULT_POWER);
    if !(power.is_finite() && power > 0.0) {
        input_bail!("--power {power}: must be a finite number above 0");
    }
    Ok(Schedule::Polynomial(Polynomial {
        lr,
        end_lr: spec.min_lr_or(lr, DEFAULT_END_LR)?,
        decay_steps: spec.decay_steps_or(spe, total.max(1))?,
        power,
        cycle: spec.cycle,
    }))
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Polynomial,
        flags: format!(
            "--lr --min-lr [{DEFAULT_END_LR}] --power [{DEFAULT_POWER}] --decay-steps T | \
             --decay-epochs E [T = N] --cycle"
        ),
        formula: "lr(t) = (lr − min)·(1 − p)^power + min, p = min(t, T)/T; with --cycle \
                  p = t/(T·max(1, ⌈t/T⌉)) (Keras)",
        pytorch: "PolynomialLR(total_iters=T, power) stepped per batch (min-lr 0); \
                  Keras PolynomialDecay(lr, T, end_learning_rate=min, power, cycle)",
    }
}

#[cfg(test)]
mod tests {
    use crate::schedule::test_util::check;
    use crate::schedule::{ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), one step per epoch:
    //   import torch; from torch.optim import SGD, lr_scheduler as L
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.PolynomialLR(o, total_iters=10, power=2.0)
    //   for t in range(13): print(t, s.get_last_lr()[0]); o.step(); s.step()
    const POLYNOMIAL_LR: [(u64, f64); 13] = [
        (0, 0.1),
        (1, 0.08100000000000002),
        (2, 0.06400000000000002),
        (3, 0.048999999999999995),
        (4, 0.036000000000000004),
        (5, 0.025000000000000005),
        (6, 0.016000000000000007),
        (7, 0.009000000000000008),
        (8, 0.004),
        (9, 0.001),
        (10, 0.0),
        (11, 0.0),
        (12, 0.0),
    ];

    // Keras is not installed here: Keras PolynomialDecay's documented rule
    // (keras/src/optimizers/schedules/learning_rate_schedule.py) evaluated in Python f64:
    //   def poly(t, init=0.1, D=10, end=0.01, power=0.5, cycle=True):
    //       step = float(t); ds = float(D)
    //       if cycle: ds = ds * (1.0 if step == 0 else math.ceil(step / ds))
    //       else: step = min(step, ds)
    //       return (init - end) * math.pow(1 - step / ds, power) + end
    //   for t in [0, 1, 5, 9, 10, 11, 15, 20, 21, 30, 31]: print(t, poly(t), poly(t, cycle=False))
    const KERAS_CYCLE: [(u64, f64); 11] = [
        (0, 0.1),
        (1, 0.09538149682454625),
        (5, 0.07363961030678928),
        (9, 0.03846049894151541),
        (10, 0.01),
        (11, 0.07037383539249432),
        (15, 0.05500000000000001),
        (20, 0.01),
        (21, 0.05929503017546497),
        (30, 0.01),
        (31, 0.05269074841227313),
    ];
    const KERAS_NO_CYCLE: [(u64, f64); 6] = [
        (0, 0.1),
        (5, 0.07363961030678928),
        (9, 0.03846049894151541),
        (10, 0.01),
        (11, 0.01),
        (31, 0.01),
    ];

    #[test]
    fn matches_pytorch_polynomial_lr() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Polynomial);
        a.decay_steps = Some(10);
        a.power = Some(2.0);
        let s = a.build(0.1, 1, 13).unwrap();
        check("PolynomialLR", |t| s.lr(t), &POLYNOMIAL_LR);
        assert_eq!(s.lr(u64::MAX), 0.0);
        // the default T is the run: power 1 from 0.1 to 0 over 10 steps
        let d = ScheduleSpec::defaults(ScheduleKind::Polynomial)
            .build(0.1, 1, 10)
            .unwrap();
        check("default", |t| d.lr(t), &[(0, 0.1), (5, 0.05), (10, 0.0)]);
    }

    #[test]
    fn matches_keras_polynomial_decay_with_and_without_cycle() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Polynomial);
        a.decay_steps = Some(10);
        a.power = Some(0.5);
        a.min_lr = Some(0.01);
        let plain = a.build(0.1, 1, 40).unwrap();
        check("PolynomialDecay", |t| plain.lr(t), &KERAS_NO_CYCLE);
        a.cycle = true;
        let cycled = a.build(0.1, 1, 40).unwrap();
        check(
            "PolynomialDecay(cycle=True)",
            |t| cycled.lr(t),
            &KERAS_CYCLE,
        );
        assert!(cycled.lr(u64::MAX).is_finite());
    }
}

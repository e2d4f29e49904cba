//! `inverse-time`: the 1/t decay of CS231n and Keras `InverseTimeDecay`.
//!
//! Formula (Keras): `lr(t) = lr / (1 + rate·p)`, `p = t/T`, or `p = ⌊t/T⌋` with `--staircase`;
//! `rate = --decay-rate`, `T = --decay-steps` (or `--decay-epochs E`, `T = E·K`). Every optimizer
//! step, as Keras counts iterations. PyTorch has no such scheduler (a `LambdaLR` would do).
//!
//! Defaults: Keras requires both `decay_rate` and `decay_steps`; lrtool takes the example of
//! Keras's documentation, rate 0.5 per unit, and one epoch as the unit (`T = K`), so the LR is
//! `lr/(1 + 0.5·t/K)`: two thirds of `lr` after two epochs, half after two more.

use serde::Serialize;

use super::spec::FamilyInfo;
use super::{Schedule, ScheduleKind, ScheduleSpec};
use crate::input_bail;

/// `lr / (1 + decay_rate·p)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InverseTime {
    pub lr: f64,
    pub decay_rate: f64,
    /// `decay_steps` in steps (at least 1).
    pub decay_steps: u64,
    pub staircase: bool,
}

impl InverseTime {
    pub fn lr(&self, step: u64) -> f64 {
        let d = self.decay_steps.max(1);
        let p = if self.staircase {
            (step / d) as f64
        } else {
            step as f64 / d as f64
        };
        let v = self.lr / (1.0 + self.decay_rate * p);
        v.min(self.lr)
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--decay-rate` when not given (the example of Keras's documentation).
pub const DEFAULT_DECAY_RATE: f64 = 0.5;

/// `--schedule inverse-time` (`spe` steps per epoch; `T` defaults to one epoch).
pub(super) fn build(spec: &ScheduleSpec, lr: f64, spe: u64) -> anyhow::Result<Schedule> {
    let decay_rate = spec.decay_rate.unwrap_or(DEFAULT_DECAY_RATE);
    if !(decay_rate.is_finite() && decay_rate >= 0.0) {
        input_bail!("--decay-rate {decay_rate}: must be a finite number of at least 0");
    }
    Ok(Schedule::InverseTime(InverseTime {
        lr,
        decay_rate,
        decay_steps: spec.decay_steps_or(spe, spe)?,
        staircase: spec.staircase,
    }))
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::InverseTime,
        flags: format!(
            "--lr --decay-rate [{DEFAULT_DECAY_RATE}] --decay-steps T | --decay-epochs E \
             [T = K, one epoch] --staircase"
        ),
        formula: "lr(t) = lr/(1 + rate·t/T); with --staircase lr/(1 + rate·⌊t/T⌋)",
        pytorch: "no scheduler (a LambdaLR); Keras InverseTimeDecay(lr, T, rate, staircase)",
    }
}

#[cfg(test)]
mod tests {
    use crate::schedule::test_util::check;
    use crate::schedule::{ScheduleKind, ScheduleSpec};

    // Keras is not installed here: Keras InverseTimeDecay's documented rule
    // (keras/src/optimizers/schedules/learning_rate_schedule.py) evaluated in Python f64:
    //   def inv(t, init=0.1, D=10, rate=0.5, stair=False):
    //       p = t / D
    //       if stair: p = math.floor(p)
    //       return init / (1 + rate * p)
    //   for t in [0, 1, 5, 9, 10, 11, 19, 20, 25, 100]: print(t, inv(t), inv(t, stair=True))
    const KERAS_SMOOTH: [(u64, f64); 10] = [
        (0, 0.1),
        (1, 0.09523809523809523),
        (5, 0.08),
        (9, 0.06896551724137931),
        (10, 0.06666666666666667),
        (11, 0.06451612903225806),
        (19, 0.05128205128205129),
        (20, 0.05),
        (25, 0.044444444444444446),
        (100, 0.016666666666666666),
    ];
    const KERAS_STAIRCASE: [(u64, f64); 10] = [
        (0, 0.1),
        (1, 0.1),
        (5, 0.1),
        (9, 0.1),
        (10, 0.06666666666666667),
        (11, 0.06666666666666667),
        (19, 0.06666666666666667),
        (20, 0.05),
        (25, 0.05),
        (100, 0.016666666666666666),
    ];

    #[test]
    fn matches_keras_inverse_time_decay() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::InverseTime);
        a.decay_steps = Some(10);
        a.decay_rate = Some(0.5);
        let s = a.build(0.1, 3, 200).unwrap();
        check("InverseTimeDecay", |t| s.lr(t), &KERAS_SMOOTH);
        a.staircase = true;
        let st = a.build(0.1, 3, 200).unwrap();
        check(
            "InverseTimeDecay(staircase)",
            |t| st.lr(t),
            &KERAS_STAIRCASE,
        );
        // the defaults: rate 0.5, T = one epoch (10 steps here)
        let d = ScheduleSpec::defaults(ScheduleKind::InverseTime)
            .build(0.1, 10, 200)
            .unwrap();
        assert_eq!(d, s);
        assert!(d.lr(u64::MAX) > 0.0 && d.lr(u64::MAX).is_finite());
    }
}

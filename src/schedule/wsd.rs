//! `wsd`: warm-up, stable, decay — the schedule of recent language-model training (MiniCPM, Hu et
//! al. 2024; the `1-sqrt` decay of Hägele et al. 2024): a linear warm-up from 0, a plateau at
//! `lr`, and a final fraction of the run decaying to `--min-lr`.
//!
//! With `N` the schedule's steps, `W = ⌊pct_start·N⌋` warm-up steps, `D = ⌊decay_fraction·N⌋`
//! decay steps and `S = N − W − D` stable steps:
//!
//! - `t < W`: `lr(t) = lr·t/W` (0 at step 0, as in transformers' warm-ups);
//! - `W ≤ t < W + S`: `lr(t) = lr`;
//! - `W + S ≤ t < N`: `lr(t) = min + (lr − min)·f(u)`, `u = (t − W − S)/D`, with
//!   `f(u) = 1 − u` (linear), `(1 + cos(π·u))/2` (cosine) or `1 − √u` (1-sqrt);
//! - `t ≥ N`: `min`.
//!
//! Neither PyTorch nor Keras has this schedule; the phases follow the usual `LambdaLR`
//! implementations (transformers' `get_wsd_schedule`), so the run's last step is at `u = (D−1)/D`,
//! one step short of the floor.

use std::f64::consts::PI;

use serde::Serialize;

use super::spec::{FamilyInfo, fraction};
use super::{Schedule, ScheduleKind, ScheduleSpec, within};
use crate::input_bail;

/// The shape of the decay phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecayShape {
    #[serde(rename = "linear")]
    Linear,
    #[serde(rename = "cosine")]
    Cosine,
    #[serde(rename = "1-sqrt")]
    OneMinusSqrt,
}

impl DecayShape {
    pub const ALL: [DecayShape; 3] = [
        DecayShape::Linear,
        DecayShape::Cosine,
        DecayShape::OneMinusSqrt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DecayShape::Linear => "linear",
            DecayShape::Cosine => "cosine",
            DecayShape::OneMinusSqrt => "1-sqrt",
        }
    }

    /// The fraction of the way from the floor to the peak at decay progress `u` in [0, 1].
    fn factor(self, u: f64) -> f64 {
        match self {
            DecayShape::Linear => 1.0 - u,
            DecayShape::Cosine => (1.0 + (PI * u).cos()) / 2.0,
            DecayShape::OneMinusSqrt => 1.0 - u.sqrt(),
        }
    }
}

/// Warm-up, stable, decay; lengths in steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wsd {
    pub lr: f64,
    pub min_lr: f64,
    pub warmup: u64,
    pub stable: u64,
    pub decay: u64,
    pub shape: DecayShape,
}

impl Wsd {
    pub fn lr(&self, step: u64) -> f64 {
        if step < self.warmup {
            return within(self.lr * step as f64 / self.warmup as f64, 0.0, self.lr);
        }
        let t = step - self.warmup;
        if t < self.stable {
            return self.lr;
        }
        let t = t - self.stable;
        if t >= self.decay {
            return self.min_lr;
        }
        let u = t as f64 / self.decay as f64;
        let v = self.min_lr + (self.lr - self.min_lr) * self.shape.factor(u);
        within(v, self.min_lr, self.lr)
    }

    pub fn lr_bounds(&self) -> (f64, f64) {
        let lo = if self.warmup > 0 { 0.0 } else { self.min_lr };
        (lo, self.lr)
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--pct-start` of wsd when not given: the fraction of the run warming up.
pub const DEFAULT_WARMUP_FRACTION: f64 = 0.05;
/// `--decay-fraction` when not given (the 20 % cool-down of Hägele et al. 2024).
pub const DEFAULT_DECAY_FRACTION: f64 = 0.2;
/// `--decay-shape` when not given (Hägele et al. 2024 found 1-sqrt best).
pub const DEFAULT_SHAPE: DecayShape = DecayShape::OneMinusSqrt;
/// `--min-lr` of wsd when not given.
pub const DEFAULT_MIN_LR: f64 = 0.0;

/// `--schedule wsd` over `total` steps.
pub(super) fn build(spec: &ScheduleSpec, lr: f64, total: u64) -> anyhow::Result<Schedule> {
    let pct = match spec.pct_start {
        Some(p) => fraction("--pct-start", p, true, false)?,
        None => DEFAULT_WARMUP_FRACTION,
    };
    let frac = match spec.decay_fraction {
        Some(f) => fraction("--decay-fraction", f, true, true)?,
        None => DEFAULT_DECAY_FRACTION,
    };
    if pct + frac > 1.0 {
        let flag = if spec.decay_fraction.is_some() {
            format!("--decay-fraction {frac}")
        } else {
            format!("--pct-start {pct}")
        };
        input_bail!(
            "{flag}: the warm-up ({pct}) and the decay ({frac}) fractions must add up to at most 1"
        );
    }
    let part = |f: f64| ((total as f64 * f).floor() as u64).min(total);
    let warmup = part(pct);
    let decay = part(frac).min(total - warmup);
    Ok(Schedule::Wsd(Wsd {
        lr,
        min_lr: spec.min_lr_or(lr, DEFAULT_MIN_LR)?,
        warmup,
        stable: total - warmup - decay,
        decay,
        shape: spec.decay_shape.unwrap_or(DEFAULT_SHAPE),
    }))
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Wsd,
        flags: format!(
            "--lr --min-lr [{DEFAULT_MIN_LR}] --pct-start [{DEFAULT_WARMUP_FRACTION}] \
             --decay-fraction [{DEFAULT_DECAY_FRACTION}] --decay-shape linear|cosine|1-sqrt [{}]",
            DEFAULT_SHAPE.name()
        ),
        formula: "W = ⌊pct-start·N⌋, D = ⌊decay-fraction·N⌋, S = N − W − D: lr·t/W for t < W; \
                  lr for t < W + S; then min + (lr − min)·f(u), u = (t − W − S)/D, f = 1 − u | \
                  (1 + cos(π·u))/2 | 1 − √u; min from N on",
        pytorch: "no scheduler (a LambdaLR, as transformers' get_wsd_schedule)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::check;

    fn wsd(shape: DecayShape) -> Schedule {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Wsd);
        a.pct_start = Some(0.1);
        a.decay_fraction = Some(0.4);
        a.min_lr = Some(0.01);
        a.decay_shape = Some(shape);
        a.build(0.1, 3, 100).unwrap()
    }

    // Hand-computed from the module's formulas (W = 10, S = 50, D = 40, lr 0.1, min 0.01):
    //   warm-up 0.1·t/10; stable 0.1; decay 0.01 + 0.09·f((t − 60)/40)
    #[test]
    fn phases_and_shapes() {
        for shape in DecayShape::ALL {
            let s = wsd(shape);
            check(
                shape.name(),
                |t| s.lr(t),
                &[
                    (0, 0.0),
                    (1, 0.01),
                    (5, 0.05),
                    (10, 0.1),
                    (59, 0.1),
                    (60, 0.1),
                ],
            );
            assert_eq!((s.lr(100), s.lr(u64::MAX)), (0.01, 0.01));
        }
        // u = 1/4 at step 70, u = 39/40 at step 99
        let lin = wsd(DecayShape::Linear);
        check(
            "linear",
            |t| lin.lr(t),
            &[(70, 0.0775), (80, 0.055), (99, 0.01225)],
        );
        let cos = wsd(DecayShape::Cosine);
        check(
            "cosine",
            |t| cos.lr(t),
            &[
                (70, 0.01 + 0.09 * (1.0 + (PI / 4.0).cos()) / 2.0),
                (80, 0.055),
            ],
        );
        let sq = wsd(DecayShape::OneMinusSqrt);
        check(
            "1-sqrt",
            |t| sq.lr(t),
            &[(70, 0.055), (80, 0.01 + 0.09 * (1.0 - 0.5f64.sqrt()))],
        );
    }

    #[test]
    fn fractions_round_down_and_must_fit() {
        match ScheduleSpec::defaults(ScheduleKind::Wsd)
            .build(1.0, 1, 99)
            .unwrap()
        {
            Schedule::Wsd(w) => assert_eq!((w.warmup, w.stable, w.decay), (4, 76, 19)),
            other => panic!("{other:?}"),
        }
        let mut a = ScheduleSpec::defaults(ScheduleKind::Wsd);
        a.pct_start = Some(0.5);
        a.decay_fraction = Some(0.6);
        let e = a.build(0.1, 1, 100).unwrap_err();
        assert!(
            format!("{e:#}").starts_with("--decay-fraction 0.6: "),
            "{e:#}"
        );
    }
}

//! `cosine`: one half-cosine from `lr` down to `min_lr` over the whole run (PyTorch
//! `CosineAnnealingLR` with `T_max` = the run's steps, stepped per batch).
//!
//! Formula: `lr(t) = min + (lr − min)·(1 + cos(π·t/T))/2` for `t < T` (`T` = total steps of the
//! schedule, after any warm-up). Deliberate difference: for `t ≥ T` lrtool holds `min_lr` (like
//! Keras `CosineDecay`), where PyTorch's formula climbs back up with period `2T`; a run never uses
//! those steps, and holding keeps the schedule within its bounds for every step.
//!
//! `--t-max T` (in steps) gives PyTorch's `CosineAnnealingLR(T_max=T)` with a period shorter than
//! the run: the same formula with `T` for every step, so after `T` the LR rises back to `lr` at
//! `2T`, falls again to `min` at `3T`, and so on (period `2T`), never held. lrtool evaluates the
//! closed form at `t mod 2T` (the same angle modulo 2π). PyTorch's `get_last_lr()` comes from its
//! chainable (recursive) form, which equals the closed form at the turning points (`min` exactly at
//! odd multiples of `T`) and drifts from it by accumulated rounding elsewhere: relative 5e-15 after
//! two periods of `T = 10`, 2.5e-12 after 5,000 steps of `T = 7` (PyTorch 2.15, measured).

use std::f64::consts::PI;

use serde::Serialize;

use super::ScheduleKind;
use super::spec::FamilyInfo;
use super::within;
use super::{Schedule, ScheduleSpec};

/// `min + (lr − min)·(1 + cos(π·t/total))/2`, held at `min_lr` from `total` on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cosine {
    pub lr: f64,
    pub min_lr: f64,
    /// `T_max` in steps.
    pub total: u64,
    /// `--t-max`: the half-period in steps when it is not the run; the cosine then keeps going
    /// past it (PyTorch), instead of holding `min_lr` from `total` on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_max: Option<u64>,
}

impl Cosine {
    pub fn lr(&self, step: u64) -> f64 {
        if let Some(t_max) = self.t_max {
            let t_max = t_max.max(1);
            let phase = step % t_max.saturating_mul(2);
            return anneal(self.lr, self.min_lr, phase as f64, t_max as f64);
        }
        if step >= self.total {
            return self.min_lr;
        }
        anneal(self.lr, self.min_lr, step as f64, self.total as f64)
    }
}

/// PyTorch's cosine annealing `lo + (hi − lo)·(1 + cos(π·t_cur/t_i))/2`, evaluated in the same
/// order as `torch.optim.lr_scheduler` and kept inside `[lo, hi]`.
pub(crate) fn anneal(hi: f64, lo: f64, t_cur: f64, t_i: f64) -> f64 {
    let v = lo + (hi - lo) * (1.0 + (PI * t_cur / t_i).cos()) / 2.0;
    within(v, lo, hi)
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--min-lr` of cosine when not given (PyTorch's eta_min).
pub const DEFAULT_MIN_LR: f64 = 0.0;

/// `--schedule cosine` over `total` steps.
pub(super) fn build(spec: &ScheduleSpec, lr: f64, total: u64) -> anyhow::Result<Schedule> {
    if spec.t_max == Some(0) {
        crate::input_bail!("--t-max 0: must be at least 1 step");
    }
    Ok({
        Schedule::Cosine(Cosine {
            lr,
            min_lr: spec.min_lr_or(lr, DEFAULT_MIN_LR)?,
            total,
            t_max: spec.t_max,
        })
    })
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Cosine,
        flags: format!("--lr --min-lr [{}] --t-max T [N]", DEFAULT_MIN_LR),
        formula: "lr(t) = min + (lr − min)·(1 + cos(π·t/N))/2, min-lr from N on; with --t-max T: \
                  min + (lr − min)·(1 + cos(π·t/T))/2 at every step (rises again after T, period 2T)",
        pytorch: "CosineAnnealingLR(T_max=N or T, eta_min) stepped per batch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::check;
    use crate::schedule::{Schedule, ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python):
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.CosineAnnealingLR(o, T_max=100, eta_min=0.001)
    //   for t in range(101): print(t, s.get_last_lr()[0]); o.step(); s.step()
    const COSINE_ANNEALING_LR: [(u64, f64); 6] = [
        (0, 0.1),
        (1, 0.09997557473810371),
        (25, 0.08550178566873408),
        (50, 0.050499999999999975),
        (99, 0.0010244252618962857),
        (100, 0.001),
    ];

    #[test]
    fn matches_pytorch_over_the_run() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Cosine);
        a.min_lr = Some(0.001);
        let s = a.build(0.1, 1, 100).unwrap();
        check("CosineAnnealingLR", |t| s.lr(t), &COSINE_ANNEALING_LR);
        // T_max is the run in steps, whatever the steps per epoch
        assert_eq!(a.build(0.1, 4, 100).unwrap(), s);
    }

    #[test]
    fn holds_the_floor_after_the_run() {
        // PyTorch would give 0.0505 at step 150 (research notes §8 row 40); lrtool holds min_lr.
        let s = Schedule::Cosine(Cosine {
            lr: 0.1,
            min_lr: 0.001,
            total: 100,
            t_max: None,
        });
        for t in [100, 150, 199, 200, u64::MAX] {
            assert_eq!(s.lr(t), 0.001);
        }
        let empty = Cosine {
            lr: 0.1,
            min_lr: 0.0,
            total: 0,
            t_max: None,
        };
        assert_eq!(empty.lr(0), 0.0);
    }

    #[test]
    fn default_floor_is_zero() {
        let s = ScheduleSpec::defaults(ScheduleKind::Cosine)
            .build(0.1, 1, 100)
            .unwrap();
        // research notes §8 row 40: T_max 100, step 25 → 0.0853553390593
        check(
            "cosine to 0",
            |t| s.lr(t),
            &[(0, 0.1), (25, 0.0853553390593), (100, 0.0)],
        );
    }

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), T_max shorter than the run:
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.CosineAnnealingLR(o, T_max=10, eta_min=0.001)
    //   for t in range(45): print(t, s.get_last_lr()[0]); o.step(); s.step()
    // (the chainable form: 0.10000000000000045 at step 20 where the closed form gives 0.1)
    const COSINE_T_MAX_10: [(u64, f64); 20] = [
        (0, 0.1),
        (1, 0.09757729755661011),
        (5, 0.0505),
        (9, 0.0034227024433899004),
        (10, 0.001),
        (11, 0.0034227024433899004),
        (12, 0.01045365877844014),
        (15, 0.05050000000000022),
        (19, 0.09757729755661054),
        (20, 0.10000000000000045),
        (21, 0.09757729755661054),
        (25, 0.050500000000000225),
        (29, 0.003422702443389916),
        (30, 0.001),
        (31, 0.0034227024433899004),
        (35, 0.050500000000000086),
        (40, 0.10000000000000024),
        (42, 0.09054634122156012),
        (43, 0.07959536998847763),
        (44, 0.06579634122156017),
    ];

    #[test]
    fn t_max_shorter_than_the_run_rises_again_like_pytorch() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Cosine);
        a.min_lr = Some(0.001);
        a.t_max = Some(10);
        let s = a.build(0.1, 3, 45).unwrap();
        check("CosineAnnealingLR(T_max=10)", |t| s.lr(t), &COSINE_T_MAX_10);
        // exactly the floor at odd multiples of T_max, exactly the peak at even ones
        assert_eq!(
            (s.lr(10), s.lr(30), s.lr(20), s.lr(40)),
            (0.001, 0.001, 0.1, 0.1)
        );
        assert!(s.lr(u64::MAX).is_finite());
        // without --t-max nothing changes: held at the floor, and summary.json has no t_max
        a.t_max = None;
        let held = a.build(0.1, 3, 45).unwrap();
        assert_eq!(held.lr(45), 0.001);
        let json = serde_json::to_value(&held).unwrap();
        assert!(json.get("t_max").is_none(), "{json}");
    }
}

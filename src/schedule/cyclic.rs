//! `triangular`, `triangular2`, `exp-range`: Smith's cyclical learning rates (PyTorch `CyclicLR`,
//! bckenstler/CLR), advancing per step, with optional momentum cycling.
//!
//! A cycle is `up + down` steps; it starts at the base (`--min-lr`), reaches the maximum (`--lr`)
//! exactly at step `up` of the cycle and falls back. With `c = ⌊t/(up+down)⌋` (0-based cycle) and
//! `p = t mod (up+down)`, the position `s = p/up` while rising (`p ≤ up`), `(up+down−p)/down`
//! while falling, and
//!
//! `lr(t) = base + (max − base)·s·f`, `momentum(t) = max_m − (max_m − base_m)·s·f`,
//!
//! `f = 1` (triangular), `1/2^c` (triangular2: the amplitude halves every cycle), `γ^t`
//! (exp-range: `t` is the global step, as in PyTorch, whose docstring calls it "cycle
//! iterations"). The base stays fixed in all three (the CLR paper's text says the boundaries
//! decay; both reference implementations, and lrtool, scale only the amplitude).
//!
//! Same numbers as PyTorch; the position is computed from integers (PyTorch goes through
//! `1 + t/total − ⌊1 + t/total⌋` in floating point), so the peak is exactly `max` at step `up`.

use serde::Serialize;

use super::MomentumRange;
use super::ScheduleKind;
use super::spec::FamilyInfo;
use super::spec::epochs_to_steps;
use super::{Schedule, ScheduleKind as K, ScheduleSpec};
use crate::input_bail;

/// Which amplitude scaling a cyclical schedule uses (the `Schedule` variant says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CyclicMode {
    Triangular,
    Triangular2,
    ExpRange,
}

/// Parameters shared by the three cyclical schedules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cyclic {
    /// The low end (PyTorch `base_lr`, lrtool `--min-lr`).
    pub base_lr: f64,
    /// The peak (PyTorch `max_lr`, lrtool `--lr`).
    pub max_lr: f64,
    /// Rising half-cycle in steps.
    pub step_size_up: u64,
    /// Falling half-cycle in steps.
    pub step_size_down: u64,
    /// exp-range's factor per step (unused by triangular and triangular2, kept at 1 there).
    pub gamma: f64,
    /// Momentum cycled against the LR, or `None`.
    pub momentum: Option<MomentumRange>,
}

impl Cyclic {
    /// `(cycle, s)`: the 0-based cycle and the triangle's height in `[0, 1]` at `step`.
    pub fn position(&self, step: u64) -> (u64, f64) {
        let up = u128::from(self.step_size_up.max(1));
        let down = u128::from(self.step_size_down.max(1));
        let total = up + down;
        let t = u128::from(step);
        let (cycle, p) = (t / total, t % total);
        let s = if p <= up {
            p as f64 / up as f64
        } else {
            (total - p) as f64 / down as f64
        };
        (cycle as u64, s)
    }

    /// The amplitude factor `f` at `step` (in cycle `cycle`).
    fn scale(&self, mode: CyclicMode, step: u64, cycle: u64) -> f64 {
        match mode {
            CyclicMode::Triangular => 1.0,
            // 1/2^c is exact until it underflows to 0 (c > 1074)
            CyclicMode::Triangular2 => 0.5f64.powi(cycle.min(2000) as i32),
            CyclicMode::ExpRange => super::pow_u64(self.gamma, step),
        }
    }

    pub fn lr(&self, mode: CyclicMode, step: u64) -> f64 {
        let (cycle, s) = self.position(step);
        let f = self.scale(mode, step, cycle);
        let v = self.base_lr + (self.max_lr - self.base_lr) * s * f;
        super::within(v, self.base_lr, self.max_lr)
    }

    pub fn momentum(&self, mode: CyclicMode, step: u64) -> Option<f64> {
        let m = self.momentum?;
        let (cycle, s) = self.position(step);
        let f = self.scale(mode, step, cycle);
        Some(super::within(
            m.max - (m.max - m.base) * s * f,
            m.base,
            m.max,
        ))
    }

    /// The last step of each cycle (back at the base; the next cycle starts at `step + 1`).
    pub fn is_cycle_end(&self, step: u64) -> bool {
        let total = u128::from(self.step_size_up.max(1)) + u128::from(self.step_size_down.max(1));
        (u128::from(step) + 1) % total == 0
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// The rising half when neither `--step-size` nor `--step-size-epochs` is given, in epochs (the
/// middle of Smith's 2–8 epochs advice).
pub const DEFAULT_STEP_SIZE_EPOCHS: u64 = 4;
/// `--min-lr` = `--lr` / this when not given (Smith's max/4 rule).
pub const DEFAULT_MIN_LR_DIVISOR: f64 = 4.0;
/// exp-range's `--gamma` when not given (PyTorch's).
pub const DEFAULT_GAMMA: f64 = 1.0;
/// `--base-momentum` and `--max-momentum` when not given (PyTorch's CyclicLR).
pub const DEFAULT_MOMENTUM: (f64, f64) = (0.8, 0.9);

/// `--schedule triangular`, `triangular2` or `exp-range` with `spe` steps per epoch.
pub(super) fn build(spec: &ScheduleSpec, lr: f64, spe: u64) -> anyhow::Result<Schedule> {
    Ok({
        let (up, down) = match (spec.step_size, spec.step_size_epochs) {
            (Some(0), _) => input_bail!("--step-size 0: must be at least 1 step"),
            (Some(s), _) => (s, spec.step_size_down.unwrap_or(s)),
            (None, Some(0)) => {
                input_bail!("--step-size-epochs 0: must be at least 1 epoch")
            }
            (None, Some(e)) => {
                let up = epochs_to_steps("--step-size-epochs", e, spe)?;
                let down = match spec.step_size_down {
                    Some(d) => epochs_to_steps("--step-size-down", d, spe)?,
                    None => up,
                };
                (up, down)
            }
            (None, None) => {
                let up = epochs_to_steps("--step-size-epochs", DEFAULT_STEP_SIZE_EPOCHS, spe)?;
                (up, spec.step_size_down.unwrap_or(up))
            }
        };
        if down == 0 {
            input_bail!("--step-size-down 0: must be at least 1");
        }
        let cyclic = Cyclic {
            base_lr: spec.min_lr_or(lr, lr / DEFAULT_MIN_LR_DIVISOR)?,
            max_lr: lr,
            step_size_up: up,
            step_size_down: down,
            gamma: if spec.schedule == K::ExpRange {
                spec.gamma_or(DEFAULT_GAMMA)?
            } else {
                1.0
            },
            momentum: spec.momentum_range(DEFAULT_MOMENTUM.0, DEFAULT_MOMENTUM.1)?,
        };
        match spec.schedule {
            K::Triangular => Schedule::Triangular(cyclic),
            K::Triangular2 => Schedule::Triangular2(cyclic),
            _ => Schedule::ExpRange(cyclic),
        }
    })
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Triangular,
        flags: format!(
            "--lr (max) --min-lr [lr/{}] --step-size STEPS | --step-size-epochs [{} epochs] --step-size-down [= up] --cycle-momentum [on] --base-momentum [{}] --max-momentum [{}]",
            DEFAULT_MIN_LR_DIVISOR,
            DEFAULT_STEP_SIZE_EPOCHS,
            DEFAULT_MOMENTUM.0,
            DEFAULT_MOMENTUM.1
        ),
        formula: "lr = min + (lr − min)·s, s rises 0→1 over step-size steps and falls back over step-size-down",
        pytorch: "CyclicLR(base_lr, max_lr, step_size_up, step_size_down, mode='triangular')",
    }
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info_triangular2() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Triangular2,
        flags: "as triangular".to_string(),
        formula: "lr = min + (lr − min)·s/2^c, c = 0-based cycle",
        pytorch: "CyclicLR(…, mode='triangular2')",
    }
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info_exp_range() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::ExpRange,
        flags: format!("as triangular, and --gamma [{}]", DEFAULT_GAMMA),
        formula: "lr = min + (lr − min)·s·gamma^t (t = global step)",
        pytorch: "CyclicLR(…, mode='exp_range', gamma)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::{check_lr_momentum as check, close};
    use crate::schedule::{Schedule, ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python):
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.001, momentum=0.9)
    //   s = L.CyclicLR(o, base_lr=0.001, max_lr=0.006, step_size_up=2000, mode="triangular")
    //       # defaults: step_size_down=None (= up), cycle_momentum=True, base 0.8, max 0.9
    //   for t in range(n): print(t, s.get_last_lr()[0], o.param_groups[0]["momentum"]); o.step(); s.step()
    // (mode="triangular2"; mode="exp_range", gamma=0.99994; step_size_up=1000, step_size_down=3000
    // for the other tables.) Rows 1–15 of the research notes §8 give the same numbers.
    const TRIANGULAR: [(u64, f64, f64); 10] = [
        (0, 0.001, 0.9), // starts at the base, momentum at its max
        (1, 0.0010025000000000008, 0.89995),
        (1000, 0.0035, 0.8500000000000001),
        (1999, 0.005997500000000001, 0.80005),
        (2000, 0.006, 0.8), // peak exactly at step_size
        (2001, 0.005997500000000001, 0.80005),
        (3000, 0.0035, 0.8500000000000001),
        (3999, 0.0010024999999999986, 0.89995),
        (4000, 0.001, 0.9), // cycle end → next cycle
        (5000, 0.0035, 0.8500000000000001),
    ];
    const TRIANGULAR2: [(u64, f64, f64); 5] = [
        (2000, 0.006, 0.8),
        (4000, 0.001, 0.9),
        (6000, 0.0035, 0.8500000000000001), // cycle-2 peak: amplitude halved
        (10000, 0.0022500000000000003, 0.875), // cycle-3 peak: quartered
        (14000, 0.0016250000000000001, 0.8875000000000001),
    ];
    const EXP_RANGE: [(u64, f64, f64); 5] = [
        (0, 0.001, 0.9),
        (1000, 0.00335440709585463, 0.8529118580829075), // 0.001 + 0.005·0.5·0.99994^1000
        (2000, 0.0054345862184085065, 0.81130827563183),
        (6000, 0.004488343954531024, 0.8302331209093795),
        (10000, 0.0037440087858930434, 0.8451198242821392),
    ];
    const ASYMMETRIC: [(u64, f64, f64); 5] = [
        (0, 0.001, 0.9),
        (1000, 0.006, 0.8),
        (2000, 0.004333333333333333, 0.8333333333333334),
        (3999, 0.0010016666666666657, 0.8999666666666667),
        (4000, 0.001, 0.9),
    ];

    fn build(kind: ScheduleKind, up: u64, down: Option<u64>, gamma: Option<f64>) -> Schedule {
        let mut a = ScheduleSpec::defaults(kind);
        a.min_lr = Some(0.001);
        a.step_size = Some(up);
        a.step_size_down = down;
        a.gamma = gamma;
        a.build(0.006, 1, 20000).unwrap()
    }

    #[test]
    fn triangular_matches_pytorch() {
        let s = build(ScheduleKind::Triangular, 2000, None, None);
        check("triangular", &s, &TRIANGULAR);
        assert_eq!(s.lr(0), 0.001);
        assert_eq!(s.lr(2000), 0.006);
        assert_eq!(s.lr(4000), 0.001);
        assert_eq!(s.momentum(2000), Some(0.8));
    }

    #[test]
    fn triangular2_halves_the_amplitude_every_cycle() {
        let s = build(ScheduleKind::Triangular2, 2000, None, None);
        check("triangular2", &s, &TRIANGULAR2);
        for c in 0..8u64 {
            let peak = s.lr(4000 * c + 2000);
            assert!(close(peak - 0.001, 0.005 / (1u64 << c) as f64), "cycle {c}");
        }
    }

    #[test]
    fn exp_range_scales_the_amplitude_by_gamma_to_the_step() {
        let s = build(ScheduleKind::ExpRange, 2000, None, Some(0.99994));
        check("exp_range", &s, &EXP_RANGE);
        for t in [1u64, 777, 2000, 4321, 13000] {
            let (_, pos) = match &s {
                Schedule::ExpRange(c) => c.position(t),
                _ => unreachable!(),
            };
            assert!(close(
                s.lr(t),
                0.001 + 0.005 * pos * 0.99994f64.powf(t as f64)
            ));
        }
    }

    #[test]
    fn asymmetric_steps_match_pytorch() {
        let s = build(ScheduleKind::Triangular, 1000, Some(3000), None);
        check("up 1000 down 3000", &s, &ASYMMETRIC);
        let ends: Vec<u64> = (0..12000).filter(|&t| s.is_cycle_end(t)).collect();
        assert_eq!(ends, [3999, 7999, 11999]);
    }

    #[test]
    fn momentum_off_and_far_steps() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Triangular2);
        a.no_cycle_momentum = true;
        let s = a.build(0.01, 3, 100).unwrap();
        assert_eq!(s.momentum(5), None);
        for t in [u64::MAX, u64::MAX - 1, 1 << 63] {
            let v = s.lr(t);
            assert!(v.is_finite() && (0.0025..=0.01).contains(&v));
        }
        let z = Cyclic {
            base_lr: 0.1,
            max_lr: 1.0,
            step_size_up: 0,
            step_size_down: 0,
            gamma: 0.5,
            momentum: None,
        };
        assert!(z.lr(CyclicMode::ExpRange, u64::MAX).is_finite());
        assert!(z.is_cycle_end(1) && !z.is_cycle_end(0));
    }
}

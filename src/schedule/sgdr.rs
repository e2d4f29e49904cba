//! `sgdr`: cosine annealing with warm restarts (Loshchilov & Hutter; PyTorch
//! `CosineAnnealingWarmRestarts` driven per batch with the fractional epoch), plus the paper's
//! optional decay of the peak and the floor at each restart.
//!
//! Cycle `i` (0-based) lasts `T_i = t0·t_mult^i` epochs, i.e. `t0·t_mult^i·K` steps for `K` steps
//! per epoch; restarts are at epochs `t0·(t_mult^i − 1)/(t_mult − 1)` (10, 30, 70, 150 for t0 10,
//! t-mult 2). With `T_cur = (t − start_i)/K` the fractional epochs since the restart — SGDR's
//! "T_cur updated every batch" —
//!
//! `lr(t) = η_min^i + (η_max^i − η_min^i)·(1 + cos(π·T_cur/T_i))/2`,
//! `η_min^i = min_lr·floor_decay^i`, `η_max^i = max(lr·peak_decay^i, η_min^i)` (a peak that
//! decays faster than the floor stops at the floor: later cycles are flat).
//!
//! Deliberate differences from PyTorch: the cycle is found by an integer search over whole steps
//! (PyTorch's `step(epoch)` takes a floating logarithm, which puts e.g. epoch 121 of T_0 1,
//! T_mult 3 in the wrong cycle and returns η_min instead of the restart's η_max); the peak and
//! floor decays are the SGDR paper's second adaptation, absent from PyTorch (both default to 1,
//! which is PyTorch). `t_mult` is a whole number ≥ 1, as PyTorch requires.

use serde::Serialize;

use super::ScheduleKind;
use super::cosine::anneal;
use super::spec::FamilyInfo;
use super::spec::epochs_to_steps;
use super::{Schedule, ScheduleSpec};
use crate::input_bail;

/// Cosine with warm restarts; lengths in epochs with the steps per epoch kept beside them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sgdr {
    /// η_max of the first cycle.
    pub lr: f64,
    /// η_min of the first cycle.
    pub min_lr: f64,
    /// Length of the first cycle in epochs (PyTorch `T_0`).
    pub t0: u64,
    /// Each cycle is `t_mult` times longer than the one before (PyTorch `T_mult`).
    pub t_mult: u64,
    /// η_max is multiplied by this at each restart (1 = PyTorch).
    pub peak_decay: f64,
    /// η_min is multiplied by this at each restart (1 = PyTorch).
    pub floor_decay: f64,
    pub steps_per_epoch: u64,
}

/// Where a step falls: cycle `index` (0-based) spans steps `start .. start + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CyclePosition {
    pub index: u64,
    pub start: u64,
    /// Cycle length in steps (saturated at `u64::MAX` for cycles longer than any step count).
    pub len: u64,
}

impl Sgdr {
    /// The cycle holding `step`, found with integer arithmetic: a division when `t_mult` is 1,
    /// otherwise a walk over the (geometrically growing, so at most 64) cycles before it.
    pub fn cycle(&self, step: u64) -> CyclePosition {
        let first = u128::from(self.t0.max(1)) * u128::from(self.steps_per_epoch.max(1));
        let saturate = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
        if self.t_mult <= 1 {
            let index = u128::from(step) / first;
            return CyclePosition {
                index: saturate(index),
                start: saturate(index * first),
                len: saturate(first),
            };
        }
        let (mut index, mut start, mut len) = (0u64, 0u128, first);
        while u128::from(step) >= start.saturating_add(len) {
            start += len;
            len = len.saturating_mul(u128::from(self.t_mult));
            index += 1;
        }
        CyclePosition {
            index,
            start: saturate(start),
            len: saturate(len),
        }
    }

    pub fn lr(&self, step: u64) -> f64 {
        let c = self.cycle(step);
        let floor = self.min_lr * super::pow_u64(self.floor_decay, c.index);
        // a peak decaying faster than the floor stops at the floor (the cycle is then flat)
        let peak = (self.lr * super::pow_u64(self.peak_decay, c.index)).max(floor);
        let spe = self.steps_per_epoch.max(1) as f64;
        let t_cur = (step - c.start) as f64 / spe;
        let t_i = c.len as f64 / spe;
        anneal(peak, floor, t_cur, t_i)
    }

    /// The last step of each cycle (the restart follows at `step + 1`).
    pub fn is_cycle_end(&self, step: u64) -> bool {
        let c = self.cycle(step);
        u128::from(step) + 1 == u128::from(c.start) + u128::from(c.len)
    }

    /// `(0 or the floor, lr)`: without floor decay the LR stays in `[min_lr, lr]`.
    pub fn lr_bounds(&self) -> (f64, f64) {
        if self.floor_decay >= 1.0 {
            (self.min_lr, self.lr)
        } else {
            (0.0, self.lr)
        }
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--t0` when not given, in epochs.
pub const DEFAULT_T0: u64 = 10;
/// `--min-lr` of sgdr when not given.
pub const DEFAULT_MIN_LR: f64 = 0.0;

/// `--schedule sgdr` with `spe` steps per epoch.
pub(super) fn build(spec: &ScheduleSpec, lr: f64, spe: u64) -> anyhow::Result<Schedule> {
    Ok({
        let t0 = spec.t0.unwrap_or(DEFAULT_T0);
        if t0 == 0 {
            input_bail!("--t0 0: the first cycle must last at least 1 epoch");
        }
        epochs_to_steps("--t0", t0, spe)?;
        let t_mult = match spec.t_mult {
            None => 1,
            Some(m) if m.is_finite() && m >= 1.0 && m.fract() == 0.0 && m <= 1e6 => m as u64,
            Some(m) if m.is_finite() && m >= 1.0 && m.fract() == 0.0 => {
                input_bail!("--t-mult {m}: must be at most 1000000")
            }
            Some(m) => input_bail!(
                "--t-mult {m}: must be a whole number of at least 1 (each cycle is t-mult times as long as the one before; PyTorch's T_mult is an integer too)"
            ),
        };
        let peak_decay = match spec.peak_decay {
            Some(p) => super::spec::fraction("--peak-decay", p, false, true)?,
            None => 1.0,
        };
        let floor_decay = match spec.floor_decay {
            Some(f) => super::spec::fraction("--floor-decay", f, false, true)?,
            None => 1.0,
        };
        let min_lr = spec.min_lr_or(lr, DEFAULT_MIN_LR)?;
        Schedule::Sgdr(Sgdr {
            lr,
            min_lr,
            t0,
            t_mult,
            peak_decay,
            floor_decay,
            steps_per_epoch: spe,
        })
    })
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Sgdr,
        flags: format!(
            "--lr --min-lr [{}] --t0 EPOCHS [{}] --t-mult [1] --peak-decay [1] --floor-decay [1]",
            DEFAULT_MIN_LR, DEFAULT_T0
        ),
        formula: "cycle i lasts T_i = t0·t-mult^i epochs; lr = min_i + (max_i − min_i)·(1 + cos(π·T_cur/T_i))/2, T_cur = fractional epochs since the restart, min_i = min-lr·floor-decay^i, max_i = max(lr·peak-decay^i, min_i)",
        pytorch: "CosineAnnealingWarmRestarts(T_0, T_mult, eta_min) with step(t/K) per batch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::{check, close};
    use crate::schedule::{ScheduleKind, ScheduleSpec};

    fn sgdr(t0: u64, t_mult: u64, spe: u64) -> Sgdr {
        Sgdr {
            lr: 0.1,
            min_lr: 0.0,
            t0,
            t_mult,
            peak_decay: 1.0,
            floor_decay: 1.0,
            steps_per_epoch: spe,
        }
    }

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), driven per batch with the
    // fractional epoch t/7 (7 steps per epoch), as the PyTorch docs show for per-batch use:
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.0)
    //   for t in ts: s.step(t / 7); print(t, s.get_last_lr()[0])
    const CAWR_10_2_PER_BATCH: [(u64, f64); 13] = [
        (0, 0.1),
        (1, 0.09994965332706574),
        (17, 0.08613974319136959),
        (69, 5.034667293427053e-05),
        (70, 0.1), // restart at epoch 10
        (71, 0.09998741174712533),
        (140, 0.05),
        (209, 1.2588252874673467e-05),
        (210, 0.1), // restart at epoch 30
        (489, 3.1471622649714706e-06),
        (490, 0.1), // restart at epoch 70
        (1049, 7.867967567354307e-07),
        (1050, 0.1), // restart at epoch 150
    ];

    // Same, CosineAnnealingWarmRestarts(o, T_0=10, T_mult=1, eta_min=0.001) with lr=0.05,
    // s.step(t) once per epoch (1 step per epoch).
    const CAWR_10_1: [(u64, f64); 7] = [
        (0, 0.05),
        (5, 0.025500000000000002),
        (9, 0.0021991153507687385),
        (10, 0.05),
        (15, 0.025500000000000002),
        (19, 0.0021991153507687385),
        (20, 0.05),
    ];

    #[test]
    fn t0_10_t_mult_2_with_7_steps_per_epoch_matches_pytorch() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Sgdr);
        a.t0 = Some(10);
        a.t_mult = Some(2.0);
        let s = a.build(0.1, 7, 1050).unwrap();
        check("CAWR(10, 2) per batch", |t| s.lr(t), &CAWR_10_2_PER_BATCH);
    }

    #[test]
    fn restarts_at_epochs_10_30_70_150() {
        let s = sgdr(10, 2, 7);
        let ends: Vec<u64> = (0..1100).filter(|&t| s.is_cycle_end(t)).collect();
        assert_eq!(ends, [69, 209, 489, 1049]); // last steps of epochs 9, 29, 69, 149
        for (epoch, index) in [(10, 1), (30, 2), (70, 3), (150, 4), (310, 5)] {
            let c = s.cycle(epoch * 7);
            assert_eq!((c.start, c.index, c.len), (epoch * 7, index, 70 << index));
            assert_eq!(s.lr(epoch * 7), 0.1);
        }
    }

    #[test]
    fn lr_is_the_cosine_at_the_fractional_epoch() {
        // with 7 steps per epoch the LR at step t is the cosine at epoch t/7 (closed form)
        let s = sgdr(10, 2, 7);
        for t in 0..1050u64 {
            let epoch = t as f64 / 7.0;
            let (start, len) = match epoch {
                e if e < 10.0 => (0.0, 10.0),
                e if e < 30.0 => (10.0, 20.0),
                e if e < 70.0 => (30.0, 40.0),
                _ => (70.0, 80.0),
            };
            let want = 0.1 * (1.0 + (std::f64::consts::PI * (epoch - start) / len).cos()) / 2.0;
            assert!((s.lr(t) - want).abs() < 1e-15, "step {t}");
        }
    }

    #[test]
    fn t_mult_1_matches_pytorch() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Sgdr);
        a.min_lr = Some(0.001);
        let s = a.build(0.05, 1, 100).unwrap(); // default t0 10, t-mult 1
        check("CAWR(10, 1)", |t| s.lr(t), &CAWR_10_1);
        // research notes §8 row 26: T_0 10, η_max 0.05, η_min 0.001 → 0.0255 at epochs 5 and 15
        check("row 26", |t| s.lr(t), &[(5, 0.0255), (15, 0.0255)]);
    }

    #[test]
    fn integer_cycle_search_avoids_the_floating_log_trap() {
        // PyTorch 2.15, CosineAnnealingWarmRestarts(T_0=1, T_mult=3), lr 0.1, s.step(121.0)
        // returns 0.0 (log_3(243) = 4.999…, so epoch 121 lands at the end of cycle 4);
        // 121 = 1 + 3 + 9 + 27 + 81 is the start of cycle 5, whose first LR is η_max.
        let s = sgdr(1, 3, 1);
        let c = s.cycle(121);
        assert_eq!((c.index, c.start, c.len), (5, 121, 243));
        assert_eq!(s.lr(121), 0.1);
        assert!(s.is_cycle_end(120));
        // PyTorch step(120.0) → 3.760237478849793e-05, step(122.0) → 0.09999582149277186
        check(
            "CAWR(1, 3)",
            |t| s.lr(t),
            &[(120, 3.760237478849793e-05), (122, 0.09999582149277186)],
        );
    }

    #[test]
    fn research_row_27_per_call() {
        // research notes §8 row 27 (= PyTorch PR #23952 printout): T_0 1, T_mult 2, lr 0.5,
        // stepped once per call (1 step per epoch)
        let s = Sgdr {
            lr: 0.5,
            ..sgdr(1, 2, 1)
        };
        let want = [
            0.5,
            0.5,
            0.25,
            0.5,
            0.426776695297,
            0.25,
            0.0732233047034,
            0.5,
            0.480969883128,
        ];
        for (t, w) in want.iter().enumerate() {
            assert!((s.lr(t as u64) - w).abs() < 1e-12, "step {t}");
        }
    }

    #[test]
    fn peak_and_floor_decay() {
        let s = Sgdr {
            min_lr: 0.01,
            peak_decay: 0.5,
            floor_decay: 0.1,
            ..sgdr(10, 1, 1)
        };
        // cycle 1 (steps 10..19): η_max 0.05, η_min 0.001; cycle 2: 0.025, 0.0001
        assert!(close(s.lr(10), 0.05));
        assert!(close(s.lr(15), (0.05 + 0.001) / 2.0));
        assert!(close(s.lr(20), 0.025));
        assert!(close(s.lr(25), (0.025 + 0.0001) / 2.0));
        // peak decaying under a fixed floor: 0.1·0.5^i stops at 0.02 from cycle 3 on (flat)
        let flat = Sgdr {
            min_lr: 0.02,
            peak_decay: 0.5,
            ..sgdr(10, 1, 1)
        };
        assert!(close(flat.lr(20), 0.025) && close(flat.lr(25), 0.0225));
        assert!((30..60).all(|t| flat.lr(t) == 0.02));
    }

    #[test]
    fn huge_steps_and_cycles_do_not_panic() {
        for (t0, mult, spe) in [
            (1, 2, 1),
            (u64::MAX, 2, u64::MAX),
            (3, u64::MAX, 5),
            (1, 1, 1),
        ] {
            let s = sgdr(t0, mult, spe);
            for t in [0, 1, u64::MAX / 2, u64::MAX - 1, u64::MAX] {
                let v = s.lr(t);
                assert!(
                    v.is_finite() && (0.0..=0.1).contains(&v),
                    "{t0} {mult} {spe} {t}: {v}"
                );
                let _ = s.is_cycle_end(t);
            }
        }
        assert!(sgdr(1, 1, 1).is_cycle_end(u64::MAX));
    }
}

//! Fast geometric ensembling (Garipov et al. 2018, "Loss Surfaces, Mode Connectivity, and Fast
//! Ensembling of DNNs", §5 and eq. 2): a normal first phase under the run's schedule, then short
//! cycles of a piecewise-linear LR with a model collected at each cycle's lowest LR.
//!
//! With the FGE phase's steps counted from 0 (`s`) and `c` steps per cycle, Garipov's
//! `t(i) = (mod(i − 1, c) + 1)/c` for the 1-based iteration `i = s + 1` is `t = (s mod c + 1)/c`,
//! and
//!
//! ```text
//! α(t) = (1 − 2t)·α1 + 2t·α2          for 0 < t ≤ 1/2   (α1 down to α2 over the first half)
//! α(t) = (2 − 2t)·α2 + (2t − 1)·α1    for 1/2 < t ≤ 1   (back up to α1 over the second)
//! ```
//!
//! (The second line is the first with `t → 1 − t`; lrtool evaluates it so, from the whole number
//! `c − (s mod c + 1)`, which makes the LR of two steps equally far from the middle equal to the
//! bit.) The model is collected after the step with `t = 1/2` (LR exactly α2): the step with
//! `s mod c + 1 = c/2`. For an odd `c` no step has `t = 1/2`; the two steps nearest to it have the
//! same, lowest LR, and the first of them (`s mod c + 1 = ⌊c/2⌋`) is the collection point. So a
//! cycle of `c ≥ 2` steps always collects one model, at its lowest LR.
//!
//! Before the FGE phase the base schedule runs, built for the first phase's length (so a cosine
//! reaches its minimum at the switch). The momentum stays at the base's last value of the first
//! phase (the LR cycles alone, as in Garipov's code, where SGD's momentum is fixed).
//!
//! The collection points are this schedule's [`Fge::is_cycle_end`]: `snapshot-ensemble` saves and
//! ensembles a model there exactly as it does at a snapshot cosine's cycle ends.

use serde::{Deserialize, Serialize};

use super::{Schedule, within};

/// Cycle length in epochs: the default of `fge()` in Garipov et al.'s code (`cycle=4`).
pub const DEFAULT_CYCLE_EPOCHS: u64 = 4;
/// α2 as a fraction of α1: Garipov et al.'s code defaults, `lr_1 = 0.05`, `lr_2 = 0.0001`.
pub const DEFAULT_LR2_RATIO: f64 = 0.0001 / 0.05;

/// `--fge`'s settings as given, checked against the run's epochs (the steps come with the data).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FgeSettings {
    /// Epochs per cycle.
    pub cycle_epochs: u64,
    /// The first epoch (1-based) of the FGE phase.
    pub start_epoch: u64,
    /// α1, the LR at a cycle's ends.
    pub lr1: f64,
    /// α2, the LR at a cycle's middle, where a model is collected.
    pub lr2: f64,
}

/// The first phase under `base`, then FGE cycles from step `start` on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fge {
    /// The first phase's schedule, built for `start` steps.
    pub base: Box<Schedule>,
    /// The first step of the FGE phase.
    pub start: u64,
    /// Steps per cycle, at least 2.
    pub cycle: u64,
    pub lr1: f64,
    pub lr2: f64,
}

impl Fge {
    /// The step of each cycle (counted from 1) after which a model is collected: `⌊c/2⌋`.
    fn collect_at(&self) -> u64 {
        self.cycle / 2
    }

    pub fn lr(&self, step: u64) -> f64 {
        if step < self.start {
            return self.base.lr(step);
        }
        let c = self.cycle.max(1);
        // t = pos/c; the second half is the first one mirrored (t → 1 − t gives the same
        // formula), evaluated from the integer c − pos so that mirrored steps agree to the bit
        let pos = (step - self.start) % c + 1;
        let u = pos.min(c - pos) as f64 / c as f64;
        let (a1, a2) = (self.lr1, self.lr2);
        within((1.0 - 2.0 * u) * a1 + 2.0 * u * a2, a1, a2)
    }

    pub fn momentum(&self, step: u64) -> Option<f64> {
        self.base.momentum(step.min(self.start.saturating_sub(1)))
    }

    /// True after the step at a cycle's lowest LR: a model is collected there.
    pub fn is_cycle_end(&self, step: u64) -> bool {
        step >= self.start && (step - self.start) % self.cycle.max(1) + 1 == self.collect_at()
    }

    pub fn lr_bounds(&self) -> (f64, f64) {
        let (lo, hi) = self.base.lr_bounds();
        (lo.min(self.lr2), hi.max(self.lr1))
    }

    /// Models collected in a run of `total` steps.
    pub fn collections(&self, total: u64) -> u64 {
        let c = self.cycle.max(1);
        let fge = total.saturating_sub(self.start);
        let first = self.collect_at();
        if first == 0 || fge < first {
            0
        } else {
            (fge - first) / c + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fge(cycle: u64) -> Fge {
        Fge {
            base: Box::new(Schedule::Constant { lr: 0.3 }),
            start: 10,
            cycle,
            lr1: 0.05,
            lr2: 0.001,
        }
    }

    #[test]
    fn the_cycle_falls_from_lr1_to_lr2_and_rises_back() {
        let f = fge(8);
        assert_eq!(f.lr(9), 0.3);
        // t = 1/8, 2/8, …, 8/8 over the cycle's steps
        let want = |t: f64| {
            if t <= 0.5 {
                (1.0 - 2.0 * t) * 0.05 + 2.0 * t * 0.001
            } else {
                (2.0 - 2.0 * t) * 0.001 + (2.0 * t - 1.0) * 0.05
            }
        };
        for k in 0..16u64 {
            let t = (k % 8 + 1) as f64 / 8.0;
            assert!((f.lr(10 + k) - want(t)).abs() < 1e-15, "step {}", 10 + k);
        }
        assert!((f.lr(13) - 0.001).abs() < 1e-15, "t = 1/2 at the 4th step");
        assert!(
            (f.lr(17) - 0.05).abs() < 1e-15,
            "t = 1 at the cycle's last step"
        );
        // strictly down then strictly up
        for s in 10..13 {
            assert!(f.lr(s + 1) < f.lr(s));
        }
        for s in 13..17 {
            assert!(f.lr(s + 1) > f.lr(s));
        }
    }

    #[test]
    fn a_model_is_collected_at_each_cycles_lowest_lr() {
        for cycle in [2u64, 3, 7, 8, 45, 180] {
            let f = fge(cycle);
            let total = 10 + 5 * cycle + cycle / 2 + 1;
            let ends: Vec<u64> = (0..total).filter(|&s| f.is_cycle_end(s)).collect();
            assert_eq!(ends.len() as u64, f.collections(total), "cycle {cycle}");
            assert_eq!(ends.len(), 6, "cycle {cycle}: {ends:?}");
            for (k, &s) in ends.iter().enumerate() {
                assert_eq!(s, 10 + k as u64 * cycle + cycle / 2 - 1, "cycle {cycle}");
                let lowest = (10 + k as u64 * cycle..10 + (k as u64 + 1) * cycle)
                    .map(|t| f.lr(t))
                    .fold(f64::INFINITY, f64::min);
                assert_eq!(f.lr(s), lowest, "cycle {cycle}, collection {k}");
            }
            if cycle % 2 == 0 {
                assert!((f.lr(ends[0]) - 0.001).abs() < 1e-15);
            }
        }
        assert_eq!(fge(4).collections(10), 0);
        assert_eq!(fge(4).collections(11), 0);
        assert_eq!(fge(4).collections(12), 1);
    }
}

//! `snapshot`: the cyclic cosine of Snapshot Ensembles (Huang et al. 2017, "Snapshot Ensembles:
//! Train 1, get M for free", eq. 2), restarting M times in a run of T steps.
//!
//! The paper counts iterations from 1: `α(t) = α0/2·(cos(π·mod(t−1, ⌈T/M⌉)/⌈T/M⌉) + 1)`. With
//! lrtool's 0-based step `s = t − 1` and the cycle length `c = ⌈T/M⌉`:
//!
//! `lr(s) = lr/2·(cos(π·(s mod c)/c) + 1)`
//!
//! so every cycle starts at `lr` (A0) and its last step `c − 1` is at `lr/2·(cos(π(c−1)/c) + 1)
//! ≈ lr·π²/(4c²)`: close to zero, never zero. A snapshot is taken after the last step of each
//! cycle, just before the LR jumps back to A0 (`is_cycle_end`).
//!
//! The last, shorter cycle: when M does not divide T, the first M − 1 cycles have `c` steps and
//! the last has `T − (M−1)·c` (fewer). As in the paper, it is the start of a full-length cosine
//! cut off at step T − 1 — the LR is not stretched — so its snapshot (always taken at the final
//! step T − 1) is taken at a higher LR than the others. Choosing a number of epochs divisible by
//! M (with whole epochs per cycle) avoids the short cycle. Because `c` is rounded up, some
//! (T, M) give fewer than M cycles (T = 10, M = 6: c = 2, five cycles); `args.rs` refuses those
//! so that `--cycles M` always means M snapshots.
//!
//! Past the end of the run (steps ≥ T, never used by a run) the cosine keeps cycling with period
//! `c`; it stays within `[0, lr]` for every step.

use serde::Serialize;

use super::ScheduleKind;
use super::cosine::anneal;
use super::spec::FamilyInfo;
use super::{Schedule, ScheduleSpec};
use crate::input_bail;

/// The snapshot-ensemble cosine: `cycles` restarts of `cycle_len = ⌈total/cycles⌉` steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotCosine {
    /// A0, the LR at the start of every cycle.
    pub lr: f64,
    /// M, the number of cycles (and snapshots) in the run.
    pub cycles: u64,
    /// T, the steps in the run.
    pub total: u64,
    /// `⌈T/M⌉`, the length of every cycle but possibly the last.
    pub cycle_len: u64,
}

impl SnapshotCosine {
    /// The schedule for `cycles` cycles over `total` steps, or `None` when `⌈T/M⌉`-step cycles do
    /// not give exactly `cycles` cycles (including `cycles` 0 or above `total`).
    pub fn new(lr: f64, cycles: u64, total: u64) -> Option<SnapshotCosine> {
        if cycles == 0 || total == 0 || cycles > total {
            return None;
        }
        let cycle_len = total.div_ceil(cycles);
        (cycles_in(total, cycle_len) == cycles).then_some(SnapshotCosine {
            lr,
            cycles,
            total,
            cycle_len,
        })
    }

    pub fn lr(&self, step: u64) -> f64 {
        let c = self.cycle_len.max(1);
        anneal(self.lr, 0.0, (step % c) as f64, c as f64)
    }

    /// The last step of every cycle, and the final step `T − 1` (the end of a shorter last cycle).
    pub fn is_cycle_end(&self, step: u64) -> bool {
        let c = self.cycle_len.max(1);
        step % c == c - 1 || (self.total > 0 && step == self.total - 1)
    }

    /// Steps in the last cycle (`cycle_len` when M divides T).
    pub fn last_cycle_len(&self) -> u64 {
        self.total - (self.cycles - 1) * self.cycle_len
    }
}

/// How many cycles of `cycle_len` steps (the last one possibly shorter) a run of `total` has.
pub fn cycles_in(total: u64, cycle_len: u64) -> u64 {
    total.div_ceil(cycle_len.max(1))
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--cycles` when not given.
pub const DEFAULT_CYCLES: u64 = 5;

/// `--schedule snapshot` over `total` steps.
pub(super) fn build(spec: &ScheduleSpec, lr: f64, total: u64) -> anyhow::Result<Schedule> {
    Ok({
        let cycles = spec.cycles.unwrap_or(DEFAULT_CYCLES);
        let flag = if spec.cycles.is_some() {
            format!("--cycles {cycles}")
        } else {
            format!("--cycles (default {cycles})")
        };
        if cycles == 0 {
            input_bail!("{flag}: must be at least 1");
        }
        if cycles > total {
            input_bail!(
                "{flag}: more cycles than the run's {}",
                crate::words::count(total, "step")
            );
        }
        match SnapshotCosine::new(lr, cycles, total) {
            Some(s) => Schedule::SnapshotCosine(s),
            None => {
                let len = total.div_ceil(cycles);
                input_bail!(
                    "{flag}: {} in cycles of ⌈{total}/{cycles}⌉ = {} make only {}; choose fewer cycles or a longer run",
                    crate::words::count(total, "step"),
                    crate::words::count(len, "step"),
                    crate::words::count(cycles_in(total, len), "cycle")
                )
            }
        }
    })
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Snapshot,
        flags: format!("--lr (A0) --cycles M [{}]", DEFAULT_CYCLES),
        formula: "lr(t) = lr/2·(cos(π·(t mod c)/c) + 1), c = ⌈N/M⌉; a cycle ends at every t with (t+1) mod c = 0 and at t = N − 1 (a shorter last cycle is cut short, not stretched); M must give exactly M cycles",
        pytorch: "CosineAnnealingWarmRestarts(T_0=c, T_mult=1, eta_min=0) stepped once per batch gives the same LRs (Huang et al. 2017, eq. 2, with 0-based t)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::{check, close};
    use crate::schedule::{Schedule, ScheduleKind, ScheduleSpec};

    fn snapshot(lr: f64, cycles: u64, total: u64) -> SnapshotCosine {
        SnapshotCosine::new(lr, cycles, total).expect("valid")
    }

    /// The paper's eq. (2) with its 1-based iteration `t`, written out independently.
    fn paper(a0: f64, t_total: u64, m: u64, t: u64) -> f64 {
        let c = t_total.div_ceil(m);
        a0 / 2.0 * ((std::f64::consts::PI * ((t - 1) % c) as f64 / c as f64).cos() + 1.0)
    }

    #[test]
    fn research_rows_50_and_51() {
        // §8 row 50: α0 0.2, T 300, M 6, 1-based t 1 / 26 / 50 / 51 → 0.2 / 0.1 / 1.97327e-4 / 0.2
        let s = snapshot(0.2, 6, 300);
        check(
            "row 50",
            |t| s.lr(t),
            &[(0, 0.2), (25, 0.1), (49, 0.000197327157173), (50, 0.2)],
        );
        assert!(s.is_cycle_end(49) && !s.is_cycle_end(50));
        // §8 row 51: α0 0.1, T 1000, M 3 (⌈T/M⌉ = 334), t 1000 → 1.99049234832e-5
        let s = snapshot(0.1, 3, 1000);
        assert_eq!(s.cycle_len, 334);
        assert_eq!(s.last_cycle_len(), 332);
        assert!((s.lr(999) - 1.99049234832e-05).abs() < 1e-15);
    }

    #[test]
    fn matches_the_paper_formula_at_every_step() {
        for (a0, total, m) in [(0.1, 1000, 3), (0.2, 300, 6), (0.05, 97, 4), (1.0, 5, 5)] {
            let s = snapshot(a0, m, total);
            for t in 1..=total {
                assert!(
                    close(s.lr(t - 1), paper(a0, total, m, t)),
                    "{a0} {total} {m} t={t}"
                );
            }
        }
    }

    #[test]
    fn restarts_to_a0_right_after_each_snapshot_and_is_near_zero_before() {
        // 5 cycles of 40 steps
        let s = snapshot(0.1, 5, 200);
        let ends: Vec<u64> = (0..200).filter(|&t| s.is_cycle_end(t)).collect();
        assert_eq!(ends, [39, 79, 119, 159, 199]);
        let floor = 0.1 / 2.0 * ((std::f64::consts::PI * 39.0 / 40.0).cos() + 1.0);
        for &e in &ends {
            assert!(close(s.lr(e), floor), "step {e}");
            assert!(
                s.lr(e) < 0.1 * 0.002,
                "just before a snapshot the LR is near 0"
            );
            assert!(s.lr(e) > 0.0);
            assert_eq!(
                s.lr(e + 1),
                0.1,
                "restart right after the snapshot at step {e}"
            );
        }
        assert_eq!(s.lr(0), 0.1);
        assert!(close(s.lr(20), 0.05) && close(s.lr(60), 0.05));
    }

    #[test]
    fn the_last_shorter_cycle_ends_at_the_final_step() {
        // T 10, M 4: c = 3, cycles 0–2, 3–5, 6–8 and a one-step cycle at 9
        let s = snapshot(1.0, 4, 10);
        let ends: Vec<u64> = (0..10).filter(|&t| s.is_cycle_end(t)).collect();
        assert_eq!(ends, [2, 5, 8, 9]);
        assert_eq!(s.last_cycle_len(), 1);
        assert_eq!(
            s.lr(9),
            1.0,
            "cut short: the last cycle is the start of a full cosine"
        );
        // T 23, M 5: c = 5, the last cycle has 3 steps and is cut at 3/5 of its cosine
        let s = snapshot(0.5, 5, 23);
        let ends: Vec<u64> = (0..23).filter(|&t| s.is_cycle_end(t)).collect();
        assert_eq!(ends, [4, 9, 14, 19, 22]);
        assert!(close(
            s.lr(22),
            0.25 * ((std::f64::consts::PI * 2.0 / 5.0).cos() + 1.0)
        ));
    }

    #[test]
    fn exactly_m_cycles_or_refused() {
        // every (T, M) either gives exactly M cycle ends in T steps or is refused
        for total in 1..=60u64 {
            for m in 0..=total + 2 {
                match SnapshotCosine::new(0.1, m, total) {
                    Some(s) => {
                        let ends = (0..total).filter(|&t| s.is_cycle_end(t)).count() as u64;
                        assert_eq!(ends, m, "T {total} M {m}");
                        assert!(s.is_cycle_end(total - 1));
                    }
                    None => assert!(
                        m == 0 || m > total || cycles_in(total, total.div_ceil(m)) < m,
                        "T {total} M {m} refused"
                    ),
                }
            }
        }
        assert!(SnapshotCosine::new(0.1, 6, 10).is_none()); // ⌈10/6⌉ = 2 → 5 cycles
        assert!(SnapshotCosine::new(0.1, 1, 1).is_some());
    }

    #[test]
    fn built_from_flags_and_bounded_for_any_step() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Snapshot);
        a.cycles = Some(4);
        let s = a.build(0.2, 10, 400).unwrap();
        let Schedule::SnapshotCosine(ref inner) = s else {
            panic!("{s:?}")
        };
        assert_eq!((inner.cycles, inner.cycle_len, inner.total), (4, 100, 400));
        assert_eq!(s.name(), "snapshot");
        assert!(s.momentum(0).is_none());
        assert_eq!(s.lr_bounds(), (0.0, 0.2));
        for t in [0, 1, 399, 400, 12345, u64::MAX - 1, u64::MAX] {
            let v = s.lr(t);
            assert!(v.is_finite() && (0.0..=0.2).contains(&v), "{t}: {v}");
            let _ = s.is_cycle_end(t);
        }
        // the default is 5 cycles
        let d = ScheduleSpec::defaults(ScheduleKind::Snapshot)
            .build(0.1, 1, 50)
            .unwrap();
        assert!(matches!(
            d,
            Schedule::SnapshotCosine(SnapshotCosine { cycles: 5, .. })
        ));
        // refusals name --cycles
        for (cycles, total, want) in [
            (0, 100, "--cycles 0"),
            (6, 10, "--cycles 6"),
            (11, 10, "--cycles 11"),
        ] {
            let mut a = ScheduleSpec::defaults(ScheduleKind::Snapshot);
            a.cycles = Some(cycles);
            let err = a.build(0.1, 1, total).unwrap_err();
            assert!(crate::error::is_input_error(&err));
            assert!(err.to_string().starts_with(want), "{err}");
        }
        // --cycles belongs to snapshot only
        let mut a = ScheduleSpec::defaults(ScheduleKind::Sgdr);
        a.cycles = Some(3);
        let err = a.build(0.1, 1, 100).unwrap_err().to_string();
        assert!(
            err.contains("--cycles is not used by --schedule sgdr"),
            "{err}"
        );
    }
}

//! `constant`: the same learning rate at every step (no PyTorch scheduler at all).
//!
//! Formula: `lr(t) = lr`. Flags: `--lr`. No momentum cycling, no cycle ends.

use super::ScheduleKind;
use super::spec::FamilyInfo;

/// The constant schedule's rate at `step`: `lr`, whatever the step.
pub fn lr(lr: f64, step: u64) -> f64 {
    let _ = step;
    lr
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Constant,
        flags: "--lr".to_string(),
        formula: "lr(t) = lr",
        pytorch: "no scheduler",
    }
}

#[cfg(test)]
mod tests {
    use crate::schedule::Schedule;

    #[test]
    fn constant_everywhere() {
        let s = Schedule::Constant { lr: 3e-4 };
        for t in [0, 1, 99, 1 << 40, u64::MAX] {
            assert_eq!(s.lr(t), 3e-4);
            assert_eq!(s.momentum(t), None);
            assert!(!s.is_cycle_end(t));
        }
    }
}

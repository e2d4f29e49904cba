//! `exponential`: multiply the LR by `gamma` once per epoch (PyTorch `ExponentialLR` stepped per
//! epoch).
//!
//! Formula: `lr(t) = lr·γ^⌊t/K⌋` with `K` steps per epoch. PyTorch's `ExponentialLR` has no default
//! `gamma`; lrtool's default is 0.95 (the LR halves in about 13.5 epochs).

use serde::Serialize;

use super::ScheduleKind;
use super::pow_u64;
use super::spec::FamilyInfo;
use super::{Schedule, ScheduleSpec};

/// `lr·γ^⌊t/every⌋`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exponential {
    pub lr: f64,
    pub gamma: f64,
    /// Steps between two multiplications (the steps per epoch).
    pub every: u64,
}

impl Exponential {
    pub fn lr(&self, step: u64) -> f64 {
        self.lr * pow_u64(self.gamma, step / self.every.max(1))
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--gamma` of exponential when not given (PyTorch's ExponentialLR has none).
pub const DEFAULT_GAMMA: f64 = 0.95;

/// `--schedule exponential`: one decay per epoch of `spe` steps.
pub(super) fn build(spec: &ScheduleSpec, lr: f64, spe: u64) -> anyhow::Result<Schedule> {
    Ok({
        Schedule::Exponential(Exponential {
            lr,
            gamma: spec.gamma_or(DEFAULT_GAMMA)?,
            every: spe,
        })
    })
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Exponential,
        flags: format!("--lr --gamma [{}]", DEFAULT_GAMMA),
        formula: "lr(t) = lr·gamma^e",
        pytorch: "ExponentialLR(gamma) stepped per epoch (PyTorch has no default gamma)",
    }
}

#[cfg(test)]
mod tests {
    use crate::schedule::test_util::check;
    use crate::schedule::{ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), 1 step per epoch:
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.ExponentialLR(o, gamma=0.95)
    //   for t in range(100): print(t, s.get_last_lr()[0]); o.step(); s.step()
    // (row 10 also in the research notes §8 row 39: 0.0598736939238)
    const EXPONENTIAL_LR: [(u64, f64); 4] = [
        (0, 0.1),
        (1, 0.095),
        (10, 0.05987369392383786),
        (99, 0.0006232136021404205),
    ];

    #[test]
    fn matches_pytorch_per_epoch_and_holds_within_an_epoch() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Exponential);
        a.gamma = Some(0.95);
        let s = a.build(0.1, 1, 100).unwrap();
        check("ExponentialLR", |t| s.lr(t), &EXPONENTIAL_LR);
        let s5 = a.build(0.1, 5, 500).unwrap();
        for &(e, want) in &EXPONENTIAL_LR {
            check(
                "ExponentialLR, 5 steps/epoch",
                |t| s5.lr(t),
                &[(5 * e, want), (5 * e + 4, want)],
            );
        }
        // the default gamma is 0.95
        let d = ScheduleSpec::defaults(ScheduleKind::Exponential)
            .build(0.1, 1, 100)
            .unwrap();
        assert_eq!(d, s);
        assert_eq!(d.lr(u64::MAX), 0.0);
    }
}

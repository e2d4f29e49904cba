//! `step` and `multistep`: multiply the LR by `gamma` at fixed epochs (PyTorch `StepLR`,
//! `MultiStepLR`; the Keras blog's step decay as a variant).
//!
//! With `e = ⌊t / steps_per_epoch⌋` the 0-based epoch of step `t`:
//! - `step`, variant `pytorch` (default, `StepLR(step_size=k, gamma)` stepped per epoch):
//!   `lr·γ^⌊e/k⌋` — first drop at epoch `k`;
//! - `step`, variant `keras` (the widely copied `lr·drop^⌊(1+epoch)/epochs_drop⌋` with Keras'
//!   0-based epoch): `lr·γ^⌊(1+e)/k⌋` — first drop at epoch `k − 1`, one epoch earlier;
//! - `multistep` (`MultiStepLR(milestones, gamma)`): `lr·γ^n`, `n` = number of milestones `m` with
//!   `m ≤ e` (a repeated milestone counts twice, as PyTorch's `Counter` does).
//!
//! All three are resolved to steps at build time: `⌊e/k⌋ = ⌊t/(k·K)⌋` and
//! `⌊(1+e)/k⌋ = ⌊(t+K)/(k·K)⌋` for `K` steps per epoch, so the drops are at whole steps.

use serde::Serialize;

use super::ScheduleKind;
use super::pow_u64;
use super::spec::FamilyInfo;
use super::spec::{epochs_to_steps, parse_milestones};
use super::{Schedule, ScheduleSpec};
use crate::input_bail;

/// When the first drop of `step` happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepVariant {
    /// PyTorch StepLR: lr·gamma^⌊epoch/k⌋, first drop at epoch k.
    Pytorch,
    /// The Keras blog's step decay: lr·gamma^⌊(1+epoch)/k⌋, first drop at epoch k − 1.
    Keras,
}

impl StepVariant {
    pub fn name(self) -> &'static str {
        match self {
            StepVariant::Pytorch => "pytorch",
            StepVariant::Keras => "keras",
        }
    }
}

/// Step decay: `lr·γ^n` where `n = 0` before `first_drop` and `1 + ⌊(t − first_drop)/every⌋` after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepDecay {
    pub lr: f64,
    pub gamma: f64,
    /// Steps between drops (`--step-every` epochs × steps per epoch).
    pub every: u64,
    /// Step of the first drop: `every` (pytorch) or `every − steps_per_epoch` (keras).
    pub first_drop: u64,
    /// Which convention `first_drop` came from (for the summary; the maths uses the numbers).
    pub variant: StepVariant,
}

impl StepDecay {
    /// Number of drops applied at `step`.
    pub fn drops(&self, step: u64) -> u64 {
        if step < self.first_drop {
            0
        } else {
            1 + (step - self.first_drop) / self.every.max(1)
        }
    }

    pub fn lr(&self, step: u64) -> f64 {
        self.lr * pow_u64(self.gamma, self.drops(step))
    }
}

/// Multi-step decay: `lr·γ^n`, `n` = number of milestones (steps) at or before the step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiStep {
    pub lr: f64,
    pub gamma: f64,
    /// Steps at which the LR is multiplied by `gamma` (milestone epochs × steps per epoch).
    pub milestones: Vec<u64>,
}

impl MultiStep {
    pub fn lr(&self, step: u64) -> f64 {
        let n = self.milestones.iter().filter(|&&m| m <= step).count() as u64;
        self.lr * pow_u64(self.gamma, n)
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--gamma` of step and multistep when not given (PyTorch's StepLR/MultiStepLR default).
pub const DEFAULT_GAMMA: f64 = 0.1;
/// `--step-every` when not given, in epochs.
pub const DEFAULT_STEP_EVERY: u64 = 10;

/// `--schedule step` from the run's settings (`spe` steps per epoch).
pub(super) fn build(spec: &ScheduleSpec, lr: f64, spe: u64) -> anyhow::Result<Schedule> {
    Ok({
        let k = spec.step_every.unwrap_or(DEFAULT_STEP_EVERY);
        if k == 0 {
            input_bail!("--step-every 0: must be at least 1 epoch");
        }
        let every = epochs_to_steps("--step-every", k, spe)?;
        let variant = spec.step_variant.unwrap_or(StepVariant::Pytorch);
        let first_drop = match variant {
            StepVariant::Pytorch => every,
            StepVariant::Keras => every - spe,
        };
        Schedule::Step(StepDecay {
            lr,
            gamma: spec.gamma_or(DEFAULT_GAMMA)?,
            every,
            first_drop,
            variant,
        })
    })
}

/// `--schedule multistep` from the run's settings.
pub(super) fn build_multistep(spec: &ScheduleSpec, lr: f64, spe: u64) -> anyhow::Result<Schedule> {
    Ok({
        let Some(text) = &spec.milestones else {
            input_bail!(
                "--milestones: --schedule multistep needs the epochs at which to multiply by --gamma, like --milestones 30,80"
            );
        };
        let epochs = parse_milestones(text)?;
        let milestones = epochs
            .iter()
            .map(|&e| epochs_to_steps("--milestones", e, spe))
            .collect::<anyhow::Result<Vec<u64>>>()?;
        Schedule::MultiStep(MultiStep {
            lr,
            gamma: spec.gamma_or(DEFAULT_GAMMA)?,
            milestones,
        })
    })
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Step,
        flags: format!(
            "--lr --gamma [{}] --step-every EPOCHS [{}] --step-variant pytorch|keras [pytorch]",
            DEFAULT_GAMMA, DEFAULT_STEP_EVERY
        ),
        formula: "lr(t) = lr·gamma^⌊e/k⌋ (keras: ⌊(1+e)/k⌋, one epoch earlier), k = --step-every",
        pytorch: "StepLR(step_size=k, gamma) stepped per epoch",
    }
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info_multistep() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Multistep,
        flags: format!(
            "--lr --gamma [{}] --milestones E1,E2,… (required)",
            DEFAULT_GAMMA
        ),
        formula: "lr(t) = lr·gamma^(number of milestones ≤ e)",
        pytorch: "MultiStepLR(milestones, gamma) stepped per epoch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::check;
    use crate::schedule::{ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), per epoch (1 step per epoch):
    //   import torch; from torch.optim import SGD, lr_scheduler as L
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05, momentum=0.9)
    //   s = L.StepLR(o, step_size=30, gamma=0.1)      # or L.MultiStepLR(o, milestones=[30, 80], gamma=0.1)
    //   for t in range(100): print(t, s.get_last_lr()[0]); o.step(); s.step()
    const STEP_LR: [(u64, f64); 6] = [
        (0, 0.05),
        (29, 0.05),
        (30, 0.005000000000000001),
        (59, 0.005000000000000001),
        (60, 0.0005000000000000001),
        (90, 5.0000000000000016e-05),
    ];
    const MULTI_STEP_LR: [(u64, f64); 6] = [
        (0, 0.05),
        (29, 0.05),
        (30, 0.005000000000000001),
        (79, 0.005000000000000001),
        (80, 0.0005000000000000001),
        (99, 0.0005000000000000001),
    ];

    fn step_args(gamma: f64, every: u64, variant: Option<StepVariant>) -> ScheduleSpec {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Step);
        a.gamma = Some(gamma);
        a.step_every = Some(every);
        a.step_variant = variant;
        a
    }

    #[test]
    fn step_lr_matches_pytorch_per_epoch() {
        let s = step_args(0.1, 30, None).build(0.05, 1, 100).unwrap();
        check("StepLR", |t| s.lr(t), &STEP_LR);
    }

    #[test]
    fn step_epochs_become_steps() {
        // 7 steps per epoch: step t is in epoch ⌊t/7⌋, so StepLR's epoch table holds at 7·e … 7·e+6
        let s = step_args(0.1, 30, None).build(0.05, 7, 700).unwrap();
        for &(e, want) in &STEP_LR {
            check(
                "StepLR, 7 steps/epoch",
                |t| s.lr(t),
                &[(7 * e, want), (7 * e + 6, want)],
            );
        }
        assert_eq!(s.lr(209), 0.05); // last step of epoch 29
        assert!(s.lr(210) < 0.05); // first step of epoch 30
    }

    #[test]
    fn keras_variant_drops_one_epoch_earlier() {
        // The blog's step decay lr0·drop^⌊(1+epoch)/epochs_drop⌋ with lr0 0.1, drop 0.5,
        // epochs_drop 10 (research notes §8 row 46, closed form): epoch 8 → 0.1, 9 → 0.05,
        // 19 → 0.025; StepLR(10) would still give 0.1 at epoch 9.
        let keras = step_args(0.5, 10, Some(StepVariant::Keras))
            .build(0.1, 1, 100)
            .unwrap();
        check(
            "keras step decay",
            |t| keras.lr(t),
            &[(0, 0.1), (8, 0.1), (9, 0.05), (18, 0.05), (19, 0.025)],
        );
        let torch = step_args(0.5, 10, None).build(0.1, 1, 100).unwrap();
        check("StepLR(10)", |t| torch.lr(t), &[(9, 0.1), (10, 0.05)]);
        // per step with 4 steps per epoch: epoch 9 starts at step 36
        let keras4 = step_args(0.5, 10, Some(StepVariant::Keras))
            .build(0.1, 4, 400)
            .unwrap();
        assert_eq!((keras4.lr(35), keras4.lr(36)), (0.1, 0.05));
    }

    #[test]
    fn multistep_matches_pytorch() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Multistep);
        a.milestones = Some("30,80".into());
        let s = a.build(0.05, 1, 100).unwrap();
        check("MultiStepLR", |t| s.lr(t), &MULTI_STEP_LR);
        let s3 = a.build(0.05, 3, 300).unwrap();
        check(
            "MultiStepLR, 3 steps/epoch",
            |t| s3.lr(t),
            &[
                (89, 0.05),
                (90, 0.005000000000000001),
                (240, 0.0005000000000000001),
            ],
        );
    }

    #[test]
    fn far_steps_underflow_to_zero_without_panic() {
        let s = StepDecay {
            lr: 1.0,
            gamma: 0.5,
            every: 1,
            first_drop: 1,
            variant: StepVariant::Pytorch,
        };
        assert_eq!(s.lr(u64::MAX), 0.0);
        let z = StepDecay { every: 0, ..s };
        assert!(z.lr(10).is_finite());
    }
}

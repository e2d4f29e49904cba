//! Stochastic weight averaging's learning rate: PyTorch's `torch.optim.swa_utils.SWALR`, and
//! the settings of an SWA run (`SwaSettings`).
//!
//! SWA (Izmailov et al. 2018) trains under the run's own schedule up to an epoch, then anneals
//! the LR to a constant `swa_lr` and averages the weights after every epoch. This file holds the
//! LR of that second phase. PyTorch's `SWALR.get_lr()` is not written as a function of the step:
//! it rebuilds the LR the annealing started from out of the LR it set last time,
//!
//! ```text
//! step    = scheduler steps taken so far (0 when it is constructed); max(1, step) if K = 0
//! α(t)    = (1 − cos πt)/2  (cos)  or  t  (linear),   t clamped to [0, 1]
//! prev_α  = α((step − 1)/max(1, K)),   start = swa_lr if prev_α = 1 else (lr − prev_α·swa_lr)/(1 − prev_α)
//! new lr  = swa_lr·α(step/max(1, K)) + start·(1 − α(step/max(1, K)))
//! ```
//!
//! where `lr` is the LR of the previous step. In exact arithmetic `start` is the LR at the switch
//! and the new LR is `swa_lr·α_s + lr0·(1 − α_s)`; in floating point the recovered `start`
//! differs from `lr0` in the last bits, so [`SwaLr::value`] replays PyTorch's recursion from
//! `lr0` (at most `K + 1` steps: from step `K` on the LR is exactly `swa_lr`). That keeps the
//! phase a pure function of the step *given the LR at the switch*: a schedule of the step knows
//! that LR in advance (`base.lr(switch_step)`); a feedback policy (plateau) knows it once the
//! last epoch before the switch has been heard, and hears nothing after it.
//!
//! lrtool steps SWALR once per epoch, as PyTorch's recipe does (`swa_scheduler.step()` after
//! each epoch) and as `anneal_epochs` is counted: the first SWA epoch trains at the LR at the
//! switch (SWALR's value when it is constructed, step 0), the `j`-th SWA epoch (0-based) at the
//! value after `j` scheduler steps. The LR is constant inside an epoch.
//!
//! Deliberate difference from the PyTorch recipe: SWALR is constructed at the switch, from the
//! LR the base schedule gives the first SWA epoch (the recipe constructs it before training and
//! lets the base scheduler overwrite the LR; the two agree for `K ≥ 1`; with `K = 0` the recipe
//! keeps the base LR for one more epoch, lrtool goes straight to `swa_lr`).

use serde::{Deserialize, Serialize};

use super::Anneal;

/// PyTorch's `SWALR` default `anneal_epochs`.
pub const DEFAULT_ANNEAL_EPOCHS: u64 = 10;
/// PyTorch's `SWALR` default `anneal_strategy`.
pub const DEFAULT_ANNEAL: Anneal = Anneal::Cos;

/// `--swa-start`, `--swa-lr`, `--swa-anneal-epochs`, `--swa-anneal`: checked against the run's
/// epochs, independent of the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SwaSettings {
    /// The first epoch (1-based) of the SWA phase: trained under SWALR and averaged.
    pub start_epoch: u64,
    pub swa_lr: f64,
    pub anneal_epochs: u64,
    pub anneal: Anneal,
}

impl SwaSettings {
    /// The SWA phase's LR for a run of `steps_per_epoch` steps per epoch.
    pub fn lr_phase(&self, steps_per_epoch: usize) -> SwaLr {
        SwaLr {
            settings: *self,
            steps_per_epoch: steps_per_epoch.max(1) as u64,
        }
    }
}

/// The LR of the SWA phase, stepped once per epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwaLr {
    pub settings: SwaSettings,
    pub steps_per_epoch: u64,
}

/// PyTorch's `_cosine_anneal` / `_linear_anneal`.
fn anneal_fn(anneal: Anneal, t: f64) -> f64 {
    match anneal {
        Anneal::Cos => (1.0 - (std::f64::consts::PI * t).cos()) / 2.0,
        Anneal::Linear => t,
    }
}

/// PyTorch's `max(0, min(1, x))`.
fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

impl SwaLr {
    /// The first step (0-based) trained under SWALR: the first step of epoch `start_epoch`.
    pub fn switch_step(&self) -> u64 {
        self.settings.start_epoch.saturating_sub(1) * self.steps_per_epoch
    }

    /// Whether `step` belongs to the SWA phase.
    pub fn is_active(&self, step: u64) -> bool {
        step >= self.switch_step()
    }

    /// One `SWALR.get_lr()`: the LR after scheduler step `step` (0 = construction), from the
    /// LR `lr` the previous step set.
    fn get_lr(&self, step: u64, lr: f64) -> f64 {
        let SwaSettings {
            swa_lr,
            anneal_epochs,
            anneal,
            ..
        } = self.settings;
        let step = if anneal_epochs == 0 {
            step.max(1)
        } else {
            step
        } as f64;
        let k = anneal_epochs.max(1) as f64;
        let prev_alpha = anneal_fn(anneal, clamp01((step - 1.0) / k));
        let start = if prev_alpha == 1.0 {
            swa_lr
        } else {
            (lr - prev_alpha * swa_lr) / (1.0 - prev_alpha)
        };
        let alpha = anneal_fn(anneal, clamp01(step / k));
        swa_lr * alpha + start * (1.0 - alpha)
    }

    /// SWALR's LR after `j` scheduler steps when it was constructed with the LR `lr0`
    /// (`get_last_lr()` after `j` calls of `step()`).
    pub fn value(&self, lr0: f64, j: u64) -> f64 {
        // from step K + 1 on prev_α = 1 and the value is exactly swa_lr: no need to go further
        let last = j.min(self.settings.anneal_epochs + 1);
        let mut lr = lr0;
        for s in 0..=last {
            lr = self.get_lr(s, lr);
        }
        lr
    }

    /// The LR of `step` in the SWA phase (`step ≥ switch_step`), given the LR at the switch.
    pub fn lr(&self, lr0: f64, step: u64) -> f64 {
        let j = step.saturating_sub(self.switch_step()) / self.steps_per_epoch;
        self.value(lr0, j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swalr(swa_lr: f64, anneal_epochs: u64, anneal: Anneal) -> SwaLr {
        SwaSettings {
            start_epoch: 1,
            swa_lr,
            anneal_epochs,
            anneal,
        }
        .lr_phase(1)
    }

    /// Golden values printed by PyTorch (2.15.0, CPU) (`get_last_lr()` after construction and after each
    /// `step()`):
    ///
    /// ```python
    /// import torch
    /// from torch.optim.swa_utils import SWALR
    /// for lr0, swa_lr, k, strat in [(0.1, 0.01, 10, "cos"), (0.1, 0.01, 3, "linear"),
    ///                               (0.02, 0.05, 4, "cos"), (0.1, 0.01, 0, "cos"),
    ///                               (0.3, 0.007, 1, "linear")]:
    ///     p = torch.nn.Parameter(torch.zeros(1))
    ///     opt = torch.optim.SGD([p], lr=lr0)
    ///     s = SWALR(opt, swa_lr=swa_lr, anneal_epochs=k, anneal_strategy=strat)
    ///     vals = [s.get_last_lr()[0]]
    ///     for _ in range(k + 3):
    ///         opt.step(); s.step(); vals.append(s.get_last_lr()[0])
    ///     print(lr0, swa_lr, k, strat, [repr(v) for v in vals])
    /// ```
    #[test]
    fn swalr_matches_pytorch() {
        for (lr0, swa_lr, k, anneal, want) in GOLDEN {
            let s = swalr(swa_lr, k, anneal);
            for (j, &w) in want.iter().enumerate() {
                let got = s.value(lr0, j as u64);
                assert_eq!(
                    got.to_bits(),
                    w.to_bits(),
                    "lr0 {lr0} swa_lr {swa_lr} K {k} {anneal:?} step {j}: {got} vs {w}"
                );
            }
            // and it stays at swa_lr afterwards
            assert_eq!(s.value(lr0, 1000), swa_lr);
        }
    }

    /// Printed by PyTorch 2.15.0 (CPU) with the snippet above.
    const GOLDEN: [(f64, f64, u64, Anneal, &[f64]); 5] = [
        (
            0.1,
            0.01,
            10,
            Anneal::Cos,
            &[
                0.1,
                0.09779754323328192,
                0.09140576474687265,
                0.08145033635316129,
                0.06890576474687264,
                0.055,
                0.041094235253127366,
                0.028549663646838717,
                0.018594235253127363,
                0.012202456766718087,
                0.01,
                0.01,
                0.01,
                0.01,
            ],
        ),
        (
            0.1,
            0.01,
            3,
            Anneal::Linear,
            &[0.1, 0.07, 0.04000000000000001, 0.01, 0.01, 0.01, 0.01],
        ),
        (
            0.02,
            0.05,
            4,
            Anneal::Cos,
            &[
                0.02,
                0.024393398282201786,
                0.034999999999999996,
                0.04560660171779821,
                0.05,
                0.05,
                0.05,
                0.05,
            ],
        ),
        (0.1, 0.01, 0, Anneal::Cos, &[0.01, 0.01, 0.01, 0.01]),
        (
            0.3,
            0.007,
            1,
            Anneal::Linear,
            &[0.3, 0.007, 0.007, 0.007, 0.007],
        ),
    ];

    #[test]
    fn the_phase_starts_at_the_switch_and_is_constant_inside_an_epoch() {
        let s = SwaSettings {
            start_epoch: 3,
            swa_lr: 0.01,
            anneal_epochs: 2,
            anneal: Anneal::Linear,
        }
        .lr_phase(5);
        assert_eq!(s.switch_step(), 10);
        assert!(!s.is_active(9) && s.is_active(10));
        for t in 10..15 {
            assert_eq!(s.lr(0.1, t), 0.1);
        }
        for t in 15..20 {
            assert!((s.lr(0.1, t) - 0.055).abs() < 1e-15);
        }
        for t in 20..40 {
            assert_eq!(s.lr(0.1, t), 0.01);
        }
    }
}

//! `one-cycle`: Smith's 1cycle exactly as PyTorch `OneCycleLR` (per step), momentum cycling on
//! by default as in PyTorch.
//!
//! With `N` steps, `initial = lr/div_factor`, `min = initial/final_div_factor`, the phases end at
//! the (fractional) steps
//! - two-phase (default, fastai style): `pct·N − 1` (initial → lr, momentum max → base), then
//!   `N − 1` (lr → min, momentum base → max);
//! - three-phase (Smith's original): `pct·N − 1` (initial → lr), `2·pct·N − 2` (lr → initial),
//!   `N − 1` (initial → min; momentum stays at max).
//!
//! Inside a phase `p = (t − start)/(end − start)`; cos: `end + (start − end)/2·(1 + cos πp)`,
//! linear: `start + (end − start)·p`. So the LR starts at `lr/div_factor`, peaks at step
//! `pct·N − 1` (step 29 for N 100, pct 0.3) and ends at `lr/(div_factor·final_div_factor)` at step
//! `N − 1`.
//!
//! Deliberate differences: past the last step lrtool holds the final values (PyTorch allows one
//! extra step, which bounces upward, and raises after it); a phase of zero length (PyTorch divides
//! by zero, e.g. when `pct·N = 1`) counts as finished.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::ScheduleKind;
use super::spec::FamilyInfo;
use super::{MomentumRange, within};
use super::{Schedule, ScheduleSpec};
use crate::{input_bail, input_err};

/// How each phase moves between its end points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anneal {
    /// Half a cosine (PyTorch anneal_strategy='cos').
    Cos,
    /// A straight line (PyTorch anneal_strategy='linear').
    Linear,
}

impl Anneal {
    pub fn name(self) -> &'static str {
        match self {
            Anneal::Cos => "cos",
            Anneal::Linear => "linear",
        }
    }

    /// PyTorch's `_annealing_cos` / `_annealing_linear`, same evaluation order.
    fn apply(self, start: f64, end: f64, pct: f64) -> f64 {
        let v = match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (end - start) * pct + start,
        };
        within(v, start, end)
    }
}

/// Smith's 1cycle over `total` steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneCycle {
    /// The peak LR (PyTorch `max_lr`, lrtool `--lr`).
    pub max_lr: f64,
    /// Steps in the cycle (PyTorch `total_steps`).
    pub total: u64,
    pub pct_start: f64,
    pub div_factor: f64,
    pub final_div_factor: f64,
    pub anneal: Anneal,
    pub three_phase: bool,
    /// Momentum cycled against the LR, or `None`.
    pub momentum: Option<MomentumRange>,
}

/// One phase: its last (fractional) step and the values at its two ends.
struct Phase {
    end: f64,
    lr: (f64, f64),
    momentum: (f64, f64),
}

impl OneCycle {
    pub fn initial_lr(&self) -> f64 {
        self.max_lr / self.div_factor
    }

    pub fn min_lr(&self) -> f64 {
        self.initial_lr() / self.final_div_factor
    }

    fn phases(&self) -> Vec<Phase> {
        let (max, initial, min) = (self.max_lr, self.initial_lr(), self.min_lr());
        let (mb, mm) = self.momentum.map_or((0.0, 0.0), |m| (m.base, m.max));
        let n = self.total as f64;
        let pct = self.pct_start;
        if self.three_phase {
            vec![
                Phase {
                    end: pct * n - 1.0,
                    lr: (initial, max),
                    momentum: (mm, mb),
                },
                Phase {
                    end: 2.0 * pct * n - 2.0,
                    lr: (max, initial),
                    momentum: (mb, mm),
                },
                Phase {
                    end: n - 1.0,
                    lr: (initial, min),
                    momentum: (mm, mm),
                },
            ]
        } else {
            vec![
                Phase {
                    end: pct * n - 1.0,
                    lr: (initial, max),
                    momentum: (mm, mb),
                },
                Phase {
                    end: n - 1.0,
                    lr: (max, min),
                    momentum: (mb, mm),
                },
            ]
        }
    }

    /// The phase holding `step` and the fraction `p ∈ [0, 1]` of it done (PyTorch's loop).
    fn locate(&self, step: u64) -> (Phase, f64) {
        let t = step.min(self.total.saturating_sub(1)) as f64;
        let mut phases = self.phases();
        // the first phase that has not ended yet, else the last one (PyTorch's loop)
        let i = phases
            .iter()
            .position(|p| t <= p.end)
            .unwrap_or(phases.len() - 1);
        let start = if i == 0 { 0.0 } else { phases[i - 1].end };
        let phase = phases.swap_remove(i);
        let span = phase.end - start;
        let p = if span > 0.0 {
            ((t - start) / span).clamp(0.0, 1.0)
        } else {
            1.0
        };
        (phase, p)
    }

    pub fn lr(&self, step: u64) -> f64 {
        let (phase, p) = self.locate(step);
        self.anneal.apply(phase.lr.0, phase.lr.1, p)
    }

    pub fn momentum(&self, step: u64) -> Option<f64> {
        self.momentum?;
        let (phase, p) = self.locate(step);
        Some(self.anneal.apply(phase.momentum.0, phase.momentum.1, p))
    }

    pub fn lr_bounds(&self) -> (f64, f64) {
        (self.min_lr().min(self.initial_lr()), self.max_lr)
    }
}

// ---------------------------------------------------------------- settings, defaults, build

/// `--pct-start` when not given (PyTorch's).
pub const DEFAULT_PCT_START: f64 = 0.3;
/// `--div-factor` when not given (PyTorch's).
pub const DEFAULT_DIV_FACTOR: f64 = 25.0;
/// `--final-div-factor` when not given (PyTorch's).
pub const DEFAULT_FINAL_DIV_FACTOR: f64 = 1e4;
/// `--base-momentum` and `--max-momentum` when not given (PyTorch's OneCycleLR).
pub const DEFAULT_MOMENTUM: (f64, f64) = (0.85, 0.95);

/// `--schedule one-cycle` over `total` steps.
pub(super) fn build(spec: &ScheduleSpec, lr: f64, total: u64) -> anyhow::Result<Schedule> {
    Ok({
        let pct_start = match spec.pct_start {
            Some(p) => super::spec::fraction("--pct-start", p, false, false)?,
            None => DEFAULT_PCT_START,
        };
        if spec.three_phase && pct_start >= 0.5 {
            input_bail!(
                "--pct-start {pct_start}: must be below 0.5 with --three-phase (the first two phases take 2·pct-start of the run)"
            );
        }
        let factor = |flag: &str, v: Option<f64>, default: f64| match v {
            None => Ok(default),
            Some(f) if f.is_finite() && f >= 1.0 => Ok(f),
            Some(f) => Err(input_err!(
                "{flag} {f}: must be a finite number of at least 1"
            )),
        };
        Schedule::OneCycle(OneCycle {
            max_lr: lr,
            total,
            pct_start,
            div_factor: factor("--div-factor", spec.div_factor, DEFAULT_DIV_FACTOR)?,
            final_div_factor: factor(
                "--final-div-factor",
                spec.final_div_factor,
                DEFAULT_FINAL_DIV_FACTOR,
            )?,
            anneal: spec.anneal.unwrap_or(Anneal::Cos),
            three_phase: spec.three_phase,
            momentum: spec.momentum_range(DEFAULT_MOMENTUM.0, DEFAULT_MOMENTUM.1)?,
        })
    })
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::OneCycle,
        flags: format!(
            "--lr (max) --pct-start [{}] --div-factor [{}] --final-div-factor [{:e}] --anneal cos|linear [cos] --three-phase --cycle-momentum [on] --base-momentum [{}] --max-momentum [{}]",
            DEFAULT_PCT_START,
            DEFAULT_DIV_FACTOR,
            DEFAULT_FINAL_DIV_FACTOR,
            DEFAULT_MOMENTUM.0,
            DEFAULT_MOMENTUM.1
        ),
        formula: "lr/div-factor → lr at step pct-start·N − 1 → lr/(div-factor·final-div-factor) at step N − 1",
        pytorch: "OneCycleLR(max_lr, total_steps=N, pct_start, anneal_strategy, div_factor, final_div_factor, three_phase)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::check_lr_momentum as check;
    use crate::schedule::{Schedule, ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python):
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.OneCycleLR(o, max_lr=0.1, total_steps=100)   # pct_start 0.3, cos, div 25, final 1e4,
    //                                                      # momentum 0.85 → 0.95 cycled
    //   for t in range(100): print(t, s.get_last_lr()[0], o.param_groups[0]["momentum"]); o.step(); s.step()
    // (anneal_strategy="linear" and three_phase=True for the other tables; rows 29–36 of the
    // research notes §8 agree.)
    const COS: [(u64, f64, f64); 9] = [
        (0, 0.0040000000000000036, 0.95), // starts at lr/div_factor
        (1, 0.004281378056590748, 0.9497068978577179),
        (15, 0.05459866761210004, 0.897293054570729),
        (28, 0.09971862194340926, 0.850293102142282),
        (29, 0.1, 0.85), // peak at pct_start·N − 1 = 29, not 30
        (30, 0.09994965352845243, 0.8500503466729342),
        (64, 0.0500002, 0.8999999999999999),
        (98, 5.07464715475788e-05, 0.9499496533270657),
        (99, 4e-07, 0.95), // ends at lr/(div_factor·final_div_factor)
    ];
    const LINEAR: [(u64, f64, f64); 5] = [
        (0, 0.004, 0.95),
        (15, 0.05365517241379311, 0.8982758620689655),
        (29, 0.1, 0.85),
        (64, 0.0500002, 0.8999999999999999),
        // PyTorch: 3.999999999976245e-07, i.e. (min − max)·1 + max rounds 6e-11 (relative) below
        // its own end point min = 4e-07; lrtool keeps every phase within its end points
        (99, 4e-07, 0.95),
    ];
    const THREE_PHASE: [(u64, f64, f64); 7] = [
        (0, 0.0040000000000000036, 0.95),
        (15, 0.05459866761210004, 0.897293054570729),
        (29, 0.1, 0.85),
        (43, 0.05459866761210004, 0.897293054570729),
        (58, 0.004, 0.95),
        (78, 0.002076797806833333, 0.95),
        (99, 4e-07, 0.95),
    ];

    fn build(anneal: Option<Anneal>, three_phase: bool) -> Schedule {
        let mut a = ScheduleSpec::defaults(ScheduleKind::OneCycle);
        a.anneal = anneal;
        a.three_phase = three_phase;
        a.build(0.1, 1, 100).unwrap()
    }

    #[test]
    fn cos_matches_pytorch() {
        let s = build(None, false);
        check("OneCycleLR cos", &s, &COS);
        // the peak step is the only step at max_lr
        let peak = (0..100)
            .max_by(|&a, &b| s.lr(a).total_cmp(&s.lr(b)))
            .unwrap();
        assert_eq!((peak, s.lr(peak)), (29, 0.1));
    }

    #[test]
    fn linear_matches_pytorch() {
        check(
            "OneCycleLR linear",
            &build(Some(Anneal::Linear), false),
            &LINEAR,
        );
    }

    #[test]
    fn three_phase_matches_pytorch() {
        check("OneCycleLR three_phase", &build(None, true), &THREE_PHASE);
    }

    #[test]
    fn holds_the_end_after_the_run_and_survives_degenerate_phases() {
        let s = build(None, false);
        for t in [100, 101, 1000, u64::MAX] {
            assert_eq!(s.lr(t), s.lr(99));
            assert_eq!(s.momentum(t), Some(0.95));
        }
        // pct·N = 1: PyTorch divides 0 by 0 at step 0; lrtool treats the empty phase as done
        let tiny = OneCycle {
            max_lr: 1.0,
            total: 10,
            pct_start: 0.1,
            div_factor: 25.0,
            final_div_factor: 1e4,
            anneal: Anneal::Cos,
            three_phase: false,
            momentum: None,
        };
        assert_eq!(tiny.lr(0), 1.0);
        assert!(tiny.lr(9) < 1e-4);
        for total in [0, 1, 2] {
            for three_phase in [false, true] {
                let s = OneCycle {
                    total,
                    three_phase,
                    ..tiny.clone()
                };
                for t in 0..4 {
                    let v = s.lr(t);
                    assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{total} {t} {v}");
                }
            }
        }
    }
}

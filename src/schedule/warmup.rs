//! Linear warm-up in front of any schedule (`--warmup-steps`/`--warmup-epochs`,
//! `--warmup-start-factor`): PyTorch `SequentialLR([LinearLR(start_factor, 1.0, total_iters=W),
//! main], milestones=[W])`.
//!
//! With `W` warm-up steps, start factor `f` and `L0 = main.lr(0)` the main schedule's first LR:
//!
//! - `t < W`: `lr(t) = L0·(f + (1 − f)·t/W)` — `f·L0` at step 0, rising by `(1 − f)·L0/W` per step,
//!   reaching `L0·(1 − (1 − f)/W)` at step `W − 1` (PyTorch `LinearLR`'s closed form);
//! - `t ≥ W`: `lr(t) = main.lr(t − W)` — the main schedule restarts from its own step 0, and it was
//!   built over the remaining `N − W` steps of the run (cosine's `T_max`, one-cycle's total).
//!
//! Momentum during the warm-up is the main schedule's first momentum (`main.momentum(0)`, e.g. the
//! cyclical schedules' `max_momentum`); cycle ends are the main schedule's, shifted by `W`.
//!
//! Deliberate difference: PyTorch's `LinearLR` ramps to the optimizer's LR; lrtool ramps to the
//! main schedule's first LR. That is the same `--lr` for every family except the cyclical ones
//! (which start at `--min-lr`) and one-cycle (`--lr/div-factor`), where lrtool's choice keeps the
//! LR continuous at the hand-over instead of jumping.

use serde::Serialize;

use super::{Schedule, within};

/// `steps` of linear warm-up from `start_factor·main.lr(0)`, then `main` from its step 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warmup {
    pub steps: u64,
    pub start_factor: f64,
    pub main: Box<Schedule>,
}

impl Warmup {
    pub fn lr(&self, step: u64) -> f64 {
        if step >= self.steps {
            return self.main.lr(step - self.steps);
        }
        let target = self.main.lr(0);
        let f = self.start_factor;
        let v = target * (f + (1.0 - f) * step as f64 / self.steps as f64);
        within(v, target * f, target)
    }

    pub fn momentum(&self, step: u64) -> Option<f64> {
        self.main.momentum(step.saturating_sub(self.steps))
    }

    pub fn is_cycle_end(&self, step: u64) -> bool {
        step >= self.steps && self.main.is_cycle_end(step - self.steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_util::check;
    use crate::schedule::{ScheduleKind, ScheduleSpec};

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python):
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
    //                          L.CosineAnnealingLR(o, T_max=95)], milestones=[5])
    //   for t in range(100): print(t, s.get_last_lr()[0]); o.step(); s.step()
    // (research notes §8 row 43 agrees: 0.01 / 0.082 / 0.1 / 0.0541289672736 at 0 / 4 / 5 / 50)
    const LINEAR_THEN_COSINE: [(u64, f64); 9] = [
        (0, 0.010000000000000002),
        (1, 0.028000000000000004),
        (2, 0.046000000000000006),
        (3, 0.064),
        (4, 0.082),
        (5, 0.1), // the cosine's own step 0
        (6, 0.09997266286704631),
        (50, 0.05412896727361661),
        (99, 2.7337132953697543e-05),
    ];
    // Same driver, lr=0.2, SequentialLR([LinearLR(o, start_factor=1/3, total_iters=4),
    //                                   StepLR(o, step_size=3, gamma=0.5)], milestones=[4])
    const LINEAR_THEN_STEP: [(u64, f64); 12] = [
        (0, 0.06666666666666667),
        (1, 0.1),
        (2, 0.13333333333333336),
        (3, 0.16666666666666669),
        (4, 0.2),
        (5, 0.2),
        (6, 0.2),
        (7, 0.1),
        (8, 0.1),
        (9, 0.1),
        (10, 0.05),
        (11, 0.05),
    ];

    #[test]
    fn warmup_then_cosine_matches_sequential_lr() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Cosine);
        a.warmup_steps = Some(5);
        a.warmup_start_factor = Some(0.1);
        let s = a.build(0.1, 1, 100).unwrap();
        check(
            "SequentialLR(LinearLR, CosineAnnealingLR)",
            |t| s.lr(t),
            &LINEAR_THEN_COSINE,
        );
        assert_eq!(s.name(), "cosine");
    }

    #[test]
    fn warmup_epochs_then_step_matches_sequential_lr() {
        // default start factor 1/3 (PyTorch LinearLR's); 2 steps per epoch, warm-up 2 epochs,
        // StepLR every 3 "epochs" → compare at 1 step per epoch with --warmup-steps 4
        let mut a = ScheduleSpec::defaults(ScheduleKind::Step);
        a.warmup_steps = Some(4);
        a.step_every = Some(3);
        a.gamma = Some(0.5);
        let s = a.build(0.2, 1, 12).unwrap();
        check(
            "SequentialLR(LinearLR, StepLR)",
            |t| s.lr(t),
            &LINEAR_THEN_STEP,
        );
        a.warmup_steps = None;
        a.warmup_epochs = Some(2);
        let by_epochs = a.build(0.2, 2, 24).unwrap();
        match &by_epochs {
            Schedule::Warmup(w) => assert_eq!(w.steps, 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ramps_to_the_main_schedules_first_lr() {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Triangular);
        a.min_lr = Some(0.01);
        a.step_size = Some(10);
        a.warmup_steps = Some(4);
        a.warmup_start_factor = Some(0.5);
        let s = a.build(0.1, 1, 100).unwrap();
        check(
            "warm-up to the base",
            |t| s.lr(t),
            &[(0, 0.005), (2, 0.0075), (4, 0.01), (14, 0.1)],
        );
        assert_eq!(s.momentum(0), Some(0.9));
        assert_eq!(s.momentum(14), Some(0.8));
        assert!(!s.is_cycle_end(19) && s.is_cycle_end(23));
    }
}

//! The LR range test's policy: the LR rises from `min` to `max` over `steps` optimizer steps,
//! geometrically or linearly, on the grid of [`crate::lr_finder::sweep_lr`] (torch-lr-finder's
//! grid: `min` at the first step, `max` exactly at the last, `max` after it). Plain data and a
//! pure function of the step, like every schedule; the loop sees it through `train::LrSchedule`.

use crate::lr_finder::{self, SweepMode};

/// The range test's LR policy: plain data, a pure function of the 0-based step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeTest {
    pub mode: SweepMode,
    pub min: f64,
    pub max: f64,
    pub steps: u64,
}

impl RangeTest {
    /// The LR of the `step`-th update (0-based).
    pub fn lr(&self, step: u64) -> f64 {
        lr_finder::sweep_lr(self.mode, self.min, self.max, self.steps, step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    #[test]
    fn exponential_grid_runs_from_min_to_exactly_max() {
        let r = RangeTest {
            mode: SweepMode::Exp,
            min: 1e-5,
            max: 10.0,
            steps: 7,
        };
        assert_eq!(r.lr(0), 1e-5);
        assert_eq!(r.lr(6), 10.0);
        for i in 1..6 {
            // one decade per step
            assert!(
                close(r.lr(i), 1e-5 * 10f64.powi(i as i32)),
                "{i}: {}",
                r.lr(i)
            );
        }
        // past the end it stays at max
        assert_eq!(r.lr(100), 10.0);
    }

    #[test]
    fn linear_grid_has_equal_steps() {
        let r = RangeTest {
            mode: SweepMode::Linear,
            min: 0.1,
            max: 1.1,
            steps: 11,
        };
        assert_eq!(r.lr(0), 0.1);
        assert_eq!(r.lr(10), 1.1);
        assert!(close(r.lr(5), 0.6));
        assert_eq!(r.lr(11), 1.1);
    }

    #[test]
    fn is_monotone_and_a_pure_function_of_the_step() {
        let r = RangeTest {
            mode: SweepMode::Exp,
            min: 1e-6,
            max: 3.0,
            steps: 200,
        };
        let first: Vec<f64> = (0..250).map(|s| r.lr(s)).collect();
        let again: Vec<f64> = (0..250).rev().map(|s| r.lr(s)).rev().collect();
        assert_eq!(first, again);
        assert!(first.windows(2).all(|w| w[0] <= w[1]));
    }
}

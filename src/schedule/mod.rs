//! Learning-rate schedules: data plus pure functions of the 0-based optimizer step.
//!
//! A schedule has no hidden counter: `lr(step)`, `momentum(step)` and `is_cycle_end(step)` can be
//! printed, plotted and tested without training anything.

use serde::Serialize;

/// A learning-rate schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Schedule {
    /// The same learning rate at every step.
    Constant { lr: f64 },
}

impl Schedule {
    /// The learning rate used by the `step`-th optimizer update (0-based).
    pub fn lr(&self, step: u64) -> f64 {
        let _ = step;
        match self {
            Schedule::Constant { lr } => *lr,
        }
    }

    /// The momentum (SGD) or β1 (Adam) at `step` when the schedule cycles it, else `None`.
    pub fn momentum(&self, step: u64) -> Option<f64> {
        let _ = step;
        match self {
            Schedule::Constant { .. } => None,
        }
    }

    /// True when `step` is the last step of a cycle (snapshot points of cyclic schedules).
    pub fn is_cycle_end(&self, step: u64) -> bool {
        let _ = step;
        match self {
            Schedule::Constant { .. } => false,
        }
    }

    /// Short name as given to `--schedule`.
    pub fn name(&self) -> &'static str {
        match self {
            Schedule::Constant { .. } => "constant",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_is_constant() {
        let s = Schedule::Constant { lr: 0.1 };
        assert!((0..1000).all(|t| s.lr(t) == 0.1));
        assert!((0..1000).all(|t| s.momentum(t).is_none() && !s.is_cycle_end(t)));
    }
}

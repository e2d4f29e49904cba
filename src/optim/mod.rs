//! Optimizers in PyTorch's exact update form. Each owns its state (velocities, moments) from
//! construction and receives the learning rate, and optionally a momentum / β1 override from a
//! cycling schedule, on every step. Nothing else writes into an optimizer.

pub mod adam;
pub mod sgd;

pub use adam::{Adam, AdamConfig};
pub use sgd::{Sgd, SgdConfig};

use crate::nn::{Grads, Mlp};
use serde::Serialize;

/// Which optimizer to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// SGD with optional momentum, dampening, Nesterov and L2 weight decay
    Sgd,
    /// Adam, weight decay added to the gradient (L2, coupled)
    Adam,
    /// AdamW, decoupled weight decay θ ← θ·(1 − lr·wd)
    Adamw,
}

/// The values a schedule hands the optimizer for one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepParams {
    pub lr: f64,
    /// Replaces SGD's momentum or Adam's β1 for this step (momentum cycling); `None` keeps the
    /// configured value.
    pub momentum: Option<f64>,
}

/// An optimizer over an [`Mlp`]'s parameters.
#[derive(Debug, Clone)]
pub enum Optimizer {
    Sgd(Sgd),
    Adam(Adam),
}

impl Optimizer {
    /// Apply one update to `model` with gradients `grads`.
    pub fn step(&mut self, model: &mut Mlp, grads: &Grads, params: StepParams) {
        match self {
            Optimizer::Sgd(o) => o.step(model, grads, params),
            Optimizer::Adam(o) => o.step(model, grads, params),
        }
    }

    /// [`Optimizer::step`] after a training batch of `rows` rows: the update is shared with the
    /// thread team only when the batch's products were ([`Mlp::splits_products`]); otherwise its
    /// tensors would move between cores for nothing (docs/performance.md).
    pub fn step_for_batch(
        &mut self,
        model: &mut Mlp,
        grads: &Grads,
        params: StepParams,
        rows: usize,
    ) {
        if model.splits_products(rows) {
            self.step(model, grads, params);
        } else {
            crate::linalg::team::serial(|| self.step(model, grads, params));
        }
    }

    /// The momentum (SGD) or β1 (Adam) used when a schedule does not override it.
    pub fn base_momentum(&self) -> f64 {
        match self {
            Optimizer::Sgd(o) => o.config.momentum,
            Optimizer::Adam(o) => o.config.beta1,
        }
    }

    /// Number of updates applied so far.
    pub fn steps_taken(&self) -> u64 {
        match self {
            Optimizer::Sgd(o) => o.steps,
            Optimizer::Adam(o) => o.steps,
        }
    }
}

#[cfg(test)]
mod tests;

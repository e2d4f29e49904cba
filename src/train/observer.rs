//! What the training loop tells observers (a report per step and per epoch) and the one thing an
//! observer may answer: stop. Observers see the model read-only and never change the maths.

use super::FitOutcome;
use crate::nn::Mlp;

/// One optimizer update.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// 0-based index of the update.
    pub step: u64,
    /// 1-based epoch the step belongs to.
    pub epoch: usize,
    pub lr: f64,
    /// Momentum (SGD) or β1 (Adam) used by the step.
    pub momentum: f64,
    /// Mean loss of the mini-batch, before the update.
    pub loss: f64,
    /// Rows in the mini-batch.
    pub rows: usize,
}

/// One finished epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    /// Optimizer steps done by the end of the epoch.
    pub steps: u64,
    /// LR of the epoch's last step.
    pub lr: f64,
    /// Mean mini-batch loss over the epoch (each computed before its update).
    pub train_loss: f64,
    /// Accuracy (classification) or R² (regression) of those same mini-batch predictions.
    pub train_metric: f64,
    pub val_loss: Option<f64>,
    pub val_metric: Option<f64>,
    /// Wall-clock seconds of the epoch, validation included.
    pub seconds: f64,
}

/// An observer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop(String),
}

/// Watches training. Every method has a do-nothing default.
pub trait Observer {
    fn on_step(&mut self, report: &StepReport, model: &Mlp) -> anyhow::Result<Control> {
        let _ = (report, model);
        Ok(Control::Continue)
    }
    fn on_epoch(&mut self, report: &EpochReport, model: &Mlp) -> anyhow::Result<Control> {
        let _ = (report, model);
        Ok(Control::Continue)
    }
    fn on_finish(&mut self, outcome: &FitOutcome, model: &Mlp) -> anyhow::Result<()> {
        let _ = (outcome, model);
        Ok(())
    }
}

//! What listens to validation: the monitored quantity of an epoch ([`Quantity`], [`Monitor`])
//! and the run of a feedback policy ([`PlateauRun`]) that the loop informs after each epoch's
//! validation. The policy's rule and counters are plain data in `schedule::plateau`; this file
//! only reads the epoch's value and hands it over.

use serde::{Deserialize, Serialize};

use super::EpochReport;
use crate::schedule::{Plateau, PlateauMode, PlateauState};

/// A quantity reported after every epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    ValLoss,
    ValAcc,
    TrainLoss,
}

impl Quantity {
    /// The name given to `--monitor`, also the column of `epochs.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::ValLoss => "val_loss",
            Quantity::ValAcc => "val_acc",
            Quantity::TrainLoss => "train_loss",
        }
    }

    /// Whether it is measured on the validation split.
    pub fn needs_validation(self) -> bool {
        self != Quantity::TrainLoss
    }

    /// Lower is better for losses, higher for accuracy (Keras's `mode="auto"`).
    pub fn default_mode(self) -> PlateauMode {
        match self {
            Quantity::ValAcc => PlateauMode::Max,
            Quantity::ValLoss | Quantity::TrainLoss => PlateauMode::Min,
        }
    }

    /// The value in an epoch's report (`None` without validation).
    pub fn read(self, report: &EpochReport) -> Option<f64> {
        match self {
            Quantity::ValLoss => report.val_loss,
            Quantity::ValAcc => report.val_metric,
            Quantity::TrainLoss => Some(report.train_loss),
        }
    }
}

/// The watched quantity and which direction is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitor {
    pub quantity: Quantity,
    pub mode: PlateauMode,
}

impl Default for Monitor {
    fn default() -> Monitor {
        Monitor {
            quantity: Quantity::ValLoss,
            mode: PlateauMode::Min,
        }
    }
}

/// A plateau policy during a run: its data, its counters, and the quantity it hears.
#[derive(Debug, Clone)]
pub struct PlateauRun {
    pub policy: Plateau,
    pub state: PlateauState,
    pub quantity: Quantity,
    /// `(epoch, new lr)` of every cut, in order.
    pub cuts: Vec<(usize, f64)>,
}

impl PlateauRun {
    pub fn new(policy: Plateau, quantity: Quantity) -> PlateauRun {
        let state = policy.rule.start();
        PlateauRun {
            policy,
            state,
            quantity,
            cuts: Vec::new(),
        }
    }

    /// The LR of `step` given what the policy has heard so far.
    pub fn lr(&self, step: u64) -> f64 {
        self.policy.lr(&self.state, step)
    }

    /// Hear one finished epoch (after validation); epochs inside the warm-up are not heard.
    pub fn inform(&mut self, report: &EpochReport) -> anyhow::Result<()> {
        if !self.policy.listens_after(report.steps) {
            return Ok(());
        }
        let Some(value) = self.quantity.read(report) else {
            anyhow::bail!(
                "--schedule plateau: epoch {} reported no {} (no validation split)",
                report.epoch,
                self.quantity.name()
            );
        };
        if self.policy.rule.step(&mut self.state, value) {
            self.cuts.push((report.epoch, self.state.lr));
        }
        Ok(())
    }
}

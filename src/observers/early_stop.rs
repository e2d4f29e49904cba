//! Early stopping (Keras `EarlyStopping`): after each epoch, compare the monitored quantity with
//! the best so far; stop when it has not improved for `patience` epochs in a row, and keep a copy
//! of the best epoch's weights when they are to be restored.
//!
//! Keras 3's rule (`keras/src/callbacks/early_stopping.py`), per epoch with value `v`: `wait += 1`;
//! improvement when `v + min_delta < best` (mode min) or `v − min_delta > best` (max), `best`
//! starting at ±∞ (so a NaN never improves) → `best = v`, `best_epoch = epoch`, `wait = 0`;
//! otherwise stop when `wait ≥ patience` (never after the first epoch). With
//! `restore_best_weights` the first heard epoch's weights are kept until an improvement replaces
//! them, and the kept weights are the run's result whether or not it stopped early (Keras 3
//! restores them at the end of training).
//!
//! An observer sees the model read-only: copying the weights at a new best changes nothing in
//! the training maths, and happens once per epoch, never inside a step.

use serde::{Deserialize, Serialize};

use crate::nn::Mlp;
use crate::schedule::PlateauMode;
use crate::train::{Control, EpochReport, Monitor, Observer};

/// `--early-stop PATIENCE`, `--min-delta`, `--restore-best`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopSettings {
    pub patience: u64,
    pub min_delta: f64,
    pub restore_best: bool,
}

/// The observer: Keras's counters and, with `restore_best`, the best epoch's weights.
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    pub monitor: Monitor,
    pub settings: EarlyStopSettings,
    wait: u64,
    /// Best value so far (±∞ before the first improvement) and its (1-based) epoch.
    pub best: Option<(f64, usize)>,
    best_value: f64,
    /// The epoch after which the run was stopped.
    pub stopped_epoch: Option<usize>,
    best_weights: Option<Mlp>,
}

impl EarlyStopping {
    pub fn new(monitor: Monitor, settings: EarlyStopSettings) -> EarlyStopping {
        EarlyStopping {
            monitor,
            settings,
            wait: 0,
            best: None,
            best_value: match monitor.mode {
                PlateauMode::Min => f64::INFINITY,
                PlateauMode::Max => f64::NEG_INFINITY,
            },
            stopped_epoch: None,
            best_weights: None,
        }
    }

    /// Keras's `_is_improvement(v, best)` with `min_delta` signed for the mode.
    fn is_improvement(&self, v: f64) -> bool {
        let best = self.best_value;
        match self.monitor.mode {
            PlateauMode::Min => v + self.settings.min_delta < best,
            PlateauMode::Max => v - self.settings.min_delta > best,
        }
    }

    /// The weights to write: the best epoch's with `restore_best`, else `None` (the last).
    pub fn best_weights(&self) -> Option<&Mlp> {
        self.best_weights.as_ref()
    }

    /// Why the run stopped, in words (for summary.json and the terminal).
    fn reason(&self, epoch: usize) -> String {
        let (best, best_epoch) = self.best.unwrap_or((f64::NAN, 0));
        format!(
            "early stopping after epoch {epoch}: {} did not improve by more than {} ({}) for {}; best {best} at epoch {best_epoch}",
            self.monitor.quantity.name(),
            self.settings.min_delta,
            self.monitor.mode.name(),
            crate::words::count(self.wait, "epoch")
        )
    }
}

impl Observer for EarlyStopping {
    fn on_epoch(&mut self, report: &EpochReport, model: &Mlp) -> anyhow::Result<Control> {
        let Some(v) = self.monitor.quantity.read(report) else {
            return Ok(Control::Continue);
        };
        if self.settings.restore_best && self.best_weights.is_none() {
            // Keras: until an epoch improves, the first heard epoch's weights are the best
            self.best_weights = Some(model.clone());
            self.best = Some((v, report.epoch));
        }
        self.wait += 1;
        if self.is_improvement(v) {
            self.best_value = v;
            self.best = Some((v, report.epoch));
            if self.settings.restore_best {
                match &mut self.best_weights {
                    Some(w) => w.clone_from(model),
                    None => self.best_weights = Some(model.clone()),
                }
            }
            self.wait = 0;
            return Ok(Control::Continue);
        }
        if self.wait >= self.settings.patience && report.epoch > 1 {
            self.stopped_epoch = Some(report.epoch);
            return Ok(Control::Stop(self.reason(report.epoch)));
        }
        Ok(Control::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, InitScheme};
    use crate::train::Quantity;
    use rand::SeedableRng;

    fn report(epoch: usize, val_loss: f64) -> EpochReport {
        EpochReport {
            epoch,
            steps: epoch as u64,
            lr: 0.1,
            train_loss: 1.0,
            train_metric: 0.5,
            val_loss: Some(val_loss),
            val_metric: Some(1.0 - val_loss),
            seconds: 0.0,
        }
    }

    /// The epoch after which each sequence stops (`None`: it runs out), and the best epoch.
    fn run(
        values: &[f64],
        mode: PlateauMode,
        quantity: Quantity,
        patience: u64,
        min_delta: f64,
    ) -> (Option<usize>, Option<usize>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let model = Mlp::new(&[2, 2], Activation::Relu, InitScheme::Torch, &mut rng);
        let settings = EarlyStopSettings {
            patience,
            min_delta,
            restore_best: false,
        };
        let mut es = EarlyStopping::new(Monitor { quantity, mode }, settings);
        for (i, &v) in values.iter().enumerate() {
            if let Control::Stop(_) = es.on_epoch(&report(i + 1, v), &model).unwrap() {
                break;
            }
        }
        (es.stopped_epoch, es.best.map(|b| b.1))
    }

    // Keras 3 EarlyStopping semantics (keras/src/callbacks/early_stopping.py): wait counts the
    // epochs since the best; stop once wait ≥ patience.
    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        let q = Quantity::ValLoss;
        let min = PlateauMode::Min;
        // best at epoch 2, then 3 epochs without improvement → stop after epoch 5
        let v = [1.0, 0.5, 0.6, 0.55, 0.7, 0.1];
        assert_eq!(run(&v, min, q, 3, 0.0), (Some(5), Some(2)));
        // patience 0: the first epoch that does not improve stops the run
        assert_eq!(run(&v, min, q, 0, 0.0), (Some(3), Some(2)));
        // min_delta 0.06: 0.45 is not better than 0.5 by more than 0.06
        let v = [1.0, 0.5, 0.45, 0.46, 0.2];
        assert_eq!(run(&v, min, q, 2, 0.06), (Some(4), Some(2)));
        assert_eq!(run(&v, min, q, 2, 0.0), (None, Some(5)));
        // mode max on the validation metric (here 1 − val_loss)
        let v = [0.9, 0.5, 0.6, 0.55];
        assert_eq!(
            run(&v, PlateauMode::Max, Quantity::ValAcc, 1, 0.0),
            (Some(3), Some(2))
        );
        // best starts at +inf: a NaN never improves, and counts as an epoch without improvement
        let v = [f64::NAN, f64::NAN, 0.5];
        assert_eq!(run(&v, min, q, 1, 0.0), (Some(2), None));
    }
}

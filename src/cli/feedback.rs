//! Flags of what listens to validation: the monitored quantity (`--monitor`, `--monitor-mode`,
//! shared by `--schedule plateau` and early stopping) and early stopping (`--early-stop`,
//! `--min-delta`, `--restore-best`).

use clap::Args;

use crate::schedule::PlateauMode;
use crate::train::Quantity;

/// The quantity that `--schedule plateau` and `--early-stop` watch after each epoch.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Monitor")]
pub struct MonitorArgs {
    /// What --schedule plateau and --early-stop watch after each epoch: val_loss, val_acc
    /// (classification) or train_loss; val_* need a validation split [default: val_loss].
    #[arg(long, value_enum, value_name = "NAME")]
    pub monitor: Option<Quantity>,
    /// Whether a lower (min) or a higher (max) --monitor value is better [default: min for
    /// val_loss and train_loss, max for val_acc].
    #[arg(long, value_enum, value_name = "MODE")]
    pub monitor_mode: Option<PlateauMode>,
}

/// Early stopping (Keras EarlyStopping).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Early stopping")]
pub struct EarlyStopArgs {
    /// Stop when --monitor has not improved for this many epochs in a row (Keras EarlyStopping
    /// patience; 0 stops at the first epoch that is not better) [default: off, train all --epochs].
    #[arg(long, value_name = "PATIENCE", allow_negative_numbers = true)]
    pub early_stop: Option<i64>,
    /// With --early-stop: an improvement must exceed this (absolute, Keras min_delta) [default: 0].
    #[arg(long, value_name = "X")]
    pub min_delta: Option<f64>,
    /// With --early-stop: write the weights of the best epoch (by --monitor) to
    /// model.safetensors, not the last epoch's (Keras restore_best_weights) [default: off].
    #[arg(long)]
    pub restore_best: bool,
}

//! The range test's flags (`lrtool find-lr`).

use clap::Args;

use super::{ComputeArgs, DataArgs, ModelArgs, OptimArgs, OutputArgs};

#[derive(Debug, Args)]
pub struct FindLrArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub optim: OptimArgs,
    #[command(flatten)]
    pub sweep: SweepArgs,
    #[command(flatten)]
    pub compute: ComputeArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The range test's sweep.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sweep")]
pub struct SweepArgs {
    /// Learning rate at the first step.
    #[arg(long, default_value_t = 1e-6)]
    pub min: f64,
    /// Learning rate at the last step.
    #[arg(long, default_value_t = 1.0)]
    pub max: f64,
    /// How the LR rises: exp (equal ratios) or linear.
    #[arg(long, value_enum, default_value_t = crate::lr_finder::SweepMode::Exp)]
    pub mode: crate::lr_finder::SweepMode,
    /// Number of mini-batches in the sweep [default: 15 per decade of the range plus one (91 from
    /// 1e-6 to 1), at least 50].
    #[arg(long)]
    pub steps: Option<i64>,
    /// Smoothing factor β of the bias-corrected moving average of the loss (0 = raw loss).
    #[arg(long, default_value_t = 0.98)]
    pub smooth: f64,
    /// Stop when the smoothed loss exceeds this many times the best so far.
    #[arg(long, default_value_t = 4.0)]
    pub diverge: f64,
    /// Sweep the whole range even after the loss diverges (a non-finite loss still ends it).
    #[arg(long)]
    pub no_stop: bool,
    /// Rows per mini-batch (the suggestions hold for this batch size).
    #[arg(long, default_value_t = 32)]
    pub batch_size: i64,
    /// Seed for the split, the initialisation and the sweep's mini-batches, each drawn by its
    /// place on the LR grid, so a lower --min leaves the batches above it unchanged (repeats use
    /// seed, seed+1, … for initialisation and batches; the split stays the one of --seed).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run this many sweeps with different seeds (initialisation and data order) and report the
    /// median curve and the spread of every suggestion.
    #[arg(long, default_value_t = 1)]
    pub repeats: i64,
    /// Where the optimizer's history begins: before the sweep, the mini-batches of the grid's
    /// steps from this LR up to --min are fed to the optimizer at LR 0, so its running averages
    /// (Adam's moments, SGD's momentum) hold the same batches at every LR of the sweep whatever
    /// --min is; the weights do not move. Without it Adam's second moment averages over the steps
    /// since --min, so a lower --min (a longer flat start) changed the step size where the loss
    /// falls, and with it the suggestions. 0 = none (the plain sweep of torch-lr-finder and
    /// fastai). Nothing is added for --mode linear or a --min at or below it [default: 1e-12].
    #[arg(long, value_name = "LR")]
    pub warmup_from: Option<f64>,
    /// When a phase is missing, widen that side of the range and sweep again (at most 3 times).
    /// Not when the loss stayed within its batch noise from --min until it rose (no LR of the
    /// range helped; summary.json's phases.no_signal), and not below --min when the points added
    /// there were flat within noise; a wider range that no longer shows the descent the narrower
    /// one did is listed in ranges_tried but the narrower one is reported.
    #[arg(long)]
    pub auto_extend: bool,
    /// Also report fastai 2.8's four suggestions (valley, slide, minimum, steep) on the recorded
    /// smoothed curve, with num_it = the steps requested, in the text output and in
    /// summary.json under "fastai" (see `lrtool suggest --help` for how they differ).
    #[arg(long, value_enum, value_name = "METHODS")]
    pub like: Option<super::Like>,
}

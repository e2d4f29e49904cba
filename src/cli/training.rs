//! Training flags: epochs, batch size, LR, seed and threads; the flag set of `lrtool train`.

use clap::Args;

use super::{
    DataArgs, EarlyStopArgs, ModelArgs, MonitorArgs, OptimArgs, OutputArgs, ScheduleArgs, SwaArgs,
};

/// Length and pace of training.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Training")]
pub struct RunArgs {
    /// Passes over the training split.
    #[arg(long, default_value_t = 30)]
    pub epochs: i64,
    /// Rows per mini-batch (the last, smaller batch of an epoch is kept).
    #[arg(long, default_value_t = 32)]
    pub batch_size: i64,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Seed for the split, the initialisation and the data order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

/// How many cores a run may use.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Compute")]
pub struct ComputeArgs {
    /// Most threads one run may use for its matrix products and optimizer updates
    /// [default: every core when the batch and a layer are large enough for a second thread to
    /// pay, else 1].
    ///
    /// A product is split over threads only when its three sides are all at least 32 and it
    /// has at least 4M multiply-adds (e.g. batch ≥ 32 on a 784-256 layer); below that, moving
    /// the operands between cores costs more than the halved arithmetic saves (measured in
    /// docs/performance.md). The results are the same bits for every thread count.
    /// `find-lr --repeats` runs its sweeps side by side on up to N threads, one thread each;
    /// `compare` runs its runs side by side with one thread each unless --threads is given.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<i64>,
}

impl ComputeArgs {
    /// The checked `--threads` value (`None`: choose from the model and batch size).
    pub fn requested(&self) -> anyhow::Result<Option<usize>> {
        match self.threads {
            None => Ok(None),
            Some(n) if (1..=1024).contains(&n) => Ok(Some(n as usize)),
            Some(n) => crate::input_bail!("--threads {n}: must be a whole number from 1 to 1024"),
        }
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub optim: OptimArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    #[command(flatten)]
    pub early_stop: EarlyStopArgs,
    #[command(flatten)]
    pub swa: SwaArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

//! `lrtool snapshot-ensemble`'s flags: train's groups plus what to ensemble and compare with.

use clap::Args;

use super::{DataArgs, ModelArgs, OptimArgs, OutputArgs, RunArgs, ScheduleArgs, TrainArgs};
use crate::schedule::ScheduleKind;

#[derive(Debug, Args)]
#[command(mut_arg("schedule", |a| a.default_value("snapshot")))]
pub struct SnapshotEnsembleArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub optim: OptimArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub ensemble: EnsembleArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What to ensemble and what to compare it with.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Ensemble")]
pub struct EnsembleArgs {
    /// Report the ensembles of the last 1, 2, … m snapshots, up to this m (at most the number of
    /// snapshots) [default: all snapshots].
    #[arg(long, value_name = "m")]
    pub keep: Option<u64>,
    /// Also train a single model for the same number of steps from the same seed (the same
    /// initial weights and data order) under --baseline-schedule, and report it beside the
    /// ensembles: "free" measured against an equal training budget.
    #[arg(long)]
    pub baseline: bool,
    /// The baseline's schedule, with its default flags and the same --lr [default: cosine, from
    /// --lr to 0 over the whole run].
    #[arg(long, value_enum, value_name = "NAME")]
    pub baseline_schedule: Option<ScheduleKind>,
    #[command(flatten)]
    pub fge: FgeArgs,
}

/// Fast geometric ensembling (Garipov et al. 2018).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Fast geometric ensembling")]
pub struct FgeArgs {
    /// Fast geometric ensembling (Garipov et al. 2018): train epochs 1 … --fge-start − 1 under
    /// --schedule (built for that first phase; the snapshot cosine makes one cycle of it unless
    /// --cycles is given), then run short cycles whose LR falls linearly from --fge-lr1 to
    /// --fge-lr2 over the first half and rises back over the second, and collect a model at each
    /// cycle's lowest LR (its middle); the models are saved and ensembled as snapshots are
    /// [default: off].
    #[arg(long)]
    pub fge: bool,
    /// With --fge: epochs per cycle, at least 1 (Garipov et al.'s code: 4) [default: 4].
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    pub cycle_epochs: Option<i64>,
    /// With --fge: the first epoch of the cycles (1-based, from 2 to --epochs); epochs before it
    /// are the first phase [default: ⌊--epochs/2⌋ + 1, the second half of the run].
    #[arg(long, value_name = "EPOCH", allow_negative_numbers = true)]
    pub fge_start: Option<i64>,
    /// With --fge: α1, the LR at the ends of a cycle [default: --lr].
    #[arg(long, value_name = "LR", allow_negative_numbers = true)]
    pub fge_lr1: Option<f64>,
    /// With --fge: α2, the LR at the middle of a cycle, where a model is collected; below
    /// --fge-lr1 [default: --fge-lr1 × 0.002, the ratio of Garipov et al.'s lr_2 0.0001 to lr_1
    /// 0.05].
    #[arg(long, value_name = "LR", allow_negative_numbers = true)]
    pub fge_lr2: Option<f64>,
}

impl SnapshotEnsembleArgs {
    /// The flag groups a snapshot-ensemble run shares with `train`.
    pub fn as_train_args(&self) -> TrainArgs {
        TrainArgs {
            data: self.data.clone(),
            model: self.model.clone(),
            optim: self.optim.clone(),
            run: self.run.clone(),
            schedule: self.schedule.clone(),
            // snapshot-ensemble trains every epoch under a schedule of the step
            monitor: Default::default(),
            early_stop: Default::default(),
            swa: Default::default(),
            output: self.output.clone(),
        }
    }
}

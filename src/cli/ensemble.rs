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

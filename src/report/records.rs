//! Typed run records: the `summary.json` of every command family (`train`, `find-lr`,
//! `snapshot-ensemble`, `compare`, `landscape`) as serde types, serialised and read back through the same
//! definitions, so that renaming a field breaks the build or a test instead of a report cell.
//!
//! Byte layout: lrtool writes summaries through a `serde_json::Value` (its maps keep keys in
//! alphabetical order, serde_json's `preserve_order` being off) printed pretty with a final line
//! break; [`to_json_text`] does the same for any of these types, so a typed summary gives the same
//! bytes as the `json!` it replaces. Fields are declared in alphabetical order to match.
//!
//! Absent versus `null`: a field that some runs leave out (a baseline without metrics has no
//! `val_loss`) is an `Option<Option<T>>` ([`Present`]): `None` = absent, `Some(None)` = `null`.
//! The metric fields are named after the task (`val_acc` for classification, `val_r2` for
//! regression); both are declared, the one of the other task is absent.
//!
//! The optimizer and schedule configurations are kept as JSON values: their shape belongs to
//! the optimizer and schedule families (one set of keys each) and the report shows them
//! generically, key by key.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::lr_finder::analysis::{MethodResult, SweepEnd};
pub use crate::lr_finder::{Consensus, Phases, SweepMode};
use crate::observers::EarlyStopSettings;
use crate::report::compare::{ArmStats, Experiment};
use crate::schedule::{FgeSettings, SwaSettings};
use crate::train::Monitor;

mod landscape;
pub use landscape::*;

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub type Present<T> = Option<Option<T>>;

/// serde glue for [`Present`] fields: `#[serde(default, skip_serializing_if = "Option::is_none",
/// with = "present")]`.
pub mod present {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A JSON text as lrtool writes it: keys sorted, pretty-printed, a final line break.
pub fn to_json_text<T: Serialize>(v: &T) -> anyhow::Result<String> {
    let value = serde_json::to_value(v)?;
    let mut s = serde_json::to_string_pretty(&value)?;
    s.push('\n');
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Shared parts

/// Classification or regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Classify,
    Regress,
}

impl Task {
    /// The metric's key suffix: `acc` or `r2`.
    pub fn metric(self) -> &'static str {
        match self {
            Task::Classify => "acc",
            Task::Regress => "r2",
        }
    }
}

/// `config.data`: where the data came from and how it was split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSettings {
    pub dataset: String,
    /// `--drop` as given (a CSV file's columns left out); absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<String>,
    /// `--features` as given (a CSV file's feature columns); absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<String>,
    pub labels: Option<String>,
    /// `--max-categories` as given; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_categories: Option<u64>,
    /// `--missing` as given; absent when not given (`dataset.columns.missing` says what was in
    /// force).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    pub noise: Option<f64>,
    pub samples: Option<u64>,
    pub shuffle: bool,
    pub target: Option<String>,
    pub task: Option<Task>,
    pub val_split: f64,
}

/// `config.model`: the model as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    pub activation: String,
    pub hidden: Vec<u64>,
    pub init: Option<String>,
    pub init_scheme: String,
}

/// `config.run`: the length and seed of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub batch_size: u64,
    pub epochs: u64,
    pub lr: f64,
    pub seed: u64,
}

/// `dataset`: facts about the data as loaded and split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetFacts {
    /// `null` for regression.
    pub class_names: Option<Vec<String>>,
    /// 0 for regression.
    pub classes: u64,
    /// How a CSV file's columns became the features (absent for other data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<ColumnFacts>,
    pub features: u64,
    pub name: String,
    pub samples: u64,
    pub standardization: Standardization,
    pub task: Task,
    pub train_rows: u64,
    pub val_rows: u64,
}

/// `dataset.columns`: a CSV file's input columns as encoded (the mapping itself, with every
/// category and fill value, is saved with the weights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnFacts {
    /// Every input column in file order.
    pub inputs: Vec<InputColumnFacts>,
    /// `--missing` in force (given or the default).
    pub missing: String,
    /// The target column.
    pub target: String,
}

/// One input column: a number (one feature) or text (one-hot, one feature per category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumnFacts {
    /// Text columns: the categories taken from the training split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<u64>,
    /// `number` or `text`.
    pub kind: String,
    pub name: String,
}

/// The training split's feature means and standard deviations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// `model`: facts about the model as built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFacts {
    pub activation: String,
    pub init_from: Option<String>,
    pub init_scheme: String,
    pub parameters: u64,
    pub sizes: Vec<u64>,
}

/// How a training run ended (`result.end`), tagged by `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum EndStatus {
    Completed,
    Stopped {
        reason: String,
    },
    /// The loss became non-finite: at this step, with this LR; `loss` as text (`NaN`, `inf`).
    Diverged {
        loss: String,
        lr: f64,
        step: u64,
    },
    Interrupted,
}

impl EndStatus {
    pub fn name(&self) -> &'static str {
        match self {
            EndStatus::Completed => "completed",
            EndStatus::Stopped { .. } => "stopped",
            EndStatus::Diverged { .. } => "diverged",
            EndStatus::Interrupted => "interrupted",
        }
    }
}

/// A value and the task's metric under its task's key (`{prefix}acc` or `{prefix}r2`).
macro_rules! metric_of {
    ($self:ident, $acc:ident, $r2:ident) => {
        $self.$acc.or($self.$r2).flatten()
    };
}

// ---------------------------------------------------------------------------------------------
// train

/// `summary.json` of `lrtool train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSummary {
    /// Always `train`.
    pub command: String,
    pub config: TrainConfig,
    pub dataset: DatasetFacts,
    pub files: Vec<String>,
    pub interrupted: bool,
    pub lrtool_version: String,
    pub model: ModelFacts,
    pub result: TrainResult,
    /// Wall-clock.
    pub samples_per_s: f64,
    pub steps_per_epoch: u64,
    /// Wall-clock.
    pub train_s: f64,
}

/// `config` of a train run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub data: DataSettings,
    /// `--early-stop` and its settings, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopSettings>,
    pub model: ModelSettings,
    /// The quantity `--schedule plateau` or `--early-stop` watches, when one of them is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<Monitor>,
    /// The optimizer family's configuration (`name` and its keys).
    pub optimizer: Value,
    pub run: RunSettings,
    /// The schedule family's configuration (`name` and its keys).
    pub schedule: Value,
    /// `--swa-start` and its settings, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swa: Option<SwaSettings>,
}

/// `result` of a train run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainResult {
    pub best_val_loss: Option<EpochFacts>,
    /// What early stopping saw (with `--early-stop`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopFacts>,
    pub end: EndStatus,
    pub epochs_completed: u64,
    #[serde(rename = "final")]
    pub last: Option<EpochFacts>,
    /// Every cut `--schedule plateau` made: the epoch whose value triggered it and the new LR,
    /// used from the next epoch on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_cuts: Option<Vec<LrCut>>,
    pub steps: u64,
    /// The SWA model (model-swa.safetensors), with `--swa-start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swa: Option<SwaFacts>,
}

/// The averaged model of an SWA run: which epochs it averages and its metrics on the training
/// and validation splits (`null` when no epoch was averaged, e.g. a run stopped before
/// `--swa-start`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwaFacts {
    pub epochs_averaged: u64,
    pub first_epoch: Option<u64>,
    pub last_epoch: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub train_acc: Present<f64>,
    pub train_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub train_r2: Present<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

impl SwaFacts {
    pub fn train_metric(&self) -> Option<f64> {
        metric_of!(self, train_acc, train_r2)
    }
    pub fn val_metric(&self) -> Option<f64> {
        metric_of!(self, val_acc, val_r2)
    }
}

/// Early stopping's result: the best epoch by the monitored quantity, whether the run stopped
/// early (and after which epoch), and whether the written weights are the best epoch's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopFacts {
    pub best_epoch: Option<u64>,
    pub best_value: Option<f64>,
    pub monitor: String,
    /// True when model.safetensors holds the best epoch's weights (`--restore-best`).
    pub restored_best: bool,
    pub stopped_epoch: Option<u64>,
}

/// One LR cut of `--schedule plateau`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrCut {
    pub epoch: u64,
    pub lr: f64,
}

/// One epoch's results (train's `result.final` and `result.best_val_loss`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochFacts {
    pub epoch: u64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub train_acc: Present<f64>,
    pub train_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub train_r2: Present<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

impl EpochFacts {
    pub fn train_metric(&self) -> Option<f64> {
        metric_of!(self, train_acc, train_r2)
    }
    pub fn val_metric(&self) -> Option<f64> {
        metric_of!(self, val_acc, val_r2)
    }
}

// ---------------------------------------------------------------------------------------------
// find-lr

/// `summary.json` of `lrtool find-lr`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindLrSummary {
    /// Always `find-lr`.
    pub command: String,
    /// The command line as invoked (the program may be a path).
    pub command_line: String,
    pub config: FindLrConfig,
    pub consensus: Consensus,
    pub consensus_iqr_decades: Option<f64>,
    pub dataset: DatasetFacts,
    /// `--like fastai`: fastai 2.8's four answers on each sweep's smoothed curve (`num_it`,
    /// `sweeps`); absent without the flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fastai: Option<Value>,
    pub files: Vec<String>,
    pub interrupted: bool,
    pub lrtool_version: String,
    pub model: ModelFacts,
    pub next_commands: Vec<String>,
    pub note: String,
    pub phases: Phases,
    pub range: SweepRange,
    pub ranges_tried: Vec<RangeTried>,
    /// Wall-clock.
    pub samples_per_s: f64,
    pub schedule_bounds: ScheduleBounds,
    /// `stable` … over repeats; `null` for one sweep.
    pub stability: Option<String>,
    pub suggestions: Vec<MethodResult>,
    pub sweeps: Vec<SweepFacts>,
    /// Wall-clock.
    pub train_s: f64,
}

/// `config` of a find-lr run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindLrConfig {
    pub data: DataSettings,
    pub model: ModelSettings,
    pub optimizer: Value,
    pub sweep: SweepSettings,
}

/// `config.sweep`: the range test as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSettings {
    pub auto_extend: bool,
    pub batch_size: u64,
    pub diverge: f64,
    pub max: f64,
    pub min: f64,
    pub mode: SweepMode,
    pub repeats: u64,
    pub seed: u64,
    pub smooth: f64,
    pub steps: u64,
    pub stop_on_divergence: bool,
    /// `--warmup-from` (0: none); absent in the summaries of earlier versions, which had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_from: Option<f64>,
}

/// `range`: the range of the sweep reported (the last one tried).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRange {
    pub max: f64,
    pub min: f64,
    pub mode: SweepMode,
    pub steps: u64,
    /// Steps each sweep took below `min` without recording them (`--warmup-from`); absent in
    /// the summaries of earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_in_steps: Option<u64>,
}

/// One range tried (more than one with `--auto-extend`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeTried {
    pub max: f64,
    pub min: f64,
    pub phases: Phases,
    pub steps: u64,
}

/// Bounds for cyclic schedules derived from the curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleBounds {
    pub one_cycle_max_lr: Option<f64>,
    pub triangular: Option<TriangularBounds>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriangularBounds {
    pub base_lr: f64,
    pub max_lr: f64,
}

/// One sweep of the range test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepFacts {
    pub ended: SweepEnd,
    pub last_lr: Option<f64>,
    /// Its unrecorded steps below --min (`--warmup-from`); absent when it had none and in the
    /// summaries of earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_in: Option<crate::lr_finder::analysis::RunIn>,
    pub seed: u64,
    pub steps_recorded: u64,
}

// ---------------------------------------------------------------------------------------------
// snapshot-ensemble

/// `summary.json` of `lrtool snapshot-ensemble`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotSummary {
    /// Always `snapshot-ensemble`.
    pub command: String,
    pub config: SnapshotConfig,
    pub dataset: DatasetFacts,
    pub files: Vec<String>,
    pub interrupted: bool,
    pub lrtool_version: String,
    pub model: ModelFacts,
    pub result: SnapshotResult,
    /// Wall-clock.
    pub samples_per_s: f64,
    pub steps_per_epoch: u64,
    pub total_steps: u64,
    /// Wall-clock.
    pub train_s: f64,
}

/// `config` of a snapshot-ensemble run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotConfig {
    pub data: DataSettings,
    pub ensemble: EnsembleSettings,
    pub model: ModelSettings,
    pub optimizer: Value,
    pub run: RunSettings,
    pub schedule: Value,
}

/// `config.ensemble`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSettings {
    /// The baseline's schedule configuration, `null` without `--baseline`.
    pub baseline: Option<Value>,
    /// `--fge` and its settings, when given (the models are collected at the FGE cycles'
    /// lowest LR instead of at the schedule's cycle ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fge: Option<FgeSettings>,
    pub keep: u64,
    pub snapshots: u64,
}

/// `result` of a snapshot-ensemble run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotResult {
    pub baseline: Option<BaselineFacts>,
    pub end: EndStatus,
    pub ensembles: Vec<EnsembleFacts>,
    pub epochs_completed: u64,
    #[serde(rename = "final")]
    pub last: Option<FinalFacts>,
    pub snapshots: Vec<SnapshotFacts>,
    pub steps: u64,
}

/// The baseline run (same budget, one schedule without restarts); its metrics are absent when
/// it has none (it diverged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineFacts {
    pub end: EndStatus,
    pub schedule: Value,
    pub steps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_loss: Present<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

impl BaselineFacts {
    pub fn val_metric(&self) -> Option<f64> {
        metric_of!(self, val_acc, val_r2)
    }
}

/// The ensemble of the last `m` snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleFacts {
    pub m: u64,
    pub snapshots: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

impl EnsembleFacts {
    pub fn val_metric(&self) -> Option<f64> {
        metric_of!(self, val_acc, val_r2)
    }
}

/// The final weights' validation results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalFacts {
    /// The snapshot whose weights the final ones are, if any.
    pub same_weights_as_snapshot: Option<u64>,
    pub steps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

impl FinalFacts {
    pub fn val_metric(&self) -> Option<f64> {
        metric_of!(self, val_acc, val_r2)
    }
}

/// One snapshot: its own results and those of the running ensemble up to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotFacts {
    /// Fraction of validation predictions changed from the previous snapshot.
    pub changed_from_previous: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub ens_val_acc: Present<f64>,
    pub ens_val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub ens_val_r2: Present<f64>,
    pub ensemble_size: u64,
    /// Fractional epoch at the snapshot.
    pub epoch: f64,
    pub file: String,
    pub k: u64,
    pub lr: f64,
    pub step: u64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

impl SnapshotFacts {
    pub fn val_metric(&self) -> Option<f64> {
        metric_of!(self, val_acc, val_r2)
    }
    pub fn ens_val_metric(&self) -> Option<f64> {
        metric_of!(self, ens_val_acc, ens_val_r2)
    }
}

// ---------------------------------------------------------------------------------------------
// compare

/// `summary.json` of `lrtool compare`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareSummary {
    pub arms: Vec<ArmStats>,
    /// Always `compare`.
    pub command: String,
    pub experiment: Experiment,
    pub files: Vec<String>,
    /// A signal stopped the comparison: some runs were interrupted or not run.
    #[serde(default)]
    pub interrupted: bool,
    pub lrtool_version: String,
    pub runs: Vec<CompareRun>,
    pub shard: Option<Shard>,
    /// The target in words, like `val_acc ≥ 0.95`.
    pub target: Option<String>,
}

/// `--shard INDEX/COUNT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub count: u64,
    pub index: u64,
}

/// One run (arm × seed) of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRun {
    pub arm: String,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub best_val_acc: Present<EpochValue>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub best_val_r2: Present<EpochValue>,
    pub diverged: bool,
    pub diverged_step: Option<u64>,
    pub ensemble: Option<RunEnsemble>,
    pub epochs: u64,
    pub error: Option<String>,
    #[serde(rename = "final")]
    pub last: Option<RunFinal>,
    pub folder: String,
    pub min_val_loss: Option<EpochValue>,
    pub per_epoch: PerEpoch,
    pub seed: u64,
    /// `compare --sharpness`: the final model's sharpness on its training split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharpness: Option<RunSharpness>,
    /// `completed`, `stopped`, `diverged`, `interrupted`, `failed` or `not run`.
    pub status: String,
    pub steps: u64,
    pub target: Option<TargetReached>,
}

impl CompareRun {
    /// The best validation metric (under the task's key) and its epoch.
    pub fn best_val_metric(&self) -> Option<EpochValue> {
        metric_of!(self, best_val_acc, best_val_r2)
    }
}

/// A value at an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochValue {
    pub epoch: u64,
    pub value: f64,
}

/// Where a run first met the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReached {
    pub epoch: u64,
    pub step: u64,
}

/// The ensemble of a snapshot-ensemble arm's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEnsemble {
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

/// A compared run's last epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFinal {
    pub epoch: u64,
    pub train_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_acc: Present<f64>,
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "present")]
    pub val_r2: Present<f64>,
}

impl RunFinal {
    pub fn val_metric(&self) -> Option<f64> {
        metric_of!(self, val_acc, val_r2)
    }
}

/// Per-epoch curves of a compared run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerEpoch {
    pub train_loss: Vec<Option<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_acc: Option<Vec<Option<f64>>>,
    pub val_loss: Vec<Option<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_r2: Option<Vec<Option<f64>>>,
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Any command's summary, chosen by its `command` field.
#[derive(Debug, Clone)]
pub enum RunSummary {
    Train(Box<TrainSummary>),
    FindLr(Box<FindLrSummary>),
    Snapshot(Box<SnapshotSummary>),
    Compare(Box<CompareSummary>),
    Landscape(Box<LandscapeSummary>),
}

impl RunSummary {
    pub fn command(&self) -> &str {
        match self {
            RunSummary::Train(s) => &s.command,
            RunSummary::FindLr(s) => &s.command,
            RunSummary::Snapshot(s) => &s.command,
            RunSummary::Compare(s) => &s.command,
            RunSummary::Landscape(s) => &s.command,
        }
    }

    /// The version of lrtool that wrote the summary.
    pub fn lrtool_version(&self) -> &str {
        match self {
            RunSummary::Train(s) => &s.lrtool_version,
            RunSummary::FindLr(s) => &s.lrtool_version,
            RunSummary::Snapshot(s) => &s.lrtool_version,
            RunSummary::Compare(s) => &s.lrtool_version,
            RunSummary::Landscape(s) => &s.lrtool_version,
        }
    }

    /// Dataset facts, model facts and optimizer configuration of a run that trained a model
    /// (all but compare).
    pub fn training_facts(&self) -> Option<(&DatasetFacts, &ModelFacts, &Value)> {
        match self {
            RunSummary::Train(s) => Some((&s.dataset, &s.model, &s.config.optimizer)),
            RunSummary::FindLr(s) => Some((&s.dataset, &s.model, &s.config.optimizer)),
            RunSummary::Snapshot(s) => Some((&s.dataset, &s.model, &s.config.optimizer)),
            RunSummary::Compare(_) | RunSummary::Landscape(_) => None,
        }
    }

    /// Parse a summary's text; `source` names the file in errors (which are input errors naming
    /// the field, line and column).
    pub fn parse(text: &str, source: &str) -> anyhow::Result<RunSummary> {
        #[derive(Deserialize)]
        struct Head {
            command: Option<String>,
        }
        let head: Head = serde_json::from_str(text)
            .map_err(|e| crate::input_err!("{source}: not valid JSON: {e}"))?;
        fn typed<T: DeserializeOwned>(text: &str, source: &str) -> anyhow::Result<T> {
            serde_json::from_str(text).map_err(|e| crate::input_err!("{source}: {e}"))
        }
        Ok(match head.command.as_deref() {
            Some("train") => RunSummary::Train(typed(text, source)?),
            Some("find-lr") => RunSummary::FindLr(typed(text, source)?),
            Some("snapshot-ensemble") => RunSummary::Snapshot(typed(text, source)?),
            Some("compare") => RunSummary::Compare(typed(text, source)?),
            Some("landscape") => RunSummary::Landscape(typed(text, source)?),
            Some(other) => crate::input_bail!(
                "{source}: command \"{other}\" has no report (train, find-lr, snapshot-ensemble, compare or landscape)"
            ),
            None => crate::input_bail!("{source}: no field `command`"),
        })
    }

    /// Read `dir/summary.json`.
    pub fn read(dir: &Path) -> anyhow::Result<RunSummary> {
        let path = dir.join("summary.json");
        let shown = path.display().to_string();
        let bytes =
            crate::limits::read_raw(&path, &shown, crate::limits::Kind::Record).map_err(|e| {
                e.or_io(|e| {
                    crate::input_err!(
                        "{}: cannot read summary.json ({e}); is it an lrtool run folder?",
                        dir.display()
                    )
                })
            })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| crate::input_err!("{shown}: not valid UTF-8 text"))?;
        RunSummary::parse(&text, &path.display().to_string())
    }

    /// The summary as lrtool writes it.
    pub fn to_json_text(&self) -> anyhow::Result<String> {
        match self {
            RunSummary::Train(s) => to_json_text(s),
            RunSummary::FindLr(s) => to_json_text(s),
            RunSummary::Snapshot(s) => to_json_text(s),
            RunSummary::Compare(s) => to_json_text(s),
            RunSummary::Landscape(s) => to_json_text(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_null_and_value_stay_apart() {
        let text = r#"{"end":{"status":"completed"},"schedule":{"name":"cosine"},"steps":4}"#;
        let b: BaselineFacts = serde_json::from_str(text).unwrap();
        assert_eq!(b.val_loss, None);
        assert_eq!(
            serde_json::to_string(&serde_json::to_value(&b).unwrap()).unwrap(),
            text
        );
        let text = r#"{"end":{"status":"completed"},"schedule":null,"steps":4,"val_acc":0.5,"val_loss":null}"#;
        let b: BaselineFacts = serde_json::from_str(text).unwrap();
        assert_eq!(b.val_loss, Some(None));
        assert_eq!(b.val_metric(), Some(0.5));
        assert_eq!(
            serde_json::to_string(&serde_json::to_value(&b).unwrap()).unwrap(),
            text
        );
    }

    #[test]
    fn end_status_is_tagged() {
        let e: EndStatus =
            serde_json::from_str(r#"{"loss":"NaN","lr":10.0,"status":"diverged","step":3}"#)
                .unwrap();
        assert_eq!(
            e,
            EndStatus::Diverged {
                loss: "NaN".into(),
                lr: 10.0,
                step: 3
            }
        );
        assert_eq!(
            to_json_text(&e).unwrap(),
            "{\n  \"loss\": \"NaN\",\n  \"lr\": 10.0,\n  \"status\": \"diverged\",\n  \"step\": 3\n}\n"
        );
    }

    #[test]
    fn a_renamed_field_is_an_error_naming_it() {
        let err = RunSummary::parse(r#"{"command":"train","config":{}}"#, "x/summary.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x/summary.json: missing field `"), "{err}");
        let err = RunSummary::parse(r#"{"command":"evaluate"}"#, "s.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("command \"evaluate\" has no report"), "{err}");
    }
}

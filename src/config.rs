//! The one bridge between the command line and the domain: clap's flag groups (and `--config
//! FILE.json`, whose keys are long flag names) become one validated, typed [`RunSpec`] (data,
//! model, optimizer, training length, schedule, output) — checked once, every check naming its
//! flag. Commands work from a `RunSpec`, never from argv; they call each other with one.
//!
//! `--config` is folded into the one clap parse (`expand_config`): its keys are flag names by
//! design (DESIGN.md §5), so the same parser and the same checks serve the file and the command
//! line, and a flag given on the command line wins.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde::Serialize;
use serde_json::Value;

mod flags;
mod strict;
pub use flags::{nearest, sequence_text, train_flags};

/// JSON text with every repeated key in an object refused (config and experiment files).
pub use strict::from_str as strict_json;

use crate::cli::{
    Cli, DataArgs, EarlyStopArgs, FgeArgs, ModelArgs, MonitorArgs, OptimArgs, OutputArgs, RunArgs,
    SnapshotEnsembleArgs, SwaArgs, TrainArgs,
};
use crate::data::Task;
use crate::data::csv::{ColumnList, MissingMode, SplitPlan};
use crate::data::source::DataSpec;
use crate::nn::{Activation, InitScheme, Mlp};
use crate::observers::EarlyStopSettings;
use crate::optim::{Adam, AdamConfig, Optimizer, OptimizerKind, Sgd, SgdConfig};
use crate::schedule::{FgeSettings, ScheduleKind, ScheduleSpec, SwaSettings};
use crate::train::Monitor;
use crate::{input_bail, input_err};

/// One training run, validated and typed: what `train` runs, what each `compare` arm × seed and
/// each `snapshot-ensemble` run is. Built from flags once ([`RunSpec::from_train_args`]); other
/// commands derive theirs by changing fields (a compare seed sets `run.seed`), never by writing
/// and re-parsing a command line.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub data: DataConfig,
    pub model: ModelConfig,
    pub optim: OptimConfig,
    pub run: RunConfig,
    /// The schedule as asked for; built against the run's length once the data is known.
    pub schedule: ScheduleSpec,
    /// What `--schedule plateau` and early stopping watch (the default when neither is used).
    pub monitor: Monitor,
    /// `--early-stop` and its settings (`None`: train every epoch).
    pub early_stop: Option<EarlyStopSettings>,
    /// `--swa-start` and its settings (`None`: no weight averaging).
    pub swa: Option<SwaSettings>,
    pub output: OutputConfig,
}

impl RunSpec {
    /// Check `train`'s flag groups (in the order data, model, optimizer, run, output) into a
    /// spec; `command` names the default output folder `runs/<command>`.
    pub fn from_train_args(a: &TrainArgs, command: &str) -> anyhow::Result<RunSpec> {
        let data = DataConfig::from_args(&a.data)?;
        let model = ModelConfig::from_args(&a.model)?;
        let optim = OptimConfig::from_args(&a.optim)?;
        let run = RunConfig::from_args(&a.run)?;
        Ok(RunSpec {
            data,
            model,
            optim,
            schedule: a.schedule.spec(),
            monitor: monitor_from_args(&a.monitor, a.schedule.schedule, a.early_stop.early_stop)?,
            early_stop: early_stop_from_args(&a.early_stop)?,
            swa: swa_from_args(&a.swa, run.epochs)?,
            run,
            output: OutputConfig::from_args(&a.output, command),
        })
    }
}

/// `--swa-start EPOCH` with `--swa-lr`, `--swa-anneal-epochs` and `--swa-anneal`.
fn swa_from_args(a: &SwaArgs, epochs: usize) -> anyhow::Result<Option<SwaSettings>> {
    let Some(start) = a.swa_start else {
        for (flag, given) in [
            ("--swa-lr", a.swa_lr.is_some()),
            ("--swa-anneal-epochs", a.swa_anneal_epochs.is_some()),
            ("--swa-anneal", a.swa_anneal.is_some()),
        ] {
            if given {
                input_bail!("{flag} needs --swa-start EPOCH");
            }
        }
        return Ok(None);
    };
    if start < 1 || start as u64 > epochs as u64 {
        input_bail!(
            "--swa-start {start}: must be an epoch from 1 to --epochs ({epochs}); the SWA phase runs from it to the last epoch"
        );
    }
    let Some(swa_lr) = a.swa_lr else {
        input_bail!("--swa-start needs --swa-lr LR, the LR that SWALR anneals to");
    };
    let swa_lr = check_lr("--swa-lr", swa_lr)?;
    let anneal_epochs = a
        .swa_anneal_epochs
        .unwrap_or(crate::schedule::swa::DEFAULT_ANNEAL_EPOCHS as i64);
    if !(0..=1_000_000).contains(&anneal_epochs) {
        input_bail!(
            "--swa-anneal-epochs {anneal_epochs}: must be a whole number of epochs from 0 to 1000000"
        );
    }
    Ok(Some(SwaSettings {
        start_epoch: start as u64,
        swa_lr,
        anneal_epochs: anneal_epochs as u64,
        anneal: a.swa_anneal.unwrap_or(crate::schedule::swa::DEFAULT_ANNEAL),
    }))
}

/// `--monitor` and `--monitor-mode` (mode: the quantity's own when not given). They are refused
/// unless `--schedule plateau` or `--early-stop` listens.
pub fn monitor_from_args(
    a: &MonitorArgs,
    schedule: ScheduleKind,
    early_stop: Option<i64>,
) -> anyhow::Result<Monitor> {
    if !schedule.is_feedback() && early_stop.is_none() {
        for (flag, given) in [
            ("--monitor", a.monitor.is_some()),
            ("--monitor-mode", a.monitor_mode.is_some()),
        ] {
            if given {
                input_bail!(
                    "{flag} is used by --schedule plateau and --early-stop; give one of them"
                );
            }
        }
    }
    let quantity = a.monitor.unwrap_or(Monitor::default().quantity);
    Ok(Monitor {
        quantity,
        mode: a.monitor_mode.unwrap_or(quantity.default_mode()),
    })
}

/// `--early-stop PATIENCE` with `--min-delta` and `--restore-best`.
fn early_stop_from_args(a: &EarlyStopArgs) -> anyhow::Result<Option<EarlyStopSettings>> {
    let Some(patience) = a.early_stop else {
        if a.min_delta.is_some() {
            input_bail!("--min-delta needs --early-stop PATIENCE");
        }
        if a.restore_best {
            input_bail!("--restore-best needs --early-stop PATIENCE");
        }
        return Ok(None);
    };
    if !(0..=1_000_000).contains(&patience) {
        input_bail!(
            "--early-stop {patience}: the patience must be a whole number of epochs from 0 to 1000000"
        );
    }
    let min_delta = a.min_delta.unwrap_or(0.0);
    if !(min_delta.is_finite() && min_delta >= 0.0) {
        input_bail!("--min-delta {min_delta}: must be a finite number of at least 0");
    }
    Ok(Some(EarlyStopSettings {
        patience: patience as u64,
        min_delta,
        restore_best: a.restore_best,
    }))
}

/// A snapshot-ensemble run: the training run (its schedule defaults to `snapshot`) and what to
/// ensemble and compare it with.
#[derive(Debug, Clone)]
pub struct SnapshotSpec {
    pub run: RunSpec,
    /// `--keep`: ensembles of the last 1 … m snapshots (`None`: all).
    pub keep: Option<u64>,
    /// `--baseline`: also train one model for the same steps under `baseline_schedule`.
    pub baseline: bool,
    /// `--baseline-schedule` (`None`: cosine).
    pub baseline_schedule: Option<crate::schedule::ScheduleKind>,
    /// `--fge` and its settings (`None`: snapshots at the schedule's cycle ends).
    pub fge: Option<FgeSettings>,
}

impl SnapshotSpec {
    pub fn from_args(a: &SnapshotEnsembleArgs) -> anyhow::Result<SnapshotSpec> {
        let run = RunSpec::from_train_args(&a.as_train_args(), "snapshot-ensemble")?;
        Ok(SnapshotSpec {
            fge: fge_from_args(&a.ensemble.fge, run.run.epochs, run.run.lr)?,
            run,
            keep: a.ensemble.keep,
            baseline: a.ensemble.baseline,
            baseline_schedule: a.ensemble.baseline_schedule,
        })
    }
}

/// `--fge` with `--cycle-epochs`, `--fge-start`, `--fge-lr1` and `--fge-lr2`.
fn fge_from_args(a: &FgeArgs, epochs: usize, lr: f64) -> anyhow::Result<Option<FgeSettings>> {
    use crate::schedule::fge::{DEFAULT_CYCLE_EPOCHS, DEFAULT_LR2_RATIO};
    if !a.fge {
        for (flag, given) in [
            ("--cycle-epochs", a.cycle_epochs.is_some()),
            ("--fge-start", a.fge_start.is_some()),
            ("--fge-lr1", a.fge_lr1.is_some()),
            ("--fge-lr2", a.fge_lr2.is_some()),
        ] {
            if given {
                input_bail!("{flag} needs --fge");
            }
        }
        return Ok(None);
    }
    let cycle_epochs = a.cycle_epochs.unwrap_or(DEFAULT_CYCLE_EPOCHS as i64);
    if !(1..=1_000_000).contains(&cycle_epochs) {
        input_bail!(
            "--cycle-epochs {cycle_epochs}: must be a whole number of epochs from 1 to 1000000"
        );
    }
    let start = a.fge_start.unwrap_or(epochs as i64 / 2 + 1);
    if epochs < 2 {
        input_bail!(
            "--fge: needs --epochs 2 or more (a first phase and at least one epoch of cycles)"
        );
    }
    if start < 2 || start as u64 > epochs as u64 {
        input_bail!(
            "--fge-start {start}: must be an epoch from 2 to --epochs ({epochs}); epochs before it are the first phase"
        );
    }
    let lr1 = check_lr("--fge-lr1", a.fge_lr1.unwrap_or(lr))?;
    let lr2 = check_lr("--fge-lr2", a.fge_lr2.unwrap_or(lr1 * DEFAULT_LR2_RATIO))?;
    if lr2 >= lr1 {
        input_bail!(
            "--fge-lr2 {lr2}: must be below --fge-lr1 ({lr1}); a cycle falls from --fge-lr1 to --fge-lr2 and back"
        );
    }
    Ok(Some(FgeSettings {
        cycle_epochs: cycle_epochs as u64,
        start_epoch: start as u64,
        lr1,
        lr2,
    }))
}

/// `--hidden` when not given.
pub const DEFAULT_HIDDEN: [usize; 2] = [128, 64];

/// The name serde writes for a unit enum value (the name its flag takes).
fn serde_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(String::from))
        .unwrap_or_default()
}

/// Where the data comes from and how it is split.
#[derive(Debug, Clone, Serialize)]
pub struct DataConfig {
    pub dataset: String,
    pub labels: Option<PathBuf>,
    pub target: Option<String>,
    pub task: Option<Task>,
    pub samples: Option<usize>,
    pub noise: Option<f64>,
    pub val_split: f64,
    pub shuffle: bool,
    /// `--features` (a CSV file's feature columns).
    pub features: Option<ColumnList>,
    /// `--drop`.
    pub drop: Option<ColumnList>,
    /// `--missing` as given.
    pub missing: Option<MissingMode>,
    /// `--max-categories` as given.
    pub max_categories: Option<usize>,
}

impl DataConfig {
    pub fn from_args(a: &DataArgs) -> anyhow::Result<DataConfig> {
        if !(a.val_split.is_finite() && (0.0..1.0).contains(&a.val_split)) {
            input_bail!(
                "--val-split {}: must be at least 0 and below 1",
                a.val_split
            );
        }
        if a.max_categories == Some(0) {
            input_bail!("--max-categories 0: a text column needs at least 1 category");
        }
        let list = |flag, text: &Option<String>| {
            text.as_deref()
                .map(|t| ColumnList::parse(flag, t))
                .transpose()
        };
        Ok(DataConfig {
            features: list("--features", &a.features)?,
            drop: list("--drop", &a.drop)?,
            missing: a.missing,
            max_categories: a.max_categories,
            dataset: a.dataset.clone(),
            labels: a.labels.clone(),
            target: a.target.clone(),
            task: a.task,
            samples: a.samples,
            noise: a.noise,
            val_split: a.val_split,
            shuffle: !a.no_shuffle,
        })
    }

    /// The loader's view of this configuration.
    pub fn spec(&self, seed: u64) -> DataSpec<'_> {
        DataSpec {
            dataset: &self.dataset,
            labels: self.labels.as_deref(),
            target: self.target.as_deref(),
            task: self.task,
            samples: self.samples,
            noise: self.noise,
            seed,
            features: self.features.as_ref(),
            drop: self.drop.as_ref(),
            missing: self.missing,
            max_categories: self.max_categories,
            split: Some(SplitPlan {
                val_fraction: self.val_split,
                shuffle: self.shuffle,
                seed,
            }),
            fixed: None,
        }
    }
}

/// The network's shape and initialisation.
#[derive(Debug, Clone, Serialize)]
pub struct ModelConfig {
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub init_scheme: InitScheme,
    pub init: Option<PathBuf>,
}

impl ModelConfig {
    pub fn from_args(a: &ModelArgs) -> anyhow::Result<ModelConfig> {
        Ok(ModelConfig {
            hidden: parse_hidden(&a.hidden)?,
            activation: a.activation,
            init_scheme: a.init_scheme,
            init: a.init.clone(),
        })
    }

    /// Layer widths for `inputs` features and `outputs` network outputs.
    pub fn sizes(&self, inputs: usize, outputs: usize) -> Vec<usize> {
        let mut sizes = vec![inputs];
        sizes.extend(&self.hidden);
        sizes.push(outputs);
        sizes
    }

    /// A fresh model from the seed, or the `--init` weights after checking their shapes.
    pub fn build(&self, inputs: usize, outputs: usize, seed: u64) -> anyhow::Result<Mlp> {
        let sizes = self.sizes(inputs, outputs);
        let Some(path) = &self.init else {
            let mut rng = crate::data::rng_for(seed, crate::data::Stream::Init);
            return Ok(Mlp::new(
                &sizes,
                self.activation,
                self.init_scheme,
                &mut rng,
            ));
        };
        let model_bytes = crate::limits::memory::model_bytes(&sizes);
        let fits = format!("a model of layer sizes {}", join(&sizes));
        let fits = u64::try_from(model_bytes).ok().map(|b| (b, fits.as_str()));
        let loaded = crate::weights::load_fitting(path, "--init", self.activation, fits)?;
        let have = loaded.model.sizes();
        if have != sizes {
            input_bail!(
                "--init {}: the weights have layer sizes {} but this dataset and --hidden need {} ({}, {})",
                path.display(),
                join(&have),
                join(&sizes),
                crate::words::count(inputs, "feature"),
                crate::words::count(outputs, "output")
            );
        }
        let mut model = loaded.model;
        model.activation = self.activation;
        Ok(model)
    }
}

fn join(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("-")
}

/// `--hidden`: "" or "0" is a linear model; otherwise positive widths separated by commas.
pub fn parse_hidden(text: &str) -> anyhow::Result<Vec<usize>> {
    let t = text.trim();
    if t.is_empty() || t == "0" {
        return Ok(Vec::new());
    }
    t.split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(n) if n > 0 && n <= 1 << 20 => Ok(n),
            _ => Err(input_err!(
                "--hidden {text}: \"{}\" is not a layer width (a whole number from 1 to 1048576); use \"\" or 0 for no hidden layer",
                w.trim()
            )),
        })
        .collect()
}

/// The optimizer and its hyper-parameters, PyTorch's defaults filled in.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum OptimConfig {
    Sgd(SgdConfig),
    Adam(AdamConfig),
    Adamw(AdamConfig),
}

impl OptimConfig {
    pub fn from_args(a: &OptimArgs) -> anyhow::Result<OptimConfig> {
        let kind = a.optimizer;
        let name = match kind {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
            OptimizerKind::Adamw => "adamw",
        };
        let is_sgd = kind == OptimizerKind::Sgd;
        let not_for = |flag: &str, set: bool, sgd_flag: bool| -> anyhow::Result<()> {
            if set && sgd_flag != is_sgd {
                let applies = if sgd_flag { "sgd" } else { "adam and adamw" };
                input_bail!("{flag} applies to --optimizer {applies}, not --optimizer {name}");
            }
            Ok(())
        };
        not_for("--momentum", a.momentum.is_some(), true)?;
        not_for("--dampening", a.dampening.is_some(), true)?;
        not_for("--nesterov", a.nesterov, true)?;
        not_for("--beta1", a.beta1.is_some(), false)?;
        not_for("--beta2", a.beta2.is_some(), false)?;
        not_for("--eps", a.eps.is_some(), false)?;
        not_for("--amsgrad", a.amsgrad, false)?;
        let default_wd = if kind == OptimizerKind::Adamw {
            1e-2
        } else {
            0.0
        };
        let weight_decay = check_range(
            "--weight-decay",
            a.weight_decay,
            default_wd,
            0.0,
            f64::MAX,
            true,
        )?;
        Ok(match kind {
            OptimizerKind::Sgd => {
                let momentum = check_range("--momentum", a.momentum, 0.0, 0.0, f64::MAX, true)?;
                let dampening = check_range("--dampening", a.dampening, 0.0, 0.0, 1.0, true)?;
                if a.nesterov && (momentum <= 0.0 || dampening != 0.0) {
                    input_bail!(
                        "--nesterov needs --momentum above 0 and --dampening 0 (as in PyTorch)"
                    );
                }
                OptimConfig::Sgd(SgdConfig {
                    momentum,
                    dampening,
                    nesterov: a.nesterov,
                    weight_decay,
                })
            }
            OptimizerKind::Adam | OptimizerKind::Adamw => {
                let c = AdamConfig {
                    beta1: check_range("--beta1", a.beta1, 0.9, 0.0, 1.0, false)?,
                    beta2: check_range("--beta2", a.beta2, 0.999, 0.0, 1.0, false)?,
                    eps: check_range("--eps", a.eps, 1e-8, 0.0, f64::MAX, false)?,
                    weight_decay,
                    decoupled: kind == OptimizerKind::Adamw,
                    amsgrad: a.amsgrad,
                };
                if kind == OptimizerKind::Adamw {
                    OptimConfig::Adamw(c)
                } else {
                    OptimConfig::Adam(c)
                }
            }
        })
    }

    /// The optimizer for `model`, its state sized from the model.
    pub fn build(&self, model: &Mlp) -> Optimizer {
        match self {
            OptimConfig::Sgd(c) => Optimizer::Sgd(Sgd::new(model, *c)),
            OptimConfig::Adam(c) | OptimConfig::Adamw(c) => Optimizer::Adam(Adam::new(model, *c)),
        }
    }

    /// Values of optimizer state per parameter (for the memory estimate): SGD's velocity, Adam's
    /// two moments and AMSGrad's maximum.
    pub fn state_slots(&self) -> u128 {
        match self {
            OptimConfig::Sgd(_) => 1,
            OptimConfig::Adam(c) | OptimConfig::Adamw(c) => 2 + u128::from(c.amsgrad),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            OptimConfig::Sgd(_) => "sgd",
            OptimConfig::Adam(_) => "adam",
            OptimConfig::Adamw(_) => "adamw",
        }
    }
}

/// `value` (or `default`) must be finite and in `[lo, hi]` (`hi` excluded unless `hi_inclusive`).
fn check_range(
    flag: &str,
    value: Option<f64>,
    default: f64,
    lo: f64,
    hi: f64,
    hi_inclusive: bool,
) -> anyhow::Result<f64> {
    let v = value.unwrap_or(default);
    let ok = v.is_finite() && v >= lo && (v < hi || (hi_inclusive && v <= hi));
    if !ok {
        let upper = if hi == f64::MAX {
            String::new()
        } else if hi_inclusive {
            format!(" and at most {hi}")
        } else {
            format!(" and below {hi}")
        };
        input_bail!("{flag} {v}: must be a number of at least {lo}{upper}");
    }
    Ok(v)
}

pub use crate::schedule::check_lr;

/// Epochs, batch size, learning rate, seed, and the threads asked for.
#[derive(Debug, Clone, Serialize)]
pub struct RunConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub seed: u64,
    /// `--threads` (not in summary.json: it does not change a single bit of the results; the
    /// count used is in timing.json).
    #[serde(skip)]
    pub threads: Option<usize>,
}

impl RunConfig {
    pub fn from_args(a: &RunArgs) -> anyhow::Result<RunConfig> {
        if a.epochs < 1 || a.epochs > 1_000_000 {
            input_bail!(
                "--epochs {}: must be a whole number from 1 to 1000000",
                a.epochs
            );
        }
        if a.batch_size < 1 || a.batch_size > 1 << 24 {
            input_bail!(
                "--batch-size {}: must be a whole number of at least 1",
                a.batch_size
            );
        }
        Ok(RunConfig {
            epochs: a.epochs as usize,
            batch_size: a.batch_size as usize,
            lr: check_lr("--lr", a.lr)?,
            seed: a.seed,
            threads: a.compute.requested()?,
        })
    }
}

/// Output folder and verbosity.
#[derive(Debug, Clone, Serialize)]
pub struct OutputConfig {
    /// `--out`, or without it the default folder `runs/<command>` (numbered: see `numbered`).
    pub out: PathBuf,
    /// No `--out`: the run takes the first free folder of `out`, `out-2`, `out-3`, … so that no
    /// earlier default run is replaced.
    pub numbered: bool,
    pub force: bool,
    pub json: bool,
    pub quiet: bool,
    /// Write report.html at the end of the run (not with --no-report).
    pub report: bool,
}

impl OutputConfig {
    pub fn from_args(a: &OutputArgs, command: &str) -> OutputConfig {
        OutputConfig {
            out: a
                .out
                .clone()
                .unwrap_or_else(|| Path::new("runs").join(command)),
            numbered: a.out.is_none(),
            force: a.force,
            json: a.json,
            quiet: a.quiet,
            report: !a.no_report,
        }
    }
}

/// Flags whose value is a comma-separated list, so a config file may give them as JSON lists.
const LIST_KEYS: [&str; 2] = ["hidden", "milestones"];

/// Flags that came from a `--config` file, to attribute parse errors to the file.
#[derive(Debug, Clone, Default)]
pub struct ConfigOrigin {
    pub file: String,
    /// Long flag names (without dashes) set by the file and not on the command line.
    pub keys: Vec<String>,
}

/// Expand `--config FILE.json` into flags placed before the command line's own flags, so the
/// latter win. `args` is the whole argv (program name first).
pub fn expand_config(args: Vec<OsString>) -> anyhow::Result<(Vec<OsString>, Option<ConfigOrigin>)> {
    let strs: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut path = None;
    for (i, a) in strs.iter().enumerate() {
        if a == "--config" {
            path = strs.get(i + 1).cloned();
        } else if let Some(p) = a.strip_prefix("--config=") {
            path = Some(p.to_string());
        }
    }
    // the subcommand may follow global flags (`lrtool --max-input-mb 100 train …`)
    let cmd = Cli::command();
    let sub = strs
        .iter()
        .skip(1)
        .find(|w| cmd.find_subcommand(w).is_some());
    let (Some(path), Some(sub)) = (path, sub) else {
        return Ok((args, None));
    };
    // compare reads its own experiment file (shared flags plus "arms" and "seeds")
    if sub == "compare" || Cli::command().find_subcommand(sub).is_none() {
        return Ok((args, None));
    }
    let text = crate::limits::read_text(
        std::path::Path::new(&path),
        &format!(
            "--config {}",
            crate::limits::cut(&path, crate::limits::ECHO_CHARS)
        ),
        crate::limits::Kind::Config,
    )?;
    expand_config_text(&text, &path, args)
}

/// [`expand_config`] with the config file's contents given: `text` is the JSON read from `path`
/// (which error messages name) and `args` the whole argv (program name, then the subcommand).
pub fn expand_config_text(
    text: &str,
    path: &str,
    args: Vec<OsString>,
) -> anyhow::Result<(Vec<OsString>, Option<ConfigOrigin>)> {
    let strs: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // built, so that the global flags (--max-input-mb, --max-memory-mb) are the subcommand's too
    let mut cmd = Cli::command();
    cmd.build();
    let Some(at) = (1..strs.len()).find(|&i| cmd.find_subcommand(&strs[i]).is_some()) else {
        return Ok((args, None));
    };
    let sub = &strs[at];
    let Some(sub_cmd) = cmd.find_subcommand(sub) else {
        return Ok((args, None));
    };
    let path = path.to_string();
    let json: Value = strict::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        input_err!(
            "{path}: invalid JSON at line {}, column {}: {msg}",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(map) = json else {
        input_bail!(
            "{path}: must be a JSON object of flag names and values, like {{\"epochs\": 10}}"
        );
    };
    let known: Vec<&clap::Arg> = sub_cmd
        .get_arguments()
        .filter(|a| {
            a.get_long()
                .is_some_and(|l| !matches!(l, "config" | "help" | "version"))
        })
        .collect();
    let given_on_cli = |long: &str| {
        strs.iter()
            .any(|a| a == &format!("--{long}") || a.starts_with(&format!("--{long}=")))
    };
    let mut extra: Vec<OsString> = Vec::new();
    let mut origin = ConfigOrigin {
        file: path.clone(),
        keys: Vec::new(),
    };
    for (key, value) in &map {
        let Some(arg) = known.iter().find(|a| a.get_long() == Some(key.as_str())) else {
            let names: Vec<&str> = known.iter().filter_map(|a| a.get_long()).collect();
            let hint = nearest(key, &names)
                .map(|n| format!(" (did you mean \"{n}\"?)"))
                .unwrap_or_default();
            input_bail!("{path}: unknown key \"{key}\" for lrtool {sub}{hint}");
        };
        let takes_value = arg.get_action().takes_values();
        let flag = format!("--{key}");
        let overridden = given_on_cli(key);
        let mut push = |v: OsString| -> anyhow::Result<()> {
            // a flag on the command line wins: the file's value is checked but not used
            if overridden {
                check_overridden(&path, key, arg, &v)
            } else {
                extra.push(v);
                Ok(())
            }
        };
        let wrong = |want: &str| input_err!("{path}: key \"{key}\" must be {want}, not {value}");
        match value {
            // null means "the default"
            Value::Null => continue,
            Value::Bool(b) if !takes_value => {
                if *b {
                    push(flag.into())?;
                }
            }
            _ if !takes_value => return Err(wrong("true or false")),
            Value::Bool(_) | Value::Object(_) => return Err(wrong("a number or a string")),
            Value::Number(n) => push(format!("{flag}={n}").into())?,
            Value::String(s) => push(format!("{flag}={s}").into())?,
            Value::Array(items) if key == "sequence" => {
                push(format!("{flag}={}", sequence_text(items, &path)?).into())?;
            }
            Value::Array(items) if LIST_KEYS.contains(&key.as_str()) => {
                let mut parts = Vec::new();
                for item in items {
                    match item {
                        Value::Number(n) => parts.push(n.to_string()),
                        Value::String(s) => parts.push(s.clone()),
                        _ => return Err(wrong("a list of numbers")),
                    }
                }
                push(format!("{flag}={}", parts.join(",")).into())?;
            }
            Value::Array(_) => return Err(wrong("a single value, not a list")),
        }
        if !given_on_cli(key) {
            origin.keys.push(key.clone());
        }
    }
    let mut out: Vec<OsString> = args[..=at].to_vec();
    out.extend(extra);
    out.extend(args[at + 1..].iter().cloned());
    Ok((out, Some(origin)))
}

/// A config file's value for a flag the command line also gives is not used, but it must still
/// be a value the flag takes: `{"epochs": "three"}` beside `--epochs 1` is refused. `arg` is the
/// flag's definition, `flag_text` the `--flag=value` the file's value becomes.
fn check_overridden(
    path: &str,
    key: &str,
    arg: &clap::Arg,
    flag_text: &OsString,
) -> anyhow::Result<()> {
    let text = flag_text.to_string_lossy();
    let Some((_, value)) = text.split_once('=') else {
        return Ok(());
    };
    match crate::cli::check_value(arg, value) {
        Ok(()) => Ok(()),
        Err(why) => input_bail!(
            "{path}: key \"{key}\": invalid value '{}' for --{key}{why} (a value on the command line does not excuse the file's)",
            crate::limits::cut(value, crate::limits::ECHO_CHARS)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sequence in a config file, as a list of objects, becomes the `--sequence` text.
    #[test]
    fn config_sequence_list_becomes_the_flag_text() {
        let json = r#"{"schedule": "sequential", "sequence": [
            {"schedule": "linear", "start-factor": 0.1, "decay-steps": 5},
            {"at": 5, "schedule": "cosine", "t-max": 20},
            {"at-epoch": 3, "schedule": "polynomial", "cycle": true, "power": 2},
            {"at": 40, "schedule": "multistep", "milestones": [1, 2]}]}"#;
        let args: Vec<OsString> = ["lrtool", "schedule", "--steps", "50"]
            .iter()
            .map(OsString::from)
            .collect();
        let (out, _) = expand_config_text(json, "c.json", args).unwrap();
        let out: Vec<String> = out.iter().map(|a| a.to_string_lossy().into()).collect();
        assert!(
            out.contains(&"--sequence=linear:decay-steps=5:start-factor=0.1 @5 cosine:t-max=20 @3e polynomial:cycle:power=2 @40 multistep:milestones=1/2".to_string()),
            "{out:?}"
        );
        for (bad, want) in [
            (
                r#"[{"schedule": "cosine"}, {"schedule": "linear"}]"#,
                "entry 2: needs \"at\"",
            ),
            (
                r#"[{"at": 3, "schedule": "cosine"}]"#,
                "entry 1: the first schedule",
            ),
            (r#"[{"t-max": 3}]"#, "entry 1: needs \"schedule\""),
            (r#"["cosine"]"#, "entry 1: must be an object"),
            (
                r#"[{"schedule": "cosine"}, {"at": "x", "schedule": "linear"}]"#,
                "whole number",
            ),
        ] {
            let json = format!(r#"{{"sequence": {bad}}}"#);
            let args: Vec<OsString> = ["lrtool", "schedule"].iter().map(OsString::from).collect();
            let e = expand_config_text(&json, "c.json", args).unwrap_err();
            let text = format!("{e:#}");
            assert!(text.starts_with("c.json: \"sequence\" entry"), "{text}");
            assert!(text.contains(want), "{text:?} should contain {want:?}");
        }
    }

    #[test]
    fn hidden_parsing() {
        assert_eq!(parse_hidden("128,64").unwrap(), vec![128, 64]);
        assert_eq!(parse_hidden("").unwrap(), Vec::<usize>::new());
        assert_eq!(parse_hidden("0").unwrap(), Vec::<usize>::new());
        let err = parse_hidden("0,-3").unwrap_err();
        assert!(err.to_string().contains("--hidden 0,-3"), "{err}");
        assert!(parse_hidden("12,x").is_err());
    }

    /// `train_flags` renders configs that parse back into the same configs.
    #[test]
    fn train_flags_round_trip() {
        use clap::Parser;
        let cases: [&[&str]; 6] = [
            &[],
            &[
                "--dataset",
                "iris",
                "--optimizer",
                "sgd",
                "--momentum",
                "0.9",
                "--nesterov",
            ],
            &[
                "--dataset",
                "my data.csv",
                "--target",
                "y",
                "--task",
                "regress",
                "--val-split",
                "0.25",
                "--no-shuffle",
                "--hidden",
                "32,16,8",
                "--activation",
                "leaky-relu",
                "--init-scheme",
                "he",
            ],
            &[
                "--dataset",
                "moons",
                "--samples",
                "500",
                "--noise",
                "0.3",
                "--hidden",
                "0",
                "--optimizer",
                "adamw",
                "--weight-decay",
                "0.05",
                "--beta2",
                "0.99",
                "--amsgrad",
            ],
            &[
                "--optimizer",
                "adam",
                "--eps",
                "1e-6",
                "--beta1",
                "0.8",
                "--weight-decay",
                "1e-4",
            ],
            &[
                "--optimizer",
                "sgd",
                "--dampening",
                "0.1",
                "--weight-decay",
                "5e-4",
                "--momentum",
                "0.5",
            ],
        ];
        let spec = |words: Vec<String>| {
            let mut argv = vec!["lrtool".to_string(), "train".to_string()];
            argv.extend(words);
            let cli = Cli::try_parse_from(argv).unwrap();
            let crate::cli::Command::Train(a) = cli.command else {
                panic!("train")
            };
            RunSpec::from_train_args(&a, "train").unwrap()
        };
        let json = |s: &RunSpec| serde_json::to_value((&s.data, &s.model, &s.optim)).unwrap();
        for words in cases {
            let first = spec(words.iter().map(|w| w.to_string()).collect());
            let flags = train_flags(&first.data, &first.model, &first.optim);
            // a shell would split "--name value" and unquote the value
            let mut words = Vec::new();
            for f in &flags {
                let (name, value) = f.split_once(' ').unwrap_or((f, ""));
                words.push(name.to_string());
                if !value.is_empty() {
                    words.push(value.trim_matches('\'').to_string());
                }
            }
            let again = spec(words);
            assert_eq!(json(&first), json(&again), "{flags:?}");
        }
    }

    #[test]
    fn nearest_key() {
        let names = ["batch-size", "epochs", "lr"];
        assert_eq!(nearest("batchsize", &names), Some("batch-size"));
        assert_eq!(nearest("epoch", &names), Some("epochs"));
        assert_eq!(nearest("zzzzzzzz", &names), None);
    }
}

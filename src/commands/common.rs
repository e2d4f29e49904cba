//! Pieces every training command shares: the prepared run (data, splits, model), summary facts,
//! the weights metadata, the step history and the loss-curve plot.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::config::{DataConfig, ModelConfig, OutputConfig, RunConfig, RunSpec};
use crate::data::{self, Dataset, Splits, Target, Task};
use crate::limits::memory::{self, Estimate};
use crate::nn::Mlp;
use crate::output::{Layout, OutDir};
use crate::report::plot::{Panel, Scale, Series, Style};
use crate::report::records::{
    self, ColumnFacts, DataSettings, DatasetFacts, EndStatus, InputColumnFacts, ModelFacts,
    ModelSettings, Present, RunSettings, Standardization,
};
use crate::train::{Control, EpochReport, Observer, StepReport};

/// Data loaded and split, the model to train on it, and the run's length: what `train` and
/// `snapshot-ensemble` plan alike (each builds its own LR plan: `train` may follow a feedback
/// policy, `snapshot-ensemble` only schedules of the step).
pub struct Prepared {
    pub dataset: Dataset,
    pub splits: Splits,
    pub model: Mlp,
    pub steps_per_epoch: usize,
    pub total_steps: u64,
}

/// Load the dataset, split and standardise it, check that the run fits in memory, build (or
/// load) the model, and count the run's steps.
pub fn prepare(spec: &RunSpec) -> anyhow::Result<Prepared> {
    prepare_with(spec, |_| Estimate::new())
}

/// [`prepare`] for a command that needs memory beyond one training run: `extra` gives it from
/// the run's validation rows × outputs (snapshot predictions, a baseline model).
pub fn prepare_with(
    spec: &RunSpec,
    extra: impl Fn(&ExtraShape) -> Estimate,
) -> anyhow::Result<Prepared> {
    let RunSpec {
        data, model, run, ..
    } = spec;
    let seed = run.seed;
    let dataset = data::source::load(&data.spec(seed))?;
    let splits = data::split(&dataset, data.val_split, data.shuffle, seed)?;
    let outputs = match dataset.task() {
        Task::Classify => dataset.n_classes(),
        Task::Regress => 1,
    };
    let steps_per_epoch =
        data::Batcher::new(&splits.train, run.batch_size, data.shuffle, seed).steps_per_epoch();
    let total_steps = (steps_per_epoch as u64).saturating_mul(run.epochs as u64);
    let sizes = model.sizes(dataset.n_features(), outputs);
    let mut estimate = run_estimate(spec, &sizes, &dataset, total_steps);
    let shape = ExtraShape {
        model_bytes: memory::model_bytes(&sizes),
        val_outputs: (splits.val.len() * outputs) as u128,
        sizes: sizes.clone(),
    };
    estimate.add_all(&extra(&shape), 1, "");
    estimate.check("this run")?;
    let model = model.build(dataset.n_features(), outputs, seed)?;
    Ok(Prepared {
        dataset,
        splits,
        model,
        steps_per_epoch,
        total_steps,
    })
}

/// What a command's extra memory depends on (see [`prepare_with`]).
pub struct ExtraShape {
    /// Bytes of one copy of the weights.
    pub model_bytes: u128,
    /// Validation rows × network outputs.
    pub val_outputs: u128,
    /// Layer widths.
    pub sizes: Vec<usize>,
}

/// The memory of one training run of `spec` on `dataset` with layer widths `sizes`.
pub fn run_estimate(spec: &RunSpec, sizes: &[usize], dataset: &Dataset, steps: u64) -> Estimate {
    let mut e = memory::training(&memory::Training {
        sizes,
        batch_size: spec.run.batch_size,
        eval_rows: crate::train::EVAL_ROWS,
        optimizer_slots: spec.optim.state_slots(),
        // --early-stop keeps the best epoch's weights
        weight_copies: u128::from(spec.early_stop.is_some()),
        data_values: (dataset.n_samples() as u128) * (dataset.n_features() as u128 + 1),
        steps_kept: u128::from(steps.min(HISTORY_MAX_STEPS as u64)),
        epochs: spec.run.epochs as u128,
    });
    if spec.swa.is_some() {
        // --swa-start: the running average is a whole copy of the weights, kept all run long
        e.add("SWA average", memory::model_bytes(sizes));
    }
    e.add_all(&init_estimate(&spec.model, sizes), 1, "");
    e
}

/// `--init FILE`: the file's bytes are read whole and decoded beside them into the model, and
/// checked against the model's size before that, so they take at most one more copy of the
/// weights.
pub fn init_estimate(model: &ModelConfig, sizes: &[usize]) -> Estimate {
    let mut e = Estimate::new();
    if model.init.is_some() {
        e.add("--init weights file", memory::model_bytes(sizes));
    }
    e
}

/// The files a run reads, each with its flag (`--dataset` when it names a file, `--labels`,
/// `--init`), for [`crate::output::check_inputs_kept`].
pub fn run_inputs(
    data: &DataConfig,
    model: Option<&ModelConfig>,
) -> Vec<(&'static str, std::path::PathBuf)> {
    let mut inputs = vec![("--dataset", std::path::PathBuf::from(&data.dataset))];
    if let Some(l) = &data.labels {
        inputs.push(("--labels", l.clone()));
    }
    if let Some(i) = model.and_then(|m| m.init.as_ref()) {
        inputs.push(("--init", i.clone()));
    }
    inputs
}

/// [`crate::output::check_inputs_kept`] for a training run's files.
pub fn check_run_inputs(
    out: &std::path::Path,
    data: &DataConfig,
    model: &ModelConfig,
) -> anyhow::Result<()> {
    crate::output::check_inputs_kept(out, &run_inputs(data, Some(model)))
}

/// `config.run` of summary.json.
pub fn run_settings(c: &RunConfig) -> RunSettings {
    RunSettings {
        batch_size: c.batch_size as u64,
        epochs: c.epochs as u64,
        lr: c.lr,
        seed: c.seed,
    }
}

/// "digits (1797 rows × 64 features, 10 classes; 1438 train / 359 val), MLP 64-128-64-10 relu":
/// the first line of every training command's report.
pub fn run_headline(ds: &Dataset, splits: &Splits, model: &Mlp) -> String {
    let kind = match ds.task() {
        Task::Classify => crate::words::count(ds.n_classes(), "class"),
        Task::Regress => "regression".into(),
    };
    let sizes: Vec<String> = model.sizes().iter().map(usize::to_string).collect();
    format!(
        "{} ({} × {}, {kind}; {} train / {} val), MLP {} {}",
        ds.name,
        crate::words::count(ds.n_samples(), "row"),
        crate::words::count(ds.n_features(), "feature"),
        splits.train.len(),
        splits.val.len(),
        sizes.join("-"),
        model.activation.name()
    )
}

/// Dataset facts for summary.json.
pub fn dataset_facts(ds: &Dataset, splits: &Splits) -> DatasetFacts {
    let class_names = match &ds.y {
        Target::Classes { names, .. } => Some(names.clone()),
        Target::Values(_) => None,
    };
    DatasetFacts {
        class_names,
        classes: ds.n_classes() as u64,
        columns: ds.encoding.as_ref().map(|e| column_facts(&e.encoding)),
        features: ds.n_features() as u64,
        name: ds.name.clone(),
        samples: ds.n_samples() as u64,
        standardization: Standardization {
            mean: splits.standardizer.mean.clone(),
            std: splits.standardizer.std.clone(),
        },
        task: match ds.task() {
            Task::Classify => records::Task::Classify,
            Task::Regress => records::Task::Regress,
        },
        train_rows: splits.train.len() as u64,
        val_rows: splits.val.len() as u64,
    }
}

/// `dataset.columns` of summary.json: a CSV file's input columns as encoded.
pub fn column_facts(e: &crate::data::csv::Encoding) -> ColumnFacts {
    use crate::data::csv::encode::ColumnKind;
    ColumnFacts {
        inputs: e
            .columns
            .iter()
            .map(|c| match &c.kind {
                ColumnKind::Number { .. } => InputColumnFacts {
                    categories: None,
                    kind: "number".into(),
                    name: c.name.clone(),
                },
                ColumnKind::Text { categories } => InputColumnFacts {
                    categories: Some(categories.len() as u64),
                    kind: "text".into(),
                    name: c.name.clone(),
                },
            })
            .collect(),
        missing: e.missing.name().into(),
        target: e.target.clone(),
    }
}

/// Model facts for summary.json.
pub fn model_facts(model: &Mlp, cfg: &ModelConfig) -> ModelFacts {
    ModelFacts {
        activation: model.activation.name().into(),
        init_from: cfg.init.as_ref().map(|p| p.to_string_lossy().into_owned()),
        init_scheme: serde_name(&cfg.init_scheme),
        parameters: model.n_params() as u64,
        sizes: model.sizes().iter().map(|&s| s as u64).collect(),
    }
}

/// `config.data` of summary.json.
pub fn data_settings(c: &DataConfig) -> DataSettings {
    DataSettings {
        dataset: c.dataset.clone(),
        drop: c.drop.as_ref().map(|l| l.text()),
        features: c.features.as_ref().map(|l| l.text()),
        labels: c.labels.as_ref().map(|p| p.to_string_lossy().into_owned()),
        max_categories: c.max_categories.map(|n| n as u64),
        missing: c.missing.map(|m| m.name().into()),
        noise: c.noise,
        samples: c.samples.map(|n| n as u64),
        shuffle: c.shuffle,
        target: c.target.clone(),
        task: c.task.map(|t| match t {
            Task::Classify => records::Task::Classify,
            Task::Regress => records::Task::Regress,
        }),
        val_split: c.val_split,
    }
}

/// `config.model` of summary.json.
pub fn model_settings(c: &ModelConfig) -> ModelSettings {
    ModelSettings {
        activation: c.activation.name().into(),
        hidden: c.hidden.iter().map(|&w| w as u64).collect(),
        init: c.init.as_ref().map(|p| p.to_string_lossy().into_owned()),
        init_scheme: serde_name(&c.init_scheme),
    }
}

/// The name serde writes for a unit enum value.
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(String::from))
        .unwrap_or_default()
}

/// Metadata stored beside the weights: enough to rebuild the model and its input scaling.
pub fn weights_metadata(model: &Mlp, ds: &Dataset, splits: &Splits) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("format".into(), json!("pt"));
    m.insert("lrtool_version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert(
        "sizes".into(),
        json!(
            model
                .sizes()
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    );
    m.insert("activation".into(), json!(model.activation.name()));
    m.insert("task".into(), json!(ds.task()));
    if let Target::Classes { names, .. } = &ds.y {
        m.insert("class_names".into(), json!(names));
    }
    m.insert("feature_names".into(), json!(ds.feature_names));
    m.insert("feature_mean".into(), json!(splits.standardizer.mean));
    m.insert("feature_std".into(), json!(splits.standardizer.std));
    if let Some(e) = &ds.encoding {
        // a CSV file's columns: names, kinds, categories and fill values, for evaluate/predict
        m.insert("input_columns".into(), json!(e.encoding));
    }
    m
}

/// The most step reports a [`History`] keeps: a longer run keeps every 2nd, 4th, … step.
pub const HISTORY_MAX_STEPS: usize = 1 << 17;

/// Keeps the step reports for the plots, and every epoch report. A run of at most
/// [`HISTORY_MAX_STEPS`] steps keeps every step; a longer one keeps every `stride`-th step
/// (steps 0, stride, 2·stride, …), the stride doubling whenever the list is full, so memory stays
/// bounded however long the run (the CSV logs on disk keep every step).
pub struct History {
    pub steps: Vec<StepReport>,
    pub epochs: Vec<EpochReport>,
    /// Keep the steps whose index is a multiple of this.
    stride: u64,
    /// The rows of every step seen, kept or not.
    pub rows_seen: usize,
    max: usize,
}

impl History {
    /// A history for a run of `steps` steps (room reserved up to the limit).
    pub fn with_capacity(steps: usize) -> History {
        History::bounded(steps, HISTORY_MAX_STEPS)
    }

    /// A history keeping at most `max` (at least 2) step reports.
    pub fn bounded(steps: usize, max: usize) -> History {
        let max = max.max(2);
        History {
            steps: Vec::with_capacity(steps.min(max)),
            epochs: Vec::new(),
            stride: 1,
            rows_seen: 0,
            max,
        }
    }

    /// Every how many steps one is kept.
    pub fn stride(&self) -> u64 {
        self.stride
    }
}

impl Observer for History {
    fn on_step(&mut self, r: &StepReport, _m: &Mlp) -> anyhow::Result<Control> {
        self.rows_seen += r.rows;
        if !r.step.is_multiple_of(self.stride) {
            return Ok(Control::Continue);
        }
        if self.steps.len() == self.max {
            self.stride *= 2;
            let stride = self.stride;
            self.steps.retain(|s| s.step.is_multiple_of(stride));
            if !r.step.is_multiple_of(stride) {
                return Ok(Control::Continue);
            }
        }
        self.steps.push(r.clone());
        Ok(Control::Continue)
    }
    fn on_epoch(&mut self, r: &EpochReport, _m: &Mlp) -> anyhow::Result<Control> {
        self.epochs.push(r.clone());
        Ok(Control::Continue)
    }
}

/// Name of the quality metric column for a task.
pub fn metric_name(task: Task) -> &'static str {
    match task {
        Task::Classify => "acc",
        Task::Regress => "r2",
    }
}

/// Loss per step and per epoch (train, validation) above, the metric per epoch below.
pub fn loss_curves_svg(
    history: &History,
    task: Task,
    steps_per_epoch: usize,
) -> anyhow::Result<String> {
    let spe = steps_per_epoch.max(1) as f64;
    let step_loss = Series {
        label: "mini-batch loss".into(),
        points: history
            .steps
            .iter()
            .map(|s| ((s.step + 1) as f64 / spe, s.loss))
            .collect(),
    };
    let epoch_series = |label: &str, f: &dyn Fn(&EpochReport) -> Option<f64>| Series {
        label: label.into(),
        points: history
            .epochs
            .iter()
            .filter_map(|e| f(e).map(|v| (e.epoch as f64, v)))
            .collect(),
    };
    let metric = metric_name(task);
    let loss_name = match task {
        Task::Classify => "cross-entropy",
        Task::Regress => "mean squared error",
    };
    let panels = [
        Panel {
            title: "Loss".into(),
            x_label: "epoch".into(),
            y_label: loss_name.into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Log10,
            series: vec![
                step_loss,
                epoch_series("train (epoch mean)", &|e| Some(e.train_loss)),
                epoch_series("validation", &|e| e.val_loss),
            ],
            markers: vec![],
            y_range: None,
            x_integer: true,
        },
        Panel {
            title: format!(
                "Quality ({})",
                if metric == "acc" { "accuracy" } else { "R²" }
            ),
            x_label: "epoch".into(),
            y_label: metric.into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: vec![
                epoch_series(&format!("train_{metric}"), &|e| Some(e.train_metric)),
                epoch_series(&format!("val_{metric}"), &|e| e.val_metric),
            ],
            markers: vec![],
            y_range: None,
            x_integer: true,
        },
    ];
    // train and validation keep one colour each in both panels (the palette's first two); the
    // mini-batch losses are a faint line of the training colour
    let train = Style {
        colour: 0,
        faint: false,
    };
    let validation = Style {
        colour: 1,
        faint: false,
    };
    let mini_batch = Style {
        colour: 0,
        faint: true,
    };
    let styles = [vec![mini_batch, train, validation], vec![train, validation]];
    crate::report::plot::render_svg_styled(&panels, &styles, 900, 340)
}

/// The LR (and momentum, when it moves) per step.
pub fn lr_svg(history: &History) -> anyhow::Result<String> {
    let lr = Series {
        label: "lr".into(),
        points: history
            .steps
            .iter()
            .map(|s| (s.step as f64, s.lr))
            .collect(),
    };
    let mut panels = vec![Panel {
        title: "Learning rate".into(),
        x_label: "step".into(),
        y_label: "lr".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        series: vec![lr],
        markers: vec![],
        y_range: None,
        x_integer: true,
    }];
    let first = history.steps.first().map(|s| s.momentum);
    if history.steps.iter().any(|s| Some(s.momentum) != first) {
        panels.push(Panel {
            title: "Momentum".into(),
            x_label: "step".into(),
            y_label: "momentum / β1".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: vec![Series {
                label: "momentum".into(),
                points: history
                    .steps
                    .iter()
                    .map(|s| (s.step as f64, s.momentum))
                    .collect(),
            }],
            markers: vec![],
            y_range: None,
            x_integer: true,
        });
    }
    crate::report::plot::render_svg(&panels, 900, 300)
}

/// The `note` of every `timing.json`.
pub const TIMING_NOTE: &str = "wall-clock measurements: this file and the train_s and samples_per_s of summary.json are the only output that differs between two runs of the same command and seed";

/// The run's output folder: `--out` as given (replacing an earlier lrtool run there, as always),
/// or without `--out` the first free default folder (`runs/train`, `runs/train-2`, …), which is
/// named on stderr as soon as it is taken (not with `--quiet`), so an interrupted or failed run
/// can be found too.
pub fn out_dir(cfg: &OutputConfig, command: &str, layout: Layout) -> anyhow::Result<OutDir> {
    open_out(
        &cfg.out,
        cfg.numbered,
        cfg.force,
        cfg.quiet,
        command,
        layout,
    )
}

/// [`out_dir`] from its parts: `out` is `--out` or, when `numbered`, the default folder's base.
pub fn open_out(
    out: &Path,
    numbered: bool,
    force: bool,
    quiet: bool,
    command: &str,
    layout: Layout,
) -> anyhow::Result<OutDir> {
    if !numbered {
        return OutDir::prepare(out, force, command, layout);
    }
    let out = OutDir::prepare_numbered(out, command, layout)?;
    if !quiet {
        crate::error::eprint_line(&format!(
            "lrtool {command}: run folder: {}",
            out.path().display()
        ));
    }
    Ok(out)
}

/// What `--json` prints: the run's summary with the folder the run wrote as `"folder"` (not in
/// summary.json itself, which is the same whatever folder the run went to).
pub fn json_with_folder(summary: &Value, folder: &Path) -> String {
    let mut v = summary.clone();
    if let Value::Object(m) = &mut v {
        m.insert("folder".into(), Value::from(folder.display().to_string()));
    }
    json_text(&v)
}

/// Pretty JSON text of `v`, ending in a newline.
pub fn json_text(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON");
    s.push('\n');
    s
}

/// Write to stdout, treating a closed pipe (`| head`) as the end rather than a failure.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A number for people: 4 significant digits, or "–" when missing (owned by the report).
pub use crate::report::format::fmt_num;

/// `result.end` of summary.json: how a training run ended.
pub fn end_status(end: &crate::train::End) -> EndStatus {
    use crate::train::End;
    match end {
        End::Completed => EndStatus::Completed,
        End::Stopped { reason } => EndStatus::Stopped {
            reason: reason.clone(),
        },
        End::NonFinite { step, lr, loss } => EndStatus::Diverged {
            loss: loss.to_string(),
            lr: *lr,
            step: *step,
        },
        End::Interrupted => EndStatus::Interrupted,
    }
}

/// A task's metric under its key: `(val_acc, val_r2)` with the other task's key absent.
pub fn metric_keys(task: Task, value: f64) -> (Present<f64>, Present<f64>) {
    match task {
        Task::Classify => (Some(Some(value)), None),
        Task::Regress => (None, Some(Some(value))),
    }
}

//! Pieces every training command shares: the prepared run (data, splits, model), summary facts,
//! the weights metadata, the step history and the loss-curve plot.

use std::io::Write;

use serde_json::{Map, Value, json};

use crate::config::{DataConfig, ModelConfig, RunConfig, RunSpec};
use crate::data::{self, Dataset, Splits, Target, Task};
use crate::nn::Mlp;
use crate::report::plot::{Panel, Scale, Series};
use crate::report::records::{
    self, DataSettings, DatasetFacts, EndStatus, ModelFacts, ModelSettings, Present, RunSettings,
    Standardization,
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

/// Load the dataset, split and standardise it, build (or load) the model, and count the run's
/// steps.
pub fn prepare(spec: &RunSpec) -> anyhow::Result<Prepared> {
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
    let model = model.build(dataset.n_features(), outputs, seed)?;
    let steps_per_epoch =
        data::Batcher::new(&splits.train, run.batch_size, data.shuffle, seed).steps_per_epoch();
    let total_steps = (steps_per_epoch * run.epochs) as u64;
    Ok(Prepared {
        dataset,
        splits,
        model,
        steps_per_epoch,
        total_steps,
    })
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
        Task::Classify => format!("{} classes", ds.n_classes()),
        Task::Regress => "regression".into(),
    };
    let sizes: Vec<String> = model.sizes().iter().map(usize::to_string).collect();
    format!(
        "{} ({} rows × {} features, {kind}; {} train / {} val), MLP {} {}",
        ds.name,
        ds.n_samples(),
        ds.n_features(),
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
        labels: c.labels.as_ref().map(|p| p.to_string_lossy().into_owned()),
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

/// Keeps every step report (capacity reserved up front) for plots and summaries.
pub struct History {
    pub steps: Vec<StepReport>,
    pub epochs: Vec<EpochReport>,
}

impl History {
    pub fn with_capacity(steps: usize) -> History {
        History {
            steps: Vec::with_capacity(steps),
            epochs: Vec::new(),
        }
    }
}

impl Observer for History {
    fn on_step(&mut self, r: &StepReport, _m: &Mlp) -> anyhow::Result<Control> {
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
        },
    ];
    crate::report::plot::render_svg(&panels, 900, 340)
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
        });
    }
    crate::report::plot::render_svg(&panels, 900, 300)
}

/// The `note` of every `timing.json`.
pub const TIMING_NOTE: &str = "wall-clock measurements: this file and the train_s and samples_per_s of summary.json are the only output that differs between two runs of the same command and seed";

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

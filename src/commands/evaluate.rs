//! `lrtool evaluate`: the loss and accuracy (R²) of saved models — each alone and, given several,
//! their ensemble (uniform average of probabilities) — on a split of a dataset drawn again from
//! the training run's `--seed`, `--val-split` and `--no-shuffle`. Also the loading of saved
//! models with their metadata, shared with `lrtool predict`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::cli::evaluate::{EvaluateArgs, SplitChoice};
use crate::commands::common::{fmt_num, json_text, metric_name, print_stdout};
use crate::config::DataConfig;
use crate::data::csv::Encoding;
use crate::data::csv::encode::describe_counts;
use crate::data::{self, Dataset, Standardizer, Target, Task};
use crate::ensemble::{self, Metrics, Predictions};
use crate::input_bail;
use crate::limits::memory::Estimate;
use crate::nn::{Activation, Mlp};

/// A model read from a weights file, with what its metadata says about its inputs and outputs.
#[derive(Debug, Clone)]
pub struct SavedModel {
    pub path: PathBuf,
    pub model: Mlp,
    pub task: Task,
    pub class_names: Option<Vec<String>>,
    pub feature_names: Option<Vec<String>>,
    /// The training split's statistics the model was trained with (absent in foreign files).
    pub standardizer: Option<Standardizer>,
    /// The flag that named the file, for messages (`--model`, `--from`, …).
    pub flag: &'static str,
    /// How the training file's CSV columns became the inputs (metadata "input_columns"; absent
    /// for built-in and synthetic data and in foreign files).
    pub columns: Option<Encoding>,
}

impl SavedModel {
    pub fn shown(&self) -> String {
        format!("{} {}", self.flag, self.path.display())
    }

    /// `x` standardised as the model's training data was (a copy; `fallback` when the file holds
    /// no statistics).
    pub fn inputs(
        &self,
        x: &ndarray::Array2<f32>,
        fallback: Option<&Standardizer>,
    ) -> ndarray::Array2<f32> {
        let mut x = x.clone();
        if let Some(s) = self.standardizer.as_ref().or(fallback) {
            s.apply(&mut x);
        }
        x
    }

    /// This model's predictions for raw (unstandardised) rows.
    pub fn predict(
        &self,
        raw: &ndarray::Array2<f32>,
        fallback: Option<&Standardizer>,
    ) -> anyhow::Result<Predictions> {
        let x = self.inputs(raw, fallback);
        ensemble::predict(&self.model, x.view(), self.task == Task::Classify)
    }
}

/// Read a weights file and its metadata; every problem is an input error naming `--model PATH`.
pub fn load_model(path: &Path) -> anyhow::Result<SavedModel> {
    load_model_as(path, "--model")
}

/// [`load_model`] for a file given with `flag`, which the messages name.
pub fn load_model_as(path: &Path, flag: &'static str) -> anyhow::Result<SavedModel> {
    let loaded = crate::weights::load(path, flag, Activation::Relu)?;
    let shown = format!("{flag} {}", path.display());
    let meta = &loaded.metadata;
    let model = loaded.model;
    let task = match meta.get("task").and_then(Value::as_str) {
        Some("classify") => Task::Classify,
        Some("regress") => Task::Regress,
        Some(other) => input_bail!("{shown}: unknown task \"{other}\" in the metadata"),
        None if model.n_outputs() == 1 => Task::Regress,
        None => Task::Classify,
    };
    if task == Task::Regress && model.n_outputs() != 1 {
        input_bail!(
            "{shown}: a regression model must have one output, this one has {}",
            model.n_outputs()
        );
    }
    let class_names = list::<String>(meta, "class_names", &shown)?;
    if let Some(names) = &class_names
        && names.len() != model.n_outputs()
    {
        input_bail!(
            "{shown}: the metadata names {} but the model has {}",
            crate::words::count(names.len(), "class"),
            crate::words::count(model.n_outputs(), "output")
        );
    }
    let feature_names = list::<String>(meta, "feature_names", &shown)?;
    if let Some(names) = &feature_names
        && names.len() != model.n_inputs()
    {
        input_bail!(
            "{shown}: the metadata names {} but the model takes {}",
            crate::words::count(names.len(), "feature"),
            crate::words::count(model.n_inputs(), "input")
        );
    }
    let mean = list::<f64>(meta, "feature_mean", &shown)?;
    let std = list::<f64>(meta, "feature_std", &shown)?;
    let standardizer = match (mean, std) {
        (Some(mean), Some(std)) => {
            if mean.len() != model.n_inputs() || std.len() != model.n_inputs() {
                input_bail!(
                    "{shown}: the metadata holds {} feature means and {} deviations for a model of {} inputs",
                    mean.len(),
                    std.len(),
                    model.n_inputs()
                );
            }
            if std.iter().any(|&s| !(s.is_finite() && s > 0.0))
                || mean.iter().any(|m| !m.is_finite())
            {
                input_bail!(
                    "{shown}: the metadata's feature_mean or feature_std is not finite and positive"
                );
            }
            Some(Standardizer { mean, std })
        }
        (None, None) => None,
        _ => input_bail!("{shown}: the metadata has only one of feature_mean and feature_std"),
    };
    let columns = match meta.get("input_columns") {
        None => None,
        Some(value) => {
            let enc: Encoding =
                serde_json::from_str(value.as_str().unwrap_or_default()).map_err(|e| {
                    crate::input_err!("{shown}: metadata \"input_columns\" is not valid ({e})")
                })?;
            if enc.width() != model.n_inputs() {
                input_bail!(
                    "{shown}: the metadata's input_columns make {} inputs but the model takes {}",
                    enc.width(),
                    model.n_inputs()
                );
            }
            Some(enc)
        }
    };
    Ok(SavedModel {
        path: path.to_path_buf(),
        model,
        task,
        class_names,
        feature_names,
        standardizer,
        flag,
        columns,
    })
}

/// "--model FILE was trained on the CSV columns …": what a file read with a model's encoding
/// must hold, for messages about a file that does not.
pub fn trained_on(model: &SavedModel, enc: &Encoding) -> String {
    format!(
        "{} was trained to predict \"{}\" from the CSV columns {}",
        model.shown(),
        crate::limits::cut(&enc.target, crate::limits::ECHO_CHARS),
        crate::limits::list(enc.columns.iter().map(|c| format!("\"{}\"", c.name)))
    )
}

/// A metadata value holding a JSON list (as lrtool writes them), or `None` when absent.
fn list<T: serde::de::DeserializeOwned>(
    meta: &Map<String, Value>,
    key: &str,
    shown: &str,
) -> anyhow::Result<Option<Vec<T>>> {
    let Some(value) = meta.get(key) else {
        return Ok(None);
    };
    let text = value.as_str().unwrap_or_default();
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| crate::input_err!("{shown}: metadata \"{key}\" is not a valid list ({e})"))
}

/// Refuse, before any weights are read, `--model` files whose headers claim more memory than
/// the limit: every model stays loaded, and the file being read is held beside its decoded copy.
fn check_models_memory(paths: &[PathBuf]) -> anyhow::Result<()> {
    let mut estimate = Estimate::new();
    let mut largest: Option<(&PathBuf, u64)> = None;
    let mut total = 0u128;
    for p in paths {
        let claimed = crate::weights::claimed(p, "--model")?;
        total += u128::from(claimed.data_bytes);
        if largest.is_none_or(|(_, b)| claimed.data_bytes > b) {
            largest = Some((p, claimed.data_bytes));
        }
    }
    let Some((path, bytes)) = largest else {
        return Ok(());
    };
    estimate.add("the models' weights", total);
    estimate.add("the file being read", u128::from(bytes));
    let what = if paths.len() == 1 {
        format!("--model {}", path.display())
    } else {
        format!(
            "the {} --model files (the largest --model {}, {})",
            paths.len(),
            path.display(),
            crate::limits::memory::show_big(u128::from(bytes))
        )
    };
    estimate.check_with(
        &what,
        "give fewer or smaller --model files, or raise the limit with --max-memory-mb",
    )
}

/// The memory of predicting `rows` rows with every model of `models` (each model's predictions
/// kept, in f64, and their average; one standardised copy of the inputs at a time; one forward
/// pass's buffers), beside the models themselves and `data_values` values of data (f32).
pub fn prediction_estimate(models: &[SavedModel], rows: usize, data_values: u128) -> Estimate {
    let rows = rows as u128;
    let mut e = Estimate::new();
    let weights: u128 = models
        .iter()
        .map(|m| crate::limits::memory::model_bytes(&m.model.sizes()))
        .sum();
    e.add("the models' weights", weights);
    e.add("the data", data_values * 4);
    if let Some(first) = models.first() {
        let outputs = first.model.n_outputs() as u128;
        let inputs = first.model.n_inputs() as u128;
        e.add(
            "predictions",
            rows * outputs * 8 * (models.len() as u128 + 1),
        );
        e.add("standardised inputs", rows * inputs * 4);
    }
    let workspace = models
        .iter()
        .map(|m| {
            crate::limits::memory::workspace_bytes(
                &m.model.sizes(),
                crate::ensemble::CHUNK_ROWS.min(rows.max(1) as usize),
            )
        })
        .max()
        .unwrap_or(0);
    e.add("forward buffers", workspace);
    e
}

/// The models of a `--model` list, loaded in order; the later ones must have the first one's
/// inputs and outputs.
pub fn load_models(paths: &[PathBuf]) -> anyhow::Result<Vec<SavedModel>> {
    check_models_memory(paths)?;
    let models = paths
        .iter()
        .map(|p| load_model(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some((first, rest)) = models.split_first() {
        for m in rest {
            let (a, b) = (&first.model, &m.model);
            if a.n_inputs() != b.n_inputs()
                || a.n_outputs() != b.n_outputs()
                || first.task != m.task
            {
                input_bail!(
                    "{}: takes {} inputs and gives {} outputs ({}), unlike {} ({} inputs, {} outputs, {}); an ensemble needs models of one kind",
                    m.shown(),
                    b.n_inputs(),
                    b.n_outputs(),
                    task_word(m.task),
                    first.shown(),
                    a.n_inputs(),
                    a.n_outputs(),
                    task_word(first.task)
                );
            }
            if m.class_names.is_some()
                && first.class_names.is_some()
                && m.class_names != first.class_names
            {
                input_bail!(
                    "{}: its classes differ from those of {} (in names or order)",
                    m.shown(),
                    first.shown()
                );
            }
            if m.columns != first.columns {
                input_bail!(
                    "{}: reads the CSV columns differently from {} (columns, categories or \
                     --missing); an ensemble needs models trained on one encoding",
                    m.shown(),
                    first.shown()
                );
            }
            if m.feature_names.is_some()
                && first.feature_names.is_some()
                && m.feature_names != first.feature_names
            {
                input_bail!(
                    "{}: its feature names differ from those of {}",
                    m.shown(),
                    first.shown()
                );
            }
        }
    }
    Ok(models)
}

fn task_word(task: Task) -> &'static str {
    match task {
        Task::Classify => "classification",
        Task::Regress => "regression",
    }
}

/// The model must fit the dataset: inputs, outputs, task, class and feature names.
pub fn check_fits(m: &SavedModel, ds: &Dataset) -> anyhow::Result<()> {
    let shown = m.shown();
    let name = &ds.name;
    if m.model.n_inputs() != ds.n_features() {
        input_bail!(
            "{shown}: the model takes {} but --dataset {name} has {}",
            crate::words::count(m.model.n_inputs(), "feature"),
            ds.n_features()
        );
    }
    if m.task != ds.task() {
        input_bail!(
            "{shown}: a {} model, but --dataset {name} is a {} dataset",
            task_word(m.task),
            task_word(ds.task())
        );
    }
    if let Target::Classes { names, .. } = &ds.y {
        if m.model.n_outputs() != names.len() {
            input_bail!(
                "{shown}: the model has {} but --dataset {name} has {}",
                crate::words::count(m.model.n_outputs(), "output"),
                crate::words::count(names.len(), "class")
            );
        }
        if let Some(model_names) = &m.class_names
            && model_names != names
        {
            input_bail!(
                "{shown}: the model's classes ({}) are not --dataset {name}'s ({})",
                short_list(model_names),
                short_list(names)
            );
        }
    }
    if let Some(model_names) = &m.feature_names
        && let Some(i) = model_names
            .iter()
            .zip(&ds.feature_names)
            .position(|(a, b)| a != b)
    {
        input_bail!(
            "{shown}: feature {} is \"{}\" for the model but \"{}\" in --dataset {name}",
            i + 1,
            model_names[i],
            ds.feature_names[i]
        );
    }
    Ok(())
}

fn short_list(names: &[String]) -> String {
    let mut text = names
        .iter()
        .take(6)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 6 {
        text.push_str(", …");
    }
    text
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let data_cfg = DataConfig::from_args(&args.data)?;
    let models = load_models(&args.models)?;
    let fixed = models[0].columns.as_ref();
    let mut spec = data_cfg.spec(args.seed);
    if let Some(enc) = fixed {
        // the model's own encoding reads the file: the columns are not chosen again
        let given = [
            ("--features", spec.features.is_some()),
            ("--drop", spec.drop.is_some()),
            ("--missing", spec.missing.is_some()),
            ("--max-categories", spec.max_categories.is_some()),
        ];
        if let Some((flag, _)) = given.iter().find(|(_, g)| *g) {
            input_bail!(
                "{flag}: {} holds the columns it was trained on and how they are encoded \
                 (--missing {} included); leave {flag} out",
                models[0].shown(),
                enc.missing.name()
            );
        }
        // (the target defaults to the model's own for a CSV file)
        spec.fixed = Some(enc);
        spec.split = None;
    }
    let dataset = data::source::load(&spec).map_err(|e| match fixed {
        // the file is read with the model's columns: say whose they are
        Some(enc) if crate::error::is_input_error(&e) => {
            crate::input_err!("{e:#}; {}", trained_on(&models[0], enc))
        }
        _ => e,
    })?;
    for m in &models {
        check_fits(m, &dataset)?;
    }
    let (train_rows, val_rows) =
        data::split_rows(&dataset, data_cfg.val_split, data_cfg.shuffle, args.seed)?;
    let rows: Vec<usize> = match args.split {
        SplitChoice::Val => val_rows,
        SplitChoice::Train => train_rows.clone(),
        SplitChoice::All => (0..dataset.n_samples()).collect(),
    };
    if rows.is_empty() {
        input_bail!(
            "--split val: the validation split is empty (--val-split {}); use --split train or all",
            data_cfg.val_split
        );
    }
    // the scored rows are copied out of the data, and a model without statistics needs the train
    // split's (a copy) to standardise with
    let mut estimate = prediction_estimate(
        &models,
        rows.len(),
        (dataset.n_samples() as u128 + rows.len() as u128) * (dataset.n_features() as u128 + 1),
    );
    if models.iter().any(|m| m.standardizer.is_none()) {
        estimate.add(
            "the train split",
            train_rows.len() as u128 * dataset.n_features() as u128 * 4,
        );
    }
    estimate.check_with(
        &format!(
            "evaluating {} on {} rows of --dataset {}",
            if models.len() == 1 {
                models[0].shown()
            } else {
                format!("{} --model files", models.len())
            },
            rows.len(),
            dataset.name
        ),
        "use --split val, fewer --model files or a smaller --dataset, or raise the limit with --max-memory-mb",
    )?;
    let part = data::select_rows(&dataset, &rows);
    // cells of the scored rows whose category the model never saw (encoded as all zeros)
    let unseen: Vec<(String, usize)> = match (&dataset.encoding, fixed) {
        (Some(e), Some(enc)) => {
            let chosen: std::collections::HashSet<usize> = rows.iter().copied().collect();
            enc.unseen_counts(e.unseen.iter().filter(|(i, _)| chosen.contains(i)))
        }
        _ => Vec::new(),
    };
    if !unseen.is_empty() {
        eprintln!(
            "lrtool evaluate: {} hold categories the model never saw; encoded as all zeros",
            describe_counts(&unseen)
        );
    }
    // models without stored statistics are standardised as training would: with the train split's
    let fallback = models
        .iter()
        .any(|m| m.standardizer.is_none())
        .then(|| Standardizer::fit(data::select_rows(&dataset, &train_rows).x.view()));
    let mut predictions = Vec::with_capacity(models.len());
    let mut results: Vec<Metrics> = Vec::with_capacity(models.len());
    for m in &models {
        let p = m.predict(&part.x, fallback.as_ref())?;
        results.push(ensemble::metrics(&p, part.targets())?);
        predictions.push(p);
    }
    let ens = if models.len() > 1 {
        let refs: Vec<&Predictions> = predictions.iter().collect();
        Some(ensemble::metrics(
            &ensemble::average(&refs)?,
            part.targets(),
        )?)
    } else {
        None
    };

    let task = dataset.task();
    let metric = metric_name(task);
    if args.json {
        let v = json!({
            "dataset": dataset.name,
            "task": task,
            "split": args.split,
            "rows": part.len(),
            "seed": args.seed,
            "val_split": data_cfg.val_split,
            "shuffle": data_cfg.shuffle,
            "models": models.iter().zip(&results).map(|(m, r)| json!({
                "file": m.path.display().to_string(),
                "loss": r.loss,
                metric: r.metric,
                "stored_standardization": m.standardizer.is_some(),
            })).collect::<Vec<_>>(),
            "unseen_categories": fixed.map(|_| unseen
                .iter()
                .map(|(c, n)| (c.clone(), json!(n)))
                .collect::<Map<String, Value>>()),
            "ensemble": ens.map(|e| json!({
                "members": models.len(),
                "loss": e.loss,
                metric: e.metric,
            })),
        });
        return print_stdout(&json_text(&v));
    }
    let width = models
        .iter()
        .map(|m| m.path.display().to_string().chars().count())
        .max()
        .unwrap_or(0)
        .max(if models.len() > 1 { 40 } else { 20 });
    let loss_name = match task {
        Task::Classify => "loss (cross-entropy)",
        Task::Regress => "loss (MSE)",
    };
    let mut text = format!(
        "lrtool evaluate: {}, split {} ({}; --seed {}, --val-split {}{})\n{:<width$}  {:>20}  {:>8}\n",
        dataset.name,
        args.split.name(),
        crate::words::count(part.len(), "row"),
        args.seed,
        data_cfg.val_split,
        if data_cfg.shuffle {
            ""
        } else {
            ", --no-shuffle"
        },
        "model",
        loss_name,
        metric,
    );
    for (m, r) in models.iter().zip(&results) {
        text.push_str(&format!(
            "{:<width$}  {:>20}  {:>8}\n",
            m.path.display().to_string(),
            fmt_num(Some(r.loss)),
            fmt_num(Some(r.metric))
        ));
    }
    if let Some(e) = ens {
        text.push_str(&format!(
            "{:<width$}  {:>20}  {:>8}\n",
            format!(
                "ensemble of {} (mean of {})",
                models.len(),
                if task == Task::Classify {
                    "probabilities"
                } else {
                    "predictions"
                }
            ),
            fmt_num(Some(e.loss)),
            fmt_num(Some(e.metric))
        ));
    }
    if fallback.is_some() {
        text.push_str(
            "note: a model without stored feature statistics was given inputs standardised with this training split's\n",
        );
    }
    print_stdout(&text)
}

//! Shared pieces of the report pages: numbers and values as text, and the dataset, model,
//! optimizer, schedule and end-of-run lines.

use std::fmt::Write as _;

use serde_json::Value;

use super::Page;
use crate::report::format::{fmt_num, shell_word};
use crate::report::records::{
    DataSettings, DatasetFacts, EndStatus, ModelFacts, ModelSettings, RunSettings, Task,
};

/// A JSON number for people (4 significant digits), "–" when absent.
pub(super) fn num(v: &Value) -> String {
    fmt_num(v.as_f64())
}

/// A learning rate: 3 significant digits in scientific notation.
pub(super) fn lr(v: &Value) -> String {
    v.as_f64().map_or("–".into(), |x| format!("{x:.2e}"))
}

/// A configured value as given: shortest form, scientific when tiny or huge.
pub(super) fn plain(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A JSON scalar as text ("–" for null).
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => num(v),
        },
        other => other.to_string(),
    }
}

/// `name: key value, …` for a JSON object such as a schedule or optimizer configuration.
pub(super) fn object_line(v: &Value, skip: &[&str]) -> String {
    let Some(map) = v.as_object() else {
        return text(v);
    };
    let name = map.get("name").and_then(Value::as_str).unwrap_or("");
    let rest: Vec<String> = map
        .iter()
        .filter(|(k, v)| k.as_str() != "name" && !skip.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| match v {
            Value::Number(_) if k.contains("lr") => format!("{k} {}", lr(v)),
            Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() != 0.0) => {
                format!("{k} {}", plain(n.as_f64().unwrap_or(0.0)))
            }
            Value::Number(n) if n.as_f64() == Some(0.0) => format!("{k} 0"),
            Value::Array(a) => format!("{k} {}", a.iter().map(text).collect::<Vec<_>>().join(",")),
            Value::Object(_) => format!("{k} ({})", object_line(v, &[])),
            _ => format!("{k} {}", text(v)),
        })
        .collect();
    match (name.is_empty(), rest.is_empty()) {
        (true, _) => rest.join(", "),
        (false, true) => name.to_string(),
        (false, false) => format!("{name}: {}", rest.join(", ")),
    }
}

pub(super) fn model_line(m: &ModelFacts) -> String {
    let sizes: Vec<String> = m.sizes.iter().map(u64::to_string).collect();
    format!(
        "MLP {} {} ({} parameters)",
        sizes.join("-"),
        m.activation,
        m.parameters
    )
}

pub(super) fn dataset_line(d: &DatasetFacts) -> String {
    let kind = match d.task {
        Task::Regress => "regression".to_string(),
        Task::Classify => crate::words::count(d.classes, "class"),
    };
    format!(
        "{} ({} × {}, {kind}; {} train / {} validation)",
        d.name,
        crate::words::count(d.samples, "row"),
        crate::words::count(d.features, "feature"),
        d.train_rows,
        d.val_rows
    )
}

/// Dataset, model and optimizer rows shared by the training commands.
pub(super) fn run_facts(
    dataset: &DatasetFacts,
    model: &ModelFacts,
    optimizer: &Value,
) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("dataset", dataset_line(dataset)),
        ("model", model_line(model)),
        ("optimizer", object_line(optimizer, &["decoupled"])),
    ];
    if let Some(from) = &model.init_from {
        rows.push(("initial weights", from.clone()));
    }
    rows
}

/// What train and snapshot-ensemble share: the run's facts, schedule, length and end.
pub(super) struct Training<'a> {
    pub dataset: &'a DatasetFacts,
    pub model: &'a ModelFacts,
    pub optimizer: &'a Value,
    pub schedule: &'a Value,
    pub run: &'a RunSettings,
    pub steps_per_epoch: u64,
    pub end: &'a EndStatus,
}

/// `run_facts` plus the schedule, the length of training and how it ended (train and
/// snapshot-ensemble).
pub(super) fn training_facts(t: &Training) -> Vec<(&'static str, String)> {
    let mut facts = run_facts(t.dataset, t.model, t.optimizer);
    facts.push(("schedule", object_line(t.schedule, &[])));
    facts.push((
        "training",
        format!(
            "{} × {} of {}, seed {}",
            crate::words::count(t.run.epochs, "epoch"),
            crate::words::count(t.steps_per_epoch, "step"),
            crate::words::count(t.run.batch_size, "row"),
            t.run.seed
        ),
    ));
    facts.push(("end", end_status(t.end)));
    facts
}

/// The command line when the summary keeps it, else the one rebuilt from the configuration.
pub(super) fn command_line(kept: Option<&str>, rebuilt: String) -> String {
    kept.map(|c| {
        // the program as invoked may be a path (target/release/lrtool)
        match c.split_once(' ') {
            Some((prog, rest)) if prog.ends_with("lrtool") => format!("lrtool {rest}"),
            _ => c.to_string(),
        }
    })
    .unwrap_or(rebuilt)
}

/// `--dataset … --optimizer …` and the model flags that differ from the defaults. The optimizer
/// configuration stays a JSON object (its keys belong to the optimizer family).
pub(super) fn base_flags(data: &DataSettings, model: &ModelSettings, optimizer: &Value) -> String {
    let mut f = format!(
        "--dataset {} --optimizer {}",
        data.dataset,
        optimizer["name"].as_str().unwrap_or("adam")
    );
    if let Some(labels) = &data.labels {
        let _ = write!(f, " --labels {}", shell_word(labels));
    }
    if let Some(target) = &data.target {
        let _ = write!(f, " --target {}", shell_word(target));
    }
    for (flag, value) in [("--features", &data.features), ("--drop", &data.drop)] {
        if let Some(v) = value {
            let _ = write!(f, " {flag} {}", shell_word(v));
        }
    }
    if let Some(m) = &data.missing {
        let _ = write!(f, " --missing {m}");
    }
    if let Some(n) = data.max_categories {
        let _ = write!(f, " --max-categories {n}");
    }
    if model.hidden != [128, 64] {
        let h: Vec<String> = model.hidden.iter().map(u64::to_string).collect();
        let _ = write!(f, " --hidden {}", h.join(","));
    }
    if model.activation != "relu" {
        let _ = write!(f, " --activation {}", model.activation);
    }
    if let Some(m) = optimizer["momentum"].as_f64()
        && m != 0.0
    {
        let _ = write!(f, " --momentum {m}");
    }
    f
}

/// A learning rate: 3 significant digits in scientific notation, "–" when absent.
pub(super) fn lr_of(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{x:.2e}"))
}

/// A number for people (4 significant digits), as [`text`] shows a JSON float.
pub(super) fn float(x: f64) -> String {
    fmt_num(Some(x))
}

/// A flag as [`text`] shows a JSON boolean.
pub(super) fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// An optional number with a fixed count of decimals, "–" when absent.
pub(super) fn fixed(x: Option<f64>, decimals: usize) -> String {
    x.map_or("–".into(), |d| format!("{d:.decimals$}"))
}

pub(super) fn end_status(end: &EndStatus) -> String {
    match end {
        EndStatus::Diverged { loss, lr, step } => {
            format!("diverged at step {step} (lr {lr:.2e}, loss {loss})")
        }
        EndStatus::Stopped { reason } => format!("stopped: {reason}"),
        other => other.name().to_string(),
    }
}

pub(super) fn short(x: f64) -> String {
    format!("{x:.3e}")
}

pub(super) fn next(page: &mut Page, lines: &[String]) {
    page.h2("Next commands to try");
    page.commands(lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_lines_read_well() {
        let v = serde_json::json!({"name": "sgdr", "lr": 0.05, "t0": 2, "min_lr": null});
        assert_eq!(object_line(&v, &[]), "sgdr: lr 5.00e-2, t0 2");
    }
}

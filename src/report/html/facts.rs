//! Shared pieces of the report pages: numbers and values as text, and the dataset, model,
//! optimizer, schedule and end-of-run lines.

use std::fmt::Write as _;

use serde_json::Value;

use super::Page;
use crate::report::format::fmt_num;

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

pub(super) fn model_line(s: &Value) -> String {
    let sizes = s["model"]["sizes"]
        .as_array()
        .map(|a| a.iter().map(text).collect::<Vec<_>>().join("-"))
        .unwrap_or_default();
    format!(
        "MLP {sizes} {} ({} parameters)",
        s["model"]["activation"].as_str().unwrap_or(""),
        text(&s["model"]["parameters"])
    )
}

pub(super) fn dataset_line(s: &Value) -> String {
    let d = &s["dataset"];
    let kind = match d["task"].as_str() {
        Some("regress") => "regression".to_string(),
        _ => format!("{} classes", text(&d["classes"])),
    };
    format!(
        "{} ({} rows × {} features, {kind}; {} train / {} validation)",
        d["name"].as_str().unwrap_or("?"),
        text(&d["samples"]),
        text(&d["features"]),
        text(&d["train_rows"]),
        text(&d["val_rows"])
    )
}

/// "acc" or "r2", from the dataset's task.
pub(super) fn metric(s: &Value) -> &'static str {
    match s["dataset"]["task"].as_str() {
        Some("regress") => "r2",
        _ => "acc",
    }
}

/// Dataset, model and optimizer rows shared by the training commands.
pub(super) fn run_facts(s: &Value) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("dataset", dataset_line(s)),
        ("model", model_line(s)),
        (
            "optimizer",
            object_line(&s["config"]["optimizer"], &["decoupled"]),
        ),
    ];
    if let Some(from) = s["model"]["init_from"].as_str() {
        rows.push(("initial weights", from.to_string()));
    }
    rows
}

/// `run_facts` plus the schedule, the length of training and how it ended (train and
/// snapshot-ensemble).
pub(super) fn training_facts(s: &Value) -> Vec<(&'static str, String)> {
    let run = &s["config"]["run"];
    let mut facts = run_facts(s);
    facts.push(("schedule", object_line(&s["config"]["schedule"], &[])));
    facts.push((
        "training",
        format!(
            "{} epochs × {} steps of {} rows, seed {}",
            text(&run["epochs"]),
            text(&s["steps_per_epoch"]),
            text(&run["batch_size"]),
            text(&run["seed"])
        ),
    ));
    facts.push(("end", end_status(&s["result"]["end"])));
    facts
}

/// The command line when the summary keeps it, else the one rebuilt from the configuration.
pub(super) fn command_line(s: &Value, rebuilt: String) -> String {
    s["command_line"]
        .as_str()
        .map(|c| {
            // the program as invoked may be a path (target/release/lrtool)
            match c.split_once(' ') {
                Some((prog, rest)) if prog.ends_with("lrtool") => format!("lrtool {rest}"),
                _ => c.to_string(),
            }
        })
        .unwrap_or(rebuilt)
}

/// `--dataset … --optimizer …` and the model flags that differ from the defaults.
pub(super) fn base_flags(s: &Value) -> String {
    let c = &s["config"];
    let mut f = format!(
        "--dataset {} --optimizer {}",
        c["data"]["dataset"].as_str().unwrap_or("digits"),
        c["optimizer"]["name"].as_str().unwrap_or("adam")
    );
    if let Some(h) = c["model"]["hidden"].as_array() {
        let h: Vec<String> = h.iter().map(text).collect();
        if h != ["128", "64"] {
            let _ = write!(f, " --hidden {}", h.join(","));
        }
    }
    if let Some(a) = c["model"]["activation"].as_str()
        && a != "relu"
    {
        let _ = write!(f, " --activation {a}");
    }
    if let Some(m) = c["optimizer"]["momentum"].as_f64()
        && m != 0.0
    {
        let _ = write!(f, " --momentum {m}");
    }
    f
}

pub(super) fn end_status(end: &Value) -> String {
    match end["status"].as_str() {
        Some("diverged") => format!(
            "diverged at step {} (lr {}, loss {})",
            text(&end["step"]),
            lr(&end["lr"]),
            text(&end["loss"])
        ),
        Some("stopped") => format!("stopped: {}", text(&end["reason"])),
        Some(s) => s.to_string(),
        None => "–".into(),
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

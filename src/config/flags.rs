//! Flag texts rendered from typed configs (find-lr's next commands, a sequence's command-line
//! form) and the nearest-name hint of the messages.

use super::*;

/// The `train` flags that give these data, model and optimizer settings: `--dataset` and
/// `--optimizer` always, every other flag only where its value is not the default, each as
/// `--name value` with the value quoted for a shell. `lrtool train` with these flags builds the
/// same configs (the round trip is tested), so a suggested command trains what was swept.
pub fn train_flags(data: &DataConfig, model: &ModelConfig, optim: &OptimConfig) -> Vec<String> {
    use crate::report::format::shell_word;
    let mut out = vec![format!("--dataset {}", shell_word(&data.dataset))];
    let mut flag = |name: &str, value: String| out.push(format!("--{name} {}", shell_word(&value)));
    if let Some(p) = &data.labels {
        flag("labels", p.display().to_string());
    }
    if let Some(t) = &data.target {
        flag("target", t.clone());
    }
    if let Some(t) = data.task {
        flag("task", serde_name(&t));
    }
    if let Some(l) = &data.features {
        flag("features", l.text());
    }
    if let Some(l) = &data.drop {
        flag("drop", l.text());
    }
    if let Some(m) = data.missing {
        flag("missing", m.name().to_string());
    }
    if let Some(n) = data.max_categories {
        flag("max-categories", n.to_string());
    }
    if let Some(n) = data.samples {
        flag("samples", n.to_string());
    }
    if let Some(n) = data.noise {
        flag("noise", n.to_string());
    }
    if data.val_split != DEFAULT_VAL_SPLIT {
        flag("val-split", data.val_split.to_string());
    }
    if model.hidden != DEFAULT_HIDDEN {
        let widths: Vec<String> = model.hidden.iter().map(usize::to_string).collect();
        flag(
            "hidden",
            if widths.is_empty() {
                "0".into()
            } else {
                widths.join(",")
            },
        );
    }
    if model.activation != Activation::Relu {
        flag("activation", model.activation.name().to_string());
    }
    if model.init_scheme != InitScheme::Torch {
        flag("init-scheme", serde_name(&model.init_scheme));
    }
    if let Some(p) = &model.init {
        flag("init", p.display().to_string());
    }
    flag("optimizer", optim.name().to_string());
    let mut switches = Vec::new();
    match optim {
        OptimConfig::Sgd(c) => {
            for (name, v) in [
                ("momentum", c.momentum),
                ("dampening", c.dampening),
                ("weight-decay", c.weight_decay),
            ] {
                if v != 0.0 {
                    flag(name, v.to_string());
                }
            }
            if c.nesterov {
                switches.push("--nesterov");
            }
        }
        OptimConfig::Adam(c) | OptimConfig::Adamw(c) => {
            let d = AdamConfig::default();
            let default_wd = if c.decoupled { 1e-2 } else { 0.0 };
            for (name, v, default) in [
                ("beta1", c.beta1, d.beta1),
                ("beta2", c.beta2, d.beta2),
                ("eps", c.eps, d.eps),
                ("weight-decay", c.weight_decay, default_wd),
            ] {
                if v != default {
                    flag(name, v.to_string());
                }
            }
            if c.amsgrad {
                switches.push("--amsgrad");
            }
        }
    }
    if !data.shuffle {
        switches.push("--no-shuffle");
    }
    out.extend(switches.into_iter().map(String::from));
    out
}

pub use crate::data::DEFAULT_VAL_SPLIT;

/// `"sequence": [{"schedule": "linear", "start-factor": 0.1, "decay-steps": 5}, {"at": 5,
/// "schedule": "cosine"}]` in a config file → the `--sequence` text
/// `linear:start-factor=0.1:decay-steps=5 @5 cosine`: every entry names its `schedule`, every one
/// after the first says where it starts (`"at"` in steps or `"at-epoch"` in epochs), the other keys
/// are that schedule's flags (`true` for a switch, a list for `milestones`, written `30/80`).
pub fn sequence_text(items: &[Value], path: &str) -> anyhow::Result<String> {
    let mut words = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |what: &str| input_err!("{path}: \"sequence\" entry {}: {what}", i + 1);
        let Value::Object(entry) = item else {
            return Err(at(
                "must be an object like {\"schedule\": \"cosine\", \"at\": 100}",
            ));
        };
        let Some(Value::String(name)) = entry.get("schedule") else {
            return Err(at("needs \"schedule\": NAME"));
        };
        let start = match (entry.get("at"), entry.get("at-epoch")) {
            (Some(_), Some(_)) => return Err(at("give \"at\" or \"at-epoch\", not both")),
            (Some(Value::Number(n)), None) => Some(format!("@{n}")),
            (None, Some(Value::Number(n))) => Some(format!("@{n}e")),
            (Some(v), None) | (None, Some(v)) => {
                return Err(at(&format!(
                    "the milestone must be a whole number, not {v}"
                )));
            }
            (None, None) => None,
        };
        match (i, start) {
            (0, Some(_)) => return Err(at("the first schedule starts at step 0: no \"at\"")),
            (0, None) => {}
            (_, Some(m)) => words.push(m),
            (_, None) => return Err(at("needs \"at\": STEP or \"at-epoch\": EPOCH")),
        }
        let mut settings = Vec::new();
        for (key, value) in entry {
            if matches!(key.as_str(), "schedule" | "at" | "at-epoch") {
                continue;
            }
            match value {
                Value::Bool(true) => settings.push(key.clone()),
                Value::Bool(false) | Value::Null => {}
                Value::Number(n) => settings.push(format!("{key}={n}")),
                Value::String(s) => settings.push(format!("{key}={s}")),
                Value::Array(list) => {
                    let parts: Vec<String> = list.iter().map(|v| v.to_string()).collect();
                    settings.push(format!("{key}={}", parts.join("/")));
                }
                Value::Object(_) => {
                    return Err(at(&format!("\"{key}\" must be a number, a string or true")));
                }
            }
        }
        words.push(if settings.is_empty() {
            name.clone()
        } else {
            format!("{name}:{}", settings.join(":"))
        });
    }
    Ok(words.join(" "))
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

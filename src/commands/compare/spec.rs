//! The experiment as written: `--arms`, the experiment file (`--config`), seeds and shards,
//! and the flag settings an arm is made of.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use serde_json::Value;

use crate::cli::Cli;
use crate::cli::compare::{ARM_COMMANDS, COMPARISON_LEVEL, EXPERIMENT_KEYS, LIST_KEYS, Setting};
use crate::{input_bail, input_err};

/// Long flag names of a subcommand and whether each takes a value.
pub(super) struct FlagTable {
    pub(super) flags: Vec<(String, bool)>,
}

impl FlagTable {
    pub(super) fn of(command: &str) -> FlagTable {
        let cli = Cli::command();
        let flags = cli
            .find_subcommand(command)
            .map(|c| {
                c.get_arguments()
                    .filter_map(|a| {
                        let long = a.get_long()?;
                        (!COMPARISON_LEVEL.contains(&long) && long != "help" && long != "version")
                            .then(|| (long.to_string(), a.get_action().takes_values()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        FlagTable { flags }
    }

    /// `Some(takes_value)` for a known flag.
    pub(super) fn get(&self, key: &str) -> Option<bool> {
        self.flags.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub(super) fn nearest(&self, key: &str, extra: &[&str]) -> String {
        let mut names: Vec<&str> = self.flags.iter().map(|(k, _)| k.as_str()).collect();
        names.extend_from_slice(extra);
        crate::config::nearest(key, &names)
            .map(|n| format!(" (did you mean \"{n}\"?)"))
            .unwrap_or_default()
    }
}

/// Settings in order; a later setting of a key replaces the earlier one in place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlagSet(Vec<(String, Setting)>);

impl FlagSet {
    pub(super) fn apply(&mut self, key: &str, setting: &Setting) {
        let at = self.0.iter().position(|(k, _)| k == key);
        match (setting, at) {
            (Setting::Off, Some(i)) => {
                self.0.remove(i);
            }
            (Setting::Off, None) => {}
            (s, Some(i)) => self.0[i].1 = s.clone(),
            (s, None) => self.0.push((key.to_string(), s.clone())),
        }
    }

    pub(super) fn apply_all(&mut self, settings: &[(String, Setting)]) {
        for (k, s) in settings {
            self.apply(k, s);
        }
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// As command-line words: `--name=value`, `--name`.
    pub(super) fn words(&self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|(k, s)| match s {
                Setting::Value(v) => Some(format!("--{k}={v}")),
                Setting::On => Some(format!("--{k}")),
                Setting::Off => None,
            })
            .collect()
    }
}

/// One arm as written: its name, command and own settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSpec {
    pub name: String,
    pub command: String,
    pub settings: Vec<(String, Setting)>,
}

impl ArmSpec {
    /// The settings in `--arms` syntax.
    pub(super) fn overrides(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.command != "train" {
            out.push(format!("command={}", self.command));
        }
        out.extend(self.settings.iter().map(|(k, s)| match s {
            Setting::Value(v) => format!("{k}={v}"),
            Setting::On => k.clone(),
            Setting::Off => format!("{k}=false"),
        }));
        out
    }
}

/// Parse `--arms` (see [`CompareOptions::arms`]); `origin` prefixes the errors.
pub fn parse_arms(spec: &str, origin: &str) -> anyhow::Result<Vec<ArmSpec>> {
    let (train_flags, snapshot_flags) =
        (FlagTable::of("train"), FlagTable::of("snapshot-ensemble"));
    let is_flag = |k: &str| train_flags.get(k).is_some() || snapshot_flags.get(k).is_some();
    let mut arms = Vec::new();
    for part in spec.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, body) = match part.split_once(':') {
            Some((n, b)) => (n.trim(), b),
            None => (part, ""),
        };
        check_arm_name(name, origin)?;
        let label = format!("{origin}arm \"{name}\"");
        // key=value items; a piece without '=' is a switch, or continues a list value
        let mut items: Vec<(String, Option<String>)> = Vec::new();
        for piece in body.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            match piece.split_once('=') {
                Some((k, v)) => {
                    let k = k.trim();
                    if k.is_empty() {
                        input_bail!("{label}: \"{piece}\" has no key before '='");
                    }
                    items.push((k.to_string(), Some(v.trim().to_string())));
                }
                None => match items.last_mut() {
                    Some((k, Some(v))) if LIST_KEYS.contains(&k.as_str()) && !is_flag(piece) => {
                        v.push(',');
                        v.push_str(piece);
                    }
                    _ => items.push((piece.to_string(), None)),
                },
            }
        }
        let mut command = "train".to_string();
        let mut raw = Vec::new();
        for (k, v) in items {
            if k == "command" {
                command = v.unwrap_or_default();
            } else {
                raw.push((k, v));
            }
        }
        if !ARM_COMMANDS.contains(&command.as_str()) {
            input_bail!(
                "{label}: command=\"{command}\": must be {}",
                ARM_COMMANDS.join(" or ")
            );
        }
        let table = FlagTable::of(&command);
        let mut settings: Vec<(String, Setting)> = Vec::new();
        for (k, v) in raw {
            check_arm_key(&k, &table, &label, &command)?;
            let takes_value = table.get(&k).unwrap_or(true);
            let setting = match (takes_value, v) {
                (true, Some(v)) => Setting::Value(v),
                (true, None) => input_bail!("{label}: key \"{k}\" needs a value: {k}=VALUE"),
                (false, None) => Setting::On,
                (false, Some(v)) => match v.as_str() {
                    "true" => Setting::On,
                    "false" => Setting::Off,
                    _ => input_bail!(
                        "{label}: key \"{k}\" is a switch: give {k}, {k}=true or {k}=false, not {k}={v}"
                    ),
                },
            };
            if settings.iter().any(|(have, _)| *have == k) {
                input_bail!("{label}: key \"{k}\" is given twice");
            }
            settings.push((k, setting));
        }
        arms.push(ArmSpec {
            name: name.to_string(),
            command,
            settings,
        });
    }
    Ok(arms)
}

pub(super) fn check_arm_name(name: &str, origin: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
        && !name.starts_with(['.', '-']);
    if !ok {
        input_bail!(
            "{origin}arm \"{name}\": an arm name becomes a folder name: 1 to 64 letters, digits, '.', '_', '+' or '-', not starting with '.' or '-'"
        );
    }
    Ok(())
}

pub(super) fn check_arm_key(
    key: &str,
    table: &FlagTable,
    label: &str,
    command: &str,
) -> anyhow::Result<()> {
    if key == "seed" {
        input_bail!(
            "{label}: key \"seed\": every arm runs the same seeds so that runs pair up; set them with --seeds"
        );
    }
    if COMPARISON_LEVEL.contains(&key) {
        input_bail!("{label}: key \"{key}\" is set for the whole comparison, not per arm");
    }
    if table.get(key).is_none() {
        input_bail!(
            "{label}: unknown key \"{key}\" for lrtool {command}{}",
            table.nearest(key, &["command"])
        );
    }
    Ok(())
}

/// A JSON value of an experiment file as a flag setting.
pub(super) fn json_setting(
    label: &str,
    key: &str,
    value: &Value,
    takes_value: bool,
) -> anyhow::Result<Setting> {
    let wrong = |want: &str| input_err!("{label}: key \"{key}\" must be {want}, not {value}");
    Ok(match value {
        Value::Null => Setting::Off,
        Value::Bool(b) if !takes_value => {
            if *b {
                Setting::On
            } else {
                Setting::Off
            }
        }
        _ if !takes_value => return Err(wrong("true or false")),
        Value::Bool(_) | Value::Object(_) => return Err(wrong("a number or a string")),
        Value::Number(n) => Setting::Value(n.to_string()),
        Value::String(s) => Setting::Value(s.clone()),
        Value::Array(items) if key == "sequence" => {
            Setting::Value(crate::config::sequence_text(items, label)?)
        }
        Value::Array(items) if LIST_KEYS.contains(&key) => {
            let mut parts = Vec::new();
            for item in items {
                match item {
                    Value::Number(n) => parts.push(n.to_string()),
                    Value::String(s) => parts.push(s.clone()),
                    _ => return Err(wrong("a list of numbers")),
                }
            }
            Setting::Value(parts.join(","))
        }
        Value::Array(_) => return Err(wrong("a single value, not a list")),
    })
}

/// An experiment file: shared flags, arms, seeds, target, description.
#[derive(Debug, Default)]
pub(super) struct ExperimentFile {
    pub(super) shared: Vec<(String, Setting)>,
    pub(super) seed: Option<u64>,
    pub(super) arms: Option<Vec<ArmSpec>>,
    pub(super) seeds: Option<SeedsSpec>,
    pub(super) target_acc: Option<f64>,
    pub(super) target_loss: Option<f64>,
    pub(super) description: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) enum SeedsSpec {
    Count(u64),
    List(Vec<u64>),
}

pub(super) fn read_experiment_file(path: &Path) -> anyhow::Result<ExperimentFile> {
    let shown = path.display().to_string();
    let text = crate::limits::read_text(
        path,
        &format!("--config {shown}"),
        crate::limits::Kind::Config,
    )?;
    let json: Value = crate::config::strict_json(&text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        input_err!(
            "{shown}: invalid JSON at line {}, column {}: {msg}",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(map) = json else {
        input_bail!(
            "{shown}: must be a JSON object of shared flags plus \"arms\" and \"seeds\", like {{\"dataset\": \"digits\", \"arms\": [{{\"name\": \"fixed\", \"schedule\": \"constant\"}}], \"seeds\": 3}}"
        );
    };
    let table = FlagTable::of("train");
    let mut file = ExperimentFile::default();
    for (key, value) in &map {
        let label = shown.as_str();
        let number = |v: &Value| -> anyhow::Result<f64> {
            v.as_f64()
                .ok_or_else(|| input_err!("{label}: key \"{key}\" must be a number, not {v}"))
        };
        match key.as_str() {
            "arms" => file.arms = Some(json_arms(value, label)?),
            "seeds" => {
                file.seeds = Some(match value {
                    Value::Number(n) if n.as_u64().is_some() => {
                        SeedsSpec::Count(n.as_u64().unwrap_or(0))
                    }
                    Value::Array(items) => SeedsSpec::List(
                        items
                            .iter()
                            .map(|i| {
                                i.as_u64().ok_or_else(|| {
                                input_err!(
                                    "{label}: key \"seeds\": {i} is not a seed (a whole number ≥ 0)"
                                )
                            })
                            })
                            .collect::<anyhow::Result<_>>()?,
                    ),
                    _ => input_bail!(
                        "{label}: key \"seeds\" must be a count like 3 or a list like [0, 1, 2], not {value}"
                    ),
                })
            }
            "target-acc" => file.target_acc = Some(number(value)?),
            "target-loss" => file.target_loss = Some(number(value)?),
            "description" => {
                file.description = Some(
                    value
                        .as_str()
                        .ok_or_else(|| input_err!("{label}: key \"description\" must be a string"))?
                        .to_string(),
                )
            }
            "seed" => {
                file.seed = Some(value.as_u64().ok_or_else(|| {
                    input_err!("{label}: key \"seed\" must be a whole number ≥ 0, not {value}")
                })?)
            }
            _ => {
                let Some(takes_value) = table.get(key) else {
                    if COMPARISON_LEVEL.contains(&key.as_str()) {
                        input_bail!(
                            "{label}: key \"{key}\" belongs on the command line, not in an experiment file"
                        );
                    }
                    input_bail!(
                        "{label}: unknown key \"{key}\" for lrtool compare{}",
                        table.nearest(key, &EXPERIMENT_KEYS)
                    );
                };
                file.shared
                    .push((key.clone(), json_setting(label, key, value, takes_value)?));
            }
        }
    }
    Ok(file)
}

/// `"arms": [{"name": …, "command": …, "schedule": …, key: value, …}, …]`.
pub(super) fn json_arms(value: &Value, file: &str) -> anyhow::Result<Vec<ArmSpec>> {
    let Value::Array(items) = value else {
        input_bail!(
            "{file}: key \"arms\" must be a list of objects like {{\"name\": \"clr\", \"schedule\": \"triangular\", \"lr\": 0.006}}"
        );
    };
    let mut arms = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(obj) = item else {
            input_bail!(
                "{file}: arms[{i}] must be an object like {{\"name\": \"clr\", \"schedule\": \"triangular\"}}"
            );
        };
        let text = |k: &str| -> anyhow::Result<Option<String>> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(v) => Err(input_err!(
                    "{file}: arms[{i}]: \"{k}\" must be a string, not {v}"
                )),
            }
        };
        let Some(name) = text("name")?.or(text("schedule")?) else {
            input_bail!("{file}: arms[{i}] needs a \"name\" (or a \"schedule\", which names it)");
        };
        check_arm_name(&name, &format!("{file}: "))?;
        let label = format!("{file}: arm \"{name}\"");
        let command = text("command")?.unwrap_or_else(|| "train".into());
        if !ARM_COMMANDS.contains(&command.as_str()) {
            input_bail!(
                "{label}: \"command\": \"{command}\" must be {}",
                ARM_COMMANDS.join(" or ")
            );
        }
        let table = FlagTable::of(&command);
        let mut settings = Vec::new();
        for (k, v) in obj {
            if k == "name" || k == "command" {
                continue;
            }
            check_arm_key(k, &table, &label, &command)?;
            let takes_value = table.get(k).unwrap_or(true);
            settings.push((k.clone(), json_setting(&label, k, v, takes_value)?));
        }
        arms.push(ArmSpec {
            name,
            command,
            settings,
        });
    }
    Ok(arms)
}

/// `--seeds`: a count from `base`, or a list (any value with a comma).
pub(super) fn parse_seeds(text: &str, base: u64) -> anyhow::Result<Vec<u64>> {
    let t = text.trim();
    if t.contains(',') {
        let seeds: Vec<u64> = t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u64>().map_err(|_| {
                    input_err!("--seeds {text}: \"{s}\" is not a seed (a whole number ≥ 0)")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        check_seed_list(&seeds, &format!("--seeds {text}"))?;
        return Ok(seeds);
    }
    match t.parse::<u64>() {
        Ok(n) => seeds_from_count(n, base, &format!("--seeds {text}")),
        Err(_) => input_bail!(
            "--seeds {text}: give a count like 3, or a list like 0,3,7 (5, for the one seed 5)"
        ),
    }
}

pub(super) fn seeds_from_count(n: u64, base: u64, label: &str) -> anyhow::Result<Vec<u64>> {
    if n == 0 || n > 10_000 {
        input_bail!("{label}: the number of seeds must be from 1 to 10000");
    }
    let Some(last) = base.checked_add(n - 1) else {
        input_bail!("{label}: --seed {base} + {n} seeds passes the largest seed");
    };
    Ok((base..=last).collect())
}

pub(super) fn check_seed_list(seeds: &[u64], label: &str) -> anyhow::Result<()> {
    if seeds.is_empty() || seeds.len() > 10_000 {
        input_bail!("{label}: give 1 to 10000 seeds");
    }
    let unique: BTreeSet<u64> = seeds.iter().copied().collect();
    if unique.len() != seeds.len() {
        input_bail!("{label}: a seed is listed twice");
    }
    Ok(())
}

/// `--shard I/N` → (I, N), 0 ≤ I < N.
pub(super) fn parse_shard(text: &str) -> anyhow::Result<(usize, usize)> {
    let parsed = text.split_once('/').and_then(|(i, n)| {
        Some((
            i.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((i, n)) if n >= 1 && i < n => Ok((i, n)),
        _ => input_bail!(
            "--shard {text}: give I/N with 0 ≤ I < N, like 0/2 and 1/2 (Slurm: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT with --array=0-(N-1))"
        ),
    }
}

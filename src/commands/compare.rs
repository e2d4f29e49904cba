//! `lrtool compare`: learning-rate experiments side by side. An experiment is shared flags plus
//! named arms (each overrides any flag of `train`, usually the schedule) × seeds; runs go in
//! parallel (`--jobs`, one thread each), each into `runs/<arm>-seed<k>/` with train's usual files,
//! and the report is built from those folders alone, so `--shard i/n` parts joined by `--merge`
//! give the same report as one unsharded run.
//!
//! Every arm's flags are parsed by clap exactly as `lrtool train <shared> <arm>` would be, so an
//! arm validates like `train` does; errors name the arm (exit code 2) before any run starts.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::{CommandFactory, Parser};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::cli::compare::{ARM_COMMANDS, COMPARISON_LEVEL, EXPERIMENT_KEYS, LIST_KEYS, Setting};
use crate::cli::{Cli, Command, CompareArgs};
use crate::commands::common::{json_text, print_stdout};
use crate::commands::{snapshot_ensemble, train};
use crate::config::{RunSpec, SnapshotSpec};
use crate::data::Task;
use crate::error::{is_input_error, is_interrupted};
use crate::output::OutDir;
use crate::report::compare::{
    self as report, ArmInfo, Experiment, RunRecord, Status, Target, TargetKind,
};
use crate::schedule::ScheduleKind;
use crate::train::End;
use crate::{input_bail, input_err};

/// Long flag names of a subcommand and whether each takes a value.
struct FlagTable {
    flags: Vec<(String, bool)>,
}

impl FlagTable {
    fn of(command: &str) -> FlagTable {
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
    fn get(&self, key: &str) -> Option<bool> {
        self.flags.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn nearest(&self, key: &str, extra: &[&str]) -> String {
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
    fn apply(&mut self, key: &str, setting: &Setting) {
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

    fn apply_all(&mut self, settings: &[(String, Setting)]) {
        for (k, s) in settings {
            self.apply(k, s);
        }
    }

    fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// As command-line words: `--name=value`, `--name`.
    fn words(&self) -> Vec<String> {
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
    fn overrides(&self) -> Vec<String> {
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

fn check_arm_name(name: &str, origin: &str) -> anyhow::Result<()> {
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

fn check_arm_key(key: &str, table: &FlagTable, label: &str, command: &str) -> anyhow::Result<()> {
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
fn json_setting(
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
struct ExperimentFile {
    shared: Vec<(String, Setting)>,
    seed: Option<u64>,
    arms: Option<Vec<ArmSpec>>,
    seeds: Option<SeedsSpec>,
    target_acc: Option<f64>,
    target_loss: Option<f64>,
    description: Option<String>,
}

#[derive(Debug, Clone)]
enum SeedsSpec {
    Count(u64),
    List(Vec<u64>),
}

fn read_experiment_file(path: &Path) -> anyhow::Result<ExperimentFile> {
    let shown = path.display().to_string();
    let text =
        fs::read_to_string(path).map_err(|e| input_err!("--config {shown}: cannot read: {e}"))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| {
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
fn json_arms(value: &Value, file: &str) -> anyhow::Result<Vec<ArmSpec>> {
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
fn parse_seeds(text: &str, base: u64) -> anyhow::Result<Vec<u64>> {
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

fn seeds_from_count(n: u64, base: u64, label: &str) -> anyhow::Result<Vec<u64>> {
    if n == 0 || n > 10_000 {
        input_bail!("{label}: the number of seeds must be from 1 to 10000");
    }
    let Some(last) = base.checked_add(n - 1) else {
        input_bail!("{label}: --seed {base} + {n} seeds passes the largest seed");
    };
    Ok((base..=last).collect())
}

fn check_seed_list(seeds: &[u64], label: &str) -> anyhow::Result<()> {
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
fn parse_shard(text: &str) -> anyhow::Result<(usize, usize)> {
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

/// The planned arm: its info for the report and its effective flags.
struct ArmPlan {
    info: ArmInfo,
    /// The arm's run, parsed and validated once; each seed changes only the seed and the folder.
    run: ArmRun,
}

/// What one arm runs: a `train` or a `snapshot-ensemble` run, typed.
#[derive(Debug, Clone)]
enum ArmRun {
    Train(RunSpec),
    Snapshot(SnapshotSpec),
}

impl ArmRun {
    fn run_spec(&mut self) -> &mut RunSpec {
        match self {
            ArmRun::Train(s) => s,
            ArmRun::Snapshot(s) => &mut s.run,
        }
    }

    /// The arm's run for `seed` into `dir`: quiet, no report.html of its own (the comparison's
    /// covers the runs), one thread unless the arm's flags ask for more (runs go side by side).
    fn for_seed(&self, seed: u64, dir: &Path, threads_given: bool) -> ArmRun {
        let mut arm = self.clone();
        let spec = arm.run_spec();
        spec.run.seed = seed;
        if !threads_given {
            spec.run.threads = Some(1);
        }
        spec.output.out = dir.to_path_buf();
        spec.output.quiet = true;
        spec.output.json = false;
        spec.output.report = false;
        arm
    }
}

/// The arm's flags as the command line of its command (parsed once, in [`plan_arm`]).
fn arm_argv(command: &str, flags: &FlagSet) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["lrtool".into(), command.into()];
    argv.extend(flags.words().into_iter().map(OsString::from));
    argv
}

/// clap's message as one line, without usage and help hints.
fn clap_line(e: &clap::Error) -> String {
    e.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .map(|l| l.trim_start_matches("error: ").to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parse and validate one arm for `seed` (nothing is written): its info, its typed run and the
/// dataset's task. The arm's settings are flags of its command, so clap parses them here, once,
/// exactly as `lrtool train <shared> <arm>` would, and every check of `train` applies.
fn plan_arm(spec: &ArmSpec, flags: FlagSet, seed: u64) -> anyhow::Result<(ArmPlan, Task)> {
    let label = format!("arm \"{}\"", spec.name);
    let threads_given = flags.has("threads");
    let cli = Cli::try_parse_from(arm_argv(&spec.command, &flags))
        .map_err(|e| input_err!("{label}: {}", clap_line(&e)))?;
    let labelled = |e: anyhow::Error| {
        if is_input_error(&e) {
            input_err!("{label}: {e:#}")
        } else {
            e.context(label.clone())
        }
    };
    let run = match cli.command {
        Command::Train(a) => {
            ArmRun::Train(RunSpec::from_train_args(&a, "train").map_err(labelled)?)
        }
        Command::SnapshotEnsemble(a) => {
            ArmRun::Snapshot(SnapshotSpec::from_args(&a).map_err(labelled)?)
        }
        _ => return Err(anyhow!("{label}: not a training command")),
    };
    let mut run = run.for_seed(seed, Path::new("unused"), threads_given);
    let planned = train::plan(run.run_spec()).map_err(labelled)?;
    let info = ArmInfo {
        name: spec.name.clone(),
        command: spec.command.clone(),
        overrides: spec.overrides(),
        flags: flags.words(),
        schedule: planned.schedule.describe(),
        steps_per_epoch: planned.steps_per_epoch,
        epochs: planned.run_cfg.epochs,
    };
    Ok((ArmPlan { info, run }, planned.dataset.task()))
}

/// How one run ended, seen from the comparison.
#[derive(Debug)]
enum RunEnd {
    Finished,
    Diverged,
    Interrupted,
    Failed { message: String, input: bool },
    NotRun,
}

/// Run one (arm, seed) into `dir` through the arm command's own code path.
fn run_one(arm: &ArmPlan, seed: u64, dir: &Path) -> RunEnd {
    if crate::interrupt::requested() {
        return RunEnd::NotRun;
    }
    let failed = |e: anyhow::Error| RunEnd::Failed {
        input: is_input_error(&e),
        message: format!("{e:#}"),
    };
    let ended = |end: &End| match end {
        End::NonFinite { .. } => RunEnd::Diverged,
        End::Interrupted => RunEnd::Interrupted,
        End::Completed | End::Stopped { .. } => RunEnd::Finished,
    };
    // the seed and folder change; the thread count planned for the arm is kept
    match arm.run.for_seed(seed, dir, true) {
        ArmRun::Train(spec) => match train::plan(&spec).and_then(train::execute) {
            Ok(t) => ended(&t.outcome.end),
            Err(e) => failed(e),
        },
        ArmRun::Snapshot(spec) => {
            match snapshot_ensemble::plan(&spec).and_then(snapshot_ensemble::execute) {
                Ok(done) => match (&done.end, done.result()) {
                    // divergence of the main run is a result; a failed baseline is the run's error
                    (End::NonFinite { .. }, _) => RunEnd::Diverged,
                    (_, Ok(())) => ended(&done.end),
                    (_, Err(e)) if is_interrupted(&e) => RunEnd::Interrupted,
                    (_, Err(e)) => failed(e),
                },
                Err(e) => failed(e),
            }
        }
    }
}

pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if !args.compare.merge.is_empty() {
        return merge(&args, started);
    }
    let opts = &args.compare;
    let file = match &args.train.output.config {
        Some(path) => read_experiment_file(path)?,
        None => ExperimentFile::default(),
    };
    let config_label = args
        .train
        .output
        .config
        .as_ref()
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default();

    // shared flags: the experiment file, then the command line
    let mut shared = FlagSet::default();
    shared.apply_all(&file.shared);
    shared.apply_all(&args.given);
    {
        // the shared flags alone must parse as `train` does
        let argv = arm_argv("train", &shared);
        if let Err(e) = Cli::try_parse_from(argv) {
            input_bail!("{config_label}{}", clap_line(&e));
        }
    }

    let arms = match &opts.arms {
        Some(spec) => parse_arms(spec, "--arms: ")?,
        None => file.arms.clone().unwrap_or_default(),
    };
    if arms.is_empty() {
        input_bail!(
            "--arms: no arms to compare; give --arms \"constant:lr=0.01;one-cycle:lr=0.1\" or a --config file with \"arms\""
        );
    }
    let mut names = BTreeSet::new();
    for a in &arms {
        if !names.insert(a.name.as_str()) {
            input_bail!(
                "arm \"{}\" is given twice; name the arms apart, like fast:schedule=constant,lr=0.1",
                a.name
            );
        }
    }
    let base = if args.seed_given {
        args.train.run.seed
    } else {
        file.seed.unwrap_or(args.train.run.seed)
    };
    let seeds = match (&opts.seeds, &file.seeds) {
        (Some(text), _) => parse_seeds(text, base)?,
        (None, Some(SeedsSpec::Count(n))) => {
            seeds_from_count(*n, base, &format!("{config_label}key \"seeds\""))?
        }
        (None, Some(SeedsSpec::List(list))) => {
            check_seed_list(list, &format!("{config_label}key \"seeds\""))?;
            list.clone()
        }
        (None, None) => seeds_from_count(3, base, "--seeds")?,
    };
    // a target on the command line replaces the file's
    let (acc, loss) = if opts.target_acc.is_some() || opts.target_loss.is_some() {
        (opts.target_acc, opts.target_loss)
    } else {
        (file.target_acc, file.target_loss)
    };
    let target = match (acc, loss) {
        (Some(_), Some(_)) => {
            input_bail!("{config_label}\"target-acc\" and \"target-loss\": give one of them")
        }
        (Some(v), None) => Some(Target {
            kind: TargetKind::Acc,
            value: check_finite("--target-acc", v)?,
        }),
        (None, Some(v)) => Some(Target {
            kind: TargetKind::Loss,
            value: check_finite("--target-loss", v)?,
        }),
        (None, None) => None,
    };
    let shard = opts.shard.as_deref().map(parse_shard).transpose()?;
    let jobs = match opts.jobs {
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Some(j) if (1..=4096).contains(&j) => j as usize,
        Some(j) => input_bail!("--jobs {j}: must be from 1 to 4096"),
    };

    // every arm validated (parsed by clap as its command, then planned) before anything runs
    let shared_has_schedule = shared.has("schedule");
    let mut plans = Vec::new();
    let mut task = None;
    for spec in &arms {
        let mut spec = spec.clone();
        let has_schedule = spec.settings.iter().any(|(k, _)| k == "schedule");
        if !has_schedule {
            if ScheduleKind::from_name(&spec.name).is_some() {
                spec.settings
                    .insert(0, ("schedule".into(), Setting::Value(spec.name.clone())));
            } else if spec.command == "train" && !shared_has_schedule {
                let names: Vec<&str> = ScheduleKind::ALL.iter().map(|k| k.name()).collect();
                let hint = crate::config::nearest(&spec.name, &names)
                    .map(|n| format!(" (did you mean \"{n}\"?)"))
                    .unwrap_or_default();
                input_bail!(
                    "arm \"{}\": is not a schedule name{hint}; an arm named otherwise needs schedule=NAME, like fast:schedule=one-cycle,lr=0.05",
                    spec.name
                );
            }
        }
        let mut flags = shared.clone();
        flags.apply_all(&spec.settings);
        let (plan, t) = plan_arm(&spec, flags, seeds[0])?;
        if let Some(first) = task
            && first != t
        {
            input_bail!(
                "arm \"{}\": trains a {} task while the first arm trains a {} task; arms must share the task",
                spec.name,
                task_name(t),
                task_name(first)
            );
        }
        task = Some(t);
        plans.push(plan);
    }
    let experiment = Experiment {
        lrtool_version: env!("CARGO_PKG_VERSION").into(),
        description: file.description.clone(),
        shared: shared.words(),
        arms: plans.iter().map(|p| p.info.clone()).collect(),
        seeds,
        target,
        metric: match task {
            Some(Task::Regress) => "r2".into(),
            _ => "acc".into(),
        },
    };

    let all_runs = experiment.runs();
    let selected: Vec<(usize, u64)> = all_runs
        .iter()
        .enumerate()
        .filter(|(p, _)| shard.is_none_or(|(i, n)| p % n == i))
        .map(|(_, r)| *r)
        .collect();
    let out_path = args
        .train
        .output
        .out
        .clone()
        .unwrap_or_else(|| match shard {
            Some((i, n)) => PathBuf::from(format!("runs/compare-shard-{i}-of-{n}")),
            None => PathBuf::from("runs/compare"),
        });
    let quiet = args.train.output.quiet || args.train.output.json;
    crate::interrupt::install();
    let mut out = OutDir::prepare(&out_path, args.train.output.force, "compare")?;
    remove_empty_dirs(&out.join("runs"));

    // the runs, in parallel; each writes its own folder
    let jobs = jobs.min(selected.len()).max(1);
    if !quiet {
        eprintln!(
            "lrtool compare: {} runs ({} arms × {} seeds{}) on {jobs} thread{}",
            selected.len(),
            experiment.arms.len(),
            experiment.seeds.len(),
            shard.map_or(String::new(), |(i, n)| format!(
                ", shard {i}/{n} of {} runs",
                all_runs.len()
            )),
            if jobs == 1 { "" } else { "s" }
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start the worker threads")?;
    let done = AtomicUsize::new(0);
    let ends: Vec<RunEnd> = pool.install(|| {
        selected
            .par_iter()
            .with_max_len(1)
            .map(|&(a, seed)| {
                let dir = out.join(&experiment.folder(a, seed));
                let t = Instant::now();
                let end = run_one(&plans[a], seed, &dir);
                let k = done.fetch_add(1, Ordering::SeqCst) + 1;
                if !quiet && !matches!(end, RunEnd::NotRun) {
                    eprintln!(
                        "  [{k}/{}] {} seed {seed}: {} ({:.2} s)",
                        selected.len(),
                        experiment.arms[a].name,
                        match &end {
                            RunEnd::Finished => "finished".to_string(),
                            RunEnd::Diverged => "diverged".into(),
                            RunEnd::Interrupted => "interrupted".into(),
                            RunEnd::Failed { message, .. } => format!("failed: {message}"),
                            RunEnd::NotRun => "not run".into(),
                        },
                        t.elapsed().as_secs_f64()
                    );
                }
                end
            })
            .collect()
    });

    // the run folders become part of this folder's manifest, so a rerun may replace them
    for &(a, seed) in &selected {
        adopt_run(&mut out, &experiment.folder(a, seed))?;
    }
    let mut records = Vec::with_capacity(selected.len());
    for (&(a, seed), end) in selected.iter().zip(&ends) {
        let dir = out.join(&experiment.folder(a, seed));
        let record = match end {
            RunEnd::NotRun => RunRecord::missing(a, seed, Status::NotRun, None),
            RunEnd::Failed { message, .. } if !dir.join("summary.json").exists() => {
                RunRecord::missing(a, seed, Status::Failed, Some(message.clone()))
            }
            _ => match report::read_run(&dir, a, seed) {
                Ok(mut r) => {
                    if let RunEnd::Failed { message, .. } = end {
                        r.status = Status::Failed;
                        r.error = Some(message.clone());
                    }
                    r
                }
                Err(e) => RunRecord::missing(a, seed, Status::Failed, Some(format!("{e:#}"))),
            },
        };
        records.push(record);
    }
    let table = write_report(&mut out, &experiment, shard, &records, &args)?;
    write_timing(&mut out, started, &experiment, &records, Some(jobs), &[])?;
    if !quiet {
        print_stdout(&format!(
            "{table}wrote {}: results.csv, report.md, summary.json, val.svg, loss.svg, lr.svg, timing.json, runs/ ({:.2} s)\n",
            out.path().display(),
            started.elapsed().as_secs_f64()
        ))?;
    }
    finish(&experiment, &records, &ends, out.path())
}

/// Remove the empty folders below `dir` (and `dir` itself when it ends up empty): what an
/// earlier comparison's replaced runs leave behind. Folders holding anything stay.
fn remove_empty_dirs(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_dirs(&entry.path());
        }
    }
    let _ = fs::remove_dir(dir); // fails, harmlessly, unless empty
}

fn check_finite(flag: &str, v: f64) -> anyhow::Result<f64> {
    if !v.is_finite() {
        input_bail!("{flag} {v}: must be a finite number");
    }
    Ok(v)
}

fn task_name(t: Task) -> &'static str {
    match t {
        Task::Classify => "classification",
        Task::Regress => "regression",
    }
}

/// Record a run folder's files (as its own manifest lists them) in the comparison's manifest.
fn adopt_run(out: &mut OutDir, folder: &str) -> anyhow::Result<()> {
    let manifest = out.join(folder).join(crate::output::MANIFEST);
    let Ok(text) = fs::read_to_string(&manifest) else {
        return Ok(());
    };
    let files: Vec<String> = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["files"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.as_str())
        .filter(|f| !f.split('/').any(|c| c == ".." || c.is_empty()))
        .map(|f| format!("{folder}/{f}"))
        .chain(std::iter::once(format!(
            "{folder}/{}",
            crate::output::MANIFEST
        )))
        .collect();
    out.adopt(&files)
}

/// results.csv, report.md, summary.json and the plots; returns the per-arm table.
fn write_report(
    out: &mut OutDir,
    exp: &Experiment,
    shard: Option<(usize, usize)>,
    records: &[RunRecord],
    args: &CompareArgs,
) -> anyhow::Result<String> {
    let stats = report::arm_stats(exp, records);
    out.write_atomic("results.csv", report::results_csv(exp, records).as_bytes())?;
    out.write_atomic(
        "report.md",
        report::report_md(exp, records, &stats).as_bytes(),
    )?;
    out.write_atomic("val.svg", report::val_svg(exp, records)?.as_bytes())?;
    out.write_atomic("loss.svg", report::loss_svg(exp, records)?.as_bytes())?;
    out.write_atomic("lr.svg", report::lr_svg(exp, records)?.as_bytes())?;
    let files = [
        "results.csv",
        "report.md",
        "summary.json",
        "val.svg",
        "loss.svg",
        "lr.svg",
        "timing.json",
        "runs/",
    ];
    let summary = report::summary_json(exp, shard, records, &stats, &files);
    out.write_atomic("summary.json", json_text(&summary).as_bytes())?;
    if !args.train.output.no_report {
        crate::report::html::write(out)?;
    }
    if args.train.output.json {
        print_stdout(&json_text(&summary))?;
    }
    let mut table = report::arm_table(exp, &stats);
    if let Some(t) = exp.target_text() {
        table = format!("target: {t}\n{table}");
    }
    for r in records.iter().filter(|r| !r.finished()) {
        table.push_str(&format!(
            "{} seed {}: {}{}\n",
            exp.arms[r.arm].name,
            r.seed,
            r.status.name(),
            r.diverged_step
                .map_or(String::new(), |s| format!(" at step {s}"))
        ));
    }
    Ok(table)
}

fn write_timing(
    out: &mut OutDir,
    started: Instant,
    exp: &Experiment,
    records: &[RunRecord],
    jobs: Option<usize>,
    merged_from: &[PathBuf],
) -> anyhow::Result<()> {
    let runs: Map<String, Value> = records
        .iter()
        .map(|r| (exp.folder(r.arm, r.seed), json!(r.wall_seconds)))
        .collect();
    let run_seconds: f64 = records.iter().filter_map(|r| r.wall_seconds).sum();
    let mut timing = json!({
        "note": "wall-clock measurements (and where a merge came from); every other file is identical for the same experiment, whatever --jobs or --shard",
        "total_seconds": started.elapsed().as_secs_f64(),
        "sum_of_run_seconds": run_seconds,
        "run_seconds": runs,
    });
    if let Some(j) = jobs {
        timing["jobs"] = json!(j);
    }
    if !merged_from.is_empty() {
        timing["merged_from"] = json!(
            merged_from
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        );
    }
    out.write_atomic("timing.json", json_text(&timing).as_bytes())?;
    Ok(())
}

/// The exit status: 0 when every run ended (completed or diverged) and at least one completed;
/// 130 after a signal; 1 when a run failed or every run diverged (2 when the failures were all
/// bad input found only while running).
fn finish(
    exp: &Experiment,
    records: &[RunRecord],
    ends: &[RunEnd],
    out: &Path,
) -> anyhow::Result<()> {
    let name = |r: &RunRecord| format!("{} seed {}", exp.arms[r.arm].name, r.seed);
    if ends
        .iter()
        .any(|e| matches!(e, RunEnd::Interrupted | RunEnd::NotRun))
    {
        let finished = records.iter().filter(|r| r.finished()).count();
        return Err(anyhow::Error::new(crate::error::Interrupted(format!(
            "interrupted: {finished} of {} runs finished; the report in {} covers the runs that ended",
            records.len(),
            out.display()
        ))));
    }
    let failed: Vec<(&RunRecord, &RunEnd)> = records
        .iter()
        .zip(ends)
        .filter(|(_, e)| matches!(e, RunEnd::Failed { .. }))
        .collect();
    if let Some((r, RunEnd::Failed { message, .. })) = failed.first() {
        let all_input = failed
            .iter()
            .all(|(_, e)| matches!(e, RunEnd::Failed { input: true, .. }));
        let text = format!(
            "{} of {} runs failed (the report in {} covers the others); {}: {message}",
            failed.len(),
            records.len(),
            out.display(),
            name(r)
        );
        return Err(if all_input {
            input_err!("{text}")
        } else {
            anyhow!("{text}")
        });
    }
    if !records.is_empty() && !records.iter().any(RunRecord::finished) {
        return Err(anyhow!(
            "every run diverged ({} runs); the logs and report are in {}. Try a lower --lr",
            records.len(),
            out.display()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// --merge

/// One folder given to `--merge`: its plan and which runs it holds.
struct Part {
    dir: PathBuf,
    experiment: Experiment,
    shard: Option<(usize, usize)>,
}

fn read_part(dir: &Path) -> anyhow::Result<Part> {
    let path = dir.join("summary.json");
    let shown = path.display();
    let text = fs::read_to_string(&path).map_err(|e| {
        input_err!(
            "--merge {}: cannot read summary.json ({e}); is it an lrtool compare folder?",
            dir.display()
        )
    })?;
    let summary: Value = serde_json::from_str(&text).map_err(|e| input_err!("{shown}: {e}"))?;
    if summary["command"] != "compare" {
        input_bail!("{shown}: not written by lrtool compare");
    }
    let experiment: Experiment = serde_json::from_value(summary["experiment"].clone())
        .map_err(|e| input_err!("{shown}: \"experiment\": {e}"))?;
    // arm names become folder names below --out: never let a summary point elsewhere
    for arm in &experiment.arms {
        check_arm_name(&arm.name, &format!("{shown}: "))?;
    }
    let shard = match &summary["shard"] {
        Value::Null => None,
        s => Some((
            s["index"].as_u64().unwrap_or(0) as usize,
            s["count"].as_u64().filter(|&n| n > 0).unwrap_or(1) as usize,
        )),
    };
    Ok(Part {
        dir: dir.to_path_buf(),
        experiment,
        shard,
    })
}

fn merge(args: &CompareArgs, started: Instant) -> anyhow::Result<()> {
    let opts = &args.compare;
    if !args.given.is_empty()
        || opts.arms.is_some()
        || opts.seeds.is_some()
        || opts.shard.is_some()
        || opts.jobs.is_some()
        || args.train.output.config.is_some()
    {
        input_bail!(
            "--merge takes the experiment from the folders it joins: give only --out, --force, --quiet, --json, or a new --target-acc or --target-loss with it"
        );
    }
    let parts = opts
        .merge
        .iter()
        .map(|d| read_part(d))
        .collect::<anyhow::Result<Vec<Part>>>()?;
    let first = &parts[0];
    for p in &parts[1..] {
        if p.experiment != first.experiment {
            input_bail!(
                "--merge {}: holds a different experiment than {} (arms, seeds, shared flags, target or lrtool version differ)",
                p.dir.display(),
                first.dir.display()
            );
        }
    }
    let mut exp = first.experiment.clone();
    // a new target re-reads the same runs
    if let Some(v) = opts.target_acc {
        exp.target = Some(Target {
            kind: TargetKind::Acc,
            value: check_finite("--target-acc", v)?,
        });
    } else if let Some(v) = opts.target_loss {
        exp.target = Some(Target {
            kind: TargetKind::Loss,
            value: check_finite("--target-loss", v)?,
        });
    }
    let all = exp.runs();
    // which folder holds each run
    let mut source: Vec<Option<&Part>> = vec![None; all.len()];
    for p in &parts {
        for (pos, slot) in source.iter_mut().enumerate() {
            if p.shard.is_none_or(|(i, n)| pos % n == i) {
                if let Some(other) = slot {
                    input_bail!(
                        "--merge: run {} is in both {} and {}",
                        exp.folder(all[pos].0, all[pos].1),
                        other.dir.display(),
                        p.dir.display()
                    );
                }
                *slot = Some(p);
            }
        }
    }
    let missing: Vec<String> = source
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(pos, _)| exp.folder(all[pos].0, all[pos].1))
        .collect();
    if !missing.is_empty() {
        let count = first.shard.map_or(1, |s| s.1);
        input_bail!(
            "--merge: {} of {} runs are in none of the folders ({}{}); give every shard 0/{count} … {}/{count}",
            missing.len(),
            all.len(),
            missing[..missing.len().min(3)].join(", "),
            if missing.len() > 3 { ", …" } else { "" },
            count - 1
        );
    }
    let out_path = args
        .train
        .output
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs/compare"));
    let target_abs = absolute(&out_path);
    for p in &parts {
        if absolute(&p.dir) == target_abs {
            input_bail!(
                "--out {}: is one of the folders being merged; choose a new folder",
                out_path.display()
            );
        }
    }
    // every run must have finished in its shard
    for (pos, part) in source.iter().enumerate() {
        let folder = exp.folder(all[pos].0, all[pos].1);
        let part = part.ok_or_else(|| anyhow!("internal: no source"))?;
        if !part.dir.join(&folder).join("summary.json").exists() {
            input_bail!(
                "--merge {}: run {folder} did not finish there (no summary.json); run that shard again",
                part.dir.display()
            );
        }
    }
    let quiet = args.train.output.quiet || args.train.output.json;
    let mut out = OutDir::prepare(&out_path, args.train.output.force, "compare")?;
    remove_empty_dirs(&out.join("runs"));
    let mut records = Vec::with_capacity(all.len());
    for (pos, &(a, seed)) in all.iter().enumerate() {
        let folder = exp.folder(a, seed);
        let part = source[pos].ok_or_else(|| anyhow!("internal: no source"))?;
        copy_run(&part.dir.join(&folder), &out.join(&folder))?;
        adopt_run(&mut out, &folder)?;
        records.push(report::read_run(&out.join(&folder), a, seed)?);
    }
    let table = write_report(&mut out, &exp, None, &records, args)?;
    let dirs: Vec<PathBuf> = parts.iter().map(|p| p.dir.clone()).collect();
    write_timing(&mut out, started, &exp, &records, None, &dirs)?;
    if !quiet {
        print_stdout(&format!(
            "{table}merged {} folder{} into {}: results.csv, report.md, summary.json, val.svg, loss.svg, lr.svg, timing.json, runs/\n",
            parts.len(),
            if parts.len() == 1 { "" } else { "s" },
            out.path().display()
        ))?;
    }
    let ends: Vec<RunEnd> = records
        .iter()
        .map(|r| match r.status {
            Status::Diverged => RunEnd::Diverged,
            _ => RunEnd::Finished,
        })
        .collect();
    finish(&exp, &records, &ends, out.path())
}

fn absolute(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
}

/// Copy a run folder: the files its manifest lists, and the manifest.
fn copy_run(from: &Path, to: &Path) -> anyhow::Result<()> {
    let manifest = from.join(crate::output::MANIFEST);
    let text = fs::read_to_string(&manifest)
        .map_err(|e| input_err!("{}: cannot read: {e}", manifest.display()))?;
    let files: Vec<String> = serde_json::from_str::<Value>(&text)
        .map_err(|e| input_err!("{}: {e}", manifest.display()))?["files"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.as_str().map(String::from))
        .filter(|f| !f.split('/').any(|c| c == ".." || c.is_empty()))
        .collect();
    for f in files
        .iter()
        .chain(std::iter::once(&crate::output::MANIFEST.to_string()))
    {
        let src = from.join(f);
        if !src.is_file() {
            continue;
        }
        let dst = to.join(f);
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::copy(&src, &dst)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Setting {
        Setting::Value(s.into())
    }

    #[test]
    fn arms_parse_with_lists_switches_and_commands() {
        let arms = parse_arms(
            "constant:lr=0.01; triangular2:min-lr=0.001,lr=0.006 ;wide:schedule=sgdr,hidden=128,64,nesterov,t0=2;snap:command=snapshot-ensemble,cycles=5;",
            "",
        )
        .unwrap();
        assert_eq!(arms.len(), 4);
        assert_eq!(arms[0].name, "constant");
        assert_eq!(arms[0].settings, vec![("lr".into(), v("0.01"))]);
        assert_eq!(
            arms[2].settings,
            vec![
                ("schedule".into(), v("sgdr")),
                ("hidden".into(), v("128,64")),
                ("nesterov".into(), Setting::On),
                ("t0".into(), v("2")),
            ]
        );
        assert_eq!(arms[3].command, "snapshot-ensemble");
        assert_eq!(
            arms[3].overrides(),
            vec!["command=snapshot-ensemble", "cycles=5"]
        );
        let off = parse_arms("a:nesterov=false", "").unwrap();
        assert_eq!(off[0].settings, vec![("nesterov".into(), Setting::Off)]);
    }

    #[test]
    fn arm_errors_name_the_arm() {
        for (spec, want) in [
            (
                "sgdr:t00=2",
                "arm \"sgdr\": unknown key \"t00\" for lrtool train (did you mean \"t0\"?)",
            ),
            ("sgdr:seed=3", "arm \"sgdr\": key \"seed\""),
            (
                "x:out=dir",
                "arm \"x\": key \"out\" is set for the whole comparison",
            ),
            (
                "x:nesterov=maybe",
                "arm \"x\": key \"nesterov\" is a switch",
            ),
            ("x:lr", "arm \"x\": key \"lr\" needs a value"),
            ("x:lr=1,lr=2", "arm \"x\": key \"lr\" is given twice"),
            ("a/b:lr=1", "arm \"a/b\": an arm name becomes a folder name"),
            ("x:command=find-lr", "arm \"x\": command=\"find-lr\""),
            (
                "x:keep=3",
                "arm \"x\": unknown key \"keep\" for lrtool train",
            ),
            ("x:=3", "arm \"x\": \"=3\" has no key"),
        ] {
            let err = parse_arms(spec, "--arms: ").unwrap_err();
            assert!(is_input_error(&err), "{spec}");
            let text = err.to_string();
            assert!(text.starts_with("--arms: "), "{text}");
            assert!(
                text.contains(want),
                "{spec}: {text:?} should contain {want:?}"
            );
        }
    }

    #[test]
    fn flag_sets_replace_in_place_and_drop() {
        let mut f = FlagSet::default();
        f.apply_all(&[
            ("lr".into(), v("0.1")),
            ("nesterov".into(), Setting::On),
            ("epochs".into(), v("3")),
        ]);
        f.apply_all(&[("lr".into(), v("0.2")), ("nesterov".into(), Setting::Off)]);
        assert_eq!(f.words(), vec!["--lr=0.2", "--epochs=3"]);
    }

    #[test]
    fn seeds_and_shards() {
        assert_eq!(parse_seeds("3", 5).unwrap(), vec![5, 6, 7]);
        assert_eq!(parse_seeds("0,3,7", 5).unwrap(), vec![0, 3, 7]);
        assert_eq!(parse_seeds("9,", 0).unwrap(), vec![9]);
        assert!(parse_seeds("0", 0).is_err());
        assert!(parse_seeds("1,1", 0).is_err());
        assert!(parse_seeds("x", 0).is_err());
        assert_eq!(parse_shard("1/2").unwrap(), (1, 2));
        assert!(parse_shard("2/2").is_err());
        assert!(parse_shard("0/0").is_err());
        assert!(parse_shard("1").is_err());
    }
}

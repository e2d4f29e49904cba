//! The report of `lrtool compare`, built only from the experiment plan and the run folders, so
//! that shards joined by `--merge` give the same bytes as one unsharded run: `results.csv` (one
//! row per arm × seed), `report.md` (per arm mean ± std over seeds), `summary.json` (all of it,
//! for scripts) and overlay plots (`val.svg`, `loss.svg`, `lr.svg`: one colour per arm, the
//! median over seeds with faint min and max lines). Wall times go only into `results.csv`'s last
//! column and `timing.json`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::input_err;
use crate::report::plot::{Panel, Scale, Series, Style, render_svg_styled};

/// What an experiment is: everything that decides its runs and its report. Shards of one
/// experiment carry equal plans; `--merge` checks that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub lrtool_version: String,
    /// Free text from the experiment file's `"description"`.
    pub description: Option<String>,
    /// The flags every arm starts from, `--name=value` or `--name`.
    pub shared: Vec<String>,
    pub arms: Vec<ArmInfo>,
    pub seeds: Vec<u64>,
    pub target: Option<Target>,
    /// `acc` (classification) or `r2` (regression).
    pub metric: String,
}

/// One arm of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmInfo {
    pub name: String,
    /// `train` or `snapshot-ensemble`.
    pub command: String,
    /// The arm's own settings as given (`key=value`, `key` for a switch, `key=false` to drop a
    /// shared switch), in `--arms` syntax.
    pub overrides: Vec<String>,
    /// The effective flags: shared ones with the arm's applied (seed and output not included).
    pub flags: Vec<String>,
    /// The schedule as built for the first seed.
    pub schedule: String,
    pub steps_per_epoch: usize,
    pub epochs: usize,
}

/// Where "reached" is: validation accuracy (R²) at least `value`, or validation loss at most it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// `acc` (the metric, R² for regression) or `loss`.
    pub kind: TargetKind,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Acc,
    Loss,
}

impl Experiment {
    /// The (arm, seed) runs in report order: arms as given, seeds as given within each arm.
    pub fn runs(&self) -> Vec<(usize, u64)> {
        (0..self.arms.len())
            .flat_map(|a| self.seeds.iter().map(move |&s| (a, s)))
            .collect()
    }

    /// Folder of a run below the output folder.
    pub fn folder(&self, arm: usize, seed: u64) -> String {
        format!("runs/{}-seed{seed}", self.arms[arm].name)
    }

    /// The target in words, like `val_acc ≥ 0.95`.
    pub fn target_text(&self) -> Option<String> {
        self.target.map(|t| match t.kind {
            TargetKind::Acc => format!("val_{} ≥ {}", self.metric, t.value),
            TargetKind::Loss => format!("val_loss ≤ {}", t.value),
        })
    }

    /// A command line that runs this experiment again without a config file.
    pub fn command_line(&self) -> String {
        let mut parts = vec!["lrtool compare".to_string()];
        parts.extend(self.shared.iter().map(|f| shell_word(f)));
        let arms: Vec<String> = self
            .arms
            .iter()
            .map(|a| {
                if a.overrides.is_empty() {
                    a.name.clone()
                } else {
                    format!("{}:{}", a.name, a.overrides.join(","))
                }
            })
            .collect();
        parts.push(format!("--arms {}", shell_word(&arms.join(";"))));
        parts.push(format!(
            "--seeds {}",
            self.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",")
                + if self.seeds.len() == 1 { "," } else { "" }
        ));
        if let Some(t) = self.target {
            let flag = match t.kind {
                TargetKind::Acc => "--target-acc",
                TargetKind::Loss => "--target-loss",
            };
            parts.push(format!("{flag} {}", t.value));
        }
        parts.join(" ")
    }
}

/// `word` quoted for a POSIX shell when it holds anything but safe characters.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=.,/:+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Completed,
    Stopped,
    Diverged,
    Interrupted,
    /// The run failed for another reason (an I/O error, a bad flag found only while running).
    Failed,
    /// Not started (the comparison was interrupted first).
    NotRun,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Stopped => "stopped",
            Status::Diverged => "diverged",
            Status::Interrupted => "interrupted",
            Status::Failed => "failed",
            Status::NotRun => "not run",
        }
    }

    fn from_name(name: &str) -> Option<Status> {
        Some(match name {
            "completed" => Status::Completed,
            "stopped" => Status::Stopped,
            "diverged" => Status::Diverged,
            "interrupted" => Status::Interrupted,
            _ => return None,
        })
    }
}

/// One row of a run's `epochs.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRow {
    pub epoch: usize,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub val_metric: Option<f64>,
}

/// One row of a run's `steps.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRow {
    pub lr: f64,
    pub momentum: f64,
    pub loss: f64,
}

/// The snapshot ensemble of all kept snapshots (snapshot-ensemble arms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnsembleRow {
    pub size: u64,
    pub val_loss: f64,
    pub val_metric: f64,
}

/// Everything the report needs about one run, read back from its folder.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub arm: usize,
    pub seed: u64,
    pub status: Status,
    /// Why a failed run failed.
    pub error: Option<String>,
    pub diverged_step: Option<u64>,
    pub steps: u64,
    pub steps_per_epoch: usize,
    pub epochs: Vec<EpochRow>,
    pub step_rows: Vec<StepRow>,
    pub ensemble: Option<EnsembleRow>,
    pub wall_seconds: Option<f64>,
}

impl RunRecord {
    /// A run with no folder to read: failed or never started.
    pub fn missing(arm: usize, seed: u64, status: Status, error: Option<String>) -> RunRecord {
        RunRecord {
            arm,
            seed,
            status,
            error,
            diverged_step: None,
            steps: 0,
            steps_per_epoch: 1,
            epochs: Vec::new(),
            step_rows: Vec::new(),
            ensemble: None,
            wall_seconds: None,
        }
    }

    pub fn last(&self) -> Option<&EpochRow> {
        self.epochs.last()
    }

    /// The epoch with the highest validation metric (the first of equals).
    pub fn best_metric(&self) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for e in &self.epochs {
            if let Some(m) = e.val_metric.filter(|m| m.is_finite())
                && best.is_none_or(|(_, b)| m > b)
            {
                best = Some((e.epoch, m));
            }
        }
        best
    }

    /// The epoch with the lowest validation loss (the first of equals).
    pub fn min_loss(&self) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for e in &self.epochs {
            if let Some(l) = e.val_loss.filter(|l| l.is_finite())
                && best.is_none_or(|(_, b)| l < b)
            {
                best = Some((e.epoch, l));
            }
        }
        best
    }

    /// The first epoch whose validation result meets `target`, and the steps done by its end.
    pub fn reached(&self, target: Option<Target>) -> Option<(usize, u64)> {
        let t = target?;
        self.epochs
            .iter()
            .find(|e| match t.kind {
                TargetKind::Acc => e.val_metric.is_some_and(|m| m >= t.value),
                TargetKind::Loss => e.val_loss.is_some_and(|l| l <= t.value),
            })
            .map(|e| (e.epoch, (e.epoch * self.steps_per_epoch) as u64))
    }

    pub fn finished(&self) -> bool {
        matches!(self.status, Status::Completed | Status::Stopped)
    }
}

/// Read a run folder (`summary.json`, `epochs.csv`, `steps.csv`, `timing.json`) written by
/// `lrtool train` or `lrtool snapshot-ensemble`. Errors name the file and are input errors.
pub fn read_run(dir: &Path, arm: usize, seed: u64) -> anyhow::Result<RunRecord> {
    let file = |name: &str| dir.join(name);
    let read = |name: &str| -> anyhow::Result<String> {
        fs::read_to_string(file(name))
            .map_err(|e| input_err!("{}: cannot read: {e}", file(name).display()))
    };
    let summary: Value = serde_json::from_str(&read("summary.json")?)
        .map_err(|e| input_err!("{}: {e}", file("summary.json").display()))?;
    let bad = |what: &str| input_err!("{}: {what}", file("summary.json").display());
    let end = &summary["result"]["end"];
    let status = end["status"]
        .as_str()
        .and_then(Status::from_name)
        .ok_or_else(|| bad("no result.end.status"))?;
    let steps = summary["result"]["steps"]
        .as_u64()
        .ok_or_else(|| bad("no result.steps"))?;
    let steps_per_epoch = summary["steps_per_epoch"]
        .as_u64()
        .filter(|&s| s > 0)
        .ok_or_else(|| bad("no steps_per_epoch"))? as usize;
    let metric = if summary["dataset"]["task"] == "regress" {
        "r2"
    } else {
        "acc"
    };
    let ensemble = summary["result"]["ensembles"]
        .as_array()
        .and_then(|e| e.last())
        .map(|e| -> anyhow::Result<EnsembleRow> {
            Ok(EnsembleRow {
                size: e["m"]
                    .as_u64()
                    .ok_or_else(|| bad("an ensemble without m"))?,
                val_loss: e["val_loss"]
                    .as_f64()
                    .ok_or_else(|| bad("an ensemble without val_loss"))?,
                val_metric: e[format!("val_{metric}")]
                    .as_f64()
                    .ok_or_else(|| bad("an ensemble without its metric"))?,
            })
        })
        .transpose()?;

    let epochs_path = file("epochs.csv");
    let epochs = parse_csv(&read("epochs.csv")?, &epochs_path, 6, |f| {
        Ok(EpochRow {
            epoch: f[0].parse()?,
            train_loss: f[2].parse()?,
            val_loss: optional(f[4])?,
            val_metric: optional(f[5])?,
        })
    })?;
    let steps_path = file("steps.csv");
    let step_rows = parse_csv(&read("steps.csv")?, &steps_path, 5, |f| {
        Ok(StepRow {
            lr: f[2].parse()?,
            momentum: f[3].parse()?,
            loss: f[4].parse()?,
        })
    })?;
    let wall_seconds = fs::read_to_string(file("timing.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|t| t["total_seconds"].as_f64());
    Ok(RunRecord {
        arm,
        seed,
        status,
        error: None,
        diverged_step: (status == Status::Diverged)
            .then(|| end["step"].as_u64())
            .flatten(),
        steps,
        steps_per_epoch,
        epochs,
        step_rows,
        ensemble,
        wall_seconds,
    })
}

fn optional(cell: &str) -> anyhow::Result<Option<f64>> {
    Ok(if cell.is_empty() {
        None
    } else {
        Some(cell.parse()?)
    })
}

/// Rows of one of lrtool's own CSV logs (header first, no quoting), each parsed by `row`.
fn parse_csv<T>(
    text: &str,
    path: &Path,
    width: usize,
    row: impl Fn(&[&str]) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < width {
            return Err(input_err!(
                "{} line {}: expected {width} fields, found {}",
                path.display(),
                i + 1,
                fields.len()
            ));
        }
        out.push(row(&fields).map_err(|e| input_err!("{} line {}: {e}", path.display(), i + 1))?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Statistics over seeds

/// Mean and sample standard deviation of the values that exist.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stat {
    pub n: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1); `None` below two values.
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Stat {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Stat {
        let v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        let n = v.len();
        if n == 0 {
            return Stat {
                n,
                mean: None,
                std: None,
                min: None,
                max: None,
            };
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        let std = (n > 1)
            .then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
        Stat {
            n,
            mean: Some(mean),
            std,
            min: v.iter().copied().reduce(f64::min),
            max: v.iter().copied().reduce(f64::max),
        }
    }

    /// `mean ± std` with `digits` decimals ("–" when empty).
    fn text(&self, digits: usize) -> String {
        match (self.mean, self.std) {
            (Some(m), Some(s)) => format!("{m:.digits$} ± {s:.digits$}"),
            (Some(m), None) => format!("{m:.digits$}"),
            _ => "–".into(),
        }
    }
}

/// One arm's aggregate over its seeds.
#[derive(Debug, Clone, Serialize)]
pub struct ArmStats {
    pub name: String,
    pub runs: usize,
    pub finished: usize,
    pub diverged: usize,
    /// Statistics over the finished runs.
    pub final_val_loss: Stat,
    pub final_val_metric: Stat,
    /// This arm's final validation metric minus the first arm's, seed by seed (runs of a seed
    /// share initial weights and data order, so the pairing removes most seed-to-seed noise).
    pub final_val_metric_vs_first: Stat,
    pub best_val_metric: Stat,
    pub min_val_loss: Stat,
    pub ensemble_val_loss: Stat,
    pub ensemble_val_metric: Stat,
    /// This arm's ensemble metric minus the first arm's final metric, seed by seed.
    pub ensemble_val_metric_vs_first: Stat,
    /// Over the runs that reached the target (diverged ones included, if they got there first).
    pub reached: usize,
    pub epochs_to_target: Stat,
    pub steps_to_target: Stat,
    /// Mean steps to target over the first arm's mean (both arms must have reached it).
    pub steps_ratio_vs_first: Option<f64>,
}

pub fn arm_stats(exp: &Experiment, records: &[RunRecord]) -> Vec<ArmStats> {
    // the first arm's final metric per seed, for the paired differences
    let first_final: Vec<(u64, f64)> = records
        .iter()
        .filter(|r| r.arm == 0 && r.finished())
        .filter_map(|r| Some((r.seed, r.last()?.val_metric?)))
        .collect();
    let paired = |runs: &[&RunRecord], value: fn(&RunRecord) -> Option<f64>| {
        Stat::of(runs.iter().filter_map(|r| {
            let base = first_final.iter().find(|(s, _)| *s == r.seed)?.1;
            Some(value(r)? - base)
        }))
    };
    let mut stats: Vec<ArmStats> = exp
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let mine: Vec<&RunRecord> = records.iter().filter(|r| r.arm == a).collect();
            let done: Vec<&RunRecord> = mine.iter().copied().filter(|r| r.finished()).collect();
            let reached: Vec<(usize, u64)> =
                mine.iter().filter_map(|r| r.reached(exp.target)).collect();
            ArmStats {
                name: arm.name.clone(),
                runs: mine.len(),
                finished: done.len(),
                diverged: mine.iter().filter(|r| r.status == Status::Diverged).count(),
                final_val_loss: Stat::of(done.iter().filter_map(|r| r.last()?.val_loss)),
                final_val_metric: Stat::of(done.iter().filter_map(|r| r.last()?.val_metric)),
                final_val_metric_vs_first: paired(&done, |r| r.last()?.val_metric),
                best_val_metric: Stat::of(done.iter().filter_map(|r| Some(r.best_metric()?.1))),
                min_val_loss: Stat::of(done.iter().filter_map(|r| Some(r.min_loss()?.1))),
                ensemble_val_loss: Stat::of(done.iter().filter_map(|r| Some(r.ensemble?.val_loss))),
                ensemble_val_metric: Stat::of(
                    done.iter().filter_map(|r| Some(r.ensemble?.val_metric)),
                ),
                ensemble_val_metric_vs_first: paired(&done, |r| Some(r.ensemble?.val_metric)),
                reached: reached.len(),
                epochs_to_target: Stat::of(reached.iter().map(|r| r.0 as f64)),
                steps_to_target: Stat::of(reached.iter().map(|r| r.1 as f64)),
                steps_ratio_vs_first: None,
            }
        })
        .collect();
    let first = stats.first().and_then(|s| s.steps_to_target.mean);
    for s in &mut stats {
        s.steps_ratio_vs_first = match (s.steps_to_target.mean, first) {
            (Some(m), Some(f)) if f > 0.0 => Some(m / f),
            _ => None,
        };
    }
    stats
}

fn has_ensembles(exp: &Experiment) -> bool {
    exp.arms.iter().any(|a| a.command == "snapshot-ensemble")
}

// ---------------------------------------------------------------------------------------------
// results.csv

fn cell(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

fn cell_u<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One row per arm × seed, wall time in the last column.
pub fn results_csv(exp: &Experiment, records: &[RunRecord]) -> String {
    let m = &exp.metric;
    let ens = has_ensembles(exp);
    let mut text = format!(
        "arm,seed,status,diverged,diverged_step,epochs,steps,final_train_loss,final_val_loss,final_val_{m},best_val_{m},best_val_{m}_epoch,min_val_loss,min_val_loss_epoch"
    );
    if ens {
        let _ = write!(text, ",ensemble_size,ensemble_val_loss,ensemble_val_{m}");
    }
    text.push_str(",epochs_to_target,steps_to_target,wall_seconds\n");
    for r in records {
        let last = r.last();
        let best = r.best_metric();
        let min = r.min_loss();
        let reached = r.reached(exp.target);
        let _ = write!(
            text,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            exp.arms[r.arm].name,
            r.seed,
            r.status.name(),
            if r.status == Status::Diverged {
                "yes"
            } else {
                "no"
            },
            cell_u(r.diverged_step),
            r.epochs.len(),
            r.steps,
            cell(last.map(|e| e.train_loss)),
            cell(last.and_then(|e| e.val_loss)),
            cell(last.and_then(|e| e.val_metric)),
            cell(best.map(|b| b.1)),
            cell_u(best.map(|b| b.0)),
            cell(min.map(|b| b.1)),
            cell_u(min.map(|b| b.0)),
        );
        if ens {
            let e = r.ensemble;
            let _ = write!(
                text,
                ",{},{},{}",
                cell_u(e.map(|e| e.size)),
                cell(e.map(|e| e.val_loss)),
                cell(e.map(|e| e.val_metric))
            );
        }
        let _ = writeln!(
            text,
            ",{},{},{}",
            cell_u(reached.map(|r| r.0)),
            cell_u(reached.map(|r| r.1)),
            r.wall_seconds
                .map(|s| format!("{s:.3}"))
                .unwrap_or_default()
        );
    }
    text
}

// ---------------------------------------------------------------------------------------------
// report.md

/// A paired difference: `+0.0012 ± 0.0030`, or "–".
fn signed(s: &Stat) -> String {
    match (s.mean, s.std) {
        (Some(m), Some(d)) => format!("{m:+.4} ± {d:.4}"),
        (Some(m), None) => format!("{m:+.4}"),
        _ => "–".into(),
    }
}

/// The per-arm table (Markdown), also printed by `lrtool compare`.
pub fn arm_table(exp: &Experiment, stats: &[ArmStats]) -> String {
    let m = &exp.metric;
    let ens = has_ensembles(exp);
    let first = exp.arms.first().map_or("", |a| a.name.as_str());
    let mut head = vec![
        "arm".to_string(),
        "runs".into(),
        "diverged".into(),
        format!("final val_{m}"),
        format!("Δ vs {first}"),
        format!("best val_{m}"),
        "final val_loss".into(),
    ];
    if ens {
        head.push(format!("ensemble val_{m}"));
        head.push(format!("Δ vs {first}"));
        head.push("ensemble val_loss".into());
    }
    if exp.target.is_some() {
        head.extend([
            "reached".into(),
            "epochs to target".into(),
            "steps to target".into(),
            format!("steps vs {first}"),
        ]);
    }
    let mut text = format!("| {} |\n|", head.join(" | "));
    text.push_str(&"---|".repeat(head.len()));
    text.push('\n');
    for (i, s) in stats.iter().enumerate() {
        let mut row = vec![
            format!("`{}`", s.name),
            s.runs.to_string(),
            s.diverged.to_string(),
            s.final_val_metric.text(4),
            if i == 0 {
                "(reference)".into()
            } else {
                signed(&s.final_val_metric_vs_first)
            },
            s.best_val_metric.text(4),
            s.final_val_loss.text(4),
        ];
        if ens {
            row.push(s.ensemble_val_metric.text(4));
            row.push(signed(&s.ensemble_val_metric_vs_first));
            row.push(s.ensemble_val_loss.text(4));
        }
        if exp.target.is_some() {
            row.push(format!("{}/{}", s.reached, s.runs));
            row.push(s.epochs_to_target.text(1));
            row.push(s.steps_to_target.text(0));
            row.push(
                s.steps_ratio_vs_first
                    .map_or("–".into(), |r| format!("{r:.2}")),
            );
        }
        let _ = writeln!(text, "| {} |", row.join(" | "));
    }
    text
}

pub fn report_md(exp: &Experiment, records: &[RunRecord], stats: &[ArmStats]) -> String {
    let m = &exp.metric;
    let mut text = String::from("# lrtool compare\n\n");
    if let Some(d) = &exp.description {
        let _ = writeln!(text, "{d}\n");
    }
    let _ = writeln!(
        text,
        "{} arms × {} seeds ({}); shared flags: `{}`.",
        exp.arms.len(),
        exp.seeds.len(),
        exp.seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        if exp.shared.is_empty() {
            "(none)".to_string()
        } else {
            exp.shared.join(" ")
        }
    );
    match exp.target_text() {
        Some(t) => {
            let _ = writeln!(
                text,
                "Target: {t}, checked after every epoch; steps to target = epochs × steps per epoch."
            );
        }
        None => text.push_str("No target set (`--target-acc` or `--target-loss`).\n"),
    }
    let _ = writeln!(
        text,
        "\nMean ± sample standard deviation over the seeds; final and best values over the runs \
         that finished (diverged runs are counted, not averaged); Δ: the arm's final (or \
         ensemble) value minus the first arm's final value of the same seed, averaged over seeds \
         (runs of a seed share initial weights and data order); steps to target over the runs \
         that reached it, and their mean over the first arm's.\n"
    );
    text.push_str(&arm_table(exp, stats));
    text.push_str("\n## Arms\n\n| arm | command | schedule (first seed) | epochs × steps | flags added to the shared ones |\n|---|---|---|---|---|\n");
    for a in &exp.arms {
        let _ = writeln!(
            text,
            "| `{}` | {} | {} | {} × {} | `{}` |",
            a.name,
            a.command,
            a.schedule.replace('|', "\\|"),
            a.epochs,
            a.steps_per_epoch,
            if a.overrides.is_empty() {
                "(none)".to_string()
            } else {
                a.overrides.join(",")
            }
        );
    }
    let problems: Vec<&RunRecord> = records.iter().filter(|r| !r.finished()).collect();
    if !problems.is_empty() {
        text.push_str("\n## Runs that did not finish\n\n");
        for r in problems {
            let mut line = format!(
                "- `{}` seed {}: {}",
                exp.arms[r.arm].name,
                r.seed,
                r.status.name()
            );
            if let Some(step) = r.diverged_step {
                let _ = write!(line, " at step {step}");
            }
            if let Some(e) = &r.error {
                let _ = write!(line, ": {e}");
            }
            let _ = writeln!(text, "{line}");
        }
    }
    let _ = writeln!(
        text,
        "\n## Files\n\n`results.csv` (one row per arm × seed; wall time in the last column), \
         `summary.json` (everything here, for scripts), `val.svg` (validation {q} and loss per \
         epoch), `loss.svg` (training loss per step), `lr.svg` (the schedules), `runs/<arm>-seed<k>/` \
         (each run's own logs, weights and plots), `timing.json` (wall times).\n\n\
         Run again with:\n\n    {}",
        exp.command_line(),
        q = if m == "acc" { "accuracy" } else { "R²" },
    );
    text
}

// ---------------------------------------------------------------------------------------------
// summary.json

pub fn summary_json(
    exp: &Experiment,
    shard: Option<(usize, usize)>,
    records: &[RunRecord],
    stats: &[ArmStats],
    files: &[&str],
) -> Value {
    let m = &exp.metric;
    let runs: Vec<Value> = records
        .iter()
        .map(|r| {
            let last = r.last();
            let best = r.best_metric();
            let min = r.min_loss();
            let reached = r.reached(exp.target);
            json!({
                "arm": exp.arms[r.arm].name,
                "seed": r.seed,
                "folder": exp.folder(r.arm, r.seed),
                "status": r.status.name(),
                "error": r.error,
                "diverged": r.status == Status::Diverged,
                "diverged_step": r.diverged_step,
                "epochs": r.epochs.len(),
                "steps": r.steps,
                "final": last.map(|e| json!({
                    "epoch": e.epoch,
                    "train_loss": e.train_loss,
                    "val_loss": e.val_loss,
                    format!("val_{m}"): e.val_metric,
                })),
                format!("best_val_{m}"): best.map(|b| json!({"epoch": b.0, "value": b.1})),
                "min_val_loss": min.map(|b| json!({"epoch": b.0, "value": b.1})),
                "ensemble": r.ensemble.map(|e| json!({
                    "size": e.size,
                    "val_loss": e.val_loss,
                    format!("val_{m}"): e.val_metric,
                })),
                "target": reached.map(|t| json!({"epoch": t.0, "step": t.1})),
                "per_epoch": {
                    "val_loss": r.epochs.iter().map(|e| e.val_loss).collect::<Vec<_>>(),
                    format!("val_{m}"): r.epochs.iter().map(|e| e.val_metric).collect::<Vec<_>>(),
                    "train_loss": r.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    json!({
        "lrtool_version": env!("CARGO_PKG_VERSION"),
        "command": "compare",
        "experiment": exp,
        "shard": shard.map(|(i, n)| json!({"index": i, "count": n})),
        "target": exp.target_text(),
        "arms": stats,
        "runs": runs,
        "files": files,
    })
}

// ---------------------------------------------------------------------------------------------
// Plots

/// Median of the finite values (mean of the middle two for an even count).
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some(values[n / 2 - 1] / 2.0 + values[n / 2] / 2.0),
    }
}

/// Per x (index into each curve), the median, min and max over the curves that reach it.
fn envelope(curves: &[Vec<f64>], xs: impl Fn(usize) -> f64, stride: usize) -> [Vec<(f64, f64)>; 3] {
    let len = curves.iter().map(Vec::len).max().unwrap_or(0);
    let mut med = Vec::new();
    let mut lo = Vec::new();
    let mut hi = Vec::new();
    let stride = stride.max(1);
    let mut i = 0;
    while i < len {
        let mut v: Vec<f64> = curves
            .iter()
            .filter_map(|c| c.get(i).copied())
            .filter(|x| x.is_finite())
            .collect();
        if let Some(m) = median(&mut v) {
            let x = xs(i);
            med.push((x, m));
            lo.push((x, v[0]));
            hi.push((x, v[v.len() - 1]));
        }
        // always include the last point
        i = if i + 1 < len && i + stride >= len {
            len - 1
        } else {
            i + stride
        };
    }
    [med, lo, hi]
}

/// One arm's curve over its seeds: name, [median, min, max] points, number of runs.
type ArmCurve = (String, [Vec<(f64, f64)>; 3], usize);

/// Median lines (labelled, one colour per arm) over faint min/max lines of the same colour.
fn banded_panel(
    title: &str,
    x_label: &str,
    y_label: &str,
    y_scale: Scale,
    per_arm: &[ArmCurve],
    extra: Vec<(Series, Style)>,
) -> (Panel, Vec<Style>) {
    let mut series = Vec::new();
    let mut styles = Vec::new();
    for (a, (_, [_, lo, hi], runs)) in per_arm.iter().enumerate() {
        if *runs > 1 {
            let mut points = lo.clone();
            points.push((f64::NAN, f64::NAN));
            points.extend(hi);
            series.push(Series {
                label: String::new(),
                points,
            });
            styles.push(Style {
                colour: a,
                faint: true,
            });
        } else {
            series.push(Series::default());
            styles.push(Style::default());
        }
    }
    for (a, (name, [med, _, _], runs)) in per_arm.iter().enumerate() {
        series.push(Series {
            label: if *runs > 1 {
                format!("{name} (median of {runs})")
            } else {
                name.clone()
            },
            points: med.clone(),
        });
        styles.push(Style {
            colour: a,
            faint: false,
        });
    }
    for (s, st) in extra {
        series.push(s);
        styles.push(st);
    }
    (
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            y_scale,
            series,
            markers: vec![],
            y_range: None,
        },
        styles,
    )
}

fn arm_runs(records: &[RunRecord], arm: usize) -> Vec<&RunRecord> {
    records
        .iter()
        .filter(|r| r.arm == arm && (!r.epochs.is_empty() || !r.step_rows.is_empty()))
        .collect()
}

/// Validation quality and loss per epoch.
pub fn val_svg(exp: &Experiment, records: &[RunRecord]) -> anyhow::Result<String> {
    let quality = if exp.metric == "acc" {
        "accuracy"
    } else {
        "R²"
    };
    let mut metric_arms = Vec::new();
    let mut loss_arms = Vec::new();
    for (a, arm) in exp.arms.iter().enumerate() {
        let runs = arm_runs(records, a);
        let metric: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| {
                r.epochs
                    .iter()
                    .map(|e| e.val_metric.unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        let loss: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| {
                r.epochs
                    .iter()
                    .map(|e| e.val_loss.unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        let x = |i: usize| (i + 1) as f64;
        metric_arms.push((arm.name.clone(), envelope(&metric, x, 1), runs.len()));
        loss_arms.push((arm.name.clone(), envelope(&loss, x, 1), runs.len()));
    }
    let mut extra = Vec::new();
    let max_epochs = exp.arms.iter().map(|a| a.epochs).max().unwrap_or(1) as f64;
    let target_series = |value: f64| {
        (
            Series {
                label: format!("target {value}"),
                points: vec![(1.0, value), (max_epochs, value)],
            },
            Style {
                colour: exp.arms.len(),
                faint: false,
            },
        )
    };
    let mut loss_extra = Vec::new();
    match exp.target {
        Some(Target {
            kind: TargetKind::Acc,
            value,
        }) => extra.push(target_series(value)),
        Some(Target {
            kind: TargetKind::Loss,
            value,
        }) => loss_extra.push(target_series(value)),
        None => {}
    }
    let bands = if exp.seeds.len() > 1 {
        " (median over seeds; faint: min and max)"
    } else {
        ""
    };
    let (p1, s1) = banded_panel(
        &format!("Validation {quality} per epoch{bands}"),
        "epoch",
        &format!("val_{}", exp.metric),
        Scale::Linear,
        &metric_arms,
        extra,
    );
    let (p2, s2) = banded_panel(
        &format!("Validation loss per epoch{bands}"),
        "epoch",
        "val_loss",
        Scale::Log10,
        &loss_arms,
        loss_extra,
    );
    render_svg_styled(&[p1, p2], &[s1, s2], 900, 360)
}

/// Training loss per step: each run's mini-batch loss averaged over the last epoch's steps.
pub fn loss_svg(exp: &Experiment, records: &[RunRecord]) -> anyhow::Result<String> {
    let mut arms = Vec::new();
    let max_steps = records.iter().map(|r| r.step_rows.len()).max().unwrap_or(0);
    let stride = max_steps.div_ceil(600).max(1);
    for (a, arm) in exp.arms.iter().enumerate() {
        let runs = arm_runs(records, a);
        let curves: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| trailing_mean(&r.step_rows, r.steps_per_epoch))
            .collect();
        arms.push((
            arm.name.clone(),
            envelope(&curves, |i| i as f64, stride),
            runs.len(),
        ));
    }
    let bands = if exp.seeds.len() > 1 {
        "; median over seeds, faint: min and max"
    } else {
        ""
    };
    let (p, s) = banded_panel(
        &format!("Training loss (mean over the last epoch's mini-batches{bands})"),
        "step",
        "loss",
        Scale::Log10,
        &arms,
        Vec::new(),
    );
    render_svg_styled(&[p], &[s], 900, 420)
}

/// Mean of the last `window` losses at every step (fewer at the start).
fn trailing_mean(rows: &[StepRow], window: usize) -> Vec<f64> {
    let window = window.max(1);
    let mut out = Vec::with_capacity(rows.len());
    let mut sum = 0.0;
    for (i, r) in rows.iter().enumerate() {
        sum += r.loss;
        if i >= window {
            sum -= rows[i - window].loss;
        }
        out.push(sum / (i + 1).min(window) as f64);
    }
    out
}

/// The LR (and momentum, where an arm moves it) per step: one line per arm, from its longest run.
pub fn lr_svg(exp: &Experiment, records: &[RunRecord]) -> anyhow::Result<String> {
    let mut lr = Vec::new();
    let mut momentum = Vec::new();
    let mut moves = false;
    for (a, arm) in exp.arms.iter().enumerate() {
        let longest = arm_runs(records, a).into_iter().reduce(|best, r| {
            if r.step_rows.len() > best.step_rows.len() {
                r
            } else {
                best
            }
        });
        let rows: &[StepRow] = longest.map_or(&[], |r| &r.step_rows);
        let stride = rows.len().div_ceil(4000).max(1);
        let pick = |f: &dyn Fn(&StepRow) -> f64| -> Vec<(f64, f64)> {
            rows.iter()
                .enumerate()
                .filter(|(i, _)| i % stride == 0 || i + 1 == rows.len())
                .map(|(i, r)| (i as f64, f(r)))
                .collect()
        };
        if rows.iter().any(|r| r.momentum != rows[0].momentum) {
            moves = true;
        }
        lr.push(Series {
            label: arm.name.clone(),
            points: pick(&|r| r.lr),
        });
        momentum.push(Series {
            label: arm.name.clone(),
            points: pick(&|r| r.momentum),
        });
    }
    let styles: Vec<Style> = (0..exp.arms.len())
        .map(|a| Style {
            colour: a,
            faint: false,
        })
        .collect();
    let mut panels = vec![Panel {
        title: "Learning rate per step".into(),
        x_label: "step".into(),
        y_label: "lr".into(),
        series: lr,
        ..Panel::default()
    }];
    if moves {
        panels.push(Panel {
            title: "Momentum (SGD) or β1 (Adam) per step".into(),
            x_label: "step".into(),
            y_label: "momentum / β1".into(),
            series: momentum,
            ..Panel::default()
        });
    }
    let all_styles = vec![styles; panels.len()];
    render_svg_styled(&panels, &all_styles, 900, 320)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_median() {
        let s = Stat::of([1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(s.n, 3);
        assert_eq!(s.mean, Some(2.0));
        assert_eq!(s.std, Some(1.0));
        assert_eq!(Stat::of([5.0]).std, None);
        assert_eq!(Stat::of([]).text(2), "–");
        assert_eq!(Stat::of([1.0, 3.0]).text(1), "2.0 ± 1.4");
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn envelope_keeps_last_point_and_short_curves() {
        let curves = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![3.0, 4.0]];
        let [med, lo, hi] = envelope(&curves, |i| i as f64, 2);
        assert_eq!(med, vec![(0.0, 2.0), (2.0, 3.0), (4.0, 5.0)]);
        assert_eq!(lo[0], (0.0, 1.0));
        assert_eq!(hi[0], (0.0, 3.0));
    }

    #[test]
    fn trailing_mean_over_a_window() {
        let rows: Vec<StepRow> = [1.0, 3.0, 5.0, 7.0]
            .iter()
            .map(|&loss| StepRow {
                lr: 0.1,
                momentum: 0.0,
                loss,
            })
            .collect();
        assert_eq!(trailing_mean(&rows, 2), vec![1.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("--lr=0.1"), "--lr=0.1");
        assert_eq!(shell_word("a;b"), "'a;b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}

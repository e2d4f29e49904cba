//! One compared run read back from its folder: its typed `summary.json` (train or
//! snapshot-ensemble), its `epochs.csv` and `steps.csv` by column name, and its wall time.

use std::path::Path;

use serde_json::Value;

use super::{Target, TargetKind};
use crate::input_err;
use crate::report::logs::{EpochRow, StepRow, read_epochs, read_steps};
use crate::report::records::{EndStatus, RunSummary};

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

    /// The status of a run that ended on its own.
    fn from_end(end: &EndStatus) -> Status {
        match end {
            EndStatus::Completed => Status::Completed,
            EndStatus::Stopped { .. } => Status::Stopped,
            EndStatus::Diverged { .. } => Status::Diverged,
            EndStatus::Interrupted => Status::Interrupted,
        }
    }
}

/// The snapshot ensemble of all kept snapshots (snapshot-ensemble arms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnsembleRow {
    pub size: u64,
    pub val_loss: f64,
    pub val_metric: f64,
}

/// The file `lrtool compare --sharpness` writes in a run folder.
pub const SHARPNESS_FILE: &str = "sharpness.json";

/// A run's sharpness (`--sharpness`): the largest Hessian eigenvalue of the training loss and
/// ε-sharpness in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpnessRow {
    pub top_eigenvalue: f64,
    pub epsilon_sharpness: f64,
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
    /// The epoch whose weights the run wrote when it was not the last (`--restore-best`).
    pub restored_epoch: Option<usize>,
    /// Measured by `compare --sharpness` (the run's sharpness.json).
    pub sharpness: Option<SharpnessRow>,
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
            restored_epoch: None,
            sharpness: None,
        }
    }

    /// The "final" epoch: the one whose weights the run wrote — the last, or with
    /// `--restore-best` the best epoch by the monitored quantity.
    pub fn last(&self) -> Option<&EpochRow> {
        match self.restored_epoch {
            Some(k) => self.epochs.iter().find(|e| e.epoch == k),
            None => self.epochs.last(),
        }
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
    let summary_path = dir.join("summary.json");
    let bad = |what: &str| input_err!("{}: {what}", summary_path.display());
    let mut restored_epoch = None;
    let (end, steps, steps_per_epoch, task, ensemble) = match RunSummary::read(dir)? {
        RunSummary::Train(s) => {
            restored_epoch = s
                .result
                .early_stopping
                .as_ref()
                .filter(|e| e.restored_best)
                .and_then(|e| e.best_epoch)
                .map(|k| k as usize);
            (
                s.result.end,
                s.result.steps,
                s.steps_per_epoch,
                s.dataset.task,
                None,
            )
        }
        RunSummary::Snapshot(s) => {
            let ensemble = s
                .result
                .ensembles
                .last()
                .map(|e| -> anyhow::Result<EnsembleRow> {
                    Ok(EnsembleRow {
                        size: e.m,
                        val_loss: e
                            .val_loss
                            .ok_or_else(|| bad("an ensemble without val_loss"))?,
                        val_metric: e
                            .val_metric()
                            .ok_or_else(|| bad("an ensemble without its metric"))?,
                    })
                })
                .transpose()?;
            (
                s.result.end,
                s.result.steps,
                s.steps_per_epoch,
                s.dataset.task,
                ensemble,
            )
        }
        other => {
            return Err(bad(&format!(
                "a {} summary, not one of train or snapshot-ensemble",
                other.command()
            )));
        }
    };
    if steps_per_epoch == 0 {
        return Err(bad("steps_per_epoch is 0"));
    }
    let status = Status::from_end(&end);
    let epochs = read_epochs(&dir.join("epochs.csv"), task.metric())?;
    let step_rows = read_steps(&dir.join("steps.csv"))?;
    let timing = dir.join("timing.json");
    let wall_seconds = crate::limits::read_raw(&timing, "timing.json", crate::limits::Kind::Record)
        .ok()
        .and_then(|t| serde_json::from_slice::<Value>(&t).ok())
        .and_then(|t| t["total_seconds"].as_f64());
    let sharpness = read_sharpness(dir)?;
    Ok(RunRecord {
        arm,
        seed,
        status,
        error: None,
        diverged_step: match end {
            EndStatus::Diverged { step, .. } => Some(step),
            _ => None,
        },
        steps,
        steps_per_epoch: steps_per_epoch as usize,
        epochs,
        step_rows,
        ensemble,
        wall_seconds,
        restored_epoch,
        sharpness,
    })
}

/// The run's sharpness.json, when `compare --sharpness` wrote one.
fn read_sharpness(dir: &Path) -> anyhow::Result<Option<SharpnessRow>> {
    let path = dir.join(SHARPNESS_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = crate::limits::read_text(
        &path,
        &path.display().to_string(),
        crate::limits::Kind::Record,
    )?;
    let m: crate::landscape::sharpness::Sharpness =
        serde_json::from_str(&text).map_err(|e| input_err!("{}: {e}", path.display()))?;
    Ok(m.eigenvalues.first().map(|&top| SharpnessRow {
        top_eigenvalue: top,
        epsilon_sharpness: m.epsilon_sharpness,
    }))
}

//! The report of `lrtool compare`, built only from the experiment plan and the run folders, so
//! that shards joined by `--merge` give the same bytes as one unsharded run: `results.csv` (one
//! row per arm × seed), `report.md` (per arm mean ± std over seeds), `summary.json` (all of it,
//! for scripts) and overlay plots (`val.svg`, `loss.svg`, `lr.svg`: one colour per arm, the
//! median over seeds with faint min and max lines). Wall times go only into `results.csv`'s last
//! column and `timing.json`.

mod plots;
mod runs;
mod stats;
mod summary;
mod tables;

use crate::report::format::shell_word;
use serde::{Deserialize, Serialize};

pub use crate::report::logs::{EpochRow, StepRow};
pub use plots::{loss_svg, lr_svg, val_svg};
pub use runs::{EnsembleRow, RunRecord, SHARPNESS_FILE, SharpnessRow, Status, read_run};
pub use stats::{ArmStats, Stat, arm_stats};
pub use summary::{summary_json, summary_record};
pub use tables::{ARM_TABLE_NOTE, ArmTable, arm_table, arm_table_model, report_md, results_csv};

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

/// Whether any arm runs `snapshot-ensemble` (its results then have ensemble columns).
fn has_ensembles(exp: &Experiment) -> bool {
    exp.arms.iter().any(|a| a.command == "snapshot-ensemble")
}

#[cfg(test)]
mod tests {
    use crate::report::format::shell_word;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("--lr=0.1"), "--lr=0.1");
        assert_eq!(shell_word("a;b"), "'a;b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}

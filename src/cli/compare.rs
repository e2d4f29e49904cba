//! `lrtool compare` flags: train's flag groups (shared by every arm) and the comparison's own
//! options; which train flags were given on the command line (an arm's settings start from them).

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};

use super::TrainArgs;

/// `lrtool compare`: train's flag groups (shared by every arm) and the comparison's own options.
#[derive(Debug)]
pub struct CompareArgs {
    /// The shared flags as clap parsed them (the output group is the comparison's own).
    pub train: TrainArgs,
    pub compare: CompareOptions,
    /// The train flags given on the command line, in the order clap lists them.
    pub given: Vec<(String, Setting)>,
    /// `--seed` was given on the command line (it then beats the experiment file's "seed").
    pub seed_given: bool,
}

/// The comparison's own options.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Compare")]
pub struct CompareOptions {
    /// The arms, separated by `;`: `NAME:key=value,key=value`. NAME is a schedule (constant,
    /// sgdr, …) or any name with `schedule=NAME` among the keys; keys are long flags of `train`
    /// (`lr=0.01`, `min-lr=1e-3`, a switch alone: `nesterov`), or `command=snapshot-ensemble`
    /// for an arm run as `lrtool snapshot-ensemble` (its flags then apply: `cycles=5`, …).
    /// Replaces the arms of --config. Example: "constant:lr=0.01;triangular2:min-lr=0.001,lr=0.006;sgdr:t0=2,t-mult=2"
    #[arg(long, value_name = "ARMS", allow_hyphen_values = true)]
    pub arms: Option<String>,
    /// Seeds per arm: a count N runs --seed, --seed+1, …, --seed+N−1; a list like 0,3,7 (or
    /// `5,` for the one seed 5) runs those. Every arm runs every seed from the same initial
    /// weights and data order [default: 3, or the config's "seeds"].
    #[arg(long, value_name = "N|S1,S2,…")]
    pub seeds: Option<String>,
    /// Target validation accuracy (R² for regression): results report the epochs and steps
    /// each run took to reach it, and report.md their ratio against the first arm.
    #[arg(long, value_name = "ACC", conflicts_with = "target_loss")]
    pub target_acc: Option<f64>,
    /// Target validation loss, instead of --target-acc.
    #[arg(long, value_name = "LOSS")]
    pub target_loss: Option<f64>,
    /// Runs at once, each on one thread [default: all cores]. Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<i64>,
    /// Run only part I of N (0-based, I < N): the runs whose position in the (arm, seed) order
    /// is I modulo N. Each part writes its own folder [default --out: a new folder
    /// runs/compare-shard-I-of-N, then runs/compare-shard-I-of-N-2, …];
    /// `--merge` joins them.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Join the folders of `--shard` runs (or any compare folders of one experiment) into one
    /// report in --out, as one unsharded run would have written it. Takes no other flags but
    /// --out, --force, --quiet, --json and a new --target-acc or --target-loss (to read the same
    /// runs against another target).
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub merge: Vec<PathBuf>,
    /// Keep the runs of an earlier comparison of the same experiment in --out that finished
    /// (one killed or interrupted), and run only the rest; the result is the one an unbroken run
    /// writes. Without --out it goes on in the last default folder (runs/compare-N) that holds
    /// this experiment [default: off: an earlier comparison in --out is replaced].
    #[arg(long)]
    pub resume: bool,
    /// After the runs, measure each finished run's sharpness on its training split, as
    /// `lrtool landscape --sharpness` does with its defaults (the largest Hessian eigenvalue,
    /// ε-sharpness with ε = 1e-3), into the run's sharpness.json; results.csv, report.md and
    /// summary.json then show it [default: off].
    #[arg(long)]
    pub sharpness: bool,
}

/// One flag's setting from a config file, `--arms` or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// `--name=value`.
    Value(String),
    /// A switch given: `--name`.
    On,
    /// Drop an earlier setting (JSON null, or `switch=false`): the flag's default applies.
    Off,
}

impl FromArgMatches for CompareArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(CompareArgs {
            given: given_flags(m),
            seed_given: m.value_source("seed") == Some(ValueSource::CommandLine),
            train: TrainArgs::from_arg_matches(m)?,
            compare: CompareOptions::from_arg_matches(m)?,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = CompareArgs::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for CompareArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        CompareOptions::augment_args(TrainArgs::augment_args(cmd))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        CompareArgs::augment_args(cmd)
    }
}

/// Flags of `train` that belong to the whole comparison, not to an arm.
pub const COMPARISON_LEVEL: [&str; 7] = [
    "out",
    "force",
    "json",
    "quiet",
    "no-report",
    "config",
    "seed",
];

/// Keys of an experiment file besides train's flags.
pub const EXPERIMENT_KEYS: [&str; 5] =
    ["arms", "seeds", "target-acc", "target-loss", "description"];

/// Flags whose value is a comma-separated list (a config file may give a JSON list; in `--arms`
/// the commas after such a key continue its value).
pub const LIST_KEYS: [&str; 2] = ["hidden", "milestones"];

/// The commands an arm may run.
pub const ARM_COMMANDS: [&str; 2] = ["train", "snapshot-ensemble"];

/// The train flags clap saw on the command line (not the comparison-level ones).
fn given_flags(m: &ArgMatches) -> Vec<(String, Setting)> {
    let cmd = TrainArgs::augment_args(clap::Command::new("train"));
    let mut out = Vec::new();
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else {
            continue;
        };
        if COMPARISON_LEVEL.contains(&long) {
            continue;
        }
        let id = arg.get_id().as_str();
        if !matches!(m.try_contains_id(id), Ok(true))
            || m.value_source(id) != Some(ValueSource::CommandLine)
        {
            continue;
        }
        if arg.get_action().takes_values() {
            if let Some(v) = m.get_raw(id).and_then(|mut r| r.next_back()) {
                out.push((long.to_string(), Setting::Value(v.to_string_lossy().into())));
            }
        } else {
            out.push((long.to_string(), Setting::On));
        }
    }
    out
}

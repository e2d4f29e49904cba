//! Each arm parsed once into a typed run; one (arm, seed) run through the arm command's own
//! `plan`/`execute`, its end as the comparison sees it.

use std::ffi::OsString;
use std::path::Path;

use anyhow::anyhow;
use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};
use crate::commands::{snapshot_ensemble, train};
use crate::config::{RunSpec, SnapshotSpec};
use crate::data::Task;
use crate::error::{is_input_error, is_interrupted};
use crate::input_err;
use crate::report::compare::ArmInfo;
use crate::train::End;

/// The planned arm: its info for the report and its effective flags.
pub(super) struct ArmPlan {
    pub(super) info: ArmInfo,
    /// The arm's run, parsed and validated once; each seed changes only the seed and the folder.
    pub(super) run: ArmRun,
}

/// What one arm runs: a `train` or a `snapshot-ensemble` run, typed.
#[derive(Debug, Clone)]
pub(super) enum ArmRun {
    Train(RunSpec),
    Snapshot(SnapshotSpec),
}

impl ArmRun {
    pub(super) fn run_spec(&mut self) -> &mut RunSpec {
        match self {
            ArmRun::Train(s) => s,
            ArmRun::Snapshot(s) => &mut s.run,
        }
    }

    /// The arm's run for `seed` into `dir`: quiet, no report.html of its own (the comparison's
    /// covers the runs), one thread unless the arm's flags ask for more (runs go side by side).
    pub(super) fn for_seed(&self, seed: u64, dir: &Path, threads_given: bool) -> ArmRun {
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
pub(super) fn arm_argv(command: &str, flags: &FlagSet) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["lrtool".into(), command.into()];
    argv.extend(flags.words().into_iter().map(OsString::from));
    argv
}

/// clap's message as one line, without usage and help hints.
pub(super) fn clap_line(e: &clap::Error) -> String {
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
pub(super) fn plan_arm(
    spec: &ArmSpec,
    flags: FlagSet,
    seed: u64,
) -> anyhow::Result<(ArmPlan, Task)> {
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
pub(super) enum RunEnd {
    Finished,
    Diverged,
    Interrupted,
    Failed { message: String, input: bool },
    NotRun,
}

/// Run one (arm, seed) into `dir` through the arm command's own code path.
pub(super) fn run_one(arm: &ArmPlan, seed: u64, dir: &Path) -> RunEnd {
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

//! `lrtool compare`: learning-rate experiments side by side. An experiment is shared flags plus
//! named arms (each overrides any flag of `train`, usually the schedule) × seeds; runs go in
//! parallel (`--jobs`, one thread each), each into `runs/<arm>-seed<k>/` with train's usual files,
//! and the report is built from those folders alone, so `--shard i/n` parts joined by `--merge`
//! give the same report as one unsharded run.
//!
//! Every arm's flags are parsed by clap exactly as `lrtool train <shared> <arm>` would be, so an
//! arm validates like `train` does; errors name the arm (exit code 2) before any run starts.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Parser;
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::cli::compare::Setting;
use crate::cli::{Cli, CompareArgs};
use crate::commands::common::{self, json_text, print_stdout};
use crate::data::Task;
use crate::output::OutDir;
use crate::report::compare::{self as report, Experiment, RunRecord, Status, Target, TargetKind};
use crate::schedule::ScheduleKind;
use crate::{input_bail, input_err};

mod merge;
mod resume;
mod runs;
mod spec;

use merge::*;
use resume::*;
use runs::*;
use spec::*;
pub use spec::{ArmSpec, FlagSet, parse_arms};

pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if !args.compare.merge.is_empty() {
        if args.compare.resume {
            input_bail!("--resume: not with --merge (a merge copies finished runs only)");
        }
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

    // each run's memory estimate counts the runs beside it
    crate::limits::memory::set_side_by_side(jobs);
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
    let given = args.train.output.out.clone();
    let base = given.clone().unwrap_or_else(|| match shard {
        Some((i, n)) => PathBuf::from(format!("runs/compare-shard-{i}-of-{n}")),
        None => PathBuf::from("runs/compare"),
    });
    let identity = identity(&experiment, shard);
    // without --out a comparison takes a new numbered folder; --resume without --out goes on
    // in the last default folder that holds this experiment (runs/compare-3 after three)
    let resumed = match given {
        None if opts.resume => crate::output::numbered_folders(&base)
            .into_iter()
            .find(|dir| holds_experiment(dir, &identity)),
        _ => None,
    };
    let numbered = given.is_none() && resumed.is_none();
    let out_path = resumed.unwrap_or(base);
    let quiet = args.train.output.quiet || args.train.output.json;
    let folders: Vec<String> = selected
        .iter()
        .map(|&(a, seed)| experiment.folder(a, seed))
        .collect();
    let keep = if opts.resume {
        finished_runs(&out_path, &experiment, &selected, &identity)?
    } else {
        Vec::new()
    };
    // the base flags' files (an arm's own --dataset or --init is checked by its run)
    let mut inputs = vec![("--dataset", PathBuf::from(&args.train.data.dataset))];
    inputs.extend(args.train.data.labels.clone().map(|l| ("--labels", l)));
    inputs.extend(args.train.model.init.clone().map(|i| ("--init", i)));
    crate::output::check_inputs_kept(&out_path, &inputs)?;
    crate::interrupt::install();
    let mut out = common::open_out(
        &out_path,
        numbered,
        args.train.output.force,
        args.train.output.quiet,
        "compare",
        layout(&folders, keep.clone(), identity),
    )?;
    remove_empty_dirs(&out.join("runs"));
    for folder in &keep {
        adopt_run(&mut out, folder)?;
    }
    if !quiet && !keep.is_empty() {
        crate::error::eprint_line(&format!(
            "lrtool compare --resume: keeping {} finished {} of {}",
            keep.len(),
            crate::words::plural(keep.len(), "run"),
            out.path().display()
        ));
    }

    // the runs, in parallel; each writes its own folder
    let jobs = jobs.min(selected.len()).max(1);
    if !quiet {
        crate::error::eprint_line(&format!(
            "lrtool compare: {} ({} × {}{}) on {}",
            crate::words::count(selected.len(), "run"),
            crate::words::count(experiment.arms.len(), "arm"),
            crate::words::count(experiment.seeds.len(), "seed"),
            shard.map_or(String::new(), |(i, n)| format!(
                ", shard {i}/{n} of {}",
                crate::words::count(all_runs.len(), "run")
            )),
            crate::words::count(jobs, "thread")
        ));
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
                let folder = experiment.folder(a, seed);
                let dir = out.join(&folder);
                if keep.contains(&folder) {
                    return kept_end(&dir, a, seed);
                }
                let t = Instant::now();
                let end = run_one(&plans[a], seed, &dir);
                let k = done.fetch_add(1, Ordering::SeqCst) + 1;
                if !quiet && !matches!(end, RunEnd::NotRun) {
                    crate::error::eprint_line(&format!(
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
                    ));
                }
                end
            })
            .collect()
    });

    if opts.sharpness {
        measure_sharpness(
            &pool,
            &plans,
            &experiment,
            &selected,
            &ends,
            out.path(),
            quiet,
        )?;
    }
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
            "{table}wrote {}: {} ({:.2} s)\n",
            out.path().display(),
            out.written().join(", "),
            started.elapsed().as_secs_f64()
        ))?;
    }
    finish(&experiment, &records, &ends, out.path())
}

/// `--sharpness`: the sharpness of every finished run's final model on its own training split,
/// into the run's `sharpness.json` (recorded in the run's manifest first); a run that already
/// has one (kept by `--resume`) keeps it. After Ctrl-C the runs not yet measured are left
/// unmeasured (`--resume --sharpness` measures them later).
fn measure_sharpness(
    pool: &rayon::ThreadPool,
    plans: &[ArmPlan],
    experiment: &Experiment,
    selected: &[(usize, u64)],
    ends: &[RunEnd],
    out: &Path,
    quiet: bool,
) -> anyhow::Result<()> {
    let settings = crate::landscape::sharpness::Settings::default();
    pool.install(|| {
        selected
            .par_iter()
            .zip(ends)
            .with_max_len(1)
            .try_for_each(|(&(a, seed), end)| -> anyhow::Result<()> {
                let dir = out.join(experiment.folder(a, seed));
                let model = dir.join("model.safetensors");
                if crate::interrupt::requested()
                    || !matches!(end, RunEnd::Finished)
                    || !model.is_file()
                    || dir.join(report::SHARPNESS_FILE).exists()
                {
                    return Ok(());
                }
                let t = Instant::now();
                let mut run = plans[a].run.for_seed(seed, &dir, true);
                let data = run.run_spec().data.clone();
                let measured = crate::commands::landscape::sharpness_of(&model, &data, seed, &settings)?;
                crate::output::record_in_manifest(&dir, report::SHARPNESS_FILE)?;
                crate::output::write_atomic(
                    &dir.join(report::SHARPNESS_FILE),
                    crate::report::records::to_json_text(&measured)?.as_bytes(),
                )?;
                if !quiet {
                    eprintln!(
                        "  sharpness of {} seed {seed}: top eigenvalue {}, ε-sharpness {} % ({:.2} s)",
                        experiment.arms[a].name,
                        crate::report::format::fmt_num(measured.eigenvalues.first().copied()),
                        crate::report::format::fmt_num(Some(measured.epsilon_sharpness)),
                        t.elapsed().as_secs_f64()
                    );
                }
                Ok(())
            })
    })
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
    let Some(manifest) = crate::output::read_manifest(&out.join(folder))? else {
        return Ok(());
    };
    let files: Vec<String> = manifest
        .files
        .iter()
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
    // what the folder will hold, in the order written: summary.json, report.md and the wrote
    // line all name the same files
    let mut files: Vec<&str> = OUTPUTS
        .iter()
        .copied()
        .filter(|&f| f != crate::report::html::FILE)
        .collect();
    files.push("runs/");
    if !args.train.output.no_report {
        files.push(crate::report::html::FILE);
    }
    out.write_atomic("results.csv", report::results_csv(exp, records).as_bytes())?;
    out.write_atomic(
        "report.md",
        report::report_md(exp, records, &stats, &files).as_bytes(),
    )?;
    out.write_atomic("val.svg", report::val_svg(exp, records)?.as_bytes())?;
    out.write_atomic("loss.svg", report::loss_svg(exp, records)?.as_bytes())?;
    out.write_atomic("lr.svg", report::lr_svg(exp, records)?.as_bytes())?;
    let summary = report::summary_json(exp, shard, records, &stats, &files);
    out.write_atomic("summary.json", json_text(&summary).as_bytes())?;
    if !args.train.output.no_report {
        crate::report::html::write(out)?;
    }
    if args.train.output.json {
        print_stdout(&common::json_with_folder(&summary, out.path()))?;
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
            "interrupted: {finished} of {} finished; the report in {} covers the runs that ended",
            crate::words::count(records.len(), "run"),
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
            "{} of {} failed (the report in {} covers the others); {}: {message}",
            failed.len(),
            crate::words::count(records.len(), "run"),
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
            "every run diverged ({}); the logs and report are in {}. Try a lower --lr",
            crate::words::count(records.len(), "run"),
            out.display()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// --merge

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::is_input_error;

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

//! `--merge`: join the folders of `--shard` runs (or any compare folders of one experiment)
//! into one report, as one unsharded run would have written it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use serde_json::Value;

use super::*;
use crate::cli::CompareArgs;
use crate::commands::common::{self, print_stdout};
use crate::report::compare::{self as report, Experiment, Status, Target, TargetKind};
use crate::{input_bail, input_err};

/// One folder given to `--merge`: its plan and which runs it holds.
pub(super) struct Part {
    pub(super) dir: PathBuf,
    pub(super) experiment: Experiment,
    pub(super) shard: Option<(usize, usize)>,
}

pub(super) fn read_part(dir: &Path) -> anyhow::Result<Part> {
    let path = dir.join("summary.json");
    let shown = path.display();
    let bytes = crate::limits::read_raw(
        &path,
        &format!("--merge {shown}"),
        crate::limits::Kind::Record,
    )
    .map_err(|e| {
        e.or_io(|e| {
            input_err!(
                "--merge {}: cannot read summary.json ({e}); is it an lrtool compare folder?",
                dir.display()
            )
        })
    })?;
    let text = String::from_utf8(bytes).map_err(|_| input_err!("{shown}: not valid UTF-8 text"))?;
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

pub(super) fn merge(args: &CompareArgs, started: Instant) -> anyhow::Result<()> {
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
            "--merge: {} of {} are in none of the folders ({}{}); give every shard 0/{count} … {}/{count}",
            missing.len(),
            crate::words::count(all.len(), "run"),
            missing[..missing.len().min(3)].join(", "),
            if missing.len() > 3 { ", …" } else { "" },
            count - 1
        );
    }
    let numbered = args.train.output.out.is_none();
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
    let folders: Vec<String> = all.iter().map(|&(a, seed)| exp.folder(a, seed)).collect();
    let mut out = common::open_out(
        &out_path,
        numbered,
        args.train.output.force,
        args.train.output.quiet,
        "compare",
        layout(&folders, Vec::new(), identity(&exp, None)),
    )?;
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
            "{table}merged {} {} into {}: {}\n",
            parts.len(),
            crate::words::plural(parts.len(), "folder"),
            out.path().display(),
            out.written().join(", ")
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

pub(super) fn absolute(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
}

/// Copy a run folder: its manifest first (so a copy cut short is still covered by it), then
/// the files it lists, each a regular file reached through real folders only.
pub(super) fn copy_run(from: &Path, to: &Path) -> anyhow::Result<()> {
    let manifest = crate::output::read_manifest(from)?.ok_or_else(|| {
        input_err!(
            "{}: cannot read: no such file",
            from.join(crate::output::MANIFEST).display()
        )
    })?;
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for f in std::iter::once(&crate::output::MANIFEST.to_string()).chain(&manifest.files) {
        if crate::output::kind_of(from, f) != Ok(crate::output::Kind::File) {
            continue;
        }
        let src = from.join(f);
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

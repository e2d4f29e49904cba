//! The comparison's output folder: what it writes (so a foreign file in the way is refused before
//! any run starts), the run folders it lists in its manifest before they are written (so a killed
//! comparison is recognised as lrtool's), and `--resume`, which keeps the runs that finished.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::RunEnd;
use crate::input_bail;
use crate::output::{self, Kind, Layout};
use crate::report::compare::{self as report, Experiment, Status};

/// What a comparison writes at the top of its folder.
pub(super) const OUTPUTS: [&str; 8] = [
    "results.csv",
    "report.md",
    "summary.json",
    "val.svg",
    "loss.svg",
    "lr.svg",
    "timing.json",
    "report.html",
];

/// The manifest key that records which experiment (and shard) the folder holds.
const KEY: &str = "experiment";

/// What decides the runs of the folder: the experiment and the shard.
pub(super) fn identity(exp: &Experiment, shard: Option<(usize, usize)>) -> Value {
    json!({
        "experiment": exp,
        "shard": shard.map(|(i, n)| json!({"index": i, "count": n})),
    })
}

/// The folder's layout: the top-level files, the run folders (listed before they are written)
/// and the runs kept from an earlier comparison.
pub(super) fn layout(folders: &[String], keep: Vec<String>, identity: Value) -> Layout {
    let mut other = Map::new();
    other.insert(KEY.into(), identity);
    Layout {
        outputs: OUTPUTS
            .iter()
            .map(|s| s.to_string())
            .chain(folders.iter().map(|f| format!("{f}/**")))
            .collect(),
        runs: folders.to_vec(),
        keep,
        other,
    }
}

/// Whether `dir` is a comparison folder of the experiment (and shard) `identity` describes.
pub(super) fn holds_experiment(dir: &Path, identity: &Value) -> bool {
    matches!(output::read_manifest(dir), Ok(Some(m)) if m.other.get(KEY) == Some(identity))
}

/// `--resume`: the runs of `selected` that an earlier comparison of the same experiment in
/// `out` finished (completed, stopped early or diverged, with every file its manifest lists).
/// A folder of another experiment is bad input; no folder, or no comparison yet, keeps nothing.
pub(super) fn finished_runs(
    out: &Path,
    exp: &Experiment,
    selected: &[(usize, u64)],
    identity: &Value,
) -> anyhow::Result<Vec<String>> {
    if !out.is_dir() {
        return Ok(Vec::new());
    }
    let Some(manifest) = output::read_manifest(out)? else {
        return Ok(Vec::new());
    };
    if manifest.other.get(KEY) != Some(identity) {
        input_bail!(
            "--resume: {} does not hold a comparison of this experiment (its arms, flags, seeds or shard differ, or it is not a comparison); drop --resume to replace it, or choose another --out",
            out.display()
        );
    }
    let mut keep = Vec::new();
    for &(a, seed) in selected {
        let folder = exp.folder(a, seed);
        let listed = manifest.runs.contains(&folder)
            || manifest.files.contains(&format!("{folder}/summary.json"));
        if listed && run_finished(out, &folder, a, seed)? {
            keep.push(folder);
        }
    }
    Ok(keep)
}

fn run_finished(out: &Path, folder: &str, a: usize, seed: u64) -> anyhow::Result<bool> {
    if output::kind_of(out, folder) != Ok(Kind::Dir) {
        return Ok(false);
    }
    let dir = out.join(folder);
    let Some(m) = output::read_manifest(&dir)? else {
        return Ok(false);
    };
    // summary.json and then timing.json are a run's last files
    let whole = ["summary.json", "timing.json"]
        .iter()
        .all(|f| m.files.iter().any(|g| g == f))
        && m.files
            .iter()
            .all(|f| output::kind_of(&dir, f) == Ok(Kind::File));
    if !whole {
        return Ok(false);
    }
    Ok(report::read_run(&dir, a, seed).is_ok_and(|r| {
        matches!(
            r.status,
            Status::Completed | Status::Stopped | Status::Diverged
        )
    }))
}

/// How a kept run ended, as if it had just run.
pub(super) fn kept_end(dir: &Path, a: usize, seed: u64) -> RunEnd {
    match report::read_run(dir, a, seed) {
        Ok(r) if r.status == Status::Diverged => RunEnd::Diverged,
        Ok(_) => RunEnd::Finished,
        Err(e) => RunEnd::Failed {
            message: format!("{e:#}"),
            input: false,
        },
    }
}

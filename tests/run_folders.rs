//! Default run folders (issue 18 part 5): without `--out` every run takes a new numbered folder
//! (`runs/train`, `runs/train-2`, …) and says which; an explicit `--out` is replaced as before;
//! every "wrote …" line and summary.json's file list name exactly the files the run left.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

const TRAIN: &str = "train --dataset iris --hidden 4 --epochs 1";
const FIND_LR: &str = "find-lr --dataset iris --hidden 4 --steps 20";
const SNAPSHOT: &str =
    "snapshot-ensemble --dataset iris --hidden 4 --epochs 2 --cycles 2 --optimizer sgd --lr 0.05";
const LANDSCAPE_DATA: &str = "--dataset iris --seed 3";
const COMPARE: &str =
    "compare --dataset iris --hidden 4 --epochs 1 --arms constant:lr=0.01;cosine:lr=0.05 --seeds 2";

/// The top-level entries of a run folder as the "wrote …" line names them (a sub-folder as
/// `DIR/`), without the manifest and the lock.
fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_dir() {
                format!("{name}/")
            } else {
                name
            }
        })
        .filter(|n| n != ".lrtool-manifest.json" && n != ".lrtool-lock")
        .collect()
}

/// The files the manifest lists, collapsed to top-level entries like [`entries`].
fn manifest_entries(dir: &Path) -> BTreeSet<String> {
    let m = json(&dir.join(".lrtool-manifest.json"));
    let mut set: BTreeSet<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| top(f.as_str().unwrap()))
        .collect();
    for r in m["runs"].as_array().into_iter().flatten() {
        set.insert(top(r.as_str().unwrap()));
    }
    set
}

fn top(f: &str) -> String {
    match f.split_once('/') {
        Some((d, _)) => format!("{d}/"),
        None => f.to_string(),
    }
}

/// The files named by the line of `stdout` that starts with `lead` ("wrote DIR: a, b (…)").
fn listed(stdout: &str, lead: &str) -> BTreeSet<String> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(lead))
        .unwrap_or_else(|| panic!("no line starting {lead:?} in\n{stdout}"));
    let (_, list) = line.split_once(": ").unwrap();
    let list = match list.rsplit_once(" (") {
        Some((l, _)) => l,
        None => list,
    };
    list.split(", ").map(str::to_string).collect()
}

#[test]
fn three_train_runs_without_out_leave_three_folders() {
    let dir = tempdir();
    let d = dir.path();
    for (k, name) in ["runs/train", "runs/train-2", "runs/train-3"]
        .iter()
        .enumerate()
    {
        let mut args = words(TRAIN);
        // the second run with --json: the folder is in the JSON too
        if k == 1 {
            args.push("--json");
        }
        let r = run(d, &args);
        r.success();
        assert!(
            r.stderr
                .contains(&format!("lrtool train: run folder: {name}\n")),
            "run {k}: {}",
            r.stderr
        );
        if k == 1 {
            let v: Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(v["folder"], *name);
            // summary.json does not depend on the folder the run went to
            let mut v = v;
            v.as_object_mut().unwrap().remove("folder");
            assert_eq!(v, summary(&d.join(name)));
        } else {
            assert!(
                r.stdout.contains(&format!("wrote {name}: ")),
                "{}",
                r.stdout
            );
        }
    }
    for name in ["runs/train", "runs/train-2", "runs/train-3"] {
        assert!(d.join(name).join("summary.json").is_file(), "{name}");
    }
    assert!(!d.join("runs/train-4").exists());
    // the first run's files are still there, as it wrote them
    assert_eq!(
        fs::read(d.join("runs/train/epochs.csv")).unwrap(),
        fs::read(d.join("runs/train-3/epochs.csv")).unwrap(),
        "same seed, same inputs: the same log in each folder"
    );
    // --quiet says nothing, and still takes a new folder
    let mut args = words(TRAIN);
    args.push("--quiet");
    let r = run(d, &args);
    r.success();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    assert!(d.join("runs/train-4/summary.json").is_file());
}

#[test]
fn runs_started_together_never_share_a_default_folder() {
    let dir = tempdir();
    let d = dir.path();
    let children: Vec<_> = (0..4)
        .map(|_| {
            lrtool(d)
                .args(words(TRAIN))
                .arg("--quiet")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("lrtool starts")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for name in ["runs/train", "runs/train-2", "runs/train-3", "runs/train-4"] {
        let m = json(&d.join(name).join(".lrtool-manifest.json"));
        assert_eq!(m["command"], "train", "{name}");
        assert!(d.join(name).join("summary.json").is_file(), "{name}");
    }
    assert!(!d.join("runs/train-5").exists());
}

#[test]
fn every_command_with_a_default_folder_numbers_its_runs() {
    let dir = tempdir();
    let d = dir.path();
    train(d, "model", "--dataset iris --hidden 4 --epochs 2 --seed 3").success();
    let landscape = format!("landscape --from init --to model --points 3 {LANDSCAPE_DATA}");
    for (command, args) in [
        ("find-lr", FIND_LR.to_string()),
        ("snapshot-ensemble", SNAPSHOT.to_string()),
        ("landscape", landscape),
        ("compare", COMPARE.to_string()),
    ] {
        for name in [format!("runs/{command}"), format!("runs/{command}-2")] {
            let r = run(d, &words(&args));
            r.success();
            assert!(
                r.stderr
                    .contains(&format!("lrtool {command}: run folder: {name}\n")),
                "{command}: {}",
                r.stderr
            );
            assert!(d.join(&name).join("summary.json").is_file(), "{name}");
        }
    }
    // a sharded comparison numbers its own default folder
    for name in ["runs/compare-shard-0-of-2", "runs/compare-shard-0-of-2-2"] {
        let r = run(
            d,
            &[&words(COMPARE)[..], &["--shard", "0/2", "--quiet"]].concat(),
        );
        r.success();
        assert!(d.join(name).join("summary.json").is_file(), "{name}");
    }
    // --resume without --out goes on in the last default folder of this experiment, not in a
    // later comparison of another one, and not in a new folder
    run(
        d,
        &[&words(COMPARE)[..], &["--seeds", "1", "--quiet"]].concat(),
    )
    .success();
    assert!(d.join("runs/compare-3/summary.json").is_file());
    let r = run(d, &[&words(COMPARE)[..], &["--resume"]].concat());
    r.success();
    assert!(
        r.stderr
            .contains("keeping 4 finished runs of runs/compare-2"),
        "{}",
        r.stderr
    );
    assert!(!d.join("runs/compare-4").exists());
}

#[test]
fn an_explicit_out_is_replaced_as_before() {
    let dir = tempdir();
    let d = dir.path();
    for _ in 0..2 {
        let r = train(d, "mine", "--dataset iris --hidden 4 --epochs 1");
        r.success();
        assert_eq!(r.stderr, "", "nothing new on stderr with --out");
    }
    let mut args = words(TRAIN);
    args.extend(["--out", "mine", "--json"]);
    let r = run(d, &args);
    r.success();
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["folder"], "mine");
    assert!(!d.join("mine-2").exists());
    assert!(!d.join("runs").exists());
}

#[test]
fn wrote_lines_and_file_lists_name_every_file_the_run_left() {
    let dir = tempdir();
    let d = dir.path();
    let check = |folder: &str, stdout: &str, lead: &str| {
        let path = d.join(folder);
        let on_disk = entries(&path);
        assert_eq!(listed(stdout, lead), on_disk, "{folder}: the wrote line");
        assert_eq!(manifest_entries(&path), on_disk, "{folder}: the manifest");
        let s = summary(&path);
        if s["command"] == "landscape" {
            return; // its summary holds no list of files
        }
        let files: BTreeSet<String> = s["files"]
            .as_array()
            .unwrap_or_else(|| panic!("{folder}: summary.json has no files"))
            .iter()
            .map(|f| top(f.as_str().unwrap()))
            .collect();
        assert_eq!(files, on_disk, "{folder}: summary.json's files");
    };
    let go = |args: &str, out: &str| {
        let r = run(d, &[&words(args)[..], &["--out", out]].concat());
        r.success();
        r.stdout
    };
    let s = go(TRAIN, "t");
    check("t", &s, "wrote t:");
    let s = go(
        "train --dataset iris --hidden 4 --epochs 3 --swa-start 2 --swa-lr 0.01 --no-report",
        "swa",
    );
    check("swa", &s, "wrote swa:");
    let s = go(FIND_LR, "f");
    check("f", &s, "wrote f:");
    let s = go(&format!("{SNAPSHOT} --baseline"), "s");
    check("s", &s, "wrote s:");
    let s = go(
        &format!("landscape --from init --to t --points 3 {LANDSCAPE_DATA}"),
        "l",
    );
    check("l", &s, "wrote l:");
    let s = go(COMPARE, "c");
    check("c", &s, "wrote c:");
    // report.md lists the same files
    let md = fs::read_to_string(d.join("c/report.md")).unwrap();
    let section = md.split("## Files").nth(1).unwrap();
    for f in entries(&d.join("c")) {
        let shown = if f == "runs/" {
            "`runs/<arm>-seed<k>/`".to_string()
        } else {
            format!("`{f}`")
        };
        assert!(section.contains(&shown), "report.md lists {f}: {section}");
    }
    // the shards merged
    go(&format!("{COMPARE} --shard 0/2"), "p0");
    go(&format!("{COMPARE} --shard 1/2"), "p1");
    let r = run(d, &words("compare --merge p0 p1 --out m"));
    r.success();
    check("m", &r.stdout, "merged 2 folders into m:");
}

//! The output-folder contract (issue 14): lrtool never removes, overwrites or follows a file it
//! did not write (`--force` or not), refuses a manifest it cannot trust, does not search a huge
//! folder, holds one lock per run folder, recognises a folder left by a killed run of any command
//! as its own, and `compare --resume` finishes a killed comparison as an unbroken run would.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

const PATIENCE: Duration = Duration::from_secs(90);

fn spawn(dir: &Path, args: &str) -> Child {
    lrtool(dir)
        .args(words(args))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lrtool starts")
}

fn wait_until(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("lrtool exited ({status}) before {what}");
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("lrtool did not reach {what} within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGKILL, then reap.
fn kill9(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

fn has_rows(path: &Path) -> bool {
    fs::read(path).is_ok_and(|b| b.iter().filter(|&&c| c == b'\n').count() >= 2)
}

/// Every file below `dir` (relative, sorted), links not followed.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        for e in fs::read_dir(&abs).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type().unwrap().is_dir() {
                stack.push((e.path(), r));
            } else {
                out.push(r);
            }
        }
    }
    out.sort();
    out
}

const QUICK: &str = "--dataset iris --hidden 4 --epochs 1";

#[test]
fn a_symlinked_sub_folder_is_never_followed_and_the_files_behind_it_survive() {
    let dir = tempdir();
    let args = "--dataset iris --hidden 4 --epochs 4 --cycles 2 --quiet";
    run(
        dir.path(),
        &words(&format!("snapshot-ensemble --out out {args}")),
    )
    .success();
    let out = dir.path().join("out");
    let snaps = tree(&out.join("snapshots"));
    assert!(!snaps.is_empty());
    // the user moves snapshots/ elsewhere and leaves a link behind
    let elsewhere = dir.path().join("elsewhere");
    fs::rename(out.join("snapshots"), &elsewhere).unwrap();
    symlink(&elsewhere, out.join("snapshots")).unwrap();
    for force in ["", "--force"] {
        let r = run(
            dir.path(),
            &words(&format!("snapshot-ensemble --out out {args} {force}")),
        );
        expect_usage_error(
            &r,
            "a link in place of snapshots/",
            &[
                "out/.lrtool-manifest.json",
                "goes through the link snapshots",
            ],
        );
        assert_eq!(tree(&elsewhere), snaps, "the files behind the link survive");
    }
    // a link to a file in place of one of lrtool's files is not lrtool's either
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "mine").unwrap();
    fs::remove_file(out.join("snapshots")).unwrap();
    fs::remove_file(out.join("summary.json")).unwrap();
    symlink(&victim, out.join("summary.json")).unwrap();
    let r = run(
        dir.path(),
        &words(&format!("snapshot-ensemble --out out {args} --force")),
    );
    let line = expect_usage_error(&r, "a link in place of summary.json", &["summary.json"]);
    assert!(line.contains("in the way"), "{line}");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "mine");
    assert!(
        fs::symlink_metadata(out.join("summary.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_hostile_or_broken_manifest_is_refused_and_not_obeyed() {
    let dir = tempdir();
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("x"), "mine").unwrap();
    let abs = outside.join("x").display().to_string();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "dotdot",
            r#"{"files": ["../outside/x"]}"#.into(),
            "../outside/x",
        ),
        (
            "absolute",
            format!(r#"{{"files": ["{abs}"]}}"#),
            "not a relative path",
        ),
        (
            "link",
            r#"{"files": ["sub/x"]}"#.into(),
            "goes through the link sub",
        ),
        ("not json", "{\"files\": [".into(), "not valid JSON"),
        (
            "shape",
            r#"{"files": "x"}"#.into(),
            "\"files\" is not a list",
        ),
        (
            "runs",
            r#"{"files": [], "runs": ["../outside"]}"#.into(),
            "../outside",
        ),
    ];
    for (what, manifest, needle) in cases {
        let out = dir.path().join("out");
        let _ = fs::remove_dir_all(&out);
        fs::create_dir(&out).unwrap();
        symlink(&outside, out.join("sub")).unwrap();
        fs::write(out.join(".lrtool-manifest.json"), &manifest).unwrap();
        for force in ["", "--force"] {
            let r = run(
                dir.path(),
                &words(&format!("train --out out --quiet {QUICK} {force}")),
            );
            let line = expect_usage_error(
                &r,
                what,
                &[".lrtool-manifest.json", needle, "does not obey it"],
            );
            assert!(!line.contains('\n'));
            assert_eq!(
                fs::read_to_string(outside.join("x")).unwrap(),
                "mine",
                "{what}: the file outside survives"
            );
            assert_eq!(
                fs::read_to_string(out.join(".lrtool-manifest.json")).unwrap(),
                manifest,
                "{what}: the manifest is left as it was"
            );
        }
    }
}

#[test]
fn force_never_replaces_a_file_lrtool_did_not_write() {
    let dir = tempdir();
    for (command, name) in [
        ("train", "summary.json"),
        ("train", "steps.csv"),
        ("train", "report.html"),
        ("train", "model.safetensors"),
        ("train", "lr.svg"),
        ("find-lr", "find-lr.svg"),
        ("snapshot-ensemble", "snapshots/snapshot-1.safetensors"),
        ("snapshot-ensemble", "snapshots"),
    ] {
        let out = dir.path().join("out");
        let _ = fs::remove_dir_all(&out);
        let target = out.join(name);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(&target, "the user's own").unwrap();
        fs::write(out.join("notes.txt"), "notes").unwrap();
        let extra = if command == "snapshot-ensemble" {
            " --cycles 2 --epochs 2"
        } else if command == "find-lr" {
            " --steps 20"
        } else {
            ""
        };
        let r = run(
            dir.path(),
            &words(&format!(
                "{command} --out out --quiet --force --dataset iris --hidden 4{extra}"
            )),
        );
        let line = expect_usage_error(&r, name, &["--out out", name, "in the way"]);
        assert!(line.contains("--force never replaces"), "{line}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "the user's own");
        assert!(
            !out.join(".lrtool-manifest.json").exists(),
            "{name}: nothing written"
        );
    }
    // --force with foreign files out of the way: they stay, and are never listed as lrtool's
    let out = dir.path().join("out2");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.txt"), "notes").unwrap();
    train(dir.path(), "out2", &format!("{QUICK} --force")).success();
    let manifest = fs::read_to_string(out.join(".lrtool-manifest.json")).unwrap();
    assert!(!manifest.contains("notes.txt"), "{manifest}");
    train(dir.path(), "out2", &format!("{QUICK} --force")).success();
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "notes");
    usage_error(dir.path(), &format!("--out out2 {QUICK}"), &["notes.txt"]);
}

#[test]
fn a_huge_or_foreign_folder_is_refused_at_once() {
    let dir = tempdir();
    let started = Instant::now();
    let r = run(
        dir.path(),
        &words(&format!("train --out / --quiet {QUICK}")),
    );
    expect_usage_error(&r, "--out /", &["--out /"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    // many foreign files: without --force three are named; with it, the folder is too large
    let big = dir.path().join("big");
    fs::create_dir(&big).unwrap();
    for i in 0..10_050 {
        fs::write(big.join(format!("f{i}")), "").unwrap();
    }
    let r = run(
        dir.path(),
        &words(&format!("train --out big --quiet {QUICK}")),
    );
    expect_usage_error(
        &r,
        "many files",
        &["--out big", "lrtool did not write", "…"],
    );
    let r = run(
        dir.path(),
        &words(&format!("train --out big --quiet --force {QUICK}")),
    );
    expect_usage_error(&r, "many files, --force", &["--out big", "more than 10000"]);
    assert!(!big.join("summary.json").exists());
    assert!(
        !big.join(".lrtool-lock").exists(),
        "the lock goes with the run"
    );
}

#[test]
fn a_second_run_into_a_locked_folder_exits_2_naming_the_folder_and_the_pid() {
    let dir = tempdir();
    let out = dir.path().join("out");
    let mut first = spawn(
        dir.path(),
        "train --out out --quiet --dataset digits --hidden 32 --epochs 100000",
    );
    wait_until(&mut first, "steps.csv has rows", || {
        has_rows(&out.join("steps.csv"))
    });
    let pid = first.id();
    for args in [
        format!("train --out out --quiet {QUICK}"),
        format!("train --out out --quiet --force {QUICK}"),
        "find-lr --out out --quiet --dataset iris --steps 10".to_string(),
        "report out".to_string(),
    ] {
        let r = run(dir.path(), &words(&args));
        expect_usage_error(
            &r,
            &args,
            &["out", "in use by another lrtool run", &format!("pid {pid}")],
        );
    }
    assert!(first.try_wait().unwrap().is_none(), "the first run goes on");
    kill9(first);
    // the kernel released the lock: the folder is free again
    train(dir.path(), "out", QUICK).success();
    assert!(!out.join(".lrtool-lock").exists());
}

/// Kill `lrtool ARGS` with SIGKILL once `ready(out)` holds, then rerun `rerun` into the same
/// folder without --force: it must succeed and leave no file of the killed run behind.
fn killed_then_rerun(command: &str, long: &str, ready: &str, rerun: &str) {
    let dir = tempdir();
    let out = dir.path().join("out");
    let mut child = spawn(dir.path(), &format!("{command} --out out --quiet {long}"));
    let watched = out.join(ready);
    wait_until(&mut child, ready, || has_rows(&watched));
    kill9(child);
    assert!(
        out.join(".lrtool-lock").exists(),
        "a killed run leaves its lock"
    );
    let r = run(
        dir.path(),
        &words(&format!("{command} --out out --quiet {rerun}")),
    );
    r.success();
    assert!(!out.join(".lrtool-lock").exists());
    let listed = fs::read_to_string(out.join(".lrtool-manifest.json")).unwrap();
    for f in tree(&out) {
        assert!(
            f == ".lrtool-manifest.json"
                || listed.contains(&format!("\"{f}\""))
                || f.ends_with("/.lrtool-manifest.json"),
            "{command}: {f} is not the new run's"
        );
    }
}

#[test]
fn a_killed_train_is_replaced_by_the_next_run() {
    killed_then_rerun(
        "train",
        "--dataset digits --hidden 32 --epochs 100000",
        "steps.csv",
        QUICK,
    );
}

#[test]
fn a_killed_find_lr_is_replaced_by_the_next_run() {
    killed_then_rerun(
        "find-lr",
        "--dataset digits --hidden 32 --steps 10000000 --no-stop --repeats 1",
        ".lrtool-manifest.json",
        "--dataset iris --hidden 4 --steps 20",
    );
}

#[test]
fn a_killed_snapshot_ensemble_is_replaced_by_the_next_run() {
    killed_then_rerun(
        "snapshot-ensemble",
        "--dataset digits --hidden 32 --epochs 400 --cycles 200",
        "snapshots.csv",
        "--dataset iris --hidden 4 --epochs 2 --cycles 2",
    );
}

#[test]
fn a_killed_compare_is_replaced_by_the_next_run() {
    killed_then_rerun(
        "compare",
        "--dataset digits --hidden 32 --epochs 100000 --arms constant:lr=0.01 --seeds 2 --jobs 2",
        "runs/constant-seed0/steps.csv",
        "--dataset iris --hidden 4 --epochs 1 --arms constant:lr=0.01 --seeds 1",
    );
}

/// The files of a comparison folder that depend only on the experiment (wall times aside).
fn deterministic_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    tree(out)
        .into_iter()
        .filter(|f| {
            let measured = f.ends_with("timing.json")
                || f == "results.csv"
                || (f.starts_with("runs/") && f.ends_with("/summary.json"));
            !measured
        })
        .map(|f| {
            let bytes = fs::read(out.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

fn results_without_wall_time(out: &Path) -> String {
    fs::read_to_string(out.join("results.csv"))
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn compare_resume_keeps_finished_runs_and_equals_an_unbroken_run() {
    let dir = tempdir();
    let exp = "--dataset digits --optimizer sgd --epochs 30 --arms constant:lr=0.01;sgdr:lr=0.05,t0=1 --seeds 2 --jobs 1";
    let r = run(
        dir.path(),
        &words(&format!("compare --out full --quiet {exp}")),
    );
    r.success();
    let part: PathBuf = dir.path().join("part");
    let mut child = spawn(dir.path(), &format!("compare --out part --quiet {exp}"));
    let first = part.join("runs/constant-seed0/timing.json");
    wait_until(&mut child, "the first run finished", || first.exists());
    kill9(child);
    let finished: Vec<String> = [
        "constant-seed0",
        "constant-seed1",
        "sgdr-seed0",
        "sgdr-seed1",
    ]
    .iter()
    .filter(|f| part.join("runs").join(f).join("timing.json").exists())
    .map(|f| f.to_string())
    .collect();
    assert!(
        finished.len() < 4,
        "the kill came before the last run ended"
    );
    let kept_bytes = fs::read(part.join("runs/constant-seed0/steps.csv")).unwrap();
    let kept_time = fs::metadata(part.join("runs/constant-seed0/steps.csv"))
        .unwrap()
        .modified()
        .unwrap();
    // another experiment is not resumed into this folder
    let other = exp.replace("--seeds 2", "--seeds 3");
    let r = run(
        dir.path(),
        &words(&format!("compare --out part --quiet --resume {other}")),
    );
    expect_usage_error(&r, "another experiment", &["--resume", "part"]);
    let r = lrtool(dir.path())
        .args(words(&format!("compare --out part --resume {exp}")))
        .output()
        .unwrap();
    let r: Run = r.into();
    r.success();
    assert!(
        r.stderr
            .contains(&format!("keeping {} finished run", finished.len())),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::metadata(part.join("runs/constant-seed0/steps.csv"))
            .unwrap()
            .modified()
            .unwrap(),
        kept_time,
        "a finished run is kept, not run again"
    );
    assert_eq!(
        fs::read(part.join("runs/constant-seed0/steps.csv")).unwrap(),
        kept_bytes
    );
    assert_eq!(
        results_without_wall_time(&part),
        results_without_wall_time(&dir.path().join("full"))
    );
    let a = deterministic_files(&dir.path().join("full"));
    let b = deterministic_files(&part);
    assert_eq!(
        a.iter().map(|x| &x.0).collect::<Vec<_>>(),
        b.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        // report.html names the run folders (lrtool report full/runs/…)
        let x = String::from_utf8_lossy(x).replace("full/runs/", "part/runs/");
        let y = String::from_utf8_lossy(y);
        assert!(
            x == y,
            "{name} differs between the unbroken and the resumed run"
        );
    }
    assert_eq!(summary(&part)["interrupted"], false);
    // a finished comparison resumed runs nothing and changes nothing
    let r: Run = lrtool(dir.path())
        .args(words(&format!("compare --out part --resume {exp}")))
        .output()
        .unwrap()
        .into();
    r.success();
    assert!(r.stderr.contains("keeping 4 finished runs"), "{}", r.stderr);
}

#[test]
fn compare_interrupted_by_a_signal_says_so_in_its_summary() {
    let dir = tempdir();
    let out = dir.path().join("out");
    let mut child = spawn(
        dir.path(),
        "compare --out out --quiet --dataset digits --hidden 32 --epochs 100000 --arms constant:lr=0.01 --seeds 1",
    );
    wait_until(&mut child, "the run has rows", || {
        has_rows(&out.join("runs/constant-seed0/steps.csv"))
    });
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < PATIENCE, "compare did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(summary(&out)["interrupted"], true);
    // the interrupted folder is a comparison of its own experiment only
    let r = run(
        dir.path(),
        &words(
            "compare --out out --quiet --resume --dataset iris --hidden 4 --epochs 1 --arms constant:lr=0.01 --seeds 1",
        ),
    );
    expect_usage_error(&r, "another experiment", &["--resume"]);
}

#[test]
fn predict_and_report_never_write_over_their_input() {
    let dir = tempdir();
    let mut iris = String::from("a,b,kind\n");
    for i in 0..60u32 {
        let k = i % 2;
        iris += &format!(
            "{:.2},{:.2},{}\n",
            k as f64 + (i % 7) as f64 / 10.0,
            (i % 5) as f64 / 5.0,
            ["x", "y"][k as usize]
        );
    }
    let csv = dir.path().join("in.csv");
    fs::write(&csv, &iris).unwrap();
    train(dir.path(), "run", "--dataset in.csv --hidden 4 --epochs 1").success();
    fs::hard_link(&csv, dir.path().join("link.csv")).unwrap();
    for (output, flag) in [
        ("in.csv", "--input"),
        ("./in.csv", "--input"),
        ("link.csv", "--input"),
        ("run/model.safetensors", "--model"),
    ] {
        let r = run(
            dir.path(),
            &[
                "predict",
                "--model",
                "run/model.safetensors",
                "--input",
                "in.csv",
                "--output",
                output,
            ],
        );
        expect_usage_error(&r, output, &["--output", output, flag]);
    }
    assert_eq!(fs::read_to_string(&csv).unwrap(), iris);
    let summary_before = fs::read(dir.path().join("run/summary.json")).unwrap();
    for output in [
        "run/summary.json",
        "./run/.lrtool-manifest.json",
        "run/lr.svg",
    ] {
        let r = run(dir.path(), &["report", "run", "--output", output]);
        expect_usage_error(&r, output, &["--output", "run folder"]);
    }
    assert_eq!(
        fs::read(dir.path().join("run/summary.json")).unwrap(),
        summary_before
    );
    run(dir.path(), &["report", "run", "--output", "page.html"]).success();
}

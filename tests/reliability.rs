//! Faults while running: Ctrl-C (SIGINT) and SIGTERM during training end after a whole step with
//! exit code 130, whole-row CSV logs and a summary saying `"interrupted": true`; an unwritable
//! output folder is refused naming the path; a full disk fails the run naming the file, the log
//! cut back to a whole row; divergence tells what to try; a non-finite loss is the normal end of a
//! range test.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// How long a test waits for the binary to reach a state or to exit before giving up.
const PATIENCE: Duration = Duration::from_secs(60);

/// Starts `lrtool ARGS…` in `dir` with both streams captured.
fn spawn(dir: &Path, args: &str) -> Child {
    lrtool(dir)
        .args(words(args))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lrtool starts")
}

/// Polls until `ready()` holds; kills the child and panics when it exits first or takes too long.
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
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`INT`, `TERM`) to the child with the `kill` command.
fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .expect("the kill command runs");
    assert!(status.success(), "kill -{signal} {}", child.id());
}

/// Waits for the child to exit (killing it after [`PATIENCE`]) and collects its output.
fn finish(mut child: Child) -> Run {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("lrtool did not stop within {PATIENCE:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap().into()
}

/// Lines in a file, 0 when it does not exist yet.
fn lines(path: &Path) -> usize {
    fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// No temporary file of an atomic write is left in `out`.
#[track_caller]
fn no_temporaries(out: &Path) {
    for e in fs::read_dir(out).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".tmp"), "temporary file left: {name}");
    }
}

/// Interrupts a long `train` run once steps.csv holds rows and checks what it leaves behind.
fn interrupt_train(dataset: &str, signal: &str) {
    let dir = tempdir();
    let out = dir.path().join("out");
    let mut child = spawn(
        dir.path(),
        &format!("train --out out --quiet --dataset {dataset} --hidden 32 --epochs 100000"),
    );
    wait_until(&mut child, "steps.csv has rows", || {
        lines(&out.join("steps.csv")) >= 2
    });
    send(&child, signal);
    let r = finish(child);
    r.expect_code(130);
    assert_eq!(r.stdout, "", "--quiet prints nothing on stdout");
    let line = one_error_line(&r.stderr);
    assert!(line.contains("interrupted"), "{line}");
    for f in [
        "steps.csv",
        "epochs.csv",
        "summary.json",
        "model.safetensors",
    ] {
        assert!(
            line.contains(f),
            "the line names what was kept ({f}): {line}"
        );
    }

    // steps.csv: whole rows of 5 fields, numbered from 0 without a gap
    let text = fs::read_to_string(out.join("steps.csv")).unwrap();
    assert!(text.ends_with('\n'), "steps.csv ends on a whole row");
    let steps = Csv::read(&out.join("steps.csv"));
    assert_eq!(steps.header, STEPS_HEADER);
    assert!(!steps.rows.is_empty());
    for (i, row) in steps.rows.iter().enumerate() {
        assert_eq!(row.len(), 5, "row {i}: {row:?}");
        assert_eq!(row[0], i.to_string(), "steps numbered from 0");
        assert!(row[4].parse::<f64>().unwrap().is_finite());
    }
    let epochs = Csv::read(&out.join("epochs.csv"));

    let s = summary(&out);
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["result"]["end"]["status"], "interrupted");
    assert_eq!(
        s["result"]["steps"].as_u64(),
        Some(steps.rows.len() as u64),
        "the summary counts the rows steps.csv holds"
    );
    assert_eq!(
        s["result"]["epochs_completed"].as_u64(),
        Some(epochs.rows.len() as u64)
    );
    assert!(s["result"]["epochs_completed"].as_u64().unwrap() < 100000);
    assert!(
        line.contains(&format!("steps.csv ({} rows)", steps.rows.len())),
        "{line}"
    );
    // the weights after the last step load as a starting point
    assert!(out.join("model.safetensors").is_file());
    no_temporaries(&out);
    // the rows kept are the rows an uninterrupted run writes: a one-epoch run with the same seed
    // starts with the same bytes
    train(
        dir.path(),
        "one",
        &format!("--dataset {dataset} --hidden 32 --epochs 1"),
    )
    .success();
    let one = Csv::read(&dir.path().join("one/steps.csv"));
    let n = one.rows.len().min(steps.rows.len());
    assert!(n > 0);
    assert_eq!(one.rows[..n], steps.rows[..n], "same seed, same rows");
    // the folder stays lrtool's own: a new run replaces it without --force
    train(dir.path(), "out", "--dataset iris --hidden 4 --epochs 1").success();
    assert_eq!(summary(&out)["interrupted"], false);
}

#[test]
fn sigint_during_train_finishes_the_step_and_exits_130() {
    interrupt_train("mnist-10k", "INT");
}

#[test]
fn sigterm_during_train_is_handled_like_ctrl_c() {
    interrupt_train("digits", "TERM");
}

#[test]
fn sigint_during_find_lr_writes_the_curve_so_far() {
    interrupt_find_lr(1);
}

#[test]
fn sigint_during_find_lr_repeats_side_by_side_stops_every_sweep_started() {
    interrupt_find_lr(2);
}

/// Sweeps that neither diverge nor end soon, three repeats on `threads` workers: the signal
/// stops the sweeps running (one per worker) and no further sweep starts.
fn interrupt_find_lr(threads: usize) {
    let dir = tempdir();
    let out = dir.path().join("out");
    let mut child = spawn(
        dir.path(),
        &format!(
            "find-lr --out out --quiet --dataset digits --hidden 16 --min 1e-9 --max 1e-8 \
             --steps 10000000 --no-stop --repeats 3 --threads {threads}"
        ),
    );
    // the handler is installed before the output folder is made
    wait_until(&mut child, "the output folder exists", || {
        out.join(".lrtool-manifest.json").is_file()
    });
    std::thread::sleep(Duration::from_millis(300));
    send(&child, "INT");
    let r = finish(child);
    r.expect_code(130);
    let line = one_error_line(&r.stderr);
    assert!(
        line.contains("interrupted") && line.contains("steps.csv"),
        "{line}"
    );
    let steps = Csv::read(&out.join("steps.csv"));
    assert_eq!(
        steps.header,
        if threads == 1 {
            "step,lr,loss,smooth_loss"
        } else {
            "run,step,lr,loss,smooth_loss"
        }
    );
    assert!(!steps.rows.is_empty());
    let s = summary(&out);
    assert_eq!(s["interrupted"], true);
    let sweeps = s["sweeps"].as_array().unwrap();
    assert_eq!(
        sweeps.len(),
        threads,
        "the sweeps running when the signal came, and no sweep started after it"
    );
    for sw in sweeps {
        assert_eq!(sw["ended"]["end"], "interrupted", "{sw}");
    }
    let recorded: u64 = sweeps
        .iter()
        .map(|sw| sw["steps_recorded"].as_u64().unwrap())
        .sum();
    assert_eq!(recorded, steps.rows.len() as u64);
    assert!(out.join("find-lr.svg").is_file());
    no_temporaries(&out);
}

#[test]
fn sigint_during_snapshot_ensemble_keeps_the_snapshots_taken() {
    let dir = tempdir();
    let out = dir.path().join("out");
    let mut child = spawn(
        dir.path(),
        "snapshot-ensemble --out out --quiet --dataset digits --hidden 16 --epochs 100000 \
         --cycles 500",
    );
    wait_until(&mut child, "a snapshot is taken", || {
        lines(&out.join("snapshots.csv")) >= 2
    });
    send(&child, "INT");
    let r = finish(child);
    r.expect_code(130);
    let line = one_error_line(&r.stderr);
    assert!(
        line.contains("interrupted") && line.contains("snapshots"),
        "{line}"
    );
    let steps = Csv::read(&out.join("steps.csv"));
    assert_eq!(steps.header, STEPS_HEADER);
    assert!(steps.rows.iter().all(|r| r.len() == 5));
    let snapshots = Csv::read(&out.join("snapshots.csv"));
    assert!(!snapshots.rows.is_empty());
    let s = summary(&out);
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["result"]["end"]["status"], "interrupted");
    let saved = fs::read_dir(out.join("snapshots")).unwrap().count();
    assert!(saved >= 1, "the snapshots taken stay");
    no_temporaries(&out);
    no_temporaries(&out.join("snapshots"));
}

#[test]
fn a_completed_run_says_it_was_not_interrupted() {
    let dir = tempdir();
    train(dir.path(), "out", "--dataset iris --hidden 4 --epochs 1").success();
    assert_eq!(summary(&dir.path().join("out"))["interrupted"], false);
    run(
        dir.path(),
        &words("find-lr --out f --quiet --dataset iris --hidden 4 --steps 20"),
    )
    .success();
    assert_eq!(summary(&dir.path().join("f"))["interrupted"], false);
}

// ---------------------------------------------------------------- divergence

#[test]
fn train_divergence_names_step_lr_and_what_to_try() {
    let dir = tempdir();
    let r = train(
        dir.path(),
        "out",
        "--dataset iris --optimizer sgd --lr 1e6 --epochs 3",
    );
    r.expect_code(1);
    let line = one_error_line(&r.stderr);
    let s = summary(&dir.path().join("out"));
    let step = s["result"]["end"]["step"].as_u64().unwrap();
    assert!(line.contains(&format!("at step {step}")), "{line}");
    assert!(line.contains("lr 1000000"), "{line}");
    assert!(
        line.contains("lower --lr") && line.contains("lrtool find-lr"),
        "says what to try: {line}"
    );
    assert_eq!(s["interrupted"], false);
}

#[test]
fn find_lr_ending_on_a_nan_loss_is_a_normal_end() {
    let dir = tempdir();
    let r = run(
        dir.path(),
        &words(
            "find-lr --out out --quiet --dataset iris --optimizer sgd --min 1e-3 --max 1e12 \
             --no-stop --steps 100",
        ),
    );
    r.success();
    assert_eq!(r.stderr, "");
    let out = dir.path().join("out");
    let s = summary(&out);
    let sweep = &s["sweeps"][0];
    assert_eq!(sweep["ended"]["end"], "non-finite");
    let step = sweep["ended"]["step"].as_u64().unwrap();
    assert!(step < 99, "the loss overflowed before --max");
    // the non-finite step is the last row, its smoothed loss empty; every row is whole
    let steps = Csv::read(&out.join("steps.csv"));
    assert_eq!(steps.rows.len() as u64, step + 1);
    let last = steps.rows.last().unwrap();
    assert!(!last[2].parse::<f64>().unwrap().is_finite(), "{last:?}");
    assert_eq!(last[3], "");
    assert!(s["consensus"]["lr"].as_f64().is_some(), "still suggests");
}

// ---------------------------------------------------------------- unwritable output

#[test]
fn out_below_a_regular_file_is_refused_naming_the_path() {
    let dir = tempdir();
    write(dir.path(), "file", "not a folder");
    let line = usage_error(
        dir.path(),
        "--dataset iris --hidden 4 --epochs 1 --out file/run",
        &["--out", "file/run"],
    );
    assert!(line.contains("cannot create the folder"), "{line}");
}

/// Makes a folder unwritable even for root (`chattr +i`, the immutable attribute) and undoes it
/// on drop, so the temporary folder can be removed.
struct Immutable<'a>(&'a Path);

impl Drop for Immutable<'_> {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(self.0).status();
    }
}

/// True when a file can be created in `dir` (always so for root, whatever the mode bits say).
fn writable(dir: &Path) -> bool {
    let probe = dir.join("probe");
    let ok = fs::write(&probe, "x").is_ok();
    let _ = fs::remove_file(&probe);
    ok
}

#[test]
fn a_read_only_output_folder_is_refused_naming_the_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o555)).unwrap();
    let mut guard = None;
    if writable(&out) {
        // root ignores the mode bits; the immutable attribute holds for root too
        let made = Command::new("chattr")
            .arg("+i")
            .arg(&out)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if made {
            guard = Some(Immutable(&out));
        }
        if !made || writable(&out) {
            eprintln!(
                "skipped: {} stays writable (running as root without chattr +i support)",
                out.display()
            );
            return;
        }
    }
    let r = train(dir.path(), "out", "--dataset iris --hidden 4 --epochs 1");
    r.expect_code(2);
    assert_eq!(r.stdout, "");
    let line = one_error_line(&r.stderr);
    assert!(
        line.contains("--out out") && line.contains("not writable"),
        "{line}"
    );
    assert!(line.contains(".lrtool-lock"), "names the file: {line}");
    drop(guard);
    fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0, "nothing written");
}

/// A small tmpfs mounted on a folder (root only), unmounted on drop.
struct SmallDisk<'a>(&'a Path);

impl SmallDisk<'_> {
    fn mount<'a>(dir: &'a Path, size: &str) -> Option<SmallDisk<'a>> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0).status();
    }
}

#[test]
fn a_full_disk_fails_naming_the_file_and_the_log_ends_on_a_whole_row() {
    let dir = tempdir();
    let disk = dir.path().join("disk");
    fs::create_dir(&disk).unwrap();
    let Some(_mounted) = SmallDisk::mount(&disk, "100k") else {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root and mount rights)");
        return;
    };
    // about 40 bytes a step row: 100 epochs of 45 steps do not fit in 100 KiB
    let r = train(
        &disk,
        "run",
        "--dataset digits --hidden 8 --epochs 100 --batch-size 32",
    );
    r.expect_code(1);
    let line = one_error_line(&r.stderr);
    assert!(
        line.contains("cannot write run/") && line.contains("No space left"),
        "names the file: {line}"
    );
    let steps = Csv::read(&disk.join("run/steps.csv"));
    assert!(!steps.rows.is_empty());
    for (i, row) in steps.rows.iter().enumerate() {
        assert_eq!(row[0], i.to_string(), "whole rows, no gap");
    }
}

//! Issue 14 tried again on the newer commands: a run whose `--out` is the folder of an earlier
//! run holding one of its inputs (`landscape --from RUN --out RUN`, `train --init RUN/… --out
//! RUN`, a dataset that is an earlier run's log) would delete that input while replacing the
//! folder; each command refuses it (exit 2, naming the file and the flag) and leaves the folder
//! as it was, while a foreign file of the user's in the folder stays usable with --force.

use std::fs;
use std::path::Path;

use crate::util::*;

/// The names and bytes of every file in `dir` (not recursive).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn no_command_replaces_a_folder_holding_one_of_its_inputs() {
    let dir = tempdir();
    train(dir.path(), "run", "--dataset iris --epochs 2").success();
    let before = snapshot(&dir.path().join("run"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "landscape",
                "--from",
                "run",
                "--to",
                "run",
                "--dataset",
                "iris",
                "--out",
                "run",
            ],
            "--from run/model.safetensors",
        ),
        (
            vec![
                "landscape",
                "--model",
                "run/model.safetensors",
                "--grid",
                "3",
                "--dataset",
                "iris",
                "--out",
                "./run/",
            ],
            "--model run/model.safetensors",
        ),
        (
            vec![
                "train",
                "--dataset",
                "iris",
                "--init",
                "run/init.safetensors",
                "--out",
                "run",
            ],
            "--init run/init.safetensors",
        ),
        (
            vec![
                "train",
                "--dataset",
                "run/steps.csv",
                "--target",
                "loss",
                "--out",
                "run",
            ],
            "--dataset run/steps.csv",
        ),
        (
            vec![
                "find-lr",
                "--dataset",
                "run/epochs.csv",
                "--target",
                "val_loss",
                "--out",
                "run",
            ],
            "--dataset run/epochs.csv",
        ),
        (
            vec![
                "snapshot-ensemble",
                "--dataset",
                "iris",
                "--init",
                "run/model.safetensors",
                "--epochs",
                "2",
                "--cycles",
                "2",
                "--out",
                "run",
            ],
            "--init run/model.safetensors",
        ),
        (
            vec![
                "compare",
                "--dataset",
                "run/steps.csv",
                "--target",
                "loss",
                "--arms",
                "constant;cosine",
                "--seeds",
                "1",
                "--out",
                "run",
            ],
            "--dataset run/steps.csv",
        ),
    ];
    for (args, input) in cases {
        let r = run(dir.path(), &args);
        expect_usage_error(
            &r,
            &format!("{args:?}"),
            &["--out", "would replace", input, "another --out"],
        );
        assert_eq!(
            snapshot(&dir.path().join("run")),
            before,
            "{args:?} changed the folder"
        );
    }
    // the same runs into another folder work, and an earlier run's folder that holds no input
    // of this run is replaced as before
    let r = run(
        dir.path(),
        &[
            "landscape",
            "--from",
            "run",
            "--to",
            "run",
            "--dataset",
            "iris",
            "--points",
            "3",
            "--out",
            "line",
            "--quiet",
        ],
    );
    r.success();
    train(
        dir.path(),
        "again",
        "--dataset iris --epochs 1 --init run/model.safetensors",
    )
    .success();
    train(
        dir.path(),
        "again",
        "--dataset iris --epochs 1 --init run/model.safetensors",
    )
    .success();
}

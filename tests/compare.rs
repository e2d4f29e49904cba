//! `lrtool compare` end to end: arm parsing and overrides (bad keys and values are exit-2 errors
//! naming the arm), same-seed arms starting from the same weights and data order, `--jobs 1` and
//! `--jobs 2` giving identical files, two shards merged equal to one unsharded run, a diverging
//! arm reported while the others finish, and the shipped `configs/compare-*.json` in reduced size.
//! Runs are tiny (iris and digits, one to three epochs) to keep a 2-core CI quick.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// Runs `lrtool compare --out OUT --quiet ARGS…` in `dir`.
fn compare(dir: &Path, out: &str, args: &[&str]) -> Run {
    let mut all = vec!["compare", "--out", out, "--quiet"];
    all.extend_from_slice(args);
    run(dir, &all)
}

/// The shared flags of the quick experiments.
const QUICK: [&str; 8] = [
    "--dataset",
    "digits",
    "--optimizer",
    "sgd",
    "--momentum",
    "0.9",
    "--epochs",
    "2",
];

fn quick_with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = QUICK.to_vec();
    v.extend_from_slice(extra);
    v
}

/// results.csv without its last column (the wall time).
fn results_without_wall_time(out: &Path) -> String {
    let text = fs::read_to_string(out.join("results.csv")).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(",wall_seconds"),
        "wall time is the last column: {header}"
    );
    text.lines()
        .map(|l| l.rsplit_once(',').unwrap().0)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The files of a comparison that must not depend on --jobs or --shard.
const DETERMINISTIC: [&str; 5] = ["report.md", "summary.json", "val.svg", "loss.svg", "lr.svg"];

#[track_caller]
fn assert_same_report(a: &Path, b: &Path) {
    assert_eq!(
        results_without_wall_time(a),
        results_without_wall_time(b),
        "results.csv"
    );
    for f in DETERMINISTIC {
        assert!(
            fs::read(a.join(f)).unwrap() == fs::read(b.join(f)).unwrap(),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn bad_arms_are_exit_2_errors_naming_the_arm() {
    let dir = tempdir();
    for (arms, needles) in [
        (
            "constant:lr=0.01;sgdr:t00=2",
            &["arm \"sgdr\"", "unknown key \"t00\"", "did you mean \"t0\""][..],
        ),
        ("sgdr:t0=x", &["arm \"sgdr\"", "--t0", "'x'"]),
        ("constant:t0=2", &["arm \"constant\"", "--t0 is not used"]),
        ("one-cycle:lr=-1", &["arm \"one-cycle\"", "--lr -1"]),
        ("sgdr:seed=4", &["arm \"sgdr\"", "key \"seed\"", "--seeds"]),
        (
            "fast:lr=0.1",
            &["arm \"fast\"", "not a schedule name", "schedule=NAME"],
        ),
        (
            "trianglar",
            &["arm \"trianglar\"", "did you mean \"triangular\""],
        ),
        ("x:schedule=cosine,nesterov=maybe", &["arm \"x\"", "switch"]),
        (
            "a:schedule=constant;a:schedule=cosine",
            &["arm \"a\" is given twice"],
        ),
        ("../up:schedule=constant", &["arm \"../up\"", "folder name"]),
        (
            "snap:command=snapshot-ensemble,keep=x",
            &["arm \"snap\"", "--keep"],
        ),
        (
            "x:schedule=constant,command=find-lr",
            &["arm \"x\"", "command"],
        ),
    ] {
        let r = compare(dir.path(), "out", &quick_with(&["--arms", arms]));
        r.expect_code(2);
        assert_eq!(r.stdout, "");
        let line = one_error_line(&r.stderr);
        for n in needles {
            assert!(line.contains(n), "{arms}: {line:?} should mention {n:?}");
        }
        assert!(!dir.path().join("out").exists(), "{arms}: nothing written");
    }
    for (args, needle) in [
        (&["--seeds", "0"][..], "--seeds 0"),
        (&["--seeds", "1,1"], "--seeds 1,1"),
        (&["--shard", "2/2"], "--shard 2/2"),
        (&["--jobs", "0"], "--jobs 0"),
        (&["--target-acc", "0.9", "--target-loss", "0.1"], "--target"),
    ] {
        let mut a = quick_with(&["--arms", "constant"]);
        a.extend_from_slice(args);
        let r = compare(dir.path(), "out", &a);
        r.expect_code(2);
        assert!(one_error_line(&r.stderr).contains(needle), "{}", r.stderr);
    }
    // no arms at all
    let r = compare(dir.path(), "out", &QUICK);
    r.expect_code(2);
    assert!(one_error_line(&r.stderr).contains("--arms"));
}

#[test]
fn arms_override_shared_flags_and_config_files() {
    let dir = tempdir();
    let config = write(
        dir.path(),
        "exp.json",
        r#"{
  "description": "a test experiment",
  "dataset": "iris",
  "optimizer": "sgd",
  "momentum": 0.9,
  "nesterov": true,
  "lr": 0.05,
  "epochs": 5,
  "hidden": [16],
  "seeds": [3, 1],
  "target-acc": 0.5,
  "arms": [
    {"name": "fixed", "schedule": "constant"},
    {"name": "plain", "schedule": "constant", "lr": 0.2, "nesterov": false, "epochs": 3},
    {"schedule": "sgdr", "t0": 1, "t-mult": 2}
  ]
}"#,
    );
    // the command line beats the file's shared flags; arms beat both
    let r = compare(
        dir.path(),
        "out",
        &["--config", config.to_str().unwrap(), "--epochs", "2"],
    );
    r.success();
    let out = dir.path().join("out");
    let cfg = |run: &str| summary(&out.join("runs").join(run))["config"].clone();
    let fixed = cfg("fixed-seed3");
    assert_eq!(num(&fixed["run"]["lr"]), 0.05);
    assert_eq!(fixed["run"]["epochs"].as_u64(), Some(2));
    assert_eq!(fixed["run"]["seed"].as_u64(), Some(3));
    assert_eq!(fixed["optimizer"]["nesterov"], true);
    assert_eq!(fixed["model"]["hidden"], serde_json::json!([16]));
    let plain = cfg("plain-seed1");
    assert_eq!(num(&plain["run"]["lr"]), 0.2);
    assert_eq!(plain["run"]["epochs"].as_u64(), Some(3));
    assert_eq!(plain["optimizer"]["nesterov"], false);
    assert_eq!(cfg("sgdr-seed1")["schedule"]["name"], "sgdr");
    // rows in (arm, seed) order as given
    let csv = Csv::read(&out.join("results.csv"));
    let keys: Vec<String> = csv
        .rows
        .iter()
        .map(|r| format!("{}/{}", r[0], r[1]))
        .collect();
    assert_eq!(
        keys,
        [
            "fixed/3", "fixed/1", "plain/3", "plain/1", "sgdr/3", "sgdr/1"
        ]
    );
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("a test experiment"));
    assert!(report.contains("val_acc ≥ 0.5"));
    let s = summary(&out);
    assert_eq!(s["experiment"]["seeds"], serde_json::json!([3, 1]));
    assert_eq!(s["runs"].as_array().unwrap().len(), 6);

    // --arms replaces the file's arms; a key the file does not know is an error naming it
    let r = compare(
        dir.path(),
        "out2",
        &[
            "--config",
            config.to_str().unwrap(),
            "--arms",
            "cosine",
            "--seeds",
            "1",
        ],
    );
    r.success();
    assert_eq!(
        Csv::read(&dir.path().join("out2/results.csv")).rows.len(),
        1
    );
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"epoch": 3, "arms": [{"schedule": "constant"}]}"#,
    );
    let r = compare(dir.path(), "out3", &["--config", bad.to_str().unwrap()]);
    r.expect_code(2);
    let line = one_error_line(&r.stderr);
    assert!(
        line.contains("bad.json") && line.contains("\"epoch\"") && line.contains("epochs"),
        "{line}"
    );
    let bad_arm = write(
        dir.path(),
        "bad-arm.json",
        r#"{"arms": [{"name": "x", "schedule": "sgdr", "t0": "two"}]}"#,
    );
    let r = compare(dir.path(), "out3", &["--config", bad_arm.to_str().unwrap()]);
    r.expect_code(2);
    let line = one_error_line(&r.stderr);
    assert!(
        line.contains("arm \"x\"") && line.contains("--t0"),
        "{line}"
    );
}

#[test]
fn same_seed_arms_share_initial_weights_and_data_order() {
    let dir = tempdir();
    let r = compare(
        dir.path(),
        "out",
        &quick_with(&[
            "--epochs",
            "1",
            "--arms",
            "a:schedule=constant,lr=0.01;b:schedule=constant,lr=0.01;c:schedule=one-cycle,lr=0.3",
            "--seeds",
            "2",
        ]),
    );
    r.success();
    let runs = dir.path().join("out/runs");
    let steps = |run: &str| Csv::read(&runs.join(run).join("steps.csv"));
    // identical arms: identical logs, step by step
    for seed in 0..2 {
        let (a, b) = (
            fs::read(runs.join(format!("a-seed{seed}/steps.csv"))).unwrap(),
            fs::read(runs.join(format!("b-seed{seed}/steps.csv"))).unwrap(),
        );
        assert!(a == b, "arms a and b of seed {seed} ran the same steps");
    }
    // the loss of step 0 is computed before any update: equal across arms of a seed (same initial
    // weights, same first batch) whatever their learning rates, different between seeds
    let first = |run: &str| steps(run).rows[0][steps(run).col("loss")].clone();
    assert_eq!(first("a-seed0"), first("c-seed0"));
    assert_eq!(first("a-seed1"), first("c-seed1"));
    assert_ne!(first("a-seed0"), first("a-seed1"));
    let lr = |run: &str| steps(run).f64s("lr")[0];
    assert_ne!(lr("a-seed0"), lr("c-seed0"));
}

#[test]
fn jobs_and_shards_do_not_change_the_results() {
    let dir = tempdir();
    let base = quick_with(&[
        "--arms",
        "constant:lr=0.01;triangular2:min-lr=0.001,lr=0.01,step-size=20;sgdr:lr=0.05,t0=1",
        "--seeds",
        "3",
        "--target-acc",
        "0.8",
    ]);
    let with = |extra: &[&'static str]| {
        let mut v = base.clone();
        v.extend_from_slice(extra);
        v
    };
    compare(dir.path(), "one", &with(&["--jobs", "1"])).success();
    compare(dir.path(), "two", &with(&["--jobs", "2"])).success();
    compare(dir.path(), "s0", &with(&["--shard", "0/2"])).success();
    compare(dir.path(), "s1", &with(&["--shard", "1/2", "--jobs", "1"])).success();
    let one = dir.path().join("one");
    assert_same_report(&one, &dir.path().join("two"));
    for run in fs::read_dir(one.join("runs")).unwrap() {
        let run = run.unwrap().file_name();
        for f in [
            "steps.csv",
            "epochs.csv",
            "summary.json",
            "model.safetensors",
        ] {
            assert_same_output(
                &one.join("runs").join(&run),
                &dir.path().join("two/runs").join(&run),
                f,
            );
        }
    }
    // a shard holds every second run, in order
    let rows = |d: &str| -> Vec<String> {
        Csv::read(&dir.path().join(d).join("results.csv"))
            .rows
            .iter()
            .map(|r| format!("{}-seed{}", r[0], r[1]))
            .collect()
    };
    assert_eq!(rows("s0").len(), 5);
    assert_eq!(rows("s1").len(), 4);
    assert_eq!(rows("s0")[..2], ["constant-seed0", "constant-seed2"]);
    assert_eq!(
        summary(&dir.path().join("s1"))["shard"]["index"].as_u64(),
        Some(1)
    );

    // merged shards give the unsharded report, byte for byte apart from wall times
    let r = run(
        dir.path(),
        &[
            "compare", "--merge", "s1", "s0", "--out", "merged", "--quiet",
        ],
    );
    r.success();
    let merged = dir.path().join("merged");
    assert_same_report(&one, &merged);
    assert!(summary(&merged)["shard"].is_null());
    for f in ["steps.csv", "model.safetensors"] {
        assert!(
            merged.join("runs/sgdr-seed1").join(f).is_file(),
            "{f} copied"
        );
    }
    let timing = json(&merged.join("timing.json"));
    assert_eq!(timing["merged_from"].as_array().unwrap().len(), 2);

    // one folder read again against another target: no training, a new target
    let r = run(
        dir.path(),
        &[
            "compare",
            "--merge",
            "one",
            "--target-loss",
            "100",
            "--out",
            "retarget",
            "--quiet",
        ],
    );
    r.success();
    let csv = Csv::read(&dir.path().join("retarget/results.csv"));
    assert_eq!(csv.f64s("epochs_to_target"), vec![1.0; 9]);
    assert_eq!(
        summary(&dir.path().join("retarget"))["experiment"]["target"]["kind"],
        "loss"
    );

    // a missing shard, a shard twice, the output inside the inputs: exit 2
    for (args, needle) in [
        (&["--merge", "s0"][..], "in none of the folders"),
        (&["--merge", "s0", "s0", "s1"], "is in both"),
        (
            &["--merge", "s0", "s1", "--out", "s0"],
            "one of the folders being merged",
        ),
        (&["--merge", "s0", "s1", "--epochs", "3"], "--merge takes"),
        (&["--merge", "nowhere"], "nowhere"),
    ] {
        let mut a = vec!["compare"];
        a.extend_from_slice(args);
        if !args.contains(&"--out") {
            a.extend(["--out", "bad"]);
        }
        let r = run(dir.path(), &a);
        r.expect_code(2);
        assert!(
            one_error_line(&r.stderr).contains(needle),
            "{args:?}: {}",
            r.stderr
        );
    }
    // a rerun into the same folder replaces the earlier comparison without --force
    compare(
        dir.path(),
        "one",
        &quick_with(&["--arms", "cosine", "--seeds", "1"]),
    )
    .success();
    let left: Vec<_> = fs::read_dir(one.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["cosine-seed0"]);
}

#[test]
fn a_diverging_arm_is_reported_and_the_others_finish() {
    let dir = tempdir();
    let args = [
        "--dataset",
        "iris",
        "--optimizer",
        "sgd",
        "--epochs",
        "3",
        "--seeds",
        "2",
        "--arms",
        "constant:lr=0.05;huge:schedule=constant,lr=1e6",
    ];
    let r = compare(dir.path(), "out", &args);
    r.success();
    let csv = Csv::read(&dir.path().join("out/results.csv"));
    let col = |n: &str| csv.col(n);
    for row in &csv.rows {
        let huge = row[0] == "huge";
        assert_eq!(row[col("diverged")], if huge { "yes" } else { "no" });
        assert_eq!(
            row[col("status")],
            if huge { "diverged" } else { "completed" }
        );
        assert_eq!(row[col("epochs")], if huge { "0" } else { "3" });
    }
    let report = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        report.contains("`huge` seed 0: diverged at step"),
        "{report}"
    );
    // every run diverging is a failed comparison (exit 1), with the report written
    let r = compare(
        dir.path(),
        "all",
        &[
            "--dataset",
            "iris",
            "--optimizer",
            "sgd",
            "--epochs",
            "2",
            "--seeds",
            "1",
            "--arms",
            "x:schedule=constant,lr=1e6",
        ],
    );
    r.expect_code(1);
    assert!(one_error_line(&r.stderr).contains("every run diverged"));
    assert!(dir.path().join("all/results.csv").is_file());
}

#[test]
fn output_files_and_stdout() {
    let dir = tempdir();
    let r = run(
        dir.path(),
        &[
            "compare",
            "--out",
            "out",
            "--dataset",
            "iris",
            "--epochs",
            "2",
            "--seeds",
            "2",
            "--arms",
            "constant;cosine",
            "--target-loss",
            "5",
        ],
    );
    r.success();
    assert!(r.stdout.contains("| `cosine` |"), "{}", r.stdout);
    assert!(r.stdout.contains("val_loss ≤ 5"), "{}", r.stdout);
    let out = dir.path().join("out");
    for f in ["results.csv", "report.md", "summary.json", "timing.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    for f in ["val.svg", "loss.svg", "lr.svg"] {
        let text = fs::read_to_string(out.join(f)).unwrap();
        assert!(
            text.contains("<svg") && text.trim_end().ends_with("</svg>"),
            "{f}"
        );
    }
    for run in ["constant-seed0", "cosine-seed1"] {
        assert_train_files(&out.join("runs").join(run));
    }
    let s = summary(&out);
    assert!(
        !s.to_string().contains("seconds"),
        "no wall times in summary.json"
    );
    let csv = Csv::read(&out.join("results.csv"));
    assert_eq!(
        csv.f64s("epochs_to_target"),
        vec![1.0; 4],
        "loss ≤ 5 after one epoch"
    );
    let r = run(
        dir.path(),
        &[
            "compare",
            "--out",
            "json",
            "--json",
            "--dataset",
            "iris",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--arms",
            "constant",
        ],
    );
    r.success();
    let v: Value = serde_json::from_str(&r.stdout).expect("--json prints the summary alone");
    assert_eq!(v["command"], "compare");
}

#[test]
fn shipped_compare_configs_run_in_reduced_size() {
    let dir = tempdir();
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut files: Vec<_> = fs::read_dir(&configs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("compare-") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 4, "configs/compare-*.json: {files:?}");
    for (i, path) in files.iter().enumerate() {
        let name = path.display().to_string();
        let cfg = json(path);
        let arms = cfg["arms"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: arms"));
        assert!(arms.len() >= 2, "{name} compares at least two arms");
        let out = format!("out{i}");
        // one seed and one epoch (arms that set their own epochs keep them)
        let r = compare(
            dir.path(),
            &out,
            &[
                "--config",
                path.to_str().unwrap(),
                "--seeds",
                "1",
                "--epochs",
                "1",
            ],
        );
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        let csv = Csv::read(&dir.path().join(&out).join("results.csv"));
        assert_eq!(csv.rows.len(), arms.len(), "{name}");
        for row in &csv.rows {
            assert_eq!(row[csv.col("status")], "completed", "{name}: {row:?}");
        }
        if arms.iter().any(|a| a["command"] == "snapshot-ensemble") {
            let c = csv.col("ensemble_val_acc");
            assert!(
                csv.rows.iter().any(|r| !r[c].is_empty()),
                "{name}: ensembles"
            );
        }
    }
}

//! `lrtool snapshot-ensemble`, `lrtool evaluate` and `lrtool predict` run end to end: snapshot
//! files and `snapshots.csv`, the ensemble of one equal to the last snapshot, snapshots reloaded
//! by `evaluate` to identical metrics, the baseline equal to `train --schedule cosine`, predictions,
//! determinism and bad flags. Runs are tiny (a small CSV, a few epochs).

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

const SNAPSHOTS_HEADER: &str = "k,step,epoch,lr,val_loss,val_acc,ens_val_loss,ens_val_acc";

/// 120 rows of three features (`a`, `b`, `c`) and a string class (`cat`, `dog`, `emu`); the
/// classes overlap, so models disagree on some validation rows.
fn pets_csv(dir: &Path) -> String {
    let mut s = String::from("a,b,c,kind\n");
    for i in 0..120u32 {
        let k = i % 3;
        let jitter = |m: u32| ((i * m + 7) % 23) as f64 / 23.0;
        s += &format!(
            "{:.3},{:.3},{:.3},{}\n",
            k as f64 * 0.6 + jitter(5),
            jitter(11) * 2.0 - k as f64 * 0.4,
            jitter(3),
            ["cat", "dog", "emu"][k as usize]
        );
    }
    write(dir, "pets.csv", s);
    "pets.csv".into()
}

/// A regression CSV: `y = sin(2x) + z/2` with a little pseudo-noise.
fn wave_csv(dir: &Path) -> String {
    let mut s = String::from("x,z,y\n");
    for i in 0..100u32 {
        let x = i as f64 / 25.0 - 2.0;
        let z = ((i * 7) % 13) as f64 / 13.0;
        let noise = ((i * 31) % 17) as f64 / 170.0;
        s += &format!("{x:.4},{z:.4},{:.4}\n", (2.0 * x).sin() + z / 2.0 + noise);
    }
    write(dir, "wave.csv", s);
    "wave.csv".into()
}

/// The flags of a small run on `data`: 6 epochs of 6 steps (96 training rows, batches of 16).
fn small(data: &str) -> Vec<String> {
    words(&format!(
        "--dataset {data} --hidden 12 --optimizer sgd --momentum 0.9 --lr 0.1 --epochs 6 --batch-size 16 --seed 4"
    ))
    .into_iter()
    .map(str::to_string)
    .collect()
}

/// `lrtool snapshot-ensemble --out OUT --quiet ARGS…` in `dir`.
fn snapshot_ensemble(dir: &Path, out: &str, args: &[String]) -> Run {
    let mut all = vec!["snapshot-ensemble", "--out", out, "--quiet"];
    all.extend(args.iter().map(String::as_str));
    run(dir, &all)
}

fn with(mut args: Vec<String>, extra: &str) -> Vec<String> {
    args.extend(words(extra).into_iter().map(str::to_string));
    args
}

/// The files in `out/snapshots`, sorted.
fn snapshot_files(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(out.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn m_cycles_give_m_snapshots_and_the_ensemble_of_one_is_the_last() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    snapshot_ensemble(dir.path(), "out", &with(small(&data), "--cycles 3")).success();
    let out = dir.path().join("out");
    assert_eq!(
        snapshot_files(&out),
        [
            "snapshot-1.safetensors",
            "snapshot-2.safetensors",
            "snapshot-3.safetensors"
        ]
    );
    for f in [
        "steps.csv",
        "epochs.csv",
        "snapshots.csv",
        "summary.json",
        "timing.json",
        "model.safetensors",
        "loss.svg",
        "lr.svg",
        "snapshot-ensemble.svg",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // 36 steps in 3 cycles of 12: snapshots after steps 11, 23, 35 (the ends of epochs 2, 4, 6)
    let csv = Csv::read(&out.join("snapshots.csv"));
    assert_eq!(csv.header, SNAPSHOTS_HEADER);
    assert_eq!(csv.rows.len(), 3);
    let cells =
        |c: &str| -> Vec<&str> { csv.rows.iter().map(|r| r[csv.col(c)].as_str()).collect() };
    assert_eq!(cells("k"), ["1", "2", "3"]);
    assert_eq!(cells("step"), ["11", "23", "35"]);
    assert_eq!(cells("epoch"), ["2", "4", "6"]);
    let floor = 0.1 / 2.0 * ((std::f64::consts::PI * 11.0 / 12.0).cos() + 1.0);
    for lr in csv.f64s("lr") {
        assert!(
            (lr - floor).abs() < 1e-15,
            "the LR at a snapshot is the cycle's floor: {lr}"
        );
    }
    // the LR restarts at --lr right after each snapshot
    let steps = Csv::read(&out.join("steps.csv"));
    let lrs = steps.f64s("lr");
    assert_eq!((lrs[0], lrs[12], lrs[24]), (0.1, 0.1, 0.1));
    // row 1's ensemble is snapshot 1 alone
    assert_eq!(
        csv.rows[0][csv.col("val_loss")],
        csv.rows[0][csv.col("ens_val_loss")]
    );

    let s = summary(&out);
    let r = &s["result"];
    assert_eq!(r["end"]["status"], "completed");
    assert_eq!(r["snapshots"].as_array().unwrap().len(), 3);
    let ens = r["ensembles"].as_array().unwrap();
    assert_eq!(ens.len(), 3, "m = 1, 2, 3");
    let last = &r["snapshots"][2];
    assert_eq!(ens[0]["m"], 1);
    assert_eq!(ens[0]["snapshots"], serde_json::json!([3]));
    assert_eq!(ens[0]["val_loss"], last["val_loss"]);
    assert_eq!(ens[0]["val_acc"], last["val_acc"]);
    assert_eq!(
        num(&ens[0]["val_loss"]),
        json_f64(&csv.rows[2][csv.col("val_loss")])
    );
    // the last row's running ensemble is the ensemble of all three
    assert_eq!(ens[2]["snapshots"], serde_json::json!([1, 2, 3]));
    assert_eq!(
        num(&ens[2]["val_loss"]),
        json_f64(&csv.rows[2][csv.col("ens_val_loss")])
    );
    assert_eq!(
        num(&ens[2]["val_acc"]),
        json_f64(&csv.rows[2][csv.col("ens_val_acc")])
    );
    // the final model is snapshot 3, byte for byte
    assert_eq!(r["final"]["same_weights_as_snapshot"], 3);
    assert_eq!(r["final"]["val_loss"], last["val_loss"]);
    assert_eq!(
        fs::read(out.join("model.safetensors")).unwrap(),
        fs::read(out.join("snapshots/snapshot-3.safetensors")).unwrap()
    );
    assert_eq!(s["config"]["schedule"]["name"], "snapshot");
    assert_eq!(s["config"]["ensemble"]["keep"], 3);
    assert!(r["baseline"].is_null());
}

#[test]
fn evaluate_reloads_snapshots_to_identical_metrics() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    snapshot_ensemble(dir.path(), "out", &with(small(&data), "--cycles 3")).success();
    let out = dir.path().join("out");
    let csv = Csv::read(&out.join("snapshots.csv"));
    let s = summary(&out);
    let evaluate = |models: &[&str]| -> Value {
        let mut args = vec!["evaluate", "--dataset", &data, "--seed", "4", "--json"];
        for m in models {
            args.extend(["--model", m]);
        }
        let r = run(dir.path(), &args);
        r.success();
        serde_json::from_str(&r.stdout).expect("only JSON on stdout")
    };
    for k in 1..=3 {
        let file = format!("out/snapshots/snapshot-{k}.safetensors");
        let v = evaluate(&[&file]);
        assert_eq!(v["split"], "val");
        assert_eq!(v["rows"], s["dataset"]["val_rows"]);
        let row = &csv.rows[k - 1];
        assert_eq!(
            num(&v["models"][0]["loss"]),
            json_f64(&row[csv.col("val_loss")]),
            "snapshot {k}"
        );
        assert_eq!(
            num(&v["models"][0]["acc"]),
            json_f64(&row[csv.col("val_acc")]),
            "snapshot {k}"
        );
        assert!(v["ensemble"].is_null());
    }
    // the ensemble of the last two, oldest first, as the run summed it
    let v = evaluate(&[
        "out/snapshots/snapshot-2.safetensors",
        "out/snapshots/snapshot-3.safetensors",
    ]);
    let m2 = &s["result"]["ensembles"][1];
    assert_eq!(m2["m"], 2);
    assert_eq!(v["ensemble"]["members"], 2);
    assert_eq!(v["ensemble"]["loss"], m2["val_loss"]);
    assert_eq!(v["ensemble"]["acc"], m2["val_acc"]);
    // other splits evaluate too, and the human report names the split
    let all = evaluate(&["out/model.safetensors"]);
    assert_eq!(all["models"][0]["acc"], s["result"]["final"]["val_acc"]);
    let r = run(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "out/model.safetensors",
            "--dataset",
            &data,
            "--split",
            "all",
        ],
    );
    r.success();
    assert!(r.stdout.contains("split all (120 rows"), "{}", r.stdout);
}

#[test]
fn evaluate_refuses_a_model_that_does_not_fit_the_data() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    snapshot_ensemble(dir.path(), "out", &with(small(&data), "--cycles 2")).success();
    let wave = wave_csv(dir.path());
    for (dataset, needle) in [
        ("iris", "takes 3 features"),
        // a CSV file is read with the model's own columns (input_columns), the target included
        (wave.as_str(), "no column named \"kind\" for the target"),
    ] {
        let r = run(
            dir.path(),
            &[
                "evaluate",
                "--model",
                "out/model.safetensors",
                "--dataset",
                dataset,
            ],
        );
        r.expect_code(2);
        let line = one_error_line(&r.stderr);
        assert!(
            (dataset == wave || line.contains("--model out/model.safetensors"))
                && line.contains(needle),
            "{line}"
        );
    }
    let r = run(dir.path(), &["evaluate", "--model", "nothing.safetensors"]);
    r.expect_code(2);
    assert!(one_error_line(&r.stderr).contains("--model nothing.safetensors"));
    let r = run(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "out/model.safetensors",
            "--dataset",
            &data,
            "--val-split",
            "0",
        ],
    );
    r.expect_code(2);
    assert!(one_error_line(&r.stderr).contains("--split val"));
}

#[test]
fn predict_writes_a_row_per_input_row_with_probabilities() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    snapshot_ensemble(dir.path(), "out", &with(small(&data), "--cycles 2")).success();
    // columns in another order, an extra column, no target
    write(
        dir.path(),
        "new.csv",
        "c,extra,b,a\n0.5,x,0.1,0.2\n0.1,y,-0.8,1.3\n0.9,z,0.3,0.7\n",
    );
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            "out/snapshots/snapshot-1.safetensors",
            "--model",
            "out/snapshots/snapshot-2.safetensors",
            "--input",
            "new.csv",
            "--output",
            "pred.csv",
        ],
    );
    r.success();
    assert_eq!(r.stdout, "");
    let p = Csv::read(&dir.path().join("pred.csv"));
    assert_eq!(p.header, "row,predicted,p_cat,p_dog,p_emu");
    assert_eq!(p.rows.len(), 3);
    for (i, row) in p.rows.iter().enumerate() {
        assert_eq!(row[0], i.to_string());
        let probs: Vec<f64> = row[2..].iter().map(|c| c.parse().unwrap()).collect();
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let best = (0..3).fold(0, |b, j| if probs[j] > probs[b] { j } else { b });
        assert_eq!(row[1], ["cat", "dog", "emu"][best]);
    }
    // the training file itself (its target column is ignored), on stdout
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            "out/model.safetensors",
            "--input",
            &data,
        ],
    );
    r.success();
    assert_eq!(r.stdout.lines().count(), 121);
    // a missing feature column is named
    write(dir.path(), "bad.csv", "a,c\n1,2\n");
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            "out/model.safetensors",
            "--input",
            "bad.csv",
        ],
    );
    r.expect_code(2);
    let line = one_error_line(&r.stderr);
    assert!(
        line.contains("--input bad.csv") && line.contains("missing column \"b\""),
        "{line}"
    );
}

#[test]
fn regression_snapshots_report_r2_and_predict_values() {
    let dir = tempdir();
    let data = wave_csv(dir.path());
    let args = words(&format!(
        "--dataset {data} --hidden 16 --optimizer adam --lr 0.01 --epochs 4 --batch-size 20 --cycles 2"
    ))
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    snapshot_ensemble(dir.path(), "out", &args).success();
    let out = dir.path().join("out");
    let csv = Csv::read(&out.join("snapshots.csv"));
    assert_eq!(
        csv.header,
        "k,step,epoch,lr,val_loss,val_r2,ens_val_loss,ens_val_r2"
    );
    assert_eq!(csv.rows.len(), 2);
    let s = summary(&out);
    assert_eq!(
        s["result"]["ensembles"][0]["val_r2"],
        s["result"]["snapshots"][1]["val_r2"]
    );
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            "out/model.safetensors",
            "--input",
            &data,
        ],
    );
    r.success();
    let mut lines = r.stdout.lines();
    assert_eq!(lines.next(), Some("row,predicted"));
    assert_eq!(lines.count(), 100);
}

#[test]
fn the_baseline_is_train_with_a_cosine_from_the_same_seed() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    snapshot_ensemble(
        dir.path(),
        "out",
        &with(small(&data), "--cycles 3 --baseline"),
    )
    .success();
    let out = dir.path().join("out");
    let s = summary(&out);
    let b = &s["result"]["baseline"];
    assert_eq!(b["schedule"]["name"], "cosine");
    assert_eq!(b["steps"], 36);
    assert_eq!(b["end"]["status"], "completed");
    assert_eq!(Csv::read(&out.join("baseline/epochs.csv")).rows.len(), 6);
    let mut train = vec!["--schedule".to_string(), "cosine".into()];
    train.extend(small(&data));
    let train: Vec<&str> = train.iter().map(String::as_str).collect();
    train_with(dir.path(), "train", &train).success();
    assert_eq!(
        fs::read(out.join("baseline/model.safetensors")).unwrap(),
        fs::read(dir.path().join("train/model.safetensors")).unwrap(),
        "same seed, same steps, same schedule: the same weights"
    );
    assert_eq!(
        fs::read(out.join("baseline/steps.csv")).unwrap(),
        fs::read(dir.path().join("train/steps.csv")).unwrap()
    );
    // another baseline schedule
    snapshot_ensemble(
        dir.path(),
        "out2",
        &with(
            small(&data),
            "--cycles 3 --baseline --baseline-schedule one-cycle",
        ),
    )
    .success();
    assert_eq!(
        summary(&dir.path().join("out2"))["result"]["baseline"]["schedule"]["name"],
        "one-cycle"
    );
}

#[test]
fn another_cyclic_schedule_snapshots_at_its_restarts() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    // SGDR with 2-epoch cycles over 6 epochs of 6 steps: ends after steps 11, 23, 35
    snapshot_ensemble(
        dir.path(),
        "out",
        &with(small(&data), "--schedule sgdr --t0 2 --keep 2"),
    )
    .success();
    let out = dir.path().join("out");
    assert_eq!(snapshot_files(&out).len(), 3);
    let csv = Csv::read(&out.join("snapshots.csv"));
    assert_eq!(
        csv.rows.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(),
        ["11", "23", "35"]
    );
    let s = summary(&out);
    assert_eq!(
        s["result"]["ensembles"].as_array().unwrap().len(),
        2,
        "--keep 2"
    );
    assert_eq!(s["result"]["snapshots"][2]["ensemble_size"], 2);
    // triangular: cycles of 2·step-size steps end at the low point
    snapshot_ensemble(
        dir.path(),
        "tri",
        &with(
            small(&data),
            "--schedule triangular --step-size 6 --no-cycle-momentum",
        ),
    )
    .success();
    assert_eq!(snapshot_files(&dir.path().join("tri")).len(), 3);
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    let args = with(small(&data), "--cycles 3 --baseline");
    snapshot_ensemble(dir.path(), "a", &args).success();
    snapshot_ensemble(dir.path(), "b", &args).success();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for f in [
        "steps.csv",
        "epochs.csv",
        "snapshots.csv",
        "summary.json",
        "model.safetensors",
        "snapshot-ensemble.svg",
        "lr.svg",
        "loss.svg",
        "snapshots/snapshot-1.safetensors",
        "snapshots/snapshot-2.safetensors",
        "snapshots/snapshot-3.safetensors",
        "baseline/model.safetensors",
    ] {
        assert_same_output(&a, &b, f);
    }
    snapshot_ensemble(dir.path(), "c", &with(small(&data), "--cycles 3 --seed 5")).success();
    assert_ne!(
        fs::read(a.join("snapshots.csv")).unwrap(),
        fs::read(dir.path().join("c/snapshots.csv")).unwrap()
    );
}

#[test]
fn bad_flags_are_usage_errors_naming_the_flag() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    for (extra, needle) in [
        ("--cycles 0", "--cycles 0"),
        ("--cycles 3 --keep 4", "--keep 4"),
        ("--keep 0", "--keep 0"),
        ("--cycles 37", "--cycles 37"),
        ("--cycles 30", "--cycles 30"), // ⌈36/30⌉ = 2-step cycles: only 18
        ("--schedule cosine", "--schedule cosine"),
        ("--schedule one-cycle", "--schedule one-cycle"),
        ("--schedule sgdr --t0 10", "--schedule sgdr"),
        ("--schedule sgdr --cycles 3", "--cycles"),
        ("--baseline-schedule step", "--baseline-schedule"),
        (
            "--baseline --baseline-schedule multistep",
            "--baseline-schedule multistep",
        ),
        ("--val-split 0", "--val-split 0"),
    ] {
        let r = snapshot_ensemble(dir.path(), "out", &with(small(&data), extra));
        r.expect_code(2);
        assert_eq!(r.stdout, "");
        let line = one_error_line(&r.stderr);
        assert!(line.contains(needle), "{extra}: {line}");
        assert!(
            !dir.path().join("out").exists(),
            "{extra}: no output folder"
        );
    }
}

#[test]
fn divergence_exits_1_and_keeps_the_logs() {
    let dir = tempdir();
    let data = pets_csv(dir.path());
    let mut args = small(&data);
    let lr = args.iter().position(|a| a == "--lr").unwrap();
    args[lr + 1] = "1e9".into();
    let r = snapshot_ensemble(dir.path(), "out", &args);
    r.expect_code(1);
    assert!(one_error_line(&r.stderr).contains("diverged"));
    let out = dir.path().join("out");
    assert_eq!(
        Csv::read(&out.join("snapshots.csv")).header,
        SNAPSHOTS_HEADER
    );
    assert_eq!(summary(&out)["result"]["end"]["status"], "diverged");
    assert!(!out.join("model.safetensors").exists());
}

#[test]
fn the_snapshot_schedule_is_listed_and_previewed() {
    let dir = tempdir();
    let r = run(dir.path(), &["schedule", "--list"]);
    r.success();
    assert!(r.stdout.contains("\nsnapshot\n"));
    let r = run(
        dir.path(),
        &[
            "schedule",
            "--schedule",
            "snapshot",
            "--cycles",
            "2",
            "--steps",
            "8",
            "--lr",
            "0.4",
        ],
    );
    r.success();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "step,lr");
    assert_eq!(lines[1], "0,0.4");
    assert_eq!(lines[3], "2,0.2");
    assert_eq!(lines[5], "4,0.4", "the second cycle restarts at --lr");
}

#[test]
fn the_example_config_runs() {
    let dir = tempdir();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/snapshot-digits.json");
    let cfg: Value = serde_json::from_str(&fs::read_to_string(&config).unwrap()).unwrap();
    let cycles = cfg["cycles"].as_u64().expect("the config sets cycles");
    // one epoch per cycle keeps the test fast
    let epochs = cycles.to_string();
    let r = run(
        dir.path(),
        &[
            "snapshot-ensemble",
            "--config",
            config.to_str().unwrap(),
            "--epochs",
            &epochs,
            "--out",
            "out",
            "--quiet",
            "--baseline",
        ],
    );
    r.success();
    let out = dir.path().join("out");
    assert_eq!(snapshot_files(&out).len() as u64, cycles);
    let s = summary(&out);
    assert_eq!(s["config"]["data"]["dataset"], cfg["dataset"]);
    assert_eq!(s["config"]["run"]["lr"], cfg["lr"]);
}

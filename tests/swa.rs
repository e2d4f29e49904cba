//! `lrtool train --swa-start`: the SWA model is the mean of the weights after each epoch from
//! `--swa-start` on (checked against weight files saved by the test itself), the LR of the SWA
//! phase follows SWALR from the LR at the switch for any base schedule (a schedule of the step
//! or the plateau policy), summary.json reports the SWA model beside the final one, and bad SWA
//! flags are usage errors.

use std::path::Path;

use lrtool::nn::{Activation, Mlp};

use crate::util::*;

fn load(path: &Path) -> Mlp {
    lrtool::weights::load(path, "test", Activation::Relu)
        .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
        .model
}

fn flat(m: &Mlp) -> Vec<f32> {
    m.layers
        .iter()
        .flat_map(|l| l.weight.iter().chain(l.bias.iter()).copied())
        .collect()
}

const BASE: &str = "--dataset digits --hidden 32 --optimizer sgd --momentum 0.9 --lr 0.05 --batch-size 64 --seed 3";

#[test]
fn swa_model_is_the_mean_of_the_weights_after_each_epoch_from_swa_start() {
    let dir = tempdir();
    let swa =
        "--schedule constant --swa-start 3 --swa-lr 0.01 --swa-anneal-epochs 2 --swa-anneal linear";
    // A constant base schedule and SWALR do not depend on the run's length, so the run of k
    // epochs is the first k epochs of the run of 6: its model.safetensors is the weights after
    // epoch k. Save them for k = 3 … 6 and average them here.
    let mut per_epoch = Vec::new();
    for k in 3..=6 {
        let out = format!("e{k}");
        train(dir.path(), &out, &format!("{BASE} {swa} --epochs {k}")).success();
        per_epoch.push(flat(&load(
            &dir.path().join(&out).join("model.safetensors"),
        )));
    }
    let out6 = dir.path().join("e6");
    let swa_weights = flat(&load(&out6.join("model-swa.safetensors")));
    let n = per_epoch.len() as f64;
    let mut max_diff = 0.0f64;
    let mut moved = 0.0f64;
    for (i, &w) in swa_weights.iter().enumerate() {
        let mean = per_epoch.iter().map(|p| p[i] as f64).sum::<f64>() / n;
        max_diff = max_diff.max((w as f64 - mean).abs());
        moved = moved.max((w as f64 - per_epoch[3][i] as f64).abs());
    }
    assert!(
        max_diff < 2e-6,
        "SWA weights differ from the mean by {max_diff}"
    );
    assert!(
        moved > 1e-3,
        "the average should differ from the last weights ({moved})"
    );

    // the LR: the base's 0.05 before the switch and in the first SWA epoch, then SWALR linear
    // over 2 epochs to 0.01
    let epochs = Csv::read(&out6.join("epochs.csv"));
    let lrs = epochs.f64s("lr");
    let want = [0.05, 0.05, 0.05, 0.03, 0.01, 0.01];
    for (got, want) in lrs.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{lrs:?}");
    }
    let s = summary(&out6);
    let facts = &s["result"]["swa"];
    assert_eq!(facts["epochs_averaged"], 4);
    assert_eq!(facts["first_epoch"], 3);
    assert_eq!(facts["last_epoch"], 6);
    assert!(num(&facts["val_acc"]) > 0.5, "{facts}");
    assert_eq!(s["config"]["swa"]["swa_lr"], 0.01);
    assert!(
        s["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "model-swa.safetensors")
    );

    // the SWA model's metrics are those `lrtool evaluate` finds for the file
    let r = run(
        dir.path(),
        &words(
            "evaluate --model e6/model-swa.safetensors --dataset digits --seed 3 --split val --json",
        ),
    );
    r.success();
    let eval: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let m = &eval["models"][0];
    assert_eq!(num(&m["loss"]), num(&facts["val_loss"]), "{eval}");
    assert_eq!(num(&m["acc"]), num(&facts["val_acc"]), "{eval}");
}

#[test]
fn swalr_starts_from_the_lr_of_any_base_schedule_at_the_switch() {
    let dir = tempdir();
    // cosine over the run: the LR at the switch is the cosine's at the first step of epoch 4
    train(
        dir.path(),
        "cos",
        &format!(
            "{BASE} --epochs 8 --schedule cosine --swa-start 4 --swa-lr 0.004 --swa-anneal-epochs 3"
        ),
    )
    .success();
    let steps = Csv::read(&dir.path().join("cos/steps.csv"));
    let lr = steps.f64s("lr");
    let spe = lr.len() / 8;
    let switch = 3 * spe;
    // the base cosine from 0.05 to 0 over all steps, PyTorch CosineAnnealingLR per step
    let total = lr.len() as f64;
    let lr0 = 0.05 * (1.0 + (std::f64::consts::PI * switch as f64 / total).cos()) / 2.0;
    assert!(
        (lr[switch - 1] - lr0).abs() > 1e-6,
        "the base moves before the switch"
    );
    let alpha = |t: f64| (1.0 - (std::f64::consts::PI * t).cos()) / 2.0;
    for epoch in 0..5 {
        let a = alpha((epoch as f64 / 3.0).min(1.0));
        let want = 0.004 * a + lr0 * (1.0 - a);
        let from = switch + epoch * spe;
        for (t, &got) in lr.iter().enumerate().skip(from).take(spe) {
            assert!(
                (got - want).abs() < 1e-9 * want.max(1e-3),
                "step {t}: {got} vs {want}"
            );
        }
    }

    // plateau: the LR at the switch is the policy's LR then, whatever it heard; afterwards it
    // hears nothing and SWALR anneals from there
    train(
        dir.path(),
        "plat",
        &format!(
            "{BASE} --epochs 9 --schedule plateau --patience 0 --factor 0.5 --swa-start 5 --swa-lr 0.001 --swa-anneal-epochs 0"
        ),
    )
    .success();
    let s = summary(&dir.path().join("plat"));
    let epochs = Csv::read(&dir.path().join("plat/epochs.csv"));
    let lrs = epochs.f64s("lr");
    for (i, &v) in lrs.iter().enumerate().skip(4) {
        assert_eq!(
            v,
            0.001,
            "epoch {}: anneal-epochs 0 goes straight to swa_lr",
            i + 1
        );
    }
    for cut in s["result"]["lr_cuts"].as_array().unwrap() {
        assert!(
            cut["epoch"].as_u64().unwrap() <= 4,
            "plateau hears no epoch of the SWA phase: {cut}"
        );
    }
    assert_eq!(s["result"]["swa"]["epochs_averaged"], 5);
}

#[test]
fn swa_runs_are_reproducible() {
    let dir = tempdir();
    let args = format!("{BASE} --epochs 4 --schedule one-cycle --swa-start 3 --swa-lr 0.01");
    train(dir.path(), "a", &args).success();
    train(dir.path(), "b", &args).success();
    assert_same_output(
        &dir.path().join("a"),
        &dir.path().join("b"),
        "model-swa.safetensors",
    );
}

#[test]
fn bad_swa_flags_are_usage_errors() {
    let dir = tempdir();
    let d = dir.path();
    let base = "--dataset iris --epochs 5";
    usage_error(
        d,
        &format!("{base} --swa-start 6 --swa-lr 0.01"),
        &["--swa-start 6", "--epochs (5)"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start 0 --swa-lr 0.01"),
        &["--swa-start 0"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start -2 --swa-lr 0.01"),
        &["--swa-start -2"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start 3 --swa-lr 0"),
        &["--swa-lr 0"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start 3 --swa-lr -0.1"),
        &["--swa-lr -0.1"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start 3 --swa-lr nan"),
        &["--swa-lr NaN"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start 3"),
        &["--swa-start", "--swa-lr"],
    );
    usage_error(
        d,
        &format!("{base} --swa-lr 0.01"),
        &["--swa-lr", "--swa-start"],
    );
    usage_error(
        d,
        &format!("{base} --swa-anneal linear"),
        &["--swa-anneal", "--swa-start"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start 3 --swa-lr 0.01 --swa-anneal-epochs -1"),
        &["--swa-anneal-epochs -1"],
    );
    usage_error(
        d,
        &format!("{base} --swa-start 3 --swa-lr 0.01 --swa-anneal cosine"),
        &["--swa-anneal"],
    );
}

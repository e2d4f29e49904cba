//! Feedback end to end: `train --schedule plateau` logs the LR that ReduceLROnPlateau chooses from
//! the run's own validation losses (checked against `lrtool schedule --metrics`, whose rule is
//! checked against PyTorch in `schedule::plateau`), early stopping stops at the epoch Keras's
//! rule names and `--restore-best` writes that epoch's weights, and bad feedback flags are
//! one-line usage errors naming the flag.

use std::fs;
use std::path::Path;

use crate::util::*;

/// digits (1438 training rows, batch 32: 45 steps per epoch), Adam 3e-3: the validation loss
/// bottoms out after about 4 epochs and then stalls, so the plateau rule cuts.
const DIGITS: &str = "--dataset digits --lr 3e-3 --epochs 15";

/// The LR column of `steps.csv` equals the replay of the run's own `epochs.csv` val_loss by
/// `lrtool schedule --metrics`, cell for cell (the same text, so the same f64).
#[track_caller]
fn replay_matches(d: &Path, out: &str, plateau_flags: &str, monitor: &str) {
    train(
        d,
        out,
        &format!("{DIGITS} --schedule plateau {plateau_flags}"),
    )
    .success();
    let steps = Csv::read(&d.join(out).join("steps.csv"));
    let epochs = d.join(out).join("epochs.csv");
    let mut args = vec!["schedule", "--schedule", "plateau", "--lr", "3e-3"];
    args.extend(words(plateau_flags));
    let metrics = epochs.to_str().unwrap();
    args.extend(["--metrics", metrics, "--steps-per-epoch", "45"]);
    let r = run(d, &args);
    r.success();
    let replay = Csv::read(&write(d, &format!("{out}-replay.csv"), &r.stdout));
    assert_eq!(replay.header, "step,lr");
    let (a, b) = (steps.col("lr"), replay.col("lr"));
    assert_eq!(steps.rows.len(), 15 * 45);
    assert_eq!(replay.rows.len(), steps.rows.len());
    for (i, (s, p)) in steps.rows.iter().zip(&replay.rows).enumerate() {
        assert_eq!(s[a], p[b], "{plateau_flags}: step {i}");
    }
    // the rule did cut (the test would prove little otherwise), only ever downwards
    let lrs = steps.f64s("lr");
    let cuts = lrs.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(cuts >= 1, "{plateau_flags}: no cut in {lrs:?}");
    let s = summary(&d.join(out));
    assert_eq!(s["config"]["schedule"]["name"], "plateau");
    assert_eq!(s["config"]["monitor"]["quantity"], monitor);
    assert!(s["result"]["lr_cuts"].as_array().unwrap().len() >= cuts);
}

#[test]
fn train_plateau_logs_the_lr_its_own_val_losses_choose() {
    let dir = tempdir();
    let d = dir.path();
    replay_matches(d, "plain", "--patience 1", "val_loss");
    // mode max on the validation accuracy (its default direction), replayed from that column
    replay_matches(
        d,
        "acc",
        "--patience 1 --monitor val_acc --threshold 0",
        "val_acc",
    );
    // warm-up epochs are not heard; cooldown and an absolute threshold
    replay_matches(
        d,
        "warm",
        "--patience 0 --warmup-epochs 2 --cooldown 1 --threshold 0.002 --threshold-mode abs --min-lr 1e-5",
        "val_loss",
    );
    let lrs = Csv::read(&d.join("warm").join("steps.csv")).f64s("lr");
    assert!(
        lrs[0] < lrs[89] && lrs[90] == 3e-3,
        "the warm-up rises to --lr"
    );
    assert!(lrs.iter().all(|&v| v >= 1e-5), "--min-lr is the floor");
    // epochs.csv logs the LR of each epoch's last step, like any schedule
    let epochs = Csv::read(&d.join("plain").join("epochs.csv"));
    let steps = Csv::read(&d.join("plain").join("steps.csv"));
    let (el, sl) = (epochs.col("lr"), steps.col("lr"));
    for (k, row) in epochs.rows.iter().enumerate() {
        assert_eq!(row[el], steps.rows[k * 45 + 44][sl], "epoch {}", k + 1);
    }
}

/// Keras's EarlyStopping rule, written out independently: the 1-based epoch after which a run
/// with these values stops (`None`: it does not) and the best epoch.
fn keras_stop(values: &[f64], patience: usize) -> (Option<usize>, usize) {
    let (mut best, mut best_epoch, mut wait) = (f64::INFINITY, 0, 0);
    for (i, &v) in values.iter().enumerate() {
        wait += 1;
        if v < best {
            (best, best_epoch, wait) = (v, i + 1, 0);
        } else if wait >= patience && i > 0 {
            return (Some(i + 1), best_epoch);
        }
    }
    (None, best_epoch)
}

#[test]
fn early_stopping_stops_where_keras_would_and_restores_the_best_weights() {
    let dir = tempdir();
    let d = dir.path();
    // the full run's validation losses say where a patience of 3 stops
    train(d, "full", &format!("{DIGITS} --epochs 30")).success();
    let full_csv = Csv::read(&d.join("full").join("epochs.csv"));
    let full = full_csv.f64s("val_loss");
    let (stop, best) = keras_stop(&full, 3);
    let stop = stop.expect("the validation loss stalls within 30 epochs");
    assert!(best < stop);

    train(
        d,
        "es",
        &format!("{DIGITS} --epochs 30 --early-stop 3 --restore-best"),
    )
    .success();
    let es = Csv::read(&d.join("es").join("epochs.csv")).f64s("val_loss");
    assert_eq!(es.len(), stop, "epochs.csv ends at the stopping epoch");
    assert_eq!(
        es,
        full[..stop],
        "early stopping changes nothing before it stops"
    );
    let s = summary(&d.join("es"));
    assert_eq!(s["result"]["end"]["status"], "stopped");
    let reason = s["result"]["end"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("early stopping") && reason.contains("val_loss"),
        "{reason}"
    );
    let e = &s["result"]["early_stopping"];
    assert_eq!(e["best_epoch"].as_u64(), Some(best as u64));
    assert_eq!(e["stopped_epoch"].as_u64(), Some(stop as u64));
    assert_eq!(e["restored_best"], true);
    let cell = &full_csv.rows[best - 1][full_csv.col("val_loss")];
    assert_eq!(num(&e["best_value"]), json_f64(cell));
    assert_eq!(s["config"]["early_stopping"]["patience"].as_u64(), Some(3));
    let html = fs::read_to_string(d.join("es").join("report.html")).unwrap();
    assert!(
        html.contains(&format!("stopped after epoch {stop}; best val_loss"))
            && html.contains(&format!("at epoch {best}; model.safetensors holds")),
        "report.html tells how the run ended"
    );

    // the written weights are those after the best epoch: the same run stopped there by --epochs
    train(d, "to-best", &format!("{DIGITS} --epochs {best}")).success();
    let weights = |out: &str| fs::read(d.join(out).join("model.safetensors")).unwrap();
    assert_eq!(weights("es"), weights("to-best"));
    // without --restore-best they are the last epoch's
    train(
        d,
        "es-last",
        &format!("{DIGITS} --epochs 30 --early-stop 3"),
    )
    .success();
    train(d, "to-stop", &format!("{DIGITS} --epochs {stop}")).success();
    assert_eq!(weights("es-last"), weights("to-stop"));
    assert_eq!(
        summary(&d.join("es-last"))["result"]["early_stopping"]["restored_best"],
        false
    );

    // train_loss needs no validation split; min-delta makes small gains count as none
    train(
        d,
        "train-loss",
        "--dataset iris --epochs 40 --lr 0.05 --val-split 0 --early-stop 0 --monitor train_loss --min-delta 5",
    )
    .success();
    let s = summary(&d.join("train-loss"));
    assert_eq!(
        s["result"]["early_stopping"]["stopped_epoch"].as_u64(),
        Some(2)
    );
}

#[test]
fn bad_feedback_flags_are_usage_errors_naming_the_flag() {
    let dir = tempdir();
    let d = dir.path();
    let cases: [(&str, &[&str]); 11] = [
        (
            "--dataset iris --schedule plateau --val-split 0",
            &["--monitor val_loss", "--schedule plateau", "validation"],
        ),
        (
            "--dataset iris --early-stop 2 --val-split 0",
            &["--monitor val_loss", "--early-stop"],
        ),
        (
            "--dataset sine --early-stop 2 --monitor val_acc",
            &["--monitor val_acc", "regression"],
        ),
        (
            "--dataset iris --monitor train_loss",
            &["--monitor", "--early-stop"],
        ),
        ("--dataset iris --monitor-mode max", &["--monitor-mode"]),
        (
            "--dataset iris --min-delta 0.1",
            &["--min-delta", "--early-stop"],
        ),
        (
            "--dataset iris --restore-best",
            &["--restore-best", "--early-stop"],
        ),
        ("--dataset iris --early-stop -1", &["--early-stop -1"]),
        (
            "--dataset iris --early-stop 1 --min-delta -1",
            &["--min-delta -1"],
        ),
        (
            "--dataset iris --schedule plateau --factor 1",
            &["--factor 1"],
        ),
        (
            "--dataset iris --schedule cosine --patience 3",
            &["--patience", "--schedule plateau"],
        ),
    ];
    for (args, needles) in cases {
        usage_error(d, args, needles);
    }
    // snapshot-ensemble follows a schedule of the step only
    let r = run(
        d,
        &[
            "snapshot-ensemble",
            "--dataset",
            "iris",
            "--schedule",
            "plateau",
            "--out",
            "se",
        ],
    );
    expect_usage_error(
        &r,
        "snapshot-ensemble --schedule plateau",
        &["--schedule plateau"],
    );
    // lrtool schedule: plateau needs a recorded metric; a pure schedule takes none
    let metrics = write(d, "m.csv", "epoch,val_loss\n1,1.0\n2,\n");
    let m = metrics.to_str().unwrap();
    let schedule_cases: [(&[&str], &[&str]); 5] = [
        (&["--schedule", "plateau", "--steps", "5"], &["--metrics"]),
        (
            &["--schedule", "cosine", "--steps", "5", "--metrics", m],
            &["--metrics", "--schedule cosine"],
        ),
        (
            &["--schedule", "plateau", "--metrics", m],
            &["--metrics", "m.csv line 3", "val_loss", "empty"],
        ),
        (
            &["--schedule", "plateau", "--metrics", m, "--column", "nope"],
            &["--metrics", "no column \"nope\""],
        ),
        (
            &[
                "--schedule",
                "cosine",
                "--steps",
                "5",
                "--monitor",
                "val_acc",
            ],
            &["--monitor"],
        ),
    ];
    for (args, needles) in schedule_cases {
        let mut all = vec!["schedule"];
        all.extend_from_slice(args);
        expect_usage_error(&run(d, &all), &format!("{all:?}"), needles);
    }
}

#[test]
fn schedule_replays_a_metric_column_as_pytorch_would() {
    // the metric sequence of the PyTorch golden test in schedule::plateau (patience 2,
    // cooldown 1): ReduceLROnPlateau gives 1, 1, 1, 1, 0.1 … 0.1, 0.010000000000000002 after
    // the 1st … 14th value; epoch k + 1 runs at the LR after value k
    let dir = tempdir();
    let d = dir.path();
    let values = [
        1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8999, 0.89991, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6,
    ];
    let mut text = String::from("epoch,score\n");
    for (k, v) in values.iter().enumerate() {
        text.push_str(&format!("{},{v}\n", k + 1));
    }
    let m = write(d, "scores.csv", text);
    let r = run(
        d,
        &[
            "schedule",
            "--schedule",
            "plateau",
            "--lr",
            "1",
            "--patience",
            "2",
            "--cooldown",
            "1",
            "--metrics",
            m.to_str().unwrap(),
            "--column",
            "score",
            "--steps-per-epoch",
            "2",
        ],
    );
    r.success();
    let csv = Csv::read(&write(d, "replay.csv", &r.stdout));
    let lrs = csv.f64s("lr");
    assert_eq!(lrs.len(), 28, "one epoch of 2 steps per metric row");
    let epoch_lr: Vec<f64> = lrs.chunks(2).map(|c| c[0]).collect();
    let want = [
        1.0,
        1.0,
        1.0,
        1.0,
        1.0,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.010000000000000002,
        0.010000000000000002,
    ];
    assert_eq!(epoch_lr, want);
    // --plot draws it; --format json carries the policy
    let r = run(
        d,
        &[
            "schedule",
            "--schedule",
            "plateau",
            "--metrics",
            m.to_str().unwrap(),
            "--column",
            "score",
            "--plot",
            "p.svg",
            "--format",
            "json",
        ],
    );
    r.success();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["schedule"]["name"], "plateau");
    assert_eq!(v["rows"].as_array().unwrap().len(), 14);
    assert!(
        fs::read_to_string(d.join("p.svg"))
            .unwrap()
            .starts_with("<svg")
    );
}

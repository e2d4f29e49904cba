//! `lrtool schedule` end to end: SGDR's restarts in the CSV at full precision, the JSON and SVG
//! outputs, `--list`, agreement with `lrtool train --schedule` step by step (LR and momentum),
//! and bad flag combinations as one-line usage errors in both commands.

use std::collections::BTreeSet;
use std::f64::consts::PI;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// The families of issue 3 (`--schedule` may take more).
const FAMILIES: [&str; 10] = [
    "constant",
    "step",
    "multistep",
    "exponential",
    "cosine",
    "sgdr",
    "triangular",
    "triangular2",
    "exp-range",
    "one-cycle",
];

/// The issue's SGDR example: first cycle 10 epochs, then 20, 40, 80; 7 steps per epoch.
const SGDR: &str = "--schedule sgdr --t0 10 --t-mult 2 --steps 700 --steps-per-epoch 7";

/// `lrtool schedule ARGS…` (split at whitespace) in `dir`.
fn schedule(dir: &Path, args: &str) -> Run {
    let mut all = vec!["schedule"];
    all.extend(words(args));
    run(dir, &all)
}

/// `lrtool schedule ARGS…`'s CSV on stdout, checked to succeed silently, saved as `name` and
/// read back.
#[track_caller]
fn schedule_csv(dir: &Path, name: &str, args: &str) -> Csv {
    let r = schedule(dir, args);
    r.success();
    assert_eq!(r.stderr, "", "schedule {args}");
    Csv::read(&write(dir, name, &r.stdout))
}

/// The usage-error contract for `lrtool schedule ARGS…`.
#[track_caller]
fn schedule_error(dir: &Path, args: &str, needles: &[&str]) {
    expect_usage_error(&schedule(dir, args), &format!("`schedule {args}`"), needles);
}

/// The closed form of the SGDR example at step `t`: the cosine from 1e-3 (the default --lr) to 0
/// at the fractional epoch t/7 inside the cycle [start, start + len) epochs.
fn sgdr_closed_form(t: u64) -> f64 {
    let epoch = t as f64 / 7.0;
    let (start, len) = [(0.0, 10.0), (10.0, 20.0), (30.0, 40.0), (70.0, 80.0)]
        .into_iter()
        .rev()
        .find(|(s, _)| epoch >= *s)
        .unwrap();
    1e-3 * (1.0 + (PI * (epoch - start) / len).cos()) / 2.0
}

#[test]
fn sgdr_restarts_at_epochs_10_30_70_at_full_precision() {
    let dir = tempdir();
    let d = dir.path();
    let csv = schedule_csv(d, "sgdr.csv", SGDR);
    assert_eq!(csv.header, "step,lr", "SGDR does not cycle momentum");
    assert_eq!(csv.rows.len(), 700);
    let mut lrs = Vec::new();
    for (t, r) in csv.rows.iter().enumerate() {
        assert_eq!(r[0], t.to_string());
        let lr: f64 = r[1].parse().unwrap();
        // the shortest text that reads back as the same f64
        assert_eq!(
            format!("{lr}"),
            r[1],
            "step {t}: not the shortest round-trip text"
        );
        let want = sgdr_closed_form(t as u64);
        assert!(
            (lr - want).abs() <= 1e-12 * want + 1e-18,
            "step {t}: {lr} vs the cosine at epoch {t}/7 = {want}"
        );
        lrs.push(lr);
    }
    // the LR goes back up exactly at the restarts, and there to --lr itself
    let rises: Vec<usize> = (1..700).filter(|&t| lrs[t] > lrs[t - 1]).collect();
    assert_eq!(rises, [70, 210, 490]);
    for t in [0, 70, 210, 490] {
        assert_eq!(lrs[t], 1e-3, "restart at step {t}");
    }

    // JSON: the same numbers, with the cycle ends flagged
    let r = schedule(d, &format!("{SGDR} --format json"));
    r.success();
    let v: Value = serde_json::from_str(&r.stdout).expect("only JSON on stdout");
    assert_eq!(v["steps"], 700);
    assert_eq!(v["steps_per_epoch"], 7);
    assert_eq!(v["schedule"]["name"], "sgdr");
    assert_eq!(v["schedule"]["t0"], 10);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 700);
    let mut ends = Vec::new();
    for (t, row) in rows.iter().enumerate() {
        assert_eq!(row["step"], t);
        assert_eq!(num(&row["lr"]), lrs[t], "JSON and CSV agree at step {t}");
        assert!(row.get("momentum").is_none());
        if row["cycle_end"].as_bool().unwrap() {
            ends.push(t);
        }
    }
    assert_eq!(ends, [69, 209, 489], "the last step of each finished cycle");
}

#[test]
fn plot_writes_an_svg_with_the_restarts_marked() {
    let dir = tempdir();
    let d = dir.path();
    let r = schedule(d, &format!("{SGDR} --plot sgdr.svg"));
    r.success();
    assert_eq!(r.stdout, "", "with --plot alone nothing is printed");
    let svg = fs::read_to_string(d.join("sgdr.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    for text in [
        "cycle end (restart at epochs 10, 30, 70)",
        "step (7 steps per epoch)",
        "learning rate",
    ] {
        assert!(svg.contains(text), "sgdr.svg shows {text:?}");
    }
    assert!(!svg.contains("momentum"), "no momentum panel for SGDR");

    // a schedule that cycles momentum gets a second panel; --format still prints
    let r = schedule(
        d,
        "--schedule one-cycle --lr 0.1 --steps 100 --plot one.svg --format csv",
    );
    r.success();
    assert!(r.stdout.starts_with("step,lr,momentum\n"));
    assert_eq!(r.stdout.lines().count(), 101);
    let svg = fs::read_to_string(d.join("one.svg")).unwrap();
    assert!(svg.contains("momentum / β1"), "a momentum panel");
}

#[test]
fn list_names_every_family_and_each_one_runs() {
    let dir = tempdir();
    let d = dir.path();
    let r = schedule(d, "--list");
    r.success();
    // a family is an unindented line of its own, followed by its flags
    let lines: Vec<&str> = r.stdout.lines().collect();
    let listed: BTreeSet<&str> = lines
        .windows(2)
        .filter(|w| !w[0].is_empty() && !w[0].starts_with(' ') && w[1].starts_with("  flags:"))
        .map(|w| w[0])
        .collect();
    assert!(
        r.stdout.contains("--warmup-steps"),
        "the warm-up is listed too"
    );
    // … exactly the values `--schedule` accepts (its error for an unknown name lists them),
    // which include every family of issue 3
    let r = schedule(d, "--schedule no-such-family --steps 5");
    r.expect_code(2);
    let line = one_error_line(&r.stderr);
    let (_, values) = line
        .split_once("[possible values: ")
        .unwrap_or_else(|| panic!("the error lists the possible values: {line}"));
    let accepted: BTreeSet<&str> = values.trim_end_matches(']').split(", ").collect();
    assert_eq!(listed, accepted);
    for name in FAMILIES {
        assert!(listed.contains(name), "--list names {name}");
    }

    for name in listed {
        let extra = match name {
            "multistep" => " --milestones 5,10".to_string(),
            "sequential" => " --sequence linear:start-factor=0.1:decay-steps=5".to_string(),
            // a feedback policy replays a recorded metric, one value per epoch (step)
            "plateau" => {
                let rows: String = (1..=20).map(|k| format!("{k},1\n")).collect();
                let m = write(d, "metrics.csv", format!("epoch,val_loss\n{rows}"));
                format!(" --metrics {}", m.display())
            }
            _ => String::new(),
        };
        let csv = schedule_csv(
            d,
            &format!("{name}.csv"),
            &format!("--schedule {name} --lr 0.1 --steps 20{extra}"),
        );
        // momentum is a column exactly when the family cycles it (on by default)
        let cycles = matches!(
            name,
            "triangular" | "triangular2" | "exp-range" | "one-cycle"
        );
        let header = if cycles {
            "step,lr,momentum"
        } else {
            "step,lr"
        };
        assert_eq!(csv.header, header, "{name}");
        assert_eq!(csv.rows.len(), 20, "{name}");
        for lr in csv.f64s("lr") {
            assert!(lr.is_finite() && (0.0..=0.1).contains(&lr), "{name}: {lr}");
        }
    }
}

/// Trains iris (120 training rows, batch 16: 8 steps per epoch) for 12 epochs with `optim` and
/// `sched`, previews `sched` with `lrtool schedule` for the same steps, and checks both report
/// the same LR at every step, and the same momentum where the schedule cycles it (`fixed_momentum`
/// None); otherwise the optimizer's own momentum (or Adam's β1) is `fixed_momentum` at every step.
#[track_caller]
fn train_agrees_with_schedule(
    dir: &Path,
    name: &str,
    optim: &str,
    sched: &str,
    fixed_momentum: Option<f64>,
) {
    let r = train(
        dir,
        name,
        &format!("--dataset iris --batch-size 16 --epochs 12 {optim} {sched}"),
    );
    r.success();
    let out = dir.join(name);
    let s = summary(&out);
    let spe = s["steps_per_epoch"].as_u64().unwrap();
    assert_eq!(spe, 8);
    assert_eq!(s["result"]["end"]["status"], "completed", "{name}");
    assert!(out.join("lr.svg").is_file());
    let steps = Csv::read(&out.join("steps.csv"));
    assert_eq!(steps.header, STEPS_HEADER);
    assert_eq!(steps.rows.len(), 96);

    let preview = schedule_csv(
        dir,
        &format!("{name}.csv"),
        &format!("{sched} --steps 96 --steps-per-epoch {spe}"),
    );
    assert_eq!(preview.rows.len(), 96);
    let (train_lr, sched_lr) = (steps.f64s("lr"), preview.f64s("lr"));
    for t in 0..96 {
        assert_eq!(train_lr[t], sched_lr[t], "{name}: lr at step {t}");
    }
    let train_m = steps.f64s("momentum");
    if let Some(fixed) = fixed_momentum {
        assert_eq!(preview.header, "step,lr", "{name} does not cycle momentum");
        assert!(
            train_m.iter().all(|&m| m == fixed),
            "{name}: the optimizer's own momentum {fixed}"
        );
    } else {
        assert_eq!(preview.header, "step,lr,momentum", "{name} cycles momentum");
        let sched_m = preview.f64s("momentum");
        for t in 0..96 {
            assert_eq!(train_m[t], sched_m[t], "{name}: momentum at step {t}");
        }
        assert!(
            sched_m.iter().any(|&m| m != sched_m[0]),
            "{name}: the momentum cycles"
        );
    }
    // the schedule really moves the LR (so that agreeing means something)
    assert!(train_lr.iter().any(|&lr| lr != train_lr[0]), "{name}");
}

#[test]
fn train_and_schedule_agree_on_triangular() {
    let dir = tempdir();
    train_agrees_with_schedule(
        dir.path(),
        "triangular",
        "--optimizer sgd",
        "--schedule triangular --lr 0.05 --min-lr 0.005 --step-size 10",
        None,
    );
}

#[test]
fn train_and_schedule_agree_on_one_cycle_with_adam() {
    let dir = tempdir();
    train_agrees_with_schedule(
        dir.path(),
        "one-cycle",
        "--optimizer adam",
        "--schedule one-cycle --lr 0.01",
        None,
    );
}

#[test]
fn train_and_schedule_agree_on_sgdr() {
    let dir = tempdir();
    train_agrees_with_schedule(
        dir.path(),
        "sgdr",
        "--optimizer sgd --momentum 0.9",
        "--schedule sgdr --lr 0.05 --min-lr 0.001 --t0 2 --t-mult 2",
        Some(0.9),
    );
}

#[test]
fn train_and_schedule_agree_on_step() {
    let dir = tempdir();
    train_agrees_with_schedule(
        dir.path(),
        "step",
        "--optimizer adam",
        "--schedule step --lr 0.01 --gamma 0.5 --step-every 3",
        Some(0.9),
    );
}

#[test]
fn train_and_schedule_agree_on_warm_ups() {
    let dir = tempdir();
    train_agrees_with_schedule(
        dir.path(),
        "warmup-cosine",
        "--optimizer sgd",
        "--schedule cosine --lr 0.05 --warmup-steps 10 --warmup-start-factor 0.1",
        Some(0.0),
    );
    // epoch-based lengths converted with the same steps per epoch
    train_agrees_with_schedule(
        dir.path(),
        "warmup-triangular2",
        "--optimizer sgd",
        "--schedule triangular2 --lr 0.05 --step-size-epochs 2 --warmup-epochs 1",
        None,
    );
}

#[test]
fn bad_schedule_flags_are_usage_errors_in_schedule_and_train() {
    let dir = tempdir();
    let d = dir.path();
    for (args, needles) in [
        (
            "--schedule cosine --lr 0.01 --min-lr 0.1",
            &["--min-lr 0.1", "--lr"][..],
        ),
        (
            "--schedule triangular --lr 0.01 --min-lr 0.1",
            &["--min-lr"],
        ),
        ("--schedule sgdr --t-mult 0.5", &["--t-mult 0.5"]),
        ("--schedule sgdr --t-mult 1.5", &["--t-mult 1.5"]),
        ("--schedule triangular --step-size 0", &["--step-size 0"]),
        ("--schedule cosine --t0 5", &["--t0", "cosine", "sgdr"]),
        (
            "--schedule one-cycle --step-size 3",
            &["--step-size", "one-cycle"],
        ),
        ("--schedule constant --gamma 0.5", &["--gamma", "constant"]),
        ("--schedule step --min-lr 1e-4", &["--min-lr", "step"]),
        ("--schedule sgdr --pct-start 0.3", &["--pct-start", "sgdr"]),
        ("--schedule cosine --three-phase", &["--three-phase"]),
        (
            "--schedule cosine --base-momentum 0.8",
            &["--base-momentum"],
        ),
        ("--schedule cosine --t-max 0", &["--t-max 0"]),
        ("--schedule step --t-max 5", &["--t-max", "step", "cosine"]),
        ("--schedule linear --start-factor 0", &["--start-factor 0"]),
        ("--schedule linear --end-factor 2", &["--end-factor 2"]),
        (
            "--schedule linear --decay-steps 3 --decay-epochs 1",
            &["--decay-steps and --decay-epochs"],
        ),
        ("--schedule polynomial --power -1", &["--power -1"]),
        (
            "--schedule polynomial --decay-steps 0",
            &["--decay-steps 0"],
        ),
        ("--schedule cosine --cycle", &["--cycle", "polynomial"]),
        (
            "--schedule inverse-time --decay-rate -1",
            &["--decay-rate -1"],
        ),
        (
            "--schedule linear --staircase",
            &["--staircase", "inverse-time"],
        ),
        ("--schedule wsd --decay-fraction 2", &["--decay-fraction 2"]),
        (
            "--schedule wsd --pct-start 0.5 --decay-fraction 0.6",
            &["--decay-fraction 0.6", "add up to at most 1"],
        ),
        (
            "--schedule wsd --decay-shape square",
            &["square", "--decay-shape"],
        ),
        ("--schedule sequential", &["--sequence", "needs it"]),
        (
            "--schedule cosine --sequence cosine",
            &["--sequence", "cosine"],
        ),
        (
            "--schedule sequential --sequence cosine:t-max=x",
            &["--sequence", "t-max=x", "not a whole number"],
        ),
        (
            "--schedule sequential --sequence linear:gamma=0.5",
            &["--sequence", "--gamma is not used by --schedule linear"],
        ),
    ] {
        schedule_error(d, &format!("{args} --steps 50"), needles);
        usage_error(d, &format!("--dataset iris --epochs 1 {args}"), needles);
    }
    schedule_error(d, "--schedule cosine --steps 0", &["--steps 0"]);
    schedule_error(
        d,
        "--schedule cosine --steps 10 --steps-per-epoch 0",
        &["--steps-per-epoch 0"],
    );
}

/// The SequentialLR golden table of `src/schedule/sequence.rs` through the command line, in the
/// readable form and as a JSON list in `--config`: the same bytes.
#[test]
fn sequential_on_the_command_line_and_in_a_config_matches_pytorch() {
    let dir = tempdir();
    let d = dir.path();
    // PyTorch 2.15: SequentialLR(o, [LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5),
    //   CosineAnnealingLR(o, T_max=10, eta_min=0.0), ExponentialLR(o, gamma=0.5)],
    //   milestones=[5, 15]), lr=0.1, printed get_last_lr()[0] for steps 0..19 (some rows)
    let golden = [
        (0, 0.010000000000000002),
        (4, 0.082),
        (5, 0.1),
        (6, 0.09755282581475769),
        (10, 0.05000000000000001),
        (14, 0.002447174185242324),
        (15, 0.1),
        (19, 0.00625),
    ];
    let text = "linear:start-factor=0.1:decay-steps=5 @5 cosine:t-max=10 @15 exponential:gamma=0.5";
    let r = run(
        d,
        &[
            "schedule",
            "--schedule",
            "sequential",
            "--sequence",
            text,
            "--lr",
            "0.1",
            "--steps",
            "20",
        ],
    );
    r.success();
    let csv = Csv::read(&write(d, "seq.csv", &r.stdout));
    let lr = csv.f64s("lr");
    for (t, want) in golden {
        assert!(
            (lr[t] - want).abs() <= 1e-12 * want,
            "step {t}: {} vs {want}",
            lr[t]
        );
    }
    write(
        d,
        "seq.json",
        r#"{"schedule": "sequential", "lr": 0.1, "sequence": [
            {"schedule": "linear", "start-factor": 0.1, "decay-steps": 5},
            {"at": 5, "schedule": "cosine", "t-max": 10},
            {"at": 15, "schedule": "exponential", "gamma": 0.5}]}"#,
    );
    let from_config = schedule(d, "--config seq.json --steps 20");
    from_config.success();
    assert_eq!(from_config.stdout, r.stdout);
    // the description names every part and where it starts
    let json = run(
        d,
        &[
            "schedule",
            "--schedule",
            "sequential",
            "--sequence",
            text,
            "--steps",
            "20",
            "--format",
            "json",
        ],
    );
    json.success();
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let desc = v["description"].as_str().unwrap();
    for part in [
        "from step 0: linear",
        "from step 5: cosine",
        "from step 15: exponential",
    ] {
        assert!(desc.contains(part), "{desc}");
    }
    assert_eq!(v["schedule"]["children"][1]["t_max"], 10);
}

/// `--warmup-steps W --warmup-start-factor f` is the sequence `linear … @W NAME`: the same CSV.
#[test]
fn the_warm_up_flags_print_what_the_sequence_prints() {
    let dir = tempdir();
    let d = dir.path();
    let warm = schedule(
        d,
        "--schedule cosine --lr 0.05 --min-lr 0.001 --warmup-steps 10 --warmup-start-factor 0.1 --steps 100",
    );
    warm.success();
    let seq = run(
        d,
        &[
            "schedule",
            "--schedule",
            "sequential",
            "--sequence",
            "linear:start-factor=0.1:decay-steps=10 @10 cosine:min-lr=0.001",
            "--lr",
            "0.05",
            "--steps",
            "100",
        ],
    );
    seq.success();
    assert_eq!(warm.stdout, seq.stdout);
}

#[test]
fn train_and_schedule_agree_on_the_new_families() {
    let dir = tempdir();
    let d = dir.path();
    train_agrees_with_schedule(
        d,
        "wsd",
        "--optimizer sgd --momentum 0.9",
        "--schedule wsd --lr 0.05 --pct-start 0.1 --decay-fraction 0.3 --decay-shape cosine",
        Some(0.9),
    );
    train_agrees_with_schedule(
        d,
        "polynomial",
        "--optimizer adam",
        "--schedule polynomial --lr 0.01 --power 2 --cycle --decay-epochs 5 --min-lr 1e-4",
        Some(0.9),
    );
    write(
        d,
        "seq.json",
        r#"{"schedule": "sequential", "lr": 0.05, "sequence": [
            {"schedule": "linear", "start-factor": 0.25, "decay-epochs": 2},
            {"at-epoch": 2, "schedule": "cosine", "t-max": 20}]}"#,
    );
    train_agrees_with_schedule(
        d,
        "sequential",
        "--optimizer sgd",
        "--config seq.json",
        Some(0.0),
    );
}

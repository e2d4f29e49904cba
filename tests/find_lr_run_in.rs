//! The range test's run-in (`--warmup-from`, issue 15 part 3): every sweep starts at 1e-12 on its
//! grid and records from `--min`, so a lower `--min` within the flat start only adds points: the
//! curve above the old `--min` is the same, bit for bit, and so are the suggestions. Without it
//! (`--warmup-from 0`) Adam's second moment averaged over a different number of flat-start
//! batches and the consensus moved by 0.13 decades on average (issue 15's note). A run-in that
//! moves the loss (a `--min` above the flat start) is dropped, and the sweep starts as the plain
//! one does.

use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// `lrtool find-lr --quiet --out OUT ARGS…` in `dir`; the summary.
fn find_lr(dir: &Path, out: &str, args: &str) -> Value {
    let mut all = vec!["find-lr", "--quiet", "--out", out];
    all.extend(words(args));
    run(dir, &all).success();
    summary(&dir.join(out))
}

fn consensus(s: &Value) -> f64 {
    num(&s["consensus"]["lr"])
}

fn decades(a: f64, b: f64) -> f64 {
    (a.log10() - b.log10()).abs()
}

#[test]
fn lowering_min_within_the_flat_start_only_adds_points() {
    let dir = tempdir();
    let d = dir.path();
    for (k, data) in ["--dataset digits", "--dataset moons --optimizer adamw"]
        .iter()
        .enumerate()
    {
        let (a, b) = (format!("a{k}"), format!("b{k}"));
        let sa = find_lr(d, &a, &format!("{data} --min 1e-6"));
        let sb = find_lr(d, &b, &format!("{data} --min 1e-10"));
        // both start at 1e-12: 90 and 30 unrecorded steps, kept
        assert_eq!(sa["range"]["run_in_steps"], 90, "{data}");
        assert_eq!(sb["range"]["run_in_steps"], 30, "{data}");
        for s in [&sa, &sb] {
            assert_eq!(s["sweeps"][0]["run_in"]["kept"], true, "{data}");
        }
        // the 1e-10 sweep's rows from its 61st on are the 1e-6 sweep's rows: the same LR (to
        // the last bits of the grid's arithmetic), the same raw loss and the same smoothed loss
        // (the run-in primed the moving average), so the same last step
        let (ca, cb) = (
            Csv::read(&d.join(&a).join("steps.csv")),
            Csv::read(&d.join(&b).join("steps.csv")),
        );
        let (la, lb) = (ca.f64s("lr"), cb.f64s("lr"));
        let (ra, rb) = (ca.f64s("loss"), cb.f64s("loss"));
        let (sma, smb) = (ca.col("smooth_loss"), cb.col("smooth_loss"));
        let n = ra.len();
        assert_eq!(rb.len(), n + 60, "{data}: the same last step");
        assert!(n > 50, "{data}: {n} rows");
        for i in 0..n {
            assert!((la[i] / lb[i + 60] - 1.0).abs() < 1e-12, "{data}: lr {i}");
            assert_eq!(ra[i], rb[i + 60], "{data}: the raw loss at row {i}");
            assert_eq!(
                ca.rows[i][sma],
                cb.rows[i + 60][smb],
                "{data}: smoothed, {i}"
            );
        }
        // and so the same answers, up to the grid's last bits
        assert_eq!(sa["phases"], sb["phases"], "{data}");
        let answers = |s: &Value| -> Vec<f64> {
            let mut v: Vec<f64> = s["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| num(&m["lr"]))
                .collect();
            v.push(consensus(s));
            v
        };
        for (x, y) in answers(&sa).into_iter().zip(answers(&sb)) {
            assert!((x / y - 1.0).abs() < 1e-12, "{data}: {x} vs {y}");
        }
    }
}

#[test]
fn without_the_run_in_a_lower_min_changes_adams_curve() {
    // the contrast: the plain sweep starts Adam's moments at --min, so the 1e-10 sweep reaches
    // 1e-6 with sixty batches in its second moment and the 1e-6 sweep with none
    let dir = tempdir();
    let d = dir.path();
    let sa = find_lr(d, "a", "--min 1e-6 --warmup-from 0");
    let sb = find_lr(d, "b", "--min 1e-10 --warmup-from 0");
    for s in [&sa, &sb] {
        assert!(s["sweeps"][0].get("run_in").is_none());
        assert_eq!(s["range"]["run_in_steps"], 0);
        assert_eq!(num(&s["config"]["sweep"]["warmup_from"]), 0.0);
    }
    let ra = Csv::read(&d.join("a/steps.csv")).f64s("loss");
    let rb = Csv::read(&d.join("b/steps.csv")).f64s("loss");
    // the same batch at 1e-6 on nearly the same weights (the 1e-10 sweep's sixty steps moved
    // them by about 1e-6); after Adam's first steps the curves part
    assert!((ra[0] / rb[60] - 1.0).abs() < 1e-3 && ra[0] != rb[60]);
    let differ = (1..40).filter(|&i| ra[i] != rb[i + 60]).count();
    assert!(differ > 30, "only {differ} of 39 rows differ");
}

#[test]
fn seeds_and_datasets_keep_their_consensus_when_min_drops_to_1e_10() {
    // the figure of the issue: under 0.15 decades, on data nobody tuned the run-in for
    let dir = tempdir();
    let d = dir.path();
    let mut worst: f64 = 0.0;
    for data in [
        "--dataset iris",
        "--dataset wine",
        "--dataset sine",
        "--dataset spirals",
        "--dataset breast-cancer --optimizer sgd --momentum 0.9",
    ] {
        for seed in [1, 2] {
            let a = find_lr(d, "a", &format!("{data} --seed {seed} --min 1e-6"));
            let b = find_lr(d, "b", &format!("{data} --seed {seed} --min 1e-10"));
            let moved = decades(consensus(&a), consensus(&b));
            assert!(moved < 0.15, "{data} seed {seed}: moved {moved:.3} decades");
            worst = worst.max(moved);
        }
    }
    eprintln!("largest move of the consensus: {worst:.3} decades");
}

#[test]
fn a_run_in_that_moves_the_loss_is_dropped() {
    // --min 1e-3 lies in digits' descent: the 147 steps from 1e-12 would train the network
    // before the first recorded step, so the sweep starts again as the plain one
    let dir = tempdir();
    let d = dir.path();
    let args = ["find-lr", "--min", "1e-3", "--out", "o"];
    let r = run(d, &args);
    r.success();
    assert!(
        r.stdout.contains("started again from the initial weights"),
        "{}",
        r.stdout
    );
    let s = summary(&d.join("o"));
    let run_in = &s["sweeps"][0]["run_in"];
    assert_eq!(run_in["kept"], false);
    assert_eq!(run_in["steps"], 147);
    let change = (num(&run_in["probe_after"]) / num(&run_in["probe_before"]) - 1.0).abs();
    assert!(change > 0.01, "{change}");
    let plain = find_lr(d, "p", "--min 1e-3 --warmup-from 0");
    assert_eq!(
        std::fs::read(d.join("o/steps.csv")).unwrap(),
        std::fs::read(d.join("p/steps.csv")).unwrap(),
        "a dropped run-in leaves the plain sweep"
    );
    assert_eq!(s["suggestions"], plain["suggestions"]);
}

#[test]
fn linear_sweeps_and_a_min_below_the_start_have_no_run_in() {
    let dir = tempdir();
    let d = dir.path();
    for (args, why) in [
        ("--mode linear --min 1e-4 --max 1e-1", "linear"),
        ("--min 1e-13 --max 1e-1 --steps 60", "below 1e-12"),
        ("--min 1e-6 --warmup-from 1e-5", "--warmup-from above --min"),
    ] {
        let s = find_lr(d, "o", args);
        assert_eq!(s["range"]["run_in_steps"], 0, "{why}");
        assert!(s["sweeps"][0].get("run_in").is_none(), "{why}");
    }
    // a start of its own: 1e-8 → 1e-6 is two decades, 30 steps
    let s = find_lr(d, "o", "--min 1e-6 --warmup-from 1e-8");
    assert_eq!(s["range"]["run_in_steps"], 30);
    assert_eq!(num(&s["config"]["sweep"]["warmup_from"]), 1e-8);
}

#[test]
fn warmup_from_must_be_a_finite_lr_or_zero() {
    let dir = tempdir();
    let d = dir.path();
    for (v, needle) in [
        ("-1e-12", "--warmup-from -0.000000000001"),
        ("nan", "--warmup-from NaN"),
        ("inf", "--warmup-from inf"),
    ] {
        let r = run(d, &["find-lr", "--out", "o", &format!("--warmup-from={v}")]);
        expect_usage_error(&r, v, &[needle]);
        assert!(!d.join("o").exists());
    }
}

/// datasets/examples/noisy.csv: 600 rows, a weak signal in batch noise (issue 15's kind of CSV).
fn noisy() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/examples/noisy.csv")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn auto_extend_on_a_noisy_csv_never_chases_the_noise_below_min() {
    // issue 15: "the loss already falls at --min 1e-6: lower --min (try 1e-8)" led --auto-extend
    // to 1e-12, 1e-14, … over pure batch noise. Now no seed lowers --min, and a curve that stays
    // within its noise until it rises says so and is not widened
    let dir = tempdir();
    let d = dir.path();
    let data = noisy();
    let mut no_signal = 0;
    for seed in 1..=10 {
        let s = find_lr(
            d,
            "o",
            &format!("--dataset {data} --seed {seed} --auto-extend"),
        );
        let tried = s["ranges_tried"].as_array().unwrap();
        for t in tried {
            assert_eq!(num(&t["min"]), 1e-6, "seed {seed}: {tried:?}");
        }
        if s["phases"]["no_signal"] == true {
            no_signal += 1;
            // the signal-less range is the last one tried: not widened further
            let last = tried.last().unwrap();
            assert_eq!(last["phases"]["no_signal"], true, "seed {seed}: {tried:?}");
            let advice = s["phases"]["advice"].to_string();
            assert!(advice.contains("batch-size"), "{advice}");
            assert!(!advice.contains("lower --min"), "{advice}");
        }
    }
    assert!(
        no_signal >= 2,
        "{no_signal} of 10 seeds read as signal-less"
    );
}

#[test]
fn auto_extend_keeps_the_range_that_showed_the_descent() {
    // noisy.csv, seed 6: 1e-6 → 1 shows a descent and no divergence; 1e-6 → 10 ends in a
    // violent divergence that swamps the shallow fall. The wider range is listed but not
    // reported, and its --max is not advised again
    let dir = tempdir();
    let d = dir.path();
    let data = noisy();
    let args = [
        "find-lr",
        "--dataset",
        &data,
        "--seed",
        "6",
        "--auto-extend",
        "--out",
        "o",
    ];
    let r = run(d, &args);
    r.success();
    assert!(
        r.stdout.contains("no longer showed the descent"),
        "{}",
        r.stdout
    );
    let s = summary(&d.join("o"));
    let tried = s["ranges_tried"].as_array().unwrap();
    assert_eq!(tried.len(), 2);
    assert_eq!(tried[0]["phases"]["descent"], true);
    assert_eq!(tried[1]["phases"]["descent"], false);
    assert_eq!(num(&s["range"]["max"]), 1.0);
    assert_eq!(s["range"]["steps"], 91);
    assert_eq!(s["phases"]["descent"], true);
    assert!(!s["phases"]["advice"].to_string().contains("raise --max"));
    // the reported curve is the 1e-6 → 1 sweep's
    let steps = Csv::read(&d.join("o/steps.csv"));
    assert_eq!(steps.rows.len(), 91);
    let lr = steps.f64s("lr");
    assert_eq!(lr[90], 1.0);
}

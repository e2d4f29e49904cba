//! `--like fastai` end to end: `lrtool suggest FILE.csv --like fastai [--num-it N]` prints
//! fastai 2.8's valley, slide, minimum and steep (the golden curve of
//! `src/lr_finder/fastai.rs`, whose answers came from fastai itself), says where fastai would
//! raise, trims by --num-it, refuses --num-it without --like fastai, leaves `--like lrtool` as
//! the default; and `find-lr --like fastai` adds the "fastai" key to summary.json.

use std::path::Path;

use serde_json::Value;

use lrtool::report::records::RunSummary;

use crate::util::*;

/// fastai's sweep grid (`start·(end/start)^(i/num_it)`, Python floats).
fn fastai_lrs(start: f64, end: f64, num_it: usize) -> Vec<f64> {
    (0..num_it)
        .map(|i| start * (end / start).powf(i as f64 / num_it as f64))
        .collect()
}

/// The noisy curve of `noisy_curve_matches_real_fastai` (src/lr_finder/fastai.rs): 100 points,
/// the losses as fastai's Recorder would hold them.
fn golden_curve() -> (Vec<f64>, Vec<f64>) {
    let lrs = fastai_lrs(1e-7, 10.0, 100);
    let mut state: u64 = 12345;
    let losses = (0..100)
        .map(|i| {
            state = (state * 1103515245 + 12345) % 2147483648;
            let noise = (state as f64 / 2147483648.0 - 0.5) * 0.2;
            let x = i as f64 / 10.0;
            3.0 - 2.0 * x / (1.0 + x) + 0.002 * i as f64 * i as f64 / 10.0 + noise
        })
        .collect();
    (lrs, losses)
}

/// fastai 2.8.12's answers on [`golden_curve`] with num_it = 100.
const GOLDEN: [(&str, f64); 4] = [
    ("valley", 2.0892961401841603e-05),
    ("slide", 0.03981071710586548),
    ("minimum", 2.0892961401841602e-06),
    ("steep", 6.309573450380412e-07),
];

/// `lr,loss` rows in Rust's shortest round-trip notation (read back exactly).
fn curve_csv(lrs: &[f64], losses: &[f64]) -> String {
    let mut t = String::from("lr,loss\n");
    for (lr, l) in lrs.iter().zip(losses) {
        t += &format!("{lr:e},{l:e}\n");
    }
    t
}

fn suggest_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["suggest", "--json"];
    all.extend_from_slice(args);
    let r = run(dir, &all);
    r.success();
    assert_eq!(r.stderr, "");
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("suggest --json prints only JSON: {e}\n{}", r.stdout))
}

fn suggest_stdout(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["suggest"];
    all.extend_from_slice(args);
    let r = run(dir, &all);
    r.success();
    r.stdout.clone()
}

#[test]
fn suggest_like_fastai_gives_fastais_answers_on_the_golden_curve() {
    let dir = tempdir();
    let d = dir.path();
    let (lrs, losses) = golden_curve();
    write(d, "golden.csv", curve_csv(&lrs, &losses));
    let v = suggest_json(d, &["golden.csv", "--like", "fastai"]);
    assert_eq!(v["like"], "fastai");
    assert_eq!(v["num_it"], 100);
    assert_eq!(v["smooth"], 0.0, "fastai's loss is already smoothed");
    assert_eq!(v["rows"], 100);
    let c = &v["fastai"][0];
    assert_eq!(c["points"], 100);
    assert_eq!(
        (c["start"].as_u64(), c["kept"].as_u64()),
        (Some(10), Some(85))
    );
    for (name, lr) in GOLDEN {
        assert_eq!(num(&c[name]["lr"]), lr, "{name}");
        let i = c[name]["index"].as_u64().unwrap();
        assert!((10..95).contains(&i), "{name} index {i}");
    }
    // lrtool's own methods are not in this output
    assert!(v.get("suggestions").is_none() && v.get("consensus").is_none());
    // the text: the kept points and the four answers
    let t = suggest_stdout(d, &["golden.csv", "--like", "fastai"]);
    assert!(
        t.contains("points 10..94 kept, 85 of 100"),
        "kept points in\n{t}"
    );
    for (name, lr) in GOLDEN {
        let line = t
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in\n{t}"));
        assert!(line.contains(&format!("{lr:.2e}")), "{line}");
    }
    // the default does not smooth again: the same as --smooth 0; an explicit β smooths
    assert_eq!(
        v,
        suggest_json(d, &["golden.csv", "--like", "fastai", "--smooth", "0"])
    );
    let smoothed = suggest_json(d, &["golden.csv", "--like", "fastai", "--smooth", "0.98"]);
    assert_eq!(smoothed["smooth"], 0.98);
    assert_ne!(smoothed["fastai"], v["fastai"]);
}

#[test]
fn suggest_like_lrtool_is_the_default_byte_for_byte() {
    let dir = tempdir();
    let d = dir.path();
    let (lrs, losses) = golden_curve();
    write(d, "golden.csv", curve_csv(&lrs, &losses));
    for extra in [&[][..], &["--json"][..], &["--smooth", "0"][..]] {
        let mut a = vec!["golden.csv"];
        a.extend_from_slice(extra);
        let mut b = a.clone();
        b.extend(["--like", "lrtool"]);
        assert_eq!(suggest_stdout(d, &a), suggest_stdout(d, &b), "{extra:?}");
    }
    // the default still smooths with 0.98
    assert_eq!(
        suggest_stdout(d, &["golden.csv", "--json"]),
        suggest_stdout(d, &["golden.csv", "--json", "--smooth", "0.98"])
    );
}

#[test]
fn suggest_like_fastai_on_a_too_short_curve_says_fastai_would_raise() {
    let dir = tempdir();
    let d = dir.path();
    let lrs = fastai_lrs(1e-7, 10.0, 100);
    let losses: Vec<f64> = (0..100).map(|i| 5.0 - 0.04 * i as f64).collect();
    // 20 recorded of 100 requested: 10 dropped at the start, 5 at the end, 5 kept; slide needs 16
    write(d, "short.csv", curve_csv(&lrs[..20], &losses[..20]));
    let v = suggest_json(d, &["short.csv", "--like", "fastai"]);
    let c = &v["fastai"][0];
    assert_eq!(c["kept"], 5);
    assert_eq!(c["slide"]["lr"], Value::Null);
    let reason = c["slide"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("fastai would raise") && reason.contains("16"),
        "{reason}"
    );
    for m in ["valley", "minimum", "steep"] {
        assert!(c[m]["lr"].as_f64().is_some(), "{m}: {}", c[m]);
    }
    let t = suggest_stdout(d, &["short.csv", "--like", "fastai"]);
    let slide = t.lines().find(|l| l.contains("slide")).unwrap();
    assert!(
        slide.contains("not enough points (fastai would raise)"),
        "{t}"
    );
    // 15 recorded: nothing kept, every method raises in fastai
    write(d, "empty.csv", curve_csv(&lrs[..15], &losses[..15]));
    let v = suggest_json(d, &["empty.csv", "--like", "fastai"]);
    let c = &v["fastai"][0];
    assert_eq!(c["kept"], 0);
    for m in ["valley", "slide", "minimum", "steep"] {
        assert_eq!(c[m]["lr"], Value::Null, "{m}");
        assert!(
            c[m]["reason"]
                .as_str()
                .unwrap()
                .contains("fastai would raise")
        );
    }
    let t = suggest_stdout(d, &["empty.csv", "--like", "fastai"]);
    assert_eq!(
        t.matches("not enough points (fastai would raise)").count(),
        4,
        "{t}"
    );
}

#[test]
fn suggest_num_it_changes_the_trimming() {
    let dir = tempdir();
    let d = dir.path();
    let (lrs, losses) = golden_curve();
    write(d, "golden.csv", curve_csv(&lrs, &losses));
    let window = |n: &str| {
        let v = suggest_json(d, &["golden.csv", "--like", "fastai", "--num-it", n]);
        assert_eq!(v["num_it"].to_string(), n);
        let c = &v["fastai"][0];
        (c["start"].as_u64().unwrap(), c["kept"].as_u64().unwrap())
    };
    assert_eq!(window("100"), (10, 85));
    // a sweep asked for 300 iterations that recorded 100: 30 dropped at the start
    assert_eq!(window("300"), (30, 65));
    // below 10 nothing is dropped at the start; 5 always go at the end
    assert_eq!(window("5"), (0, 95));
    // the answers move with the window: num_it 300 drops the point steep picked at 100
    let v = suggest_json(d, &["golden.csv", "--like", "fastai", "--num-it", "300"]);
    let steep = num(&v["fastai"][0]["steep"]["lr"]);
    assert_ne!(steep, GOLDEN[3].1);
    assert!(v["fastai"][0]["steep"]["index"].as_u64().unwrap() >= 30);
    let t = suggest_stdout(d, &["golden.csv", "--like", "fastai", "--num-it", "300"]);
    assert!(
        t.contains("num_it 300") && t.contains("points 30..94 kept"),
        "{t}"
    );
}

#[test]
fn suggest_num_it_without_like_fastai_is_refused() {
    let dir = tempdir();
    let d = dir.path();
    let (lrs, losses) = golden_curve();
    write(d, "golden.csv", curve_csv(&lrs, &losses));
    for args in [
        &["suggest", "golden.csv", "--num-it", "100"][..],
        &[
            "suggest",
            "golden.csv",
            "--num-it",
            "100",
            "--like",
            "lrtool",
        ][..],
    ] {
        let r = run(d, args);
        expect_usage_error(&r, &format!("{args:?}"), &["--num-it", "--like fastai"]);
    }
    let r = run(
        d,
        &["suggest", "golden.csv", "--like", "fastai", "--num-it", "0"],
    );
    expect_usage_error(&r, "--num-it 0", &["--num-it 0"]);
    let r = run(d, &["suggest", "golden.csv", "--like", "keras"]);
    r.expect_code(2);
}

#[test]
fn find_lr_like_fastai_adds_the_fastai_key() {
    let dir = tempdir();
    let d = dir.path();
    let common = ["--optimizer", "adam", "--steps", "60", "--quiet"];
    let mut plain = vec!["find-lr", "--out", "plain"];
    plain.extend(common);
    run(d, &plain).success();
    let mut like = vec!["find-lr", "--out", "like", "--like", "fastai"];
    like.extend(common);
    run(d, &like).success();
    let p = summary(&d.join("plain"));
    let s = summary(&d.join("like"));
    assert!(p.get("fastai").is_none(), "no key without the flag");
    // the rest of the run is unchanged
    assert_same_output(&d.join("plain"), &d.join("like"), "steps.csv");
    for key in ["suggestions", "consensus", "config", "range", "sweeps"] {
        assert_eq!(p[key], s[key], "{key}");
    }
    let f = &s["fastai"];
    assert_eq!(f["num_it"], 60);
    let sweep = &f["sweeps"][0];
    assert_eq!(sweep["seed"], 0);
    assert_eq!(sweep["start"], 6);
    assert_eq!(sweep["points"], s["sweeps"][0]["steps_recorded"]);
    // the same answers as suggest --like fastai on the smoothed column of steps.csv
    let v = suggest_json(
        d,
        &[
            "like/steps.csv",
            "--like",
            "fastai",
            "--num-it",
            "60",
            "--loss-column",
            "smooth_loss",
        ],
    );
    for m in ["start", "kept", "valley", "slide", "minimum", "steep"] {
        assert_eq!(sweep[m], v["fastai"][0][m], "{m}");
    }
    // the typed record round-trips with the new key
    let text = std::fs::read_to_string(d.join("like/summary.json")).unwrap();
    let rec = RunSummary::parse(&text, "summary.json").unwrap();
    assert_eq!(rec.to_json_text().unwrap(), text);
    // the text report lists fastai's answers after lrtool's
    let r = run(
        d,
        &[
            "find-lr",
            "--out",
            "text",
            "--like",
            "fastai",
            "--optimizer",
            "adam",
            "--steps",
            "60",
        ],
    );
    r.success();
    let t = &r.stdout;
    let at = t.find("fastai 2.8").unwrap_or_else(|| panic!("{t}"));
    assert!(at > t.find("suggestions:").unwrap());
    for m in ["valley", "slide", "minimum", "steep"] {
        assert!(t[at..].contains(m), "{m} in\n{t}");
    }
}

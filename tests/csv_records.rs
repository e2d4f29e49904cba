//! Issue 18 part 2, what a CSV run records and reports: summary.json holds the column flags as
//! given and the columns as encoded (a run is reproducible from its summary, and report.html's
//! command carries them); `predict --json` counts the unseen categories; `evaluate` and
//! `predict` on a file that does not match the model's columns name the file and the model.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// A table with an id, a text column, two numbers and a text target; 30 rows.
fn table(dir: &Path) {
    let cities = ["Paris", "Lyon", "Brest"];
    let mut text = String::from("id,city,a,b,label\n");
    for i in 0..30 {
        let a = (i % 7) as f32 * 0.5;
        let label = if (i % 3 == 0) ^ (a > 1.5) {
            "yes"
        } else {
            "no"
        };
        text.push_str(&format!(
            "{},{},{a},{},{label}\n",
            100 + i,
            cities[i % 3],
            (i % 5) as f32 - 2.0
        ));
    }
    // one missing number, filled under --missing mean
    text.push_str("200,Paris,,1,yes\n");
    fs::write(dir.join("t.csv"), &text).unwrap();
}

const FLAGS: &str = "--dataset t.csv --target label --drop id --missing mean --max-categories 50";

#[test]
fn the_summary_records_the_column_settings_and_reproduces_the_run() {
    let dir = tempdir();
    table(dir.path());
    train(dir.path(), "a", &format!("{FLAGS} --epochs 2")).success();
    let s = summary(&dir.path().join("a"));
    let data = &s["config"]["data"];
    assert_eq!(data["drop"], "id");
    assert_eq!(data["missing"], "mean");
    assert_eq!(data["max_categories"], 50);
    assert_eq!(data["target"], "label");
    assert!(data.get("features").is_none(), "{data}");
    let columns = &s["dataset"]["columns"];
    assert_eq!(columns["missing"], "mean");
    assert_eq!(columns["target"], "label");
    let inputs: Vec<(String, String, Option<u64>)> = columns["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
                c["categories"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        inputs,
        [
            ("city".to_string(), "text".to_string(), Some(3)),
            ("a".to_string(), "number".to_string(), None),
            ("b".to_string(), "number".to_string(), None),
        ]
    );
    // --features by index and range is kept as written
    train(
        dir.path(),
        "b",
        "--dataset t.csv --target label --features 2-3 --missing drop-rows --epochs 1",
    )
    .success();
    let data = &summary(&dir.path().join("b"))["config"]["data"];
    assert_eq!(data["features"], "2-3");
    assert_eq!(data["missing"], "drop-rows");

    // the flags the summary records rebuild the same run, byte for byte
    let rebuilt = [
        "--dataset",
        data_str(&s, "dataset"),
        "--target",
        data_str(&s, "target"),
        "--drop",
        data_str(&s, "drop"),
        "--missing",
        data_str(&s, "missing"),
        "--max-categories",
        &s["config"]["data"]["max_categories"].to_string(),
        "--epochs",
        "2",
    ];
    train_with(dir.path(), "again", &rebuilt).success();
    assert_same_output(
        &dir.path().join("a"),
        &dir.path().join("again"),
        "steps.csv",
    );
    // the report's command carries them
    let page = fs::read_to_string(dir.path().join("a/report.html")).unwrap();
    assert!(
        page.contains("--target label --drop id --missing mean --max-categories 50"),
        "the rebuilt command in report.html"
    );
}

fn data_str<'a>(s: &'a Value, key: &str) -> &'a str {
    s["config"]["data"][key].as_str().unwrap()
}

#[test]
fn predict_json_counts_the_unseen_categories() {
    let dir = tempdir();
    table(dir.path());
    train(dir.path(), "m", &format!("{FLAGS} --epochs 1")).success();
    let model = "m/model.safetensors";
    write(
        dir.path(),
        "new.csv",
        "a,city,b\n1,Paris,0\n1,Nice,0\n1,Lyon,1\n2,Oslo,1\n",
    );
    let r = run(
        dir.path(),
        &["predict", "--model", model, "--input", "new.csv", "--json"],
    );
    r.success();
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["rows"], 4);
    assert_eq!(v["unseen_categories"]["city"], 2);
    assert_eq!(v["unseen_rows"], 2);
    assert_eq!(v["classes"], serde_json::json!(["no", "yes"]));
    let predictions = v["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 4);
    for p in predictions {
        let sum: f64 = p["p"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-9, "{p}");
    }
    // the same predictions as the CSV
    let csv = run(
        dir.path(),
        &["predict", "--model", model, "--input", "new.csv"],
    );
    csv.success();
    for (line, p) in csv.stdout.lines().skip(1).zip(predictions) {
        assert_eq!(
            line.split(',').nth(1).unwrap(),
            p["predicted"].as_str().unwrap()
        );
    }
    // with --output the file takes the predictions and stdout the summary alone
    let r = run(
        dir.path(),
        &[
            "predict", "--model", model, "--input", "new.csv", "--json", "--output", "p.csv",
        ],
    );
    r.success();
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["output"], "p.csv");
    assert_eq!(v["unseen_categories"]["city"], 2);
    assert!(v.get("predictions").is_none(), "{v}");
    assert_eq!(
        fs::read_to_string(dir.path().join("p.csv")).unwrap(),
        csv.stdout
    );
    // no unseen category: an empty count, not a missing key
    write(dir.path(), "known.csv", "a,city,b\n1,Paris,0\n");
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            model,
            "--input",
            "known.csv",
            "--json",
        ],
    );
    let v: Value = serde_json::from_str(&r.success().stdout).unwrap();
    assert_eq!(v["unseen_categories"], serde_json::json!({}));
    assert_eq!(v["unseen_rows"], 0);
}

#[test]
fn a_file_that_does_not_match_the_models_columns_names_the_file_and_the_model() {
    let dir = tempdir();
    table(dir.path());
    train(dir.path(), "m", &format!("{FLAGS} --epochs 1")).success();
    let model = "m/model.safetensors";
    let m = "--model m/model.safetensors";
    write(
        dir.path(),
        "no_target.csv",
        "a,city,b\n1,Paris,0\n2,Lyon,1\n",
    );
    write(
        dir.path(),
        "renamed.csv",
        "a,town,b,label\n1,Paris,0,yes\n2,Lyon,1,no\n",
    );
    write(
        dir.path(),
        "text.csv",
        "a,city,b,label\nx,Paris,0,yes\n2,Lyon,1,no\n",
    );
    for (file, needle) in [
        ("no_target.csv", "no column named \"label\""),
        ("renamed.csv", "missing column \"city\""),
        ("text.csv", "\"x\" is not a number"),
    ] {
        let r = run(
            dir.path(),
            &[
                "evaluate",
                "--model",
                model,
                "--dataset",
                file,
                "--split",
                "all",
            ],
        );
        let line = expect_usage_error(&r, file, &[file, needle, m, "\"label\""]);
        assert!(line.contains("trained to predict"), "{line}");
    }
    // predict names the model too
    let r = run(
        dir.path(),
        &["predict", "--model", model, "--input", "renamed.csv"],
    );
    expect_usage_error(&r, "predict", &["--input renamed.csv", "\"city\"", m]);
}

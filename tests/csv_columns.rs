//! A user's CSV as it comes (issue 18): `--features`/`--drop` by name, index and range, the
//! identifier warning, one-hot text columns (order, unseen categories, the mapping saved and
//! reused by `predict`/`evaluate`), `--missing`, `--max-categories`, and the README's example.

use std::fs;
use std::path::Path;

use crate::util::{run, tempdir};

/// A table with an id, a text column, two numbers and a text target; 30 rows.
fn table(dir: &Path) -> String {
    let cities = ["Paris", "Lyon", "Brest"];
    let mut text = String::from("id,city,a,b,label\n");
    for i in 0..30 {
        let city = cities[i % 3];
        let a = (i % 7) as f32 * 0.5;
        let b = (i % 5) as f32 - 2.0;
        let label = if (i % 3 == 0) ^ (a > 1.5) {
            "yes"
        } else {
            "no"
        };
        text.push_str(&format!("{},{city},{a},{b},{label}\n", 100 + i));
    }
    fs::write(dir.join("t.csv"), &text).unwrap();
    "t.csv".to_owned()
}

fn train(dir: &Path, extra: &str) -> crate::util::Run {
    let mut args = vec!["train", "--quiet", "--epochs", "2", "--force"];
    args.extend(extra.split_whitespace());
    run(dir, &args)
}

fn metadata(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let loaded = lrtool::weights::load(path, "--model", lrtool::nn::Activation::Relu).unwrap();
    loaded.metadata
}

fn feature_names(path: &Path) -> Vec<String> {
    let meta = metadata(path);
    serde_json::from_str(meta["feature_names"].as_str().unwrap()).unwrap()
}

#[test]
fn csv_columns_features_and_drop_by_name_index_and_range() {
    let dir = tempdir();
    let t = table(dir.path());
    let r = train(dir.path(), &format!("--dataset {t} --drop id --out r1"));
    r.success();
    assert!(!r.stderr.contains("identifier"), "{}", r.stderr);
    let names = feature_names(&dir.path().join("r1/model.safetensors"));
    // one-hot columns in sorted category order, then the numbers, in file order
    assert_eq!(
        names,
        ["city=Brest", "city=Lyon", "city=Paris", "a", "b"],
        "{names:?}"
    );
    train(
        dir.path(),
        &format!("--dataset {t} --features 3-4 --out r2"),
    )
    .success();
    assert_eq!(
        feature_names(&dir.path().join("r2/model.safetensors")),
        ["a", "b"]
    );
    train(
        dir.path(),
        &format!("--dataset {t} --features 2,a --drop 2 --out r3"),
    )
    .success();
    assert_eq!(
        feature_names(&dir.path().join("r3/model.safetensors")),
        ["a"]
    );
    // the id column is a feature unless dropped, with a warning naming --drop
    let r = train(dir.path(), &format!("--dataset {t} --out r4"));
    r.success();
    assert!(
        r.stderr.contains("column \"id\" looks like an identifier")
            && r.stderr.contains("--drop id"),
        "{}",
        r.stderr
    );
}

#[test]
fn csv_columns_bad_flags_are_exit_2_naming_the_flag() {
    let dir = tempdir();
    let t = table(dir.path());
    for (flags, expected) in [
        (
            "--drop idd",
            "--drop idd: t.csv has no column \"idd\"; near names: \"id\"",
        ),
        ("--features 9", "--features 9: column indices count from 1"),
        ("--features 4-2", "--features 4-2: a range goes"),
        ("--features a,,b", "--features \"a,,b\": an empty item"),
        ("--features label", "includes the target column"),
        ("--drop 1-4", "leaves no feature column"),
        ("--max-categories 0", "--max-categories 0"),
        (
            "--max-categories 2",
            "--max-categories 2: text column \"city\" has 3 distinct values",
        ),
    ] {
        let r = train(dir.path(), &format!("--dataset {t} --out bad {flags}"));
        r.expect_code(2);
        assert!(r.stderr.contains(expected), "{flags}: {}", r.stderr);
        assert!(
            !dir.path().join("bad").exists(),
            "{flags}: made the output folder"
        );
    }
    let r = train(dir.path(), "--dataset iris --drop 1 --out bad");
    r.expect_code(2);
    assert!(
        r.stderr.contains("--drop only applies to CSV files"),
        "{}",
        r.stderr
    );
}

#[test]
fn csv_columns_missing_modes() {
    let dir = tempdir();
    let mut text = String::from("x,city,y\n");
    for i in 0..20 {
        let x = if i == 3 { String::new() } else { i.to_string() };
        let city = if i == 5 { "NA" } else { ["a", "b"][i % 2] };
        text.push_str(&format!("{x},{city},{}\n", i % 2));
    }
    fs::write(dir.path().join("m.csv"), text).unwrap();
    let r = train(dir.path(), "--dataset m.csv --out e");
    r.expect_code(2);
    assert!(
        r.stderr.contains("m.csv line 5, column \"x\": empty cell"),
        "{}",
        r.stderr
    );
    let r = train(
        dir.path(),
        "--dataset m.csv --out d --missing drop-rows --val-split 0",
    );
    r.success();
    assert!(r.stderr.contains("left out 2 of 20 rows"), "{}", r.stderr);
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("d/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["dataset"]["samples"], 18);
    let r = train(
        dir.path(),
        "--dataset m.csv --out m --missing mean --val-split 0",
    );
    r.success();
    let meta = metadata(&dir.path().join("m/model.safetensors"));
    let cols: serde_json::Value =
        serde_json::from_str(meta["input_columns"].as_str().unwrap()).unwrap();
    // the mean of 0..20 without 3
    let mean = (190.0 - 3.0) / 19.0;
    assert!((cols["columns"][0]["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert_eq!(
        cols["columns"][1]["categories"],
        serde_json::json!(["a", "b"])
    );
    assert_eq!(cols["missing"], "mean");
}

#[test]
fn csv_columns_predict_reuses_the_mapping_and_counts_unseen() {
    let dir = tempdir();
    let t = table(dir.path());
    train(
        dir.path(),
        &format!("--dataset {t} --drop id --out p --seed 3"),
    )
    .success();
    let model = "p/model.safetensors";
    fs::write(
        dir.path().join("new.csv"),
        "a,city,b\n1,Paris,0\n1,Nice,0\n1,Lyon,1\n",
    )
    .unwrap();
    let r = run(
        dir.path(),
        &["predict", "--model", model, "--input", "new.csv"],
    );
    r.success();
    assert_eq!(r.stdout.lines().count(), 4, "{}", r.stdout);
    assert!(
        r.stderr.contains("1 cell of column \"city\" (1 of 3 rows)"),
        "{}",
        r.stderr
    );
    // a missing cell cannot be filled by a --missing error model
    fs::write(dir.path().join("gap.csv"), "a,city,b\n1,,0\n").unwrap();
    let r = run(
        dir.path(),
        &["predict", "--model", model, "--input", "gap.csv"],
    );
    r.expect_code(2);
    assert!(
        r.stderr
            .contains("gap.csv line 2, column \"city\": empty cell"),
        "{}",
        r.stderr
    );

    // predict on the run's own validation rows gives what evaluate scores
    let ev = run(
        dir.path(),
        &[
            "evaluate",
            "--model",
            model,
            "--dataset",
            &t,
            "--seed",
            "3",
            "--json",
        ],
    );
    ev.success();
    let v: serde_json::Value = serde_json::from_str(&ev.stdout).unwrap();
    assert_eq!(v["unseen_categories"], serde_json::json!({}));
    let acc = v["models"][0]["acc"].as_f64().unwrap();
    let ds = lrtool::data::source::load(&lrtool::data::source::DataSpec {
        dataset: dir.path().join(&t).to_str().unwrap(),
        ..Default::default()
    })
    .unwrap();
    let (_, val) = lrtool::data::split_rows(&ds, 0.2, true, 3).unwrap();
    let text = fs::read_to_string(dir.path().join(&t)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut rows = String::from(lines[0]);
    rows.push('\n');
    for &i in &val {
        rows.push_str(lines[i + 1]);
        rows.push('\n');
    }
    fs::write(dir.path().join("val.csv"), &rows).unwrap();
    let p = run(
        dir.path(),
        &["predict", "--model", model, "--input", "val.csv"],
    );
    p.success();
    let right = p
        .stdout
        .lines()
        .skip(1)
        .zip(&val)
        .filter(|&(line, &i)| {
            let predicted = line.split(',').nth(1).unwrap();
            lines[i + 1].ends_with(&format!(",{predicted}"))
        })
        .count();
    assert!(
        (right as f64 / val.len() as f64 - acc).abs() < 1e-9,
        "predict {right}/{} vs evaluate {acc}",
        val.len()
    );
}

#[test]
fn csv_columns_readme_example_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("<!-- csv-example-begin").expect("marker");
    let end = readme.find("<!-- csv-example-end -->").expect("marker");
    let commands: Vec<&str> = readme[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("lrtool "))
        .collect();
    assert_eq!(commands.len(), 3);
    let dir = tempdir();
    let examples = dir.path().join("datasets/examples");
    fs::create_dir_all(&examples).unwrap();
    for f in ["houses.csv", "houses-new.csv"] {
        fs::copy(root.join("datasets/examples").join(f), examples.join(f)).unwrap();
    }
    let mut last = None;
    for c in commands {
        let args: Vec<&str> = c.split_whitespace().collect();
        let r = run(dir.path(), &args);
        r.success();
        last = Some(r);
    }
    let r = last.unwrap();
    assert_eq!(r.stdout.lines().next(), Some("row,predicted"));
    assert_eq!(r.stdout.lines().count(), 5, "{}", r.stdout);
    assert!(r.stderr.contains("\"city\""), "{}", r.stderr);
}

//! Happy paths of the real `lrtool` binary: every subcommand, every kind of dataset, the files
//! of the output folder (headers, row counts, summary fields, weight layout), stdout modes,
//! determinism, `--init`, `--config` and the example configs, divergence and the output folder
//! rules. Runs are tiny (a few epochs on small data) so the whole file takes seconds.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::util::*;

// ---------------------------------------------------------------- datasets, help, version

#[test]
fn datasets_lists_every_builtin_and_synthetic_set() {
    let dir = tempdir();
    let r = run(dir.path(), &["datasets"]);
    r.success();
    assert_eq!(r.stderr, "");
    for name in [
        "iris",
        "wine",
        "breast-cancer",
        "digits",
        "mnist-10k",
        "moons",
        "circles",
        "spirals",
        "xor",
        "blobs",
        "sine",
    ] {
        assert!(r.stdout.contains(name), "`lrtool datasets` lists {name}");
    }
}

#[test]
fn datasets_json_gives_shapes_and_tasks() {
    let dir = tempdir();
    let r = run(dir.path(), &["datasets", "--json"]);
    r.success();
    let v: Value = serde_json::from_str(&r.stdout).expect("only JSON on stdout");
    let builtin = v["built_in"].as_array().expect("built_in list");
    let shape = |name: &str| {
        let d = builtin
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{name} in built_in"));
        (
            d["samples"].as_u64().unwrap(),
            d["features"].as_u64().unwrap(),
            d["classes"].as_u64().unwrap(),
            d["task"].as_str().unwrap().to_string(),
        )
    };
    // shapes of the published datasets (scikit-learn load_*; the first 10,000 MNIST images)
    assert_eq!(shape("iris"), (150, 4, 3, "classify".into()));
    assert_eq!(shape("wine"), (178, 13, 3, "classify".into()));
    assert_eq!(shape("breast-cancer"), (569, 30, 2, "classify".into()));
    assert_eq!(shape("digits"), (1797, 64, 10, "classify".into()));
    assert_eq!(shape("mnist-10k"), (10000, 784, 10, "classify".into()));
    let synth: Vec<(&str, &str)> = v["synthetic"]
        .as_array()
        .expect("synthetic list")
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["task"].as_str().unwrap()))
        .collect();
    for (name, task) in [
        ("moons", "classify"),
        ("circles", "classify"),
        ("spirals", "classify"),
        ("xor", "classify"),
        ("blobs", "classify"),
        ("sine", "regress"),
    ] {
        assert!(
            synth.contains(&(name, task)),
            "{name} ({task}) in {synth:?}"
        );
    }
}

#[test]
fn help_and_version() {
    let dir = tempdir();
    let r = run(dir.path(), &["train", "--help"]);
    r.success();
    for flag in [
        "--dataset",
        "--hidden",
        "--optimizer",
        "--lr",
        "--out",
        "--config",
    ] {
        assert!(r.stdout.contains(flag), "train --help mentions {flag}");
    }
    let r = run(dir.path(), &["--version"]);
    r.success();
    // `lrtool 0.1.0`, plus ` (git <rev>)` when built from a checkout
    let version = format!("lrtool {}", env!("CARGO_PKG_VERSION"));
    let line = r.stdout.trim();
    assert!(
        line == version || (line.starts_with(&format!("{version} (git ")) && line.ends_with(')')),
        "{line}"
    );
}

// ---------------------------------------------------------------- train on every kind of data

/// (name, samples, features, classes) of each built-in dataset.
const BUILTIN: [(&str, u64, u64, u64); 5] = [
    ("iris", 150, 4, 3),
    ("wine", 178, 13, 3),
    ("breast-cancer", 569, 30, 2),
    ("digits", 1797, 64, 10),
    ("mnist-10k", 10000, 784, 10),
];

#[test]
fn train_on_each_builtin_dataset_writes_every_file() {
    let dir = tempdir();
    for (name, samples, features, classes) in BUILTIN {
        let out = format!("out-{name}");
        train(
            dir.path(),
            &out,
            &format!("--dataset {name} --hidden 8 --epochs 2 --batch-size 64"),
        )
        .success();
        let out = dir.path().join(out);
        assert_train_files(&out);
        check_logs(&out, 2, 64, 1e-3);
        let s = summary(&out);
        let d = &s["dataset"];
        assert_eq!(d["name"], name);
        assert_eq!(d["task"], "classify");
        assert_eq!(d["samples"].as_u64(), Some(samples), "{name} samples");
        assert_eq!(d["features"].as_u64(), Some(features), "{name} features");
        assert_eq!(d["classes"].as_u64(), Some(classes), "{name} classes");
        assert_eq!(
            d["class_names"].as_array().map(Vec::len),
            Some(classes as usize)
        );
        // the default 0.2 split, whole rows on each side
        let tr = d["train_rows"].as_u64().unwrap();
        let va = d["val_rows"].as_u64().unwrap();
        assert_eq!(tr + va, samples);
        assert!(
            (va as f64 - 0.2 * samples as f64).abs() <= 1.0,
            "{name}: {va} validation rows of {samples}"
        );
        assert_eq!(s["model"]["sizes"], json!([features, 8, classes]));
    }
}

#[test]
fn train_on_every_synthetic_dataset() {
    let dir = tempdir();
    // (name, task, features, classes)
    for (name, task, features, classes) in [
        ("moons", "classify", 2, 2),
        ("circles", "classify", 2, 2),
        ("spirals", "classify", 2, 3),
        ("xor", "classify", 2, 2),
        ("blobs", "classify", 2, 3),
        ("sine", "regress", 1, 0),
    ] {
        let out = format!("out-{name}");
        train(
            dir.path(),
            &out,
            &format!("--dataset {name} --samples 90 --hidden 6 --epochs 2 --batch-size 16"),
        )
        .success();
        let out = dir.path().join(&out);
        assert_train_files(&out);
        check_logs(&out, 2, 16, 1e-3);
        let d = &summary(&out)["dataset"];
        assert_eq!(d["name"], name);
        assert_eq!(d["task"], task, "{name}");
        assert_eq!(d["samples"].as_u64(), Some(90), "{name} honours --samples");
        assert_eq!(d["features"].as_u64(), Some(features), "{name}");
        assert_eq!(d["classes"].as_u64(), Some(classes), "{name}");
    }
}

#[test]
fn synthetic_noise_changes_the_data() {
    let dir = tempdir();
    let args = "--dataset moons --samples 60 --hidden 4 --epochs 1";
    train(dir.path(), "a", args).success();
    train(dir.path(), "b", &format!("{args} --noise 0.9")).success();
    let stats = |o: &str| summary(&dir.path().join(o))["dataset"]["standardization"].clone();
    assert_ne!(
        stats("a"),
        stats("b"),
        "--noise changes the generated points"
    );
    assert_eq!(
        summary(&dir.path().join("b"))["config"]["data"]["noise"],
        0.9
    );
}

#[test]
fn csv_with_string_labels_maps_them_to_classes() {
    let dir = tempdir();
    write(dir.path(), "animals.csv", string_label_csv(50));
    train(
        dir.path(),
        "out",
        "--dataset animals.csv --hidden 5 --epochs 3 --batch-size 8",
    )
    .success();
    let out = dir.path().join("out");
    assert_train_files(&out);
    check_logs(&out, 3, 8, 1e-3);
    let d = &summary(&out)["dataset"];
    assert_eq!(d["name"], "animals.csv");
    assert_eq!(d["task"], "classify");
    assert_eq!(d["samples"].as_u64(), Some(50));
    assert_eq!(d["features"].as_u64(), Some(2));
    assert_eq!(d["classes"].as_u64(), Some(3));
    let mut names: Vec<&str> = d["class_names"]
        .as_array()
        .expect("class_names")
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["cat", "dog", "emu"]);
}

#[test]
fn csv_with_crlf_bom_and_quotes_loads() {
    let dir = tempdir();
    let mut text = String::from("\u{feff}a,\"b, the second\",label\r\n");
    for i in 0..30 {
        text += &format!("{},\"{}\",{}\r\n", i % 4, (i * 3) % 5, ["x", "y"][i % 2]);
    }
    write(dir.path(), "win.csv", text);
    train(dir.path(), "out", "--dataset win.csv --hidden 3 --epochs 1").success();
    let d = &summary(&dir.path().join("out"))["dataset"];
    assert_eq!(d["samples"].as_u64(), Some(30));
    assert_eq!(d["features"].as_u64(), Some(2));
    assert_eq!(d["classes"].as_u64(), Some(2));
}

#[test]
fn csv_target_column_can_be_chosen() {
    let dir = tempdir();
    // the class is the first column here; the last one is a feature
    let mut text = String::from("kind,a,b\n");
    for i in 0..40 {
        text += &format!("{},{},{}\n", ["x", "y"][i % 2], i % 3, (i * 7) % 5);
    }
    write(dir.path(), "t.csv", &text);
    train(
        dir.path(),
        "out",
        "--dataset t.csv --target kind --hidden 4 --epochs 1",
    )
    .success();
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["dataset"]["classes"].as_u64(), Some(2));
    assert_eq!(s["dataset"]["features"].as_u64(), Some(2));
    assert_eq!(s["config"]["data"]["target"], "kind");
}

#[test]
fn regression_csv_writes_r2_columns() {
    let dir = tempdir();
    let mut text = String::from("x1,x2,y\n");
    for i in 0..60 {
        let (a, b) = (i as f64 / 10.0, (i % 7) as f64 / 3.0);
        text += &format!("{a},{b},{}\n", a.sin() + 0.5 * b);
    }
    write(dir.path(), "reg.csv", &text);
    train(
        dir.path(),
        "out",
        "--dataset reg.csv --hidden 8 --epochs 3 --batch-size 10",
    )
    .success();
    let out = dir.path().join("out");
    assert_train_files(&out);
    let (_, epochs) = check_logs(&out, 3, 10, 1e-3);
    assert_eq!(epochs.header, EPOCHS_HEADER_REGRESS);
    for r2 in epochs.f64s("val_r2") {
        assert!(r2.is_finite() && r2 <= 1.0, "R² {r2}");
    }
    let d = &summary(&out)["dataset"];
    assert_eq!(d["task"], "regress", "a real-valued target is regression");
    assert_eq!(d["features"].as_u64(), Some(2));
}

#[test]
fn task_flag_overrides_the_guess() {
    let dir = tempdir();
    // an integer target with few values is guessed as classification
    let mut text = String::from("a,b,y\n");
    for i in 0..40 {
        text += &format!("{},{},{}\n", i % 5, (i * 3) % 7, i % 3);
    }
    write(dir.path(), "ints.csv", &text);
    train(dir.path(), "guess", "--dataset ints.csv --epochs 1").success();
    assert_eq!(
        summary(&dir.path().join("guess"))["dataset"]["task"],
        "classify"
    );
    train(
        dir.path(),
        "forced",
        "--dataset ints.csv --task regress --epochs 1",
    )
    .success();
    let out = dir.path().join("forced");
    assert_eq!(summary(&out)["dataset"]["task"], "regress");
    assert_eq!(
        Csv::read(&out.join("epochs.csv")).header,
        EPOCHS_HEADER_REGRESS
    );
}

#[test]
fn gzipped_csv_trains_exactly_like_the_plain_file() {
    let dir = tempdir();
    let text = string_label_csv(45);
    write(dir.path(), "a.csv", &text);
    write(dir.path(), "a.csv.gz", gzip(text.as_bytes()));
    let args = "--hidden 4 --epochs 2 --batch-size 8";
    train(dir.path(), "plain", &format!("--dataset a.csv {args}")).success();
    train(dir.path(), "gz", &format!("--dataset a.csv.gz {args}")).success();
    let read = |o: &str| fs::read(dir.path().join(o).join("steps.csv")).unwrap();
    assert!(
        read("plain") == read("gz"),
        "same data, same seed, same steps"
    );
    assert_eq!(
        summary(&dir.path().join("gz"))["dataset"]["samples"].as_u64(),
        Some(45)
    );
}

#[test]
fn idx_files_raw_and_gzipped_train_alike() {
    let dir = tempdir();
    let (n, rows, cols) = (40, 5, 4);
    let images = idx_images(n as u32, n, rows, cols);
    let labels = idx_labels(n, 4);
    write(dir.path(), "img-idx3-ubyte", &images);
    write(dir.path(), "lab-idx1-ubyte", &labels);
    write(dir.path(), "img-idx3-ubyte.gz", gzip(&images));
    write(dir.path(), "lab-idx1-ubyte.gz", gzip(&labels));
    let args = "--hidden 6 --epochs 2 --batch-size 10";
    train(
        dir.path(),
        "raw",
        &format!("--dataset img-idx3-ubyte --labels lab-idx1-ubyte {args}"),
    )
    .success();
    train(
        dir.path(),
        "gz",
        &format!("--dataset img-idx3-ubyte.gz --labels lab-idx1-ubyte.gz {args}"),
    )
    .success();
    for o in ["raw", "gz"] {
        let out = dir.path().join(o);
        assert_train_files(&out);
        check_logs(&out, 2, 10, 1e-3);
        let d = &summary(&out)["dataset"];
        assert_eq!(d["samples"].as_u64(), Some(n as u64));
        assert_eq!(d["features"].as_u64(), Some((rows * cols) as u64));
        assert_eq!(d["classes"].as_u64(), Some(4));
    }
    let read = |o: &str| fs::read(dir.path().join(o).join("steps.csv")).unwrap();
    assert!(
        read("raw") == read("gz"),
        "same data, same seed, same steps"
    );
}

// ---------------------------------------------------------------- the output files

#[test]
fn step_rows_are_epochs_times_ceil_of_train_rows_over_batch() {
    let dir = tempdir();
    train(
        dir.path(),
        "out",
        "--dataset moons --samples 103 --hidden 4 --epochs 3 --batch-size 10 --lr 0.01",
    )
    .success();
    let out = dir.path().join("out");
    let tr = summary(&out)["dataset"]["train_rows"].as_u64().unwrap() as usize;
    assert_ne!(
        tr % 10,
        0,
        "the test wants a partial last batch ({tr} rows)"
    );
    let (steps, _) = check_logs(&out, 3, 10, 0.01);
    assert_eq!(steps.rows.len(), 3 * tr.div_ceil(10));
}

#[test]
fn summary_records_config_dataset_and_result() {
    let dir = tempdir();
    train(
        dir.path(),
        "out",
        "--dataset iris --hidden 7,5 --activation tanh --optimizer sgd --momentum 0.8 \
         --weight-decay 0.001 --epochs 3 --batch-size 16 --lr 0.05 --seed 11 --val-split 0.3",
    )
    .success();
    let out = dir.path().join("out");
    let s = summary(&out);
    assert_eq!(s["command"], "train");
    assert_eq!(s["lrtool_version"], env!("CARGO_PKG_VERSION"));
    let c = &s["config"];
    assert_eq!(c["data"]["dataset"], "iris");
    assert_eq!(num(&c["data"]["val_split"]), 0.3);
    assert_eq!(c["model"]["hidden"], json!([7, 5]));
    assert_eq!(c["model"]["activation"], "tanh");
    assert_eq!(c["model"]["init_scheme"], "torch");
    assert_eq!(c["optimizer"]["name"], "sgd");
    assert_eq!(num(&c["optimizer"]["momentum"]), 0.8);
    assert_eq!(num(&c["optimizer"]["weight_decay"]), 0.001);
    assert_eq!(c["optimizer"]["nesterov"], false);
    assert_eq!(c["run"]["epochs"].as_u64(), Some(3));
    assert_eq!(c["run"]["batch_size"].as_u64(), Some(16));
    assert_eq!(num(&c["run"]["lr"]), 0.05);
    assert_eq!(c["run"]["seed"].as_u64(), Some(11));
    let d = &s["dataset"];
    assert_eq!(d["val_rows"].as_u64(), Some(45), "0.3 of 150 rows");
    assert_eq!(d["train_rows"].as_u64(), Some(105));
    let st = &d["standardization"];
    assert_eq!(st["mean"].as_array().unwrap().len(), 4);
    assert_eq!(st["std"].as_array().unwrap().len(), 4);
    assert!(st["std"].as_array().unwrap().iter().all(|v| num(v) > 0.0));
    assert_eq!(s["model"]["sizes"], json!([4, 7, 5, 3]));
    assert_eq!(s["model"]["activation"], "tanh");
    // 4·7+7 + 7·5+5 + 5·3+3
    assert_eq!(s["model"]["parameters"].as_u64(), Some(35 + 40 + 18));
    let (steps, epochs) = check_logs(&out, 3, 16, 0.05);
    // the momentum column of steps.csv is SGD's momentum
    assert!(steps.f64s("momentum").iter().all(|&m| m == 0.8));
    // best_val_loss is the epoch with the lowest val_loss
    let vl: Vec<f64> = epochs
        .rows
        .iter()
        .map(|r| json_f64(&r[epochs.col("val_loss")]))
        .collect();
    let best = vl.iter().cloned().fold(f64::INFINITY, f64::min);
    let best_epoch = vl.iter().position(|&v| v == best).unwrap() + 1;
    let b = &s["result"]["best_val_loss"];
    assert_eq!(num(&b["val_loss"]), best);
    assert_eq!(b["epoch"].as_u64(), Some(best_epoch as u64));
}

#[test]
fn standardisation_uses_the_training_split_and_no_shuffle_keeps_file_order() {
    let dir = tempdir();
    // feature x = row index 0..49; with --no-shuffle the first 40 rows are the training split
    let mut text = String::from("x,label\n");
    for i in 0..50 {
        text += &format!("{i},{}\n", ["a", "b"][i % 2]);
    }
    write(dir.path(), "ordered.csv", &text);
    let base = "--dataset ordered.csv --hidden 3 --epochs 1";
    train(dir.path(), "ordered", &format!("{base} --no-shuffle")).success();
    let s = summary(&dir.path().join("ordered"));
    assert_eq!(s["config"]["data"]["shuffle"], false);
    let mean = num(&s["dataset"]["standardization"]["mean"][0]);
    let std = num(&s["dataset"]["standardization"]["std"][0]);
    assert!(
        (mean - 19.5).abs() < 1e-5,
        "mean of 0..39 is 19.5, got {mean}"
    );
    // population std of 0..39 is sqrt((40²−1)/12) = 11.5434; the sample std is 11.6905
    assert!(
        (std - 11.5434).abs() < 1e-3 || (std - 11.6905).abs() < 1e-3,
        "std of 0..39, got {std}"
    );
    train(dir.path(), "shuffled", base).success();
    let s = summary(&dir.path().join("shuffled"));
    let m = num(&s["dataset"]["standardization"]["mean"][0]);
    assert!(
        (m - 19.5).abs() > 1e-3,
        "a shuffled split is not the first 40 rows"
    );
}

#[test]
fn val_split_zero_trains_without_validation() {
    let dir = tempdir();
    train(
        dir.path(),
        "out",
        "--dataset iris --val-split 0 --hidden 4 --epochs 2",
    )
    .success();
    let out = dir.path().join("out");
    let s = summary(&out);
    assert_eq!(s["dataset"]["val_rows"].as_u64(), Some(0));
    assert_eq!(s["dataset"]["train_rows"].as_u64(), Some(150));
    let (steps, epochs) = check_logs(&out, 2, 32, 1e-3);
    assert_eq!(steps.rows.len(), 2 * 5);
    for r in &epochs.rows {
        assert_eq!(
            r[epochs.col("val_loss")],
            "",
            "no validation loss to report"
        );
        assert_eq!(r[epochs.col("val_acc")], "");
    }
}

#[test]
fn model_safetensors_has_pytorch_names_shapes_and_dtype() {
    let dir = tempdir();
    for (out, hidden, sizes) in [
        ("deep", "--hidden 5,7", vec![4usize, 5, 7, 3]),
        ("linear", "--hidden=", vec![4, 3]),
        ("zero", "--hidden 0", vec![4, 3]),
    ] {
        train(
            dir.path(),
            out,
            &format!("--dataset iris {hidden} --epochs 1"),
        )
        .success();
        let bytes = fs::read(dir.path().join(out).join("model.safetensors")).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).expect("valid safetensors");
        let mut names = st.names();
        names.sort();
        let mut expected: Vec<String> = (0..sizes.len() - 1)
            .flat_map(|k| [format!("layers.{k}.weight"), format!("layers.{k}.bias")])
            .collect();
        expected.sort();
        assert_eq!(names, expected, "{hidden}");
        for k in 0..sizes.len() - 1 {
            let w = st.tensor(&format!("layers.{k}.weight")).unwrap();
            assert_eq!(w.shape(), [sizes[k + 1], sizes[k]], "weight [out, in]");
            assert_eq!(w.dtype(), safetensors::Dtype::F32);
            let b = st.tensor(&format!("layers.{k}.bias")).unwrap();
            assert_eq!(b.shape(), [sizes[k + 1]]);
            assert_eq!(b.dtype(), safetensors::Dtype::F32);
            let vals: Vec<f32> = w
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            assert!(vals.iter().all(|v| v.is_finite()) && vals.iter().any(|&v| v != 0.0));
        }
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let meta = meta.metadata().clone().expect("metadata");
        assert_eq!(meta.get("activation").map(String::as_str), Some("relu"));
        assert_eq!(meta.get("format").map(String::as_str), Some("pt"));
    }
    assert_eq!(
        summary(&dir.path().join("linear"))["config"]["model"]["hidden"],
        json!([])
    );
}

// ---------------------------------------------------------------- stdout modes

#[test]
fn json_prints_only_the_summary_on_stdout() {
    let dir = tempdir();
    let mut args = vec!["train", "--out", "out", "--json"];
    args.extend(words("--dataset iris --hidden 4 --epochs 1"));
    let r = run(dir.path(), &args);
    r.success();
    let mut v: Value = serde_json::from_str(&r.stdout).expect("stdout is one JSON document");
    // the summary, and the folder the run wrote
    assert_eq!(
        v.as_object_mut().unwrap().remove("folder"),
        Some("out".into())
    );
    assert_eq!(v, summary(&dir.path().join("out")), "stdout is the summary");
    assert_eq!(
        r.stderr, "",
        "no progress bar when stderr is not a terminal"
    );
}

#[test]
fn quiet_prints_nothing_and_the_default_report_goes_to_stdout() {
    let dir = tempdir();
    let args = words("train --dataset iris --hidden 4 --epochs 2");
    let r = run(
        dir.path(),
        &[&args[..], &["--out", "q", "--quiet"]].concat(),
    );
    r.success();
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "");
    let r = run(dir.path(), &[&args[..], &["--out", "loud"]].concat());
    r.success();
    assert!(
        r.stdout.contains("iris"),
        "the report names the dataset: {}",
        r.stdout
    );
    assert!(
        r.stdout.contains("val_acc"),
        "the report has the epoch table"
    );
    assert_eq!(
        r.stderr, "",
        "no progress bar when stderr is not a terminal"
    );
}

// ---------------------------------------------------------------- determinism

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_differs() {
    let dir = tempdir();
    let args = "--dataset spirals --samples 120 --hidden 8,8 --epochs 3 --batch-size 16 --lr 0.01";
    train(dir.path(), "a", args).success();
    train(dir.path(), "b", args).success();
    train(dir.path(), "c", &format!("{args} --seed 1")).success();
    let read = |o: &str, f: &str| fs::read(dir.path().join(o).join(f)).unwrap();
    for f in TRAIN_FILES {
        if f == "timing.json" {
            continue; // wall-clock only
        }
        assert_same_output(&dir.path().join("a"), &dir.path().join("b"), f);
    }
    for f in ["steps.csv", "epochs.csv", "model.safetensors"] {
        assert!(
            read("a", f) != read("c", f),
            "{f} is the same for seeds 0 and 1"
        );
    }
}

#[test]
fn same_seed_is_deterministic_on_digits_with_adam_and_sgd_nesterov() {
    let dir = tempdir();
    for (i, opt) in [
        "--optimizer adam",
        "--optimizer sgd --momentum 0.9 --nesterov --lr 0.05",
    ]
    .into_iter()
    .enumerate()
    {
        let args = format!("--dataset digits --hidden 16 --epochs 2 {opt}");
        let (a, b) = (format!("a{i}"), format!("b{i}"));
        train(dir.path(), &a, &args).success();
        train(dir.path(), &b, &args).success();
        for f in [
            "steps.csv",
            "epochs.csv",
            "summary.json",
            "model.safetensors",
        ] {
            assert_same_output(&dir.path().join(&a), &dir.path().join(&b), f);
        }
    }
}

// ---------------------------------------------------------------- model and optimizer options

#[test]
fn every_activation_optimizer_and_init_scheme_trains() {
    let dir = tempdir();
    let variants = [
        "--activation relu",
        "--activation leaky-relu",
        "--activation tanh",
        "--activation sigmoid",
        "--activation gelu",
        "--init-scheme he",
        "--init-scheme xavier",
        "--optimizer sgd --momentum 0.9 --dampening 0.1 --lr 0.05",
        "--optimizer sgd --momentum 0.9 --nesterov --weight-decay 1e-4",
        "--optimizer adam --amsgrad --beta1 0.8 --beta2 0.99 --eps 1e-7",
        "--optimizer adamw --weight-decay 0.05",
    ];
    let mut logs = Vec::new();
    for (i, extra) in variants.iter().enumerate() {
        let out = format!("o{i}");
        train(
            dir.path(),
            &out,
            &format!("--dataset moons --samples 80 --hidden 6 --epochs 2 {extra}"),
        )
        .success();
        let s = summary(&dir.path().join(&out));
        let c = &s["config"];
        let w = words(extra);
        match w[0] {
            "--activation" => assert_eq!(c["model"]["activation"], w[1]),
            "--init-scheme" => assert_eq!(c["model"]["init_scheme"], w[1]),
            _ => assert_eq!(c["optimizer"]["name"], w[1]),
        }
        logs.push(fs::read(dir.path().join(&out).join("steps.csv")).unwrap());
    }
    // every option changes the training: no two runs log the same steps
    for i in 0..logs.len() {
        for j in i + 1..logs.len() {
            assert!(
                logs[i] != logs[j],
                "`{}` and `{}` train identically",
                variants[i],
                variants[j]
            );
        }
    }
    // AdamW's default weight decay is PyTorch's 1e-2; Adam's and SGD's 0
    for (opt, wd) in [("adamw", 0.01), ("adam", 0.0), ("sgd", 0.0)] {
        let out = format!("wd-{opt}");
        train(
            dir.path(),
            &out,
            &format!("--dataset xor --samples 40 --epochs 1 --optimizer {opt}"),
        )
        .success();
        let s = summary(&dir.path().join(&out));
        assert_eq!(num(&s["config"]["optimizer"]["weight_decay"]), wd, "{opt}");
    }
}

// ---------------------------------------------------------------- --init

#[test]
fn init_round_trip_starts_from_the_written_weights() {
    let dir = tempdir();
    let base = "--dataset iris --hidden 16 --lr 0.01";
    train(dir.path(), "first", &format!("{base} --epochs 20")).success();
    let trained = summary(&dir.path().join("first"));
    let final_loss = num(&trained["result"]["final"]["train_loss"]);

    train(
        dir.path(),
        "again",
        &format!("{base} --epochs 1 --init first/model.safetensors"),
    )
    .success();
    let out = dir.path().join("again");
    assert_train_files(&out);
    let s = summary(&out);
    assert_eq!(s["config"]["model"]["init"], "first/model.safetensors");
    assert_eq!(s["model"]["sizes"], trained["model"]["sizes"]);

    train(dir.path(), "fresh", &format!("{base} --epochs 1")).success();
    let first_loss = |o: &str| Csv::read(&dir.path().join(o).join("steps.csv")).f64s("loss")[0];
    let (warm, cold) = (first_loss("again"), first_loss("fresh"));
    assert!(
        warm < 0.6 * cold && warm < 2.0 * final_loss + 0.1,
        "after --init the first step starts from trained weights: loss {warm}, \
         fresh {cold}, trained {final_loss}"
    );
}

#[test]
fn init_with_another_shape_is_a_usage_error_naming_init() {
    let dir = tempdir();
    train(dir.path(), "first", "--dataset iris --hidden 16 --epochs 1").success();
    let w = "first/model.safetensors";
    // another --hidden, another dataset (13 features instead of 4), more layers, fewer classes
    for args in [
        "--dataset iris --hidden 8",
        "--dataset wine --hidden 16",
        "--dataset iris --hidden 16,16",
        "--dataset breast-cancer --hidden 16",
    ] {
        usage_error(dir.path(), &format!("{args} --init {w}"), &["--init", w]);
    }
}

// ---------------------------------------------------------------- --config

#[test]
fn config_file_sets_flags() {
    let dir = tempdir();
    write(
        dir.path(),
        "c.json",
        r#"{"dataset": "moons", "samples": 70, "hidden": [5, 3], "activation": "tanh",
            "optimizer": "sgd", "momentum": 0.9, "nesterov": true, "lr": 0.02,
            "epochs": 2, "batch-size": 10, "seed": 4, "val-split": 0.1}"#,
    );
    train(dir.path(), "out", "--config c.json").success();
    let out = dir.path().join("out");
    let s = summary(&out);
    let c = &s["config"];
    assert_eq!(c["data"]["dataset"], "moons");
    assert_eq!(s["dataset"]["samples"].as_u64(), Some(70));
    assert_eq!(c["model"]["hidden"], json!([5, 3]));
    assert_eq!(c["model"]["activation"], "tanh");
    assert_eq!(c["optimizer"]["name"], "sgd");
    assert_eq!(c["optimizer"]["nesterov"], true);
    assert_eq!(num(&c["optimizer"]["momentum"]), 0.9);
    assert_eq!(c["run"]["seed"].as_u64(), Some(4));
    assert_eq!(num(&c["data"]["val_split"]), 0.1);
    check_logs(&out, 2, 10, 0.02);

    // "hidden" also takes the command line's string form
    write(
        dir.path(),
        "h.json",
        r#"{"dataset": "xor", "samples": 40, "hidden": "6,2", "epochs": 1}"#,
    );
    train(dir.path(), "h", "--config h.json").success();
    assert_eq!(
        summary(&dir.path().join("h"))["config"]["model"]["hidden"],
        json!([6, 2])
    );
}

#[test]
fn command_line_flags_win_over_the_config_even_at_their_default_values() {
    let dir = tempdir();
    write(
        dir.path(),
        "c.json",
        r#"{"dataset": "xor", "samples": 60, "optimizer": "sgd", "lr": 0.5,
            "batch-size": 7, "hidden": "3", "epochs": 2, "seed": 9}"#,
    );
    // every value given on the command line equals lrtool's default
    train(
        dir.path(),
        "out",
        "--config c.json --optimizer adam --lr 0.001 --batch-size 32 --hidden 128,64 --seed 0",
    )
    .success();
    let s = summary(&dir.path().join("out"));
    let c = &s["config"];
    assert_eq!(c["optimizer"]["name"], "adam");
    assert_eq!(num(&c["run"]["lr"]), 0.001);
    assert_eq!(c["run"]["batch_size"].as_u64(), Some(32));
    assert_eq!(c["model"]["hidden"], json!([128, 64]));
    assert_eq!(c["run"]["seed"].as_u64(), Some(0));
    // what the command line leaves out comes from the config
    assert_eq!(c["run"]["epochs"].as_u64(), Some(2));
    assert_eq!(c["data"]["dataset"], "xor");
    assert_eq!(s["dataset"]["samples"].as_u64(), Some(60));
}

#[test]
fn every_example_config_runs() {
    let dir = tempdir();
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut files: Vec<_> = fs::read_dir(&configs)
        .expect("configs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        // compare-*.json are experiments for `lrtool compare`, run by tests/compare.rs
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("compare-"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "configs/ holds at least one example");
    for (i, path) in files.iter().enumerate() {
        let name = path.display();
        let cfg: Value = serde_json::from_str(&fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = format!("out{i}");
        // the command line wins: one epoch keeps the test fast
        let r = train_with(
            dir.path(),
            &out,
            &["--config", path.to_str().unwrap(), "--epochs", "1"],
        );
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        let out = dir.path().join(out);
        assert_train_files(&out);
        let s = summary(&out);
        assert_eq!(s["result"]["epochs_completed"].as_u64(), Some(1), "{name}");
        // what the example sets is what ran
        let c = &s["config"];
        for (key, got) in [
            ("dataset", &c["data"]["dataset"]),
            ("optimizer", &c["optimizer"]["name"]),
            ("lr", &c["run"]["lr"]),
            ("batch-size", &c["run"]["batch_size"]),
            ("activation", &c["model"]["activation"]),
            ("seed", &c["run"]["seed"]),
        ] {
            if let Some(want) = cfg.get(key) {
                assert_eq!(got, want, "{name}: {key}");
            }
        }
    }
}

// ---------------------------------------------------------------- divergence

#[test]
fn divergence_exits_1_and_leaves_valid_logs() {
    let dir = tempdir();
    let r = train(
        dir.path(),
        "out",
        "--dataset iris --optimizer sgd --lr 1e6 --epochs 3",
    );
    r.expect_code(1);
    assert_eq!(r.stdout, "");
    let line = one_error_line(&r.stderr);
    let out = dir.path().join("out");
    let s = summary(&out);
    let end = &s["result"]["end"];
    assert_eq!(end["status"], "diverged");
    let step = end["step"].as_u64().expect("the step that diverged");
    assert!(line.contains("diverged"), "{line}");
    assert!(
        line.contains(&format!("step {step}")),
        "names the step: {line}"
    );
    assert!(
        line.contains("1000000") || line.contains("1e6"),
        "names the lr: {line}"
    );
    assert_eq!(num(&end["lr"]), 1e6);
    // the logs are whole rows of finite numbers up to the failing step
    let steps = Csv::read(&out.join("steps.csv"));
    assert_eq!(steps.header, STEPS_HEADER);
    assert_eq!(steps.rows.len() as u64, step, "one row per finished step");
    assert!(steps.f64s("loss").iter().all(|l| l.is_finite()));
    let epochs = Csv::read(&out.join("epochs.csv"));
    assert_eq!(epochs.header, EPOCHS_HEADER_CLASSIFY);
    assert!(out.join(".lrtool-manifest.json").is_file());
    // the folder is lrtool's own: a new run replaces it without --force
    train(dir.path(), "out", "--dataset iris --hidden 4 --epochs 1").success();
    assert_eq!(summary(&out)["result"]["end"]["status"], "completed");
}

// ---------------------------------------------------------------- the output folder

#[test]
fn rerunning_into_an_earlier_run_replaces_it() {
    let dir = tempdir();
    train(dir.path(), "out", "--dataset iris --hidden 4 --epochs 3").success();
    train(dir.path(), "out", "--dataset wine --hidden 4 --epochs 1").success();
    let out = dir.path().join("out");
    assert_eq!(summary(&out)["dataset"]["name"], "wine");
    check_logs(&out, 1, 32, 1e-3);
}

#[test]
fn a_folder_with_foreign_files_is_refused_unless_force() {
    let dir = tempdir();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    write(&out, "notes.txt", "mine");
    let args = "--dataset iris --hidden 4 --epochs 1";
    usage_error(dir.path(), args, &["--out", "notes.txt", "--force"]);
    assert!(
        !out.join("steps.csv").exists(),
        "nothing written into a refused folder"
    );
    train(dir.path(), "out", &format!("{args} --force")).success();
    assert_train_files(&out);
    assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    // the foreign file is not adopted: a later run without --force is still refused
    usage_error(dir.path(), args, &["--out", "notes.txt"]);
}

#[test]
fn out_pointing_at_a_regular_file_is_refused() {
    let dir = tempdir();
    write(dir.path(), "out", "a file");
    usage_error(
        dir.path(),
        "--dataset iris --hidden 4 --epochs 1",
        &["--out"],
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("out")).unwrap(),
        "a file"
    );
}

#[test]
fn out_folder_and_its_parents_are_created() {
    let dir = tempdir();
    train(dir.path(), "a/b/c", "--dataset iris --hidden 4 --epochs 1").success();
    assert_train_files(&dir.path().join("a/b/c"));
}

#[test]
fn manifest_lists_the_files_written() {
    let dir = tempdir();
    train(dir.path(), "out", "--dataset iris --hidden 4 --epochs 1").success();
    let out = dir.path().join("out");
    let m = json(&out.join(".lrtool-manifest.json"));
    let mut listed: Vec<&str> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    listed.sort();
    let mut on_disk: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != ".lrtool-manifest.json")
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk);
}

#[test]
fn default_output_folder_is_runs_train() {
    let dir = tempdir();
    run(
        dir.path(),
        &words("train --quiet --dataset iris --hidden 4 --epochs 1"),
    )
    .success();
    let out = dir.path().join("runs/train");
    assert_train_files(&out);
    check_logs(&out, 1, 32, 1e-3);
}

#[test]
fn a_value_in_the_config_equals_the_same_value_as_a_flag_bit_for_bit() {
    // serde_json's default float parser may be one ULP off Rust's `str::parse` (serde_json's
    // `float_roundtrip` feature fixes that); 1.1827704196500741 is such a number.
    let dir = tempdir();
    write(dir.path(), "c.json", r#"{"lr": 1.1827704196500741}"#);
    let base = "--dataset iris --hidden 4 --epochs 1 --optimizer sgd";
    train(dir.path(), "config", &format!("{base} --config c.json")).success();
    train(
        dir.path(),
        "flag",
        &format!("{base} --lr 1.1827704196500741"),
    )
    .success();
    let lr = |o: &str| Csv::read(&dir.path().join(o).join("steps.csv")).rows[0][2].clone();
    assert_eq!(lr("config"), lr("flag"), "the LR column of steps.csv");
}

//! Issue 14, bounded memory for the commands that do not train and for train's extra weight
//! copies: `evaluate` and `predict` estimate from the `--model` headers (before any weights are
//! read) and from the rows they will score; `bench` from its workload and flags before making
//! its data; `train` counts `--swa-start`'s average and the `--init` file. Each refusal is exit 2
//! naming the flag or file, the estimate and the limit.

use std::path::Path;

use crate::util::*;

/// A safetensors file whose header claims one `out × inp` layer but holds no data.
fn claiming_file(dir: &Path, name: &str, out: u64, inp: u64) {
    let w = out * inp * 4;
    let header = format!(
        r#"{{"layers.0.bias":{{"dtype":"F32","shape":[{out}],"data_offsets":[{w},{}]}},"layers.0.weight":{{"dtype":"F32","shape":[{out},{inp}],"data_offsets":[0,{w}]}}}}"#,
        w + out * 4
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    write(dir, name, bytes);
}

/// The MiB of "needs about X MiB" in a refusal.
fn needed_mib(line: &str) -> f64 {
    let rest = line.split("needs about ").nth(1).expect("an estimate");
    let mut words = rest.split_whitespace();
    let value: f64 = words.next().unwrap().parse().unwrap();
    match words.next().unwrap() {
        "KiB" => value / 1024.0,
        "MiB" => value,
        "GiB" => value * 1024.0,
        unit => panic!("{unit} in {line}"),
    }
}

#[test]
fn evaluate_refuses_models_whose_headers_claim_too_much_before_reading_them() {
    let dir = tempdir();
    // three files claiming 800 MB of weights each, each under --max-input-mb
    for name in ["a.st", "b.st", "c.st"] {
        claiming_file(dir.path(), name, 100_000, 2_000);
    }
    let args = [
        "evaluate",
        "--model",
        "a.st",
        "--model",
        "b.st",
        "--model",
        "c.st",
        "--dataset",
        "iris",
        "--max-memory-mb",
        "2000",
    ];
    let r = run(dir.path(), &args);
    let line = expect_usage_error(
        &r,
        "three huge models",
        &[
            "the 3 --model files",
            "--model a.st",
            "needs about",
            "2000 MiB",
            "--max-memory-mb",
        ],
    );
    assert!(line.contains("the models' weights"), "{line}");
    // one of them alone fits that limit: the read then finds the file holds no data
    let r = run(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "a.st",
            "--dataset",
            "iris",
            "--max-memory-mb",
            "2000",
        ],
    );
    let line = expect_usage_error(&r, "one model", &["--model a.st"]);
    assert!(!line.contains("needs about"), "{line}");
    // predict loads its models the same way
    write(dir.path(), "in.csv", "a,b\n1,2\n");
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            "a.st",
            "--model",
            "b.st",
            "--model",
            "c.st",
            "--input",
            "in.csv",
            "--max-memory-mb",
            "2000",
        ],
    );
    expect_usage_error(&r, "predict", &["the 3 --model files", "needs about"]);
}

#[test]
fn predict_and_evaluate_estimate_the_rows_they_score() {
    let dir = tempdir();
    let mut text = String::from("a,b,y\n");
    for i in 0..60_000 {
        text.push_str(&format!("{},{},{}\n", i % 7, i % 11, i % 2));
    }
    write(dir.path(), "big.csv", &text);
    write(
        dir.path(),
        "small.csv",
        "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n",
    );
    train(
        dir.path(),
        "m",
        "--dataset small.csv --task classify --epochs 1 --val-split 0",
    )
    .success();
    let model = "m/model.safetensors";
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            model,
            "--input",
            "big.csv",
            "--max-memory-mb",
            "1",
        ],
    );
    let line = expect_usage_error(
        &r,
        "predict",
        &["--input big.csv", "60001 lines", "1 MiB", "--max-memory-mb"],
    );
    assert!(line.contains("predictions"), "{line}");
    // the same input under a limit it fits
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            model,
            "--input",
            "big.csv",
            "--max-memory-mb",
            "64",
        ],
    );
    r.success();
    assert_eq!(r.stdout.lines().count(), 60_001);

    let r = run(
        dir.path(),
        &[
            "evaluate",
            "--model",
            model,
            "--dataset",
            "big.csv",
            "--split",
            "all",
            "--max-memory-mb",
            "1",
        ],
    );
    expect_usage_error(
        &r,
        "evaluate",
        &[
            "evaluating --model m/model.safetensors on 60000 rows",
            "--dataset big.csv",
            "1 MiB",
            "--max-memory-mb",
        ],
    );
}

#[test]
fn bench_estimates_its_workload_before_making_the_data() {
    let dir = tempdir();
    // a batch beyond the data is the whole training split: W2's 60,000 rows at once
    let r = run(
        dir.path(),
        &[
            "bench",
            "w2",
            "--batch",
            "100000000000",
            "--max-memory-mb",
            "100",
        ],
    );
    let line = expect_usage_error(
        &r,
        "bench w2",
        &["bench w2", "--batch", "100 MiB", "--max-memory-mb"],
    );
    assert!(line.contains("training buffers"), "{line}");
    // the default batch fits that limit's order of magnitude: the batch is what tipped it
    assert!(needed_mib(&line) > 400.0, "{line}");
    let r = run(dir.path(), &["bench", "w1", "--epochs", "1000000000000000"]);
    expect_usage_error(&r, "bench w1", &["--epochs", "epoch history", "PiB"]);
}

/// The estimate of a train run refused at a 1 MiB limit, in MiB.
fn train_estimate(dir: &Path, args: &str) -> f64 {
    let line = usage_error(
        dir,
        &format!("{args} --max-memory-mb 1"),
        &["needs about", "--max-memory-mb"],
    );
    needed_mib(&line)
}

#[test]
fn train_counts_the_swa_average_and_the_init_file() {
    let dir = tempdir();
    let base = "--dataset iris --hidden 2048,2048 --epochs 3 --schedule constant";
    let swa = " --swa-start 2 --swa-lr 0.01";
    // one copy of a 4-2048-2048-3 model: (5·2048 + 2049·2048 + 2049·3) · 4 bytes
    let copy = (5 * 2048 + 2049 * 2048 + 2049 * 3) as f64 * 4.0 / (1 << 20) as f64;
    let without = train_estimate(dir.path(), base);
    let with_swa = train_estimate(dir.path(), &format!("{base}{swa}"));
    assert!(
        (with_swa - without - copy).abs() < 0.2,
        "SWA adds {} MiB, one copy is {copy}",
        with_swa - without
    );
    // a limit between the two: the run without SWA starts, the SWA average tips it over
    let limit = (without + copy / 2.0).ceil() as u64;
    let limit_flag = format!("--max-memory-mb {limit}");
    train(dir.path(), "plain", &format!("{base} {limit_flag}")).success();
    let line = usage_error(
        dir.path(),
        &format!("{base}{swa} {limit_flag}"),
        &["needs about", &format!("{limit} MiB"), "--max-memory-mb"],
    );
    assert!(line.contains("this run"), "{line}");

    // --init: the weights file is read whole beside the model it becomes
    let init = " --init plain/model.safetensors";
    let with_init = train_estimate(dir.path(), &format!("{base}{init}"));
    assert!(
        (with_init - without - copy).abs() < 0.2,
        "--init adds {} MiB, one copy is {copy}",
        with_init - without
    );
    usage_error(
        dir.path(),
        &format!("{base}{init} {limit_flag}"),
        &["needs about", &format!("{limit} MiB")],
    );
    // find-lr counts it too
    let r = run(
        dir.path(),
        &[
            "find-lr",
            "--dataset",
            "iris",
            "--hidden",
            "2048,2048",
            "--init",
            "plain/model.safetensors",
            "--max-memory-mb",
            "1",
            "--out",
            "f",
        ],
    );
    expect_usage_error(&r, "find-lr", &["needs about", "--max-memory-mb"]);
}

#[test]
fn landscape_sharpness_counts_the_lanczos_basis() {
    let dir = tempdir();
    train(
        dir.path(),
        "m",
        "--dataset iris --hidden 256,256 --epochs 1",
    )
    .success();
    let sharp = |steps: &str, out: &str| {
        run(
            dir.path(),
            &[
                "landscape",
                "--model",
                "m",
                "--sharpness",
                "--dataset",
                "iris",
                "--lanczos-steps",
                steps,
                "--max-memory-mb",
                "1000",
                "--out",
                out,
                "--quiet",
            ],
        )
    };
    // 10,001 f64 vectors of the model's 67,843 parameters: 5.1 GiB
    let r = sharp("10000", "a");
    let line = expect_usage_error(
        &r,
        "landscape",
        &[
            "this landscape",
            "Lanczos basis",
            "1000 MiB",
            "--lanczos-steps",
        ],
    );
    assert!(needed_mib(&line) > 5000.0, "{line}");
    assert!(!dir.path().join("a").exists());
    // few steps fit
    sharp("20", "b").success();
}

//! Issue 14, bounded memory and messages: every input read with a limit (`--max-input-mb` for
//! data, logs and weights; fixed limits for configs and records), gzip expansion bounded, a run's
//! memory estimated and refused before its folder is made (`--max-memory-mb`), no per-step
//! history growing with the run, readable messages, a closed stderr or stdout never a panic,
//! negative numbers read as values, strict config files, scripts kept out of report pages.

use std::path::Path;
use std::process::Stdio;

use lrtool::commands::common::History;
use lrtool::nn::{Activation, InitScheme, Mlp};
use lrtool::train::{Observer, StepReport};

use crate::util::*;

/// A CSV of `rows` rows of two features and a 0/1 class, about 12 bytes a row.
fn csv_rows(rows: usize) -> String {
    let mut text = String::from("a,b,y\n");
    for i in 0..rows {
        text.push_str(&format!("{}.5,{},{}\n", i % 97, i % 13, i % 2));
    }
    text
}

/// A small trained model in `dir/m`, for the commands that read one.
fn trained_model(dir: &Path) -> &'static str {
    train(dir, "m", "--dataset iris --epochs 1").success();
    "m/model.safetensors"
}

#[test]
fn a_data_file_above_max_input_mb_is_refused_naming_the_file_and_the_limit() {
    let dir = tempdir();
    let text = csv_rows(300_000);
    assert!(text.len() > 2 << 20, "{}", text.len());
    write(dir.path(), "big.csv", &text);
    let line = usage_error(
        dir.path(),
        "--dataset big.csv --epochs 1 --max-input-mb 1",
        &["big.csv", "1 MiB", "--max-input-mb"],
    );
    assert!(line.contains("above 1 MiB"), "{line}");
    // the flag may come before the command, or from a config file
    let r = run(
        dir.path(),
        &[
            "--max-input-mb",
            "1",
            "train",
            "--dataset",
            "big.csv",
            "--out",
            "g",
        ],
    );
    expect_usage_error(&r, "the flag before the command", &["big.csv", "1 MiB"]);
    write(dir.path(), "limit.json", r#"{"max-input-mb": 1}"#);
    usage_error(
        dir.path(),
        "--config limit.json --dataset big.csv --epochs 1",
        &["big.csv", "1 MiB"],
    );
    // the same file under the default limit (2048 MiB) is read
    train(
        dir.path(),
        "ok",
        "--dataset big.csv --epochs 1 --batch-size 4096",
    )
    .success();

    // suggest's curve and predict's input have the same limit
    let r = run(dir.path(), &["suggest", "big.csv", "--max-input-mb", "1"]);
    expect_usage_error(&r, "suggest", &["big.csv", "1 MiB", "--max-input-mb"]);
    let model = trained_model(dir.path());
    let r = run(
        dir.path(),
        &[
            "predict",
            "--model",
            model,
            "--input",
            "big.csv",
            "--max-input-mb",
            "1",
        ],
    );
    expect_usage_error(
        &r,
        "predict",
        &["--input big.csv", "1 MiB", "--max-input-mb"],
    );
}

#[test]
fn gzip_expanding_beyond_the_limit_is_refused_as_such_not_as_corrupt() {
    let dir = tempdir();
    // 3 MiB of CSV that gzip squeezes to a few KiB
    let mut text = String::from("a,b,y\n");
    while text.len() < 3 << 20 {
        text.push_str("1,2,0\n3,4,1\n");
    }
    let gz = gzip(text.as_bytes());
    assert!(gz.len() < 100_000, "{}", gz.len());
    write(dir.path(), "bomb.csv.gz", &gz);
    let line = usage_error(
        dir.path(),
        "--dataset bomb.csv.gz --epochs 1 --max-input-mb 1",
        &["bomb.csv.gz", "expands", "1 MiB", "--max-input-mb"],
    );
    assert!(!line.contains("corrupt"), "{line}");
    // IDX files are bounded after decompression too
    let images = gzip(&idx_images(20_000, 20_000, 10, 10));
    write(dir.path(), "img.gz", &images);
    write(dir.path(), "lab", idx_labels(20_000, 2));
    usage_error(
        dir.path(),
        "--dataset img.gz --labels lab --epochs 1 --max-input-mb 1",
        &["img.gz", "1 MiB", "--max-input-mb"],
    );
}

#[test]
fn an_idx_header_claiming_more_than_the_limit_is_refused_before_reading() {
    let dir = tempdir();
    // claims 100000 images of 1000 × 1000 bytes: 100 GB
    let mut images = vec![0, 0, 8, 3];
    for d in [100_000u32, 1000, 1000] {
        images.extend_from_slice(&d.to_be_bytes());
    }
    write(dir.path(), "img", &images);
    write(dir.path(), "lab", idx_labels(10, 2));
    usage_error(
        dir.path(),
        "--dataset img --labels lab --epochs 1",
        &["img", "header claims", "2 GiB", "--max-input-mb"],
    );
}

#[test]
fn weights_whose_header_claims_too_much_are_refused_before_reading() {
    let dir = tempdir();
    let header = br#"{"layers.0.weight":{"dtype":"F32","shape":[250000000000,1],"data_offsets":[0,1000000000000]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    write(dir.path(), "huge.safetensors", &bytes);
    let r = run(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "huge.safetensors",
            "--dataset",
            "iris",
        ],
    );
    expect_usage_error(
        &r,
        "evaluate",
        &["huge.safetensors", "2 GiB", "--max-input-mb"],
    );
    // --init knows the model the weights must fit: 4-8-3 takes 268 bytes
    usage_error(
        dir.path(),
        "--dataset iris --hidden 8 --epochs 1 --init huge.safetensors",
        &[
            "--init huge.safetensors",
            "more than the 268 bytes",
            "4-8-3",
        ],
    );
    // a header length beyond 64 MiB is not read at all
    let mut bytes = (1u64 << 40).to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    write(dir.path(), "long.safetensors", &bytes);
    usage_error(
        dir.path(),
        "--dataset iris --epochs 1 --init long.safetensors",
        &["--init long.safetensors", "64 MiB"],
    );
}

#[test]
fn dev_zero_as_any_input_is_refused_at_once() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let dir = tempdir();
    write(dir.path(), "img", idx_images(10, 10, 2, 2));
    write(dir.path(), "lab", idx_labels(10, 2));
    let model = trained_model(dir.path());
    // text inputs stop at the first NUL byte and name the limit they would have read up to
    let text_cases: [&[&str]; 4] = [
        &["train", "--dataset", "/dev/zero", "--out", "out"],
        &["train", "--config", "/dev/zero", "--out", "out"],
        &["suggest", "/dev/zero"],
        &["predict", "--model", model, "--input", "/dev/zero"],
    ];
    for args in text_cases {
        let r = run(dir.path(), args);
        let line = expect_usage_error(&r, &format!("{args:?}"), &["/dev/zero", "NUL"]);
        assert!(line.contains("MiB") || line.contains("GiB"), "{line}");
    }
    // binary inputs: a header that cannot be one
    let binary_cases: [&[&str]; 5] = [
        &[
            "train",
            "--dataset",
            "img",
            "--labels",
            "/dev/zero",
            "--out",
            "out",
        ],
        &[
            "train",
            "--dataset",
            "/dev/zero",
            "--labels",
            "lab",
            "--out",
            "out",
        ],
        &[
            "train",
            "--dataset",
            "iris",
            "--init",
            "/dev/zero",
            "--out",
            "out",
        ],
        &["evaluate", "--model", "/dev/zero", "--dataset", "iris"],
        &["predict", "--model", "/dev/zero", "--input", "lab"],
    ];
    for args in binary_cases {
        let r = run(dir.path(), args);
        expect_usage_error(&r, &format!("{args:?}"), &["/dev/zero"]);
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_config_file_above_16_mib_is_refused() {
    let dir = tempdir();
    let f = std::fs::File::create(dir.path().join("c.json")).unwrap();
    f.set_len((16 << 20) + 1).unwrap();
    usage_error(
        dir.path(),
        "--config c.json --dataset iris",
        &["--config c.json", "16 MiB"],
    );
}

// ---------------------------------------------------------------- memory

#[test]
fn a_run_that_cannot_fit_in_memory_is_refused_before_its_folder_is_made() {
    let dir = tempdir();
    let line = usage_error(
        dir.path(),
        "--dataset iris --hidden 1048576,1048576 --epochs 1",
        &["needs about", "TiB", "--max-memory-mb"],
    );
    assert!(line.contains("parameters"), "{line}");
    // the limit is the flag's when given
    let line = usage_error(
        dir.path(),
        "--dataset iris --hidden 2048,2048 --epochs 1 --max-memory-mb 10",
        &["10 MiB", "--max-memory-mb"],
    );
    assert!(
        line.contains("more than the 10 MiB limit (--max-memory-mb)"),
        "{line}"
    );
    // and the same run fits a larger limit
    train(
        dir.path(),
        "fits",
        "--dataset iris --hidden 64 --epochs 1 --max-memory-mb 1000",
    )
    .success();

    for (cmd, extra) in [
        ("find-lr", vec![]),
        ("snapshot-ensemble", vec!["--epochs", "2", "--cycles", "2"]),
        ("compare", vec!["--arms", "constant;cosine", "--seeds", "1"]),
    ] {
        let mut args = vec![
            cmd,
            "--dataset",
            "iris",
            "--hidden",
            "1048576,1048576",
            "--out",
            "out",
        ];
        args.extend(extra);
        let r = run(dir.path(), &args);
        expect_usage_error(&r, cmd, &["needs about", "--max-memory-mb"]);
        assert!(!dir.path().join("out").exists(), "{cmd} made its folder");
    }
}

#[test]
fn compare_counts_the_runs_it_keeps_side_by_side() {
    let dir = tempdir();
    let r = run(
        dir.path(),
        &[
            "compare",
            "--dataset",
            "iris",
            "--hidden",
            "2048,2048",
            "--arms",
            "constant;cosine",
            "--jobs",
            "8",
            "--max-memory-mb",
            "200",
            "--out",
            "out",
        ],
    );
    expect_usage_error(
        &r,
        "compare",
        &["8 such runs side by side (--jobs 8)", "200 MiB"],
    );
    assert!(!dir.path().join("out").exists());
}

fn step(step: u64) -> StepReport {
    StepReport {
        step,
        epoch: 1,
        lr: 0.1,
        momentum: 0.0,
        loss: 1.0,
        rows: 3,
    }
}

#[test]
fn the_step_history_keeps_a_bounded_evenly_thinned_sample() {
    let mut rng = rand::rng();
    let model = Mlp::new(&[1, 1], Activation::Relu, InitScheme::Torch, &mut rng);
    let mut h = History::bounded(1_000_000, 64);
    for s in 0..1000 {
        h.on_step(&step(s), &model).unwrap();
        assert!(h.steps.len() <= 64);
    }
    assert_eq!(h.rows_seen, 3000, "every step's rows are counted");
    assert_eq!(h.steps.capacity(), 64, "no room reserved beyond the bound");
    // 1000 steps into 64 places: every 16th step, from step 0
    assert_eq!(h.stride(), 16);
    let kept: Vec<u64> = h.steps.iter().map(|s| s.step).collect();
    assert_eq!(kept, (0..1000).step_by(16).collect::<Vec<u64>>());
    // a short run keeps every step
    let mut h = History::bounded(50, 64);
    for s in 0..50 {
        h.on_step(&step(s), &model).unwrap();
    }
    assert_eq!(h.steps.len(), 50);
    assert_eq!(h.stride(), 1);
}

/// `VmRSS` of a running process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_run_of_a_billion_steps_starts_and_stays_small() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    let dir = tempdir();
    // 1438 training rows one at a time for 10^6 epochs: 1.4e9 steps (a 69 GB history if kept)
    let mut child = lrtool(dir.path())
        .args([
            "train",
            "--dataset",
            "digits",
            "--epochs",
            "1000000",
            "--batch-size",
            "1",
            "--hidden",
            "16",
            "--quiet",
            "--out",
            "out",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // wait until the run has logged more steps than the history keeps whole (2^17)
    let steps = dir.path().join("out/steps.csv");
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            panic!("the run ended early with {code}");
        }
        let size = std::fs::metadata(&steps).map_or(0, |m| m.len());
        if size > 40 * (1 << 17) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let rss = rss_kib(child.id()).unwrap();
    // SIGTERM: the run ends after a whole step and keeps its files
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(rss < 200 * 1024, "resident memory {rss} KiB");
    let summary = summary(&dir.path().join("out"));
    assert_eq!(summary["interrupted"], true);
}

// ---------------------------------------------------------------- messages and exits

#[test]
fn echoed_values_are_cut_to_a_readable_length() {
    let dir = tempdir();
    let long = "d".repeat(1_000_000);
    write(dir.path(), "c.json", format!("{{\"dataset\": \"{long}\"}}"));
    let line = usage_error(dir.path(), "--config c.json", &["ddd", "characters"]);
    assert!(line.len() < 2000, "{} bytes", line.len());

    let names: Vec<String> = (0..5000).map(|i| format!("column_{i}")).collect();
    let mut text = names.join(",") + "\n";
    for r in 0..3 {
        text.push_str(&vec![r.to_string(); 5000].join(","));
        text.push('\n');
    }
    write(dir.path(), "wide.csv", &text);
    let line = usage_error(
        dir.path(),
        "--dataset wide.csv --target nope --epochs 1",
        &["wide.csv", "\"nope\"", "column_0", "and 4980 more"],
    );
    assert!(line.len() < 1000, "{} bytes", line.len());
    let r = run(dir.path(), &["suggest", "wide.csv", "--lr-column", "nope"]);
    let line = expect_usage_error(&r, "suggest", &["--lr-column", "more"]);
    assert!(line.len() < 1000, "{} bytes", line.len());
}

/// Run `lrtool ARGS` with the end of the pipe it writes `stream` to closed by the reader
/// before anything is written: the exit code.
fn with_reader_gone(dir: &Path, args: &[&str], stream: &str) -> Option<i32> {
    let mut cmd = lrtool(dir);
    cmd.args(args);
    match stream {
        "stderr" => cmd.stderr(Stdio::piped()).stdout(Stdio::null()),
        _ => cmd.stdout(Stdio::piped()).stderr(Stdio::null()),
    };
    let mut child = cmd.spawn().unwrap();
    drop(child.stderr.take());
    drop(child.stdout.take());
    child.wait().unwrap().code()
}

#[test]
fn a_closed_stderr_or_stdout_is_never_a_panic() {
    let dir = tempdir();
    // an input error with nobody reading stderr: still exit 2, not a panic (101)
    let bad: &[&str] = &["train", "--dataset", "absent.csv", "--out", "x"];
    assert_eq!(with_reader_gone(dir.path(), bad, "stderr"), Some(2));
    let unknown: &[&str] = &["train", "--no-such-flag"];
    assert_eq!(with_reader_gone(dir.path(), unknown, "stderr"), Some(2));
    // a long listing whose reader went away ends quietly (the contract's 0)
    let list: &[&str] = &["schedule", "--schedule", "cosine", "--steps", "1000000"];
    assert_eq!(with_reader_gone(dir.path(), list, "stdout"), Some(0));
    let datasets: &[&str] = &["datasets"];
    assert_eq!(with_reader_gone(dir.path(), datasets, "stdout"), Some(0));
    // a training run with its stderr gone (the progress and the report) ends as usual
    let ok: &[&str] = &["train", "--dataset", "iris", "--epochs", "1", "--out", "t"];
    assert_eq!(with_reader_gone(dir.path(), ok, "stderr"), Some(0));

    // `2>&-` and `>&-`: the shell closes the descriptor
    let bin = env!("CARGO_BIN_EXE_lrtool");
    for (redirect, code) in [("2>&-", 2), (">&- 2>&-", 2)] {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("'{bin}' train --dataset absent.csv {redirect}"))
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "{redirect}");
    }
}

#[test]
fn negative_numbers_are_read_as_values() {
    let dir = tempdir();
    for (args, flag) in [
        (
            vec!["find-lr", "--dataset", "iris", "--min", "-1e-3"],
            "--min -0.001",
        ),
        (vec!["schedule", "--lr", "-1e-3", "--steps", "3"], "--lr"),
        (vec!["train", "--dataset", "iris", "--lr", "-inf"], "--lr"),
        (vec!["suggest", "x.csv", "--smooth", "-1e-1"], "--smooth"),
    ] {
        let r = run(dir.path(), &args);
        let line = expect_usage_error(&r, &format!("{args:?}"), &[flag]);
        assert!(!line.contains("unexpected argument"), "{line}");
    }
}

#[test]
fn plot_and_report_outputs_that_cannot_be_written_name_the_flag() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    let r = run(
        dir.path(),
        &["schedule", "--steps", "10", "--plot", "folder"],
    );
    expect_usage_error(&r, "schedule --plot", &["--plot folder", "folder"]);
    write(dir.path(), "file", "x");
    let r = run(
        dir.path(),
        &[
            "schedule",
            "--steps",
            "10",
            "--plot",
            "file/under/a/file.svg",
        ],
    );
    expect_usage_error(&r, "schedule --plot under a file", &["--plot file/under"]);
    train(dir.path(), "run", "--dataset iris --epochs 1").success();
    let r = run(dir.path(), &["report", "run", "--output", "folder"]);
    expect_usage_error(&r, "report --output", &["--output folder"]);
    let r = run(dir.path(), &["report", "run", "--output", "file/x.html"]);
    expect_usage_error(
        &r,
        "report --output under a file",
        &["--output file/x.html"],
    );
}

#[test]
fn config_values_of_the_wrong_type_and_repeated_keys_are_refused() {
    let dir = tempdir();
    write(dir.path(), "three.json", r#"{"epochs": "three"}"#);
    usage_error(
        dir.path(),
        "--config three.json --epochs 1 --dataset iris",
        &["three.json", "\"epochs\"", "three"],
    );
    write(dir.path(), "opt.json", r#"{"optimizer": "sgdd"}"#);
    usage_error(
        dir.path(),
        "--config opt.json --optimizer adam --dataset iris",
        &["opt.json", "\"optimizer\"", "sgdd"],
    );
    write(dir.path(), "twice.json", r#"{"epochs": 2, "epochs": 3}"#);
    usage_error(
        dir.path(),
        "--config twice.json --dataset iris",
        &["twice.json", "\"epochs\"", "twice"],
    );
    // a right value beside the command line's is fine, and the command line wins
    write(dir.path(), "two.json", r#"{"epochs": 2}"#);
    train(
        dir.path(),
        "ok",
        "--config two.json --epochs 1 --dataset iris",
    )
    .success();
    assert_eq!(
        summary(&dir.path().join("ok"))["config"]["run"]["epochs"],
        1
    );
    // compare's experiment files are strict too
    write(
        dir.path(),
        "exp.json",
        r#"{"dataset": "iris", "arms": {"a": {}}, "arms": {"b": {}}}"#,
    );
    let r = run(
        dir.path(),
        &["compare", "--config", "exp.json", "--out", "c"],
    );
    expect_usage_error(&r, "compare --config", &["exp.json", "\"arms\"", "twice"]);
}

#[test]
fn report_does_not_inline_a_tampered_plot() {
    let dir = tempdir();
    train(dir.path(), "run", "--dataset iris --epochs 2").success();
    let run_dir = dir.path().join("run");
    let loss = std::fs::read_to_string(run_dir.join("loss.svg")).unwrap();
    std::fs::write(
        run_dir.join("loss.svg"),
        loss.replace("</svg>", "<script>alert(1)</script></svg>"),
    )
    .unwrap();
    let lr = std::fs::read_to_string(run_dir.join("lr.svg")).unwrap();
    std::fs::write(
        run_dir.join("lr.svg"),
        lr.replacen("<rect ", "<rect onload=\"alert(2)\" ", 1),
    )
    .unwrap();
    run(dir.path(), &["report", "run"]).success();
    let page = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script reached the page");
    assert!(!lower.contains("onload="), "a handler reached the page");
    assert!(
        !lower.contains("alert("),
        "the tampered content reached the page"
    );
    assert!(page.contains("loss.svg is not shown"), "the page says why");
    assert!(page.contains("lr.svg is not shown"), "the page says why");
    // lrtool's own plots are still inlined
    train(dir.path(), "clean", "--dataset iris --epochs 2").success();
    let page = std::fs::read_to_string(dir.path().join("clean/report.html")).unwrap();
    assert!(page.contains("<svg"), "the plots are inlined");
    assert!(!page.contains("is not shown"));
}

#[test]
fn suggest_reads_quoted_cells_and_a_byte_order_mark() {
    let dir = tempdir();
    let mut text = String::from("\u{feff}\"lr\",\"loss\",\"note\"\r\n");
    for i in 0..60 {
        let lr = 1e-5 * 1.2f64.powi(i);
        let loss = 2.0 - (i as f64 / 30.0) + if i > 45 { (i - 45) as f64 } else { 0.0 };
        text.push_str(&format!(
            "\"{lr}\",\"{loss}\",\"a, \"\"quoted\"\" note\"\r\n"
        ));
    }
    write(dir.path(), "curve.csv", &text);
    let r = run(dir.path(), &["suggest", "curve.csv", "--json"]);
    r.success();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v.is_object(), "{}", r.stdout);
    // the same curve without quotes and BOM gives the same answer
    let plain = text
        .trim_start_matches('\u{feff}')
        .replace("\"a, \"\"quoted\"\" note\"", "n")
        .replace('"', "");
    write(dir.path(), "plain.csv", plain);
    let r2 = run(dir.path(), &["suggest", "plain.csv", "--json"]);
    r2.success();
    let strip = |s: &str| s.replace("plain.csv", "curve.csv");
    assert_eq!(strip(&r2.stdout), r.stdout);
}

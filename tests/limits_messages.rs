//! Issue 14, oversize inputs: every input above its limit, endless or not what it claims to be is
//! refused with one line naming the flag and the file, the limit and the flag that raises it —
//! IDX files included, whether they are not IDX at all (`/dev/zero`), go on past what their
//! header describes (a regular file or an endless stream), or hold more pixels than the memory
//! limit allows once converted.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::util::*;

/// Runs `lrtool ARGS…` in `dir` with stdin fed `head` and then zeros without end (until lrtool
/// stops reading), as a pipe or a device would.
fn run_with_endless_stdin(dir: &Path, args: &[&str], head: Vec<u8>) -> Run {
    let mut child = lrtool(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lrtool starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let zeros = vec![0u8; 64 * 1024];
        if stdin.write_all(&head).is_err() {
            return 0u64;
        }
        let mut sent = head.len() as u64;
        // a reader that went away ends the loop (EPIPE); a cap keeps a broken lrtool from
        // hanging the test
        while sent < 8 << 30 && stdin.write_all(&zeros).is_ok() {
            sent += zeros.len() as u64;
        }
        sent
    });
    let out = child.wait_with_output().expect("lrtool ends");
    let sent = feeder.join().expect("feeder");
    assert!(
        sent < 1 << 30,
        "lrtool read {sent} bytes of an endless input"
    );
    out.into()
}

#[test]
fn dev_zero_as_an_idx_file_names_the_flag_how_far_it_was_read_and_the_limit() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let dir = tempdir();
    write(dir.path(), "img", idx_images(10, 10, 2, 2));
    write(dir.path(), "lab", idx_labels(10, 2));
    for (args, flag) in [
        ("--dataset /dev/zero --labels lab", "--dataset /dev/zero"),
        ("--dataset img --labels /dev/zero", "--labels /dev/zero"),
    ] {
        let line = usage_error(
            dir.path(),
            args,
            &[
                flag,
                "not an IDX file",
                "read stopped after 4 bytes",
                "2 GiB",
                "--max-input-mb",
            ],
        );
        assert!(line.contains("the limit for a data file"), "{line}");
    }
    // the limit named is the one in force
    usage_error(
        dir.path(),
        "--dataset /dev/zero --labels lab --max-input-mb 3",
        &["--dataset /dev/zero", "3 MiB", "--max-input-mb"],
    );
}

#[test]
fn an_endless_idx_stream_is_read_only_as_far_as_its_header_claims() {
    let dir = tempdir();
    write(dir.path(), "img", idx_images(10, 10, 2, 2));
    write(dir.path(), "lab", idx_labels(10, 2));
    // a valid images header (10 images of 2×2) and its data, then zeros without end
    let r = run_with_endless_stdin(
        dir.path(),
        &[
            "train",
            "--dataset",
            "/dev/stdin",
            "--labels",
            "lab",
            "--out",
            "out",
        ],
        idx_images(10, 10, 2, 2),
    );
    let line = expect_usage_error(
        &r,
        "endless images",
        &[
            "--dataset /dev/stdin",
            "unexpected data after the 56 bytes",
            "10×2×2",
            "read stopped",
            "--max-input-mb",
        ],
    );
    assert!(!line.contains("1 bytes"), "{line}");
    let r = run_with_endless_stdin(
        dir.path(),
        &[
            "train",
            "--dataset",
            "img",
            "--labels",
            "/dev/stdin",
            "--out",
            "out",
        ],
        idx_labels(10, 2),
    );
    expect_usage_error(
        &r,
        "endless labels",
        &["--labels /dev/stdin", "after the 18 bytes", "read stopped"],
    );
    // a header alone that is not IDX stops the read at once
    let r = run_with_endless_stdin(
        dir.path(),
        &[
            "train",
            "--dataset",
            "/dev/stdin",
            "--labels",
            "lab",
            "--out",
            "out",
        ],
        vec![0, 0, 0x0d, 1],
    );
    expect_usage_error(
        &r,
        "floats",
        &[
            "--dataset /dev/stdin",
            "32-bit floats",
            "read stopped after 4 bytes",
        ],
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_regular_idx_file_with_trailing_data_says_how_much() {
    let dir = tempdir();
    let mut images = idx_images(10, 10, 2, 2);
    images.extend_from_slice(&[1; 7]);
    write(dir.path(), "img", images);
    write(dir.path(), "lab", idx_labels(10, 2));
    usage_error(
        dir.path(),
        "--dataset img --labels lab",
        &[
            "--dataset img",
            "7 bytes of unexpected data after the 56 bytes",
        ],
    );
}

#[test]
fn idx_pixels_beyond_the_memory_limit_are_refused_before_conversion() {
    let dir = tempdir();
    // 10 images of 400×400 bytes: 1.5 MiB of pixels, 6 MiB more as f32
    write(dir.path(), "img", idx_images(10, 10, 400, 400));
    write(dir.path(), "lab", idx_labels(10, 2));
    usage_error(
        dir.path(),
        "--dataset img --labels lab --max-memory-mb 4",
        &["loading --dataset img", "f32", "4 MiB", "--max-memory-mb"],
    );
}

#[test]
fn every_input_above_max_input_mb_names_its_flag_file_limit_and_how_to_raise_it() {
    let dir = tempdir();
    let model = {
        train(dir.path(), "m", "--dataset iris --epochs 1").success();
        "m/model.safetensors"
    };
    // a 2 MiB file of every kind: sparse, refused from its size
    let big = dir.path().join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 20)
        .unwrap();
    write(dir.path(), "img", idx_images(10, 10, 2, 2));
    write(dir.path(), "lab", idx_labels(10, 2));
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["train", "--dataset", "big", "--out", "o"],
            "--dataset big",
            "data file",
        ),
        (
            vec!["train", "--dataset", "big", "--labels", "lab", "--out", "o"],
            "--dataset big",
            "data file",
        ),
        (
            vec!["train", "--dataset", "img", "--labels", "big", "--out", "o"],
            "--labels big",
            "data file",
        ),
        (
            vec!["train", "--dataset", "iris", "--init", "big", "--out", "o"],
            "--init big",
            "weights file",
        ),
        (
            vec!["find-lr", "--dataset", "big", "--out", "o"],
            "--dataset big",
            "data file",
        ),
        (
            vec!["evaluate", "--model", "big", "--dataset", "iris"],
            "--model big",
            "weights file",
        ),
        (
            vec!["evaluate", "--model", model, "--dataset", "big"],
            "--dataset big",
            "data file",
        ),
        (
            vec!["predict", "--model", model, "--input", "big"],
            "--input big",
            "data file",
        ),
        (
            vec!["predict", "--model", "big", "--input", "lab"],
            "--model big",
            "weights file",
        ),
        (vec!["suggest", "big"], "big", "data file"),
        (
            vec![
                "landscape",
                "--from",
                "big",
                "--to",
                model,
                "--dataset",
                "iris",
                "--out",
                "o",
            ],
            "--from big",
            "weights file",
        ),
    ];
    for (mut args, flag, kind) in cases {
        args.extend(["--max-input-mb", "1"]);
        let r = run(dir.path(), &args);
        let line = expect_usage_error(
            &r,
            &format!("{args:?}"),
            &[flag, "1 MiB", "--max-input-mb raises it"],
        );
        assert!(line.contains(&format!("the limit for a {kind}")), "{line}");
    }
    assert!(!dir.path().join("o").exists());
}

//! Bad input to the real binary: every case exits with code 2, prints nothing on stdout and
//! exactly one stderr line `lrtool: …` that names the flag or the file (and line), and leaves
//! no output folder behind (see `util::usage_error`).

use crate::util::*;

/// A valid small run, so that each case changes one thing.
const OK: &str = "--dataset iris --epochs 1";

fn with(extra: &str) -> String {
    format!("{OK} {extra}")
}

// ---------------------------------------------------------------- flags

#[test]
fn zero_epochs() {
    let dir = tempdir();
    usage_error(dir.path(), "--dataset iris --epochs 0", &["--epochs"]);
}

#[test]
fn zero_batch_size() {
    let dir = tempdir();
    usage_error(dir.path(), &with("--batch-size 0"), &["--batch-size"]);
}

#[test]
fn val_split_out_of_range() {
    let dir = tempdir();
    usage_error(dir.path(), &with("--val-split 1.5"), &["--val-split"]);
    usage_error(dir.path(), &with("--val-split=-0.1"), &["--val-split"]);
    // below 1 but leaving no training rows
    usage_error(dir.path(), &with("--val-split 0.999"), &["--val-split"]);
}

#[test]
fn negative_zero_nan_and_infinite_lr() {
    let dir = tempdir();
    // `--lr -1` and `--lr=-1` both reach lrtool's own check
    usage_error(dir.path(), &with("--lr -1"), &["--lr"]);
    usage_error(dir.path(), &with("--lr=-1"), &["--lr"]);
    usage_error(dir.path(), &with("--lr 0"), &["--lr"]);
    usage_error(dir.path(), &with("--lr nan"), &["--lr"]);
    usage_error(dir.path(), &with("--lr inf"), &["--lr"]);
    usage_error(dir.path(), &with("--lr fast"), &["--lr", "fast"]);
}

#[test]
fn bad_hidden_widths() {
    let dir = tempdir();
    usage_error(dir.path(), &with("--hidden 0,-3"), &["--hidden"]);
    usage_error(dir.path(), &with("--hidden 8,x"), &["--hidden", "x"]);
    usage_error(dir.path(), &with("--hidden 8,,4"), &["--hidden"]);
}

#[test]
fn unknown_optimizer_lists_the_valid_ones() {
    let dir = tempdir();
    usage_error(
        dir.path(),
        &with("--optimizer rmsprop"),
        &["--optimizer", "rmsprop", "sgd", "adam", "adamw"],
    );
}

#[test]
fn unknown_activation_lists_the_valid_ones() {
    let dir = tempdir();
    usage_error(
        dir.path(),
        &with("--activation swish"),
        &[
            "--activation",
            "swish",
            "relu",
            "leaky-relu",
            "tanh",
            "sigmoid",
            "gelu",
        ],
    );
}

#[test]
fn unknown_task_and_init_scheme_list_the_valid_ones() {
    let dir = tempdir();
    usage_error(
        dir.path(),
        &with("--task cluster"),
        &["--task", "classify", "regress"],
    );
    usage_error(
        dir.path(),
        &with("--init-scheme lecun"),
        &["--init-scheme", "torch", "he", "xavier"],
    );
}

#[test]
fn adam_flags_with_sgd() {
    let dir = tempdir();
    usage_error(
        dir.path(),
        &with("--optimizer sgd --beta1 0.5"),
        &["--beta1", "sgd"],
    );
    usage_error(
        dir.path(),
        &with("--optimizer sgd --amsgrad"),
        &["--amsgrad"],
    );
}

#[test]
fn sgd_flags_with_adam() {
    let dir = tempdir();
    usage_error(
        dir.path(),
        &with("--optimizer adam --momentum 0.9"),
        &["--momentum"],
    );
    usage_error(
        dir.path(),
        &with("--optimizer adamw --nesterov"),
        &["--nesterov"],
    );
}

#[test]
fn nesterov_without_momentum() {
    let dir = tempdir();
    usage_error(
        dir.path(),
        &with("--optimizer sgd --nesterov"),
        &["--nesterov", "--momentum"],
    );
    usage_error(
        dir.path(),
        &with("--optimizer sgd --nesterov --momentum 0.9 --dampening 0.5"),
        &["--nesterov", "--dampening"],
    );
}

#[test]
fn out_of_range_optimizer_values() {
    let dir = tempdir();
    usage_error(dir.path(), &with("--beta1 1.0"), &["--beta1"]);
    usage_error(dir.path(), &with("--beta2=-0.1"), &["--beta2"]);
    usage_error(dir.path(), &with("--eps=-1"), &["--eps"]);
    usage_error(
        dir.path(),
        &with("--optimizer sgd --momentum=-0.5"),
        &["--momentum"],
    );
    usage_error(dir.path(), &with("--weight-decay=-1"), &["--weight-decay"]);
}

#[test]
fn unknown_flag_and_subcommand() {
    let dir = tempdir();
    usage_error(dir.path(), &with("--epochz 3"), &["--epochz"]);
    let r = run(dir.path(), &["fly"]);
    r.expect_code(2);
    assert!(one_error_line(&r.stderr).contains("fly"));
    let r = run(dir.path(), &["datasets", "--bogus"]);
    r.expect_code(2);
    assert!(one_error_line(&r.stderr).contains("--bogus"));
}

#[test]
fn data_flags_that_do_not_apply_or_are_out_of_range() {
    let dir = tempdir();
    usage_error(dir.path(), &with("--samples 10"), &["--samples", "iris"]);
    usage_error(dir.path(), &with("--labels x-idx1-ubyte"), &["--labels"]);
    usage_error(dir.path(), "--dataset moons --samples 1", &["--samples"]);
    usage_error(dir.path(), "--dataset moons --noise=-1", &["--noise"]);
    usage_error(dir.path(), "--dataset moons --noise nan", &["--noise"]);
}

// ---------------------------------------------------------------- data files

#[test]
fn unknown_dataset_name_lists_the_choices() {
    let dir = tempdir();
    usage_error(
        dir.path(),
        "--dataset irises",
        &["--dataset", "irises", "iris", "moons"],
    );
}

#[test]
fn missing_file() {
    let dir = tempdir();
    usage_error(dir.path(), "--dataset nowhere.csv", &["nowhere.csv"]);
    usage_error(
        dir.path(),
        "--dataset nowhere-idx3-ubyte --labels x-idx1-ubyte",
        &["nowhere-idx3-ubyte"],
    );
}

/// Writes `name` with `bytes` and expects a usage error from `--dataset name EXTRA` that
/// mentions each needle.
fn bad_file(name: &str, bytes: impl AsRef<[u8]>, extra: &str, needles: &[&str]) -> String {
    let dir = tempdir();
    write(dir.path(), name, bytes);
    usage_error(
        dir.path(),
        &format!("--dataset {name} --epochs 1 {extra}"),
        needles,
    )
}

#[test]
fn empty_csv() {
    bad_file("empty.csv", "", "", &["empty.csv"]);
}

#[test]
fn header_only_csv() {
    bad_file("head.csv", "a,b,label\n", "", &["head.csv"]);
}

#[test]
fn ragged_row_names_the_line() {
    let line = bad_file(
        "r.csv",
        "a,b,c\n1,2,0\n3,4,1\n5,6\n7,8,0\n",
        "",
        &["r.csv", "line 4"],
    );
    assert!(
        line.contains('3') && line.contains('2'),
        "expected and found counts: {line}"
    );
    bad_file(
        "long.csv",
        "a,b,c\n1,2,0\n3,4,1,9\n",
        "",
        &["long.csv", "line 3"],
    );
}

#[test]
fn non_numeric_cell_names_line_and_column() {
    // a text cell makes its column categorical (one-hot); an empty cell is an error by default
    bad_file(
        "n.csv",
        "a,b,c\n1,2,0\n3,4,1\n5,,0\n",
        "",
        &["n.csv", "line 4", "\"b\"", "empty cell", "--missing"],
    );
}

#[test]
fn nan_and_infinite_cells() {
    bad_file(
        "nan.csv",
        "a,b,c\n1,2,0\nNaN,4,1\n",
        "",
        &["nan.csv", "line 3", "\"a\""],
    );
    bad_file(
        "inf.csv",
        "a,b,c\n1,2,0\n3,inf,1\n",
        "",
        &["inf.csv", "line 3", "\"b\""],
    );
}

#[test]
fn empty_cell() {
    bad_file(
        "e.csv",
        "a,b,c\n1,2,0\n3,,1\n",
        "",
        &["e.csv", "line 3", "\"b\""],
    );
}

#[test]
fn target_not_a_column() {
    bad_file(
        "t.csv",
        "a,b,c\n1,2,0\n3,4,1\n",
        "--target price",
        &["t.csv", "price", "\"a\""],
    );
}

#[test]
fn single_class() {
    bad_file(
        "one.csv",
        "a,b,c\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n",
        "--task classify",
        &["one.csv", "class"],
    );
    bad_file(
        "one-s.csv",
        "a,b,kind\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n",
        "",
        &["one-s.csv", "class"],
    );
}

#[test]
fn string_labels_cannot_be_regressed() {
    bad_file(
        "s.csv",
        string_label_csv(20),
        "--task regress",
        &["s.csv", "line 2", "animal"],
    );
}

#[test]
fn truncated_or_corrupt_gzip() {
    let gz = gzip(string_label_csv(200).as_bytes());
    bad_file("t.csv.gz", &gz[..gz.len() / 2], "", &["t.csv.gz"]);
    bad_file(
        "garbage.csv.gz",
        b"\x1f\x8b\x08\x00not gzip at all",
        "",
        &["garbage.csv.gz"],
    );
}

/// An IDX pair written as given, expected to be refused with each needle in the message.
fn bad_idx(images: &[u8], labels: &[u8], needles: &[&str]) -> String {
    let dir = tempdir();
    write(dir.path(), "img-idx3-ubyte", images);
    write(dir.path(), "lab-idx1-ubyte", labels);
    usage_error(
        dir.path(),
        "--dataset img-idx3-ubyte --labels lab-idx1-ubyte --epochs 1",
        needles,
    )
}

#[test]
fn idx_wrong_magic() {
    let mut images = idx_images(20, 20, 3, 3);
    images[2] = 0x77; // the data-type byte
    bad_idx(&images, &idx_labels(20, 2), &["img-idx3-ubyte"]);
    let mut images = idx_images(20, 20, 3, 3);
    images[0] = 0x50; // the first two bytes must be zero
    images[1] = 0x4b;
    bad_idx(&images, &idx_labels(20, 2), &["img-idx3-ubyte"]);
}

#[test]
fn idx_count_mismatch_between_images_and_labels() {
    bad_idx(
        &idx_images(20, 20, 3, 3),
        &idx_labels(19, 2),
        &["img-idx3-ubyte", "lab-idx1-ubyte", "20", "19"],
    );
}

#[test]
fn idx_header_claims_more_images_than_the_file_holds() {
    bad_idx(
        &idx_images(25, 20, 3, 3),
        &idx_labels(25, 2),
        &["img-idx3-ubyte"],
    );
}

#[test]
fn idx_header_claiming_four_billion_images_fails_fast() {
    let start = std::time::Instant::now();
    bad_idx(
        &idx_images(4_000_000_000, 2, 28, 28),
        &idx_labels(2, 2),
        &["img-idx3-ubyte"],
    );
    // gzipped too: nothing is allocated from the claimed size
    let dir = tempdir();
    write(
        dir.path(),
        "img.gz",
        gzip(&idx_images(4_000_000_000, 2, 28, 28)),
    );
    write(dir.path(), "lab.gz", gzip(&idx_labels(2, 2)));
    usage_error(
        dir.path(),
        "--dataset img.gz --labels lab.gz --epochs 1",
        &["img.gz"],
    );
    // labels claiming four billion entries
    let mut labels = idx_labels(2, 2);
    labels[4..8].copy_from_slice(&4_000_000_000u32.to_be_bytes());
    bad_idx(&idx_images(2, 2, 3, 3), &labels, &["lab-idx1-ubyte"]);
    assert!(
        start.elapsed().as_secs() < 5,
        "a lying header is rejected before reading or allocating: {:?}",
        start.elapsed()
    );
}

#[test]
fn idx_files_swapped_or_without_labels() {
    let dir = tempdir();
    write(dir.path(), "img-idx3-ubyte", idx_images(10, 10, 3, 3));
    write(dir.path(), "lab-idx1-ubyte", idx_labels(10, 2));
    usage_error(
        dir.path(),
        "--dataset lab-idx1-ubyte --labels img-idx3-ubyte",
        &["-idx"],
    );
    usage_error(
        dir.path(),
        "--dataset img-idx3-ubyte",
        &["img-idx3-ubyte", "--labels"],
    );
}

// ---------------------------------------------------------------- --config

/// Runs `--config run.json EXTRA` with `text` in run.json and expects a usage error that
/// mentions each needle.
fn bad_config(text: &str, extra: &str, needles: &[&str]) -> String {
    let dir = tempdir();
    write(dir.path(), "run.json", text);
    usage_error(dir.path(), &format!("--config run.json {extra}"), needles)
}

#[test]
fn config_invalid_json_names_line_and_column() {
    bad_config(
        "{\n  \"epochs\": 2,\n  \"lr\": \n}\n",
        "",
        &["run.json", "line 4", "column 1"],
    );
    bad_config("{\"epochs\": 2,}", "", &["run.json", "line 1"]);
}

#[test]
fn config_unknown_key_suggests_the_nearest() {
    bad_config(
        r#"{"dataset": "iris", "batchsize": 8}"#,
        "",
        &["run.json", "batchsize", "did you mean", "batch-size"],
    );
    bad_config(
        r#"{"learnin-rate": 0.1}"#,
        "",
        &["run.json", "learnin-rate"],
    );
    // a key that is not a training setting
    bad_config(r#"{"config": "other.json"}"#, "", &["run.json", "config"]);
}

#[test]
fn config_wrong_type_names_the_file_and_key() {
    bad_config(r#"{"epochs": "two"}"#, "", &["run.json", "epochs"]);
    bad_config(r#"{"epochs": 2.5}"#, "", &["run.json", "epochs"]);
    bad_config(r#"{"epochs": true}"#, "", &["run.json", "epochs"]);
    bad_config(r#"{"hidden": {"a": 1}}"#, "", &["run.json", "hidden"]);
    bad_config(r#"{"nesterov": "yes"}"#, "", &["run.json", "nesterov"]);
}

#[test]
fn config_list_for_a_single_value_is_a_wrong_type() {
    // only "hidden" takes a list; [0.1] is not a learning rate
    bad_config(
        r#"{"dataset": "iris", "epochs": 1, "lr": [0.1]}"#,
        "",
        &["run.json", "lr"],
    );
    bad_config(
        r#"{"dataset": "iris", "epochs": 1, "optimizer": ["sgd"]}"#,
        "",
        &["run.json", "optimizer"],
    );
}

#[test]
fn config_wrong_type_overridden_on_the_command_line_still_names_the_file() {
    // The command line wins, so the run may go ahead; if lrtool rejects the file's value
    // anyway, the user (who typed --epochs 1) must be told where "two" came from.
    let dir = tempdir();
    write(
        dir.path(),
        "run.json",
        r#"{"dataset": "iris", "epochs": "two"}"#,
    );
    let r = train(dir.path(), "out", "--config run.json --hidden 4 --epochs 1");
    match r.code {
        Some(0) => {
            let s = summary(&dir.path().join("out"));
            assert_eq!(s["config"]["run"]["epochs"].as_u64(), Some(1));
        }
        Some(2) => {
            let line = one_error_line(&r.stderr);
            assert!(line.contains("run.json"), "name the config file: {line}");
        }
        _ => panic!("unexpected outcome: {r:?}"),
    }
}

#[test]
fn config_not_an_object() {
    bad_config("[1, 2]", "", &["run.json"]);
    bad_config("", "", &["run.json"]);
}

#[test]
fn config_values_are_validated_like_flags() {
    bad_config(
        r#"{"dataset": "iris", "batch-size": 0}"#,
        "",
        &["batch-size"],
    );
    bad_config(
        r#"{"dataset": "iris", "optimizer": "lbfgs"}"#,
        "",
        &["run.json", "optimizer", "lbfgs", "sgd"],
    );
    bad_config(
        r#"{"dataset": "nothing-like-it"}"#,
        "",
        &["nothing-like-it"],
    );
}

#[test]
fn config_missing_file() {
    let dir = tempdir();
    usage_error(dir.path(), "--config none.json", &["--config", "none.json"]);
}

// ---------------------------------------------------------------- --init

#[test]
fn init_file_that_is_not_safetensors() {
    let dir = tempdir();
    write(dir.path(), "w.safetensors", "these are not weights");
    usage_error(
        dir.path(),
        &with("--init w.safetensors"),
        &["--init", "w.safetensors"],
    );
    // a header that claims more bytes than the file holds
    let mut b = 1000u64.to_le_bytes().to_vec();
    b.extend_from_slice(b"{\"layers.0.weight\"");
    write(dir.path(), "t.safetensors", b);
    usage_error(
        dir.path(),
        &with("--init t.safetensors"),
        &["--init", "t.safetensors"],
    );
    usage_error(
        dir.path(),
        &with("--init absent.safetensors"),
        &["--init", "absent"],
    );
}

#[test]
fn init_file_with_other_tensor_names() {
    let dir = tempdir();
    // a valid safetensors file, but not an lrtool model
    let data = vec![0u8; 4 * 4];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![4], &data).unwrap();
    let bytes = safetensors::serialize([("fc.weight", view)], None).unwrap();
    write(dir.path(), "other.safetensors", bytes);
    usage_error(
        dir.path(),
        &with("--init other.safetensors"),
        &["--init", "other.safetensors"],
    );
}

#[test]
fn usage_errors_leave_an_existing_run_alone() {
    let dir = tempdir();
    train(dir.path(), "out", OK).success();
    let before = std::fs::read(dir.path().join("out/summary.json")).unwrap();
    usage_error(dir.path(), &with("--lr=-1"), &["--lr"]);
    let after = std::fs::read(dir.path().join("out/summary.json")).unwrap();
    assert_eq!(before, after);
}

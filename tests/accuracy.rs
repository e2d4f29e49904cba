//! The accuracy the core issue demands, with the exact commands: digits with Adam 1e-3
//! for 30 epochs reaches 0.97 validation accuracy (scikit-learn's MLPClassifier: about 0.97),
//! iris, wine and breast-cancer reach 0.93 with the defaults (30 epochs, Adam 1e-3, batch 32,
//! hidden 128,64, seed 0), mnist-10k 0.93 in 10 epochs. The final epoch is judged, read from
//! summary.json and cross-checked with the last row of epochs.csv.

use crate::util::*;

/// Trains with `args` and returns the final validation accuracy.
fn final_val_acc(name: &str, args: &str, epochs: usize) -> f64 {
    let dir = tempdir();
    train(dir.path(), "out", args).success();
    let out = dir.path().join("out");
    let s = summary(&out);
    assert_eq!(s["dataset"]["name"], name);
    assert_eq!(
        s["result"]["epochs_completed"].as_u64(),
        Some(epochs as u64)
    );
    let acc = num(&s["result"]["final"]["val_acc"]);
    let log = Csv::read(&out.join("epochs.csv"));
    assert_eq!(log.rows.len(), epochs);
    let last = log.rows.last().unwrap();
    assert_eq!(json_f64(&last[log.col("val_acc")]), acc);
    acc
}

#[test]
fn digits_with_adam_reaches_097() {
    let acc = final_val_acc(
        "digits",
        "--dataset digits --optimizer adam --lr 1e-3 --epochs 30",
        30,
    );
    assert!(acc >= 0.97, "digits val_acc {acc} < 0.97");
}

#[test]
fn small_builtins_reach_093_with_defaults() {
    for name in ["iris", "wine", "breast-cancer"] {
        let acc = final_val_acc(name, &format!("--dataset {name}"), 30);
        assert!(acc >= 0.93, "{name} val_acc {acc} < 0.93");
    }
}

#[test]
fn mnist_10k_reaches_093_in_10_epochs() {
    let acc = final_val_acc("mnist-10k", "--dataset mnist-10k --epochs 10", 10);
    assert!(acc >= 0.93, "mnist-10k val_acc {acc} < 0.93");
}

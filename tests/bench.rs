//! `lrtool bench`: the workloads of the shared benchmark definitions run end to end, one JSON
//! line per run with the peer scripts' keys. Nothing here looks at a timing except that it is
//! there and positive.

use serde_json::Value;

use crate::util::*;

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

const KEYS: &[&str] = &[
    "peer",
    "workload",
    "threads",
    "batch",
    "epochs",
    "steps",
    "train_s",
    "cpu_util",
    "samples",
    "samples_per_s",
    "gflops_per_s",
    "gflops_per_s_exact",
    "flops_per_sample_fwd",
    "flops_per_sample_train",
    "flops_per_sample_exact",
    "process_s",
];

#[test]
fn w3_is_the_range_test_of_100_full_batches() {
    let dir = tempdir();
    let r = run(dir.path(), &["bench", "w3", "--threads", "1"]);
    r.success();
    let l = lines(&r.stdout);
    assert_eq!(l.len(), 1);
    let l = &l[0];
    for k in KEYS
        .iter()
        .chain(&["loop_s", "min_loss", "suggested_lr", "first_loss"])
    {
        assert!(l.get(k).is_some(), "key {k} in {l}");
    }
    assert_eq!(l["peer"], "lrtool");
    assert_eq!(l["workload"], "w3");
    assert_eq!(l["steps"], 100);
    assert_eq!(l["batch"], 64);
    assert_eq!(l["samples"], 6400);
    assert_eq!(l["flops_per_sample_exact"], 85_760);
    assert!(num(&l["loop_s"]) > 0.0 && num(&l["samples_per_s"]) > 0.0);
    // the untrained 10-class model starts near ln 10
    assert!((num(&l["first_loss"]) - 10f64.ln()).abs() < 0.3, "{l}");
}

#[test]
fn w1_repeats_print_a_line_each_and_train_for_real() {
    let dir = tempdir();
    let r = run(
        dir.path(),
        &[
            "bench",
            "w1",
            "--epochs",
            "3",
            "--repeat",
            "2",
            "--threads",
            "2",
        ],
    );
    r.success();
    let l = lines(&r.stdout);
    assert_eq!(l.len(), 2);
    for (rep, l) in l.iter().enumerate() {
        for k in KEYS
            .iter()
            .chain(&["test_acc", "final_train_loss", "epoch_s"])
        {
            assert!(l.get(k).is_some(), "key {k} in {l}");
        }
        assert_eq!(l["rep"], rep);
        assert_eq!(l["threads"], 2);
        assert_eq!(l["batch"], 32);
        assert_eq!(l["epochs"], 3);
        // 1437 training rows: 44 batches of 32 and one of 29 per epoch
        assert_eq!(l["steps"], 3 * 45);
        assert_eq!(l["samples"], 3 * 1437);
        assert!(num(&l["test_acc"]) > 0.9, "{l}");
    }
}

#[test]
fn threads_do_not_change_what_is_learned() {
    let dir = tempdir();
    let acc = |threads: &str| {
        let r = run(
            dir.path(),
            &["bench", "w1", "--epochs", "2", "--threads", threads],
        );
        r.success();
        let l = lines(&r.stdout).remove(0);
        (l["final_train_loss"].clone(), l["test_acc"].clone())
    };
    assert_eq!(acc("1"), acc("2"));
}

#[test]
fn bad_bench_flags_are_usage_errors() {
    let dir = tempdir();
    for (args, needle) in [
        ("bench w1 --batch 0", "--batch"),
        ("bench w1 --threads 0", "--threads"),
        ("bench w1 --epochs 0", "--epochs"),
        ("bench w4", "w4"),
    ] {
        let r = run(dir.path(), &words(args));
        r.expect_code(2);
        assert_eq!(r.stdout, "");
        let line = one_error_line(&r.stderr);
        assert!(line.contains(needle), "{args}: {line}");
    }
}

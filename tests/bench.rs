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

// ---------------------------------------------------------------- --threads of training runs

/// A model whose second layer is split over threads at batch 128 (128·256·256 ≥ 4M
/// multiply-adds, every side ≥ 128), so that two threads really share its products and updates.
const WIDE: &str =
    "--dataset blobs --samples 600 --hidden 256,256 --batch-size 128 --epochs 2 --optimizer adam";

#[test]
fn train_gives_the_same_bits_on_one_and_two_threads_and_records_the_count() {
    let dir = tempdir();
    train(dir.path(), "t1", &format!("{WIDE} --threads 1")).success();
    train(dir.path(), "t2", &format!("{WIDE} --threads 2")).success();
    train(dir.path(), "auto", WIDE).success();
    let (t1, t2) = (dir.path().join("t1"), dir.path().join("t2"));
    for f in [
        "steps.csv",
        "epochs.csv",
        "model.safetensors",
        "summary.json",
    ] {
        assert_same_output(&t1, &t2, f);
        assert_same_output(&t1, &dir.path().join("auto"), f);
    }
    assert_eq!(json(&t1.join("timing.json"))["threads"], 1);
    assert_eq!(json(&t2.join("timing.json"))["threads"], 2);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        json(&dir.path().join("auto/timing.json"))["threads"],
        cores,
        "the default uses every core when a layer's products are split"
    );
    // summary.json reports the speed of the training loop
    let s = summary(&t2);
    assert!(
        num(&s["train_s"]) > 0.0 && num(&s["samples_per_s"]) > 0.0,
        "{s}"
    );
    // ... and not the thread count, which changes nothing in the results
    assert!(
        s["config"]["run"].get("threads").is_none(),
        "{}",
        s["config"]["run"]
    );
}

#[test]
fn small_batches_and_layers_default_to_one_thread() {
    let dir = tempdir();
    // batch 32 / a 16-unit layer: no product is worth a second thread
    train(
        dir.path(),
        "b32",
        "--dataset blobs --samples 300 --hidden 256,256 --epochs 1",
    )
    .success();
    train(
        dir.path(),
        "narrow",
        "--dataset blobs --samples 300 --hidden 16 --batch-size 256 --epochs 1",
    )
    .success();
    for out in ["b32", "narrow"] {
        assert_eq!(
            json(&dir.path().join(out).join("timing.json"))["threads"],
            1,
            "{out}"
        );
    }
}

#[test]
fn find_lr_repeats_side_by_side_give_the_same_answer_as_one_after_another() {
    let dir = tempdir();
    let args = "find-lr --dataset digits --optimizer adam --repeats 3 --steps 60 --quiet";
    let run_with = |out: &str, threads: &str| {
        let mut a = words(args);
        a.extend(["--out", out, "--threads", threads]);
        run(dir.path(), &a).success();
        dir.path().join(out)
    };
    let (one, two) = (run_with("one", "1"), run_with("two", "2"));
    for f in ["steps.csv", "find-lr.svg"] {
        assert_same_output(&one, &two, f);
    }
    // the summaries differ only in the command line (and the flags the next commands repeat)
    let (s1, s2) = (summary(&one), summary(&two));
    for k in [
        "sweeps",
        "suggestions",
        "consensus",
        "stability",
        "phases",
        "schedule_bounds",
    ] {
        assert_eq!(s1[k], s2[k], "{k}");
    }
    assert_eq!(json(&two.join("timing.json"))["threads"], 2);
    assert!(num(&s2["samples_per_s"]) > 0.0, "{s2}");
}

#[test]
fn snapshot_ensemble_and_compare_take_threads_and_compare_runs_use_one_each() {
    let dir = tempdir();
    let se = |out: &str, threads: &str| {
        let mut a = words("snapshot-ensemble --cycles 2 --quiet");
        a.extend(words(WIDE));
        a.extend(["--out", out, "--threads", threads]);
        run(dir.path(), &a).success();
        dir.path().join(out)
    };
    let (one, two) = (se("se1", "1"), se("se2", "2"));
    for f in [
        "steps.csv",
        "snapshots.csv",
        "summary.json",
        "snapshots/snapshot-2.safetensors",
    ] {
        assert_same_output(&one, &two, f);
    }
    assert_eq!(json(&two.join("timing.json"))["threads"], 2);

    let mut a = words("compare --arms constant;cosine --seeds 1 --jobs 2 --quiet --out cmp");
    a.extend(words(WIDE));
    run(dir.path(), &a).success();
    for arm in ["constant-seed0", "cosine-seed0"] {
        let t = json(&dir.path().join("cmp/runs").join(arm).join("timing.json"));
        assert_eq!(
            t["threads"], 1,
            "{arm}: runs side by side use one thread each"
        );
    }
}

#[test]
fn bad_threads_values_are_usage_errors_naming_the_flag() {
    let dir = tempdir();
    for args in [
        "train --dataset moons --threads 0",
        "train --dataset moons --threads -2",
        "train --dataset moons --threads 5000",
        "find-lr --dataset moons --threads 0",
        "snapshot-ensemble --dataset moons --threads 0",
    ] {
        let mut a = words(args);
        a.extend(["--out", "never"]);
        let r = run(dir.path(), &a);
        expect_usage_error(&r, args, &["--threads"]);
        assert!(!dir.path().join("never").exists(), "{args}");
    }
}

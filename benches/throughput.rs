//! Training throughput on the workloads of docs/workloads.md (W1 digits, W2 MNIST-shaped, W3 the
//! whole find-lr process), printed as samples per second and GFLOP/s (exact GEMM FLOPs).
//!
//! Run with `cargo bench --bench throughput` (add `-- quick` for one sample per workload).
//! Single-threaded, medians of several samples; nothing here is asserted.

use std::process::Command;
use std::time::Instant;

use lrtool::config::OptimConfig;
use lrtool::data::{self, Batcher, Dataset, Target};
use lrtool::nn::{Activation, InitScheme, Mlp};
use lrtool::optim::{AdamConfig, OptimizerKind};
use lrtool::schedule::Schedule;
use lrtool::train::{self, FitSettings};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Exact GEMM FLOPs per training sample: forward, dW, and dX except for the input layer.
fn flops_per_sample(sizes: &[usize]) -> f64 {
    let fwd: usize = sizes.windows(2).map(|w| 2 * w[0] * w[1]).sum();
    let dx: usize = sizes.windows(2).skip(1).map(|w| 2 * w[0] * w[1]).sum();
    (2 * fwd + dx) as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds of `fit` (no loading, no evaluation) for one run.
fn time_fit(ds: &Dataset, sizes: &[usize], batch: usize, epochs: usize, seed: u64) -> (f64, usize) {
    let splits = data::split(ds, 0.2, true, seed).expect("split");
    let mut rng = data::rng_for(seed, data::Stream::Init);
    let mut model = Mlp::new(sizes, Activation::Relu, InitScheme::Torch, &mut rng);
    let adam = OptimConfig::Adam(AdamConfig::default());
    let _ = OptimizerKind::Adam;
    let mut opt = adam.build(&model);
    let mut batcher = Batcher::new(&splits.train, batch, true, seed);
    let schedule = Schedule::Constant { lr: 1e-3 };
    let t = Instant::now();
    train::fit(
        &mut model,
        &mut opt,
        &schedule,
        &splits,
        &mut batcher,
        FitSettings {
            epochs,
            max_steps: None,
            validate: false,
        },
        &mut [],
    )
    .expect("fit");
    (t.elapsed().as_secs_f64(), splits.train.len() * epochs)
}

fn report(name: &str, sizes: &[usize], batch: usize, runs: Vec<(f64, usize)>) {
    let samples = runs[0].1 as f64;
    let secs = median(runs.iter().map(|r| r.0).collect());
    let rate = samples / secs;
    println!(
        "{name:<34} batch {batch:>4}  {:>9.0} samples/s  {:>6.1} GFLOP/s  (median of {}, {:.3} s per run)",
        rate,
        rate * flops_per_sample(sizes) / 1e9,
        runs.len(),
        secs
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let reps = if quick { 1 } else { 5 };

    // W1: digits, 64-128-64-10, Adam 1e-3, batch 32, 30 epochs
    let digits = data::builtin::load("digits")
        .expect("built-in")
        .expect("loads");
    let w1 = [64, 128, 64, 10];
    let runs = (0..reps)
        .map(|s| time_fit(&digits, &w1, 32, 30, s))
        .collect();
    report("W1 digits 64-128-64-10", &w1, 32, runs);

    // W2: synthetic 60,000 × 784, 10 classes, 784-256-128-10, 2 epochs (train rows: 80 %)
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let n = 60_000;
    let x = Array2::from_shape_fn((n, 784), |_| rng.random_range(0.0f32..1.0));
    let labels = (0..n).map(|_| rng.random_range(0..10u32)).collect();
    let mnist_like = Dataset {
        name: "mnist-shaped".into(),
        x,
        y: Target::Classes {
            labels,
            names: (0..10).map(|c| c.to_string()).collect(),
        },
        feature_names: (0..784).map(|i| format!("f{i}")).collect(),
        encoding: None,
    };
    let w2 = [784, 256, 128, 10];
    for batch in [32, 128, 512] {
        let runs = (0..reps.min(3))
            .map(|s| time_fit(&mnist_like, &w2, batch, 2, s))
            .collect();
        report("W2 mnist-shaped 784-256-128-10", &w2, batch, runs);
    }

    // W3: the whole find-lr process, as a user pays for it
    let out = std::env::temp_dir().join(format!("lrtool-bench-{}", std::process::id()));
    let mut times = Vec::new();
    for _ in 0..reps.max(3) {
        let t = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_lrtool"))
            .args([
                "find-lr",
                "--dataset",
                "digits",
                "--optimizer",
                "sgd",
                "--momentum",
                "0.9",
                "--min",
                "1e-6",
                "--max",
                "1",
                "--steps",
                "100",
                "--batch-size",
                "64",
                "--no-stop",
                "--quiet",
                "--force",
                "--out",
            ])
            .arg(&out)
            .status()
            .expect("run lrtool");
        assert!(status.success());
        times.push(t.elapsed().as_secs_f64());
    }
    let _ = std::fs::remove_dir_all(&out);
    println!(
        "{:<34} 100 steps of 64: {:.3} s for the whole process (median of {})",
        "W3 find-lr on digits",
        median(times.clone()),
        times.len()
    );
}

//! `lrtool bench` flags: which shared workload, and how to run it.

use clap::{Args, ValueEnum};

use crate::commands::bench;
use crate::linalg;

/// Which workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// digits 64-128-64-10, Adam 1e-3, batch 32, 30 epochs
    W1,
    /// MNIST-shaped synthetic 60,000 × 784, 784-256-128-10, Adam 1e-3, batch 128, 2 epochs
    W2,
    /// LR range test on W1's data and model: 100 batches of 64, SGD momentum 0.9, 1e-6 → 1
    W3,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The workload (docs/performance.md describes each).
    #[arg(value_enum)]
    pub workload: Workload,
    #[arg(long, help = format!(
        "Rows per mini-batch [default: the workload's: {} for w1, {} for w2, {} for w3]",
        bench::DEFAULT_BATCH[0], bench::DEFAULT_BATCH[1], bench::DEFAULT_BATCH[2]
    ))]
    pub batch: Option<usize>,
    #[arg(long, help = format!(
        "Passes over the training rows (w1, w2) [default: {} for w1, {} for w2]",
        bench::DEFAULT_EPOCHS[0], bench::DEFAULT_EPOCHS[1]
    ))]
    pub epochs: Option<usize>,
    /// Most threads one matrix product may use; products too small to gain from a second
    /// thread always use one [default: every core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Split products over threads from this smallest side (batch, fan-in or fan-out) on, to
    /// measure where a second thread starts to pay; the default is the value training runs use.
    #[arg(long, value_name = "SIDE", default_value_t = linalg::gemm::PARALLEL_MIN_SIDE)]
    pub split_min_side: usize,
    /// The matrix-product backend, to compare them.
    #[arg(long, value_enum, default_value_t = linalg::gemm::Backend::Native)]
    pub gemm: linalg::gemm::Backend,
    /// Runs in this process (the data is made once); one JSON line each.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Data seed (W1's split permutation, W2's streams 16s+1..3); also seeds init and shuffles.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

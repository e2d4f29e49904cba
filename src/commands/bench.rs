//! `lrtool bench w1|w2|w3`: the performance workloads of docs/performance.md (the same
//! SplitMix64 data, split, standardisation, model and optimizer as the Python peers), run through
//! the real training loop (`train::fit`), one JSON line per run with the peers' keys.
//!
//! Timed like the peers: `train_s` runs from the first shuffle to the last step; data generation,
//! model and optimizer construction and the test evaluation are outside it. W3's `loop_s` is the
//! 100-step range-test loop; time the whole process from outside for the user's view.

use std::time::Instant;

use ndarray::Array2;
use serde::Serialize;

use crate::cli::bench::{BenchArgs, Workload};
use crate::commands::common::print_stdout;
use crate::config::OptimConfig;
use crate::data::{self, Batcher, Part, Splits, Standardizer, Target};
use crate::input_bail;
use crate::linalg;
use crate::nn::{Activation, InitScheme, Mlp, Workspace};
use crate::optim::{AdamConfig, SgdConfig};
use crate::schedule::Schedule;
use crate::train::{self, Control, EpochReport, FitSettings, LrSchedule, Observer, StepReport};

// ------------------------------------------------------------------ deterministic data

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Output `k` (0, 1, 2, …) of the standard SplitMix64 generator seeded with `seed`.
pub fn splitmix64(seed: u64, k: u64) -> u64 {
    let mut z = seed.wrapping_add(k.wrapping_add(1).wrapping_mul(GOLDEN));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `U(k) = ((out_k >> 11) + 0.5)·2⁻⁵³`, never 0 or 1.
pub fn uniform(seed: u64, k: u64) -> f64 {
    ((splitmix64(seed, k) >> 11) as f64 + 0.5) * (-53f64).exp2()
}

/// Normals `start..start + out.len()` of stream `seed` (Box–Muller: normal `2j` is `r·cos t`,
/// `2j+1` is `r·sin t`, from `u1 = U(2j)`, `u2 = U(2j+1)`).
pub fn normals(seed: u64, start: u64, out: &mut [f64]) {
    let pair = |j: u64| {
        let r = (-2.0 * uniform(seed, 2 * j).ln()).sqrt();
        let t = std::f64::consts::TAU * uniform(seed, 2 * j + 1);
        (r * t.cos(), r * t.sin())
    };
    let mut idx = start;
    let mut i = 0;
    if idx % 2 == 1 && !out.is_empty() {
        out[0] = pair(idx / 2).1;
        idx += 1;
        i = 1;
    }
    while i < out.len() {
        let (c, s) = pair(idx / 2);
        out[i] = c;
        if i + 1 < out.len() {
            out[i + 1] = s;
        }
        i += 2;
        idx += 2;
    }
}

/// Permutation of `0..n`: the indices sorted by their SplitMix64 output (stable).
pub fn seeded_permutation(seed: u64, n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by_key(|&i| splitmix64(seed, i as u64));
    idx
}

fn select(x: &Array2<f32>, labels: &[u32], rows: &[usize], names: &[String]) -> Part {
    Part {
        x: x.select(ndarray::Axis(0), rows),
        y: Target::Classes {
            labels: rows.iter().map(|&i| labels[i]).collect(),
            names: names.to_vec(),
        },
    }
}

/// W1/W3 data: digits, seeded permutation, first ⌊0.8·n⌋ rows train, the rest test, both
/// standardised with the train rows' mean and population std (std 0 → 1).
pub fn digits_splits(seed: u64) -> anyhow::Result<Splits> {
    let ds = data::builtin::load("digits").expect("built-in")?;
    let Target::Classes { labels, names } = &ds.y else {
        unreachable!("digits is a classification set")
    };
    let perm = seeded_permutation(seed, ds.n_samples());
    let n_train = ds.n_samples() * 4 / 5;
    let mut train = select(&ds.x, labels, &perm[..n_train], names);
    let mut test = select(&ds.x, labels, &perm[n_train..], names);
    let standardizer = Standardizer::fit(train.x.view());
    standardizer.apply(&mut train.x);
    standardizer.apply(&mut test.x);
    Ok(Splits {
        train,
        val: test,
        standardizer,
    })
}

pub const SYNTH_DIM: usize = 784;
pub const SYNTH_CLASSES: usize = 10;
const SYNTH_SCALE: f64 = 0.1;

/// W2 class centres (10 × 784): normals `0..7840` of stream `16·seed + 1`.
pub fn synth_centres(seed: u64) -> Vec<f64> {
    let mut c = vec![0.0; SYNTH_CLASSES * SYNTH_DIM];
    normals(16 * seed + 1, 0, &mut c);
    c
}

/// Rows `rows` of a W2 block: `x[i][j] = 0.1·C[i mod 10][j] + n(i·784 + j)` (stream `stream`),
/// computed in f64 and cast to f32.
pub fn synth_rows(centres: &[f64], stream: u64, rows: std::ops::Range<usize>) -> Array2<f32> {
    let mut x = Array2::<f32>::zeros((rows.len(), SYNTH_DIM));
    let mut noise = vec![0.0f64; SYNTH_DIM];
    for (r, i) in rows.enumerate() {
        normals(stream, (i * SYNTH_DIM) as u64, &mut noise);
        let c = &centres[(i % SYNTH_CLASSES) * SYNTH_DIM..][..SYNTH_DIM];
        for ((v, &z), &m) in x.row_mut(r).iter_mut().zip(&noise).zip(c) {
            *v = (SYNTH_SCALE * m + z) as f32;
        }
    }
    x
}

/// W2 data: 60,000 train and 10,000 test rows (not standardised).
pub fn synth_splits(seed: u64) -> Splits {
    let centres = synth_centres(seed);
    let names: Vec<String> = (0..SYNTH_CLASSES).map(|c| c.to_string()).collect();
    let part = |stream: u64, n: usize| Part {
        x: synth_rows(&centres, stream, 0..n),
        y: Target::Classes {
            labels: (0..n).map(|i| (i % SYNTH_CLASSES) as u32).collect(),
            names: names.clone(),
        },
    };
    Splits {
        train: part(16 * seed + 2, 60_000),
        val: part(16 * seed + 3, 10_000),
        standardizer: Standardizer {
            mean: vec![0.0; SYNTH_DIM],
            std: vec![1.0; SYNTH_DIM],
        },
    }
}

// ------------------------------------------------------------------------ accounting

/// GEMM FLOPs per training sample: (forward, 3× forward, exact = forward + dW + dX of every
/// layer but the first).
pub fn flops_per_sample(sizes: &[usize]) -> (u64, u64, u64) {
    let mats: Vec<u64> = sizes.windows(2).map(|w| (w[0] * w[1]) as u64).collect();
    let fwd = 2 * mats.iter().sum::<u64>();
    (fwd, 3 * fwd, 2 * fwd + 2 * mats[1..].iter().sum::<u64>())
}

/// The range test's suggestion as the peers compute it (`common.suggest_lr`): the LR at the
/// steepest descent of the bias-corrected EMA (β 0.98) of the loss against ln(lr), stopping at
/// the first non-finite value.
pub fn suggest_lr(lrs: &[f64], losses: &[f64]) -> Option<f64> {
    let beta = 0.98f64;
    let mut avg = 0.0;
    let smooth: Vec<f64> = losses
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            let l = if l.is_finite() { l } else { f64::INFINITY };
            avg = beta * avg + (1.0 - beta) * l;
            avg / (1.0 - beta.powi(i as i32 + 1))
        })
        .collect();
    let (mut best, mut arg) = (f64::INFINITY, None);
    for i in 1..smooth.len() {
        if !(smooth[i].is_finite() && smooth[i - 1].is_finite()) {
            break;
        }
        let g = (smooth[i] - smooth[i - 1]) / (lrs[i].ln() - lrs[i - 1].ln());
        if g < best {
            best = g;
            arg = Some(lrs[i]);
        }
    }
    arg
}

/// CPU seconds of this process so far (all threads), from /proc; `None` elsewhere.
fn process_cpu_s() -> Option<f64> {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 * 1e-9)
}

/// Seconds since this process was started (exec), from /proc; `None` elsewhere.
fn process_age_s() -> Option<f64> {
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // field 22 (starttime, clock ticks since boot); the command name may contain spaces
    let start: f64 = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    Some(uptime - start / 100.0)
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// One result line, in the peers' key order (the Python peer scripts').
#[derive(Debug, Serialize)]
struct Line {
    peer: &'static str,
    workload: &'static str,
    threads: usize,
    batch: usize,
    epochs: Option<usize>,
    steps: u64,
    train_s: f64,
    cpu_util: Option<f64>,
    samples: u64,
    samples_per_s: f64,
    gflops_per_s: f64,
    gflops_per_s_exact: f64,
    flops_per_sample_fwd: u64,
    flops_per_sample_train: u64,
    flops_per_sample_exact: u64,
    host: String,
    lrtool: &'static str,
    gemm: &'static str,
    rep: usize,
    data_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    epoch_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_acc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_train_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_epoch_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steady_epoch_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loop_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggested_lr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_loss: Option<f64>,
    process_s: Option<f64>,
}

/// Collects per-epoch reports and, for the range test (`steps`), every step's loss; the other
/// workloads keep nothing per step, however many epochs they run.
#[derive(Default)]
struct Recorder {
    steps: bool,
    epochs: Vec<EpochReport>,
    lrs: Vec<f64>,
    losses: Vec<f64>,
}

impl Observer for Recorder {
    fn on_step(&mut self, r: &StepReport, _m: &Mlp) -> anyhow::Result<Control> {
        if self.steps {
            self.lrs.push(r.lr);
            self.losses.push(r.loss);
        }
        Ok(Control::Continue)
    }
    fn on_epoch(&mut self, r: &EpochReport, _m: &Mlp) -> anyhow::Result<Control> {
        self.epochs.push(r.clone());
        Ok(Control::Continue)
    }
}

/// W3's LR policy: `1e-6·(1/1e-6)^(i/99)`.
struct Sweep {
    steps: u64,
}

impl LrSchedule for Sweep {
    fn lr(&self, step: u64) -> f64 {
        crate::lr_finder::sweep_lr(
            crate::lr_finder::SweepMode::Exp,
            1e-6,
            1.0,
            self.steps,
            step,
        )
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The memory of a workload's run, from its shapes, before its data is made: the training run
/// (a batch holds at most the training rows), the test split's evaluation, and the range test's
/// 100 kept steps.
fn memory_estimate(
    w: Workload,
    sizes: &[usize],
    batch: usize,
    epochs: usize,
) -> crate::limits::memory::Estimate {
    use crate::limits::memory;
    let (train_rows, test_rows) = match w {
        Workload::W1 | Workload::W3 => (1437, 360),
        Workload::W2 => (60_000, 10_000),
    };
    memory::training(&memory::Training {
        sizes,
        batch_size: batch.min(train_rows),
        eval_rows: 1024,
        optimizer_slots: if w == Workload::W3 { 1 } else { 2 },
        weight_copies: 0,
        data_values: (train_rows + test_rows) as u128 * (sizes[0] as u128 + 1),
        steps_kept: if w == Workload::W3 { 100 } else { 0 },
        epochs: epochs as u128,
    })
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.batch == Some(0) {
        input_bail!("--batch 0: must be a whole number of at least 1");
    }
    if args.epochs == Some(0) {
        input_bail!("--epochs 0: must be a whole number of at least 1");
    }
    if args.threads == Some(0) {
        input_bail!("--threads 0: must be a whole number of at least 1");
    }
    if !args.gemm.available() {
        input_bail!(
            "--gemm {}: this binary was built without it; build with `cargo build --release --features gemm-crate`",
            args.gemm.name()
        );
    }
    let threads = args.threads.unwrap_or_else(linalg::gemm::default_threads);
    linalg::gemm::set_backend(args.gemm);
    linalg::gemm::set_parallel_min_side(args.split_min_side);
    linalg::gemm::with_threads(threads, || run_in_pool(&args, threads))
}

/// Rows per mini-batch of W1, W2 and W3 (`--batch`'s default).
pub const DEFAULT_BATCH: [usize; 3] = [32, 128, 64];
/// Passes over the training rows of W1 and W2 (`--epochs`'s default; W3 is 100 steps).
pub const DEFAULT_EPOCHS: [usize; 2] = [30, 2];

fn run_in_pool(args: &BenchArgs, threads: usize) -> anyhow::Result<()> {
    let w = args.workload;
    let (name, sizes, default_batch, default_epochs) = match w {
        Workload::W1 => (
            "w1",
            vec![64, 128, 64, 10],
            DEFAULT_BATCH[0],
            DEFAULT_EPOCHS[0],
        ),
        Workload::W2 => (
            "w2",
            vec![784, 256, 128, 10],
            DEFAULT_BATCH[1],
            DEFAULT_EPOCHS[1],
        ),
        Workload::W3 => ("w3", vec![64, 128, 64, 10], DEFAULT_BATCH[2], 0),
    };
    let batch = args.batch.unwrap_or(default_batch);
    let epochs = args.epochs.unwrap_or(default_epochs);
    memory_estimate(w, &sizes, batch, epochs).check_with(
        &format!("bench {name} (--batch {batch}, --epochs {epochs})"),
        "give a smaller --batch or fewer --epochs, or raise the limit with --max-memory-mb",
    )?;
    let t = Instant::now();
    let splits = match w {
        Workload::W1 | Workload::W3 => digits_splits(args.seed)?,
        Workload::W2 => synth_splits(args.seed),
    };
    let data_s = t.elapsed().as_secs_f64();
    let (fwd, train3, exact) = flops_per_sample(&sizes);
    let host = host();
    for rep in 0..args.repeat.max(1) {
        let seed = args.seed + rep as u64;
        let mut rng = data::rng_for(seed, data::Stream::Init);
        let mut model = Mlp::new(&sizes, Activation::Relu, InitScheme::Torch, &mut rng);
        let range_test = w == Workload::W3;
        let optim = if range_test {
            OptimConfig::Sgd(SgdConfig {
                momentum: 0.9,
                dampening: 0.0,
                nesterov: false,
                weight_decay: 0.0,
            })
        } else {
            OptimConfig::Adam(AdamConfig::default())
        };
        let mut optimizer = optim.build(&model);
        let mut batcher = Batcher::new(&splits.train, batch, true, seed).drop_last(range_test);
        let steps = 100u64;
        let (settings, schedule): (FitSettings, Box<dyn LrSchedule>) = if range_test {
            (
                FitSettings {
                    epochs: (steps as usize).div_ceil(batcher.steps_per_epoch().max(1)),
                    max_steps: Some(steps),
                    validate: false,
                },
                Box::new(Sweep { steps }),
            )
        } else {
            (
                FitSettings {
                    epochs,
                    max_steps: None,
                    validate: false,
                },
                Box::new(Schedule::Constant { lr: 1e-3 }),
            )
        };
        let mut rec = Recorder {
            steps: range_test,
            ..Recorder::default()
        };
        let cpu0 = process_cpu_s();
        let outcome = train::fit(
            &mut model,
            &mut optimizer,
            schedule.as_ref(),
            &splits,
            &mut batcher,
            settings,
            &mut [&mut rec],
        )?;
        let cpu = cpu0.and_then(|c0| process_cpu_s().map(|c1| c1 - c0));
        let train_s = outcome.seconds;
        let samples: u64 = if range_test {
            outcome.steps * batch as u64
        } else {
            (splits.train.len() * rec.epochs.len()) as u64
        };
        let rate = samples as f64 / train_s;
        let mut line = Line {
            peer: "lrtool",
            workload: name,
            threads,
            batch,
            epochs: (!range_test).then_some(epochs),
            steps: outcome.steps,
            train_s: round(train_s, 6),
            cpu_util: cpu.map(|c| round(c / train_s, 3)),
            samples,
            samples_per_s: round(rate, 1),
            gflops_per_s: round(rate * train3 as f64 / 1e9, 3),
            gflops_per_s_exact: round(rate * exact as f64 / 1e9, 3),
            flops_per_sample_fwd: fwd,
            flops_per_sample_train: train3,
            flops_per_sample_exact: exact,
            host: host.clone(),
            lrtool: env!("CARGO_PKG_VERSION"),
            gemm: linalg::gemm::backend().name(),
            rep,
            data_s: round(data_s, 4),
            epoch_s: None,
            test_acc: None,
            final_train_loss: None,
            first_epoch_s: None,
            steady_epoch_s: None,
            loop_s: None,
            min_loss: None,
            suggested_lr: None,
            first_loss: None,
            process_s: None,
        };
        if range_test {
            let finite = rec.losses.iter().copied().filter(|l| l.is_finite());
            line.loop_s = Some(round(train_s, 6));
            line.min_loss = Some(round(finite.fold(f64::INFINITY, f64::min), 5));
            line.suggested_lr = suggest_lr(&rec.lrs, &rec.losses);
            line.first_loss = rec.losses.first().map(|&l| round(l, 5));
        } else {
            let mut ws = Workspace::new(&model, 1024);
            let (_, acc) = train::evaluate(&model, &splits.val, &mut ws);
            let mut steady: Vec<f64> = rec.epochs.iter().skip(1).map(|e| e.seconds).collect();
            if steady.is_empty() {
                steady = rec.epochs.iter().map(|e| e.seconds).collect();
            }
            steady.sort_by(f64::total_cmp);
            let median = if steady.len() % 2 == 1 {
                steady[steady.len() / 2]
            } else {
                (steady[steady.len() / 2 - 1] + steady[steady.len() / 2]) / 2.0
            };
            line.epoch_s = Some(round(train_s / epochs as f64, 6));
            line.test_acc = Some(round(acc, 4));
            line.final_train_loss = rec.epochs.last().map(|e| round(e.train_loss, 5));
            line.first_epoch_s = rec.epochs.first().map(|e| round(e.seconds, 4));
            line.steady_epoch_s = Some(round(median, 4));
        }
        line.process_s = process_age_s().map(|s| round(s, 3));
        print_stdout(&format!("{}\n", serde_json::to_string(&line)?))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lrtool bench --help`'s text for `--flag`, on one line, with the default clap shows.
    fn help(flag: &str) -> String {
        use clap::CommandFactory;
        let mut cmd = crate::cli::Cli::command();
        cmd.build();
        let bench = cmd.find_subcommand("bench").unwrap();
        let arg = bench
            .get_arguments()
            .find(|a| a.get_long() == Some(flag))
            .unwrap_or_else(|| panic!("--{flag}"));
        let mut text = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        for d in arg.get_default_values() {
            text.push_str(&format!(" [default: {}]", d.to_string_lossy()));
        }
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The defaults the help states are the constants the code uses, so they cannot drift.
    #[test]
    fn help_texts_state_the_benchs_defaults() {
        let cases = [
            (
                "split-min-side",
                format!("[default: {}]", linalg::gemm::PARALLEL_MIN_SIDE),
            ),
            (
                "batch",
                format!(
                    "{} for w1, {} for w2, {} for w3]",
                    DEFAULT_BATCH[0], DEFAULT_BATCH[1], DEFAULT_BATCH[2]
                ),
            ),
            (
                "epochs",
                format!(
                    "[default: {} for w1, {} for w2]",
                    DEFAULT_EPOCHS[0], DEFAULT_EPOCHS[1]
                ),
            ),
            ("threads", "[default: every core]".to_string()),
            ("repeat", "[default: 1]".to_string()),
            ("seed", "[default: 0]".to_string()),
            ("gemm", "[default: native]".to_string()),
        ];
        for (flag, want) in cases {
            let text = help(flag);
            assert!(
                text.contains(&want),
                "--{flag}: {text:?} should say {want:?}"
            );
        }
        // and the code uses them: no flag given, the training runs' side is in force
        let cli = <crate::cli::Cli as clap::Parser>::try_parse_from(["lrtool", "bench", "w2"]);
        let Ok(crate::cli::Cli {
            command: crate::cli::Command::Bench(args),
            ..
        }) = cli
        else {
            panic!("lrtool bench w2 parses");
        };
        assert_eq!(args.split_min_side, linalg::gemm::PARALLEL_MIN_SIDE);
        assert_eq!((args.batch, args.epochs), (None, None));
    }

    #[test]
    fn splitmix64_matches_the_reference_vector() {
        let got: Vec<u64> = (0..3).map(|k| splitmix64(1_234_567, k)).collect();
        assert_eq!(
            got,
            [
                0x599e_d017_fb08_fc85,
                0x2c73_f084_5854_0fa5,
                0x883e_bce5_a3f2_7c77
            ]
        );
    }

    #[test]
    fn normals_do_not_depend_on_where_a_block_starts() {
        let mut all = vec![0.0; 9];
        normals(5, 0, &mut all);
        let mut tail = vec![0.0; 6];
        normals(5, 3, &mut tail);
        assert_eq!(&all[3..], &tail[..]);
        let mean = {
            let mut z = vec![0.0; 20_000];
            normals(9, 0, &mut z);
            z.iter().sum::<f64>() / z.len() as f64
        };
        assert!(mean.abs() < 0.03, "{mean}");
    }

    #[test]
    fn digits_split_matches_the_workload_checksums() {
        assert_eq!(
            seeded_permutation(0, 1797)[..10],
            [410, 821, 1264, 1720, 366, 1352, 1663, 503, 1426, 254]
        );
        let s = digits_splits(0).unwrap();
        assert_eq!((s.train.len(), s.val.len()), (1437, 360));
        let abs: f64 = s.train.x.iter().map(|&v| (v as f64).abs()).sum();
        assert!((abs - 60580.32595).abs() < 1e-3, "{abs}");
        let test_sum: f64 = s.val.x.iter().map(|&v| v as f64).sum();
        assert!((test_sum + 173.027843).abs() < 1e-4, "{test_sum}");
        let row0 = s.train.x.row(0).to_vec();
        for (a, b) in row0
            .iter()
            .zip([0.0f32, -0.331_724_32, -1.088_722_8, -1.888_723])
        {
            assert!((a - b).abs() < 1e-6, "{row0:?}");
        }
    }

    #[test]
    fn synthetic_rows_match_the_workload_checksums() {
        let c = synth_centres(0);
        let first = synth_rows(&c, 2, 0..1);
        for (a, b) in
            first
                .row(0)
                .iter()
                .zip([-0.008_302_8f32, -1.131_845_4, 0.075_675_3, -1.004_877_8])
        {
            assert!((a - b).abs() < 1e-6, "{first:?}");
        }
        let last = synth_rows(&c, 2, 59_999..60_000);
        let tail = &last.as_slice().unwrap()[SYNTH_DIM - 2..];
        assert!((tail[0] - 0.339_676_05).abs() < 1e-6, "{tail:?}");
        assert!((tail[1] - 0.355_005_38).abs() < 1e-6, "{tail:?}");
        // Σx of the 10,000 test rows
        let test: f64 = synth_rows(&c, 3, 0..10_000).iter().map(|&v| v as f64).sum();
        assert!((test - 16440.280491).abs() < 1e-2, "{test}");
    }

    #[test]
    fn flops_match_the_workload_table() {
        assert_eq!(
            flops_per_sample(&[64, 128, 64, 10]),
            (34_048, 102_144, 85_760)
        );
        assert_eq!(
            flops_per_sample(&[784, 256, 128, 10]),
            (469_504, 1_408_512, 1_007_104)
        );
    }

    #[test]
    fn suggestion_is_the_steepest_smoothed_descent() {
        let lrs: Vec<f64> = (0..50)
            .map(|i| 1e-4 * 10f64.powf(i as f64 / 10.0))
            .collect();
        let losses: Vec<f64> = lrs
            .iter()
            .map(|&lr| 2.0 - (1.0 / (1.0 + (-(lr.ln() - 1e-2f64.ln())).exp())))
            .collect();
        let s = suggest_lr(&lrs, &losses).unwrap();
        assert!(s > 1e-3 && s < 1e0, "{s}");
        let mut with_nan = losses.clone();
        with_nan[3] = f64::NAN;
        assert!(suggest_lr(&lrs, &with_nan).is_some_and(|v| v <= lrs[2]));
    }
}

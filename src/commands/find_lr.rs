//! `lrtool find-lr`, the LR range test: turns the parsed flags into typed configs, runs the
//! sweeps (repeats side by side, `--auto-extend` ranges), and writes `steps.csv`, the plot,
//! `summary.json` and `timing.json`. The policy is `schedule::RangeTest`, the recorder and its
//! divergence stop `observers::Recorder`, the analysis `lr_finder::analysis`, the drawing
//! `report::find_lr`; `lrtool suggest` is `commands::suggest`.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::json;

use crate::cli::{FindLrArgs, Like, SweepArgs};
use crate::commands::common::{self, json_text, print_stdout};
use crate::config::{DataConfig, ModelConfig, OptimConfig, OutputConfig};
use crate::data::{self, Batcher, Splits, Task};
use crate::input_bail;
use crate::linalg;
use crate::lr_finder::analysis::{
    Analysis, PROBE_ROWS, RUN_IN_TOLERANCE, RunIn, Sweep, SweepEnd, analyse, extended_range,
};
use crate::lr_finder::fastai::suggest_like_fastai;
use crate::lr_finder::{self, SweepMode};
use crate::observers::{Priming, Progress, Recorder};
use crate::output::Layout;
use crate::report::find_lr::{
    RunFacts, fastai_json, fastai_lines, plot_svg, report_text, short, steps_csv,
};
use crate::report::records::{
    FindLrConfig, FindLrSummary, RangeTried, ScheduleBounds, SweepFacts, SweepRange, SweepSettings,
    TriangularBounds,
};

/// What a run of `find-lr` may write in its folder.
const OUTPUTS: [&str; 5] = [
    "steps.csv",
    "find-lr.svg",
    "summary.json",
    "timing.json",
    "report.html",
];
use crate::schedule::RangeTest;
use crate::train::{self, End, FitSettings, Observer};

/// Most extra sweeps `--auto-extend` may run.
const MAX_EXTENSIONS: usize = 3;

/// The validated sweep settings.
#[derive(Debug, Clone, Serialize)]
pub struct SweepConfig {
    pub min: f64,
    pub max: f64,
    pub mode: SweepMode,
    pub steps: u64,
    /// `--steps` was given (else every range tried by --auto-extend gets its own default).
    #[serde(skip)]
    pub steps_given: bool,
    pub smooth: f64,
    pub diverge: f64,
    pub stop_on_divergence: bool,
    pub batch_size: usize,
    pub seed: u64,
    pub repeats: usize,
    pub auto_extend: bool,
    /// `--warmup-from` (0: none).
    pub warmup_from: f64,
    /// `--like`: whose suggestions are reported beside lrtool's (summary.json's "fastai").
    #[serde(skip)]
    pub like: Option<Like>,
}

impl SweepConfig {
    pub fn from_args(a: &SweepArgs) -> anyhow::Result<SweepConfig> {
        if !(a.min.is_finite() && a.min > 0.0) {
            input_bail!("--min {}: must be a positive, finite learning rate", a.min);
        }
        if !(a.max.is_finite() && a.max > 0.0) {
            input_bail!("--max {}: must be a positive, finite learning rate", a.max);
        }
        if a.min >= a.max {
            input_bail!("--min {} must be below --max {}", a.min, a.max);
        }
        let steps = match a.steps {
            None => lr_finder::default_steps(a.min, a.max),
            Some(n) if (3..=10_000_000).contains(&n) => n as u64,
            Some(n) => input_bail!("--steps {n}: must be a whole number from 3 to 10000000"),
        };
        if !(a.smooth.is_finite() && (0.0..1.0).contains(&a.smooth)) {
            input_bail!("--smooth {}: must be at least 0 and below 1", a.smooth);
        }
        if !(a.diverge.is_finite() && a.diverge > 1.0) {
            input_bail!("--diverge {}: must be a number above 1", a.diverge);
        }
        if a.batch_size < 1 || a.batch_size > 1 << 24 {
            input_bail!(
                "--batch-size {}: must be a whole number of at least 1",
                a.batch_size
            );
        }
        if !(1..=1000).contains(&a.repeats) {
            input_bail!(
                "--repeats {}: must be a whole number from 1 to 1000",
                a.repeats
            );
        }
        let warmup_from = a.warmup_from.unwrap_or(lr_finder::WARMUP_FROM);
        if !(warmup_from.is_finite() && warmup_from >= 0.0) {
            input_bail!(
                "--warmup-from {warmup_from}: must be a finite learning rate, or 0 for none"
            );
        }
        Ok(SweepConfig {
            warmup_from,
            min: a.min,
            max: a.max,
            mode: a.mode,
            steps,
            steps_given: a.steps.is_some(),
            smooth: a.smooth,
            diverge: a.diverge,
            stop_on_divergence: !a.no_stop,
            batch_size: a.batch_size as usize,
            seed: a.seed,
            repeats: a.repeats as usize,
            auto_extend: a.auto_extend,
            like: a.like,
        })
    }
}

/// Everything a sweep needs besides its seed and range.
struct Bench<'a> {
    splits: &'a Splits,
    model_cfg: &'a ModelConfig,
    optim_cfg: &'a OptimConfig,
    sweep: &'a SweepConfig,
    shuffle: bool,
    inputs: usize,
    outputs: usize,
    quiet: bool,
}

/// The `--repeats` sweeps of one range, in seed order, and whether a signal left some of them
/// unstarted. One sweep runs with up to `threads` threads for its products; several run side by
/// side on `threads` workers, one thread each, with one bar counting finished sweeps.
fn run_sweeps(
    b: &Bench,
    threads: usize,
    min: f64,
    max: f64,
    steps: u64,
) -> anyhow::Result<(Vec<Sweep>, bool)> {
    let repeats = b.sweep.repeats as u64;
    let seed = |k: u64| b.sweep.seed.wrapping_add(k);
    if repeats == 1 {
        let sweep =
            linalg::gemm::with_threads(threads, || run_sweep(b, seed(0), min, max, steps, true))?;
        return Ok((vec![sweep], false));
    }
    let bar = Progress::counter(repeats, "sweeps", b.quiet);
    let one = |k: u64| -> anyhow::Result<Option<Sweep>> {
        // the first sweep always runs, so that an interrupted run still has a curve
        if k > 0 && crate::interrupt::requested() {
            return Ok(None);
        }
        let sweep = run_sweep(b, seed(k), min, max, steps, false)?;
        bar.inc(1);
        Ok(Some(sweep))
    };
    let results: Vec<anyhow::Result<Option<Sweep>>> = if threads > 1 {
        use rayon::prelude::*;
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .context("cannot start the worker threads")?
            .install(|| {
                (0..repeats as usize)
                    .into_par_iter()
                    .with_max_len(1)
                    .map(|k| one(k as u64))
                    .collect()
            })
    } else {
        (0..repeats).map(one).collect()
    };
    bar.finish_and_clear();
    let mut sweeps = Vec::with_capacity(results.len());
    let mut skipped = false;
    for r in results {
        match r? {
            Some(s) => sweeps.push(s),
            None => skipped = true,
        }
    }
    Ok((sweeps, skipped))
}

/// One sweep from `min` to `max` with the model and data order of `seed`; `bar`: show its own
/// progress bar (unless quiet).
fn run_sweep(
    b: &Bench,
    seed: u64,
    min: f64,
    max: f64,
    steps: u64,
    bar: bool,
) -> anyhow::Result<Sweep> {
    let mut model = b.model_cfg.build(b.inputs, b.outputs, seed)?;
    let mut optimizer = b.optim_cfg.build(&model);
    let first_key = lr_finder::sweep_first_key(b.sweep.mode, min, max, steps);
    let run_in_steps = lr_finder::run_in_steps(b.sweep.mode, min, max, steps, b.sweep.warmup_from);
    let keyed = |first: i64| {
        Batcher::new(&b.splits.train, b.sweep.batch_size, b.shuffle, seed).keyed(first)
    };
    let recorder = || {
        Recorder::new(
            b.sweep.smooth,
            b.sweep.diverge,
            b.sweep.stop_on_divergence,
            steps as usize + 1,
        )
    };
    let mut rec = recorder();
    // the run-in takes the batches of the grid's places below `min`, the sweep those from it on
    let mut batcher = keyed(first_key.saturating_sub(run_in_steps as i64));
    let (mut run_in, mut run_in_rows) = (None, 0);
    if run_in_steps > 0 {
        let below = BelowMin {
            min,
            ratio: (max / min).powf(1.0 / (steps - 1) as f64),
            steps: run_in_steps,
        };
        let probe_before = probe_loss(&model, b.splits);
        run_in_rows = run_below_min(
            b,
            &mut model,
            &mut optimizer,
            &mut batcher,
            &mut rec,
            &below,
        )?;
        let mut r = RunIn {
            steps: run_in_steps,
            from: train::LrSchedule::lr(&below, 0),
            probe_before,
            probe_after: probe_loss(&model, b.splits),
            kept: true,
        };
        // the loss moved below --min: start again from the initial weights (as --warmup-from 0)
        r.kept = r.probe_after.is_finite() && r.change() <= RUN_IN_TOLERANCE;
        if !r.kept {
            model = b.model_cfg.build(b.inputs, b.outputs, seed)?;
            optimizer = b.optim_cfg.build(&model);
            batcher = keyed(first_key);
            rec = recorder();
        }
        run_in = Some(r);
    }
    let epochs = (steps as usize).div_ceil(batcher.steps_per_epoch());
    let policy = RangeTest {
        mode: b.sweep.mode,
        min,
        max,
        steps,
    };
    let mut progress = Progress::new(steps, b.quiet || !bar);
    let outcome = {
        let mut observers: [&mut dyn Observer; 2] = [&mut rec, &mut progress];
        train::fit(
            &mut model,
            &mut optimizer,
            &policy,
            b.splits,
            &mut batcher,
            FitSettings {
                epochs,
                max_steps: Some(steps),
                validate: false,
            },
            &mut observers,
        )?
    };
    let end = match outcome.end {
        End::Completed => SweepEnd::Completed,
        End::Stopped { .. } => SweepEnd::Diverged {
            step: outcome.steps.saturating_sub(1),
        },
        End::NonFinite { step, lr, loss } => {
            rec.lrs.push(lr);
            rec.losses.push(loss);
            rec.smooth.push(f64::NAN);
            SweepEnd::NonFinite { step }
        }
        End::Interrupted => SweepEnd::Interrupted,
    };
    Ok(Sweep {
        seed,
        beta: b.sweep.smooth,
        lrs: rec.lrs,
        losses: rec.losses,
        smooth: rec.smooth,
        end,
        rows: rec.rows + run_in_rows,
        run_in,
    })
}

/// The sweep's grid continued below its first LR: step `s` of a run-in of `steps` has the LR of
/// sweep step `s − steps` (the same ratio from step to step).
struct BelowMin {
    min: f64,
    ratio: f64,
    steps: u64,
}

impl train::LrSchedule for BelowMin {
    fn lr(&self, step: u64) -> f64 {
        self.min * self.ratio.powf(step as f64 - self.steps as f64)
    }
}

/// The run-in: `below.steps` steps on the sweep's grid below `min`, with the batches of those grid
/// places, not recorded: their losses only prime `rec`'s moving average and divergence rule (which
/// does not stop them). A sweep from a lower `--min` takes the same steps and records them; so
/// both reach `min` with the same weights, optimizer state (Adam's moments average over the same
/// batches) and smoothed loss, and lowering `--min` within the flat start only adds points.
/// Returns the rows trained on. A non-finite loss or a signal ends it early.
fn run_below_min(
    b: &Bench,
    model: &mut crate::nn::Mlp,
    optimizer: &mut crate::optim::Optimizer,
    batcher: &mut Batcher,
    rec: &mut Recorder,
    below: &BelowMin,
) -> anyhow::Result<usize> {
    let steps = below.steps;
    let epochs = (steps as usize).div_ceil(batcher.steps_per_epoch());
    let outcome = train::fit(
        model,
        optimizer,
        below,
        b.splits,
        batcher,
        FitSettings {
            epochs,
            max_steps: Some(steps),
            validate: false,
        },
        &mut [&mut Priming(rec)],
    )?;
    Ok((outcome.steps as usize).saturating_mul(batcher.batch_size().min(b.splits.train.len())))
}

/// Mean loss of `model` on the first [`PROBE_ROWS`] rows of the training split.
fn probe_loss(model: &crate::nn::Mlp, splits: &Splits) -> f64 {
    let part = &splits.train;
    let rows = part.len().min(PROBE_ROWS);
    let targets = match &part.y {
        data::Target::Classes { labels, .. } => crate::nn::Targets::Classes(&labels[..rows]),
        data::Target::Values(v) => crate::nn::Targets::Values(&v[..rows]),
    };
    let mut ws = crate::nn::Workspace::new(model, rows.max(1));
    model
        .evaluate(part.x.slice(ndarray::s![..rows, ..]), targets, &mut ws)
        .mean_loss()
}

/// The memory of a range test: the sweeps that run side by side (model, gradients, optimizer
/// state, buffers) and the curves of every repeat (LR, loss and smoothed loss per step, kept for
/// the analysis; an `--auto-extend` range may add as many again).
fn sweep_estimate(
    sweep: &SweepConfig,
    optim: &OptimConfig,
    sizes: &[usize],
    dataset: &crate::data::Dataset,
    threads: Option<usize>,
) -> crate::limits::memory::Estimate {
    use crate::limits::memory;
    let side_by_side = if sweep.repeats > 1 {
        threads
            .unwrap_or_else(linalg::gemm::default_threads)
            .min(sweep.repeats)
    } else {
        1
    };
    let one = memory::training(&memory::Training {
        sizes,
        batch_size: sweep.batch_size,
        eval_rows: 0,
        optimizer_slots: optim.state_slots(),
        weight_copies: 0,
        data_values: 0,
        steps_kept: 0,
        epochs: 0,
    });
    let mut e = memory::Estimate::new();
    e.add_all(&one, side_by_side as u128, "");
    let per_curve = u128::from(sweep.steps) * 3 * 8;
    let ranges = if sweep.auto_extend { 2 } else { 1 };
    e.add("curves", per_curve * sweep.repeats as u128 * ranges);
    e.add(
        "data",
        (dataset.n_samples() as u128) * (dataset.n_features() as u128 + 1) * 8,
    );
    e
}

pub fn run(args: FindLrArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let data_cfg = DataConfig::from_args(&args.data)?;
    let model_cfg = ModelConfig::from_args(&args.model)?;
    let optim_cfg = OptimConfig::from_args(&args.optim)?;
    let sweep_cfg = SweepConfig::from_args(&args.sweep)?;
    let out_cfg = OutputConfig::from_args(&args.output, "find-lr");
    let requested_threads = args.compute.requested()?;

    let dataset = data::source::load(&data_cfg.spec(sweep_cfg.seed))?;
    let splits = data::split(
        &dataset,
        data_cfg.val_split,
        data_cfg.shuffle,
        sweep_cfg.seed,
    )?;
    let task = dataset.task();
    let outputs = match task {
        Task::Classify => dataset.n_classes(),
        Task::Regress => 1,
    };
    let sizes = model_cfg.sizes(dataset.n_features(), outputs);
    let mut estimate = sweep_estimate(&sweep_cfg, &optim_cfg, &sizes, &dataset, requested_threads);
    estimate.add_all(&common::init_estimate(&model_cfg, &sizes), 1, "");
    estimate.check("this range test")?;
    // fail on bad --init before anything is written
    let probe = model_cfg.build(dataset.n_features(), outputs, sweep_cfg.seed)?;
    common::check_run_inputs(&out_cfg.out, &data_cfg, &model_cfg)?;
    crate::interrupt::install();
    let mut out = common::out_dir(&out_cfg, "find-lr", Layout::outputs(&OUTPUTS))?;
    let bench = Bench {
        splits: &splits,
        model_cfg: &model_cfg,
        optim_cfg: &optim_cfg,
        sweep: &sweep_cfg,
        shuffle: data_cfg.shuffle,
        inputs: dataset.n_features(),
        outputs,
        quiet: out_cfg.quiet || out_cfg.json,
    };

    // one sweep uses the run's threads; repeats run side by side with one thread each
    let threads = if sweep_cfg.repeats > 1 {
        requested_threads
            .unwrap_or_else(linalg::gemm::default_threads)
            .min(sweep_cfg.repeats)
    } else {
        linalg::gemm::run_threads(requested_threads, &probe.sizes(), sweep_cfg.batch_size)
    };
    let (mut min, mut max) = (sweep_cfg.min, sweep_cfg.max);
    let mut tried: Vec<RangeTried> = Vec::new();
    // --auto-extend: the last range's analysis, and a wider range dropped for losing its descent
    let mut prev: Option<(Analysis, u64)> = None;
    let mut lost_range: Option<(f64, f64)> = None;
    // a signal ends the sweep in progress; no further sweep or range is started
    let mut interrupted = false;
    let mut steps = sweep_cfg.steps;
    // wall time and rows of the sweeps of every range, extensions included
    let (mut fit_seconds, mut fit_rows) = (0.0f64, 0usize);
    let analysis = loop {
        if !sweep_cfg.steps_given {
            steps = lr_finder::default_steps(min, max);
        }
        let sweeps_started = Instant::now();
        let (sweeps, skipped) = run_sweeps(&bench, threads, min, max, steps)?;
        // wall time: sweeps side by side overlap
        fit_seconds += sweeps_started.elapsed().as_secs_f64();
        interrupted |= skipped;
        for sweep in &sweeps {
            fit_rows += sweep.rows;
            interrupted |= sweep.end == SweepEnd::Interrupted;
        }
        let a = analyse(sweeps, min, max);
        let lost_descent = prev
            .as_ref()
            .is_some_and(|(p, _): &(Analysis, u64)| p.phases.descent && !a.phases.descent);
        // the last extension lowered --min: did the points below the old --min show anything
        // but plateau? If not, a still lower --min would only add more of it
        let lowered_in_vain = tried.last().is_some_and(|t| {
            min < t.min
                && !lr_finder::noise::extension_adds_information(&a.band.lrs, &a.band.raw, t.min)
        });
        tried.push(RangeTried {
            max,
            min,
            phases: a.phases.clone(),
            steps,
        });
        if lost_descent {
            // the wider range no longer shows the descent the narrower one did (its violent end
            // swamps a shallow fall): it added no information, so report the narrower one
            let (mut p, p_steps) = prev.take().expect("a previous range");
            lost_range = Some((min, max));
            steps = p_steps;
            // and do not advise the widening just tried
            let (raised, lowered) = (max > p.max, min < p.min);
            p.phases.advice.retain(|a| {
                !(raised && a.contains("raise --max") || lowered && a.contains("lower --min"))
            });
            break p;
        }
        let mut next = if sweep_cfg.auto_extend && tried.len() <= MAX_EXTENSIONS {
            extended_range(&a)
        } else {
            None
        };
        if lowered_in_vain {
            // keep a wider --max if that was asked, never a lower --min
            next = next.map(|(_, hi)| (min, hi)).filter(|&(_, hi)| hi != max);
        }
        if interrupted || (next.is_some() && crate::interrupt::requested()) {
            interrupted = true;
            next = None;
        }
        match next {
            Some((lo, hi)) => {
                (min, max) = (lo, hi);
                prev = Some((a, steps));
            }
            None => break a,
        }
    };

    // the run-in of the range reported
    let run_in = lr_finder::run_in_steps(
        sweep_cfg.mode,
        analysis.min,
        analysis.max,
        steps,
        sweep_cfg.warmup_from,
    );
    out.write_atomic("steps.csv", steps_csv(&analysis).as_bytes())?;
    out.write_atomic(
        "find-lr.svg",
        plot_svg(&analysis, optim_cfg.name())?.as_bytes(),
    )?;
    let next = next_commands(
        &analysis, &data_cfg, &model_cfg, &optim_cfg, &sweep_cfg, &splits,
    );
    // --like fastai: fastai's four answers on each sweep's recorded smoothed curve (fastai's
    // Recorder keeps its smoothed loss), num_it = the steps asked of the sweep
    let fastai = (sweep_cfg.like == Some(Like::Fastai)).then(|| {
        let num_it = steps as usize;
        let multi = analysis.sweeps.len() > 1;
        let mut text = String::from("fastai 2.8's lr_find suggestions on the smoothed curve:\n");
        let mut per_sweep = Vec::new();
        for s in &analysis.sweeps {
            let f = suggest_like_fastai(&s.lrs, &s.smooth, num_it);
            let points = s.lrs.len().min(s.smooth.len());
            let mut v = fastai_json(&f);
            v["seed"] = json!(s.seed);
            v["points"] = json!(points);
            per_sweep.push(v);
            if multi {
                text.push_str(&format!("  sweep (seed {}):\n", s.seed));
            }
            text.push_str(&fastai_lines(
                &f,
                num_it,
                points,
                if multi { "    " } else { "  " },
            ));
        }
        (json!({"num_it": num_it, "sweeps": per_sweep}), text)
    });
    let mut files = vec!["steps.csv", "find-lr.svg", "summary.json", "timing.json"];
    if out_cfg.report {
        files.push(crate::report::html::FILE);
    }
    let typed = FindLrSummary {
        command: "find-lr".into(),
        command_line: crate::argv().join(" "),
        config: FindLrConfig {
            data: common::data_settings(&data_cfg),
            model: common::model_settings(&model_cfg),
            optimizer: serde_json::to_value(&optim_cfg)?,
            sweep: SweepSettings {
                auto_extend: sweep_cfg.auto_extend,
                batch_size: sweep_cfg.batch_size as u64,
                diverge: sweep_cfg.diverge,
                max: sweep_cfg.max,
                min: sweep_cfg.min,
                mode: sweep_cfg.mode,
                repeats: sweep_cfg.repeats as u64,
                seed: sweep_cfg.seed,
                smooth: sweep_cfg.smooth,
                warmup_from: Some(sweep_cfg.warmup_from),
                steps: sweep_cfg.steps,
                stop_on_divergence: sweep_cfg.stop_on_divergence,
            },
        },
        consensus: analysis.consensus.clone(),
        consensus_iqr_decades: analysis.consensus_iqr_decades,
        dataset: common::dataset_facts(&dataset, &splits),
        fastai: fastai.as_ref().map(|(v, _)| v.clone()),
        files: files.iter().map(|f| f.to_string()).collect(),
        interrupted,
        lrtool_version: env!("CARGO_PKG_VERSION").into(),
        model: common::model_facts(&probe, &model_cfg),
        next_commands: next.clone(),
        note: format!(
            "the sweep trains with {} as configured: the suggestions hold for that optimizer and batch size {}",
            optim_cfg.name(),
            sweep_cfg.batch_size
        ),
        phases: analysis.phases.clone(),
        range: SweepRange {
            max: analysis.max,
            min: analysis.min,
            mode: sweep_cfg.mode,
            steps,
            run_in_steps: Some(run_in),
        },
        ranges_tried: tried,
        // wall-clock: the only values that differ between two runs of the same command
        samples_per_s: fit_rows as f64 / fit_seconds.max(1e-9),
        schedule_bounds: ScheduleBounds {
            one_cycle_max_lr: analysis.cyclic_max,
            triangular: analysis.cyclic_max.map(|m| TriangularBounds {
                base_lr: m / 4.0,
                max_lr: m,
            }),
        },
        stability: analysis.stability.map(String::from),
        suggestions: analysis.methods.clone(),
        sweeps: analysis
            .sweeps
            .iter()
            .map(|s| SweepFacts {
                ended: s.end,
                last_lr: s.lrs.last().copied(),
                run_in: s.run_in,
                seed: s.seed,
                steps_recorded: s.lrs.len() as u64,
            })
            .collect(),
        train_s: fit_seconds,
    };
    let summary = serde_json::to_value(&typed)?;
    out.write_atomic("summary.json", json_text(&summary).as_bytes())?;
    let seconds = started.elapsed().as_secs_f64();
    out.write_atomic(
        "timing.json",
        json_text(&json!({
            "note": common::TIMING_NOTE,
            "total_seconds": seconds,
            "train_s": fit_seconds,
            "samples_per_s": fit_rows as f64 / fit_seconds.max(1e-9),
            "threads": threads,
        }))
        .as_bytes(),
    )?;
    if out_cfg.report {
        crate::report::html::write(&mut out)?;
    }
    if out_cfg.json {
        print_stdout(&common::json_with_folder(&summary, out.path()))?;
    } else if !out_cfg.quiet {
        let facts = RunFacts {
            dataset: &dataset.name,
            model: &probe,
            optimizer: optim_cfg.name(),
            batch_size: sweep_cfg.batch_size,
            mode: sweep_cfg.mode,
            steps,
            // the header names the run-in only when a sweep kept it
            run_in: if analysis
                .sweeps
                .iter()
                .any(|s| s.run_in.is_some_and(|r| r.kept))
            {
                run_in
            } else {
                0
            },
            run_in_from: sweep_cfg.warmup_from,
            lost_range,
            fastai: fastai.map(|(_, text)| text),
        };
        print_stdout(&report_text(
            &analysis,
            &facts,
            &next,
            (out.path(), &out.written()),
            seconds,
        ))?;
    }
    if interrupted {
        let rows: usize = analysis.sweeps.iter().map(|s| s.lrs.len()).sum();
        return Err(anyhow::Error::new(crate::error::Interrupted(format!(
            "interrupted after {} of {} ({} recorded); kept in {}: {}",
            analysis.sweeps.len(),
            crate::words::count(sweep_cfg.repeats, "sweep"),
            crate::words::count(rows, "step"),
            out.path().display(),
            out.written()
                .iter()
                .map(|f| match f.as_str() {
                    "steps.csv" => format!("steps.csv ({})", crate::words::count(rows, "row")),
                    "summary.json" =>
                        "summary.json (\"interrupted\": true, suggestions from the curve so far)"
                            .to_string(),
                    f => f.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    Ok(())
}

fn next_commands(
    a: &Analysis,
    data: &DataConfig,
    model: &ModelConfig,
    optim: &OptimConfig,
    sweep: &SweepConfig,
    splits: &Splits,
) -> Vec<String> {
    // rendered from the typed configs: the run that was swept, as `train` flags
    let mut base = String::from("lrtool train");
    for f in crate::config::train_flags(data, model, optim) {
        base.push(' ');
        base.push_str(&f);
    }
    let _ = write!(
        base,
        " --batch-size {} --seed {}",
        sweep.batch_size, sweep.seed
    );
    let mut cmds = Vec::new();
    if let Some(lr) = a.consensus.lr {
        cmds.push(format!("{base} --lr {}", short(lr)));
    }
    if let Some(max) = a.cyclic_max {
        // Smith: base = max/4, half-cycle of 2–10 epochs' steps (4 here)
        let spe = splits.train.len().div_ceil(sweep.batch_size);
        cmds.push(format!(
            "{base} --schedule triangular --min-lr {} --lr {} --step-size {}",
            short(max / 4.0),
            short(max),
            4 * spe
        ));
        cmds.push(format!("{base} --schedule one-cycle --lr {}", short(max)));
    }
    cmds
}

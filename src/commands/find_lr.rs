//! `lrtool find-lr` (the LR range test: sweeps, repeats, auto-extension, suggestions, plots) and
//! `lrtool suggest` (the same analysis on a curve recorded elsewhere).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use clap::CommandFactory;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{Cli, FindLrArgs, SuggestArgs, SweepArgs};
use crate::commands::common::{self, json_text, print_stdout};
use crate::config::{DataConfig, ModelConfig, OptimConfig, OutputConfig};
use crate::data::{self, Batcher, Splits, Task};
use crate::input_bail;
use crate::linalg;
use crate::lr_finder::{
    self, Consensus, DivergenceRule, METHODS, Method, Phases, Smoother, Suggestion, SweepMode,
};
use crate::nn::Mlp;
use crate::observers::Progress;
use crate::output::OutDir;
use crate::report::plot::{Marker, Panel, Scale, Series};
use crate::train::{self, Control, End, FitSettings, LrSchedule, Observer, StepReport};

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
        Ok(SweepConfig {
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
        })
    }
}

/// The range test's LR policy: a pure function of the step.
#[derive(Debug, Clone, Copy)]
struct RangeTest {
    mode: SweepMode,
    min: f64,
    max: f64,
    steps: u64,
}

impl LrSchedule for RangeTest {
    fn lr(&self, step: u64) -> f64 {
        lr_finder::sweep_lr(self.mode, self.min, self.max, self.steps, step)
    }
}

/// How one sweep ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "end", rename_all = "kebab-case")]
enum SweepEnd {
    /// Reached `--max`.
    Completed,
    /// The divergence rule fired at this step.
    Diverged { step: u64 },
    /// The loss was NaN or infinite at this step.
    NonFinite { step: u64 },
    /// Ctrl-C or SIGTERM stopped the sweep after its last recorded step.
    Interrupted,
}

/// One recorded sweep.
#[derive(Debug, Clone)]
struct Sweep {
    seed: u64,
    /// The LR of every recorded step.
    lrs: Vec<f64>,
    losses: Vec<f64>,
    smooth: Vec<f64>,
    end: SweepEnd,
    /// The rows the sweep trained on.
    rows: usize,
}

impl Sweep {
    fn diverged(&self) -> bool {
        matches!(
            self.end,
            SweepEnd::Diverged { .. } | SweepEnd::NonFinite { .. }
        )
    }
}

/// Records the curve, smooths it and applies the divergence rule.
struct Recorder {
    smoother: Smoother,
    rule: DivergenceRule,
    stop: bool,
    lrs: Vec<f64>,
    losses: Vec<f64>,
    smooth: Vec<f64>,
    rows: usize,
}

impl Observer for Recorder {
    fn on_step(&mut self, r: &StepReport, _model: &Mlp) -> anyhow::Result<Control> {
        let s = self.smoother.push(r.loss);
        self.rows += r.rows;
        self.lrs.push(r.lr);
        self.losses.push(r.loss);
        self.smooth.push(s);
        if self.rule.diverged(s) && self.stop {
            return Ok(Control::Stop("diverged".into()));
        }
        Ok(Control::Continue)
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
    let mut batcher = Batcher::new(&b.splits.train, b.sweep.batch_size, b.shuffle, seed);
    let epochs = (steps as usize).div_ceil(batcher.steps_per_epoch());
    let policy = RangeTest {
        mode: b.sweep.mode,
        min,
        max,
        steps,
    };
    let cap = steps as usize;
    let mut rec = Recorder {
        smoother: Smoother::new(b.sweep.smooth),
        rule: DivergenceRule::new(b.sweep.diverge),
        stop: b.sweep.stop_on_divergence,
        lrs: Vec::with_capacity(cap + 1),
        losses: Vec::with_capacity(cap + 1),
        smooth: Vec::with_capacity(cap + 1),
        rows: 0,
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
        lrs: rec.lrs,
        losses: rec.losses,
        smooth: rec.smooth,
        end,
        rows: rec.rows,
    })
}

/// One method's answer over all sweeps.
#[derive(Debug, Clone, Serialize)]
struct MethodResult {
    method: Method,
    /// The answer (median over repeats).
    lr: Option<f64>,
    /// Interquartile range of the answers across repeats, in decades (repeats only).
    iqr_decades: Option<f64>,
    /// Each sweep's answer.
    per_sweep: Vec<Option<f64>>,
}

/// The median smoothed curve over repeats with its quartiles (one point per step reached by at
/// least half of the sweeps).
#[derive(Debug, Clone, Default)]
struct Band {
    lrs: Vec<f64>,
    q25: Vec<f64>,
    median: Vec<f64>,
    q75: Vec<f64>,
}

/// The analysis of one range (one or several sweeps).
#[derive(Debug, Clone)]
struct Analysis {
    min: f64,
    max: f64,
    sweeps: Vec<Sweep>,
    band: Band,
    methods: Vec<MethodResult>,
    consensus: Consensus,
    consensus_iqr_decades: Option<f64>,
    stability: Option<&'static str>,
    cyclic_max: Option<f64>,
    phases: Phases,
}

fn median_log(values: &[f64]) -> (Option<f64>, Option<f64>) {
    let logs: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|v| v.log10())
        .collect();
    if let [only] = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect::<Vec<_>>()[..]
    {
        // one answer: report it exactly, not through 10^log10
        return (Some(only), Some(0.0));
    }
    match lr_finder::quartiles(&logs) {
        Some((q25, q50, q75)) => (Some(10f64.powf(q50)), Some(q75 - q25)),
        None => (None, None),
    }
}

fn analyse(sweeps: Vec<Sweep>, min: f64, max: f64) -> Analysis {
    let repeats = sweeps.len();
    // median curve
    let longest = sweeps.iter().map(|s| s.smooth.len()).max().unwrap_or(0);
    let mut band = Band::default();
    for i in 0..longest {
        let values: Vec<f64> = sweeps
            .iter()
            .filter_map(|s| s.smooth.get(i).copied())
            .filter(|v| v.is_finite())
            .collect();
        if values.len() * 2 < repeats || values.is_empty() {
            break;
        }
        let (q25, q50, q75) = lr_finder::quartiles(&values).expect("non-empty");
        let lr = sweeps
            .iter()
            .find_map(|s| s.lrs.get(i).copied())
            .unwrap_or(f64::NAN);
        band.lrs.push(lr);
        band.q25.push(q25);
        band.median.push(q50);
        band.q75.push(q75);
    }
    let per_sweep: Vec<Vec<Suggestion>> = sweeps
        .iter()
        .map(|s| lr_finder::suggest_all(&s.lrs, &s.smooth))
        .collect();
    let methods: Vec<MethodResult> = METHODS
        .iter()
        .enumerate()
        .map(|(k, &method)| {
            let answers: Vec<Option<f64>> = per_sweep.iter().map(|s| s[k].lr).collect();
            let found: Vec<f64> = answers.iter().flatten().copied().collect();
            let (lr, iqr) = median_log(&found);
            MethodResult {
                method,
                lr,
                iqr_decades: if repeats > 1 { iqr } else { None },
                per_sweep: answers,
            }
        })
        .collect();
    let medians: Vec<Suggestion> = methods
        .iter()
        .map(|m| Suggestion {
            method: m.method,
            lr: m.lr,
            index: None,
        })
        .collect();
    let consensus = lr_finder::consensus(&medians);
    let (consensus_iqr_decades, stability) = if repeats > 1 {
        let per: Vec<f64> = per_sweep
            .iter()
            .filter_map(|s| lr_finder::consensus(s).lr)
            .collect();
        let (_, iqr) = median_log(&per);
        let verdict = iqr.map(|d| {
            if d < 0.3 {
                "stable"
            } else if d < 0.6 {
                "somewhat unstable"
            } else {
                "unstable"
            }
        });
        (iqr, verdict)
    } else {
        (None, None)
    };
    let diverged = sweeps.iter().filter(|s| s.diverged()).count() * 2 > repeats;
    let phases = lr_finder::phases(&band.median, diverged, min, max);
    let cyclic_max = lr_finder::still_steep_max(&band.lrs, &band.median);
    Analysis {
        min,
        max,
        sweeps,
        band,
        methods,
        consensus,
        consensus_iqr_decades,
        stability,
        cyclic_max,
        phases,
    }
}

/// `--auto-extend`: the next range when a phase is missing, or None when nothing can be widened.
fn extended_range(a: &Analysis) -> Option<(f64, f64)> {
    let p = &a.phases;
    if p.descent && p.flat_start && p.divergence {
        return None;
    }
    let mut min = a.min;
    let mut max = a.max;
    if !p.descent && p.divergence {
        min /= 100.0;
    } else if !p.descent {
        max *= 100.0;
    } else {
        if !p.flat_start {
            min /= 100.0;
        }
        if !p.divergence {
            max *= 10.0;
        }
    }
    let min = min.max(1e-12);
    let max = max.min(1e4);
    ((min, max) != (a.min, a.max)).then_some((min, max))
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
    // fail on bad --init before anything is written
    let probe = model_cfg.build(dataset.n_features(), outputs, sweep_cfg.seed)?;
    crate::interrupt::install();
    let mut out = OutDir::prepare(&out_cfg.out, out_cfg.force, "find-lr")?;
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
    let mut tried: Vec<Value> = Vec::new();
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
        tried.push(json!({"min": min, "max": max, "steps": steps, "phases": a.phases}));
        let mut next = if sweep_cfg.auto_extend && tried.len() <= MAX_EXTENSIONS {
            extended_range(&a)
        } else {
            None
        };
        if interrupted || (next.is_some() && crate::interrupt::requested()) {
            interrupted = true;
            next = None;
        }
        match next {
            Some((lo, hi)) => (min, max) = (lo, hi),
            None => break a,
        }
    };

    out.write_atomic("steps.csv", steps_csv(&analysis).as_bytes())?;
    out.write_atomic("find-lr.svg", plot_svg(&analysis, &optim_cfg)?.as_bytes())?;
    let next = next_commands(&analysis, &data_cfg, &optim_cfg, &sweep_cfg, &splits);
    let summary = json!({
        "lrtool_version": env!("CARGO_PKG_VERSION"),
        "command": "find-lr",
        "command_line": crate::argv().join(" "),
        "interrupted": interrupted,
        "config": {
            "data": data_cfg,
            "model": model_cfg,
            "optimizer": optim_cfg,
            "sweep": sweep_cfg,
        },
        "dataset": common::dataset_facts(&dataset, &splits),
        "model": common::model_facts(&probe, &model_cfg),
        "note": format!("the sweep trains with {} as configured: the suggestions hold for that optimizer and batch size {}", optim_cfg.name(), sweep_cfg.batch_size),
        "range": {"min": analysis.min, "max": analysis.max, "mode": sweep_cfg.mode, "steps": steps},
        "ranges_tried": tried,
        "sweeps": analysis.sweeps.iter().map(|s| json!({
            "seed": s.seed,
            "steps_recorded": s.lrs.len(),
            "ended": s.end,
            "last_lr": s.lrs.last(),
        })).collect::<Vec<_>>(),
        "suggestions": analysis.methods,
        "consensus": analysis.consensus,
        "consensus_iqr_decades": analysis.consensus_iqr_decades,
        "stability": analysis.stability,
        "schedule_bounds": {
            "triangular": analysis.cyclic_max.map(|m| json!({"max_lr": m, "base_lr": m / 4.0})),
            "one_cycle_max_lr": analysis.cyclic_max,
        },
        "phases": analysis.phases,
        "next_commands": next,
        "files": if out_cfg.report {
            json!(["steps.csv", "find-lr.svg", "summary.json", "timing.json", crate::report::html::FILE])
        } else {
            json!(["steps.csv", "find-lr.svg", "summary.json", "timing.json"])
        },
        // wall-clock: the only values that differ between two runs of the same command
        "train_s": fit_seconds,
        "samples_per_s": fit_rows as f64 / fit_seconds.max(1e-9),
    });
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
        print_stdout(&json_text(&summary))?;
    } else if !out_cfg.quiet {
        print_stdout(&report_text(
            &analysis,
            &dataset.name,
            &probe,
            &optim_cfg,
            &SweepConfig {
                steps,
                ..sweep_cfg.clone()
            },
            &next,
            out.path(),
            seconds,
        ))?;
    }
    if interrupted {
        let rows: usize = analysis.sweeps.iter().map(|s| s.lrs.len()).sum();
        return Err(anyhow::Error::new(crate::error::Interrupted(format!(
            "interrupted after {} of {} sweeps ({rows} steps recorded); kept in {}: steps.csv ({rows} rows), find-lr.svg, summary.json (\"interrupted\": true, suggestions from the curve so far), timing.json",
            analysis.sweeps.len(),
            sweep_cfg.repeats,
            out.path().display()
        ))));
    }
    Ok(())
}

/// `[run,]step,lr,loss,smooth_loss`, one row per recorded step of every sweep.
fn steps_csv(a: &Analysis) -> String {
    let multi = a.sweeps.len() > 1;
    let mut s = String::from(if multi {
        "run,step,lr,loss,smooth_loss\n"
    } else {
        "step,lr,loss,smooth_loss\n"
    });
    for (k, sw) in a.sweeps.iter().enumerate() {
        for i in 0..sw.lrs.len() {
            if multi {
                let _ = write!(s, "{},", k + 1);
            }
            let smooth = if sw.smooth[i].is_finite() {
                format!("{}", sw.smooth[i])
            } else {
                String::new()
            };
            let _ = writeln!(s, "{i},{},{},{smooth}", sw.lrs[i], sw.losses[i]);
        }
    }
    s
}

fn plot_svg(a: &Analysis, optim: &OptimConfig) -> anyhow::Result<String> {
    let mut series = Vec::new();
    if a.sweeps.len() == 1 {
        let s = &a.sweeps[0];
        series.push(Series {
            label: "loss".into(),
            points: s
                .lrs
                .iter()
                .copied()
                .zip(s.losses.iter().copied())
                .collect(),
        });
        series.push(Series {
            label: "smoothed loss".into(),
            points: s
                .lrs
                .iter()
                .copied()
                .zip(s.smooth.iter().copied())
                .collect(),
        });
    } else {
        let b = &a.band;
        let line = |label: String, ys: &[f64]| Series {
            label,
            points: b.lrs.iter().copied().zip(ys.iter().copied()).collect(),
        };
        series.push(line(
            format!("median of {} sweeps", a.sweeps.len()),
            &b.median,
        ));
        series.push(line("25th percentile".into(), &b.q25));
        series.push(line("75th percentile".into(), &b.q75));
    }
    let mut markers: Vec<Marker> = a
        .methods
        .iter()
        .filter_map(|m| {
            m.lr.map(|lr| Marker {
                label: format!("{} {}", m.method.name(), short(lr)),
                x: lr,
                y: None,
            })
        })
        .collect();
    if let Some(lr) = a.consensus.lr {
        markers.push(Marker {
            label: format!("consensus {}", short(lr)),
            x: lr,
            y: None,
        });
    }
    // cut the diverging tail: from the lowest loss drawn to a little above the start
    let finite: Vec<f64> = a
        .band
        .median
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let lowest_drawn = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .reduce(f64::min);
    let y_range = match (finite.first(), lowest_drawn) {
        (Some(&first), Some(low)) if first > low => {
            let span = first - low;
            Some((low - 0.25 * span, first + 0.5 * span))
        }
        _ => None,
    };
    let panel = Panel {
        title: format!(
            "LR range test ({}, {} → {})",
            optim.name(),
            short(a.min),
            short(a.max)
        ),
        x_label: "learning rate".into(),
        y_label: "loss".into(),
        x_scale: Scale::Log10,
        y_scale: Scale::Linear,
        series,
        markers,
        y_range,
    };
    crate::report::plot::render_svg(&[panel], 960, 540)
}

/// A learning rate in 3 significant digits.
fn short(lr: f64) -> String {
    format!("{lr:.2e}")
}

/// The flags of this command line that `train` understands too (data, model, optimizer), as
/// given, so a suggested command trains exactly what was swept.
fn shared_flags() -> Vec<String> {
    let argv = crate::argv();
    let cmd = Cli::command();
    let find = cmd.find_subcommand("find-lr");
    let train = cmd.find_subcommand("train");
    let (Some(find), Some(train)) = (find, train) else {
        return Vec::new();
    };
    let keep = |long: &str| {
        !matches!(
            long,
            "out" | "force" | "json" | "quiet" | "no-report" | "config" | "seed" | "batch-size"
        ) && train.get_arguments().any(|a| a.get_long() == Some(long))
    };
    let mut out = Vec::new();
    let mut i = 2;
    while i < argv.len() {
        let tok = &argv[i];
        i += 1;
        let Some(body) = tok.strip_prefix("--") else {
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let takes_value = find
            .get_arguments()
            .find(|a| a.get_long() == Some(name))
            .is_some_and(|a| a.get_action().takes_values());
        let value = if takes_value && inline.is_none() && i < argv.len() {
            i += 1;
            Some(argv[i - 1].as_str())
        } else {
            inline
        };
        if keep(name) {
            match value {
                Some(v) => out.push(format!("--{name} {}", shell_word(v))),
                None => out.push(format!("--{name}")),
            }
        }
    }
    out
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,/:+=@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn next_commands(
    a: &Analysis,
    data: &DataConfig,
    optim: &OptimConfig,
    sweep: &SweepConfig,
    splits: &Splits,
) -> Vec<String> {
    let mut base = String::from("lrtool train");
    let flags = shared_flags();
    if !flags.iter().any(|f| f.starts_with("--dataset ")) {
        let _ = write!(base, " --dataset {}", shell_word(&data.dataset));
    }
    if !flags.iter().any(|f| f.starts_with("--optimizer ")) {
        let _ = write!(base, " --optimizer {}", optim.name());
    }
    for f in flags {
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

#[allow(clippy::too_many_arguments)]
fn report_text(
    a: &Analysis,
    dataset: &str,
    model: &Mlp,
    optim: &OptimConfig,
    sweep: &SweepConfig,
    next: &[String],
    out: &std::path::Path,
    seconds: f64,
) -> String {
    let mut t = String::new();
    let sizes: Vec<String> = model.sizes().iter().map(usize::to_string).collect();
    let _ = writeln!(
        t,
        "lrtool find-lr: {dataset}, MLP {} {}, {} (the optimizer you will train with), batch {}, lr {} → {} ({:?}, {} steps{})",
        sizes.join("-"),
        model.activation.name(),
        optim.name(),
        sweep.batch_size,
        short(a.min),
        short(a.max),
        sweep.mode,
        sweep.steps,
        if a.sweeps.len() > 1 {
            format!(", {} sweeps", a.sweeps.len())
        } else {
            String::new()
        }
    );
    for s in &a.sweeps {
        let end = match s.end {
            SweepEnd::Completed => format!("reached --max after {} steps", s.lrs.len()),
            SweepEnd::Diverged { step } => {
                format!(
                    "diverged at step {step} (lr {})",
                    short(s.lrs[step as usize])
                )
            }
            SweepEnd::NonFinite { step } => format!(
                "loss became non-finite at step {step} (lr {})",
                short(s.lrs[step as usize])
            ),
            SweepEnd::Interrupted => format!("interrupted after {} steps", s.lrs.len()),
        };
        let _ = writeln!(t, "sweep (seed {}): {end}", s.seed);
    }
    let mark = |b: bool| if b { "yes" } else { "NO" };
    let _ = writeln!(
        t,
        "phases: flat start {}, descent {}, divergence {}",
        mark(a.phases.flat_start),
        mark(a.phases.descent),
        mark(a.phases.divergence)
    );
    for advice in &a.phases.advice {
        let _ = writeln!(t, "  hint: {advice}");
    }
    t.push_str(&ascii_plot(a, 64, 14));
    let _ = writeln!(t, "suggestions:");
    for m in &a.methods {
        let spread = m
            .iqr_decades
            .map(|d| format!("  (± {d:.2} decades IQR)"))
            .unwrap_or_default();
        let _ = writeln!(
            t,
            "  {:<10} {}{spread}",
            m.method.name(),
            m.lr.map(short).unwrap_or_else(|| "none".into())
        );
    }
    if let Some(lr) = a.consensus.lr {
        let _ = write!(
            t,
            "  {:<10} {}  (methods span {:.1} decades",
            "consensus",
            short(lr),
            a.consensus.spread_decades.unwrap_or(0.0)
        );
        if let (Some(iqr), Some(v)) = (a.consensus_iqr_decades, a.stability) {
            let _ = write!(t, "; across sweeps ± {iqr:.2} decades IQR: {v}");
        }
        t.push_str(")\n");
        if a.consensus.disagree {
            let _ = writeln!(
                t,
                "  warning: the methods disagree by more than a decade; read the plot before trusting one number"
            );
        }
    }
    if !next.is_empty() {
        let _ = writeln!(t, "next:");
        for c in next {
            let _ = writeln!(t, "  {c}");
        }
    }
    let _ = writeln!(
        t,
        "wrote {}: steps.csv, find-lr.svg, summary.json ({seconds:.2} s)",
        out.display()
    );
    t
}

/// The (median) smoothed loss against log10(lr) in characters, with one letter per suggestion.
fn ascii_plot(a: &Analysis, width: usize, height: usize) -> String {
    let b = &a.band;
    let pts: Vec<(f64, f64)> = b
        .lrs
        .iter()
        .zip(&b.median)
        .filter(|(x, y)| x.is_finite() && **x > 0.0 && y.is_finite())
        .map(|(x, y)| (x.log10(), *y))
        .collect();
    if pts.len() < 2 {
        return String::new();
    }
    let (x0, x1) = (a.min.log10(), a.max.log10());
    let low = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let first = pts[0].1;
    let high = if first > low {
        first + 0.3 * (first - low)
    } else {
        pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max)
    };
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) || x1 <= x0 {
        return String::new();
    }
    let mut grid = vec![vec![' '; width]; height];
    let col = |x: f64| {
        (((x - x0) / (x1 - x0)) * (width - 1) as f64)
            .round()
            .clamp(0.0, (width - 1) as f64) as usize
    };
    for &(x, y) in &pts {
        let c = col(x);
        let r = ((high - y) / (high - low) * (height - 1) as f64).round();
        let r = if r < 0.0 {
            0
        } else {
            (r as usize).min(height - 1)
        };
        grid[r][c] = if y > high { '^' } else { '•' };
    }
    let mut legend = Vec::new();
    for (letter, m) in ['s', 'v', 'm', 'l'].iter().zip(&a.methods) {
        if let Some(lr) = m.lr {
            let c = col(lr.log10());
            grid[height - 1][c] = *letter;
            legend.push(format!("{letter} = {}", m.method.name()));
        }
    }
    if let Some(lr) = a.consensus.lr {
        grid[height - 1][col(lr.log10())] = 'C';
        legend.push("C = consensus".into());
    }
    let mut t = String::new();
    for (r, row) in grid.iter().enumerate() {
        let label = if r == 0 {
            format!("{high:>9.3}")
        } else if r == height - 1 {
            format!("{low:>9.3}")
        } else {
            " ".repeat(9)
        };
        let line: String = row.iter().collect();
        let _ = writeln!(t, "{label} |{}", line.trim_end());
    }
    let _ = writeln!(t, "{} +{}", " ".repeat(9), "-".repeat(width));
    let left = short(a.min);
    let right = short(a.max);
    let _ = writeln!(
        t,
        "{}  {left}{}{right}   (lr, log scale)",
        " ".repeat(9),
        " ".repeat(width.saturating_sub(left.len() + right.len()))
    );
    let _ = writeln!(t, "{}  {}", " ".repeat(9), legend.join(", "));
    t
}

/// `lrtool suggest FILE.csv`: the suggestion methods on a recorded curve.
pub fn suggest(args: SuggestArgs) -> anyhow::Result<()> {
    if !(args.smooth.is_finite() && (0.0..1.0).contains(&args.smooth)) {
        input_bail!("--smooth {}: must be at least 0 and below 1", args.smooth);
    }
    let shown = args.file.display().to_string();
    let bytes = std::fs::read(&args.file)
        .map_err(|e| crate::input_err!("{shown}: cannot read the file: {e}"))?;
    let text = data::gz::maybe_gunzip(&bytes, &shown)?;
    let text = std::str::from_utf8(&text)
        .map_err(|_| crate::input_err!("{shown}: not a UTF-8 text file"))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        input_bail!("{shown}: the file is empty");
    };
    let columns: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let find = |name: &str, flag: &str| {
        columns.iter().position(|c| *c == name).ok_or_else(|| {
            crate::input_err!(
                "{shown}: no column \"{name}\" for {flag} (columns: {})",
                columns.join(", ")
            )
        })
    };
    let lr_col = find(&args.lr_column, "--lr-column")?;
    let loss_col = find(&args.loss_column, "--loss-column")?;
    let run_col = columns.iter().position(|c| *c == "run");
    let mut rows = 0usize;
    let mut runs: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != columns.len() {
            input_bail!(
                "{shown} line {line_no}: expected {} fields like the header, found {}",
                columns.len(),
                cells.len()
            );
        }
        let lr: f64 = cells[lr_col].parse().map_err(|_| {
            crate::input_err!(
                "{shown} line {line_no}, column \"{}\": \"{}\" is not a number",
                args.lr_column,
                cells[lr_col]
            )
        })?;
        if !(lr.is_finite() && lr > 0.0) {
            input_bail!("{shown} line {line_no}: learning rate {lr} must be positive and finite");
        }
        // an empty or NaN loss marks a diverged tail: the analysis stops there
        let loss: f64 = match cells[loss_col] {
            "" => f64::NAN,
            c => c.parse().map_err(|_| {
                crate::input_err!(
                    "{shown} line {line_no}, column \"{}\": \"{c}\" is not a number",
                    args.loss_column
                )
            })?,
        };
        let run = run_col.map(|c| cells[c].to_string()).unwrap_or_default();
        if runs.last().is_none_or(|r| r.0 != run) {
            runs.push((run, Vec::new(), Vec::new()));
        }
        let r = runs.last_mut().expect("just pushed");
        r.1.push(lr);
        r.2.push(loss);
        rows += 1;
    }
    if rows < 2 {
        input_bail!("{shown}: needs at least 2 rows of (lr, loss), found {rows}");
    }
    let sweeps: Vec<Sweep> = runs
        .into_iter()
        .enumerate()
        .map(|(k, (_, lrs, raw))| {
            let mut sm = Smoother::new(args.smooth);
            let smooth = raw.iter().map(|&l| sm.push(l)).collect();
            Sweep {
                seed: k as u64,
                lrs,
                losses: raw,
                smooth,
                end: SweepEnd::Completed,
                rows: 0,
            }
        })
        .collect();
    let (min, max) = sweeps
        .iter()
        .flat_map(|s| s.lrs.iter())
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let a = analyse(sweeps, min, max);
    let result = json!({
        "file": shown,
        "rows": rows,
        "runs": a.sweeps.len(),
        "suggestions": a.methods,
        "consensus": a.consensus,
        "consensus_iqr_decades": a.consensus_iqr_decades,
        "stability": a.stability,
        "schedule_bounds": {
            "triangular": a.cyclic_max.map(|m| json!({"max_lr": m, "base_lr": m / 4.0})),
            "one_cycle_max_lr": a.cyclic_max,
        },
        "phases": a.phases,
    });
    if args.json {
        return print_stdout(&json_text(&result));
    }
    let mut t = format!("{shown}: {rows} rows, {} curve(s)\n", a.sweeps.len());
    t.push_str(&ascii_plot(&a, 64, 12));
    for m in &a.methods {
        let _ = writeln!(
            t,
            "  {:<10} {}",
            m.method.name(),
            m.lr.map(short).unwrap_or_else(|| "none".into())
        );
    }
    if let Some(lr) = a.consensus.lr {
        let _ = writeln!(
            t,
            "  {:<10} {}  (methods span {:.1} decades)",
            "consensus",
            short(lr),
            a.consensus.spread_decades.unwrap_or(0.0)
        );
    }
    if let Some(m) = a.cyclic_max {
        let _ = writeln!(
            t,
            "  cyclical range: --schedule triangular --min-lr {} --lr {}",
            short(m / 4.0),
            short(m)
        );
    }
    print_stdout(&t)
}

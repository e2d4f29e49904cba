//! `lrtool snapshot-ensemble`: one training run under a cyclic schedule, a snapshot of the weights
//! at every cycle end, and the ensembles of the last m snapshots evaluated on the validation
//! split — next to the single final model and, with `--baseline`, a model trained for the same
//! steps from the same seed under a standard schedule.

use std::time::Instant;

use anyhow::bail;
use serde_json::json;

use crate::commands::common::{self, History, fmt_num, json_text, metric_name, print_stdout};
use crate::config::{
    DataConfig, ModelConfig, OptimConfig, OutputConfig, RunConfig, RunSpec, SnapshotSpec,
};
use crate::data::{Batcher, Task};
use crate::ensemble::{self, Metrics};
use crate::input_bail;
use crate::linalg;
use crate::observers::{
    CsvLog, EnsembleResult, EpochColumns, Progress, SnapshotRecord, SnapshotSaver,
};
use crate::output::Layout;
use crate::words::count;

/// What a run of `snapshot-ensemble` may write in its folder.
const OUTPUTS: [&str; 13] = [
    "steps.csv",
    "epochs.csv",
    "snapshots.csv",
    "init.safetensors",
    "model.safetensors",
    "baseline/**",
    "snapshots/**",
    "loss.svg",
    "lr.svg",
    "snapshot-ensemble.svg",
    "summary.json",
    "timing.json",
    "report.html",
];
use crate::report::plot::{Panel, Scale, Series, render_svg};
use crate::report::records::{
    BaselineFacts, EnsembleFacts, EnsembleSettings, FinalFacts, SnapshotConfig, SnapshotFacts,
    SnapshotResult, SnapshotSummary,
};
use crate::schedule::{Fge, FgeSettings, Schedule, ScheduleKind, ScheduleSpec};
use crate::train::{self, End, FitOutcome, FitSettings, Observer};

/// Most snapshots one run may take (each is a file, and the last `--keep` stay in memory).
pub const MAX_SNAPSHOTS: usize = 1000;

/// The baseline run and its validation metrics.
struct BaselineRun {
    schedule: Schedule,
    outcome: FitOutcome,
    metrics: Option<Metrics>,
}

/// `lrtool snapshot-ensemble`: [`plan`], [`execute`], print the report, and make a diverged or
/// interrupted run (or baseline) an error (exit code 1 or 130).
pub fn run(spec: &SnapshotSpec) -> anyhow::Result<()> {
    let done = execute(plan(spec)?)?;
    if !done.report.is_empty() {
        print_stdout(&done.report)?;
    }
    done.result()
}

/// A snapshot-ensemble run validated and ready: data loaded and split, model, schedule, the
/// snapshot count and the baseline's schedule built. Nothing has been written yet.
pub struct Planned {
    started: Instant,
    data_cfg: DataConfig,
    model_cfg: ModelConfig,
    optim_cfg: OptimConfig,
    run_cfg: RunConfig,
    out_cfg: OutputConfig,
    dataset: crate::data::Dataset,
    splits: crate::data::Splits,
    model: crate::nn::Mlp,
    steps_per_epoch: usize,
    total_steps: u64,
    schedule: Schedule,
    snapshots: usize,
    keep: usize,
    baseline_schedule: Option<Schedule>,
    fge: Option<FgeSettings>,
}

/// What a snapshot-ensemble run did: how the main run and the baseline ended, where the files
/// went, and the report `run` prints (empty with --quiet or --json).
pub struct Ensembled {
    /// How the main run ended.
    pub end: End,
    /// How the baseline ended, when there was one.
    pub baseline_end: Option<End>,
    pub out: std::path::PathBuf,
    pub report: String,
    steps: u64,
    epochs_completed: usize,
    epochs: usize,
    snapshots: usize,
    steps_per_epoch: usize,
    files: Vec<&'static str>,
    baseline_steps: u64,
}

/// Validate `spec` against the data and build everything the run needs; every input error
/// surfaces here, before any file is written.
pub fn plan(spec: &SnapshotSpec) -> anyhow::Result<Planned> {
    let started = Instant::now();
    let RunSpec {
        data: data_cfg,
        model: model_cfg,
        optim: optim_cfg,
        run: run_cfg,
        output: out_cfg,
        ..
    } = spec.run.clone();
    if spec.baseline_schedule.is_some() && !spec.baseline {
        input_bail!("--baseline-schedule needs --baseline");
    }
    if data_cfg.val_split == 0.0 {
        input_bail!(
            "--val-split 0: snapshot-ensemble evaluates every snapshot and ensemble on the validation split; give a fraction above 0"
        );
    }

    let common::Prepared {
        dataset,
        splits,
        model,
        steps_per_epoch,
        total_steps,
    } = common::prepare_with(&spec.run, |shape| {
        // the validation predictions of the last `keep` snapshots (at most one per cycle, at
        // most MAX_SNAPSHOTS), and the baseline's model, gradients and optimizer state
        let cycles = match spec.run.schedule.schedule {
            crate::schedule::ScheduleKind::Snapshot => Some(
                spec.run
                    .schedule
                    .cycles
                    .unwrap_or(crate::schedule::snapshot::DEFAULT_CYCLES),
            ),
            _ => None,
        };
        let kept = spec
            .keep
            .or(cycles)
            .unwrap_or(MAX_SNAPSHOTS as u64)
            .min(MAX_SNAPSHOTS as u64);
        let mut e = crate::limits::memory::Estimate::new();
        e.add(
            "snapshot predictions",
            u128::from(kept) * shape.val_outputs * 4,
        );
        e.add(
            "snapshot evaluation buffers",
            crate::limits::memory::workspace_bytes(&shape.sizes, crate::ensemble::CHUNK_ROWS),
        );
        if spec.baseline {
            let slots = 2 + spec.run.optim.state_slots();
            e.add("baseline model", shape.model_bytes * slots);
        }
        e
    })?;
    let schedule = match spec.fge {
        None => spec
            .run
            .schedule
            .build(run_cfg.lr, steps_per_epoch, total_steps)?,
        Some(f) => fge_schedule(
            &spec.run.schedule,
            f,
            run_cfg.lr,
            steps_per_epoch,
            total_steps,
        )?,
    };
    let snapshots = count_cycle_ends(&schedule, total_steps);
    let what = match &schedule {
        Schedule::SnapshotCosine(s) => format!("--cycles {}", s.cycles),
        other => format!(
            "--schedule {} ends {} in this run",
            other.name(),
            count(snapshots, "cycle")
        ),
    };
    if snapshots == 0 {
        input_bail!(
            "--schedule {}: never ends a cycle within this run of {} ({} × {steps_per_epoch}), so no snapshot would be taken; use snapshot (the default), sgdr, triangular, triangular2 or exp-range with cycles shorter than the run",
            schedule.name(),
            count(total_steps, "step"),
            count(run_cfg.epochs, "epoch")
        );
    }
    if snapshots > MAX_SNAPSHOTS {
        input_bail!(
            "--schedule {}: ends {snapshots} cycles in this run; snapshot-ensemble takes at most {MAX_SNAPSHOTS} snapshots (use longer cycles)",
            schedule.name()
        );
    }
    let keep = match spec.keep {
        None => snapshots,
        Some(0) => input_bail!("--keep 0: must be at least 1"),
        Some(k) if k > snapshots as u64 => {
            input_bail!("--keep {k}: must be at most the number of snapshots, {snapshots} ({what})")
        }
        Some(k) => k as usize,
    };
    let baseline_schedule = if spec.baseline {
        let kind = spec.baseline_schedule.unwrap_or(ScheduleKind::Cosine);
        if kind == ScheduleKind::Multistep || kind == ScheduleKind::Sequential {
            input_bail!(
                "--baseline-schedule {}: needs {}, which the baseline does not take; choose cosine, step, exponential, one-cycle, …",
                kind.name(),
                if kind == ScheduleKind::Multistep {
                    "--milestones"
                } else {
                    "--sequence"
                }
            );
        }
        let built = ScheduleSpec::defaults(kind)
            .build(run_cfg.lr, steps_per_epoch, total_steps)
            .map_err(|e| {
                crate::input_err!(
                    "--baseline-schedule {}: cannot be built for this run with its default flags: {e}",
                    kind.name()
                )
            })?;
        Some(built)
    } else {
        None
    };
    Ok(Planned {
        started,
        data_cfg,
        model_cfg,
        optim_cfg,
        run_cfg,
        out_cfg,
        dataset,
        splits,
        model,
        steps_per_epoch,
        total_steps,
        schedule,
        snapshots,
        keep,
        baseline_schedule,
        fge: spec.fge,
    })
}

/// `--fge`: the first phase under `base` (built for epochs 1 … start − 1), then Garipov's cycles
/// with a model collected at each cycle's lowest LR.
fn fge_schedule(
    base: &ScheduleSpec,
    f: FgeSettings,
    lr: f64,
    steps_per_epoch: usize,
    total_steps: u64,
) -> anyhow::Result<Schedule> {
    let spe = steps_per_epoch as u64;
    let start = (f.start_epoch - 1) * spe;
    // the first phase is one normal run: the snapshot cosine (the default --schedule here) makes
    // one cycle of it unless --cycles says otherwise
    let mut base = base.clone();
    if base.schedule == ScheduleKind::Snapshot && base.cycles.is_none() {
        base.cycles = Some(1);
    }
    let first = base.build(lr, steps_per_epoch, start).map_err(|e| {
        crate::input_err!(
            "--fge: the first phase (epochs 1 … {}, {}) under --schedule {}: {e}",
            f.start_epoch - 1,
            count(start, "step"),
            base.schedule.name()
        )
    })?;
    let cycle = f.cycle_epochs.saturating_mul(spe);
    if cycle < 2 {
        input_bail!(
            "--cycle-epochs {}: a cycle of {} ({} per epoch) has no middle to collect a model at; give --cycle-epochs 2 or more",
            f.cycle_epochs,
            count(cycle, "step"),
            count(spe, "step")
        );
    }
    let fge = Fge {
        base: Box::new(first),
        start,
        cycle,
        lr1: f.lr1,
        lr2: f.lr2,
    };
    if fge.collections(total_steps) == 0 {
        input_bail!(
            "--cycle-epochs {}: the cycles from --fge-start {} ({}) never reach a cycle's lowest LR ({} in), so no model would be collected; give more --epochs, an earlier --fge-start or shorter cycles",
            f.cycle_epochs,
            f.start_epoch,
            count(total_steps - start, "step"),
            count(cycle / 2, "step")
        );
    }
    Ok(Schedule::Fge(fge))
}

/// Train as planned, take the snapshots, evaluate them and their ensembles (and the baseline),
/// and write the output folder.
pub fn execute(planned: Planned) -> anyhow::Result<Ensembled> {
    let Planned {
        started,
        data_cfg,
        model_cfg,
        optim_cfg,
        run_cfg,
        out_cfg,
        dataset,
        splits,
        mut model,
        steps_per_epoch,
        total_steps,
        schedule,
        snapshots,
        keep,
        baseline_schedule,
        fge,
    } = planned;
    let task = dataset.task();
    let classify = task == Task::Classify;
    let mut batcher = Batcher::new(
        &splits.train,
        run_cfg.batch_size,
        data_cfg.shuffle,
        run_cfg.seed,
    );
    common::check_run_inputs(&out_cfg.out, &data_cfg, &model_cfg)?;
    crate::interrupt::install();
    let mut out = common::out_dir(&out_cfg, "snapshot-ensemble", Layout::outputs(&OUTPUTS))?;
    let initial = model.clone();
    let mut optimizer = optim_cfg.build(&model);
    let mut log = CsvLog::new(
        out.create("steps.csv")?,
        out.create("epochs.csv")?,
        EpochColumns(task),
        None,
    )?;
    let snapshots_csv = out.create("snapshots.csv")?;
    let metadata = common::weights_metadata(&model, &dataset, &splits);
    // the initial weights, for `lrtool landscape --from init`
    out.write_atomic(
        "init.safetensors",
        &crate::weights::to_bytes(&model, &metadata),
    )?;
    let mut history = History::with_capacity(total_steps as usize);
    let quiet = out_cfg.quiet || out_cfg.json;
    let mut progress = Progress::new(total_steps, quiet);
    let threads = linalg::gemm::run_threads(run_cfg.threads, &model.sizes(), run_cfg.batch_size);
    let settings = FitSettings {
        epochs: run_cfg.epochs,
        max_steps: None,
        validate: true,
    };
    let (outcome, records, ensembles, snapshot_seconds) = {
        let mut saver = SnapshotSaver::new(
            &mut out,
            snapshots_csv,
            &schedule,
            &model,
            &splits.val,
            &metadata,
            steps_per_epoch,
            keep,
        )?;
        let outcome = linalg::gemm::with_threads(threads, || {
            let mut observers: [&mut dyn Observer; 4] =
                [&mut log, &mut history, &mut saver, &mut progress];
            train::fit(
                &mut model,
                &mut optimizer,
                &schedule,
                &splits,
                &mut batcher,
                settings,
                &mut observers,
            )
        })?;
        let ensembles = saver.ensembles()?;
        let seconds = saver.seconds;
        (
            outcome,
            std::mem::take(&mut saver.records),
            ensembles,
            seconds,
        )
    };
    drop(log);
    let diverged = matches!(outcome.end, End::NonFinite { .. });
    let interrupted = outcome.end == End::Interrupted;

    let val_metrics = |m: &crate::nn::Mlp| -> anyhow::Result<Metrics> {
        let p = ensemble::predict(m, splits.val.x.view(), classify)?;
        ensemble::metrics(&p, splits.val.targets())
    };
    let final_metrics = if diverged {
        None
    } else {
        Some(val_metrics(&model)?)
    };
    let mut files = vec![
        "steps.csv",
        "epochs.csv",
        "snapshots.csv",
        "init.safetensors",
    ];
    if !records.is_empty() {
        files.push("snapshots/");
    }
    if !diverged {
        out.write_atomic(
            "model.safetensors",
            &crate::weights::to_bytes(&model, &metadata),
        )?;
        files.push("model.safetensors");
    }

    // the equal-budget baseline: same initial weights, same data order, same steps
    let baseline = match baseline_schedule {
        Some(b_schedule) if outcome.end == End::Completed => {
            let mut b_model = initial;
            let mut b_optimizer = optim_cfg.build(&b_model);
            let mut b_batcher = Batcher::new(
                &splits.train,
                run_cfg.batch_size,
                data_cfg.shuffle,
                run_cfg.seed,
            );
            let mut b_log = CsvLog::new(
                out.create("baseline/steps.csv")?,
                out.create("baseline/epochs.csv")?,
                EpochColumns(task),
                None,
            )?;
            let mut b_progress = Progress::new(total_steps, quiet);
            let b_outcome = linalg::gemm::with_threads(threads, || {
                let mut observers: [&mut dyn Observer; 2] = [&mut b_log, &mut b_progress];
                train::fit(
                    &mut b_model,
                    &mut b_optimizer,
                    &b_schedule,
                    &splits,
                    &mut b_batcher,
                    settings,
                    &mut observers,
                )
            })?;
            drop(b_log);
            files.extend(["baseline/steps.csv", "baseline/epochs.csv"]);
            let b_metrics = if matches!(b_outcome.end, End::NonFinite { .. }) {
                None
            } else {
                out.write_atomic(
                    "baseline/model.safetensors",
                    &crate::weights::to_bytes(&b_model, &metadata),
                )?;
                files.push("baseline/model.safetensors");
                Some(val_metrics(&b_model)?)
            };
            Some(BaselineRun {
                schedule: b_schedule,
                outcome: b_outcome,
                metrics: b_metrics,
            })
        }
        _ => None,
    };

    let metric = metric_name(task);
    out.write_atomic(
        "loss.svg",
        common::loss_curves_svg(&history, task, steps_per_epoch)?.as_bytes(),
    )?;
    out.write_atomic("lr.svg", common::lr_svg(&history)?.as_bytes())?;
    out.write_atomic(
        "snapshot-ensemble.svg",
        ensemble_svg(
            &history,
            &records,
            &ensembles,
            baseline.as_ref(),
            task,
            &schedule,
        )?
        .as_bytes(),
    )?;
    files.extend([
        "loss.svg",
        "lr.svg",
        "snapshot-ensemble.svg",
        "summary.json",
        "timing.json",
    ]);
    if out_cfg.report {
        files.push(crate::report::html::FILE);
    }

    let last_snapshot = records.last();
    let final_is_snapshot = last_snapshot
        .filter(|r| r.step + 1 == outcome.steps && !diverged)
        .map(|r| r.k);
    let rows_seen = history.rows_seen;
    let samples_per_s = rows_seen as f64 / outcome.seconds.max(1e-9);
    let keys = |v: f64| common::metric_keys(task, v);
    let typed = SnapshotSummary {
        command: "snapshot-ensemble".into(),
        config: SnapshotConfig {
            data: common::data_settings(&data_cfg),
            ensemble: EnsembleSettings {
                baseline: baseline
                    .as_ref()
                    .map(|b| serde_json::to_value(&b.schedule))
                    .transpose()?,
                fge,
                keep: keep as u64,
                snapshots: snapshots as u64,
            },
            model: common::model_settings(&model_cfg),
            optimizer: serde_json::to_value(&optim_cfg)?,
            run: common::run_settings(&run_cfg),
            schedule: serde_json::to_value(&schedule)?,
        },
        dataset: common::dataset_facts(&dataset, &splits),
        files: files.iter().map(|f| f.to_string()).collect(),
        interrupted,
        lrtool_version: env!("CARGO_PKG_VERSION").into(),
        model: common::model_facts(&model, &model_cfg),
        result: SnapshotResult {
            baseline: baseline
                .as_ref()
                .map(|b| -> anyhow::Result<BaselineFacts> {
                    let (val_acc, val_r2) = b.metrics.map_or((None, None), |m| keys(m.metric));
                    Ok(BaselineFacts {
                        end: common::end_status(&b.outcome.end),
                        schedule: serde_json::to_value(&b.schedule)?,
                        steps: b.outcome.steps,
                        val_acc,
                        val_loss: b.metrics.map(|m| Some(m.loss)),
                        val_r2,
                    })
                })
                .transpose()?,
            end: common::end_status(&outcome.end),
            ensembles: ensembles
                .iter()
                .map(|e| {
                    let (val_acc, val_r2) = keys(e.metrics.metric);
                    EnsembleFacts {
                        m: e.m as u64,
                        snapshots: e.members.iter().map(|&k| k as u64).collect(),
                        val_acc,
                        val_loss: Some(e.metrics.loss),
                        val_r2,
                    }
                })
                .collect(),
            epochs_completed: outcome.epochs.len() as u64,
            last: final_metrics.map(|m| {
                let (val_acc, val_r2) = keys(m.metric);
                FinalFacts {
                    same_weights_as_snapshot: final_is_snapshot.map(|k| k as u64),
                    steps: outcome.steps,
                    val_acc,
                    val_loss: Some(m.loss),
                    val_r2,
                }
            }),
            snapshots: records
                .iter()
                .map(|r| {
                    let (val_acc, val_r2) = keys(r.single.metric);
                    let (ens_val_acc, ens_val_r2) = keys(r.ensemble.metric);
                    SnapshotFacts {
                        changed_from_previous: r.changed_from_previous,
                        ens_val_acc,
                        ens_val_loss: Some(r.ensemble.loss),
                        ens_val_r2,
                        ensemble_size: r.ensemble_size as u64,
                        epoch: r.epoch,
                        file: r.file.clone(),
                        k: r.k as u64,
                        lr: r.lr,
                        step: r.step,
                        val_acc,
                        val_loss: Some(r.single.loss),
                        val_r2,
                    }
                })
                .collect(),
            steps: outcome.steps,
        },
        // wall-clock: the only values that differ between two runs of the same command
        samples_per_s,
        steps_per_epoch: steps_per_epoch as u64,
        total_steps,
        train_s: outcome.seconds,
    };
    let summary = serde_json::to_value(&typed)?;
    out.write_atomic("summary.json", json_text(&summary).as_bytes())?;
    let fit_seconds = outcome.seconds + baseline.as_ref().map_or(0.0, |b| b.outcome.seconds);
    let timing = json!({
        "note": common::TIMING_NOTE,
        "total_seconds": started.elapsed().as_secs_f64(),
        "fit_seconds": outcome.seconds,
        "train_s": outcome.seconds,
        "samples_per_s": samples_per_s,
        "threads": threads,
        "snapshot_seconds": snapshot_seconds,
        "baseline_fit_seconds": baseline.as_ref().map(|b| b.outcome.seconds),
        "all_fit_seconds": fit_seconds,
        "epoch_seconds": outcome.epochs.iter().map(|e| e.seconds).collect::<Vec<_>>(),
    });
    out.write_atomic("timing.json", json_text(&timing).as_bytes())?;
    if out_cfg.report {
        crate::report::html::write(&mut out)?;
    }

    let mut report = String::new();
    if out_cfg.json {
        report = common::json_with_folder(&summary, out.path());
    } else if !out_cfg.quiet {
        let mut text = format!(
            "lrtool snapshot-ensemble: {}, {}, {} × {}\nschedule {}\n",
            common::run_headline(&dataset, &splits, &model),
            optim_cfg.name(),
            count(run_cfg.epochs, "epoch"),
            count(steps_per_epoch, "step"),
            schedule.describe(),
        );
        text.push_str(&format!(
            "{:>8}  {:>8}  {:>10}  {:>10}  {:>10}  {:>4}  {:>12}  {:>12}\n",
            "snapshot",
            "epoch",
            "lr",
            "val_loss",
            format!("val_{metric}"),
            "ens",
            "ens_val_loss",
            format!("ens_val_{metric}"),
        ));
        for r in &records {
            text.push_str(&format!(
                "{:>8}  {:>8}  {:>10}  {:>10}  {:>10}  {:>4}  {:>12}  {:>12}\n",
                r.k,
                fmt_epoch(r.epoch),
                fmt_num(Some(r.lr)),
                fmt_num(Some(r.single.loss)),
                fmt_num(Some(r.single.metric)),
                r.ensemble_size,
                fmt_num(Some(r.ensemble.loss)),
                fmt_num(Some(r.ensemble.metric)),
            ));
        }
        text.push_str(&format!(
            "ensembles of the last m snapshots (uniform average of {}):\n{:>8}  {:>10}  {:>10}\n",
            if classify {
                "probabilities"
            } else {
                "predictions"
            },
            "m",
            "val_loss",
            format!("val_{metric}")
        ));
        for e in &ensembles {
            text.push_str(&format!(
                "{:>8}  {:>10}  {:>10}\n",
                e.m,
                fmt_num(Some(e.metrics.loss)),
                fmt_num(Some(e.metrics.metric))
            ));
        }
        if let Some(m) = final_metrics {
            text.push_str(&format!(
                "final model{}: val_loss {}, val_{metric} {}\n",
                final_is_snapshot
                    .map(|k| format!(" (= snapshot {k})"))
                    .unwrap_or_default(),
                fmt_num(Some(m.loss)),
                fmt_num(Some(m.metric))
            ));
        }
        if let Some(b) = &baseline {
            match b.metrics {
                Some(m) => text.push_str(&format!(
                    "baseline ({}, same seed and {}): val_loss {}, val_{metric} {}\n",
                    b.schedule.describe(),
                    count(b.outcome.steps, "step"),
                    fmt_num(Some(m.loss)),
                    fmt_num(Some(m.metric))
                )),
                None => text.push_str(&format!("baseline ({}): diverged\n", b.schedule.describe())),
            }
        }
        text.push_str(&format!(
            "wrote {}: {} ({:.2} s)\n",
            out.path().display(),
            out.written().join(", "),
            started.elapsed().as_secs_f64(),
        ));
        report = text;
    }
    Ok(Ensembled {
        end: outcome.end.clone(),
        baseline_end: baseline.as_ref().map(|b| b.outcome.end.clone()),
        out: out.path().to_path_buf(),
        report,
        steps: outcome.steps,
        epochs_completed: outcome.epochs.len(),
        epochs: run_cfg.epochs,
        snapshots: records.len(),
        steps_per_epoch,
        files,
        baseline_steps: baseline.as_ref().map_or(0, |b| b.outcome.steps),
    })
}

impl Ensembled {
    /// The run as a result: an interrupted or diverged run (or baseline) is an error naming what
    /// was kept.
    pub fn result(&self) -> anyhow::Result<()> {
        let out = &self.out;
        if self.end == End::Interrupted {
            return Err(anyhow::Error::new(crate::error::Interrupted(format!(
                "interrupted after {} ({} of {} complete, {}); kept in {}: {}",
                count(self.steps, "step"),
                self.epochs_completed,
                count(self.epochs, "epoch"),
                count(self.snapshots, "snapshot"),
                out.display(),
                self.files.join(", ")
            ))));
        }
        if let End::NonFinite { step, lr, loss } = self.end {
            bail!(
                "training diverged: the loss became {loss} at step {step} (epoch {}, lr {lr}) after {}; the logs and snapshots in {} are kept. Try a lower --lr, or run `lrtool find-lr` to pick one",
                step as usize / self.steps_per_epoch + 1,
                count(self.snapshots, "snapshot"),
                out.display()
            );
        }
        match self.baseline_end {
            Some(End::NonFinite { step, lr, loss }) => bail!(
                "the baseline diverged: its loss became {loss} at step {step} (lr {lr}); the snapshot results in {} are complete. Try a lower --lr or another --baseline-schedule",
                out.display()
            ),
            Some(End::Interrupted) => Err(anyhow::Error::new(crate::error::Interrupted(format!(
                "interrupted during the baseline after {}; the snapshot results in {} are complete",
                count(self.baseline_steps, "step"),
                out.display()
            )))),
            _ => Ok(()),
        }
    }
}

/// Whole epochs as integers, fractions with two decimals.
fn fmt_epoch(e: f64) -> String {
    if e.fract() == 0.0 {
        format!("{e}")
    } else {
        format!("{e:.2}")
    }
}

/// How many steps of `0..total` end a cycle (counting stops past [`MAX_SNAPSHOTS`]).
fn count_cycle_ends(schedule: &Schedule, total: u64) -> usize {
    let mut n = 0;
    for t in 0..total {
        if schedule.is_cycle_end(t) {
            n += 1;
            if n > MAX_SNAPSHOTS {
                break;
            }
        }
    }
    n
}

/// The LR per step with the snapshots marked (top), each snapshot's and the running ensemble's
/// validation accuracy or R² (middle), and the validation loss of the ensembles of the last m
/// against m, with the baseline (bottom).
fn ensemble_svg(
    history: &History,
    records: &[SnapshotRecord],
    ensembles: &[EnsembleResult],
    baseline: Option<&BaselineRun>,
    task: Task,
    schedule: &Schedule,
) -> anyhow::Result<String> {
    let quality = match task {
        Task::Classify => "validation accuracy",
        Task::Regress => "validation R²",
    };
    let lr_points: Vec<(f64, f64)> = history
        .steps
        .iter()
        .map(|s| (s.step as f64, s.lr))
        .collect();
    let lr_max = lr_points.iter().map(|p| p.1).fold(0.0f64, f64::max);
    // a short tick above the curve at every snapshot (the LR jumps back up right after it)
    let mut marks = Vec::with_capacity(records.len() * 3);
    for r in records {
        marks.extend([
            (r.step as f64, lr_max * 1.04),
            (r.step as f64, lr_max * 1.12),
            (f64::NAN, f64::NAN),
        ]);
    }
    let mut title = schedule.describe();
    if title.chars().count() > 90 {
        title = format!("{}…", title.chars().take(88).collect::<String>());
    }
    let last_k = records.last().map_or(1, |r| r.k) as f64;
    let flat = |label: String, from: f64, to: f64, v: f64| Series {
        label,
        points: vec![(from, v), (to, v)],
    };
    let mut per_snapshot = vec![
        Series {
            label: "snapshot k alone".into(),
            points: records
                .iter()
                .map(|r| (r.k as f64, r.single.metric))
                .collect(),
        },
        Series {
            label: "ensemble of the last m up to k".into(),
            points: records
                .iter()
                .map(|r| (r.k as f64, r.ensemble.metric))
                .collect(),
        },
    ];
    let last_m = ensembles.last().map_or(1, |e| e.m) as f64;
    let mut by_m = vec![Series {
        label: "ensemble of the last m snapshots".into(),
        points: ensembles
            .iter()
            .map(|e| (e.m as f64, e.metrics.loss))
            .collect(),
    }];
    if let Some((b, m)) = baseline.and_then(|b| b.metrics.map(|m| (b, m))) {
        let label = format!("baseline ({}, same steps)", b.schedule.name());
        per_snapshot.push(flat(label.clone(), 1.0, last_k, m.metric));
        by_m.push(flat(label, 1.0, last_m, m.loss));
    }
    let panels = [
        Panel {
            title: format!("Learning rate and snapshots: {title}"),
            x_label: "step".into(),
            y_label: "learning rate".into(),
            series: vec![
                Series {
                    label: "lr".into(),
                    points: lr_points,
                },
                Series {
                    label: format!("snapshot (k = 1…{})", records.len()),
                    points: marks,
                },
            ],
            x_integer: true,
            ..Panel::default()
        },
        Panel {
            title: "Each snapshot alone and the ensemble at that point".into(),
            x_label: "snapshot k".into(),
            y_label: quality.into(),
            series: per_snapshot,
            x_integer: true,
            ..Panel::default()
        },
        Panel {
            title: "Validation loss of the ensemble of the last m snapshots (uniform average)"
                .into(),
            x_label: "m (snapshots averaged)".into(),
            y_label: match task {
                Task::Classify => "validation cross-entropy".into(),
                Task::Regress => "validation MSE".into(),
            },
            x_scale: Scale::Linear,
            series: by_m,
            x_integer: true,
            ..Panel::default()
        },
    ];
    render_svg(&panels, 900, 320)
}

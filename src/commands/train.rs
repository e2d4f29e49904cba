//! `lrtool train`: train under a schedule, then write the final weights, the summary and plots.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use serde_json::{Value, json};

use crate::commands::common::{self, History, fmt_num, json_text, metric_name, print_stdout};
use crate::config::{DataConfig, ModelConfig, OptimConfig, OutputConfig, RunConfig, RunSpec};
use crate::data::{Batcher, Dataset, Splits};
use crate::linalg;
use crate::nn::Mlp;
use crate::observers::{
    CsvLog, EarlyStopSettings, EarlyStopping, EpochColumns, Progress, SwaAverage,
};
use crate::output::Layout;
use crate::words::count;

/// What a run of `train` may write in its folder.
pub const OUTPUTS: [&str; 10] = [
    "steps.csv",
    "epochs.csv",
    "init.safetensors",
    "model.safetensors",
    "model-swa.safetensors",
    "loss.svg",
    "lr.svg",
    "summary.json",
    "timing.json",
    "report.html",
];
use crate::report::format::{EpochLine, epoch_lines, skipped_epochs_text};
use crate::report::records::{
    EarlyStopFacts, EpochFacts, LrCut, SwaFacts, TrainConfig, TrainResult, TrainSummary,
};
use crate::schedule::{LrPlan, Schedule, SwaSettings};
use crate::train::{self, End, FitOutcome, FitSettings, LrPolicy, Monitor, Observer, PlateauRun};

/// `lrtool train`: [`plan`], [`execute`], print the report, and make a diverged or interrupted
/// run an error (exit code 1 or 130).
pub fn run(spec: &RunSpec) -> anyhow::Result<()> {
    let trained = execute(plan(spec)?)?;
    let Trained {
        outcome,
        out,
        files,
        steps_per_epoch,
        epochs,
        summary,
        report,
    } = trained;
    if spec.output.json {
        print_stdout(&common::json_with_folder(&summary, &out))?;
    } else if !spec.output.quiet {
        print_stdout(&report)?;
    }
    if outcome.end == End::Interrupted {
        let kept: Vec<String> = files
            .iter()
            .map(|&f| match f {
                "steps.csv" => format!("steps.csv ({})", count(outcome.steps, "row")),
                "epochs.csv" => format!("epochs.csv ({})", count(outcome.epochs.len(), "row")),
                "model.safetensors" if spec.early_stop.is_some_and(|e| e.restore_best) => {
                    "model.safetensors (the best epoch's weights, --restore-best)".into()
                }
                "model.safetensors" => "model.safetensors (the weights after the last step)".into(),
                "summary.json" => "summary.json (\"interrupted\": true)".into(),
                f => f.to_string(),
            })
            .collect();
        return Err(anyhow::Error::new(crate::error::Interrupted(format!(
            "interrupted after {} ({} of {} complete); kept in {}: {}",
            count(outcome.steps, "step"),
            outcome.epochs.len(),
            count(epochs, "epoch"),
            out.display(),
            kept.join(", ")
        ))));
    }
    if let End::NonFinite { step, lr, loss } = outcome.end {
        bail!(
            "training diverged: the loss became {loss} at step {step} (epoch {}, lr {lr}); the logs in {} are kept. Try a lower --lr, or run `lrtool find-lr` to pick one",
            step as usize / steps_per_epoch + 1,
            out.display()
        );
    }
    Ok(())
}

/// A training run validated and ready: configuration checked, data loaded and split, model and
/// schedule built. Nothing has been written yet.
pub struct Planned {
    started: Instant,
    pub data_cfg: DataConfig,
    pub model_cfg: ModelConfig,
    pub optim_cfg: OptimConfig,
    pub run_cfg: RunConfig,
    pub out_cfg: OutputConfig,
    pub dataset: Dataset,
    pub splits: Splits,
    pub model: Mlp,
    pub steps_per_epoch: usize,
    pub total_steps: u64,
    /// The schedule, or the feedback policy (`--schedule plateau`).
    pub schedule: LrPlan,
    pub monitor: Monitor,
    pub early_stop: Option<EarlyStopSettings>,
    /// `--swa-start`: the SWA phase's LR and the weight average.
    pub swa: Option<SwaSettings>,
}

/// What the loop follows during the run: a schedule, or a plateau policy with its counters.
enum Following {
    Schedule(Schedule),
    Plateau(PlateauRun),
}

impl Following {
    fn policy(&mut self) -> LrPolicy<'_> {
        match self {
            Following::Schedule(s) => LrPolicy::Schedule(s),
            Following::Plateau(r) => LrPolicy::Feedback(r),
        }
    }
}

/// What one training run did: the loop's outcome and the files it wrote into `out`. A diverged
/// or interrupted run is an outcome here, not an error (`run` turns it into one).
pub struct Trained {
    pub outcome: FitOutcome,
    pub out: PathBuf,
    pub files: Vec<&'static str>,
    pub steps_per_epoch: usize,
    /// Epochs asked for.
    pub epochs: usize,
    /// summary.json's content.
    pub summary: Value,
    /// The report `lrtool train` prints (empty with --quiet or --json).
    pub report: String,
}

/// Load the data and build the model and the schedule of `spec`; every input error surfaces
/// here, before any file is written.
pub fn plan(spec: &RunSpec) -> anyhow::Result<Planned> {
    let started = Instant::now();
    let RunSpec {
        data: data_cfg,
        model: model_cfg,
        optim: optim_cfg,
        run: run_cfg,
        schedule: schedule_spec,
        monitor,
        early_stop,
        swa,
        output: out_cfg,
        ..
    } = spec.clone();

    let common::Prepared {
        dataset,
        splits,
        model,
        steps_per_epoch,
        total_steps,
    } = common::prepare(spec)?;
    let schedule =
        schedule_spec.build_plan(run_cfg.lr, steps_per_epoch, total_steps, monitor.mode)?;
    let listener = match (&schedule, early_stop) {
        (LrPlan::Plateau(_), _) => Some("--schedule plateau"),
        (_, Some(_)) => Some("--early-stop"),
        _ => None,
    };
    if let Some(listener) = listener {
        check_monitor(monitor, listener, &splits, dataset.task(), spec)?;
    }
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
        monitor,
        early_stop,
        swa,
    })
}

/// The monitored quantity must be measurable in this run: validation data for `val_*`, and a
/// classification task for `val_acc`.
fn check_monitor(
    monitor: Monitor,
    listener: &str,
    splits: &Splits,
    task: crate::data::Task,
    spec: &RunSpec,
) -> anyhow::Result<()> {
    let q = monitor.quantity.name();
    if monitor.quantity.needs_validation() && splits.val.is_empty() {
        crate::input_bail!(
            "--monitor {q}: {listener} watches it after every epoch, but there is no validation data (--val-split {}); give a --val-split above 0 or --monitor train_loss",
            spec.data.val_split
        );
    }
    if monitor.quantity == train::Quantity::ValAcc && task != crate::data::Task::Classify {
        crate::input_bail!(
            "--monitor val_acc: this is a regression task (no accuracy); use --monitor val_loss or train_loss"
        );
    }
    Ok(())
}

/// Train as planned and write the output folder (logs, weights, plots, summary, timing).
pub fn execute(planned: Planned) -> anyhow::Result<Trained> {
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
        monitor,
        early_stop,
        swa,
    } = planned;
    let task = dataset.task();
    let mut batcher = Batcher::new(
        &splits.train,
        run_cfg.batch_size,
        data_cfg.shuffle,
        run_cfg.seed,
    );
    common::check_run_inputs(&out_cfg.out, &data_cfg, &model_cfg)?;
    crate::interrupt::install();
    let mut out = common::out_dir(&out_cfg, "train", Layout::outputs(&OUTPUTS))?;
    // the initial weights, for `lrtool landscape --from init`
    let init_meta = common::weights_metadata(&model, &dataset, &splits);
    out.write_atomic(
        "init.safetensors",
        &crate::weights::to_bytes(&model, &init_meta),
    )?;
    let mut optimizer = optim_cfg.build(&model);
    let mut log = CsvLog::new(
        out.create("steps.csv")?,
        out.create("epochs.csv")?,
        EpochColumns(task),
        None,
    )?;
    let mut history = History::with_capacity(total_steps as usize);
    let mut progress = Progress::new(total_steps, out_cfg.quiet || out_cfg.json);
    let threads = linalg::gemm::run_threads(run_cfg.threads, &model.sizes(), run_cfg.batch_size);
    let schedule_json = serde_json::to_value(&schedule)?;
    let mut following = match schedule {
        LrPlan::Schedule(s) => Following::Schedule(s),
        LrPlan::Plateau(p) => Following::Plateau(PlateauRun::new(p, monitor.quantity)),
    };
    let mut early = early_stop.map(|s| EarlyStopping::new(monitor, s));
    let mut average = swa.map(|s| SwaAverage::new(s.start_epoch as usize, &model));
    let outcome = linalg::gemm::with_threads(threads, || {
        let mut observers: Vec<&mut dyn Observer> = vec![&mut log, &mut history, &mut progress];
        if let Some(e) = early.as_mut() {
            observers.push(e);
        }
        // the average hears the epoch after the logs, as PyTorch's recipe updates it after the
        // epoch's training
        if let Some(a) = average.as_mut() {
            observers.push(a);
        }
        let policy = match swa {
            Some(s) => LrPolicy::Swa {
                base: Box::new(following.policy()),
                phase: s.lr_phase(steps_per_epoch),
            },
            None => following.policy(),
        };
        train::fit_with(
            &mut model,
            &mut optimizer,
            policy,
            &splits,
            &mut batcher,
            FitSettings {
                epochs: run_cfg.epochs,
                max_steps: None,
                validate: true,
            },
            &mut observers,
        )
    })?;
    drop(log);

    let metric = metric_name(task);
    let last = outcome.epochs.last();
    let best = outcome
        .epochs
        .iter()
        .filter(|e| e.val_loss.is_some())
        .min_by(|a, b| {
            a.val_loss
                .partial_cmp(&b.val_loss)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    let status = common::end_status(&outcome.end);
    let interrupted = outcome.end == End::Interrupted;
    let classify = task == crate::data::Task::Classify;
    let epoch_facts = |e: Option<&train::EpochReport>| {
        e.map(|e| {
            let acc_r2 = |v: Option<f64>| {
                if classify {
                    (Some(v), None)
                } else {
                    (None, Some(v))
                }
            };
            let (train_acc, train_r2) = acc_r2(Some(e.train_metric));
            let (val_acc, val_r2) = acc_r2(e.val_metric);
            EpochFacts {
                epoch: e.epoch as u64,
                train_acc,
                train_loss: Some(e.train_loss),
                train_r2,
                val_acc,
                val_loss: e.val_loss,
                val_r2,
            }
        })
    };
    let mut files = vec!["steps.csv", "epochs.csv", "init.safetensors"];
    // --restore-best: the best epoch's weights are the run's result (Keras 3 restores them at
    // the end of training, stopped early or not)
    let best_weights = early.as_ref().and_then(|e| e.best_weights());
    if !matches!(outcome.end, End::NonFinite { .. }) {
        let meta = common::weights_metadata(&model, &dataset, &splits);
        let written = best_weights.unwrap_or(&model);
        out.write_atomic(
            "model.safetensors",
            &crate::weights::to_bytes(written, &meta),
        )?;
        files.push("model.safetensors");
    }
    let swa_facts = average
        .as_ref()
        .map(|a| swa_facts(a, &splits, classify))
        .transpose()?;
    if let Some(avg) = average.as_ref().and_then(SwaAverage::model) {
        let meta = common::weights_metadata(avg, &dataset, &splits);
        out.write_atomic(
            "model-swa.safetensors",
            &crate::weights::to_bytes(avg, &meta),
        )?;
        files.push("model-swa.safetensors");
    }
    out.write_atomic(
        "loss.svg",
        common::loss_curves_svg(&history, task, steps_per_epoch)?.as_bytes(),
    )?;
    out.write_atomic("lr.svg", common::lr_svg(&history)?.as_bytes())?;
    files.extend(["loss.svg", "lr.svg", "summary.json", "timing.json"]);
    if out_cfg.report {
        files.push(crate::report::html::FILE);
    }
    let rows_seen = history.rows_seen;
    let samples_per_s = rows_seen as f64 / outcome.seconds.max(1e-9);
    let typed = TrainSummary {
        command: "train".into(),
        config: TrainConfig {
            data: common::data_settings(&data_cfg),
            model: common::model_settings(&model_cfg),
            optimizer: serde_json::to_value(&optim_cfg)?,
            run: common::run_settings(&run_cfg),
            schedule: schedule_json,
            swa,
            early_stopping: early_stop,
            monitor: (early_stop.is_some() || matches!(following, Following::Plateau(_)))
                .then_some(monitor),
        },
        dataset: common::dataset_facts(&dataset, &splits),
        files: files.iter().map(|f| f.to_string()).collect(),
        interrupted,
        lrtool_version: env!("CARGO_PKG_VERSION").into(),
        model: common::model_facts(&model, &model_cfg),
        result: TrainResult {
            best_val_loss: epoch_facts(best),
            early_stopping: early.as_ref().map(|e| EarlyStopFacts {
                best_epoch: e.best.map(|b| b.1 as u64),
                best_value: e.best.map(|b| b.0),
                monitor: monitor.quantity.name().into(),
                restored_best: best_weights.is_some()
                    && !matches!(outcome.end, End::NonFinite { .. }),
                stopped_epoch: e.stopped_epoch.map(|x| x as u64),
            }),
            end: status,
            epochs_completed: outcome.epochs.len() as u64,
            last: epoch_facts(last),
            lr_cuts: match &following {
                Following::Plateau(r) => Some(
                    r.cuts
                        .iter()
                        .map(|&(epoch, lr)| LrCut {
                            epoch: epoch as u64,
                            lr,
                        })
                        .collect(),
                ),
                Following::Schedule(_) => None,
            },
            steps: outcome.steps,
            swa: swa_facts.clone(),
        },
        // wall-clock: the only values that differ between two runs of the same command
        samples_per_s,
        steps_per_epoch: steps_per_epoch as u64,
        train_s: outcome.seconds,
    };
    let summary = serde_json::to_value(&typed)?;
    out.write_atomic("summary.json", json_text(&summary).as_bytes())?;
    let timing = json!({
        "note": common::TIMING_NOTE,
        "total_seconds": started.elapsed().as_secs_f64(),
        "fit_seconds": outcome.seconds,
        "train_s": outcome.seconds,
        "samples_per_s": samples_per_s,
        "threads": threads,
        "epoch_seconds": outcome.epochs.iter().map(|e| e.seconds).collect::<Vec<_>>(),
    });
    out.write_atomic("timing.json", json_text(&timing).as_bytes())?;
    if out_cfg.report {
        crate::report::html::write(&mut out)?;
    }

    let mut text = String::new();
    if !(out_cfg.json || out_cfg.quiet) {
        text = format!(
            "lrtool train: {}, {} lr {}, {} × {}\n",
            common::run_headline(&dataset, &splits, &model),
            optim_cfg.name(),
            run_cfg.lr,
            count(run_cfg.epochs, "epoch"),
            count(steps_per_epoch, "step"),
        );
        text.push_str(&format!(
            "{:>6}  {:>10}  {:>10}  {:>10}  {:>10}\n",
            "epoch",
            "train_loss",
            format!("train_{metric}"),
            "val_loss",
            format!("val_{metric}")
        ));
        // every epoch of a short run; of a long one, a line says where rows are left out
        for line in epoch_lines(outcome.epochs.len()) {
            let e = match line {
                EpochLine::Row(i) => &outcome.epochs[i],
                EpochLine::Skipped(count) => {
                    text.push_str(&skipped_epochs_text(count));
                    text.push('\n');
                    continue;
                }
            };
            text.push_str(&format!(
                "{:>6}  {:>10}  {:>10}  {:>10}  {:>10}\n",
                e.epoch,
                fmt_num(Some(e.train_loss)),
                fmt_num(Some(e.train_metric)),
                fmt_num(e.val_loss),
                fmt_num(e.val_metric)
            ));
        }
        if let Some(b) = best {
            text.push_str(&format!(
                "best validation loss {} at epoch {} (val_{metric} {})\n",
                fmt_num(b.val_loss),
                b.epoch,
                fmt_num(b.val_metric)
            ));
        }
        if let Following::Plateau(r) = &following {
            let cuts: Vec<String> = r
                .cuts
                .iter()
                .map(|(e, lr)| format!("{} after epoch {e}", fmt_num(Some(*lr))))
                .collect();
            text.push_str(&format!(
                "plateau on {}: {}\n",
                monitor.quantity.name(),
                if cuts.is_empty() {
                    "the LR was never cut".to_string()
                } else {
                    format!("LR cut to {}", cuts.join(", "))
                }
            ));
        }
        if let (Some(s), Some(f)) = (swa, &swa_facts) {
            text.push_str(&swa_line(&s, f, metric, best_final_val(last)));
        }
        if let End::Stopped { reason } = &outcome.end {
            text.push_str(&format!("stopped: {reason}\n"));
        }
        if let Some((v, epoch)) = early
            .as_ref()
            .filter(|_| best_weights.is_some())
            .and_then(|e| e.best)
        {
            text.push_str(&format!(
                "model.safetensors holds the weights of epoch {epoch} (best {} {}, --restore-best)\n",
                monitor.quantity.name(),
                fmt_num(Some(v))
            ));
        }
        text.push_str(&format!(
            "wrote {}: {} ({:.2} s, {:.0} samples/s)\n",
            out.path().display(),
            out.written().join(", "),
            started.elapsed().as_secs_f64(),
            rows_seen as f64 / outcome.seconds.max(1e-9)
        ));
    }
    Ok(Trained {
        outcome,
        out: out.path().to_path_buf(),
        files,
        steps_per_epoch,
        epochs: run_cfg.epochs,
        summary,
        report: text,
    })
}

/// The SWA model's facts: which epochs it averages and its loss and metric on both splits.
/// Scored as `lrtool evaluate` and `snapshot-ensemble` score a model (the same numbers
/// `evaluate --model model-swa.safetensors` prints).
fn swa_facts(
    average: &SwaAverage,
    splits: &crate::data::Splits,
    classify: bool,
) -> anyhow::Result<SwaFacts> {
    let keys = |v: Option<f64>| {
        if classify {
            (Some(v), None)
        } else {
            (None, Some(v))
        }
    };
    let score = |m: &crate::nn::Mlp, part: &crate::data::Part| -> anyhow::Result<(f64, f64)> {
        let p = crate::ensemble::predict(m, part.x.view(), classify)?;
        let r = crate::ensemble::metrics(&p, part.targets())?;
        Ok((r.loss, r.metric))
    };
    let (train, val) = match average.model() {
        Some(m) => {
            let train = score(m, &splits.train)?;
            let val = if splits.val.is_empty() {
                None
            } else {
                Some(score(m, &splits.val)?)
            };
            (Some(train), val)
        }
        None => (None, None),
    };
    let (train_acc, train_r2) = keys(train.map(|t| t.1));
    let (val_acc, val_r2) = keys(val.map(|v| v.1));
    Ok(SwaFacts {
        epochs_averaged: average.n_averaged,
        first_epoch: average.first_epoch.map(|e| e as u64),
        last_epoch: average.last_epoch.map(|e| e as u64),
        train_acc,
        train_loss: train.map(|t| t.0),
        train_r2,
        val_acc,
        val_loss: val.map(|v| v.0),
        val_r2,
    })
}

/// The final epoch's validation loss and metric, for the comparison with the SWA model.
fn best_final_val(last: Option<&train::EpochReport>) -> Option<(f64, f64)> {
    last.and_then(|e| Some((e.val_loss?, e.val_metric?)))
}

/// The terminal's line about the SWA model.
fn swa_line(s: &SwaSettings, f: &SwaFacts, metric: &str, last: Option<(f64, f64)>) -> String {
    let Some(first) = f.first_epoch else {
        return format!(
            "SWA: no epoch averaged (the run ended before --swa-start {}); no model-swa.safetensors\n",
            s.start_epoch
        );
    };
    let mut text = format!(
        "SWA model (mean of the weights after epochs {first}…{}, {}; SWALR to {} over {}, {}): val_loss {}, val_{metric} {}",
        f.last_epoch.unwrap_or(first),
        count(f.epochs_averaged, "set"),
        fmt_num(Some(s.swa_lr)),
        count(s.anneal_epochs, "epoch"),
        s.anneal.name(),
        fmt_num(f.val_loss),
        fmt_num(f.val_metric()),
    );
    if let Some((loss, m)) = last {
        text.push_str(&format!(
            " (final model: {}, {})",
            fmt_num(Some(loss)),
            fmt_num(Some(m))
        ));
    }
    text.push('\n');
    text
}

//! The one training loop every command runs: epochs of mini-batches, the learning rate taken from
//! the schedule at every step, reports handed to read-only observers, validation after each epoch.
//!
//! A non-finite training loss ends the loop with `End::NonFinite`; what that means (an error for
//! `train`, the normal end of a range test) is the caller's business. A signal (see
//! [`crate::interrupt`]) ends it with `End::Interrupted` after the step in progress.

pub mod observer;

pub use observer::{Control, EpochReport, Observer, StepReport};

use std::time::Instant;

use crate::data::{Batcher, Part, Splits, Target, Task};
use crate::nn::{Grads, LossSums, Mlp, Workspace};
use crate::optim::{Optimizer, StepParams};
use crate::schedule::{RangeTest, Schedule};

/// What the loop asks of a learning-rate policy at every step: a user's [`Schedule`], or the
/// range test's sweep.
pub trait LrSchedule {
    /// The LR of the `step`-th update (0-based).
    fn lr(&self, step: u64) -> f64;
    /// Momentum (SGD) or β1 (Adam) at `step` when the policy cycles it.
    fn momentum(&self, step: u64) -> Option<f64> {
        let _ = step;
        None
    }
}

impl LrSchedule for Schedule {
    fn lr(&self, step: u64) -> f64 {
        Schedule::lr(self, step)
    }
    fn momentum(&self, step: u64) -> Option<f64> {
        Schedule::momentum(self, step)
    }
}

impl LrSchedule for RangeTest {
    fn lr(&self, step: u64) -> f64 {
        RangeTest::lr(self, step)
    }
}

/// How long to train.
#[derive(Debug, Clone, Copy)]
pub struct FitSettings {
    pub epochs: usize,
    /// Stop after this many steps even inside an epoch (range tests).
    pub max_steps: Option<u64>,
    /// Evaluate the validation split after each epoch.
    pub validate: bool,
}

/// Why the loop ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// All epochs (or `max_steps`) done.
    Completed,
    /// An observer asked to stop.
    Stopped { reason: String },
    /// The training loss at `step` was not finite; the step was not applied.
    NonFinite { step: u64, lr: f64, loss: f64 },
    /// Ctrl-C or SIGTERM: the step in progress was finished (and reported), no later one began.
    Interrupted,
}

/// What the loop did.
#[derive(Debug, Clone)]
pub struct FitOutcome {
    pub end: End,
    /// Optimizer updates applied.
    pub steps: u64,
    /// Epoch reports, one per completed epoch.
    pub epochs: Vec<EpochReport>,
    /// Wall-clock seconds spent in the loop.
    pub seconds: f64,
}

/// Quality of predictions beside the loss: accuracy for classification, R² for regression.
pub fn metric(task: Task, sums: &LossSums, sst: f64) -> f64 {
    match task {
        Task::Classify => sums.accuracy(),
        Task::Regress => {
            if sst > 0.0 {
                1.0 - sums.loss_sum / sst
            } else {
                f64::NAN
            }
        }
    }
}

/// Total sum of squares of a regression target around its mean (0 for classification).
pub fn total_sum_of_squares(part: &Part) -> f64 {
    match &part.y {
        Target::Values(v) => {
            let n = v.len().max(1) as f64;
            let mean = v.iter().map(|&y| y as f64).sum::<f64>() / n;
            v.iter().map(|&y| (y as f64 - mean).powi(2)).sum()
        }
        Target::Classes { .. } => 0.0,
    }
}

/// Loss and metric of `model` on a whole split.
pub fn evaluate(model: &Mlp, part: &Part, ws: &mut Workspace) -> (f64, f64) {
    let task = match part.y {
        Target::Classes { .. } => Task::Classify,
        Target::Values(_) => Task::Regress,
    };
    let sums = model.evaluate(part.x.view(), part.targets(), ws);
    (
        sums.mean_loss(),
        metric(task, &sums, total_sum_of_squares(part)),
    )
}

/// Train `model` on `splits.train`.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    model: &mut Mlp,
    optimizer: &mut Optimizer,
    schedule: &dyn LrSchedule,
    splits: &Splits,
    batcher: &mut Batcher,
    settings: FitSettings,
    observers: &mut [&mut dyn Observer],
) -> anyhow::Result<FitOutcome> {
    let task = match splits.train.y {
        Target::Classes { .. } => Task::Classify,
        Target::Values(_) => Task::Regress,
    };
    let mut ws = Workspace::new(model, batcher.batch_size());
    let mut eval_ws = Workspace::new(model, 1024);
    let mut grads = Grads::zeros_like(model);
    let steps_per_epoch = batcher.steps_per_epoch();
    let base_momentum = optimizer.base_momentum();
    let started = Instant::now();
    let mut step: u64 = 0;
    let mut epochs = Vec::new();
    let mut end = End::Completed;

    'epochs: for epoch in 1..=settings.epochs {
        let epoch_started = Instant::now();
        batcher.start_epoch();
        let mut sums = LossSums::default();
        let mut y_sum = 0.0f64;
        let mut y_sq = 0.0f64;
        let mut lr = schedule.lr(step);
        for b in 0..steps_per_epoch {
            if settings.max_steps.is_some_and(|m| step >= m) {
                break 'epochs;
            }
            lr = schedule.lr(step);
            let momentum = schedule.momentum(step);
            let (x, targets) = batcher.batch(&splits.train, b);
            if let crate::nn::Targets::Values(v) = targets {
                for &y in v {
                    y_sum += y as f64;
                    y_sq += (y as f64) * (y as f64);
                }
            }
            let batch = model.loss_and_grad(x, targets, &mut ws, &mut grads);
            let loss = batch.mean_loss();
            if !loss.is_finite() {
                end = End::NonFinite { step, lr, loss };
                break 'epochs;
            }
            // the update is shared with the thread team only when the step's products were:
            // otherwise its tensors would move between cores for nothing (docs/performance.md)
            let products_split = model
                .layers
                .iter()
                .any(|l| crate::nn::gemm::splits(batch.rows, l.fan_in(), l.fan_out()));
            let params = StepParams { lr, momentum };
            if products_split {
                optimizer.step(model, &grads, params);
            } else {
                crate::nn::team::serial(|| optimizer.step(model, &grads, params));
            }
            sums.add(batch);
            let report = StepReport {
                step,
                epoch,
                lr,
                momentum: momentum.unwrap_or(base_momentum),
                loss,
                rows: batch.rows,
            };
            step += 1;
            for obs in observers.iter_mut() {
                if let Control::Stop(reason) = obs.on_step(&report, model)? {
                    end = End::Stopped { reason };
                    break 'epochs;
                }
            }
            if crate::interrupt::requested() {
                end = End::Interrupted;
                break 'epochs;
            }
        }
        let train_sst = y_sq - y_sum * y_sum / sums.rows.max(1) as f64;
        let (val_loss, val_metric) = if settings.validate && !splits.val.is_empty() {
            let (l, m) = evaluate(model, &splits.val, &mut eval_ws);
            (Some(l), Some(m))
        } else {
            (None, None)
        };
        let report = EpochReport {
            epoch,
            steps: step,
            lr,
            train_loss: sums.mean_loss(),
            train_metric: metric(task, &sums, train_sst),
            val_loss,
            val_metric,
            seconds: epoch_started.elapsed().as_secs_f64(),
        };
        let mut stop = None;
        for obs in observers.iter_mut() {
            if let Control::Stop(reason) = obs.on_epoch(&report, model)? {
                stop = Some(reason);
            }
        }
        epochs.push(report);
        if let Some(reason) = stop {
            end = End::Stopped { reason };
            break;
        }
    }
    let outcome = FitOutcome {
        end,
        steps: step,
        epochs,
        seconds: started.elapsed().as_secs_f64(),
    };
    for obs in observers.iter_mut() {
        obs.on_finish(&outcome, model)?;
    }
    Ok(outcome)
}

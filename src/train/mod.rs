//! The one training loop every command runs: epochs of mini-batches, the learning rate taken from
//! the schedule at every step, reports handed to read-only observers, validation after each epoch.
//!
//! A non-finite training loss ends the loop with `End::NonFinite`; what that means (an error for
//! `train`, the normal end of a range test) is the caller's business. A signal (see
//! [`crate::interrupt`]) ends it with `End::Interrupted` after the step in progress.

pub mod feedback;
pub mod observer;

pub use feedback::{Monitor, PlateauRun, Quantity};
pub use observer::{Control, EpochReport, Observer, StepReport};

use std::time::Instant;

use crate::data::{Batcher, Part, Splits, Target, Task};
use crate::nn::{Grads, LossSums, Mlp, Targets, Workspace};
use crate::optim::{Optimizer, StepParams};
use crate::schedule::{RangeTest, Schedule, SwaLr};

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

/// The learning rate the loop follows: a pure schedule of the step, or a feedback policy that
/// the loop informs after each epoch's validation (and before the observers hear the epoch).
pub enum LrPolicy<'a> {
    Schedule(&'a dyn LrSchedule),
    Feedback(&'a mut PlateauRun),
    /// Stochastic weight averaging: `base` up to the SWA phase, then PyTorch's SWALR (once per
    /// epoch) from the LR `base` gives the first SWA step. The base hears the epochs before the
    /// switch and nothing after it, so a feedback base's LR at the switch stays fixed; the
    /// momentum stays at the base's value at the switch (SWALR sets only the LR).
    Swa {
        base: Box<LrPolicy<'a>>,
        phase: SwaLr,
    },
}

impl LrPolicy<'_> {
    /// The LR of the `step`-th update (0-based).
    pub fn lr(&self, step: u64) -> f64 {
        match self {
            LrPolicy::Schedule(s) => s.lr(step),
            LrPolicy::Feedback(f) => f.lr(step),
            LrPolicy::Swa { base, phase } => {
                if phase.is_active(step) {
                    phase.lr(base.lr(phase.switch_step()), step)
                } else {
                    base.lr(step)
                }
            }
        }
    }

    /// Momentum (SGD) or β1 (Adam) at `step` when the policy cycles it.
    pub fn momentum(&self, step: u64) -> Option<f64> {
        match self {
            LrPolicy::Schedule(s) => s.momentum(step),
            LrPolicy::Feedback(_) => None,
            LrPolicy::Swa { base, phase } => base.momentum(step.min(phase.switch_step())),
        }
    }

    /// Hear one finished epoch (after validation).
    pub fn inform(&mut self, report: &EpochReport) -> anyhow::Result<()> {
        match self {
            LrPolicy::Schedule(_) => Ok(()),
            LrPolicy::Feedback(f) => f.inform(report),
            LrPolicy::Swa { base, phase } => {
                if report.steps <= phase.switch_step() {
                    base.inform(report)
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Rows the validation split is evaluated at a time.
pub const EVAL_ROWS: usize = 1024;

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

/// What one training step did.
#[derive(Debug)]
pub enum StepResult<'b> {
    /// The update was applied; `sums` are the batch's loss sums (before the update), `targets`
    /// the batch's targets.
    Applied {
        sums: LossSums,
        targets: Targets<'b>,
    },
    /// The batch's mean loss was not finite: the update was not applied.
    NonFinite { loss: f64 },
}

/// One whole training step on mini-batch `b` of `part` (the batcher's epoch already started):
/// gather the batch, forward, loss, backward, then — when the mean loss is finite — the
/// optimizer's update with `params`. Allocates nothing once the buffers are warm.
#[allow(clippy::too_many_arguments)]
pub fn step<'b>(
    model: &mut Mlp,
    optimizer: &mut Optimizer,
    part: &Part,
    batcher: &'b mut Batcher,
    b: usize,
    ws: &mut Workspace,
    grads: &mut Grads,
    params: StepParams,
) -> StepResult<'b> {
    let (x, targets) = batcher.batch(part, b);
    let sums = model.loss_and_grad(x, targets, ws, grads);
    let loss = sums.mean_loss();
    if !loss.is_finite() {
        return StepResult::NonFinite { loss };
    }
    optimizer.step_for_batch(model, grads, params, sums.rows);
    StepResult::Applied { sums, targets }
}

/// Train `model` on `splits.train` under a schedule of the step.
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
    fit_with(
        model,
        optimizer,
        LrPolicy::Schedule(schedule),
        splits,
        batcher,
        settings,
        observers,
    )
}

/// Train `model` on `splits.train` under `policy` (a schedule, or a feedback policy informed
/// after each epoch's validation).
#[allow(clippy::too_many_arguments)]
pub fn fit_with(
    model: &mut Mlp,
    optimizer: &mut Optimizer,
    mut policy: LrPolicy<'_>,
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
    let mut eval_ws = Workspace::new(model, EVAL_ROWS);
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
        let mut lr = policy.lr(step);
        for b in 0..steps_per_epoch {
            if settings.max_steps.is_some_and(|m| step >= m) {
                break 'epochs;
            }
            lr = policy.lr(step);
            let momentum = policy.momentum(step);
            let params = StepParams { lr, momentum };
            let batch = match self::step(
                model,
                optimizer,
                &splits.train,
                batcher,
                b,
                &mut ws,
                &mut grads,
                params,
            ) {
                StepResult::Applied { sums, targets } => {
                    if let Targets::Values(v) = targets {
                        for &y in v {
                            y_sum += y as f64;
                            y_sq += (y as f64) * (y as f64);
                        }
                    }
                    sums
                }
                StepResult::NonFinite { loss } => {
                    end = End::NonFinite { step, lr, loss };
                    break 'epochs;
                }
            };
            let loss = batch.mean_loss();
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
        policy.inform(&report)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{self, builtin};
    use crate::nn::{Activation, InitScheme};
    use crate::optim::{Adam, AdamConfig, Sgd, SgdConfig};
    use rand::SeedableRng;

    /// Iris (120 training rows: 8 batches of 16 per epoch), a 4-8-3 MLP and a fresh batcher.
    fn setup() -> (Splits, Mlp, Batcher) {
        let ds = builtin::load("iris").expect("a built-in").expect("loads");
        let splits = data::split(&ds, 0.2, true, 0).expect("splits");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let model = Mlp::new(&[4, 8, 3], Activation::Relu, InitScheme::Torch, &mut rng);
        let batcher = Batcher::new(&splits.train, 16, true, 5);
        (splits, model, batcher)
    }

    /// Every weight and bias as bits, in parameter order.
    fn bits(model: &Mlp) -> Vec<u32> {
        model
            .layers
            .iter()
            .flat_map(|l| l.weight.iter().chain(l.bias.iter()))
            .map(|v| v.to_bits())
            .collect()
    }

    struct Constant(f64);
    impl LrSchedule for Constant {
        fn lr(&self, _: u64) -> f64 {
            self.0
        }
    }

    /// 0.05 until `from`, then a LR so large that the next loss is not finite.
    struct Explodes {
        from: u64,
    }
    impl LrSchedule for Explodes {
        fn lr(&self, step: u64) -> f64 {
            if step < self.from { 0.05 } else { 1e30 }
        }
    }

    /// Records every report and the weights after every step.
    #[derive(Default)]
    struct Log {
        steps: Vec<StepReport>,
        epochs: Vec<EpochReport>,
        weights: Vec<Vec<u32>>,
        finished: bool,
    }
    impl Observer for Log {
        fn on_step(&mut self, report: &StepReport, model: &Mlp) -> anyhow::Result<Control> {
            self.steps.push(report.clone());
            self.weights.push(bits(model));
            Ok(Control::Continue)
        }
        fn on_epoch(&mut self, report: &EpochReport, _: &Mlp) -> anyhow::Result<Control> {
            self.epochs.push(report.clone());
            Ok(Control::Continue)
        }
        fn on_finish(&mut self, _: &FitOutcome, _: &Mlp) -> anyhow::Result<()> {
            self.finished = true;
            Ok(())
        }
    }

    fn settings(epochs: usize, max_steps: Option<u64>) -> FitSettings {
        FitSettings {
            epochs,
            max_steps,
            validate: true,
        }
    }

    #[test]
    fn observers_do_not_change_the_weights() {
        let run = |observers: &mut [&mut dyn Observer]| {
            let (splits, mut model, mut batcher) = setup();
            let mut opt = Optimizer::Adam(Adam::new(&model, AdamConfig::default()));
            let outcome = fit(
                &mut model,
                &mut opt,
                &Constant(0.01),
                &splits,
                &mut batcher,
                settings(3, None),
                observers,
            )
            .expect("fit");
            (model, outcome)
        };
        let (bare, bare_outcome) = run(&mut []);
        let (mut log, mut second) = (Log::default(), Log::default());
        let (logged, outcome) = run(&mut [&mut log, &mut second]);
        assert_eq!(bare_outcome.end, End::Completed);
        assert_eq!(outcome.end, End::Completed);
        assert_eq!(outcome.steps, 24);
        assert_eq!(bits(&bare), bits(&logged));
        assert_ne!(bits(&bare), log.weights[0], "training moved the weights");
        // every step was seen, in order, by every observer
        assert_eq!(log.steps.len(), 24);
        assert!(
            log.steps
                .iter()
                .enumerate()
                .all(|(i, r)| r.step == i as u64)
        );
        assert_eq!(log.steps, second.steps);
        assert_eq!(log.weights.last(), Some(&bits(&logged)));
        assert!(log.finished && second.finished);
        // the epoch reports (apart from the clock) are the same too
        let strip = |e: &[EpochReport]| -> Vec<EpochReport> {
            e.iter()
                .map(|r| EpochReport {
                    seconds: 0.0,
                    ..r.clone()
                })
                .collect()
        };
        assert_eq!(strip(&bare_outcome.epochs), strip(&log.epochs));
        assert_eq!(strip(&outcome.epochs), strip(&log.epochs));
    }

    #[test]
    fn a_non_finite_loss_ends_the_loop_before_its_update() {
        let (splits, mut model, mut batcher) = setup();
        let config = SgdConfig {
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        };
        let mut opt = Optimizer::Sgd(Sgd::new(&model, config));
        let mut log = Log::default();
        // step 10 (in the second epoch) uses the huge LR; the loss of step 11 is not finite
        let outcome = fit(
            &mut model,
            &mut opt,
            &Explodes { from: 10 },
            &splits,
            &mut batcher,
            settings(5, None),
            &mut [&mut log],
        )
        .expect("fit");
        match outcome.end {
            End::NonFinite { step, lr, loss } => {
                assert_eq!(step, 11);
                assert_eq!(lr, 1e30);
                assert!(!loss.is_finite());
            }
            ref other => panic!("ended with {other:?}"),
        }
        assert_eq!(outcome.steps, 11);
        assert_eq!(opt.steps_taken(), 11);
        assert_eq!(log.steps.len(), 11);
        assert_eq!(outcome.epochs.len(), 1, "the broken epoch is not reported");
        // the weights are those after step 10: step 11's update was not applied
        assert_eq!(log.weights.last(), Some(&bits(&model)));
        assert!(
            model
                .layers
                .iter()
                .all(|l| l.weight.iter().all(|v| v.is_finite()))
        );
        assert!(log.finished);
    }

    #[test]
    fn max_steps_stops_at_that_count() {
        for max in [0u64, 1, 7, 8, 11] {
            let (splits, mut model, mut batcher) = setup();
            let mut opt = Optimizer::Adam(Adam::new(&model, AdamConfig::default()));
            let mut log = Log::default();
            let outcome = fit(
                &mut model,
                &mut opt,
                &Constant(0.01),
                &splits,
                &mut batcher,
                settings(10, Some(max)),
                &mut [&mut log],
            )
            .expect("fit");
            assert_eq!(outcome.end, End::Completed, "max {max}");
            assert_eq!(outcome.steps, max);
            assert_eq!(opt.steps_taken(), max);
            assert_eq!(log.steps.len() as u64, max);
            // whole epochs of 8 steps that finished before the limit are reported
            assert_eq!(outcome.epochs.len() as u64, max / 8, "max {max}");
        }
    }
}

//! `Recorder`: the range test's observer. It records the curve (LR, raw and smoothed loss, rows
//! seen) of every step and applies the divergence rule to the smoothed loss, asking the loop to
//! stop when it fires (unless told to keep going). It never touches the model.

use crate::lr_finder::{DivergenceRule, Smoother};
use crate::nn::Mlp;
use crate::train::{Control, Observer, StepReport};

/// Records the curve, smooths it and applies the divergence rule.
pub struct Recorder {
    smoother: Smoother,
    rule: DivergenceRule,
    stop: bool,
    /// The LR of every recorded step.
    pub lrs: Vec<f64>,
    pub losses: Vec<f64>,
    pub smooth: Vec<f64>,
    /// The rows trained on so far.
    pub rows: usize,
}

impl Recorder {
    /// `smooth`: β of the loss smoother; `diverge`: the divergence factor; `stop`: end the run
    /// when the rule fires; `capacity`: the steps expected (the buffers are allocated up front).
    pub fn new(smooth: f64, diverge: f64, stop: bool, capacity: usize) -> Recorder {
        Recorder {
            smoother: Smoother::new(smooth),
            rule: DivergenceRule::new(diverge),
            stop,
            lrs: Vec::with_capacity(capacity),
            losses: Vec::with_capacity(capacity),
            smooth: Vec::with_capacity(capacity),
            rows: 0,
        }
    }

    /// Feed a loss to the smoother and the divergence rule without recording it or stopping:
    /// the run-in's steps below `--min`, which a sweep from a lower `--min` records, so that
    /// both reach `--min` with the same moving average and the same best loss.
    pub fn prime(&mut self, loss: f64) {
        let s = self.smoother.push(loss);
        self.rule.diverged(s);
    }
}

/// The run-in's observer: primes a [`Recorder`] with every step's loss.
pub struct Priming<'a>(pub &'a mut Recorder);

impl Observer for Priming<'_> {
    fn on_step(&mut self, r: &StepReport, _model: &Mlp) -> anyhow::Result<Control> {
        self.0.prime(r.loss);
        Ok(Control::Continue)
    }
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

//! The progress bar on stderr: shown only when stderr is a terminal and `--quiet` is off.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

use crate::nn::Mlp;
use crate::train::{Control, EpochReport, FitOutcome, Observer, StepReport};

/// An indicatif bar over the run's steps, showing the epoch, the LR and the recent loss.
pub struct Progress {
    bar: ProgressBar,
    smooth: Option<f64>,
}

/// A bar over `len` items on stderr; hidden when `quiet` or when stderr is not a terminal.
fn bar(len: u64, quiet: bool) -> ProgressBar {
    if !quiet && std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    }
}

impl Progress {
    /// A plain bar counting `len` finished `unit`s (e.g. sweeps run side by side), for the
    /// caller to advance; hidden like [`Progress::new`].
    pub fn counter(len: u64, unit: &str, quiet: bool) -> ProgressBar {
        let b = bar(len, quiet);
        b.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit}"
            ))
            .expect("valid template"),
        );
        b
    }

    /// A bar over `total_steps`; hidden when `quiet` or when stderr is not a terminal.
    pub fn new(total_steps: u64, quiet: bool) -> Progress {
        let bar = bar(total_steps, quiet);
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {}  {{msg}}",
                crate::words::plural(total_steps, "step")
            ))
            .expect("valid template"),
        );
        Progress { bar, smooth: None }
    }
}

impl Observer for Progress {
    fn on_step(&mut self, r: &StepReport, _model: &Mlp) -> anyhow::Result<Control> {
        self.smooth = Some(match self.smooth {
            Some(s) => 0.98 * s + 0.02 * r.loss,
            None => r.loss,
        });
        self.bar.set_position(r.step + 1);
        if r.step.is_multiple_of(16) && !self.bar.is_hidden() {
            self.bar.set_message(format!(
                "epoch {}  lr {:.3e}  loss {:.4}",
                r.epoch,
                r.lr,
                self.smooth.unwrap_or(r.loss)
            ));
        }
        Ok(Control::Continue)
    }

    fn on_epoch(&mut self, r: &EpochReport, _model: &Mlp) -> anyhow::Result<Control> {
        if let (Some(l), Some(m)) = (r.val_loss, r.val_metric) {
            self.bar.set_message(format!(
                "epoch {}  lr {:.3e}  val loss {:.4}  val {:.4}",
                r.epoch, r.lr, l, m
            ));
        }
        Ok(Control::Continue)
    }

    fn on_finish(&mut self, _outcome: &FitOutcome, _model: &Mlp) -> anyhow::Result<()> {
        self.bar.finish_and_clear();
        Ok(())
    }
}

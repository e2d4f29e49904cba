//! `steps.csv` (one row per optimizer step) and `epochs.csv` (one row per epoch), written as
//! training goes. Rows are formatted whole and handed to the file in whole rows, so an
//! interrupted run leaves valid CSV. Numbers use Rust's shortest round-trip formatting, so the
//! same run gives the same bytes.

use std::fmt::Write as _;
use std::io::Write;

use super::super::train::{Control, EpochReport, FitOutcome, Observer, StepReport};
use crate::data::Task;
use crate::nn::Mlp;

/// Flush the step buffer to the file once it holds this many bytes.
const FLUSH_BYTES: usize = 1 << 16;

/// Column names of `epochs.csv` for a task: accuracy for classification, R² for regression.
#[derive(Debug, Clone, Copy)]
pub struct EpochColumns(pub Task);

impl EpochColumns {
    pub fn header(self) -> &'static str {
        match self.0 {
            Task::Classify => "epoch,lr,train_loss,train_acc,val_loss,val_acc\n",
            Task::Regress => "epoch,lr,train_loss,train_r2,val_loss,val_r2\n",
        }
    }
}

/// Writes `steps.csv` and `epochs.csv`.
pub struct CsvLog<S: Write, E: Write> {
    steps: S,
    epochs: E,
    buffer: String,
    /// Extra per-step column (`smooth_loss` for find-lr), filled by `set_extra`.
    extra: Option<f64>,
    with_extra: bool,
}

impl<S: Write, E: Write> CsvLog<S, E> {
    /// Start both files with their headers. `extra_column` adds one named column to steps.csv.
    pub fn new(
        mut steps: S,
        mut epochs: E,
        columns: EpochColumns,
        extra_column: Option<&str>,
    ) -> anyhow::Result<Self> {
        let mut header = String::from("step,epoch,lr,momentum,loss");
        if let Some(name) = extra_column {
            header.push(',');
            header.push_str(name);
        }
        header.push('\n');
        steps.write_all(header.as_bytes())?;
        steps.flush()?;
        epochs.write_all(columns.header().as_bytes())?;
        epochs.flush()?;
        Ok(CsvLog {
            steps,
            epochs,
            buffer: String::with_capacity(FLUSH_BYTES + 256),
            extra: None,
            with_extra: extra_column.is_some(),
        })
    }

    /// The value of the extra column for the next step row.
    pub fn set_extra(&mut self, value: f64) {
        self.extra = Some(value);
    }

    fn flush_steps(&mut self) -> anyhow::Result<()> {
        if !self.buffer.is_empty() {
            self.steps.write_all(self.buffer.as_bytes())?;
            self.steps.flush()?;
            self.buffer.clear();
        }
        Ok(())
    }
}

/// A number as a CSV cell: shortest round-trip form, empty for missing.
pub fn cell(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v}"),
        None => String::new(),
    }
}

impl<S: Write, E: Write> Observer for CsvLog<S, E> {
    fn on_step(&mut self, r: &StepReport, _model: &Mlp) -> anyhow::Result<Control> {
        let _ = write!(
            self.buffer,
            "{},{},{},{},{}",
            r.step, r.epoch, r.lr, r.momentum, r.loss
        );
        if self.with_extra {
            let _ = write!(self.buffer, ",{}", cell(self.extra.take()));
        }
        self.buffer.push('\n');
        if self.buffer.len() >= FLUSH_BYTES {
            self.flush_steps()?;
        }
        Ok(Control::Continue)
    }

    fn on_epoch(&mut self, r: &EpochReport, _model: &Mlp) -> anyhow::Result<Control> {
        self.flush_steps()?;
        let row = format!(
            "{},{},{},{},{},{}\n",
            r.epoch,
            r.lr,
            r.train_loss,
            r.train_metric,
            cell(r.val_loss),
            cell(r.val_metric)
        );
        self.epochs.write_all(row.as_bytes())?;
        self.epochs.flush()?;
        Ok(Control::Continue)
    }

    fn on_finish(&mut self, _outcome: &FitOutcome, _model: &Mlp) -> anyhow::Result<()> {
        self.flush_steps()?;
        self.epochs.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, InitScheme};
    use rand::SeedableRng;

    #[test]
    fn writes_headers_and_whole_rows() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let m = Mlp::new(&[2, 2], Activation::Relu, InitScheme::Torch, &mut rng);
        let mut steps = Vec::new();
        let mut epochs = Vec::new();
        {
            let mut log =
                CsvLog::new(&mut steps, &mut epochs, EpochColumns(Task::Classify), None).unwrap();
            let r = StepReport {
                step: 0,
                epoch: 1,
                lr: 0.001,
                momentum: 0.9,
                loss: 2.5,
                rows: 4,
            };
            log.on_step(&r, &m).unwrap();
            let e = EpochReport {
                epoch: 1,
                steps: 1,
                lr: 0.001,
                train_loss: 2.5,
                train_metric: 0.25,
                val_loss: None,
                val_metric: None,
                seconds: 0.0,
            };
            log.on_epoch(&e, &m).unwrap();
        }
        assert_eq!(
            String::from_utf8(steps).unwrap(),
            "step,epoch,lr,momentum,loss\n0,1,0.001,0.9,2.5\n"
        );
        assert_eq!(
            String::from_utf8(epochs).unwrap(),
            "epoch,lr,train_loss,train_acc,val_loss,val_acc\n1,0.001,2.5,0.25,,\n"
        );
    }
}

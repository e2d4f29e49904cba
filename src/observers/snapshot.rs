//! `SnapshotSaver`: at every cycle end of the schedule, writes the weights to
//! `snapshots/snapshot-{k}.safetensors` (atomically, with the metadata of `model.safetensors`),
//! records the snapshot's validation (log-)probabilities (regression: predictions), and appends a row to
//! `snapshots.csv` with the snapshot's own metrics and those of the ensemble available then.
//!
//! Row k's ensemble is the uniform average of the probabilities of the last `min(k, keep)`
//! snapshots (k − m + 1 … k): the ensemble a run stopped at snapshot k would have. The last row
//! is therefore the ensemble of the last `keep` snapshots. The validation predictions of the last
//! `keep` snapshots stay in memory (buffers allocated once, up front) for the ensembles of every
//! size after the run ([`SnapshotSaver::ensembles`]).

use std::fmt::Write as _;
use std::io::Write;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::data::{Part, Task};
use crate::ensemble::{self, Metrics, Predictions};
use crate::nn::{Mlp, Workspace};
use crate::output::OutDir;
use crate::schedule::Schedule;
use crate::train::{Control, FitOutcome, Observer, StepReport};

/// One saved snapshot and what it scored on the validation split.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRecord {
    /// 1-based snapshot number.
    pub k: usize,
    /// The 0-based step after which the weights were saved (the cycle's last step).
    pub step: u64,
    /// Epochs completed at the snapshot: `(step + 1) / steps_per_epoch`.
    pub epoch: f64,
    /// The LR of that step.
    pub lr: f64,
    /// Path inside the output folder.
    pub file: String,
    /// The snapshot alone.
    pub single: Metrics,
    /// The ensemble of the last `ensemble_size` snapshots up to this one.
    pub ensemble: Metrics,
    pub ensemble_size: usize,
    /// Fraction of validation rows whose predicted class differs from the previous snapshot's
    /// (classification from the second snapshot on).
    pub changed_from_previous: Option<f64>,
}

/// The ensemble of the last `m` snapshots of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleResult {
    pub m: usize,
    /// The snapshots averaged (1-based numbers, oldest first).
    pub members: Vec<usize>,
    pub metrics: Metrics,
}

/// Saves and evaluates a snapshot at every cycle end of `schedule`.
pub struct SnapshotSaver<'a, W: Write> {
    out: &'a mut OutDir,
    csv: W,
    schedule: &'a Schedule,
    val: &'a Part,
    metadata: &'a Map<String, Value>,
    steps_per_epoch: usize,
    keep: usize,
    ws: Workspace,
    /// Validation predictions of the last `keep` snapshots: snapshot k lives in `(k − 1) % keep`.
    ring: Vec<Predictions>,
    ensemble: Predictions,
    previous_classes: Vec<usize>,
    pub records: Vec<SnapshotRecord>,
    /// Wall-clock seconds spent saving and evaluating snapshots.
    pub seconds: f64,
}

impl<'a, W: Write> SnapshotSaver<'a, W> {
    /// A saver for `model`'s shape keeping the last `keep` (≥ 1) snapshots' predictions; writes
    /// the header of `snapshots.csv` to `csv` at once.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        out: &'a mut OutDir,
        mut csv: W,
        schedule: &'a Schedule,
        model: &Mlp,
        val: &'a Part,
        metadata: &'a Map<String, Value>,
        steps_per_epoch: usize,
        keep: usize,
    ) -> anyhow::Result<Self> {
        let task = val_task(val);
        let metric = match task {
            Task::Classify => "acc",
            Task::Regress => "r2",
        };
        let header =
            format!("k,step,epoch,lr,val_loss,val_{metric},ens_val_loss,ens_val_{metric}\n");
        csv.write_all(header.as_bytes())?;
        csv.flush()?;
        let classify = task == Task::Classify;
        let blank = || Predictions::zeros(val.len(), model.n_outputs(), classify);
        let keep = keep.max(1);
        Ok(SnapshotSaver {
            out,
            csv,
            schedule,
            val,
            metadata,
            steps_per_epoch: steps_per_epoch.max(1),
            keep,
            ws: Workspace::new(model, ensemble::CHUNK_ROWS.min(val.len().max(1))),
            ring: (0..keep).map(|_| blank()).collect(),
            ensemble: blank(),
            previous_classes: Vec::with_capacity(if classify { val.len() } else { 0 }),
            records: Vec::new(),
            seconds: 0.0,
        })
    }

    /// The predictions of snapshot `k` (one of the last `keep`).
    fn slot(&self, k: usize) -> &Predictions {
        &self.ring[(k - 1) % self.keep]
    }

    fn take(&mut self, r: &StepReport, model: &Mlp) -> anyhow::Result<()> {
        let started = Instant::now();
        let k = self.records.len() + 1;
        let file = format!("snapshots/snapshot-{k}.safetensors");
        self.out
            .write_atomic(&file, &crate::weights::to_bytes(model, self.metadata))?;
        let slot = (k - 1) % self.keep;
        ensemble::predict_into(model, self.val.x.view(), &mut self.ws, &mut self.ring[slot])?;
        let targets = self.val.targets();
        let single = ensemble::metrics(&self.ring[slot], targets)?;
        let size = k.min(self.keep);
        let (ring, keep) = (&self.ring, self.keep);
        let members: Vec<&Predictions> =
            (k + 1 - size..=k).map(|i| &ring[(i - 1) % keep]).collect();
        ensemble::average_into(&members, &mut self.ensemble)?;
        let ens = ensemble::metrics(&self.ensemble, targets)?;
        let changed = match &self.ring[slot] {
            Predictions::LogProbabilities(p) => {
                let mut changed = 0usize;
                let first = self.previous_classes.is_empty();
                for (i, row) in p.rows().into_iter().enumerate() {
                    let c = ensemble::argmax(row.iter());
                    if first {
                        self.previous_classes.push(c);
                    } else {
                        changed += usize::from(self.previous_classes[i] != c);
                        self.previous_classes[i] = c;
                    }
                }
                (!first && !p.is_empty()).then(|| changed as f64 / p.nrows() as f64)
            }
            Predictions::Values(_) => None,
        };
        let record = SnapshotRecord {
            k,
            step: r.step,
            epoch: (r.step + 1) as f64 / self.steps_per_epoch as f64,
            lr: r.lr,
            file,
            single,
            ensemble: ens,
            ensemble_size: size,
            changed_from_previous: changed,
        };
        let mut row = String::new();
        let _ = writeln!(
            row,
            "{},{},{},{},{},{},{},{}",
            record.k,
            record.step,
            record.epoch,
            record.lr,
            single.loss,
            single.metric,
            ens.loss,
            ens.metric
        );
        self.csv.write_all(row.as_bytes())?;
        self.csv.flush()?;
        self.records.push(record);
        self.seconds += started.elapsed().as_secs_f64();
        Ok(())
    }

    /// The ensembles of the last m snapshots, m = 1 … min(keep, snapshots taken).
    pub fn ensembles(&self) -> anyhow::Result<Vec<EnsembleResult>> {
        let taken = self.records.len();
        let mut out = Vec::new();
        let mut acc = self.ensemble.clone();
        for m in 1..=self.keep.min(taken) {
            let members: Vec<usize> = (taken + 1 - m..=taken).collect();
            let preds: Vec<&Predictions> = members.iter().map(|&i| self.slot(i)).collect();
            ensemble::average_into(&preds, &mut acc)?;
            out.push(EnsembleResult {
                m,
                members,
                metrics: ensemble::metrics(&acc, self.val.targets())?,
            });
        }
        Ok(out)
    }
}

fn val_task(part: &Part) -> Task {
    match part.y {
        crate::data::Target::Classes { .. } => Task::Classify,
        crate::data::Target::Values(_) => Task::Regress,
    }
}

impl<W: Write> Observer for SnapshotSaver<'_, W> {
    fn on_step(&mut self, report: &StepReport, model: &Mlp) -> anyhow::Result<Control> {
        if self.schedule.is_cycle_end(report.step) {
            self.take(report, model)?;
        }
        Ok(Control::Continue)
    }

    fn on_finish(&mut self, _outcome: &FitOutcome, _model: &Mlp) -> anyhow::Result<()> {
        self.csv.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Target;
    use crate::nn::{Activation, InitScheme};
    use crate::schedule::SnapshotCosine;
    use ndarray::Array2;
    use rand::SeedableRng;

    #[test]
    fn saves_at_cycle_ends_and_ensembles_the_last_keep() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutDir::prepare(
            &tmp.path().join("run"),
            false,
            "test",
            crate::output::Layout::default(),
        )
        .unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut model = Mlp::new(&[2, 4, 3], Activation::Relu, InitScheme::Torch, &mut rng);
        let val = Part {
            x: Array2::from_shape_fn((9, 2), |(i, j)| (i * 2 + j) as f32 / 9.0 - 0.5),
            y: Target::Classes {
                labels: (0..9).map(|i| (i % 3) as u32).collect(),
                names: vec!["a".into(), "b".into(), "c".into()],
            },
        };
        let schedule = Schedule::SnapshotCosine(SnapshotCosine::new(0.1, 3, 12).unwrap());
        let meta = Map::new();
        let mut csv = Vec::new();
        let (records, ensembles) = {
            let mut saver =
                SnapshotSaver::new(&mut out, &mut csv, &schedule, &model, &val, &meta, 4, 2)
                    .unwrap();
            for step in 0..12u64 {
                // change the weights a little every step, as training would
                model.layers[1].bias[(step % 3) as usize] += 0.3;
                let r = StepReport {
                    step,
                    epoch: step as usize / 4 + 1,
                    lr: schedule.lr(step),
                    momentum: 0.0,
                    loss: 1.0,
                    rows: 4,
                };
                saver.on_step(&r, &model).unwrap();
            }
            (saver.records.clone(), saver.ensembles().unwrap())
        };
        assert_eq!(
            records.iter().map(|r| (r.k, r.step)).collect::<Vec<_>>(),
            [(1, 3), (2, 7), (3, 11)]
        );
        assert_eq!(records[2].epoch, 3.0);
        for k in 1..=3 {
            assert!(
                tmp.path()
                    .join(format!("run/snapshots/snapshot-{k}.safetensors"))
                    .is_file()
            );
        }
        // row 1: an ensemble of one is the snapshot itself; later rows average the last 2
        assert_eq!(records[0].ensemble, records[0].single);
        assert_eq!(records[0].ensemble_size, 1);
        assert_eq!(records[2].ensemble_size, 2);
        assert!(records[0].changed_from_previous.is_none());
        assert!(records[1].changed_from_previous.is_some());
        // after the run: m = 1 is the last snapshot, m = 2 the last row's ensemble
        assert_eq!(ensembles.len(), 2);
        assert_eq!(ensembles[0].members, [3]);
        assert_eq!(ensembles[0].metrics, records[2].single);
        assert_eq!(ensembles[1].members, [2, 3]);
        assert_eq!(ensembles[1].metrics, records[2].ensemble);
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "k,step,epoch,lr,val_loss,val_acc,ens_val_loss,ens_val_acc"
        );
        assert_eq!(lines.len(), 4);
        assert!(lines[3].starts_with("3,11,3,"));
    }
}

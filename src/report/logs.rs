//! The CSV logs of a run folder read by column name (never by position), through
//! [`CsvTable`]: `epochs.csv`, `steps.csv`, and an (lr, loss) curve such as find-lr's
//! `steps.csv`. Errors name the file, the column and the line.

use std::path::Path;

use crate::data::csv::CsvTable;

/// One row of a run's `epochs.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRow {
    pub epoch: usize,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    pub val_metric: Option<f64>,
}

/// One row of a run's `steps.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRow {
    pub lr: f64,
    pub momentum: f64,
    pub loss: f64,
}

/// `epochs.csv` (`epoch,lr,train_loss,train_{metric},val_loss,val_{metric},seconds`); `metric`
/// is `acc` or `r2`. Validation cells are empty without a validation split.
pub fn read_epochs(path: &Path, metric: &str) -> anyhow::Result<Vec<EpochRow>> {
    let t = CsvTable::read(path)?;
    let epoch = t.u64s("epoch")?;
    let train_loss = t.f64s("train_loss")?;
    let val_loss = t.optional_f64s("val_loss")?;
    let val_metric = t.optional_f64s(&format!("val_{metric}"))?;
    Ok((0..t.len())
        .map(|i| EpochRow {
            epoch: epoch[i] as usize,
            train_loss: train_loss[i],
            val_loss: val_loss[i],
            val_metric: val_metric[i],
        })
        .collect())
}

/// `steps.csv` of train or snapshot-ensemble (`step,epoch,lr,momentum,loss`).
pub fn read_steps(path: &Path) -> anyhow::Result<Vec<StepRow>> {
    let t = CsvTable::read(path)?;
    let lr = t.f64s("lr")?;
    let momentum = t.f64s("momentum")?;
    let loss = t.f64s("loss")?;
    Ok((0..t.len())
        .map(|i| StepRow {
            lr: lr[i],
            momentum: momentum[i],
            loss: loss[i],
        })
        .collect())
}

/// One (lr, loss) curve of a CSV file, with the label of its `run` column (empty without one).
#[derive(Debug, Clone, PartialEq)]
pub struct LossCurve {
    pub run: String,
    pub lrs: Vec<f64>,
    pub losses: Vec<f64>,
}

/// The (lr, loss) curves of CSV data such as find-lr's `steps.csv` or another tool's log
/// (optionally gzipped; quoted cells and a byte-order mark are fine): the columns named
/// `lr_column` and `loss_column`, one curve per run of equal consecutive `run` cells when there
/// is a `run` column. Every LR must be positive and finite; an empty loss cell is `NaN` (a
/// diverged tail). At least two rows are required.
pub fn read_lr_loss_curve(
    bytes: &[u8],
    source: &str,
    lr_column: &str,
    loss_column: &str,
) -> anyhow::Result<Vec<LossCurve>> {
    lr_loss_curves(
        &CsvTable::parse(bytes, source)?,
        source,
        lr_column,
        loss_column,
    )
}

/// [`read_lr_loss_curve`] on a table already read.
pub fn lr_loss_curves(
    t: &CsvTable,
    source: &str,
    lr_column: &str,
    loss_column: &str,
) -> anyhow::Result<Vec<LossCurve>> {
    let lrs = t.parsed(lr_column, |c| match c.parse::<f64>() {
        Ok(lr) if lr.is_finite() && lr > 0.0 => Ok(lr),
        Ok(lr) => Err(format!("learning rate {lr} must be positive and finite")),
        Err(_) => Err(format!("\"{c}\" is not a number")),
    })?;
    let losses = t.parsed(loss_column, |c| match c {
        "" => Ok(f64::NAN),
        c => c.parse().map_err(|_| format!("\"{c}\" is not a number")),
    })?;
    let runs = if t.has_column("run") {
        t.strings("run")?
    } else {
        vec![String::new(); t.len()]
    };
    if t.len() < 2 {
        crate::input_bail!(
            "{source}: needs at least 2 rows of (lr, loss), found {}",
            t.len()
        );
    }
    let mut curves: Vec<LossCurve> = Vec::new();
    for ((lr, loss), run) in lrs.into_iter().zip(losses).zip(runs) {
        if curves.last().is_none_or(|c| c.run != run) {
            curves.push(LossCurve {
                run,
                lrs: Vec::new(),
                losses: Vec::new(),
            });
        }
        let c = curves.last_mut().expect("just pushed");
        c.lrs.push(lr);
        c.losses.push(loss);
    }
    Ok(curves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_by_name_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("epochs.csv");
        std::fs::write(
            &path,
            "\u{feff}val_r2,seconds,epoch,\"train_loss\",val_loss,lr,train_r2\n0.5,1,1,0.25,,0.1,0.4\n",
        )
        .unwrap();
        let rows = read_epochs(&path, "r2").unwrap();
        assert_eq!(
            rows,
            [EpochRow {
                epoch: 1,
                train_loss: 0.25,
                val_loss: None,
                val_metric: Some(0.5)
            }]
        );
        let err = read_epochs(&path, "acc").unwrap_err().to_string();
        assert!(err.ends_with("epochs.csv: no column \"val_acc\" (columns: val_r2, seconds, epoch, train_loss, val_loss, lr, train_r2)"), "{err}");
    }

    #[test]
    fn lr_loss_curves_split_by_run() {
        let text = "run,lr,loss\n\"a\",1e-3,1.0\na,1e-2,\nb,1e-3,2\n";
        let c = read_lr_loss_curve(text.as_bytes(), "x.csv", "lr", "loss").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].run, "a");
        assert!(c[0].losses[1].is_nan());
        assert_eq!(c[1].lrs, [1e-3]);
        let err = read_lr_loss_curve(b"lr,loss\n0,1\n1,2\n", "x.csv", "lr", "loss")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "x.csv line 2, column \"lr\": learning rate 0 must be positive and finite"
        );
        let err = read_lr_loss_curve(b"lr,loss\n1,1\n", "x.csv", "lr", "loss")
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs at least 2 rows"), "{err}");
    }
}

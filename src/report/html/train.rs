//! The report page of a `train` run.

use std::path::Path;

use super::Page;
use super::facts::*;
use crate::report::format::fmt_num;
use crate::report::records::{EpochFacts, TrainSummary};

pub(super) fn page(page: &mut Page, dir: &Path, t: &TrainSummary) {
    let m = t.dataset.task.metric();
    let r = &t.result;
    let run = &t.config.run;
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(&t.dataset),
        model_line(&t.model),
        object_line(&t.config.schedule, &[])
    );
    page.h2("Run");
    let mut rebuilt = format!(
        "lrtool train {} --lr {} --epochs {} --batch-size {} --seed {}",
        base_flags(&t.config.data, &t.config.model, &t.config.optimizer),
        fmt_num(Some(run.lr)),
        run.epochs,
        run.batch_size,
        run.seed
    );
    if let Some(s) = &t.config.swa {
        rebuilt.push_str(&format!(
            " --swa-start {} --swa-lr {} --swa-anneal-epochs {} --swa-anneal {}",
            s.start_epoch,
            fmt_num(Some(s.swa_lr)),
            s.anneal_epochs,
            s.anneal.name()
        ));
    }
    page.commands(&[command_line(None, rebuilt)]);
    page.facts(&training_facts(&Training {
        dataset: &t.dataset,
        model: &t.model,
        optimizer: &t.config.optimizer,
        schedule: &t.config.schedule,
        run,
        steps_per_epoch: t.steps_per_epoch,
        end: &r.end,
    }));

    page.h2("Results");
    let row = |label: &str, e: Option<&EpochFacts>| {
        let mut cells = vec![label.to_string()];
        match e {
            Some(e) => cells.extend([
                e.epoch.to_string(),
                fmt_num(e.train_loss),
                fmt_num(e.train_metric()),
                fmt_num(e.val_loss),
                fmt_num(e.val_metric()),
            ]),
            None => cells.extend(std::iter::repeat_n(fmt_num(None), 5)),
        }
        cells
    };
    let (tm, vm) = (format!("train {m}"), format!("val {m}"));
    let mut rows = vec![
        row("final", r.last.as_ref()),
        row("best val loss", r.best_val_loss.as_ref()),
    ];
    // the SWA model: the mean of the weights after the epochs it names (model-swa.safetensors)
    if let Some(s) = &r.swa {
        rows.push(vec![
            format!("SWA model ({} weight sets)", s.epochs_averaged),
            match (s.first_epoch, s.last_epoch) {
                (Some(a), Some(b)) => format!("{a}…{b}"),
                _ => fmt_num(None),
            },
            fmt_num(s.train_loss),
            fmt_num(s.train_metric()),
            fmt_num(s.val_loss),
            fmt_num(s.val_metric()),
        ]);
    }
    page.table(&["", "epoch", "train loss", &tm, "val loss", &vm], &rows);
    let mut listened = Vec::new();
    if let Some(e) = &r.early_stopping {
        let best = match (e.best_epoch, e.best_value) {
            (Some(k), v) => format!("best {} {} at epoch {k}", e.monitor, fmt_num(v)),
            _ => format!("no {} value", e.monitor),
        };
        let stop = match e.stopped_epoch {
            Some(k) => format!("stopped after epoch {k}"),
            None => "did not stop early".to_string(),
        };
        let weights = if e.restored_best {
            "; model.safetensors holds the best epoch's weights"
        } else {
            ""
        };
        listened.push(("early stopping", format!("{stop}; {best}{weights}")));
    }
    if let Some(cuts) = &r.lr_cuts {
        let text = if cuts.is_empty() {
            "none".to_string()
        } else {
            cuts.iter()
                .map(|c| format!("{} after epoch {}", fmt_num(Some(c.lr)), c.epoch))
                .collect::<Vec<_>>()
                .join(", ")
        };
        listened.push(("plateau LR cuts", text));
    }
    if !listened.is_empty() {
        page.facts(&listened);
    }
    page.h2("Plots");
    page.plot(
        dir,
        "loss.svg",
        "Loss per mini-batch and per epoch; accuracy (R²) per epoch.",
    );
    page.plot(
        dir,
        "lr.svg",
        "The learning rate (and momentum when it moves) at every step.",
    );

    let lr_used = run.lr;
    let epochs = run.epochs;
    let base = base_flags(&t.config.data, &t.config.model, &t.config.optimizer);
    next(
        page,
        &[
            format!("lrtool find-lr {base}"),
            format!(
                "lrtool compare {base} --epochs {epochs} --arms \"constant:lr={};cosine:lr={};sgdr:lr={},t0=1,t-mult=2\" --seeds 3",
                short(lr_used),
                short(lr_used),
                short(lr_used)
            ),
            format!(
                "lrtool snapshot-ensemble {base} --lr {} --epochs {epochs} --cycles 5 --baseline",
                short(lr_used)
            ),
        ],
    );
}

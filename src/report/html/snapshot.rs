//! The report page of a `snapshot-ensemble` run.

use std::fmt::Write as _;
use std::path::Path;

use super::Page;
use super::facts::*;
use crate::report::format::fmt_num;
use crate::report::records::SnapshotSummary;

pub(super) fn page(page: &mut Page, dir: &Path, t: &SnapshotSummary) {
    let m = t.dataset.task.metric();
    let r = &t.result;
    let run = &t.config.run;
    let ens = &t.config.ensemble;
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(&t.dataset),
        model_line(&t.model),
        object_line(&t.config.schedule, &[])
    );
    page.h2("Run");
    let rebuilt = format!(
        "lrtool snapshot-ensemble {} --lr {} --epochs {} --cycles {} --seed {}{}",
        base_flags(&t.config.data, &t.config.model, &t.config.optimizer),
        float(run.lr),
        run.epochs,
        ens.snapshots,
        run.seed,
        if ens.baseline.is_none() {
            ""
        } else {
            " --baseline"
        }
    );
    page.commands(&[command_line(None, rebuilt)]);
    page.p("A snapshot ensemble trains once under a learning rate that restarts every cycle, keeps the weights at the end of each cycle (where the LR is lowest), and averages the class probabilities of the last few snapshots.");
    page.facts(&training_facts(&Training {
        dataset: &t.dataset,
        model: &t.model,
        optimizer: &t.config.optimizer,
        schedule: &t.config.schedule,
        run: &t.config.run,
        steps_per_epoch: t.steps_per_epoch,
        end: &t.result.end,
    }));

    page.h2("Snapshots");
    let vm = format!("val {m}");
    let evm = format!("ensemble val {m}");
    let rows: Vec<Vec<String>> = r
        .snapshots
        .iter()
        .map(|x| {
            vec![
                x.k.to_string(),
                float(x.epoch),
                x.step.to_string(),
                lr_of(Some(x.lr)),
                fmt_num(x.val_loss),
                fmt_num(x.val_metric()),
                fmt_num(x.ens_val_loss),
                fmt_num(x.ens_val_metric()),
                x.file.clone(),
            ]
        })
        .collect();
    page.table(
        &[
            "snapshot",
            "epoch",
            "step",
            "lr",
            "val loss",
            &vm,
            "ensemble val loss",
            &evm,
            "file",
        ],
        &rows,
    );
    page.h2("Ensembles and baselines");
    let mut rows: Vec<Vec<String>> = r
        .ensembles
        .iter()
        .map(|e| {
            vec![
                format!("last {}", crate::words::count(e.m, "snapshot")),
                e.snapshots
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                fmt_num(e.val_loss),
                fmt_num(e.val_metric()),
            ]
        })
        .collect();
    if let Some(f) = &r.last {
        rows.push(vec![
            "final model".into(),
            f.same_weights_as_snapshot
                .map_or("–".into(), |k| format!("= snapshot {k}")),
            fmt_num(f.val_loss),
            fmt_num(f.val_metric()),
        ]);
    }
    if let Some(b) = &t.result.baseline {
        rows.push(vec![
            format!("baseline ({})", object_line(&b.schedule, &[])),
            end_status(&b.end),
            fmt_num(b.val_loss.flatten()),
            fmt_num(b.val_metric()),
        ]);
    }
    page.table(&["model", "snapshots", "val loss", &vm], &rows);
    page.h2("Plots");
    page.plot(
        dir,
        "snapshot-ensemble.svg",
        "Each snapshot alone and the ensemble of the snapshots so far, on the validation split.",
    );
    page.plot(
        dir,
        "loss.svg",
        "Loss per mini-batch and per epoch; accuracy (R²) per epoch.",
    );
    page.plot(
        dir,
        "lr.svg",
        "The cyclic learning rate; a snapshot is taken at the end of every cycle.",
    );

    let mut models = String::new();
    for x in r.snapshots.iter().rev().take(3).rev() {
        let _ = write!(models, " --model {}", dir.join(&x.file).display());
    }
    let mut lines = Vec::new();
    if !models.is_empty() {
        lines.push(format!(
            "lrtool evaluate{models} --dataset {} --seed {}",
            t.config.data.dataset, run.seed
        ));
    }
    lines.push(format!(
        "lrtool compare {} --epochs {} --arms \"snapshot:command=snapshot-ensemble,lr={},cycles={};cosine:lr={}\" --seeds 3",
        base_flags(&t.config.data, &t.config.model, &t.config.optimizer),
        run.epochs,
        short(run.lr),
        ens.snapshots,
        short(run.lr),
    ));
    next(page, &lines);
}

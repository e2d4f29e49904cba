//! The report page of a `snapshot-ensemble` run.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::Page;
use super::facts::*;
use crate::report::format::fmt_num;
use crate::report::records::SnapshotSummary;

pub(super) fn page(page: &mut Page, dir: &Path, s: &Value, t: &SnapshotSummary) {
    let m = t.dataset.task.metric();
    let r = &s["result"];
    let run = &s["config"]["run"];
    let ens = &s["config"]["ensemble"];
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(&t.dataset),
        model_line(&t.model),
        object_line(&s["config"]["schedule"], &[])
    );
    page.h2("Run");
    let rebuilt = format!(
        "lrtool snapshot-ensemble {} --lr {} --epochs {} --cycles {} --seed {}{}",
        base_flags(&t.config.data, &t.config.model, &t.config.optimizer),
        text(&run["lr"]),
        text(&run["epochs"]),
        text(&ens["snapshots"]),
        text(&run["seed"]),
        if ens["baseline"].is_null() {
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
    let rows: Vec<Vec<String>> = r["snapshots"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    vec![
                        text(&x["k"]),
                        text(&x["epoch"]),
                        text(&x["step"]),
                        lr(&x["lr"]),
                        num(&x["val_loss"]),
                        num(&x[format!("val_{m}")]),
                        num(&x["ens_val_loss"]),
                        num(&x[format!("ens_val_{m}")]),
                        text(&x["file"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
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
    let mut rows: Vec<Vec<String>> = r["ensembles"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    vec![
                        format!("last {} snapshots", text(&e["m"])),
                        e["snapshots"]
                            .as_array()
                            .map(|v| v.iter().map(text).collect::<Vec<_>>().join(", "))
                            .unwrap_or_default(),
                        num(&e["val_loss"]),
                        num(&e[format!("val_{m}")]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let f = &r["final"];
    if f.is_object() {
        rows.push(vec![
            "final model".into(),
            f["same_weights_as_snapshot"]
                .as_u64()
                .map_or("–".into(), |k| format!("= snapshot {k}")),
            num(&f["val_loss"]),
            num(&f[format!("val_{m}")]),
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
    if let Some(a) = r["snapshots"].as_array() {
        for x in a.iter().rev().take(3).rev() {
            if let Some(f) = x["file"].as_str() {
                let _ = write!(models, " --model {}", dir.join(f).display());
            }
        }
    }
    let mut lines = Vec::new();
    if !models.is_empty() {
        lines.push(format!(
            "lrtool evaluate{models} --dataset {} --seed {}",
            s["config"]["data"]["dataset"].as_str().unwrap_or("digits"),
            text(&run["seed"])
        ));
    }
    lines.push(format!(
        "lrtool compare {} --epochs {} --arms \"snapshot:command=snapshot-ensemble,lr={},cycles={};cosine:lr={}\" --seeds 3",
        base_flags(&t.config.data, &t.config.model, &t.config.optimizer),
        text(&run["epochs"]),
        short(run["lr"].as_f64().unwrap_or(1e-3)),
        text(&ens["snapshots"]),
        short(run["lr"].as_f64().unwrap_or(1e-3)),
    ));
    next(page, &lines);
}

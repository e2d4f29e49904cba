//! The report page of a `train` run.

use std::path::Path;

use serde_json::Value;

use super::Page;
use super::facts::*;

pub(super) fn page(page: &mut Page, dir: &Path, s: &Value) {
    let m = metric(s);
    let r = &s["result"];
    let run = &s["config"]["run"];
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(s),
        model_line(s),
        object_line(&s["config"]["schedule"], &[])
    );
    page.h2("Run");
    let rebuilt = format!(
        "lrtool train {} --lr {} --epochs {} --batch-size {} --seed {}",
        base_flags(s),
        text(&run["lr"]),
        text(&run["epochs"]),
        text(&run["batch_size"]),
        text(&run["seed"])
    );
    page.commands(&[command_line(s, rebuilt)]);
    page.facts(&training_facts(s));

    page.h2("Results");
    let row = |label: &str, e: &Value| {
        vec![
            label.to_string(),
            text(&e["epoch"]),
            num(&e["train_loss"]),
            num(&e[format!("train_{m}")]),
            num(&e["val_loss"]),
            num(&e[format!("val_{m}")]),
        ]
    };
    let (tm, vm) = (format!("train {m}"), format!("val {m}"));
    page.table(
        &["", "epoch", "train loss", &tm, "val loss", &vm],
        &[
            row("final", &r["final"]),
            row("best val loss", &r["best_val_loss"]),
        ],
    );
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

    let lr_used = run["lr"].as_f64().unwrap_or(1e-3);
    let epochs = text(&run["epochs"]);
    let base = base_flags(s);
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

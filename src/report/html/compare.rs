//! The report page of a `compare` run.

use std::path::Path;

use serde_json::Value;

use super::Page;
use super::facts::*;
use crate::report::format::fmt_num;
use crate::report::records::{CompareSummary, RunSummary};

pub(super) fn page(page: &mut Page, dir: &Path, s: &Value, _t: &CompareSummary) {
    let exp = &s["experiment"];
    let m = exp["metric"].as_str().unwrap_or("acc");
    let arms = exp["arms"].as_array().cloned().unwrap_or_default();
    let seeds: Vec<String> = exp["seeds"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    let shared: Vec<String> = exp["shared"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    // dataset and model from the first run that left a summary
    let first_run: Option<RunSummary> = s["runs"].as_array().and_then(|runs| {
        runs.iter().find_map(|r| {
            let folder = r["folder"].as_str()?;
            RunSummary::read(&dir.join(folder)).ok()
        })
    });
    let first_run = first_run.as_ref().and_then(RunSummary::training_facts);
    page.subtitle = format!(
        "{} arm{} × {} seed{}{}",
        arms.len(),
        if arms.len() == 1 { "" } else { "s" },
        seeds.len(),
        if seeds.len() == 1 { "" } else { "s" },
        first_run.as_ref().map_or(String::new(), |r| format!(
            " · {} · {}",
            dataset_line(r.0),
            model_line(r.1)
        ))
    );
    page.h2("Experiment");
    let arm_spec = arms
        .iter()
        .map(|a| {
            let o: Vec<String> = a["overrides"]
                .as_array()
                .map(|v| v.iter().map(text).collect())
                .unwrap_or_default();
            format!("{}:{}", text(&a["name"]), o.join(","))
        })
        .collect::<Vec<_>>()
        .join(";");
    page.commands(&[format!(
        "lrtool compare {} --arms '{arm_spec}' --seeds {}",
        shared.join(" "),
        seeds.join(",")
    )]);
    if let Some(d) = exp["description"].as_str() {
        page.p(d);
    }
    let mut facts = vec![("shared flags", shared.join(" "))];
    if let Some(r) = &first_run {
        facts.push(("dataset", dataset_line(r.0)));
        facts.push(("model", model_line(r.1)));
        facts.push(("optimizer", object_line(r.2, &["decoupled"])));
    }
    facts.push(("seeds", seeds.join(", ")));
    if let Some(t) = exp["target"].as_object() {
        facts.push((
            "target",
            format!(
                "{} {}",
                t.get("kind").map_or("–".into(), text),
                t.get("value").map_or("–".into(), text)
            ),
        ));
    }
    if let Some(sh) = s["shard"].as_array() {
        facts.push((
            "shard",
            sh.iter().map(text).collect::<Vec<_>>().join(" of "),
        ));
    }
    page.facts(&facts);
    let rows: Vec<Vec<String>> = arms
        .iter()
        .map(|a| {
            vec![
                text(&a["name"]),
                text(&a["command"]),
                text(&a["schedule"]),
                format!("{} × {}", text(&a["epochs"]), text(&a["steps_per_epoch"])),
            ]
        })
        .collect();
    page.table(
        &["arm", "command", "schedule (first seed)", "epochs × steps"],
        &rows,
    );

    page.h2("Results per arm");
    page.p("Mean ± sample standard deviation over the seeds that finished; Δ is the arm's final value minus the first arm's of the same seed, averaged over seeds.");
    let pm = |v: &Value| -> String {
        match (v["mean"].as_f64(), v["std"].as_f64()) {
            (Some(mean), Some(sd)) => format!("{} ± {}", fmt_num(Some(mean)), fmt_num(Some(sd))),
            (Some(mean), None) => fmt_num(Some(mean)),
            _ => "–".into(),
        }
    };
    let stats = s["arms"].as_array().cloned().unwrap_or_default();
    let has_ens = stats
        .iter()
        .any(|a| a["ensemble_val_metric"]["n"].as_u64() > Some(0));
    let has_target = !exp["target"].is_null();
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|a| {
            let mut row = vec![
                text(&a["name"]),
                format!("{}/{}", text(&a["finished"]), text(&a["runs"])),
                text(&a["diverged"]),
                pm(&a["final_val_metric"]),
                pm(&a["final_val_metric_vs_first"]),
                pm(&a["best_val_metric"]),
                pm(&a["final_val_loss"]),
            ];
            if has_ens {
                row.push(pm(&a["ensemble_val_metric"]));
            }
            if has_target {
                row.push(format!("{}/{}", text(&a["reached"]), text(&a["runs"])));
                row.push(pm(&a["steps_to_target"]));
            }
            row
        })
        .collect();
    let (fm, dm, bm, em) = (
        format!("final val {m}"),
        format!("Δ final val {m}"),
        format!("best val {m}"),
        format!("ensemble val {m}"),
    );
    let mut header = vec![
        "arm",
        "finished",
        "diverged",
        fm.as_str(),
        dm.as_str(),
        bm.as_str(),
        "final val loss",
    ];
    if has_ens {
        header.push(em.as_str());
    }
    if has_target {
        header.extend(["reached target", "steps to target"]);
    }
    page.table(&header, &rows);

    page.h2("Plots");
    page.plot(dir, "val.svg", "Validation accuracy (R²) and loss per epoch: the median over seeds per arm, with faint min and max lines.");
    page.plot(
        dir,
        "loss.svg",
        "Training loss per step, median over seeds per arm.",
    );
    page.plot(dir, "lr.svg", "The schedules of the arms.");

    page.h2("Runs");
    let rows: Vec<Vec<String>> = s["runs"]
        .as_array()
        .map(|runs| {
            runs.iter()
                .map(|r| {
                    vec![
                        text(&r["arm"]),
                        text(&r["seed"]),
                        text(&r["status"]),
                        text(&r["steps"]),
                        num(&r["final"][format!("val_{m}")]),
                        num(&r["final"]["val_loss"]),
                        num(&r[format!("best_val_{m}")]["value"]),
                        text(&r["folder"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let (fm2, bm2) = (format!("final val {m}"), format!("best val {m}"));
    page.table(
        &[
            "arm",
            "seed",
            "status",
            "steps",
            &fm2,
            "final val loss",
            &bm2,
            "folder",
        ],
        &rows,
    );

    // the best arm by mean final metric
    let best = stats
        .iter()
        .filter_map(|a| Some((a["final_val_metric"]["mean"].as_f64()?, text(&a["name"]))))
        .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut lines = Vec::new();
    if let (Some((_, name)), Some(seed)) = (best, seeds.first()) {
        lines.push(format!(
            "lrtool report {}",
            dir.join("runs")
                .join(format!("{name}-seed{seed}"))
                .display()
        ));
    }
    lines.push(format!(
        "lrtool compare {} --arms '{arm_spec}' --seeds {}",
        shared.join(" "),
        (seeds.len().max(1) * 2).min(10)
    ));
    next(page, &lines);
}

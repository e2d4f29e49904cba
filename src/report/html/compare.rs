//! The report page of a `compare` run.

use std::path::Path;

use super::Page;
use super::facts::*;
use crate::report::compare::{ARM_TABLE_NOTE, Stat, TargetKind, arm_table_model};
use crate::report::format::fmt_num;
use crate::report::records::{CompareSummary, RunFinal, RunSummary};

pub(super) fn page(page: &mut Page, dir: &Path, t: &CompareSummary) {
    let exp = &t.experiment;
    let m = exp.metric.as_str();
    let arms = &exp.arms;
    let seeds: Vec<String> = exp.seeds.iter().map(u64::to_string).collect();
    let shared = &exp.shared;
    // dataset and model from the first run that left a summary
    let first_run: Option<RunSummary> = t
        .runs
        .iter()
        .find_map(|r| RunSummary::read(&dir.join(&r.folder)).ok());
    let first_run = first_run.as_ref().and_then(RunSummary::training_facts);
    page.subtitle = format!(
        "{} × {}{}",
        crate::words::count(arms.len(), "arm"),
        crate::words::count(seeds.len(), "seed"),
        first_run.as_ref().map_or(String::new(), |r| format!(
            " · {} · {}",
            dataset_line(r.0),
            model_line(r.1)
        ))
    );
    page.h2("Experiment");
    let arm_spec = arms
        .iter()
        .map(|a| format!("{}:{}", a.name, a.overrides.join(",")))
        .collect::<Vec<_>>()
        .join(";");
    page.commands(&[format!(
        "lrtool compare {} --arms '{arm_spec}' --seeds {}",
        shared.join(" "),
        seeds.join(",")
    )]);
    if let Some(d) = &exp.description {
        page.p(d);
    }
    let mut facts = vec![("shared flags", shared.join(" "))];
    if let Some(r) = &first_run {
        facts.push(("dataset", dataset_line(r.0)));
        facts.push(("model", model_line(r.1)));
        facts.push(("optimizer", object_line(r.2, &["decoupled"])));
    }
    facts.push(("seeds", seeds.join(", ")));
    if let Some(target) = &exp.target {
        let kind = match target.kind {
            TargetKind::Acc => "acc",
            TargetKind::Loss => "loss",
        };
        facts.push(("target", format!("{kind} {}", float(target.value))));
    }
    // `shard` ({index, count}) is not shown: the page never showed it (its old look-up expected
    // an array), and the page's bytes are kept as they were.
    page.facts(&facts);
    let rows: Vec<Vec<String>> = arms
        .iter()
        .map(|a| {
            vec![
                a.name.clone(),
                a.command.clone(),
                a.schedule.clone(),
                format!("{} × {}", a.epochs, a.steps_per_epoch),
            ]
        })
        .collect();
    page.table(
        &["arm", "command", "schedule (first seed)", "epochs × steps"],
        &rows,
    );

    page.h2("Results per arm");
    page.p(ARM_TABLE_NOTE);
    // the same model as report.md's table: same columns, same numbers
    let table = arm_table_model(exp, &t.arms);
    let head: Vec<&str> = table.head.iter().map(String::as_str).collect();
    page.results_table(&head, &table.rows);
    let pm = |v: &Stat| -> String {
        match (v.mean, v.std) {
            (Some(mean), Some(sd)) => format!("{} ± {}", fmt_num(Some(mean)), fmt_num(Some(sd))),
            (Some(mean), None) => fmt_num(Some(mean)),
            _ => "–".into(),
        }
    };
    let stats = &t.arms;
    sharpness(page, t, &pm);

    page.h2("Plots");
    page.plot(dir, "val.svg", "Validation accuracy (R²) and loss per epoch: the median over seeds per arm, with faint min and max lines.");
    page.plot(
        dir,
        "loss.svg",
        "Training loss per step, median over seeds per arm.",
    );
    page.plot(dir, "lr.svg", "The schedules of the arms.");

    page.h2("Runs");
    let rows: Vec<Vec<String>> = t
        .runs
        .iter()
        .map(|r| {
            vec![
                r.arm.clone(),
                r.seed.to_string(),
                r.status.clone(),
                r.steps.to_string(),
                fmt_num(r.last.as_ref().and_then(RunFinal::val_metric)),
                fmt_num(r.last.as_ref().and_then(|f| f.val_loss)),
                fmt_num(r.best_val_metric().map(|b| b.value)),
                r.folder.clone(),
            ]
        })
        .collect();
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
        .filter_map(|a| Some((a.final_val_metric.mean?, a.name.clone())))
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

/// `compare --sharpness`: per arm, the mean ± std over the measured runs of the top Hessian
/// eigenvalue, ε-sharpness and the final validation metric (nothing without measurements).
fn sharpness(page: &mut Page, t: &CompareSummary, pm: &dyn Fn(&Stat) -> String) {
    if t.runs.iter().all(|r| r.sharpness.is_none()) {
        return;
    }
    let m = t.experiment.metric.as_str();
    page.h2("Sharpness");
    page.p("Of each run's final model on its training split, as `lrtool landscape --sharpness` measures it: the largest eigenvalue of the Hessian of the training loss, and Keskar et al.'s ε-sharpness (ε = 1e-3, in percent). Mean ± sample standard deviation over the runs measured.");
    let rows: Vec<Vec<String>> = t
        .experiment
        .arms
        .iter()
        .map(|a| {
            let runs: Vec<_> = t
                .runs
                .iter()
                .filter(|r| r.arm == a.name && r.sharpness.is_some())
                .collect();
            let of = |f: &dyn Fn(&crate::report::records::CompareRun) -> Option<f64>| {
                Stat::of(runs.iter().filter_map(|r| f(r)))
            };
            vec![
                a.name.clone(),
                runs.len().to_string(),
                pm(&of(&|r| r.sharpness.map(|s| s.top_eigenvalue))),
                pm(&of(&|r| r.sharpness.map(|s| s.epsilon_sharpness))),
                pm(&of(&|r| r.last.as_ref().and_then(RunFinal::val_metric))),
            ]
        })
        .collect();
    let fm = format!("final val {m}");
    page.table(
        &[
            "arm",
            "runs measured",
            "top Hessian eigenvalue",
            "ε-sharpness (%)",
            fm.as_str(),
        ],
        &rows,
    );
}

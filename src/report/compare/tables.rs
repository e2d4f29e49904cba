//! `results.csv` (one row per arm × seed) and `report.md` (per arm mean ± std over seeds) of a
//! comparison, and the terminal table.

use std::fmt::Write as _;

use super::{ArmStats, Experiment, RunRecord, Stat, Status, has_ensembles};

fn cell(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

fn cell_u<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One row per arm × seed, wall time in the last column.
pub fn results_csv(exp: &Experiment, records: &[RunRecord]) -> String {
    let m = &exp.metric;
    let ens = has_ensembles(exp);
    let mut text = format!(
        "arm,seed,status,diverged,diverged_step,epochs,steps,final_train_loss,final_val_loss,final_val_{m},best_val_{m},best_val_{m}_epoch,min_val_loss,min_val_loss_epoch"
    );
    if ens {
        let _ = write!(text, ",ensemble_size,ensemble_val_loss,ensemble_val_{m}");
    }
    let sharp = records.iter().any(|r| r.sharpness.is_some());
    if sharp {
        text.push_str(",top_hessian_eigenvalue,epsilon_sharpness");
    }
    text.push_str(",epochs_to_target,steps_to_target,wall_seconds\n");
    for r in records {
        let last = r.last();
        let best = r.best_metric();
        let min = r.min_loss();
        let reached = r.reached(exp.target);
        let _ = write!(
            text,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            exp.arms[r.arm].name,
            r.seed,
            r.status.name(),
            if r.status == Status::Diverged {
                "yes"
            } else {
                "no"
            },
            cell_u(r.diverged_step),
            r.epochs.len(),
            r.steps,
            cell(last.map(|e| e.train_loss)),
            cell(last.and_then(|e| e.val_loss)),
            cell(last.and_then(|e| e.val_metric)),
            cell(best.map(|b| b.1)),
            cell_u(best.map(|b| b.0)),
            cell(min.map(|b| b.1)),
            cell_u(min.map(|b| b.0)),
        );
        if ens {
            let e = r.ensemble;
            let _ = write!(
                text,
                ",{},{},{}",
                cell_u(e.map(|e| e.size)),
                cell(e.map(|e| e.val_loss)),
                cell(e.map(|e| e.val_metric))
            );
        }
        if sharp {
            let s = r.sharpness;
            let _ = write!(
                text,
                ",{},{}",
                cell(s.map(|s| s.top_eigenvalue)),
                cell(s.map(|s| s.epsilon_sharpness))
            );
        }
        let _ = writeln!(
            text,
            ",{},{},{}",
            cell_u(reached.map(|r| r.0)),
            cell_u(reached.map(|r| r.1)),
            r.wall_seconds
                .map(|s| format!("{s:.3}"))
                .unwrap_or_default()
        );
    }
    text
}

// ---------------------------------------------------------------------------------------------
// report.md

/// `--sharpness`: per arm, the mean ± std over seeds of the top Hessian eigenvalue, of
/// ε-sharpness and of the final validation metric (empty without measurements).
fn sharpness_table(exp: &Experiment, records: &[RunRecord]) -> String {
    if records.iter().all(|r| r.sharpness.is_none()) {
        return String::new();
    }
    let m = &exp.metric;
    let mut text = format!(
        "\n## Sharpness\n\nOf each run's final model on its training split (`lrtool landscape \
         --sharpness`: the largest eigenvalue of the training loss's Hessian, and Keskar et al.'s \
         ε-sharpness with ε = 1e-3, in percent); mean ± std over the seeds measured.\n\n\
         | arm | runs | top Hessian eigenvalue | ε-sharpness (%) | final val {m} |\n|---|---|---|---|---|\n"
    );
    for (a, arm) in exp.arms.iter().enumerate() {
        let runs: Vec<&RunRecord> = records
            .iter()
            .filter(|r| r.arm == a && r.sharpness.is_some())
            .collect();
        let top = Stat::of(
            runs.iter()
                .filter_map(|r| r.sharpness.map(|s| s.top_eigenvalue)),
        );
        let eps = Stat::of(
            runs.iter()
                .filter_map(|r| r.sharpness.map(|s| s.epsilon_sharpness)),
        );
        let fin = Stat::of(
            runs.iter()
                .filter_map(|r| r.last().and_then(|e| e.val_metric)),
        );
        let _ = writeln!(
            text,
            "| `{}` | {} | {} | {} | {} |",
            arm.name,
            runs.len(),
            top.text(4),
            eps.text(4),
            fin.text(4)
        );
    }
    text
}

/// A paired difference: `+0.0012 ± 0.0030`, or "–".
fn signed(s: &Stat) -> String {
    match (s.mean, s.std) {
        (Some(m), Some(d)) => format!("{m:+.4} ± {d:.4}"),
        (Some(m), None) => format!("{m:+.4}"),
        _ => "–".into(),
    }
}

/// What the per-arm table's numbers are (report.md and report.html say it above the table).
pub const ARM_TABLE_NOTE: &str = "Mean ± sample standard deviation over the seeds; final and best \
values over the runs that finished (diverged runs are counted, not averaged); Δ: the arm's final \
(or ensemble) value minus the first arm's final value of the same seed, averaged over seeds (runs \
of a seed share initial weights and data order); steps to target over the runs that reached it, \
and their mean over the first arm's.";

/// The per-arm results table, one model for every place that shows it: `report.md` and the
/// terminal (as Markdown, [`arm_table`]) and `report.html`, so they always have the same columns
/// and the same numbers ("225 ± 45", "(reference)", "–").
#[derive(Debug, Clone, PartialEq)]
pub struct ArmTable {
    pub head: Vec<String>,
    /// One row per arm; the first cell is the arm's name, the others are numbers.
    pub rows: Vec<Vec<String>>,
}

/// The per-arm table's header and cells.
pub fn arm_table_model(exp: &Experiment, stats: &[ArmStats]) -> ArmTable {
    let m = &exp.metric;
    let ens = has_ensembles(exp);
    let first = exp.arms.first().map_or("", |a| a.name.as_str());
    let mut head = vec![
        "arm".to_string(),
        "runs".into(),
        "diverged".into(),
        format!("final val_{m}"),
        format!("Δ vs {first}"),
        format!("best val_{m}"),
        "final val_loss".into(),
    ];
    if ens {
        head.push(format!("ensemble val_{m}"));
        head.push(format!("Δ vs {first}"));
        head.push("ensemble val_loss".into());
    }
    if exp.target.is_some() {
        head.extend([
            "reached".into(),
            "epochs to target".into(),
            "steps to target".into(),
            format!("steps vs {first}"),
        ]);
    }
    let rows = stats
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut row = vec![
                s.name.clone(),
                s.runs.to_string(),
                s.diverged.to_string(),
                s.final_val_metric.text(4),
                if i == 0 {
                    "(reference)".into()
                } else {
                    signed(&s.final_val_metric_vs_first)
                },
                s.best_val_metric.text(4),
                s.final_val_loss.text(4),
            ];
            if ens {
                row.push(s.ensemble_val_metric.text(4));
                row.push(signed(&s.ensemble_val_metric_vs_first));
                row.push(s.ensemble_val_loss.text(4));
            }
            if exp.target.is_some() {
                row.push(format!("{}/{}", s.reached, s.runs));
                row.push(s.epochs_to_target.text(1));
                row.push(s.steps_to_target.text(0));
                row.push(
                    s.steps_ratio_vs_first
                        .map_or("–".into(), |r| format!("{r:.2}")),
                );
            }
            row
        })
        .collect();
    ArmTable { head, rows }
}

/// The per-arm table (Markdown), also printed by `lrtool compare`.
pub fn arm_table(exp: &Experiment, stats: &[ArmStats]) -> String {
    let ArmTable { head, rows } = arm_table_model(exp, stats);
    let mut text = format!("| {} |\n|", head.join(" | "));
    text.push_str(&"---|".repeat(head.len()));
    text.push('\n');
    for mut row in rows {
        row[0] = format!("`{}`", row[0]);
        let _ = writeln!(text, "| {} |", row.join(" | "));
    }
    text
}

/// `report.md` of a comparison whose folder holds `files` (the names `summary.json` lists: its
/// "## Files" section describes exactly these).
pub fn report_md(
    exp: &Experiment,
    records: &[RunRecord],
    stats: &[ArmStats],
    files: &[&str],
) -> String {
    let m = &exp.metric;
    let mut text = String::from("# lrtool compare\n\n");
    if let Some(d) = &exp.description {
        let _ = writeln!(text, "{d}\n");
    }
    let _ = writeln!(
        text,
        "{} × {} ({}); shared flags: `{}`.",
        crate::words::count(exp.arms.len(), "arm"),
        crate::words::count(exp.seeds.len(), "seed"),
        exp.seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        if exp.shared.is_empty() {
            "(none)".to_string()
        } else {
            exp.shared.join(" ")
        }
    );
    match exp.target_text() {
        Some(t) => {
            let _ = writeln!(
                text,
                "Target: {t}, checked after every epoch; steps to target = epochs × steps per epoch."
            );
        }
        None => text.push_str("No target set (`--target-acc` or `--target-loss`).\n"),
    }
    let _ = writeln!(text, "\n{ARM_TABLE_NOTE}\n");
    text.push_str(&arm_table(exp, stats));
    text.push_str(&sharpness_table(exp, records));
    text.push_str("\n## Arms\n\n| arm | command | schedule (first seed) | epochs × steps | flags added to the shared ones |\n|---|---|---|---|---|\n");
    for a in &exp.arms {
        let _ = writeln!(
            text,
            "| `{}` | {} | {} | {} × {} | `{}` |",
            a.name,
            a.command,
            a.schedule.replace('|', "\\|"),
            a.epochs,
            a.steps_per_epoch,
            if a.overrides.is_empty() {
                "(none)".to_string()
            } else {
                a.overrides.join(",")
            }
        );
    }
    let problems: Vec<&RunRecord> = records.iter().filter(|r| !r.finished()).collect();
    if !problems.is_empty() {
        text.push_str("\n## Runs that did not finish\n\n");
        for r in problems {
            let mut line = format!(
                "- `{}` seed {}: {}",
                exp.arms[r.arm].name,
                r.seed,
                r.status.name()
            );
            if let Some(step) = r.diverged_step {
                let _ = write!(line, " at step {step}");
            }
            if let Some(e) = &r.error {
                let _ = write!(line, ": {e}");
            }
            let _ = writeln!(text, "{line}");
        }
    }
    let q = if m == "acc" { "accuracy" } else { "R²" };
    let listed: Vec<String> = files
        .iter()
        .map(|&f| match file_note(f, q) {
            Some(note) if f == "runs/" => format!("`runs/<arm>-seed<k>/` ({note})"),
            Some(note) => format!("`{f}` ({note})"),
            None => format!("`{f}`"),
        })
        .collect();
    let _ = writeln!(
        text,
        "\n## Files\n\n{}.\n\nRun again with:\n\n    {}",
        listed.join(", "),
        exp.command_line(),
    );
    text
}

/// What a file of a comparison's folder holds, for report.md's list.
fn file_note(name: &str, q: &str) -> Option<String> {
    Some(match name {
        "results.csv" => "one row per arm × seed; wall time in the last column".into(),
        "report.md" => "this page".into(),
        "summary.json" => "everything here, for scripts".into(),
        "val.svg" => format!("validation {q} and loss per epoch"),
        "loss.svg" => "training loss per step".into(),
        "lr.svg" => "the schedules".into(),
        "timing.json" => "wall times".into(),
        "runs/" => "each run's own logs, weights and plots".into(),
        "report.html" => "this report and the plots as one page".into(),
        _ => return None,
    })
}

//! The report page of a `find-lr` run: the curve, the suggestions and what to do next.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::facts::*;
use super::{Page, esc};
use crate::report::records::FindLrSummary;

pub(super) fn page(page: &mut Page, dir: &Path, s: &Value, t: &FindLrSummary) {
    let c = &s["config"]["sweep"];
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(&t.dataset),
        model_line(&t.model),
        object_line(&s["config"]["optimizer"], &["decoupled"])
    );
    page.h2("Run");
    let rebuilt = format!(
        "lrtool find-lr {} --min {} --max {} --batch-size {} --seed {}",
        base_flags(s),
        text(&c["min"]),
        text(&c["max"]),
        text(&c["batch_size"]),
        text(&c["seed"])
    );
    page.commands(&[command_line(s, rebuilt)]);
    page.p("The LR range test trains a fresh model while the learning rate rises after every mini-batch, and records the loss. At low rates the loss barely moves, then it falls steeply, then it diverges; good learning rates lie in the steep part, below the point of divergence.");
    let mut facts = run_facts(&t.dataset, &t.model, &t.config.optimizer);
    facts.push((
        "sweep",
        format!(
            "{} → {} ({}, {} steps of {} rows), smoothing β {}, seed {}, {} repeat(s)",
            lr(&s["range"]["min"]),
            lr(&s["range"]["max"]),
            text(&s["range"]["mode"]),
            text(&s["range"]["steps"]),
            text(&c["batch_size"]),
            text(&c["smooth"]),
            text(&c["seed"]),
            text(&c["repeats"])
        ),
    ));
    if let Some(sweeps) = s["sweeps"].as_array() {
        for sw in sweeps {
            let ended = &sw["ended"];
            let how = match ended["end"].as_str() {
                Some("diverged") => format!("diverged at step {}", text(&ended["step"])),
                Some(e) => e.to_string(),
                None => text(ended),
            };
            facts.push((
                "sweep ended",
                format!(
                    "seed {}: {how}, {} steps recorded, last lr {}",
                    text(&sw["seed"]),
                    text(&sw["steps_recorded"]),
                    lr(&sw["last_lr"])
                ),
            ));
        }
    }
    if s["interrupted"].as_bool() == Some(true) {
        facts.push((
            "interrupted",
            "yes: suggestions from the curve so far".into(),
        ));
    }
    page.facts(&facts);

    page.h2("Suggestions");
    let mut rows: Vec<Vec<String>> = s["suggestions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    vec![
                        text(&m["method"]),
                        lr(&m["lr"]),
                        m["iqr_decades"]
                            .as_f64()
                            .map_or("–".into(), |d| format!("{d:.2}")),
                        method_note(m["method"].as_str().unwrap_or("")).into(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let cons = &s["consensus"];
    rows.push(vec![
        "consensus".into(),
        lr(&cons["lr"]),
        s["consensus_iqr_decades"]
            .as_f64()
            .map_or("–".into(), |d| format!("{d:.2}")),
        format!(
            "geometric middle of the methods; they span {} decades{}",
            cons["spread_decades"]
                .as_f64()
                .map_or("–".into(), |d| format!("{d:.1}")),
            if cons["disagree"].as_bool() == Some(true) {
                " (they disagree: read the plot)"
            } else {
                ""
            }
        ),
    ]);
    if s["consensus_iqr_decades"].is_null() {
        // one sweep: no spread to show
        for r in &mut rows {
            r.remove(2);
        }
        page.table(&["method", "learning rate", "what it is"], &rows);
    } else {
        page.table(
            &[
                "method",
                "learning rate",
                "IQR over repeats (decades)",
                "what it is",
            ],
            &rows,
        );
    }
    let b = &s["schedule_bounds"];
    if !b["one_cycle_max_lr"].is_null() {
        page.facts(&[
            (
                "triangular (CLR) bounds",
                format!(
                    "base {} → max {}",
                    lr(&b["triangular"]["base_lr"]),
                    lr(&b["triangular"]["max_lr"])
                ),
            ),
            ("one-cycle max lr", lr(&b["one_cycle_max_lr"])),
        ]);
    }
    let ph = &s["phases"];
    page.facts(&[(
        "phases seen",
        format!(
            "flat start {}, descent {}, divergence {}",
            text(&ph["flat_start"]),
            text(&ph["descent"]),
            text(&ph["divergence"])
        ),
    )]);
    if let Some(advice) = ph["advice"].as_array() {
        for a in advice {
            let _ = writeln!(page.body, "<p class=\"warn\">{}</p>", esc(&text(a)));
        }
    }
    if let Some(note) = s["note"].as_str() {
        page.p(&format!("Note: {note}."));
    }
    page.h2("Plot");
    page.plot(dir, "find-lr.svg", "Loss against the learning rate (log scale), raw and smoothed, with one marker per suggestion.");

    let mut lines: Vec<String> = s["next_commands"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    if let Some(first) = lines.first().cloned()
        && let Some(rest) = first.strip_prefix("lrtool train ")
    {
        let epochs = "--epochs 10";
        lines.push(format!(
            "lrtool snapshot-ensemble {rest} {epochs} --cycles 5 --baseline"
        ));
    }
    next(page, &lines);
}

fn method_note(method: &str) -> &'static str {
    match method {
        "steepest" => "where the smoothed loss falls fastest against log10(lr)",
        "valley" => "fastai's valley: inside the longest descent, before the bottom",
        "minimum" => "a tenth of the LR at the lowest smoothed loss",
        "slide" => "fastai's slide: where the loss stops falling, walked back",
        _ => "",
    }
}

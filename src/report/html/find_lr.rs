//! The report page of a `find-lr` run: the curve, the suggestions and what to do next.

use std::fmt::Write as _;
use std::path::Path;

use super::facts::*;
use super::{Page, esc};
use crate::lr_finder::Method;
use crate::report::records::{FindLrSummary, SweepEnd};

pub(super) fn page(page: &mut Page, dir: &Path, t: &FindLrSummary) {
    let c = &t.config.sweep;
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(&t.dataset),
        model_line(&t.model),
        object_line(&t.config.optimizer, &["decoupled"])
    );
    page.h2("Run");
    let mut rebuilt = format!(
        "lrtool find-lr {} --min {} --max {} --batch-size {} --seed {}",
        base_flags(&t.config.data, &t.config.model, &t.config.optimizer),
        float(c.min),
        float(c.max),
        c.batch_size,
        c.seed
    );
    if let Some(from) = c
        .warmup_from
        .filter(|&f| f != crate::lr_finder::WARMUP_FROM)
    {
        let _ = write!(rebuilt, " --warmup-from {}", float(from));
    }
    page.commands(&[command_line(Some(&t.command_line), rebuilt)]);
    page.p("The LR range test trains a fresh model while the learning rate rises after every mini-batch, and records the loss. At low rates the loss barely moves, then it falls steeply, then it diverges; good learning rates lie in the steep part, below the point of divergence.");
    let mut facts = run_facts(&t.dataset, &t.model, &t.config.optimizer);
    facts.push((
        "sweep",
        format!(
            "{} → {} ({}, {} of {}), smoothing β {}, seed {}, {}",
            lr_of(Some(t.range.min)),
            lr_of(Some(t.range.max)),
            t.range.mode.name(),
            crate::words::count(t.range.steps, "step"),
            crate::words::count(c.batch_size, "row"),
            float(c.smooth),
            c.seed,
            crate::words::count(c.repeats, "repeat")
        ) + &match (t.range.run_in_steps, c.warmup_from) {
            (Some(n), Some(from)) if n > 0 => format!(
                ", started at {} ({} below --min not recorded)",
                lr_of(Some(from)),
                crate::words::count(n, "step")
            ),
            _ => String::new(),
        },
    ));
    for sw in &t.sweeps {
        let how = match sw.ended {
            SweepEnd::Diverged { step } => format!("diverged at step {step}"),
            other => other.name().to_string(),
        };
        let dropped = match sw.run_in {
            Some(r) if !r.kept => format!(
                "; its run-in moved the loss by {:.1} %, so it started again from the initial weights",
                100.0 * r.change()
            ),
            _ => String::new(),
        };
        facts.push((
            "sweep ended",
            format!(
                "seed {}: {how}, {} recorded, last lr {}{dropped}",
                sw.seed,
                crate::words::count(sw.steps_recorded, "step"),
                lr_of(sw.last_lr)
            ),
        ));
    }
    if t.interrupted {
        facts.push((
            "interrupted",
            "yes: suggestions from the curve so far".into(),
        ));
    }
    page.facts(&facts);

    page.h2("Suggestions");
    let mut rows: Vec<Vec<String>> = t
        .suggestions
        .iter()
        .map(|m| {
            vec![
                m.method.name().into(),
                lr_of(m.lr),
                fixed(m.iqr_decades, 2),
                method_note(m.method).into(),
            ]
        })
        .collect();
    let cons = &t.consensus;
    rows.push(vec![
        "consensus".into(),
        lr_of(cons.lr),
        fixed(t.consensus_iqr_decades, 2),
        format!(
            "geometric middle of the methods; they span {} decades{}",
            fixed(cons.spread_decades, 1),
            if cons.disagree {
                " (they disagree: read the plot)"
            } else {
                ""
            }
        ),
    ]);
    if t.consensus_iqr_decades.is_none() {
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
    let b = &t.schedule_bounds;
    if let Some(one_cycle) = b.one_cycle_max_lr {
        page.facts(&[
            (
                "triangular (CLR) bounds",
                format!(
                    "base {} → max {}",
                    lr_of(b.triangular.as_ref().map(|t| t.base_lr)),
                    lr_of(b.triangular.as_ref().map(|t| t.max_lr))
                ),
            ),
            ("one-cycle max lr", lr_of(Some(one_cycle))),
        ]);
    }
    let ph = &t.phases;
    page.facts(&[(
        "phases seen",
        format!(
            "flat start {}, descent {}, divergence {}",
            yes_no(ph.flat_start),
            yes_no(ph.descent),
            yes_no(ph.divergence)
        ),
    )]);
    for a in &ph.advice {
        let _ = writeln!(page.body, "<p class=\"warn\">{}</p>", esc(a));
    }
    page.p(&format!("Note: {}.", t.note));
    page.h2("Plot");
    page.plot(dir, "find-lr.svg", "Loss against the learning rate (log scale), raw and smoothed, with one marker per suggestion.");

    let mut lines: Vec<String> = t.next_commands.clone();
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

fn method_note(method: Method) -> &'static str {
    match method {
        Method::Steepest => "where the smoothed loss falls fastest against log10(lr)",
        Method::Valley => "fastai's valley: inside the longest descent, before the bottom",
        Method::Minimum => "a tenth of the LR at the lowest smoothed loss",
        Method::Slide => "fastai's slide: where the loss stops falling, walked back",
    }
}

//! The report page of a `landscape` run: the line, surface or plane with its plot, and the
//! sharpness measured.

use std::path::Path;

use super::Page;
use super::facts::float;
use crate::report::format::fmt_num;
use crate::report::records::{BarrierFacts, LandscapeSummary, PointFacts};

pub(super) fn page(page: &mut Page, dir: &Path, t: &LandscapeSummary) {
    let d = &t.data;
    let m = d.task.metric();
    page.subtitle = format!(
        "{} · {} training and {} validation rows (--seed {}, --val-split {}{})",
        d.name,
        d.train_rows,
        d.val_rows,
        d.seed,
        float(d.val_split),
        if d.shuffle { "" } else { ", --no-shuffle" }
    );
    let header = [
        "point".to_string(),
        "train loss".into(),
        format!("train {m}"),
        "val loss".into(),
        format!("val {m}"),
    ];
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let row = |name: &str, p: &PointFacts| {
        let metric = |acc: Option<f64>, r2: Option<f64>| fmt_num(if m == "acc" { acc } else { r2 });
        vec![
            name.to_string(),
            fmt_num(p.train_loss),
            metric(p.train_acc, p.train_r2),
            fmt_num(p.val_loss),
            metric(p.val_acc, p.val_r2),
        ]
    };
    if let Some(l) = &t.line {
        page.h2("Line");
        page.p(&format!(
            "θ(α) = (1 − α)·θA + α·θB from {} (α = 0) to {} (α = 1), {} for α from {} to {}.",
            l.from,
            l.to,
            crate::words::count(l.points, "point"),
            float(l.alpha_min),
            float(l.alpha_max)
        ));
        page.table(
            &header,
            &[row("α = 0 (from)", &l.start), row("α = 1 (to)", &l.end)],
        );
        let barrier = |name: &str, b: &Option<BarrierFacts>| {
            b.as_ref().map(|b| {
                vec![
                    name.to_string(),
                    fmt_num(Some(b.height)),
                    fmt_num(Some(b.above_linear)),
                    fmt_num(Some(b.max)),
                    float(b.alpha),
                ]
            })
        };
        let rows: Vec<Vec<String>> = [
            barrier("train loss", &l.train_barrier),
            barrier("val loss", &l.val_barrier),
        ]
        .into_iter()
        .flatten()
        .collect();
        page.p("Barrier: the highest loss on α ∈ [0, 1] minus the mean of the ends; above the line: the largest rise above the straight line between the end losses (0 without a bump).");
        page.table(
            &["loss", "barrier", "above the line", "highest", "at α"],
            &rows,
        );
        page.plot(dir, "line.svg", "Loss and accuracy along the line.");
    }
    if let Some(s) = &t.surface {
        page.h2("Surface");
        page.p(&format!(
            "{} × {} points around {}, from −{span} to {span} along two random directions, filter-normalised (Li et al. 2018), --direction-seed {}. Training loss on the grid: {} … {}.",
            s.grid,
            s.grid,
            s.model,
            s.direction_seed,
            fmt_num(s.min_train_loss),
            fmt_num(s.max_train_loss),
            span = float(s.span)
        ));
        page.table(&header, &[row("centre (the model)", &s.centre)]);
        page.plot(
            dir,
            "surface.svg",
            "log10 of the training loss around the model.",
        );
    }
    if let Some(p) = &t.plane {
        page.h2("Plane");
        let names = ["A", "B", "C"];
        let rows: Vec<Vec<String>> = names
            .iter()
            .zip(&p.model_points)
            .zip(&p.models)
            .map(|((n, pt), file)| row(&format!("{n}: {file}"), pt))
            .collect();
        page.p(&format!(
            "The plane through three models, A at the origin and B along the first axis; {} × {} points, margin {}.",
            p.grid,
            p.grid,
            float(p.margin)
        ));
        page.table(&header, &rows);
        page.plot(dir, "plane.svg", "log10 of the training loss on the plane.");
    }
    if let Some(s) = &t.sharpness {
        let x = &s.measured;
        page.h2("Sharpness");
        page.p(&format!(
            "Of {} on the training split ({}): the largest eigenvalues of the Hessian of the mean training loss (Lanczos on exact Hessian-vector products, {}), and Keskar et al.'s ε-sharpness, 100·(max L(θ + y) − L(θ))/(1 + L(θ)) over |y_i| ≤ ε(|θ_i| + 1) ({} of projected gradient ascent).",
            s.model,
            crate::words::count(x.rows, "row"),
            crate::words::count(x.lanczos_steps, "step"),
            crate::words::count(x.ascent_steps, "step")
        ));
        let mut rows = vec![vec!["training loss".to_string(), fmt_num(Some(x.loss))]];
        for (k, (v, r)) in x.eigenvalues.iter().zip(&x.residuals).enumerate() {
            rows.push(vec![
                format!(
                    "Hessian eigenvalue {} (residual {})",
                    k + 1,
                    fmt_num(Some(*r))
                ),
                fmt_num(Some(*v)),
            ]);
        }
        rows.push(vec![
            format!("ε-sharpness (ε = {}), %", float(x.epsilon)),
            fmt_num(Some(x.epsilon_sharpness)),
        ]);
        page.table(&["quantity", "value"], &rows);
    }
}

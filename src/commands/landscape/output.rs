//! `lrtool landscape`'s files and terminal report: the points' CSV, the line plot, the heat
//! map's data, the text printed at the end.

use std::fmt::Write as _;
use std::path::Path;

use super::Eval;
use crate::report::format::fmt_num;
use crate::report::plot::heatmap::HeatMap;
use crate::report::plot::{Marker, Panel, Scale, Series, render_svg};
use crate::report::records::{LandscapeSummary, PointFacts};

/// A file name for a title: the run folder and the file, without the rest of the path.
pub(super) fn short_name(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .rev()
        .take(2)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

/// CSV of the points: coordinates, then train loss and metric, then validation's (when there
/// is a validation split). Numbers are written in full (shortest round-trip form).
pub(super) fn csv_text(coords: &[&str], metric: &str, rows: &[(Vec<f64>, Eval)]) -> String {
    let has_val = rows.first().is_some_and(|r| r.1.val.is_some());
    let mut text = coords.join(",");
    write!(text, ",train_loss,train_{metric}").expect("string");
    if has_val {
        write!(text, ",val_loss,val_{metric}").expect("string");
    }
    text.push('\n');
    for (c, e) in rows {
        for v in c {
            write!(text, "{v},").expect("string");
        }
        write!(text, "{},{}", e.train.loss, e.train.metric).expect("string");
        if let Some(v) = e.val {
            write!(text, ",{},{}", v.loss, v.metric).expect("string");
        }
        text.push('\n');
    }
    text
}

pub(super) fn line_svg(
    alphas: &[f64],
    rows: &[(Vec<f64>, Eval)],
    metric: &str,
) -> anyhow::Result<String> {
    let series = |label: &str, f: &dyn Fn(&Eval) -> Option<f64>| Series {
        label: label.into(),
        points: alphas
            .iter()
            .zip(rows)
            .filter_map(|(&a, r)| f(&r.1).map(|v| (a, v)))
            .collect(),
    };
    let ends = vec![
        Marker {
            label: "A (α = 0)".into(),
            x: 0.0,
            y: None,
        },
        Marker {
            label: "B (α = 1)".into(),
            x: 1.0,
            y: None,
        },
    ];
    let metric_word = if metric == "acc" { "accuracy" } else { "R²" };
    let panels = [
        Panel {
            title: "Loss along θ(α) = (1 − α)·θA + α·θB".into(),
            x_label: "α".into(),
            y_label: "loss (log scale)".into(),
            y_scale: Scale::Log10,
            series: vec![
                series("train", &|e| Some(e.train.loss)),
                series("validation", &|e| e.val.map(|v| v.loss)),
            ],
            markers: ends.clone(),
            ..Panel::default()
        },
        Panel {
            title: format!("{} along the line", capitalised(metric_word)),
            x_label: "α".into(),
            y_label: metric_word.into(),
            series: vec![
                series("train", &|e| Some(e.train.metric)),
                series("validation", &|e| e.val.map(|v| v.metric)),
            ],
            markers: ends,
            ..Panel::default()
        },
    ];
    render_svg(&panels, 760, 360)
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub(super) fn surface_map(
    title: String,
    x_label: &str,
    y_label: &str,
    xs: &[f64],
    ys: &[f64],
    rows: &[(Vec<f64>, Eval)],
    marks: Vec<(String, f64, f64)>,
) -> HeatMap {
    HeatMap {
        title,
        x_label: x_label.into(),
        y_label: y_label.into(),
        xs: xs.to_vec(),
        ys: ys.to_vec(),
        values: rows.iter().map(|r| r.1.train.loss).collect(),
        value_label: "log10 training loss".into(),
        log: true,
        contours: 12,
        marks,
    }
}

pub(super) fn report_text(
    s: &LandscapeSummary,
    metric: &str,
    out: &Path,
    files: &[String],
) -> String {
    let d = &s.data;
    let mut t = format!(
        "lrtool landscape: {}, {} training and {} validation rows (--seed {}, --val-split {}{})\n",
        d.name,
        d.train_rows,
        d.val_rows,
        d.seed,
        d.val_split,
        if d.shuffle { "" } else { ", --no-shuffle" }
    );
    let row = |t: &mut String, name: &str, p: &PointFacts| {
        let m = |acc: Option<f64>, r2: Option<f64>| fmt_num(if metric == "acc" { acc } else { r2 });
        let _ = writeln!(
            t,
            "  {name:<14} train loss {:>10}  {metric} {:>8}   val loss {:>10}  {metric} {:>8}",
            fmt_num(p.train_loss),
            m(p.train_acc, p.train_r2),
            fmt_num(p.val_loss),
            m(p.val_acc, p.val_r2)
        );
    };
    if let Some(l) = &s.line {
        let _ = writeln!(
            t,
            "line from {} (α = 0) to {} (α = 1), {} over α {} … {}",
            l.from,
            l.to,
            crate::words::count(l.points, "point"),
            l.alpha_min,
            l.alpha_max
        );
        row(&mut t, "α = 0 (from)", &l.start);
        row(&mut t, "α = 1 (to)", &l.end);
        for (name, b) in [("train", &l.train_barrier), ("validation", &l.val_barrier)] {
            if let Some(b) = b {
                let _ = writeln!(
                    t,
                    "  barrier ({name} loss): {} (highest {} at α = {}, minus the mean of the ends); {} above the straight line between the ends",
                    fmt_num(Some(b.height)),
                    fmt_num(Some(b.max)),
                    b.alpha,
                    fmt_num(Some(b.above_linear))
                );
            }
        }
    }
    if let Some(sf) = &s.surface {
        let _ = writeln!(
            t,
            "surface around {}: {} × {} points, span ±{} along two filter-normalised directions (--direction-seed {})",
            sf.model, sf.grid, sf.grid, sf.span, sf.direction_seed
        );
        row(&mut t, "centre", &sf.centre);
        let _ = writeln!(
            t,
            "  training loss on the grid: {} … {}",
            fmt_num(sf.min_train_loss),
            fmt_num(sf.max_train_loss)
        );
    }
    if let Some(p) = &s.plane {
        let _ = writeln!(
            t,
            "plane through {} (A), {} (B), {} (C): {} × {} points",
            p.models[0], p.models[1], p.models[2], p.grid, p.grid
        );
        for (name, pt) in ["A", "B", "C"].iter().zip(&p.model_points) {
            row(&mut t, name, pt);
        }
    }
    if let Some(sh) = &s.sharpness {
        let m = &sh.measured;
        let values: Vec<String> = m.eigenvalues.iter().map(|v| fmt_num(Some(*v))).collect();
        let _ = writeln!(
            t,
            "sharpness of {} on the training split ({}, loss {}):\n  largest Hessian {}: {} ({} Lanczos {})\n  ε-sharpness (ε = {}): {} % (highest loss in the box {})",
            sh.model,
            crate::words::count(m.rows, "row"),
            fmt_num(Some(m.loss)),
            crate::words::plural(values.len(), "eigenvalue"),
            values.join(", "),
            m.lanczos_steps,
            crate::words::plural(m.lanczos_steps, "step"),
            m.epsilon,
            fmt_num(Some(m.epsilon_sharpness)),
            fmt_num(Some(m.epsilon_max_loss))
        );
    }
    let _ = writeln!(t, "wrote {}: {}", out.display(), files.join(", "));
    t
}

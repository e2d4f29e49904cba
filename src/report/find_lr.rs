//! The range test's reports: `steps.csv`, the SVG plot of the curve with the suggestions, the
//! terminal text (summary lines, an ASCII plot, suggestions and next commands). Drawing only:
//! everything shown comes from a [`Analysis`].

use std::fmt::Write as _;

use crate::lr_finder::SweepMode;
use crate::lr_finder::analysis::{Analysis, SweepEnd};
use crate::nn::Mlp;
use crate::report::plot::{Marker, Panel, Scale, Series};

/// What the first line of the terminal report says about the run.
pub struct RunFacts<'a> {
    pub dataset: &'a str,
    pub model: &'a Mlp,
    /// The optimizer's name, as `--optimizer` spells it.
    pub optimizer: &'a str,
    pub batch_size: usize,
    pub mode: SweepMode,
    /// The steps of the last range swept.
    pub steps: u64,
    /// The steps of its run-in below --min and the LR of the first (`--warmup-from`).
    pub run_in: u64,
    pub run_in_from: f64,
    /// `--auto-extend`'s last range, when it lost the descent the reported range shows.
    pub lost_range: Option<(f64, f64)>,
    /// `--like fastai`: fastai's answers, as lines printed after lrtool's suggestions.
    pub fastai: Option<String>,
}

/// `[run,]step,lr,loss,smooth_loss`, one row per recorded step of every sweep.
pub fn steps_csv(a: &Analysis) -> String {
    let multi = a.sweeps.len() > 1;
    let mut s = String::from(if multi {
        "run,step,lr,loss,smooth_loss\n"
    } else {
        "step,lr,loss,smooth_loss\n"
    });
    for (k, sw) in a.sweeps.iter().enumerate() {
        for i in 0..sw.lrs.len() {
            if multi {
                let _ = write!(s, "{},", k + 1);
            }
            let smooth = if sw.smooth[i].is_finite() {
                format!("{}", sw.smooth[i])
            } else {
                String::new()
            };
            let _ = writeln!(s, "{i},{},{},{smooth}", sw.lrs[i], sw.losses[i]);
        }
    }
    s
}

/// The SVG plot: the curve (or the median band of repeats) against the LR, with a marker per
/// suggestion; `optimizer` names the optimizer in the title.
pub fn plot_svg(a: &Analysis, optimizer: &str) -> anyhow::Result<String> {
    let mut series = Vec::new();
    if a.sweeps.len() == 1 {
        let s = &a.sweeps[0];
        series.push(Series {
            label: "loss".into(),
            points: s
                .lrs
                .iter()
                .copied()
                .zip(s.losses.iter().copied())
                .collect(),
        });
        series.push(Series {
            label: "smoothed loss".into(),
            points: s
                .lrs
                .iter()
                .copied()
                .zip(s.smooth.iter().copied())
                .collect(),
        });
    } else {
        let b = &a.band;
        let line = |label: String, ys: &[f64]| Series {
            label,
            points: b.lrs.iter().copied().zip(ys.iter().copied()).collect(),
        };
        series.push(line(
            format!("median of {} sweeps", a.sweeps.len()),
            &b.median,
        ));
        series.push(line("25th percentile".into(), &b.q25));
        series.push(line("75th percentile".into(), &b.q75));
    }
    let mut markers: Vec<Marker> = a
        .methods
        .iter()
        .filter_map(|m| {
            m.lr.map(|lr| Marker {
                label: format!("{} {}", m.method.name(), short(lr)),
                x: lr,
                y: None,
            })
        })
        .collect();
    if let Some(lr) = a.consensus.lr {
        markers.push(Marker {
            label: format!("consensus {}", short(lr)),
            x: lr,
            y: None,
        });
    }
    // cut the diverging tail: from the lowest loss drawn to a little above the start
    let finite: Vec<f64> = a
        .band
        .median
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let lowest_drawn = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .reduce(f64::min);
    let y_range = match (finite.first(), lowest_drawn) {
        (Some(&first), Some(low)) if first > low => {
            let span = first - low;
            Some((low - 0.25 * span, first + 0.5 * span))
        }
        _ => None,
    };
    let panel = Panel {
        title: format!(
            "LR range test ({}, {} → {})",
            optimizer,
            short(a.min),
            short(a.max)
        ),
        x_label: "learning rate".into(),
        y_label: "loss".into(),
        x_scale: Scale::Log10,
        y_scale: Scale::Linear,
        series,
        markers,
        y_range,
        x_integer: false,
    };
    crate::report::plot::render_svg(&[panel], 960, 540)
}

/// A learning rate in 3 significant digits.
pub fn short(lr: f64) -> String {
    format!("{lr:.2e}")
}

/// The terminal report of `find-lr`.
pub fn report_text(
    a: &Analysis,
    run: &RunFacts,
    next: &[String],
    (out, written): (&std::path::Path, &[String]),
    seconds: f64,
) -> String {
    let mut t = String::new();
    let sizes: Vec<String> = run.model.sizes().iter().map(usize::to_string).collect();
    let _ = writeln!(
        t,
        "lrtool find-lr: {}, MLP {} {}, {} (the optimizer you will train with), batch {}, lr {} → {} ({:?}, {}{}{})",
        run.dataset,
        sizes.join("-"),
        run.model.activation.name(),
        run.optimizer,
        run.batch_size,
        short(a.min),
        short(a.max),
        run.mode,
        crate::words::count(run.steps, "step"),
        if run.run_in > 0 {
            format!(
                ", started at {}: {} below --min not recorded",
                short(run.run_in_from),
                crate::words::count(run.run_in, "step")
            )
        } else {
            String::new()
        },
        if a.sweeps.len() > 1 {
            format!(", {} sweeps", a.sweeps.len())
        } else {
            String::new()
        }
    );
    for s in &a.sweeps {
        let end = match s.end {
            SweepEnd::Completed => {
                format!(
                    "reached --max after {}",
                    crate::words::count(s.lrs.len(), "step")
                )
            }
            SweepEnd::Diverged { step } => {
                format!(
                    "diverged at step {step} (lr {})",
                    short(s.lrs[step as usize])
                )
            }
            SweepEnd::NonFinite { step } => format!(
                "loss became non-finite at step {step} (lr {})",
                short(s.lrs[step as usize])
            ),
            SweepEnd::Interrupted => {
                format!(
                    "interrupted after {}",
                    crate::words::count(s.lrs.len(), "step")
                )
            }
        };
        let _ = writeln!(t, "sweep (seed {}): {end}", s.seed);
        if let Some(r) = s.run_in.filter(|r| !r.kept) {
            let _ = writeln!(
                t,
                "  its {} from {} up to --min moved the loss on the first training rows by {}: it started again from the initial weights, as with --warmup-from 0 (--min lies above the flat start)",
                crate::words::count(r.steps, "step"),
                short(r.from),
                if r.probe_after.is_finite() {
                    format!("{:.1} %", 100.0 * r.change())
                } else {
                    "a non-finite amount".to_string()
                }
            );
        }
    }
    if let Some((lo, hi)) = run.lost_range {
        let _ = writeln!(
            t,
            "auto-extend: the wider range {} → {} no longer showed the descent; reported: {} → {}",
            short(lo),
            short(hi),
            short(a.min),
            short(a.max)
        );
    }
    let mark = |b: bool| if b { "yes" } else { "NO" };
    let _ = writeln!(
        t,
        "phases: flat start {}, descent {}, divergence {}",
        mark(a.phases.flat_start),
        mark(a.phases.descent),
        mark(a.phases.divergence)
    );
    for advice in &a.phases.advice {
        let _ = writeln!(t, "  hint: {advice}");
    }
    t.push_str(&ascii_plot(a, 64, 14));
    let _ = writeln!(t, "suggestions:");
    for m in &a.methods {
        let spread = m
            .iqr_decades
            .map(|d| format!("  (± {d:.2} decades IQR)"))
            .unwrap_or_default();
        let _ = writeln!(
            t,
            "  {:<10} {}{spread}",
            m.method.name(),
            m.lr.map(short).unwrap_or_else(|| "none".into())
        );
    }
    if let Some(lr) = a.consensus.lr {
        let _ = write!(
            t,
            "  {:<10} {}  (methods span {:.1} decades",
            "consensus",
            short(lr),
            a.consensus.spread_decades.unwrap_or(0.0)
        );
        if let (Some(iqr), Some(v)) = (a.consensus_iqr_decades, a.stability) {
            let _ = write!(t, "; across sweeps ± {iqr:.2} decades IQR: {v}");
        }
        t.push_str(")\n");
        if a.consensus.disagree {
            let _ = writeln!(
                t,
                "  warning: the methods disagree by more than a decade; read the plot before trusting one number"
            );
        }
    }
    if let Some(lines) = &run.fastai {
        t.push_str(lines);
    }
    if !next.is_empty() {
        let _ = writeln!(t, "next:");
        for c in next {
            let _ = writeln!(t, "  {c}");
        }
    }
    let _ = writeln!(
        t,
        "wrote {}: {} ({seconds:.2} s)",
        out.display(),
        written.join(", ")
    );
    t
}

/// The (median) smoothed loss against log10(lr) in characters, with one letter per suggestion.
pub fn ascii_plot(a: &Analysis, width: usize, height: usize) -> String {
    let b = &a.band;
    let pts: Vec<(f64, f64)> = b
        .lrs
        .iter()
        .zip(&b.median)
        .filter(|(x, y)| x.is_finite() && **x > 0.0 && y.is_finite())
        .map(|(x, y)| (x.log10(), *y))
        .collect();
    if pts.len() < 2 {
        return String::new();
    }
    let (x0, x1) = (a.min.log10(), a.max.log10());
    let low = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let first = pts[0].1;
    let high = if first > low {
        first + 0.3 * (first - low)
    } else {
        pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max)
    };
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) || x1 <= x0 {
        return String::new();
    }
    let mut grid = vec![vec![' '; width]; height];
    let col = |x: f64| {
        (((x - x0) / (x1 - x0)) * (width - 1) as f64)
            .round()
            .clamp(0.0, (width - 1) as f64) as usize
    };
    for &(x, y) in &pts {
        let c = col(x);
        let r = ((high - y) / (high - low) * (height - 1) as f64).round();
        let r = if r < 0.0 {
            0
        } else {
            (r as usize).min(height - 1)
        };
        grid[r][c] = if y > high { '^' } else { '•' };
    }
    let mut legend = Vec::new();
    for (letter, m) in ['s', 'v', 'm', 'l'].iter().zip(&a.methods) {
        if let Some(lr) = m.lr {
            let c = col(lr.log10());
            grid[height - 1][c] = *letter;
            legend.push(format!("{letter} = {}", m.method.name()));
        }
    }
    if let Some(lr) = a.consensus.lr {
        grid[height - 1][col(lr.log10())] = 'C';
        legend.push("C = consensus".into());
    }
    let mut t = String::new();
    for (r, row) in grid.iter().enumerate() {
        let label = if r == 0 {
            format!("{high:>9.3}")
        } else if r == height - 1 {
            format!("{low:>9.3}")
        } else {
            " ".repeat(9)
        };
        let line: String = row.iter().collect();
        let _ = writeln!(t, "{label} |{}", line.trim_end());
    }
    let _ = writeln!(t, "{} +{}", " ".repeat(9), "-".repeat(width));
    let left = short(a.min);
    let right = short(a.max);
    let _ = writeln!(
        t,
        "{}  {left}{}{right}   (lr, log scale)",
        " ".repeat(9),
        " ".repeat(width.saturating_sub(left.len() + right.len()))
    );
    let _ = writeln!(t, "{}  {}", " ".repeat(9), legend.join(", "));
    t
}

/// The reason printed for a fastai method that fastai would raise on.
pub fn fastai_raise_reason(kept: usize, needed: usize) -> String {
    format!("not enough points (fastai would raise): {kept} kept, needs {needed}")
}

/// fastai's four answers on one curve as JSON: `start`, `kept`, and per method `{"lr", "index"}`,
/// or `{"lr": null, "reason"}` where fastai would raise.
pub fn fastai_json(s: &crate::lr_finder::fastai::FastaiSuggestions) -> serde_json::Value {
    use crate::lr_finder::fastai::FastaiPick;
    let pick = |p: &FastaiPick| match *p {
        FastaiPick::Lr { lr, index } => serde_json::json!({"lr": lr, "index": index}),
        FastaiPick::NotEnoughPoints { kept, needed } => serde_json::json!({
            "lr": null,
            "reason": fastai_raise_reason(kept, needed),
        }),
    };
    serde_json::json!({
        "start": s.start,
        "kept": s.kept,
        "valley": pick(&s.valley),
        "slide": pick(&s.slide),
        "minimum": pick(&s.minimum),
        "steep": pick(&s.steep),
    })
}

/// fastai's four answers on one curve as text lines (each indented by `indent`), after a line
/// naming the points kept.
pub fn fastai_lines(
    s: &crate::lr_finder::fastai::FastaiSuggestions,
    num_it: usize,
    recorded: usize,
    indent: &str,
) -> String {
    use crate::lr_finder::fastai::FastaiPick;
    let mut t = String::new();
    let _ = if s.kept == 0 {
        writeln!(
            t,
            "{indent}fastai (num_it {num_it}): no points kept of {recorded} (drops {} at the start, 5 at the end, then cuts at the first NaN)",
            num_it / 10
        )
    } else {
        writeln!(
            t,
            "{indent}fastai (num_it {num_it}): points {}..{} kept, {} of {recorded} (drops {} at the start, 5 at the end, then cuts at the first NaN)",
            s.start,
            s.start + s.kept - 1,
            s.kept,
            num_it / 10
        )
    };
    for (name, p) in [
        ("valley", &s.valley),
        ("slide", &s.slide),
        ("minimum", &s.minimum),
        ("steep", &s.steep),
    ] {
        let answer = match *p {
            FastaiPick::Lr { lr, index } => format!("{}  (point {index})", short(lr)),
            FastaiPick::NotEnoughPoints { kept, needed } => fastai_raise_reason(kept, needed),
        };
        let _ = writeln!(t, "{indent}  {name:<10} {answer}");
    }
    t
}

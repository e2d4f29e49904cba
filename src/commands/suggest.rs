//! `lrtool suggest FILE.csv`: the range test's analysis (suggestions, consensus, schedule
//! bounds, phases) on an `(lr, loss)` curve recorded elsewhere, one curve per value of an
//! optional `run` column.

use std::fmt::Write as _;

use serde_json::json;

use crate::cli::{Like, SuggestArgs};
use crate::commands::common::{json_text, print_stdout};
use crate::data::csv::CsvTable;
use crate::input_bail;
use crate::lr_finder::Smoother;
use crate::lr_finder::analysis::{Sweep, SweepEnd, analyse};
use crate::lr_finder::fastai::{FASTAI_NUM_IT, suggest_like_fastai};
use crate::report::find_lr::{ascii_plot, fastai_json, fastai_lines, short};
use crate::report::logs::{LossCurve, lr_loss_curves};

/// `lrtool suggest FILE.csv`: the suggestion methods on a recorded curve.
pub fn run(args: SuggestArgs) -> anyhow::Result<()> {
    let fastai = args.like == Some(Like::Fastai);
    let num_it = match args.num_it {
        Some(n) if !fastai => input_bail!(
            "--num-it {n}: only with --like fastai (it is fastai's lr_find num_it; lrtool's own methods do not use it)"
        ),
        None => FASTAI_NUM_IT,
        Some(n) if (1..=10_000_000).contains(&n) => n as usize,
        Some(n) => input_bail!("--num-it {n}: must be a whole number from 1 to 10000000"),
    };
    // fastai records its smoothed loss: under --like fastai the column is not smoothed again
    let smooth = args.smooth.unwrap_or(if fastai { 0.0 } else { 0.98 });
    if !(smooth.is_finite() && (0.0..1.0).contains(&smooth)) {
        input_bail!("--smooth {smooth}: must be at least 0 and below 1");
    }
    let shown = args.file.display().to_string();
    let bytes = crate::limits::read(&args.file, &shown, crate::limits::Kind::CsvData)?;
    // one CSV reader for every log (quoted cells, a byte-order mark, gzip), columns by name
    let table = CsvTable::parse(&bytes, &shown)?;
    for (name, flag) in [
        (&args.lr_column, "--lr-column"),
        (&args.loss_column, "--loss-column"),
    ] {
        if !table.has_column(name) {
            input_bail!(
                "{shown}: no column \"{}\" for {flag} (columns: {})",
                crate::limits::cut(name, crate::limits::ECHO_CHARS),
                crate::limits::list(table.columns().iter().cloned())
            );
        }
    }
    let curves = lr_loss_curves(&table, &shown, &args.lr_column, &args.loss_column)?;
    let rows = table.len();
    if fastai {
        return run_fastai(&args, &shown, rows, curves, num_it, smooth);
    }
    let runs: Vec<(String, Vec<f64>, Vec<f64>)> = curves
        .into_iter()
        .map(|c| (c.run, c.lrs, c.losses))
        .collect();
    let sweeps: Vec<Sweep> = runs
        .into_iter()
        .enumerate()
        .map(|(k, (_, lrs, raw))| {
            let smooth_beta = smooth;
            let mut sm = Smoother::new(smooth);
            let smooth = raw.iter().map(|&l| sm.push(l)).collect();
            Sweep {
                seed: k as u64,
                lrs,
                losses: raw,
                smooth,
                beta: smooth_beta,
                end: SweepEnd::Completed,
                rows: 0,
                run_in: None,
            }
        })
        .collect();
    let (min, max) = sweeps
        .iter()
        .flat_map(|s| s.lrs.iter())
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let a = analyse(sweeps, min, max);
    let result = json!({
        "file": shown,
        "rows": rows,
        "runs": a.sweeps.len(),
        "suggestions": a.methods,
        "consensus": a.consensus,
        "consensus_iqr_decades": a.consensus_iqr_decades,
        "stability": a.stability,
        "schedule_bounds": {
            "triangular": a.cyclic_max.map(|m| json!({"max_lr": m, "base_lr": m / 4.0})),
            "one_cycle_max_lr": a.cyclic_max,
        },
        "phases": a.phases,
    });
    if args.json {
        return print_stdout(&json_text(&result));
    }
    let mut t = format!(
        "{shown}: {}, {}\n",
        crate::words::count(rows, "row"),
        crate::words::count(a.sweeps.len(), "curve")
    );
    t.push_str(&ascii_plot(&a, 64, 12));
    for m in &a.methods {
        let _ = writeln!(
            t,
            "  {:<10} {}",
            m.method.name(),
            m.lr.map(short).unwrap_or_else(|| "none".into())
        );
    }
    if let Some(lr) = a.consensus.lr {
        let _ = writeln!(
            t,
            "  {:<10} {}  (methods span {:.1} decades)",
            "consensus",
            short(lr),
            a.consensus.spread_decades.unwrap_or(0.0)
        );
    }
    if let Some(m) = a.cyclic_max {
        let _ = writeln!(
            t,
            "  cyclical range: --schedule triangular --min-lr {} --lr {}",
            short(m / 4.0),
            short(m)
        );
    }
    print_stdout(&t)
}

/// `suggest --like fastai`: fastai 2.8's four answers on every curve of the file, instead of
/// lrtool's methods. The loss column is smoothed only when --smooth is given above 0.
fn run_fastai(
    args: &SuggestArgs,
    shown: &str,
    rows: usize,
    curves: Vec<LossCurve>,
    num_it: usize,
    smooth: f64,
) -> anyhow::Result<()> {
    let named = curves.len() > 1;
    let mut per_curve = Vec::with_capacity(curves.len());
    let mut t = format!(
        "{shown}: {}, {}; fastai 2.8's lr_find suggestions\n",
        crate::words::count(rows, "row"),
        crate::words::count(curves.len(), "curve")
    );
    for c in curves {
        let losses: Vec<f64> = if smooth > 0.0 {
            let mut sm = Smoother::new(smooth);
            c.losses.iter().map(|&l| sm.push(l)).collect()
        } else {
            c.losses
        };
        let s = suggest_like_fastai(&c.lrs, &losses, num_it);
        let points = c.lrs.len().min(losses.len());
        let mut v = fastai_json(&s);
        v["run"] = json!(c.run);
        v["points"] = json!(points);
        per_curve.push(v);
        if named {
            let _ = writeln!(t, "run {}:", c.run);
        }
        t.push_str(&fastai_lines(&s, num_it, points, "  "));
    }
    if args.json {
        let result = json!({
            "file": shown,
            "rows": rows,
            "runs": per_curve.len(),
            "like": "fastai",
            "num_it": num_it,
            "smooth": smooth,
            "fastai": per_curve,
        });
        return print_stdout(&json_text(&result));
    }
    print_stdout(&t)
}

//! `lrtool suggest FILE.csv`: the range test's analysis (suggestions, consensus, schedule
//! bounds, phases) on an `(lr, loss)` curve recorded elsewhere, one curve per value of an
//! optional `run` column.

use std::fmt::Write as _;

use serde_json::json;

use crate::cli::SuggestArgs;
use crate::commands::common::{json_text, print_stdout};
use crate::data;
use crate::input_bail;
use crate::lr_finder::Smoother;
use crate::range_test_analysis::{Sweep, SweepEnd, analyse};
use crate::report::find_lr::{ascii_plot, short};

/// `lrtool suggest FILE.csv`: the suggestion methods on a recorded curve.
pub fn run(args: SuggestArgs) -> anyhow::Result<()> {
    if !(args.smooth.is_finite() && (0.0..1.0).contains(&args.smooth)) {
        input_bail!("--smooth {}: must be at least 0 and below 1", args.smooth);
    }
    let shown = args.file.display().to_string();
    let bytes = std::fs::read(&args.file)
        .map_err(|e| crate::input_err!("{shown}: cannot read the file: {e}"))?;
    let text = data::gz::maybe_gunzip(&bytes, &shown)?;
    let text = std::str::from_utf8(&text)
        .map_err(|_| crate::input_err!("{shown}: not a UTF-8 text file"))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        input_bail!("{shown}: the file is empty");
    };
    let columns: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let find = |name: &str, flag: &str| {
        columns.iter().position(|c| *c == name).ok_or_else(|| {
            crate::input_err!(
                "{shown}: no column \"{name}\" for {flag} (columns: {})",
                columns.join(", ")
            )
        })
    };
    let lr_col = find(&args.lr_column, "--lr-column")?;
    let loss_col = find(&args.loss_column, "--loss-column")?;
    let run_col = columns.iter().position(|c| *c == "run");
    let mut rows = 0usize;
    let mut runs: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != columns.len() {
            input_bail!(
                "{shown} line {line_no}: expected {} fields like the header, found {}",
                columns.len(),
                cells.len()
            );
        }
        let lr: f64 = cells[lr_col].parse().map_err(|_| {
            crate::input_err!(
                "{shown} line {line_no}, column \"{}\": \"{}\" is not a number",
                args.lr_column,
                cells[lr_col]
            )
        })?;
        if !(lr.is_finite() && lr > 0.0) {
            input_bail!("{shown} line {line_no}: learning rate {lr} must be positive and finite");
        }
        // an empty or NaN loss marks a diverged tail: the analysis stops there
        let loss: f64 = match cells[loss_col] {
            "" => f64::NAN,
            c => c.parse().map_err(|_| {
                crate::input_err!(
                    "{shown} line {line_no}, column \"{}\": \"{c}\" is not a number",
                    args.loss_column
                )
            })?,
        };
        let run = run_col.map(|c| cells[c].to_string()).unwrap_or_default();
        if runs.last().is_none_or(|r| r.0 != run) {
            runs.push((run, Vec::new(), Vec::new()));
        }
        let r = runs.last_mut().expect("just pushed");
        r.1.push(lr);
        r.2.push(loss);
        rows += 1;
    }
    if rows < 2 {
        input_bail!("{shown}: needs at least 2 rows of (lr, loss), found {rows}");
    }
    let sweeps: Vec<Sweep> = runs
        .into_iter()
        .enumerate()
        .map(|(k, (_, lrs, raw))| {
            let mut sm = Smoother::new(args.smooth);
            let smooth = raw.iter().map(|&l| sm.push(l)).collect();
            Sweep {
                seed: k as u64,
                lrs,
                losses: raw,
                smooth,
                end: SweepEnd::Completed,
                rows: 0,
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
    let mut t = format!("{shown}: {rows} rows, {} curve(s)\n", a.sweeps.len());
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

//! `lrtool schedule --schedule plateau --metrics FILE.csv [--column NAME]`: replay a feedback
//! policy from a recorded metric column (one row per epoch, such as a run's `epochs.csv`), so
//! that it can be printed, plotted and tested without training. Row k is what epoch k reported;
//! the LR of epoch k + 1 is the policy's answer to rows 1 … k, as in `lrtool train`.

use std::fmt::Write as _;
use std::path::Path;

use super::{MAX_STEPS, title_text};
use crate::cli::schedule::{Format, ScheduleCmdArgs};
use crate::commands::common::print_stdout;
use crate::data::csv::CsvTable;
use crate::report::plot::{Panel, Scale, Series, render_svg};
use crate::schedule::{LrPlan, Plateau};
use crate::{input_bail, input_err};

/// The replay: `steps` given or one epoch per metric row.
pub(super) fn run(args: &ScheduleCmdArgs, steps: Option<u64>, spe: u64) -> anyhow::Result<()> {
    let kind = args.schedule.schedule;
    if !kind.is_feedback() {
        input_bail!(
            "--metrics: --schedule {} is a schedule of the step and listens to no metric; --metrics replays a feedback policy (--schedule plateau)",
            kind.name()
        );
    }
    let Some(path) = &args.metrics else {
        input_bail!(
            "--schedule {}: it listens to --monitor after every epoch; give --metrics FILE.csv (a recorded column such as a run's epochs.csv) to replay it",
            kind.name()
        );
    };
    let monitor = crate::config::monitor_from_args(&args.monitor, kind, None)?;
    let column = args
        .column
        .clone()
        .unwrap_or_else(|| monitor.quantity.name().to_string());
    let metrics = read_metrics(path, &column)?;
    let rows = metrics.len() as u64;
    let steps = match steps {
        Some(s) => s,
        None => rows.saturating_mul(spe).clamp(1, MAX_STEPS),
    };
    let plan = args
        .schedule
        .spec()
        .build_plan(args.lr, spe as usize, steps, monitor.mode)?;
    let LrPlan::Plateau(policy) = plan else {
        input_bail!("--schedule {}: not a feedback policy", kind.name());
    };
    let Some(lrs) = policy.replay_steps(&metrics, steps, spe) else {
        input_bail!(
            "--steps {steps}: {} has {} of \"{column}\", enough for at most {} at --steps-per-epoch {spe} (epoch k + 1 follows rows 1 … k)",
            path.display(),
            crate::words::count(rows, "row"),
            crate::words::count((rows + 1).saturating_mul(spe), "step")
        );
    };
    if let Some(out) = &args.plot {
        let svg = plot_svg(&policy, &lrs, &metrics, &column, spe)?;
        crate::output::write_file_for_flag("--plot", out, svg.as_bytes())?;
    }
    let format = match (args.format, &args.plot) {
        (Some(f), _) => Some(f),
        (None, None) => Some(Format::Csv),
        (None, Some(_)) => None,
    };
    match format {
        Some(Format::Csv) => {
            let mut text = String::from("step,lr\n");
            for (t, lr) in lrs.iter().enumerate() {
                writeln!(text, "{t},{lr}")?;
            }
            print_stdout(&text)
        }
        Some(Format::Json) => {
            let number = |v: f64| serde_json::to_string(&v).unwrap_or_else(|_| "null".into());
            let mut text = format!(
                "{{\n  \"schedule\": {},\n  \"description\": {},\n  \"metrics\": {{\"file\": {}, \"column\": {}, \"rows\": {rows}}},\n  \"steps\": {steps},\n  \"steps_per_epoch\": {spe},\n  \"rows\": [\n",
                serde_json::to_string(&policy)?,
                serde_json::to_string(&policy.describe())?,
                serde_json::to_string(&path.display().to_string())?,
                serde_json::to_string(&column)?,
            );
            for (t, lr) in lrs.iter().enumerate() {
                write!(text, "    {{\"step\": {t}, \"lr\": {}}}", number(*lr))?;
                text.push_str(if t + 1 < lrs.len() { ",\n" } else { "\n" });
            }
            text.push_str("  ]\n}\n");
            print_stdout(&text)
        }
        None => Ok(()),
    }
}

/// The numbers of `column`, one per row; an empty cell or a missing column names the file,
/// the line and the column.
fn read_metrics(path: &Path, column: &str) -> anyhow::Result<Vec<f64>> {
    let table = CsvTable::read(path).map_err(|e| input_err!("--metrics {e:#}"))?;
    let values = table
        .f64s(column)
        .map_err(|e| input_err!("--metrics {e:#}"))?;
    if values.is_empty() {
        input_bail!("--metrics {}: no data rows", path.display());
    }
    Ok(values)
}

/// The LR against the step, and the replayed metric against the epoch's last step.
fn plot_svg(
    policy: &Plateau,
    lrs: &[f64],
    metrics: &[f64],
    column: &str,
    spe: u64,
) -> anyhow::Result<String> {
    let x_label = if spe > 1 {
        format!("step ({spe} steps per epoch)")
    } else {
        "step".to_string()
    };
    let lr_points: Vec<(f64, f64)> = lrs
        .iter()
        .enumerate()
        .map(|(t, &v)| (t as f64, v))
        .collect();
    let steps = lrs.len() as u64;
    let metric_points: Vec<(f64, f64)> = metrics
        .iter()
        .enumerate()
        .map(|(k, &v)| (((k as u64 + 1) * spe - 1) as f64, v))
        .take_while(|(x, _)| (*x as u64) < steps)
        .filter(|(_, v)| v.is_finite())
        .collect();
    let panels = vec![
        Panel {
            title: title_text(policy.describe()),
            x_label: x_label.clone(),
            y_label: "learning rate".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Log10,
            series: vec![Series {
                label: "lr".into(),
                points: lr_points,
            }],
            markers: vec![],
            y_range: None,
            x_integer: true,
        },
        Panel {
            title: format!("{column} replayed (one value per epoch, at its last step)"),
            x_label,
            y_label: column.to_string(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: vec![Series {
                label: column.to_string(),
                points: metric_points,
            }],
            markers: vec![],
            y_range: None,
            x_integer: true,
        },
    ];
    render_svg(&panels, 960, 380)
}

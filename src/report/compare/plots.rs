//! The overlay plots of a comparison (`val.svg`, `loss.svg`, `lr.svg`): one colour per arm, the
//! median over seeds with faint min and max lines.

use crate::report::plot::{Panel, Scale, Series, Style, render_svg_styled};

use super::{Experiment, RunRecord, StepRow, Target, TargetKind};

/// Median of the finite values (mean of the middle two for an even count).
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some(values[n / 2 - 1] / 2.0 + values[n / 2] / 2.0),
    }
}

/// Per x (index into each curve), the median, min and max over the curves that reach it.
fn envelope(curves: &[Vec<f64>], xs: impl Fn(usize) -> f64, stride: usize) -> [Vec<(f64, f64)>; 3] {
    let len = curves.iter().map(Vec::len).max().unwrap_or(0);
    let mut med = Vec::new();
    let mut lo = Vec::new();
    let mut hi = Vec::new();
    let stride = stride.max(1);
    let mut i = 0;
    while i < len {
        let mut v: Vec<f64> = curves
            .iter()
            .filter_map(|c| c.get(i).copied())
            .filter(|x| x.is_finite())
            .collect();
        if let Some(m) = median(&mut v) {
            let x = xs(i);
            med.push((x, m));
            lo.push((x, v[0]));
            hi.push((x, v[v.len() - 1]));
        }
        // always include the last point
        i = if i + 1 < len && i + stride >= len {
            len - 1
        } else {
            i + stride
        };
    }
    [med, lo, hi]
}

/// One arm's curve over its seeds: name, [median, min, max] points, number of runs.
type ArmCurve = (String, [Vec<(f64, f64)>; 3], usize);

/// Median lines (labelled, one colour per arm) over faint min/max lines of the same colour.
fn banded_panel(
    title: &str,
    x_label: &str,
    y_label: &str,
    y_scale: Scale,
    per_arm: &[ArmCurve],
    extra: Vec<(Series, Style)>,
) -> (Panel, Vec<Style>) {
    let mut series = Vec::new();
    let mut styles = Vec::new();
    for (a, (_, [_, lo, hi], runs)) in per_arm.iter().enumerate() {
        if *runs > 1 {
            let mut points = lo.clone();
            points.push((f64::NAN, f64::NAN));
            points.extend(hi);
            series.push(Series {
                label: String::new(),
                points,
            });
            styles.push(Style {
                colour: a,
                faint: true,
            });
        } else {
            series.push(Series::default());
            styles.push(Style::default());
        }
    }
    for (a, (name, [med, _, _], runs)) in per_arm.iter().enumerate() {
        series.push(Series {
            label: if *runs > 1 {
                format!("{name} (median of {runs})")
            } else {
                name.clone()
            },
            points: med.clone(),
        });
        styles.push(Style {
            colour: a,
            faint: false,
        });
    }
    for (s, st) in extra {
        series.push(s);
        styles.push(st);
    }
    (
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            y_scale,
            series,
            markers: vec![],
            y_range: None,
            x_integer: true,
        },
        styles,
    )
}

fn arm_runs(records: &[RunRecord], arm: usize) -> Vec<&RunRecord> {
    records
        .iter()
        .filter(|r| r.arm == arm && (!r.epochs.is_empty() || !r.step_rows.is_empty()))
        .collect()
}

/// Validation quality and loss per epoch.
pub fn val_svg(exp: &Experiment, records: &[RunRecord]) -> anyhow::Result<String> {
    let quality = if exp.metric == "acc" {
        "accuracy"
    } else {
        "R²"
    };
    let mut metric_arms = Vec::new();
    let mut loss_arms = Vec::new();
    for (a, arm) in exp.arms.iter().enumerate() {
        let runs = arm_runs(records, a);
        let metric: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| {
                r.epochs
                    .iter()
                    .map(|e| e.val_metric.unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        let loss: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| {
                r.epochs
                    .iter()
                    .map(|e| e.val_loss.unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        let x = |i: usize| (i + 1) as f64;
        metric_arms.push((arm.name.clone(), envelope(&metric, x, 1), runs.len()));
        loss_arms.push((arm.name.clone(), envelope(&loss, x, 1), runs.len()));
    }
    let mut extra = Vec::new();
    let max_epochs = exp.arms.iter().map(|a| a.epochs).max().unwrap_or(1) as f64;
    let target_series = |value: f64| {
        (
            Series {
                label: format!("target {value}"),
                points: vec![(1.0, value), (max_epochs, value)],
            },
            Style {
                colour: exp.arms.len(),
                faint: false,
            },
        )
    };
    let mut loss_extra = Vec::new();
    match exp.target {
        Some(Target {
            kind: TargetKind::Acc,
            value,
        }) => extra.push(target_series(value)),
        Some(Target {
            kind: TargetKind::Loss,
            value,
        }) => loss_extra.push(target_series(value)),
        None => {}
    }
    let bands = if exp.seeds.len() > 1 {
        " (median over seeds; faint: min and max)"
    } else {
        ""
    };
    let (p1, s1) = banded_panel(
        &format!("Validation {quality} per epoch{bands}"),
        "epoch",
        &format!("val_{}", exp.metric),
        Scale::Linear,
        &metric_arms,
        extra,
    );
    let (p2, s2) = banded_panel(
        &format!("Validation loss per epoch{bands}"),
        "epoch",
        "val_loss",
        Scale::Log10,
        &loss_arms,
        loss_extra,
    );
    render_svg_styled(&[p1, p2], &[s1, s2], 900, 360)
}

/// Training loss per step: each run's mini-batch loss averaged over the last epoch's steps.
pub fn loss_svg(exp: &Experiment, records: &[RunRecord]) -> anyhow::Result<String> {
    let mut arms = Vec::new();
    let max_steps = records.iter().map(|r| r.step_rows.len()).max().unwrap_or(0);
    let stride = max_steps.div_ceil(600).max(1);
    for (a, arm) in exp.arms.iter().enumerate() {
        let runs = arm_runs(records, a);
        let curves: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| trailing_mean(&r.step_rows, r.steps_per_epoch))
            .collect();
        arms.push((
            arm.name.clone(),
            envelope(&curves, |i| i as f64, stride),
            runs.len(),
        ));
    }
    let bands = if exp.seeds.len() > 1 {
        "; median over seeds, faint: min and max"
    } else {
        ""
    };
    let (p, s) = banded_panel(
        &format!("Training loss (mean over the last epoch's mini-batches{bands})"),
        "step",
        "loss",
        Scale::Log10,
        &arms,
        Vec::new(),
    );
    render_svg_styled(&[p], &[s], 900, 420)
}

/// Mean of the last `window` losses at every step (fewer at the start).
fn trailing_mean(rows: &[StepRow], window: usize) -> Vec<f64> {
    let window = window.max(1);
    let mut out = Vec::with_capacity(rows.len());
    let mut sum = 0.0;
    for (i, r) in rows.iter().enumerate() {
        sum += r.loss;
        if i >= window {
            sum -= rows[i - window].loss;
        }
        out.push(sum / (i + 1).min(window) as f64);
    }
    out
}

/// The LR (and momentum, where an arm moves it) per step: one line per arm, from its longest run.
pub fn lr_svg(exp: &Experiment, records: &[RunRecord]) -> anyhow::Result<String> {
    let mut lr = Vec::new();
    let mut momentum = Vec::new();
    let mut moves = false;
    for (a, arm) in exp.arms.iter().enumerate() {
        let longest = arm_runs(records, a).into_iter().reduce(|best, r| {
            if r.step_rows.len() > best.step_rows.len() {
                r
            } else {
                best
            }
        });
        let rows: &[StepRow] = longest.map_or(&[], |r| &r.step_rows);
        let stride = rows.len().div_ceil(4000).max(1);
        let pick = |f: &dyn Fn(&StepRow) -> f64| -> Vec<(f64, f64)> {
            rows.iter()
                .enumerate()
                .filter(|(i, _)| i % stride == 0 || i + 1 == rows.len())
                .map(|(i, r)| (i as f64, f(r)))
                .collect()
        };
        if rows.iter().any(|r| r.momentum != rows[0].momentum) {
            moves = true;
        }
        lr.push(Series {
            label: arm.name.clone(),
            points: pick(&|r| r.lr),
        });
        momentum.push(Series {
            label: arm.name.clone(),
            points: pick(&|r| r.momentum),
        });
    }
    let styles: Vec<Style> = (0..exp.arms.len())
        .map(|a| Style {
            colour: a,
            faint: false,
        })
        .collect();
    let mut panels = vec![Panel {
        title: "Learning rate per step".into(),
        x_label: "step".into(),
        y_label: "lr".into(),
        series: lr,
        x_integer: true,
        ..Panel::default()
    }];
    if moves {
        panels.push(Panel {
            title: "Momentum (SGD) or β1 (Adam) per step".into(),
            x_label: "step".into(),
            y_label: "momentum / β1".into(),
            series: momentum,
            x_integer: true,
            ..Panel::default()
        });
    }
    let all_styles = vec![styles; panels.len()];
    render_svg_styled(&panels, &all_styles, 900, 320)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn envelope_keeps_last_point_and_short_curves() {
        let curves = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![3.0, 4.0]];
        let [med, lo, hi] = envelope(&curves, |i| i as f64, 2);
        assert_eq!(med, vec![(0.0, 2.0), (2.0, 3.0), (4.0, 5.0)]);
        assert_eq!(lo[0], (0.0, 1.0));
        assert_eq!(hi[0], (0.0, 3.0));
    }

    #[test]
    fn trailing_mean_over_a_window() {
        let rows: Vec<StepRow> = [1.0, 3.0, 5.0, 7.0]
            .iter()
            .map(|&loss| StepRow {
                lr: 0.1,
                momentum: 0.0,
                loss,
            })
            .collect();
        assert_eq!(trailing_mean(&rows, 2), vec![1.0, 2.0, 4.0, 6.0]);
    }
}

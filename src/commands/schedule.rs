//! `lrtool schedule`: print (CSV or JSON) or plot a schedule step by step without training, with
//! exactly the schedule flags `train` takes; `--list` describes every family.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::cli::schedule::{Format, ScheduleCmdArgs};
use crate::commands::common::print_stdout;
use crate::input_bail;
use crate::report::plot::{Panel, Scale, Series, render_svg};
use crate::schedule::{Schedule, spec::list_text};

mod replay;

/// Longest schedule `lrtool schedule` prints.
const MAX_STEPS: u64 = 1_000_000_000;
/// Rows per chunk written to stdout.
const CHUNK_ROWS: u64 = 16_384;
/// Up to this many steps every step is drawn; longer schedules keep each bucket's extremes.
const PLOT_ALL_UP_TO: u64 = 6_000;
const PLOT_BUCKETS: u64 = 3_000;
/// More cycle ends than this are not drawn (they would fill the plot).
const MAX_CYCLE_MARKS: usize = 150;

pub fn run(args: ScheduleCmdArgs) -> anyhow::Result<()> {
    if args.list {
        return print_stdout(&list_text());
    }
    let spe = args.steps_per_epoch;
    if args.steps.is_none() && args.metrics.is_some() {
        if spe == 0 || spe > MAX_STEPS {
            input_bail!("--steps-per-epoch {spe}: must be from 1 to {MAX_STEPS}");
        }
        return replay::run(&args, None, spe);
    }
    let Some(steps) = args.steps else {
        input_bail!("--steps: give the number of steps to print, like --steps 100");
    };
    if steps == 0 || steps > MAX_STEPS {
        input_bail!("--steps {steps}: must be from 1 to {MAX_STEPS}");
    }
    if spe == 0 || spe > MAX_STEPS {
        input_bail!("--steps-per-epoch {spe}: must be from 1 to {MAX_STEPS}");
    }
    if args.schedule.schedule.is_feedback() || args.metrics.is_some() {
        return replay::run(&args, Some(steps), spe);
    }
    crate::config::monitor_from_args(&args.monitor, args.schedule.schedule, None)?;
    let schedule = args.schedule.spec().build(args.lr, spe as usize, steps)?;
    if let Some(path) = &args.plot {
        let svg = plot_svg(&schedule, steps, spe)?;
        crate::output::write_file_for_flag("--plot", path, svg.as_bytes())?;
    }
    let format = match (args.format, &args.plot) {
        (Some(f), _) => Some(f),
        (None, None) => Some(Format::Csv),
        (None, Some(_)) => None,
    };
    match format {
        Some(Format::Csv) => print_csv(&schedule, steps),
        Some(Format::Json) => print_json(&schedule, steps, spe),
        None => Ok(()),
    }
}

/// `step,lr[,momentum]`, every number the shortest text that reads back as the same f64.
fn print_csv(schedule: &Schedule, steps: u64) -> anyhow::Result<()> {
    let momentum = schedule.momentum(0).is_some();
    let mut text = String::from(if momentum {
        "step,lr,momentum\n"
    } else {
        "step,lr\n"
    });
    for t in 0..steps {
        match schedule.momentum(t) {
            Some(m) if momentum => writeln!(text, "{t},{},{m}", schedule.lr(t))?,
            _ => writeln!(text, "{t},{}", schedule.lr(t))?,
        }
        if (t + 1) % CHUNK_ROWS == 0 {
            if !emit(&text)? {
                return Ok(());
            }
            text.clear();
        }
    }
    print_stdout(&text)
}

/// `{"schedule": …, "description": …, "steps": N, "steps_per_epoch": K, "rows": [{"step", "lr"[,
/// "momentum"], "cycle_end"}, …]}`, written as it goes (one row per line).
fn print_json(schedule: &Schedule, steps: u64, spe: u64) -> anyhow::Result<()> {
    let number = |v: f64| serde_json::to_string(&v).unwrap_or_else(|_| "null".into());
    let mut text = format!(
        "{{\n  \"schedule\": {},\n  \"description\": {},\n  \"steps\": {steps},\n  \"steps_per_epoch\": {spe},\n  \"rows\": [\n",
        serde_json::to_string(schedule)?,
        serde_json::to_string(&schedule.describe())?,
    );
    for t in 0..steps {
        write!(
            text,
            "    {{\"step\": {t}, \"lr\": {}",
            number(schedule.lr(t))
        )?;
        if let Some(m) = schedule.momentum(t) {
            write!(text, ", \"momentum\": {}", number(m))?;
        }
        write!(text, ", \"cycle_end\": {}}}", schedule.is_cycle_end(t))?;
        text.push_str(if t + 1 < steps { ",\n" } else { "\n" });
        if (t + 1) % CHUNK_ROWS == 0 {
            if !emit(&text)? {
                return Ok(());
            }
            text.clear();
        }
    }
    text.push_str("  ]\n}\n");
    print_stdout(&text)
}

/// Like `print_stdout`, but tells whether stdout is still open, so that a long listing stops
/// computing once its reader is gone (`| head`).
fn emit(text: &str) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to stdout")),
    }
}

/// Points of a long curve thinned to the lowest and highest value of each bucket of steps (in
/// step order), so that every cycle's extremes survive; short curves keep every step.
struct Thinner {
    steps: u64,
    points: Vec<(f64, f64)>,
    bucket: Option<Bucket>,
}

/// The bucket being filled: its index and its lowest and highest `(step, value)`.
struct Bucket {
    index: u64,
    lo: (u64, f64),
    hi: (u64, f64),
}

impl Thinner {
    fn new(steps: u64) -> Thinner {
        Thinner {
            steps,
            points: Vec::new(),
            bucket: None,
        }
    }

    fn push(&mut self, t: u64, v: f64) {
        if self.steps <= PLOT_ALL_UP_TO {
            self.points.push((t as f64, v));
            return;
        }
        let b = (u128::from(t) * u128::from(PLOT_BUCKETS) / u128::from(self.steps)) as u64;
        match &mut self.bucket {
            Some(bucket) if bucket.index == b => {
                if v < bucket.lo.1 {
                    bucket.lo = (t, v);
                }
                if v > bucket.hi.1 {
                    bucket.hi = (t, v);
                }
            }
            _ => {
                self.flush();
                self.bucket = Some(Bucket {
                    index: b,
                    lo: (t, v),
                    hi: (t, v),
                });
            }
        }
    }

    fn flush(&mut self) {
        if let Some(Bucket { lo, hi, .. }) = self.bucket.take() {
            let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
            self.points.push((a.0 as f64, a.1));
            if b.0 != a.0 {
                self.points.push((b.0 as f64, b.1));
            }
        }
    }

    fn finish(mut self) -> Vec<(f64, f64)> {
        self.flush();
        self.points
    }
}

/// The LR panel (epoch ticks along the bottom, cycle ends as vertical lines) and, when the
/// schedule cycles momentum, a momentum panel.
fn plot_svg(schedule: &Schedule, steps: u64, spe: u64) -> anyhow::Result<String> {
    let mut lr = Thinner::new(steps);
    let mut momentum = Thinner::new(steps);
    let cycles_momentum = schedule.momentum(0).is_some();
    let mut cycle_ends: Vec<u64> = Vec::new();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut m_lo, mut m_hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for t in 0..steps {
        let v = schedule.lr(t);
        lo = lo.min(v);
        hi = hi.max(v);
        lr.push(t, v);
        if let Some(m) = schedule.momentum(t) {
            m_lo = m_lo.min(m);
            m_hi = m_hi.max(m);
            momentum.push(t, m);
        }
        // the last step of the run is not marked: nothing restarts inside the picture
        if t + 1 < steps && cycle_ends.len() <= MAX_CYCLE_MARKS && schedule.is_cycle_end(t) {
            cycle_ends.push(t);
        }
    }
    let x_label = if spe > 1 {
        format!("step ({spe} steps per epoch)")
    } else {
        "step".to_string()
    };
    let marks = |lo: f64, hi: f64| -> Vec<Series> {
        let span = if hi > lo {
            hi - lo
        } else {
            hi.abs().max(1e-12) * 0.2
        };
        let mut series = Vec::new();
        if !cycle_ends.is_empty() && cycle_ends.len() <= MAX_CYCLE_MARKS {
            series.push(Series {
                label: cycle_end_label(&cycle_ends, spe),
                points: vertical_lines(&cycle_ends, lo, hi),
            });
        }
        if let Some((every, label)) = epoch_ticks(steps, spe) {
            let starts: Vec<u64> = (1..)
                .map(|e| e * every * spe)
                .take_while(|&t| t < steps)
                .collect();
            if !starts.is_empty() {
                series.push(Series {
                    label,
                    points: vertical_lines(&starts, lo, lo + span * 0.06),
                });
            }
        }
        series
    };
    let mut lr_series = vec![Series {
        label: "lr".into(),
        points: lr.finish(),
    }];
    lr_series.extend(marks(lo, hi));
    let mut panels = vec![Panel {
        title: title(schedule),
        x_label: x_label.clone(),
        y_label: "learning rate".into(),
        x_scale: Scale::Linear,
        y_scale: Scale::Linear,
        series: lr_series,
        markers: vec![],
        y_range: None,
        x_integer: true,
    }];
    if cycles_momentum {
        let mut series = vec![Series {
            label: "momentum".into(),
            points: momentum.finish(),
        }];
        series.extend(marks(m_lo, m_hi));
        panels.push(Panel {
            title: match schedule.momentum_range() {
                Some(m) => format!(
                    "Momentum {} ↔ {} (SGD momentum or Adam β1), against the LR",
                    m.max, m.base
                ),
                None => "Momentum".into(),
            },
            x_label,
            y_label: "momentum / β1".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series,
            markers: vec![],
            y_range: None,
            x_integer: true,
        });
    }
    render_svg(&panels, 960, 380)
}

/// "cycle end", with the restart positions when there are few (in epochs when they fall on
/// epoch boundaries).
fn cycle_end_label(ends: &[u64], spe: u64) -> String {
    if ends.len() > 5 {
        return "cycle end".into();
    }
    let in_epochs = spe > 1 && ends.iter().all(|t| (t + 1) % spe == 0);
    let at: Vec<String> = ends
        .iter()
        .map(|t| if in_epochs { (t + 1) / spe } else { t + 1 }.to_string())
        .collect();
    let unit = match (in_epochs, at.len()) {
        (true, 1) => "epoch",
        (true, _) => "epochs",
        (false, 1) => "step",
        (false, _) => "steps",
    };
    format!("cycle end (restart at {unit} {})", at.join(", "))
}

/// Vertical segments from `lo` to `hi` at each step, separated by a gap (a NaN point) so that
/// they form one legend entry in one colour.
fn vertical_lines(steps: &[u64], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(steps.len() * 3);
    for &t in steps {
        points.extend([(t as f64, lo), (t as f64, hi), (f64::NAN, f64::NAN)]);
    }
    points
}

/// Every how many epochs a tick is drawn (at most about 60 ticks), with its legend text; `None`
/// when an epoch is a single step (every step would be a tick).
fn epoch_ticks(steps: u64, spe: u64) -> Option<(u64, String)> {
    if spe <= 1 {
        return None;
    }
    let epochs = steps.div_ceil(spe);
    let every = [
        1u64, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000,
    ]
    .into_iter()
    .find(|&k| epochs / k <= 60)?;
    let label = if every == 1 {
        "epoch start".to_string()
    } else {
        format!("every {}", crate::words::count(every, "epoch"))
    };
    Some((every, label))
}

/// The plot title: the family and its main parameters (the momentum has its own panel).
fn title(schedule: &Schedule) -> String {
    title_text(schedule.describe())
}

/// A description as a plot title, without the momentum part.
fn title_text(text: String) -> String {
    // the momentum has its own panel; the rest is shown whole (a long title wraps)
    match text.find(", momentum") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_extremes_of_every_bucket() {
        let n = 1_000_000u64;
        let mut th = Thinner::new(n);
        for t in 0..n {
            th.push(t, if t % 1000 == 500 { 1.0 } else { 0.0 });
        }
        let points = th.finish();
        assert!(points.len() <= 2 * PLOT_BUCKETS as usize);
        assert_eq!(points.iter().filter(|p| p.1 == 1.0).count(), 1000);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn epoch_ticks_stay_readable() {
        assert_eq!(epoch_ticks(700, 1), None);
        assert_eq!(epoch_ticks(700, 7).unwrap().0, 2); // 100 epochs → every 2nd
        assert_eq!(epoch_ticks(70, 7).unwrap().0, 1);
        assert_eq!(epoch_ticks(20_000, 2).unwrap().0, 200);
        assert_eq!(epoch_ticks(u64::MAX, 2), None);
    }
}

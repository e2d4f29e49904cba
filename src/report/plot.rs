//! SVG plots: panels of line series stacked vertically, with linear or log10 axes, markers and legends.
//!
//! Everything here is robust to real training data: non-finite points (and non-positive values on a
//! log axis) are left out and break the line, a panel with nothing to draw shows a "no data" note,
//! degenerate ranges are padded, and points outside a clamped `y_range` are clipped at the frame.
//! The output depends only on the input, so the same panels give byte-identical SVG text.

use std::ops::Range;

use anyhow::{Result, anyhow, bail};
use plotters::coord::Shift;
use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One line on a panel: `(x, y)` points drawn in the given order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend text (an empty label keeps the series out of the legend).
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A labelled position on a panel: a vertical line at `x` (`y: None`) or a circled point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Marker {
    pub label: String,
    pub x: f64,
    /// `None` draws a dashed vertical line across the panel; `Some(y)` a circle at `(x, y)`.
    pub y: Option<f64>,
}

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    Linear,
    /// Logarithmic; values that are not strictly positive cannot be drawn and are skipped.
    Log10,
}

/// One chart: its series, markers and axes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Clamp the y axis to this range (points outside are clipped at the frame).
    /// A bound that is not finite (or not positive on a log axis) is taken from the data instead.
    pub y_range: Option<(f64, f64)>,
}

/// Smallest accepted sizes in pixels: smaller requests are enlarged so the layout still fits.
const MIN_WIDTH: u32 = 240;
const MIN_PANEL_HEIGHT: u32 = 160;

const TITLE_FONT: u32 = 22;
const DESC_FONT: u32 = 17;
const TICK_FONT: u32 = 15;
const LEGEND_FONT: u32 = 15;
const NOTE_FONT: u32 = 17;
/// Rough rendered width of one character of the tick and legend fonts, in pixels (plotters writes
/// font sizes divided by 1.24, so 15 becomes 12.1 px; sans-serif digits are about 0.6 em wide).
const CHAR_WIDTH: f64 = 7.5;

const FONT: &str = "sans-serif";

/// Clear, distinguishable colours (the "tab10" set): series use them in order, markers continue after them.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const TEXT_COLOUR: RGBColor = RGBColor(40, 40, 40);
const NOTE_COLOUR: RGBColor = RGBColor(110, 110, 110);

/// Linear axes are limited to this magnitude so that `hi - lo` never overflows.
const LINEAR_LIMIT: f64 = 4e307;
/// Log axes are limited to these decades so that `10^t` stays finite.
const LOG_T_MIN: f64 = -320.0;
const LOG_T_MAX: f64 = 308.2;

/// Renders `panels` stacked vertically into one SVG document of `width` × (`panels.len()` ×
/// `height_per_panel`) pixels and returns its text.
///
/// Sizes below 240 × 160 pixels are enlarged. No panels gives a single "no data" panel.
pub fn render_svg(panels: &[Panel], width: u32, height_per_panel: u32) -> Result<String> {
    render(panels, &[], width, height_per_panel)
}

/// How [`render_svg_styled`] draws one series: a palette colour given by index, so that related
/// series can share one (an arm's median and its seed band), and whether the line is a faint,
/// thin companion (a band's edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Index into the palette (taken modulo its size).
    pub colour: usize,
    pub faint: bool,
}

/// Like [`render_svg`], with `styles[p][s]` choosing how series `s` of panel `p` is drawn; a
/// series without a style is drawn as `render_svg` draws it.
pub fn render_svg_styled(
    panels: &[Panel],
    styles: &[Vec<Style>],
    width: u32,
    height_per_panel: u32,
) -> Result<String> {
    render(panels, styles, width, height_per_panel)
}

fn render(
    panels: &[Panel],
    styles: &[Vec<Style>],
    width: u32,
    height_per_panel: u32,
) -> Result<String> {
    let width = width.max(MIN_WIDTH);
    let panel_height = height_per_panel.max(MIN_PANEL_HEIGHT);
    let count = u32::try_from(panels.len().max(1)).map_err(|_| anyhow!("too many plot panels"))?;
    let Some(height) = count.checked_mul(panel_height) else {
        bail!("plot too tall: {count} panels of {panel_height} pixels");
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        if panels.is_empty() {
            draw_no_data(&root, "")?;
        } else {
            let areas = root.split_evenly((panels.len(), 1));
            for (i, (panel, area)) in panels.iter().zip(areas.iter()).enumerate() {
                draw_panel(area, panel, styles.get(i).map_or(&[], Vec::as_slice))?;
            }
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

fn draw_error<E: std::fmt::Display>(err: E) -> anyhow::Error {
    anyhow!("drawing the plot: {err}")
}

/// Replaces characters that XML 1.0 does not allow (and line breaks) by spaces.
fn clean_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&TEXT_COLOUR)
}

// ---------------------------------------------------------------------------------------------
// Scales, ranges and ticks

/// The value on the axis's internal straight scale: itself, or its log10; `None` if not drawable.
fn to_t(scale: Scale, v: f64) -> Option<f64> {
    match scale {
        Scale::Linear => v.is_finite().then_some(v),
        Scale::Log10 => (v.is_finite() && v > 0.0).then(|| v.log10()),
    }
}

fn from_t(scale: Scale, t: f64) -> f64 {
    match scale {
        Scale::Linear => t,
        Scale::Log10 => 10f64.powf(t),
    }
}

fn clamp_t(scale: Scale, t: f64) -> f64 {
    match scale {
        Scale::Linear => t.clamp(-LINEAR_LIMIT, LINEAR_LIMIT),
        Scale::Log10 => t.clamp(LOG_T_MIN, LOG_T_MAX),
    }
}

/// Widens an empty (or numerically empty) range so that it can be drawn.
fn pad_degenerate(scale: Scale, lo: f64, hi: f64) -> (f64, f64) {
    let size = lo.abs().max(hi.abs());
    if hi - lo > size * 1e-12 {
        return (lo, hi);
    }
    let mid = lo / 2.0 + hi / 2.0;
    let half = match scale {
        Scale::Log10 => 0.5,
        Scale::Linear if mid == 0.0 => 1.0,
        Scale::Linear => mid.abs() * 0.1,
    };
    let (lo, hi) = (mid - half, mid + half);
    if lo < hi {
        (lo, hi)
    } else {
        (mid - 1.0, mid + 1.0)
    }
}

/// Final axis range on the internal scale: padded, clamped, never empty.
fn finish_range(scale: Scale, lo: f64, hi: f64, margin: f64) -> (f64, f64) {
    let (lo, hi) = pad_degenerate(scale, lo, hi);
    let extra = (hi / 2.0 - lo / 2.0) * 2.0 * margin;
    let (lo, hi) = (clamp_t(scale, lo - extra), clamp_t(scale, hi + extra));
    if lo < hi {
        (lo, hi)
    } else {
        let (lo, hi) = pad_degenerate(scale, lo, lo);
        (
            clamp_t(scale, lo).min(hi - 1.0),
            clamp_t(scale, hi).max(lo + 1.0),
        )
    }
}

fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Decimal number `mantissa × 10^exponent`, correctly rounded (so `1e-6` is exactly the literal).
fn decimal(mantissa: i128, exponent: i32) -> f64 {
    format!("{mantissa}e{exponent}").parse().unwrap_or(f64::NAN)
}

/// "Nice" ticks (1, 2, 2.5 or 5 times a power of ten) inside `[lo, hi]`, about `target` of them.
fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let target = target.max(2) as f64;
    let raw = hi / target - lo / target;
    if !(raw.is_finite() && raw > 0.0) {
        return Vec::new();
    }
    let exponent = raw.log10().floor() as i32;
    let fraction = raw / 10f64.powi(exponent);
    let (mantissa, exponent): (i128, i32) = if fraction <= 1.0 {
        (1, exponent)
    } else if fraction <= 2.0 {
        (2, exponent)
    } else if fraction <= 2.5 {
        (25, exponent - 1)
    } else if fraction <= 5.0 {
        (5, exponent)
    } else {
        (1, exponent + 1)
    };
    let step = decimal(mantissa, exponent);
    let (first, last) = ((lo / step).ceil(), (hi / step).floor());
    if !(first.is_finite() && last.is_finite()) || last - first > 100.0 || first.abs() > 1e17 {
        return Vec::new();
    }
    let tolerance = step * 1e-9;
    (first as i128..=last as i128)
        .map(|i| decimal(i * mantissa, exponent))
        .filter(|v| *v >= lo - tolerance && *v <= hi + tolerance)
        .collect()
}

/// Ticks of a log axis over `[10^tlo, 10^thi]`: (labelled, grid-only).
fn log_ticks(tlo: f64, thi: f64, target: usize) -> (Vec<f64>, Vec<f64>) {
    let target = target.max(2);
    let (lo, hi) = (from_t(Scale::Log10, tlo), from_t(Scale::Log10, thi));
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let first = (tlo - 1e-9).floor() as i32 - 1;
    let last = (thi + 1e-9).ceil() as i32 + 1;
    let with_mantissas = |mantissas: &[i128]| -> Vec<f64> {
        (first..=last)
            .flat_map(|k| mantissas.iter().map(move |&m| decimal(m, k)))
            .filter(inside)
            .collect()
    };
    let all: Vec<f64> = with_mantissas(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let decades: Vec<i32> = (first..=last).filter(|&k| inside(&decimal(1, k))).collect();
    let one_two_five = with_mantissas(&[1, 2, 5]);
    let others = |major: &[f64]| -> Vec<f64> {
        all.iter().copied().filter(|v| !major.contains(v)).collect()
    };

    if decades.len() >= 3 || (decades.len() == 2 && one_two_five.len() > target) {
        let stride = decades.len().div_ceil(target).max(1) as i32;
        let major: Vec<f64> = decades
            .iter()
            .filter(|k| k.rem_euclid(stride) == 0)
            .map(|&k| decimal(1, k))
            .collect();
        let minor = if stride == 1 {
            others(&major)
        } else {
            decades
                .iter()
                .filter(|k| k.rem_euclid(stride) != 0)
                .map(|&k| decimal(1, k))
                .collect()
        };
        return (major, minor);
    }
    if one_two_five.len() >= 2 && one_two_five.len() <= target + 1 {
        let minor = others(&one_two_five);
        return (one_two_five, minor);
    }
    if all.len() >= 2 && all.len() <= target + 3 {
        return (all, Vec::new());
    }
    // Less than a decade wide with at most one "round" value inside: straight nice ticks.
    (linear_ticks(lo, hi, target), Vec::new())
}

/// Tick labels: plain decimals ("0.25", "100") when they stay short, else compact exponents
/// ("1e-6", "2.5e-5"), the same style for the whole axis.
fn format_ticks(values: &[f64]) -> (Vec<String>, bool) {
    let magnitudes = values.iter().map(|v| v.abs()).filter(|v| *v > 0.0);
    let scientific = match min_max(magnitudes) {
        Some((small, large)) => large >= 1e5 || small < 1e-3,
        None => false,
    };
    let labels = values.iter().map(|&v| format_tick(v, scientific)).collect();
    (labels, scientific)
}

fn format_tick(v: f64, scientific: bool) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if scientific {
        let text = format!("{v:e}");
        if let Some(mantissa) = text.strip_suffix("e0") {
            return mantissa.to_string();
        }
        return text;
    }
    format!("{v}")
}

/// An axis: plotters' linear or log coordinate with our own ticks.
struct Axis {
    coord: AxisCoord,
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

enum AxisCoord {
    Linear(RangedCoordf64),
    Log(LogCoord<f64>),
}

/// Everything about an axis that is needed after the axis itself moved into the chart.
#[derive(Clone)]
struct AxisInfo {
    scale: Scale,
    tlo: f64,
    thi: f64,
    ticks: Vec<(f64, String)>,
    scientific: bool,
}

impl AxisInfo {
    fn label(&self, v: f64) -> String {
        self.ticks
            .iter()
            .find(|(tick, _)| tick.to_bits() == v.to_bits())
            .map(|(_, label)| label.clone())
            .unwrap_or_else(|| format_tick(v, self.scientific))
    }

    fn lo(&self) -> f64 {
        from_t(self.scale, self.tlo)
    }

    fn hi(&self) -> f64 {
        from_t(self.scale, self.thi)
    }

    /// Position of internal-scale value `t` along the axis, 0 at `lo` and 1 at `hi`.
    fn fraction(&self, t: f64) -> f64 {
        (t - self.tlo) / (self.thi - self.tlo)
    }

    fn longest_label(&self) -> usize {
        self.ticks
            .iter()
            .map(|(_, l)| l.chars().count())
            .max()
            .unwrap_or(1)
    }

    fn last_label(&self) -> usize {
        self.ticks.last().map_or(0, |(_, l)| l.chars().count())
    }
}

fn make_axis(scale: Scale, tlo: f64, thi: f64, target: usize) -> (Axis, AxisInfo) {
    let (lo, hi) = (from_t(scale, tlo), from_t(scale, thi));
    let (coord, major, minor) = match scale {
        Scale::Linear => (
            AxisCoord::Linear((lo..hi).into()),
            linear_ticks(lo, hi, target),
            Vec::new(),
        ),
        Scale::Log10 => {
            let (major, minor) = log_ticks(tlo, thi, target);
            (AxisCoord::Log((lo..hi).log_scale().into()), major, minor)
        }
    };
    let (labels, scientific) = format_ticks(&major);
    let info = AxisInfo {
        scale,
        tlo,
        thi,
        ticks: major.iter().copied().zip(labels).collect(),
        scientific,
    };
    let axis = Axis {
        coord,
        lo,
        hi,
        major,
        minor,
    };
    (axis, info)
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        match &self.coord {
            AxisCoord::Linear(coord) => coord.map(value, limit),
            AxisCoord::Log(coord) => coord.map(value, limit),
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

// ---------------------------------------------------------------------------------------------
// Data preparation

/// A point both on the internal scales (`t`) and as given (`v`).
#[derive(Clone, Copy)]
struct Point {
    t: (f64, f64),
    v: (f64, f64),
}

/// Drawable points of a series, split where a point could not be drawn.
fn drawable_runs(series: &Series, x_scale: Scale, y_scale: Scale) -> Vec<Vec<Point>> {
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for &(x, y) in &series.points {
        match (to_t(x_scale, x), to_t(y_scale, y)) {
            (Some(tx), Some(ty)) => run.push(Point {
                t: (tx, ty),
                v: (x, y),
            }),
            _ => {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
            }
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Liang–Barsky clipping of segment `a`→`b` (internal scales) to the box; returns the kept
/// parameter interval `[u0, u1]` of the segment.
fn clip_segment(a: (f64, f64), b: (f64, f64), x: (f64, f64), y: (f64, f64)) -> Option<(f64, f64)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut u0: f64 = 0.0;
    let mut u1: f64 = 1.0;
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if !r.is_finite() {
                return None;
            }
            if p < 0.0 {
                u0 = u0.max(r);
            } else {
                u1 = u1.min(r);
            }
        }
    }
    (u0 <= u1).then_some((u0, u1))
}

/// Pieces of the series inside the axes' box, as polylines of chart values; single points stay
/// single (drawn as dots).
fn clip_runs(runs: &[Vec<Point>], x: &AxisInfo, y: &AxisInfo) -> Vec<Vec<(f64, f64)>> {
    let (bx, by) = ((x.tlo, x.thi), (y.tlo, y.thi));
    let inside = |p: &Point| p.t.0 >= bx.0 && p.t.0 <= bx.1 && p.t.1 >= by.0 && p.t.1 <= by.1;
    let at = |a: &Point, b: &Point, u: f64| -> (f64, f64) {
        if u <= 0.0 {
            a.v
        } else if u >= 1.0 {
            b.v
        } else {
            let tx = a.t.0 + u * (b.t.0 - a.t.0);
            let ty = a.t.1 + u * (b.t.1 - a.t.1);
            (from_t(x.scale, tx), from_t(y.scale, ty))
        }
    };
    let mut pieces = Vec::new();
    for run in runs {
        if run.len() == 1 {
            if inside(&run[0]) {
                pieces.push(vec![run[0].v]);
            }
            continue;
        }
        let mut piece: Vec<(f64, f64)> = Vec::new();
        for pair in run.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let Some((u0, u1)) = clip_segment(a.t, b.t, bx, by) else {
                if !piece.is_empty() {
                    pieces.push(std::mem::take(&mut piece));
                }
                continue;
            };
            if u0 > 0.0 && !piece.is_empty() {
                pieces.push(std::mem::take(&mut piece));
            }
            if piece.is_empty() {
                piece.push(at(a, b, u0));
            }
            piece.push(at(a, b, u1));
            if u1 < 1.0 {
                pieces.push(std::mem::take(&mut piece));
            }
        }
        if !piece.is_empty() {
            pieces.push(piece);
        }
    }
    pieces
}

/// A panel ready to draw: axes and the drawable data.
struct Prepared {
    x: (Axis, AxisInfo),
    y: (Axis, AxisInfo),
    /// Per series (same order as the panel's): runs of drawable points.
    runs: Vec<Vec<Vec<Point>>>,
    /// Markers with a drawable x: (index in the panel, internal-scale y if it is a point).
    markers: Vec<(usize, Option<f64>)>,
}

fn prepare(panel: &Panel, x_ticks: usize, y_ticks: usize) -> Option<Prepared> {
    let (xs, ys) = (panel.x_scale, panel.y_scale);
    let runs: Vec<Vec<Vec<Point>>> = panel
        .series
        .iter()
        .map(|s| drawable_runs(s, xs, ys))
        .collect();
    let markers: Vec<(usize, Option<f64>)> = panel
        .markers
        .iter()
        .enumerate()
        .filter(|(_, m)| to_t(xs, m.x).is_some())
        .map(|(i, m)| (i, m.y.and_then(|y| to_t(ys, y))))
        .collect();
    let points = || runs.iter().flatten().flatten();
    if points().next().is_none() && markers.is_empty() {
        return None;
    }

    let marker_t = |i: usize| to_t(xs, panel.markers[i].x);
    let x_values = points()
        .map(|p| p.t.0)
        .chain(markers.iter().filter_map(|&(i, _)| marker_t(i)));
    let (xlo, xhi) = min_max(x_values)?;
    let (xlo, xhi) = finish_range(xs, xlo, xhi, 0.0);

    let y_values = points()
        .map(|p| p.t.1)
        .chain(markers.iter().filter_map(|&(_, y)| y));
    let data_y = min_max(y_values).map(|(lo, hi)| finish_range(ys, lo, hi, 0.05));
    let (ylo, yhi) = y_axis_range(ys, panel.y_range, data_y);

    Some(Prepared {
        x: make_axis(xs, xlo, xhi, x_ticks),
        y: make_axis(ys, ylo, yhi, y_ticks),
        runs,
        markers,
    })
}

/// The y range on the internal scale: the requested clamp where it is usable, else the data's.
fn y_axis_range(
    scale: Scale,
    requested: Option<(f64, f64)>,
    data: Option<(f64, f64)>,
) -> (f64, f64) {
    // Without data the axis shows 0 to 1 (linear) or 1 to 10 (log).
    let fallback = data.unwrap_or((0.0, 1.0));
    let Some((a, b)) = requested else {
        return fallback;
    };
    let (lo, hi) = match (to_t(scale, a), to_t(scale, b)) {
        (Some(a), Some(b)) => (a.min(b), a.max(b)),
        (Some(a), None) => (a, fallback.1),
        (None, Some(b)) => (fallback.0, b),
        (None, None) => return fallback,
    };
    if lo > hi {
        return fallback;
    }
    let (lo, hi) = finish_range(scale, lo, hi, 0.0);
    if lo < hi { (lo, hi) } else { fallback }
}

// ---------------------------------------------------------------------------------------------
// Drawing

fn draw_no_data(area: &DrawingArea<SVGBackend<'_>, Shift>, title: &str) -> Result<()> {
    let inner = area
        .titled(&clean_text(title), font(TITLE_FONT))
        .map_err(draw_error)?;
    let (w, h) = inner.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    inner
        .draw(&Rectangle::new(
            [(10, 4), (w - 10, h - 10)],
            BLACK.mix(0.25).stroke_width(1),
        ))
        .map_err(draw_error)?;
    let style = font(NOTE_FONT)
        .color(&NOTE_COLOUR)
        .pos(Pos::new(HPos::Center, VPos::Center));
    inner
        .draw(&Text::new("no data", (w / 2, h / 2), style))
        .map_err(draw_error)?;
    Ok(())
}

/// A translucent white box behind a marker's label (pixel offsets from the anchor), so the
/// label stays readable where it crosses lines.
fn text_backing(
    label: &str,
    offset: (i32, i32),
    h_pos: HPos,
    v_pos: VPos,
) -> Rectangle<(i32, i32)> {
    let width = (label.chars().count() as f64 * CHAR_WIDTH * 0.9) as i32;
    let height = LEGEND_FONT as i32 - 1;
    let (x0, x1) = match h_pos {
        HPos::Right => (offset.0 - width - 2, offset.0 + 2),
        HPos::Center => (offset.0 - width / 2 - 2, offset.0 + width / 2 + 2),
        HPos::Left => (offset.0 - 2, offset.0 + width + 2),
    };
    let (y0, y1) = match v_pos {
        VPos::Bottom => (offset.1 - height, offset.1 + 1),
        VPos::Center => (offset.1 - height / 2, offset.1 + height / 2),
        VPos::Top => (offset.1 - 1, offset.1 + height),
    };
    Rectangle::new([(x0, y0), (x1, y1)], WHITE.mix(0.75).filled())
}

fn colour(index: usize) -> &'static RGBColor {
    &COLOURS[index % COLOURS.len()]
}

/// Where the legend goes: the corner of the plot with the fewest data points under it.
fn legend_position(samples: &[(f64, f64)], box_w: f64, box_h: f64) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let mut best = (SeriesLabelPosition::UpperRight, usize::MAX);
    for (position, right, upper) in corners {
        let count = samples
            .iter()
            .filter(|(nx, ny)| {
                let in_x = if right {
                    *nx >= 1.0 - box_w
                } else {
                    *nx <= box_w
                };
                let in_y = if upper {
                    *ny >= 1.0 - box_h
                } else {
                    *ny <= box_h
                };
                in_x && in_y
            })
            .count();
        if count < best.1 {
            best = (position, count);
        }
    }
    best.0
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &Panel,
    styles: &[Style],
) -> Result<()> {
    let (width, height) = area.dim_in_pixel();
    let x_ticks = (width / 90).clamp(2, 10) as usize;
    let y_ticks = (height / 55).clamp(2, 8) as usize;
    let Some(prepared) = prepare(panel, x_ticks, y_ticks) else {
        return draw_no_data(area, &panel.title);
    };
    let Prepared {
        x: (x_axis, x_info),
        y: (y_axis, y_info),
        runs,
        markers,
    } = prepared;

    let y_label_area =
        ((y_info.longest_label() as f64 * CHAR_WIDTH) as u32 + 12 + DESC_FONT + 10).min(width / 3);
    let x_label_area = TICK_FONT + DESC_FONT + 16;
    let right_margin =
        ((x_info.last_label() as f64 * CHAR_WIDTH / 2.0) as u32 + 12).clamp(20, width / 4);

    let mut chart = ChartBuilder::on(area)
        .caption(clean_text(&panel.title), font(TITLE_FONT))
        .margin(8)
        .margin_right(right_margin)
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x_axis, y_axis)
        .map_err(draw_error)?;

    let x_format = |v: &f64| x_info.label(*v);
    let y_format = |v: &f64| y_info.label(*v);
    chart
        .configure_mesh()
        .x_desc(clean_text(&panel.x_label))
        .y_desc(clean_text(&panel.y_label))
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .label_style(font(TICK_FONT))
        .axis_desc_style(font(DESC_FONT))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.05))
        .axis_style(BLACK.mix(0.6))
        .draw()
        .map_err(draw_error)?;

    let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
    let pieces: Vec<Vec<Vec<(f64, f64)>>> = runs
        .iter()
        .map(|r| clip_runs(r, &x_info, &y_info))
        .collect();
    let drawn_series = pieces.iter().filter(|p| !p.is_empty()).count();
    let (y_lo, y_hi) = (y_info.lo(), y_info.hi());
    let marker_visible = |y: Option<f64>| y.is_none_or(|t| t >= y_info.tlo && t <= y_info.thi);
    let labelled_markers = markers
        .iter()
        .filter(|(i, y)| marker_visible(*y) && !panel.markers[*i].label.trim().is_empty())
        .count();
    let legend = drawn_series > 1 || labelled_markers > 0;

    let mut legend_entries = 0usize;
    let mut longest_entry = 0usize;
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let to_fraction = |x: f64, y: f64| {
        let tx = to_t(x_info.scale, x).unwrap_or(x_info.tlo);
        let ty = to_t(y_info.scale, y).unwrap_or(y_info.tlo);
        (x_info.fraction(tx), y_info.fraction(ty))
    };

    for (index, (series, series_pieces)) in panel.series.iter().zip(&pieces).enumerate() {
        let given = styles.get(index).copied();
        let colour = *colour(given.map_or(index, |s| s.colour));
        let faint = given.is_some_and(|s| s.faint);
        // a faint line: the colour blended halfway to white, one pixel wide
        let colour = if faint {
            let blend = |c: u8| c + (255 - c) / 2;
            RGBColor(blend(colour.0), blend(colour.1), blend(colour.2))
        } else {
            colour
        };
        let total: usize = series_pieces.iter().map(Vec::len).sum();
        let style = colour.stroke_width(if total > 400 || faint { 1 } else { 2 });
        let label = clean_text(series.label.trim());
        let mut annotated = false;
        for piece in series_pieces {
            for pair in piece.windows(2) {
                let (a, b) = (
                    to_fraction(pair[0].0, pair[0].1),
                    to_fraction(pair[1].0, pair[1].1),
                );
                samples.push(a);
                samples.push(((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0));
            }
            if let Some(&(x, y)) = piece.last() {
                samples.push(to_fraction(x, y));
            }
            let annotation = if piece.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(piece[0], 2, colour.filled())))
                    .map_err(draw_error)?
            } else {
                chart
                    .draw_series(LineSeries::new(piece.iter().copied(), style))
                    .map_err(draw_error)?
            };
            if legend && !annotated && !label.is_empty() {
                annotated = true;
                legend_entries += 1;
                longest_entry = longest_entry.max(label.chars().count());
                annotation.label(label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            }
        }
    }

    let mut vertical_row = 0i32;
    // Marker labels go on top of every marker line, so they are drawn after the loop.
    let mut labels = Vec::new();
    for (order, &(index, y)) in markers.iter().enumerate() {
        if !marker_visible(y) {
            continue;
        }
        let marker = &panel.markers[index];
        let colour_ref = colour(panel.series.len() + order);
        let colour = *colour_ref;
        let label = clean_text(marker.label.trim());
        let tx = to_t(x_info.scale, marker.x).unwrap_or(x_info.tlo);
        let near_right = x_info.fraction(tx) > 0.75;
        let (dx, h_pos) = if near_right {
            (-5, HPos::Right)
        } else {
            (5, HPos::Left)
        };
        let in_legend = legend && !label.is_empty();
        if in_legend {
            legend_entries += 1;
            longest_entry = longest_entry.max(label.chars().count());
        }
        match y {
            None => {
                for i in 0..=20 {
                    samples.push((x_info.fraction(tx), f64::from(i) / 20.0));
                }
                let line = DashedPathElement::new(
                    vec![(marker.x, y_lo), (marker.x, y_hi)],
                    6,
                    4,
                    colour.stroke_width(2),
                );
                let annotation = chart
                    .draw_series(std::iter::once(line))
                    .map_err(draw_error)?;
                if in_legend {
                    annotation.label(label.clone()).legend(move |(x, y)| {
                        DashedPathElement::new(
                            vec![(x, y), (x + 20, y)],
                            5,
                            3,
                            colour.stroke_width(2),
                        )
                    });
                }
                if !label.is_empty() {
                    let style = font(LEGEND_FONT)
                        .color(colour_ref)
                        .pos(Pos::new(h_pos, VPos::Top));
                    let dy = 4 + vertical_row * LEGEND_FONT as i32;
                    vertical_row += 1;
                    let backing = text_backing(&label, (dx, dy), h_pos, VPos::Top);
                    let text = EmptyElement::at((marker.x, y_hi))
                        + backing
                        + Text::new(label, (dx, dy), style);
                    labels.push(text);
                }
            }
            Some(ty) => {
                let point = (marker.x, from_t(y_info.scale, ty));
                samples.push((x_info.fraction(tx), y_info.fraction(ty)));
                let circle = Circle::new(point, 5, colour.stroke_width(2));
                let annotation = chart
                    .draw_series(std::iter::once(circle))
                    .map_err(draw_error)?;
                if in_legend {
                    annotation
                        .label(label.clone())
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.stroke_width(2)));
                }
                if !label.is_empty() {
                    let style = font(LEGEND_FONT)
                        .color(colour_ref)
                        .pos(Pos::new(h_pos, VPos::Bottom));
                    let offset = (dx + dx.signum() * 2, -6);
                    let backing = text_backing(&label, offset, h_pos, VPos::Bottom);
                    let text = EmptyElement::at(point) + backing + Text::new(label, offset, style);
                    labels.push(text);
                }
            }
        }
    }

    chart.draw_series(labels).map_err(draw_error)?;

    if legend && legend_entries > 0 {
        let box_w = (longest_entry as f64 * CHAR_WIDTH + 50.0) / f64::from(plot_w.max(1));
        let box_h = (legend_entries as f64 * 20.0 + 24.0) / f64::from(plot_h.max(1));
        chart
            .configure_series_labels()
            .position(legend_position(&samples, box_w, box_h))
            .margin(8)
            .legend_area_size(26)
            .label_font(font(LEGEND_FONT))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(draw_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styled_series_share_a_colour_and_faint_ones_are_paler() {
        let panel = Panel {
            series: vec![
                series("median", vec![(0.0, 1.0), (1.0, 2.0)]),
                series("", vec![(0.0, 0.5), (1.0, 1.5)]),
            ],
            ..Panel::default()
        };
        let styles = vec![vec![
            Style {
                colour: 0,
                faint: false,
            },
            Style {
                colour: 0,
                faint: true,
            },
        ]];
        let svg = render_svg_styled(std::slice::from_ref(&panel), &styles, 400, 300).unwrap();
        assert!(svg.contains("#1F77B4"), "the first palette colour");
        assert!(
            svg.contains("#8FBBD9"),
            "the same colour blended halfway to white"
        );
        assert!(!svg.contains("#FF7F0E"), "no second palette colour");
        // without styles, the second series takes the second colour
        assert!(render_svg(&[panel], 400, 300).unwrap().contains("#FF7F0E"));
    }

    fn series(label: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.to_string(),
            points,
        }
    }

    fn lr_finder_panel() -> Panel {
        let points: Vec<(f64, f64)> = (0..60)
            .map(|i| {
                let lr = 1e-6 * 10f64.powf(f64::from(i) / 10.0);
                (
                    lr,
                    2.0 - f64::from(i) / 40.0 + if i > 50 { 1e6 } else { 0.0 },
                )
            })
            .collect();
        Panel {
            title: "LR range test".into(),
            x_label: "learning rate".into(),
            y_label: "loss".into(),
            x_scale: Scale::Log10,
            series: vec![series("loss", points)],
            markers: vec![
                Marker {
                    label: "steepest".into(),
                    x: 1e-4,
                    y: Some(1.5),
                },
                Marker {
                    label: "min/10".into(),
                    x: 1e-3,
                    y: None,
                },
            ],
            y_range: Some((0.0, 3.0)),
            ..Panel::default()
        }
    }

    fn epochs_panel() -> Panel {
        Panel {
            title: "Loss by epoch".into(),
            x_label: "epoch".into(),
            y_label: "loss".into(),
            series: vec![
                series(
                    "train",
                    (1..=10)
                        .map(|e| (f64::from(e), 1.0 / f64::from(e)))
                        .collect(),
                ),
                series(
                    "validation",
                    (1..=10)
                        .map(|e| (f64::from(e), 1.2 / f64::from(e)))
                        .collect(),
                ),
            ],
            ..Panel::default()
        }
    }

    /// Whether the SVG has a text element reading exactly `text`.
    fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">\n{text}\n</text>"))
    }

    fn count_text(svg: &str, text: &str) -> usize {
        svg.matches(&format!(">\n{text}\n</text>")).count()
    }

    /// Every coordinate of every polyline lies inside the picture.
    fn polylines_inside(svg: &str, width: f64, height: f64) -> bool {
        svg.split("points=\"").skip(1).all(|rest| {
            let list = rest.split('"').next().unwrap_or("");
            list.split_whitespace().all(|pair| {
                let mut it = pair
                    .split(',')
                    .map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
                let (x, y) = (it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN));
                (0.0..=width).contains(&x) && (0.0..=height).contains(&y)
            })
        })
    }

    #[test]
    fn two_panels_render_with_titles_and_legends() {
        let svg = render_svg(&[lr_finder_panel(), epochs_panel()], 800, 360).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("height=\"720\""));
        for text in [
            "LR range test",
            "Loss by epoch",
            "learning rate",
            "epoch",
            "loss",
            "train",
            "validation",
            "steepest",
            "min/10",
        ] {
            assert!(has_text(&svg, text), "missing {text}");
        }
        // Decade ticks of the log axis, written compactly.
        for tick in ["1e-6", "1e-5", "1e-4", "0.5"] {
            assert!(has_text(&svg, tick), "missing tick {tick}");
        }
        // The diverging tail (1e6) is clipped at y = 3, not drawn far outside the picture.
        assert!(polylines_inside(&svg, 800.0, 720.0));
    }

    #[test]
    fn output_is_deterministic() {
        let panels = [lr_finder_panel(), epochs_panel()];
        let first = render_svg(&panels, 640, 300).unwrap();
        let second = render_svg(&panels, 640, 300).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn markers_are_drawn_with_labels() {
        let svg = render_svg(&[lr_finder_panel()], 800, 400).unwrap();
        assert!(svg.contains("<circle"));
        assert!(has_text(&svg, "steepest"));
        // The legend repeats the marker labels next to the in-plot ones.
        assert_eq!(count_text(&svg, "min/10"), 2);
        // The dashed vertical line is many short segments.
        assert!(svg.matches("<line").count() > 10);
    }

    #[test]
    fn log_axes_skip_zero_negative_and_non_finite_points() {
        let panel = Panel {
            title: "log both".into(),
            x_scale: Scale::Log10,
            y_scale: Scale::Log10,
            series: vec![series(
                "mixed",
                vec![
                    (0.0, 1.0),
                    (-1.0, 2.0),
                    (1.0, 0.0),
                    (f64::NAN, 1.0),
                    (2.0, f64::INFINITY),
                    (10.0, 5.0),
                    (100.0, 50.0),
                    (1000.0, -3.0),
                    (1e4, 0.5),
                ],
            )],
            markers: vec![
                Marker {
                    label: "bad x".into(),
                    x: -1.0,
                    y: None,
                },
                Marker {
                    label: "y not positive".into(),
                    x: 20.0,
                    y: Some(0.0),
                },
            ],
            ..Panel::default()
        };
        let svg = render_svg(&[panel], 600, 300).unwrap();
        assert!(has_text(&svg, "10") && has_text(&svg, "100"));
        assert!(!svg.contains("no data"));
        assert!(!svg.contains("bad x"));
        assert!(svg.contains("y not positive"));
        assert!(polylines_inside(&svg, 600.0, 300.0));
    }

    #[test]
    fn empty_panels_show_a_note() {
        let empty = Panel {
            title: "Nothing yet".into(),
            series: vec![
                series("none", vec![]),
                series("nan", vec![(f64::NAN, f64::NAN), (1.0, f64::NEG_INFINITY)]),
            ],
            ..Panel::default()
        };
        let negative_on_log = Panel {
            title: "All negative".into(),
            y_scale: Scale::Log10,
            series: vec![series("neg", vec![(1.0, -1.0), (2.0, 0.0)])],
            ..Panel::default()
        };
        let svg = render_svg(&[empty, epochs_panel(), negative_on_log], 500, 250).unwrap();
        assert!(svg.contains("Nothing yet") && svg.contains("All negative"));
        assert_eq!(count_text(&svg, "no data"), 2);
        let none = render_svg(&[], 500, 250).unwrap();
        assert!(none.starts_with("<svg") && none.contains("no data"));
    }

    #[test]
    fn degenerate_and_extreme_data_render() {
        let cases = [
            vec![(1.0, 1.0)],
            vec![(3.0, 0.0), (3.0, 0.0), (3.0, 0.0)],
            vec![(0.0, 5.0), (1.0, 5.0), (2.0, 5.0)],
            vec![(-1e308, 1e308), (1e308, -1e308)],
            vec![(f64::MIN_POSITIVE, 5e-324), (1.0, 1.0)],
            vec![(1.0, 1.0), (1.0 + 1e-15, 1.0 - 1e-15)],
            vec![(1.0, 0.5772156649), (2.0, 0.5772156650)],
        ];
        for (i, points) in cases.into_iter().enumerate() {
            for (x_scale, y_scale) in [
                (Scale::Linear, Scale::Linear),
                (Scale::Log10, Scale::Log10),
                (Scale::Linear, Scale::Log10),
            ] {
                let panel = Panel {
                    title: format!("case {i}"),
                    x_scale,
                    y_scale,
                    series: vec![series("s", points.clone())],
                    markers: vec![Marker {
                        label: "m".into(),
                        x: 1.0,
                        y: None,
                    }],
                    ..Panel::default()
                };
                let svg = render_svg(&[panel], 400, 200).unwrap();
                assert!(svg.contains(&format!("case {i}")));
            }
        }
    }

    #[test]
    fn unusable_requests_do_not_fail() {
        let mut panel = epochs_panel();
        panel.title = "a < b & \"c\"\u{7}\n".into();
        for y_range in [
            Some((f64::NAN, f64::INFINITY)),
            Some((5.0, 1.0)),
            Some((2.0, 2.0)),
            Some((10.0, f64::NAN)),
            Some((-1.0, 0.0)),
        ] {
            panel.y_range = y_range;
            panel.y_scale = Scale::Log10;
            render_svg(std::slice::from_ref(&panel), 0, 0).unwrap();
            panel.y_scale = Scale::Linear;
            let svg = render_svg(std::slice::from_ref(&panel), 1, 1).unwrap();
            assert!(svg.contains("a &lt; b &amp; &quot;c&quot;"));
            assert!(!svg.contains('\u{7}'));
        }
    }

    #[test]
    fn y_range_clamps_the_axis() {
        let mut panel = epochs_panel();
        panel.y_range = Some((0.0, 0.5));
        let svg = render_svg(&[panel], 600, 300).unwrap();
        assert!(has_text(&svg, "0.5"));
        assert!(!has_text(&svg, "1") && !has_text(&svg, "1.2"));
        assert!(polylines_inside(&svg, 600.0, 300.0));
    }

    #[test]
    fn lines_leaving_the_y_range_are_cut_at_the_frame() {
        let line = series(
            "s",
            vec![(0.0, 0.0), (1.0, 2.0), (2.0, 0.0), (3.0, 5.0), (4.0, 6.0)],
        );
        let runs = drawable_runs(&line, Scale::Linear, Scale::Linear);
        let (_, x) = make_axis(Scale::Linear, 0.0, 4.0, 5);
        let (_, y) = make_axis(Scale::Linear, 0.0, 1.0, 5);
        let pieces = clip_runs(&runs, &x, &y);
        assert_eq!(
            pieces,
            vec![
                vec![(0.0, 0.0), (0.5, 1.0)],
                vec![(1.5, 1.0), (2.0, 0.0), (2.2, 1.0)],
            ]
        );
        // On a log axis the crossing is found on the log scale: 1 → 100 crosses 10 half-way.
        let line = series("s", vec![(0.0, 1.0), (1.0, 100.0)]);
        let runs = drawable_runs(&line, Scale::Linear, Scale::Log10);
        let (_, y) = make_axis(Scale::Log10, 0.0, 1.0, 5);
        let pieces = clip_runs(&runs, &x, &y);
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0][0], (0.0, 1.0));
        assert!((pieces[0][1].0 - 0.5).abs() < 1e-12 && (pieces[0][1].1 - 10.0).abs() < 1e-9);
    }

    #[test]
    fn ticks_are_round_and_compact() {
        assert_eq!(
            linear_ticks(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        );
        assert_eq!(linear_ticks(-0.3, 0.3, 3), vec![-0.2, 0.0, 0.2]);
        let (major, minor) = log_ticks(-6.0, 0.0, 10);
        let (labels, _) = format_ticks(&major);
        assert_eq!(
            labels,
            ["1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1", "1"]
        );
        assert!(minor.contains(&2e-6) && minor.contains(&9e-1));
        let (major, _) = log_ticks(-12.0, 0.0, 4);
        let (labels, _) = format_ticks(&major);
        assert_eq!(labels, ["1e-12", "1e-8", "1e-4", "1"]);
        // Less than two decades: 1-2-5 ticks.
        let (major, _) = log_ticks(0.05f64.log10(), 2.3f64.log10(), 8);
        assert_eq!(
            format_ticks(&major).0,
            ["0.05", "0.1", "0.2", "0.5", "1", "2"]
        );
        // Well inside one decade: plain steps.
        let (major, _) = log_ticks(3.1f64.log10(), 3.3f64.log10(), 5);
        assert!(major.len() >= 2 && major.iter().all(|v| (3.1..=3.3).contains(v)));
        assert_eq!(
            format_ticks(&[0.0, 2.5e-5, 5e-5]).0,
            ["0", "2.5e-5", "5e-5"]
        );
        assert_eq!(format_ticks(&[0.0, 200000.0]).0, ["0", "2e5"]);
        assert_eq!(format_ticks(&[0.0, 0.25, 0.5]).0, ["0", "0.25", "0.5"]);
    }
}

//! Data preparation: drawable runs of finite points, clipping at the frame, and each panel's
//! ranges.

#[allow(unused_imports)]
use super::*;

/// A point both on the internal scales (`t`) and as given (`v`).
#[derive(Clone, Copy)]
pub(super) struct Point {
    pub(super) t: (f64, f64),
    pub(super) v: (f64, f64),
}

/// Drawable points of a series, split where a point could not be drawn.
pub(super) fn drawable_runs(series: &Series, x_scale: Scale, y_scale: Scale) -> Vec<Vec<Point>> {
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
pub(super) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x: (f64, f64),
    y: (f64, f64),
) -> Option<(f64, f64)> {
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
pub(super) fn clip_runs(runs: &[Vec<Point>], x: &AxisInfo, y: &AxisInfo) -> Vec<Vec<(f64, f64)>> {
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
pub(super) struct Prepared {
    pub(super) x: (Axis, AxisInfo),
    pub(super) y: (Axis, AxisInfo),
    /// Per series (same order as the panel's): runs of drawable points.
    pub(super) runs: Vec<Vec<Vec<Point>>>,
    /// Markers with a drawable x: (index in the panel, internal-scale y if it is a point).
    pub(super) markers: Vec<(usize, Option<f64>)>,
}

pub(super) fn prepare(panel: &Panel, x_ticks: usize, y_ticks: usize) -> Option<Prepared> {
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
        x: make_axis(xs, xlo, xhi, x_ticks, panel.x_integer),
        y: make_axis(ys, ylo, yhi, y_ticks, false),
        runs,
        markers,
    })
}

/// The y range on the internal scale: the requested clamp where it is usable, else the data's.
pub(super) fn y_axis_range(
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

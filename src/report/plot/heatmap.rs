//! Heat maps with contour lines: a value on a regular 2-D grid (a loss surface), coloured on a
//! perceptual scale (viridis), optionally of log10 of the value, with labelled points and a
//! colour bar. Non-finite cells are grey. The output depends only on the input.

use anyhow::{Result, ensure};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT, TEXT_COLOUR, draw_error, font};

/// A value on the grid `xs × ys`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeatMap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Increasing cell centres along x.
    pub xs: Vec<f64>,
    /// Increasing cell centres along y.
    pub ys: Vec<f64>,
    /// `values[j * xs.len() + i]` is the value at `(xs[i], ys[j])`.
    pub values: Vec<f64>,
    /// What the colour shows (the colour bar's label).
    pub value_label: String,
    /// Colour by log10 of the value (non-positive values are grey).
    pub log: bool,
    /// Contour lines drawn at this many evenly spaced levels of the coloured quantity.
    pub contours: usize,
    /// Labelled points drawn on top.
    pub marks: Vec<(String, f64, f64)>,
}

/// viridis, 11 stops.
const VIRIDIS: [(f64, f64, f64); 11] = [
    (0.267, 0.005, 0.329),
    (0.283, 0.141, 0.458),
    (0.254, 0.265, 0.530),
    (0.207, 0.372, 0.553),
    (0.164, 0.471, 0.558),
    (0.128, 0.567, 0.551),
    (0.135, 0.659, 0.518),
    (0.267, 0.749, 0.441),
    (0.478, 0.821, 0.319),
    (0.741, 0.873, 0.150),
    (0.993, 0.906, 0.144),
];

const MISSING: RGBColor = RGBColor(200, 200, 200);

/// The colour of `t` in [0, 1] on the viridis scale.
pub fn viridis(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |x: f64, y: f64| ((x + (y - x) * f) * 255.0).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The map as SVG text, `width × height` pixels.
pub fn heatmap_svg(map: &HeatMap, width: u32, height: u32) -> Result<String> {
    let (nx, ny) = (map.xs.len(), map.ys.len());
    ensure!(nx >= 2 && ny >= 2, "a heat map needs at least 2 × 2 points");
    ensure!(
        map.values.len() == nx * ny,
        "heat map values do not fill the grid"
    );
    let shown: Vec<Option<f64>> = map
        .values
        .iter()
        .map(|&v| {
            let v = if map.log {
                if v > 0.0 { v.log10() } else { f64::NAN }
            } else {
                v
            };
            v.is_finite().then_some(v)
        })
        .collect();
    let (lo, hi) = shown
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    };
    let scale = |v: f64| (v - lo) / (hi - lo);
    // cell edges halfway between centres
    let edges = |c: &[f64]| -> Vec<f64> {
        let mut e = Vec::with_capacity(c.len() + 1);
        e.push(c[0] - 0.5 * (c[1] - c[0]));
        for w in c.windows(2) {
            e.push(0.5 * (w[0] + w[1]));
        }
        let n = c.len();
        e.push(c[n - 1] + 0.5 * (c[n - 1] - c[n - 2]));
        e
    };
    let (ex, ey) = (edges(&map.xs), edges(&map.ys));

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width.max(320), height.max(240)))
            .into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let (w, _) = root.dim_in_pixel();
        let (main, bar) = root.split_horizontally(w.saturating_sub(130));
        let mut chart = ChartBuilder::on(&main)
            .caption(&map.title, (FONT, 22).into_font().color(&TEXT_COLOUR))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(ex[0]..ex[nx], ey[0]..ey[ny])
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&map.x_label)
            .y_desc(&map.y_label)
            .axis_desc_style(font(17))
            .label_style(font(15))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(draw_error)?;
        chart
            .draw_series((0..ny).flat_map(|j| {
                let shown = &shown;
                let (ex, ey) = (&ex, &ey);
                (0..nx).map(move |i| {
                    let colour = shown[j * nx + i].map_or(MISSING, |v| viridis(scale(v)));
                    Rectangle::new([(ex[i], ey[j]), (ex[i + 1], ey[j + 1])], colour.filled())
                })
            }))
            .map_err(draw_error)?;
        let contour_style = RGBColor(255, 255, 255).mix(0.7).stroke_width(1);
        for level in 1..=map.contours {
            let value = lo + (hi - lo) * level as f64 / (map.contours + 1) as f64;
            let segments = contour(&map.xs, &map.ys, &shown, value);
            chart
                .draw_series(
                    segments
                        .into_iter()
                        .map(|(a, b)| PathElement::new(vec![a, b], contour_style)),
                )
                .map_err(draw_error)?;
        }
        for (label, x, y) in &map.marks {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (*x, *y),
                    5,
                    RGBColor(214, 39, 40).filled(),
                )))
                .map_err(draw_error)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (*x, *y),
                    font(15)
                        .color(&WHITE)
                        .pos(Pos::new(HPos::Left, VPos::Bottom)),
                )))
                .map_err(draw_error)?;
        }
        // the colour bar
        let mut scale_chart = ChartBuilder::on(&bar)
            .margin_top(44)
            .margin_bottom(60)
            .margin_right(8)
            .y_label_area_size(76)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .map_err(draw_error)?;
        scale_chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc(&map.value_label)
            .axis_desc_style(font(15))
            .label_style(font(13))
            .y_label_formatter(&tick)
            .draw()
            .map_err(draw_error)?;
        const STEPS: usize = 64;
        scale_chart
            .draw_series((0..STEPS).map(|k| {
                let a = lo + (hi - lo) * k as f64 / STEPS as f64;
                let b = lo + (hi - lo) * (k + 1) as f64 / STEPS as f64;
                Rectangle::new([(0.0, a), (1.0, b)], viridis(scale(0.5 * (a + b))).filled())
            }))
            .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// A tick label: up to three decimals, without a sign on zero.
fn tick(v: &f64) -> String {
    let text = format!("{:.3}", v + 0.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

type Point = (f64, f64);

/// Marching squares: the segments where the grid's values cross `level` (cells with a missing
/// corner are skipped; a saddle's four crossings are paired in edge order).
pub fn contour(xs: &[f64], ys: &[f64], values: &[Option<f64>], level: f64) -> Vec<(Point, Point)> {
    let nx = xs.len();
    let mut out = Vec::new();
    for j in 0..ys.len().saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            let corner = |di: usize, dj: usize| {
                values[(j + dj) * nx + i + di].map(|v| ((xs[i + di], ys[j + dj]), v))
            };
            let (Some(c00), Some(c10), Some(c11), Some(c01)) =
                (corner(0, 0), corner(1, 0), corner(1, 1), corner(0, 1))
            else {
                continue;
            };
            let mut hits = Vec::with_capacity(4);
            for (a, b) in [(c00, c10), (c10, c11), (c11, c01), (c01, c00)] {
                if (a.1 < level) != (b.1 < level) {
                    let t = (level - a.1) / (b.1 - a.1);
                    hits.push((a.0.0 + t * (b.0.0 - a.0.0), a.0.1 + t * (b.0.1 - a.0.1)));
                }
            }
            for pair in hits.chunks_exact(2) {
                out.push((pair[0], pair[1]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bowl(n: usize) -> HeatMap {
        let axis: Vec<f64> = (0..n)
            .map(|i| -1.0 + 2.0 * i as f64 / (n - 1) as f64)
            .collect();
        let values = axis
            .iter()
            .flat_map(|&y| axis.iter().map(move |&x| 0.1 + x * x + 2.0 * y * y))
            .collect();
        HeatMap {
            title: "bowl".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            xs: axis.clone(),
            ys: axis,
            values,
            value_label: "log10 loss".into(),
            log: true,
            contours: 6,
            marks: vec![("centre".into(), 0.0, 0.0)],
        }
    }

    #[test]
    fn heat_map_is_deterministic_and_shows_its_parts() {
        let map = bowl(9);
        let a = heatmap_svg(&map, 640, 520).unwrap();
        assert_eq!(a, heatmap_svg(&map, 640, 520).unwrap());
        assert!(a.contains("centre") && a.contains("log10 loss") && a.contains("bowl"));
        // the lowest value takes the first colour of the scale, the highest the last
        assert!(a.contains("#440154") && a.contains("#FDE725"));
    }

    #[test]
    fn contours_of_a_circle_stay_on_the_circle() {
        let n = 41;
        let axis: Vec<f64> = (0..n)
            .map(|i| -1.0 + 2.0 * i as f64 / (n - 1) as f64)
            .collect();
        let values: Vec<Option<f64>> = axis
            .iter()
            .flat_map(|&y| axis.iter().map(move |&x| Some(x * x + y * y)))
            .collect();
        let segs = contour(&axis, &axis, &values, 0.25);
        assert!(segs.len() > 20);
        for (a, b) in segs {
            for p in [a, b] {
                let r = (p.0 * p.0 + p.1 * p.1).sqrt();
                assert!((r - 0.5).abs() < 0.01, "{p:?}");
            }
        }
    }

    #[test]
    fn missing_values_are_grey_and_refused_shapes_are_errors() {
        let mut map = bowl(5);
        map.values[3] = f64::NAN;
        assert!(heatmap_svg(&map, 400, 300).unwrap().contains("#C8C8C8"));
        map.values.pop();
        assert!(heatmap_svg(&map, 400, 300).is_err());
    }
}

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

mod axes;
mod draw;
pub mod heatmap;
mod legend;
mod panel;
mod prepare;

use axes::*;
use draw::*;
use legend::Placement;
use panel::draw_panel;
use prepare::*;

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
    /// The x axis counts things (epochs, steps, cycles, ensemble sizes): whole-number ticks only.
    pub x_integer: bool,
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

/// Clear, distinguishable colours (the "tab10" set): series use them in order, markers take the
/// ones no series of their panel uses.
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
    render_placed(panels, styles, width, height_per_panel).map(|(svg, _)| svg)
}

/// The SVG text and, per panel, where its legend went.
fn render_placed(
    panels: &[Panel],
    styles: &[Vec<Style>],
    width: u32,
    height_per_panel: u32,
) -> Result<(String, Vec<Option<Placement>>)> {
    let width = width.max(MIN_WIDTH);
    let panel_height = height_per_panel.max(MIN_PANEL_HEIGHT);
    let count = u32::try_from(panels.len().max(1)).map_err(|_| anyhow!("too many plot panels"))?;
    let Some(height) = count.checked_mul(panel_height) else {
        bail!("plot too tall: {count} panels of {panel_height} pixels");
    };

    let mut svg = String::new();
    let mut placements = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        if panels.is_empty() {
            draw_no_data(&root, "")?;
        } else {
            let areas = root.split_evenly((panels.len(), 1));
            for (i, (panel, area)) in panels.iter().zip(areas.iter()).enumerate() {
                placements.push(draw_panel(
                    area,
                    panel,
                    styles.get(i).map_or(&[], Vec::as_slice),
                )?);
            }
        }
        root.present().map_err(draw_error)?;
    }
    Ok((svg, placements))
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
        let (_, x) = make_axis(Scale::Linear, 0.0, 4.0, 5, false);
        let (_, y) = make_axis(Scale::Linear, 0.0, 1.0, 5, false);
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
        let (_, y) = make_axis(Scale::Log10, 0.0, 1.0, 5, false);
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

    /// `(x0, y0, x1, y1)` of every legend box drawn inside a plot.
    fn legend_boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| format!(" {}", r.split("/>").next().unwrap_or("")))
            .filter(|r| r.contains("opacity=\"0.3\" fill=\"none\" stroke=\"#000000\""))
            .map(|r| {
                let num = |key: &str| -> f64 {
                    let start = r.find(&format!(" {key}=\"")).unwrap() + key.len() + 3;
                    r[start..].split('"').next().unwrap().parse().unwrap()
                };
                let (x, y) = (num("x"), num("y"));
                (x, y, x + num("width"), y + num("height"))
            })
            .collect()
    }

    /// The coloured (data and marker) polylines of the picture as point lists.
    fn coloured_polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.split("<polyline ")
            .skip(1)
            .map(|p| p.split("/>").next().unwrap_or(""))
            .filter(|p| !p.contains("stroke=\"#000000\""))
            .map(|p| {
                let list = p
                    .split("points=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                list.split_whitespace()
                    .map(|pair| {
                        let mut it = pair.split(',').map(|v| v.parse::<f64>().unwrap());
                        (it.next().unwrap(), it.next().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    /// Panels whose data reach every corner of the plot, in several shapes.
    fn adversarial_panels() -> Vec<Panel> {
        let corners = series(
            "corners",
            vec![
                (0.0, 0.0),
                (0.0, 1.0),
                (f64::NAN, 0.0),
                (1.0, 1.0),
                (1.0, 0.0),
            ],
        );
        let diagonal = series("diagonal", vec![(0.0, 0.0), (1.0, 1.0)]);
        let anti = series("anti", vec![(0.0, 1.0), (1.0, 0.0)]);
        let middle = series("middle", vec![(0.0, 0.5), (1.0, 0.5)]);
        let zigzag = series(
            "zigzag",
            (0..=40)
                .map(|i| (f64::from(i) / 40.0, f64::from(i % 2)))
                .collect(),
        );
        vec![
            Panel {
                title: "corners and a line across".into(),
                series: vec![corners.clone(), middle],
                ..Panel::default()
            },
            Panel {
                title: "an X through the corners".into(),
                series: vec![diagonal, anti, corners],
                markers: vec![Marker {
                    label: "half".into(),
                    x: 0.5,
                    y: None,
                }],
                ..Panel::default()
            },
            Panel {
                title: "everywhere".into(),
                series: vec![zigzag, series("dot", vec![(0.5, 0.5)])],
                ..Panel::default()
            },
        ]
    }

    #[test]
    fn legends_never_cover_plotted_data() {
        for width in [900, 500, 300] {
            let panels = adversarial_panels();
            let (svg, placements) = render_placed(&panels, &[], width, 320).unwrap();
            assert!(
                placements.iter().all(Option::is_some),
                "every panel has a legend"
            );
            let boxes = legend_boxes(&svg);
            let inside = placements
                .iter()
                .filter(|p| matches!(p, Some(Placement::Inside(_))))
                .count();
            assert_eq!(boxes.len(), inside, "one box per legend drawn inside");
            // the zigzag fills its plot: that legend goes below the chart
            assert!(matches!(placements[2], Some(Placement::Below { .. })));
            for &(x0, y0, x1, y1) in &boxes {
                for line in coloured_polylines(&svg) {
                    // the legend's own swatches lie inside its box
                    let swatch = line
                        .iter()
                        .all(|&(x, y)| x >= x0 && x <= x1 && y >= y0 && y <= y1);
                    if swatch {
                        continue;
                    }
                    for pair in line.windows(2) {
                        assert!(
                            clip_segment(pair[0], pair[1], (x0, x1), (y0, y1)).is_none(),
                            "width {width}: segment {:?} meets the legend {:?}",
                            pair,
                            (x0, y0, x1, y1)
                        );
                    }
                }
            }
            for name in [
                "corners", "middle", "diagonal", "anti", "zigzag", "dot", "half",
            ] {
                assert!(has_text(&svg, name), "legend entry {name}");
            }
        }
    }

    #[test]
    fn count_axes_get_whole_number_ticks() {
        assert_eq!(integer_ticks(1.0, 5.0, 8), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(integer_ticks(0.0, 10.0, 4), vec![0.0, 5.0, 10.0]);
        assert_eq!(integer_ticks(0.9, 1.1, 5), vec![1.0]);
        assert_eq!(
            integer_ticks(0.0, 100.0, 4),
            vec![0.0, 25.0, 50.0, 75.0, 100.0]
        );
        for (lo, hi, target) in [(1.0, 6.0, 3), (0.0, 7.0, 10), (1.0, 50.0, 9), (3.0, 4.0, 8)] {
            let ticks = integer_ticks(lo, hi, target);
            assert!(!ticks.is_empty());
            assert!(
                ticks
                    .iter()
                    .all(|t| t.fract() == 0.0 && *t >= lo && *t <= hi),
                "{ticks:?}"
            );
        }
        // the plain axis of 1…5 ticks at halves; the count axis does not
        let panel = |x_integer| Panel {
            series: vec![series("k", (1..=5).map(|k| (f64::from(k), 1.0)).collect())],
            x_integer,
            ..Panel::default()
        };
        let plain = render_svg(&[panel(false)], 900, 300).unwrap();
        let counted = render_svg(&[panel(true)], 900, 300).unwrap();
        assert!(has_text(&plain, "1.5") || has_text(&plain, "2.5"));
        assert!(!has_text(&counted, "1.5") && !has_text(&counted, "2.5"));
        assert!(has_text(&counted, "3"));
    }

    #[test]
    fn long_titles_wrap_instead_of_being_cut() {
        assert_eq!(
            wrap_text("lrtool train --dataset digits --epochs 10", 16),
            ["lrtool train", "--dataset digits", "--epochs 10"]
        );
        assert_eq!(
            wrap_text("abcdefghijklmnopqrst", 8),
            ["abcdefgh", "ijklmnop", "qrst"]
        );
        assert!(wrap_text("", 20).is_empty());
        let command = "lrtool compare --dataset digits --optimizer sgd --momentum 0.9 --epochs 10 --arms constant:lr=0.01;sgdr:lr=0.05,t0=1,t-mult=2 --seeds 3";
        let panel = Panel {
            title: command.into(),
            ..epochs_panel()
        };
        let svg = render_svg(&[panel], 500, 360).unwrap();
        // every word of the command is in the picture, on lines that fit its width
        let lines = wrap_text(command, 48);
        assert!(lines.len() > 2);
        for line in &lines {
            assert!(has_text(&svg, line), "missing title line {line}");
        }
    }
}

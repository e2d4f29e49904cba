//! One panel with plotters: the wrapped title, frame and ticks, series, markers with their labels,
//! and the legend where it covers nothing (see `legend.rs`).

#[allow(unused_imports)]
use super::*;

use super::legend::{Obstacle, Placement, ROW, Rect, SWATCH, band_layout, box_size, place_legend};

/// Palette indices for markers, most distinct first.
const MARKER_ORDER: [usize; 10] = [2, 3, 4, 9, 6, 8, 5, 7, 0, 1];

/// How a legend entry shows its series or marker.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Ring(RGBColor),
    Dot(RGBColor),
}

struct Entry {
    label: String,
    swatch: Swatch,
}

/// The chart's margins and label areas, in pixels (they do not depend on the legend).
struct Frame {
    margin_right: u32,
    x_label_area: u32,
    y_label_area: u32,
}

fn builder<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    frame: &Frame,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(area);
    b.margin(8)
        .margin_top(4)
        .margin_right(frame.margin_right)
        .x_label_area_size(frame.x_label_area)
        .y_label_area_size(frame.y_label_area);
    b
}

/// The plotting area's size in pixels for a chart of `frame` on an area of `dims` (laid out on a
/// scratch picture that is thrown away).
fn plot_size(dims: (u32, u32), frame: &Frame) -> Result<(f64, f64)> {
    let mut scratch = String::new();
    let size = {
        let root = SVGBackend::with_string(&mut scratch, dims).into_drawing_area();
        let chart = builder(&root, frame)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(draw_error)?;
        chart.plotting_area().dim_in_pixel()
    };
    Ok((f64::from(size.0), f64::from(size.1)))
}

/// A marker as it will be drawn: colour, label and where the label sits.
struct MarkerPlan {
    index: usize,
    colour: RGBColor,
    label: String,
    /// Position along the x axis, 0 at the left and 1 at the right.
    fx: f64,
    /// `Some(t)`: a circle at internal-scale height `t`; `None`: a vertical line.
    y: Option<f64>,
    /// The label's offset from its anchor (the top of the line, or the circle) and alignment.
    offset: (i32, i32),
    h_pos: HPos,
    v_pos: VPos,
}

/// Draws `panel` into `area` and returns where its legend went (`None`: no legend).
pub(super) fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &Panel,
    styles: &[Style],
) -> Result<Option<Placement>> {
    let inner = draw_title(area, &panel.title)?;
    let (width, height) = inner.dim_in_pixel();
    let x_ticks = (width / 90).clamp(2, 10) as usize;
    let y_ticks = (height / 50).clamp(2, 8) as usize;
    let Some(prepared) = prepare(panel, x_ticks, y_ticks) else {
        draw_no_data(&inner, "")?;
        return Ok(None);
    };
    let Prepared {
        x: (x_axis, x_info),
        y: (y_axis, y_info),
        runs,
        markers,
    } = prepared;

    let frame = Frame {
        y_label_area: ((y_info.longest_label() as f64 * CHAR_WIDTH) as u32 + 12 + DESC_FONT + 10)
            .min(width / 3),
        x_label_area: TICK_FONT + DESC_FONT + 16,
        margin_right: ((x_info.last_label() as f64 * CHAR_WIDTH / 2.0) as u32 + 12)
            .clamp(20, width / 4),
    };

    let pieces: Vec<Vec<Vec<(f64, f64)>>> = runs
        .iter()
        .map(|r| clip_runs(r, &x_info, &y_info))
        .collect();
    let looks: Vec<(RGBColor, u32)> = panel
        .series
        .iter()
        .zip(&pieces)
        .enumerate()
        .map(|(index, (_, series_pieces))| {
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
            (colour, if total > 400 || faint { 1 } else { 2 })
        })
        .collect();

    // markers take palette colours no series of the panel uses, in an order that keeps
    // neighbours far apart (green, red, purple, cyan, …)
    let used: Vec<usize> = (0..panel.series.len())
        .map(|i| styles.get(i).map_or(i, |s| s.colour) % COLOURS.len())
        .collect();
    let mut marker_colours: Vec<RGBColor> = MARKER_ORDER
        .iter()
        .filter(|i| !used.contains(i))
        .map(|&i| COLOURS[i])
        .collect();
    if marker_colours.is_empty() {
        marker_colours = MARKER_ORDER.iter().map(|&i| COLOURS[i]).collect();
    }
    // the markers that show, with their label positions
    let marker_visible = |y: Option<f64>| y.is_none_or(|t| t >= y_info.tlo && t <= y_info.thi);
    let mut plans = Vec::new();
    let mut vertical_row = 0i32;
    for (order, &(index, y)) in markers.iter().enumerate() {
        if !marker_visible(y) {
            continue;
        }
        let marker = &panel.markers[index];
        let tx = to_t(x_info.scale, marker.x).unwrap_or(x_info.tlo);
        let fx = x_info.fraction(tx);
        let (dx, h_pos): (i32, HPos) = if fx > 0.75 {
            (-5, HPos::Right)
        } else {
            (5, HPos::Left)
        };
        let label = clean_text(marker.label.trim());
        let (offset, v_pos) = match y {
            None => {
                let dy = 4 + vertical_row * LEGEND_FONT as i32;
                if !label.is_empty() {
                    vertical_row += 1;
                }
                ((dx, dy), VPos::Top)
            }
            Some(_) => ((dx + dx.signum() * 2, -6), VPos::Bottom),
        };
        plans.push(MarkerPlan {
            index,
            colour: marker_colours[order % marker_colours.len()],
            label,
            fx,
            y,
            offset,
            h_pos,
            v_pos,
        });
    }

    // the legend's entries: series that show, then labelled markers
    let drawn_series = pieces.iter().filter(|p| !p.is_empty()).count();
    let labelled_markers = plans.iter().filter(|p| !p.label.is_empty()).count();
    let mut entries = Vec::new();
    if drawn_series > 1 || labelled_markers > 0 {
        for ((series, series_pieces), &(colour, _)) in panel.series.iter().zip(&pieces).zip(&looks)
        {
            let label = clean_text(series.label.trim());
            if label.is_empty() || series_pieces.is_empty() {
                continue;
            }
            let dots = series_pieces.iter().all(|p| p.len() == 1);
            let swatch = if dots {
                Swatch::Dot(colour)
            } else {
                Swatch::Line(colour)
            };
            entries.push(Entry { label, swatch });
        }
        for plan in plans.iter().filter(|p| !p.label.is_empty()) {
            let swatch = match plan.y {
                None => Swatch::Dashed(plan.colour),
                Some(_) => Swatch::Ring(plan.colour),
            };
            entries.push(Entry {
                label: plan.label.clone(),
                swatch,
            });
        }
    }

    let placement = if entries.is_empty() {
        None
    } else {
        let (pw, ph) = plot_size((width, height), &frame)?;
        let obstacles = obstacles(&pieces, &plans, &x_info, &y_info, (pw, ph));
        let labels: Vec<String> = entries.iter().map(|e| e.label.clone()).collect();
        let rows = band_layout(&labels, pw).last().map_or(1, |e| e.1 + 1);
        Some(place_legend(&obstacles, (pw, ph), box_size(&labels), rows))
    };

    let (chart_area, band) = match placement {
        Some(Placement::Below { rows }) => {
            let band_height = (rows as f64 * ROW) as u32 + 10;
            let (chart_area, band) = inner.split_vertically(height.saturating_sub(band_height));
            (chart_area, Some(band))
        }
        _ => (inner.split_vertically(height).0, None),
    };

    let mut chart = builder(&chart_area, &frame)
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

    for (series_pieces, &(colour, width)) in pieces.iter().zip(&looks) {
        for piece in series_pieces {
            if piece.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(piece[0], 2, colour.filled())))
                    .map_err(draw_error)?;
            } else {
                chart
                    .draw_series(LineSeries::new(
                        piece.iter().copied(),
                        colour.stroke_width(width),
                    ))
                    .map_err(draw_error)?;
            }
        }
    }

    let y_hi = y_info.hi();
    // Vertical markers are dashed lines in the plotting area's pixels; markers within a few pixels
    // of each other (suggestions that agree) take turns along one line, so every colour shows.
    let plot_area = chart.plotting_area().strip_coord_spec();
    let (_, plot_h) = plot_area.dim_in_pixel();
    let base = chart.plotting_area().get_base_pixel();
    let column = |x: f64| chart.backend_coord(&(x, y_hi)).0 - base.0;
    let verticals: Vec<(usize, i32)> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| p.y.is_none())
        .map(|(i, p)| (i, column(panel.markers[p.index].x)))
        .collect();
    // Marker labels go on top of every marker line, so they are drawn after the loop.
    let mut labels = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        let marker = &panel.markers[plan.index];
        let colour = plan.colour;
        let anchor = match plan.y {
            None => {
                let x = verticals.iter().find(|v| v.0 == i).map_or(0, |v| v.1);
                let shared: Vec<usize> = verticals
                    .iter()
                    .filter(|v| (v.1 - x).abs() <= 3)
                    .map(|v| v.0)
                    .collect();
                let phase = shared.iter().position(|&j| j == i).unwrap_or(0) as i32;
                let (dash, period) = if shared.len() > 1 {
                    (6, 6 * shared.len() as i32)
                } else {
                    (6, 10)
                };
                let mut y = phase * dash;
                while y < plot_h as i32 {
                    let end = (y + dash).min(plot_h as i32);
                    plot_area
                        .draw(&PathElement::new(
                            vec![(x, y), (x, end)],
                            colour.stroke_width(2),
                        ))
                        .map_err(draw_error)?;
                    y += period;
                }
                (marker.x, y_hi)
            }
            Some(ty) => {
                let point = (marker.x, from_t(y_info.scale, ty));
                let circle = Circle::new(point, 5, colour.stroke_width(2));
                chart
                    .draw_series(std::iter::once(circle))
                    .map_err(draw_error)?;
                point
            }
        };
        if !plan.label.is_empty() {
            let style = font(LEGEND_FONT)
                .color(&plan.colour)
                .pos(Pos::new(plan.h_pos, plan.v_pos));
            let backing = text_backing(&plan.label, plan.offset, plan.h_pos, plan.v_pos);
            labels.push(
                EmptyElement::at(anchor)
                    + backing
                    + Text::new(plan.label.clone(), plan.offset, style),
            );
        }
    }
    chart.draw_series(labels).map_err(draw_error)?;

    match (placement, band) {
        (Some(Placement::Inside(rect)), _) => {
            let area = chart.plotting_area().strip_coord_spec();
            let (x0, y0) = (rect.x0.round() as i32, rect.y0.round() as i32);
            let (x1, y1) = (rect.x1.round() as i32, rect.y1.round() as i32);
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))
                .map_err(draw_error)?;
            area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                BLACK.mix(0.3).stroke_width(1),
            ))
            .map_err(draw_error)?;
            for (i, entry) in entries.iter().enumerate() {
                let y = y0 + 4 + (i as f64 * ROW + ROW / 2.0) as i32;
                draw_entry(&area, (x0 + 8, y), entry)?;
            }
        }
        (Some(Placement::Below { .. }), Some(band)) => {
            let left = chart.plotting_area().get_base_pixel().0 - band.get_base_pixel().0;
            let labels: Vec<String> = entries.iter().map(|e| e.label.clone()).collect();
            let (pw, _) = chart.plotting_area().dim_in_pixel();
            for (&(x, row), entry) in band_layout(&labels, f64::from(pw)).iter().zip(&entries) {
                let y = 4 + (row as f64 * ROW + ROW / 2.0) as i32;
                draw_entry(&band, (left + x as i32, y), entry)?;
            }
        }
        _ => {}
    }
    Ok(placement)
}

/// Everything drawn in the plotting area, in its pixels (y downwards): the series' pieces, the
/// markers (lines across, circles) and the markers' labels.
fn obstacles(
    pieces: &[Vec<Vec<(f64, f64)>>],
    plans: &[MarkerPlan],
    x: &AxisInfo,
    y: &AxisInfo,
    (pw, ph): (f64, f64),
) -> Vec<Obstacle> {
    let px = |fx: f64, fy: f64| (fx * pw, (1.0 - fy) * ph);
    let at = |(vx, vy): (f64, f64)| {
        let tx = to_t(x.scale, vx).unwrap_or(x.tlo);
        let ty = to_t(y.scale, vy).unwrap_or(y.tlo);
        px(x.fraction(tx), y.fraction(ty))
    };
    let mut out = Vec::new();
    for piece in pieces.iter().flatten() {
        if let [only] = piece.as_slice() {
            let p = at(*only);
            out.push(Obstacle::Segment(p, p));
        }
        out.extend(
            piece
                .windows(2)
                .map(|pair| Obstacle::Segment(at(pair[0]), at(pair[1]))),
        );
    }
    for plan in plans {
        let anchor = match plan.y {
            None => {
                let top = px(plan.fx, 1.0);
                out.push(Obstacle::Segment(top, px(plan.fx, 0.0)));
                top
            }
            Some(t) => {
                let c = px(plan.fx, y.fraction(t));
                out.push(Obstacle::Area(Rect {
                    x0: c.0 - 6.0,
                    y0: c.1 - 6.0,
                    x1: c.0 + 6.0,
                    y1: c.1 + 6.0,
                }));
                c
            }
        };
        if !plan.label.is_empty() {
            let (x0, y0, x1, y1) = label_box(&plan.label, plan.offset, plan.h_pos, plan.v_pos);
            out.push(Obstacle::Area(Rect {
                x0: anchor.0 + f64::from(x0),
                y0: anchor.1 + f64::from(y0),
                x1: anchor.0 + f64::from(x1),
                y1: anchor.1 + f64::from(y1),
            }));
        }
    }
    out
}

/// One legend entry: its swatch from `(x, y)` (the row's middle) and its text after it.
fn draw_entry(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    (x, y): (i32, i32),
    entry: &Entry,
) -> Result<()> {
    let end = x + SWATCH as i32;
    match entry.swatch {
        Swatch::Line(c) => area.draw(&PathElement::new(vec![(x, y), (end, y)], c.stroke_width(2))),
        Swatch::Dashed(c) => area.draw(&DashedPathElement::new(
            vec![(x, y), (end, y)],
            5,
            3,
            c.stroke_width(2),
        )),
        Swatch::Ring(c) => area.draw(&Circle::new((x + 12, y), 4, c.stroke_width(2))),
        Swatch::Dot(c) => area.draw(&Circle::new((x + 12, y), 3, c.filled())),
    }
    .map_err(draw_error)?;
    let style = font(LEGEND_FONT).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw(&Text::new(entry.label.clone(), (end + 6, y), style))
        .map_err(draw_error)?;
    Ok(())
}

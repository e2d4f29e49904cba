//! Drawing a panel with plotters: frame, ticks, series, markers, legend and the "no data" note.

#[allow(unused_imports)]
use super::*;

pub(super) fn draw_no_data(area: &DrawingArea<SVGBackend<'_>, Shift>, title: &str) -> Result<()> {
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
pub(super) fn text_backing(
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

pub(super) fn colour(index: usize) -> &'static RGBColor {
    &COLOURS[index % COLOURS.len()]
}

/// Where the legend goes: the corner of the plot with the fewest data points under it.
pub(super) fn legend_position(
    samples: &[(f64, f64)],
    box_w: f64,
    box_h: f64,
) -> SeriesLabelPosition {
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

pub(super) fn draw_panel(
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

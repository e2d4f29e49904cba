//! Drawing a panel with plotters: frame, ticks, series, markers, legend and the "no data" note.

#[allow(unused_imports)]
use super::*;

/// Title font metrics: line height and a generous width of one character, in pixels.
const TITLE_LINE: i32 = 24;
const TITLE_CHAR: f64 = 10.0;

/// `text` broken into lines of at most `max` characters, at spaces where possible (a longer
/// word is cut), so that a long title (a command line) wraps instead of running off the picture.
pub(super) fn wrap_text(text: &str, max: usize) -> Vec<String> {
    let max = max.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let have = line.chars().count();
            let room = if have == 0 {
                max
            } else {
                max.saturating_sub(have + 1)
            };
            if word.len() <= room {
                if have > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if have > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            let rest = word.split_off(max);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws the title, wrapped to the width, at the top of `area` and returns the area below it.
pub(super) fn draw_title<'a>(
    area: &DrawingArea<SVGBackend<'a>, Shift>,
    title: &str,
) -> Result<DrawingArea<SVGBackend<'a>, Shift>> {
    let (w, h) = area.dim_in_pixel();
    let max = ((f64::from(w) - 16.0) / TITLE_CHAR).max(8.0) as usize;
    let lines = wrap_text(&clean_text(title), max);
    let style = font(TITLE_FONT).pos(Pos::new(HPos::Center, VPos::Top));
    for (i, line) in lines.iter().enumerate() {
        let y = 6 + i as i32 * TITLE_LINE;
        area.draw(&Text::new(line.clone(), (w as i32 / 2, y), style.clone()))
            .map_err(draw_error)?;
    }
    let used = if lines.is_empty() {
        4
    } else {
        10 + lines.len() as i32 * TITLE_LINE
    };
    let used = (used as u32).min(h / 2);
    Ok(area.split_vertically(used).1)
}

pub(super) fn draw_no_data(area: &DrawingArea<SVGBackend<'_>, Shift>, title: &str) -> Result<()> {
    let inner = draw_title(area, title)?;
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

/// The box around a marker's label: pixel offsets `(x0, y0, x1, y1)` from its anchor.
pub(super) fn label_box(
    label: &str,
    offset: (i32, i32),
    h_pos: HPos,
    v_pos: VPos,
) -> (i32, i32, i32, i32) {
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
    (x0, y0, x1, y1)
}

/// A translucent white box behind a marker's label (pixel offsets from the anchor), so the
/// label stays readable where it crosses lines.
pub(super) fn text_backing(
    label: &str,
    offset: (i32, i32),
    h_pos: HPos,
    v_pos: VPos,
) -> Rectangle<(i32, i32)> {
    let (x0, y0, x1, y1) = label_box(label, offset, h_pos, v_pos);
    Rectangle::new([(x0, y0), (x1, y1)], WHITE.mix(0.75).filled())
}

pub(super) fn colour(index: usize) -> &'static RGBColor {
    &COLOURS[index % COLOURS.len()]
}

//! Where a panel's legend goes, decided from the data: inside the plotting area at a corner or
//! along an edge where no series, marker or marker label lies under the box, else in a band
//! below the chart (outside the plotting area), so that a legend never covers data.

#[allow(unused_imports)]
use super::*;

/// Height of one legend row and the width of its swatch, in pixels.
pub(super) const ROW: f64 = 20.0;
pub(super) const SWATCH: f64 = 24.0;
/// Inner padding of the legend box, its distance from the frame, and the clearance it keeps
/// from anything drawn.
const PAD: f64 = 8.0;
const INSET: f64 = 6.0;
const CLEARANCE: f64 = 4.0;
/// Gap between entries that share a row of the band below the chart.
const GAP: f64 = 18.0;
/// Candidate positions along an edge are this many pixels apart.
const STRIDE: f64 = 8.0;

/// A rectangle in pixels of the plotting area, y downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    pub(super) x0: f64,
    pub(super) y0: f64,
    pub(super) x1: f64,
    pub(super) y1: f64,
}

impl Rect {
    fn grown(self, by: f64) -> Rect {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }

    /// Whether the segment `a`→`b` (a point when `a == b`) touches this rectangle.
    pub(super) fn meets(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        clip_segment(a, b, (self.x0, self.x1), (self.y0, self.y1)).is_some()
    }
}

/// Something drawn in the plotting area that the legend must not cover (pixels, y downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Obstacle {
    /// A piece of a line, or a single point when both ends are equal.
    Segment((f64, f64), (f64, f64)),
    /// A marker's circle or the box of a label.
    Area(Rect),
}

impl Obstacle {
    fn meets(&self, r: &Rect) -> bool {
        match *self {
            Obstacle::Segment(a, b) => r.meets(a, b),
            Obstacle::Area(o) => o.x0 <= r.x1 && r.x0 <= o.x1 && o.y0 <= r.y1 && r.y0 <= o.y1,
        }
    }

    fn bounds(&self) -> Rect {
        match *self {
            Obstacle::Segment(a, b) => Rect {
                x0: a.0.min(b.0),
                y0: a.1.min(b.1),
                x1: a.0.max(b.0),
                y1: a.1.max(b.1),
            },
            Obstacle::Area(r) => r,
        }
    }
}

/// Where the legend is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Placement {
    /// This box inside the plotting area, clear of every obstacle.
    Inside(Rect),
    /// A band of this many rows under the chart, outside the plotting area.
    Below { rows: usize },
}

/// Width of an entry's text in pixels (a generous estimate, so that the box holds it).
pub(super) fn text_width(label: &str) -> f64 {
    label.chars().count() as f64 * CHAR_WIDTH * 0.9
}

/// The legend box's size when its entries are stacked in one column.
pub(super) fn box_size(labels: &[String]) -> (f64, f64) {
    let widest = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max);
    (
        PAD + SWATCH + 6.0 + widest + PAD,
        labels.len() as f64 * ROW + PAD,
    )
}

/// Where each entry starts in the band below the chart (x offset, row), filling rows of `width`
/// pixels from the left.
pub(super) fn band_layout(labels: &[String], width: f64) -> Vec<(f64, usize)> {
    let mut out = Vec::with_capacity(labels.len());
    let (mut x, mut row) = (0.0, 0usize);
    for label in labels {
        let w = SWATCH + 6.0 + text_width(label);
        if x > 0.0 && x + w > width {
            x = 0.0;
            row += 1;
        }
        out.push((x, row));
        x += w + GAP;
    }
    out
}

/// Candidate boxes of `size` in a `plot` of pixels: the four corners first, then positions along
/// the top and bottom edges and the left and right edges, each list from the corners inwards.
fn candidates(plot: (f64, f64), size: (f64, f64)) -> Vec<Rect> {
    let (w, h) = size;
    let (left, right) = (INSET, plot.0 - INSET - w);
    let (top, bottom) = (INSET, plot.1 - INSET - h);
    if right < left || bottom < top {
        return Vec::new();
    }
    let at = |x: f64, y: f64| Rect {
        x0: x,
        y0: y,
        x1: x + w,
        y1: y + h,
    };
    let mut out = vec![
        at(right, top),
        at(left, top),
        at(right, bottom),
        at(left, bottom),
    ];
    let steps = |from: f64, to: f64| -> Vec<f64> {
        let n = ((to - from) / STRIDE).floor() as usize;
        (1..n).map(|i| to - i as f64 * STRIDE).collect()
    };
    for y in [top, bottom] {
        out.extend(steps(left, right).into_iter().map(|x| at(x, y)));
    }
    for x in [right, left] {
        out.extend(steps(top, bottom).into_iter().rev().map(|y| at(x, y)));
    }
    out
}

/// The legend's place for a plotting area of `plot` pixels holding `obstacles`: the first
/// candidate box (see [`candidates`]) that keeps [`CLEARANCE`] pixels from every obstacle, or a
/// band below the chart when none does (or the box does not fit); `band_rows` is the band's
/// height in rows.
pub(super) fn place_legend(
    obstacles: &[Obstacle],
    plot: (f64, f64),
    size: (f64, f64),
    band_rows: usize,
) -> Placement {
    let bounds: Vec<Rect> = obstacles.iter().map(Obstacle::bounds).collect();
    for candidate in candidates(plot, size) {
        let zone = candidate.grown(CLEARANCE);
        let clear = obstacles.iter().zip(&bounds).all(|(o, b)| {
            b.x1 < zone.x0 || b.x0 > zone.x1 || b.y1 < zone.y0 || b.y0 > zone.y1 || !o.meets(&zone)
        });
        if clear {
            return Placement::Inside(candidate);
        }
    }
    Placement::Below {
        rows: band_rows.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: (f64, f64) = (600.0, 300.0);
    const SIZE: (f64, f64) = (150.0, 48.0);

    fn polyline(points: &[(f64, f64)]) -> Vec<Obstacle> {
        points
            .windows(2)
            .map(|p| Obstacle::Segment(p[0], p[1]))
            .collect()
    }

    /// No obstacle touches the chosen box (a placement below the chart is always clear).
    fn clear_of(placement: Placement, obstacles: &[Obstacle]) -> bool {
        match placement {
            Placement::Inside(r) => {
                r.x0 >= 0.0
                    && r.y0 >= 0.0
                    && r.x1 <= PLOT.0
                    && r.y1 <= PLOT.1
                    && obstacles.iter().all(|o| !o.meets(&r))
            }
            Placement::Below { .. } => true,
        }
    }

    #[test]
    fn an_empty_plot_takes_the_upper_right_corner() {
        assert_eq!(
            place_legend(&[], PLOT, SIZE, 1),
            Placement::Inside(Rect {
                x0: PLOT.0 - INSET - SIZE.0,
                y0: INSET,
                x1: PLOT.0 - INSET,
                y1: INSET + SIZE.1
            })
        );
    }

    #[test]
    fn data_in_every_corner_moves_the_legend_to_a_free_edge() {
        // a point in each corner and a line across the middle: the top edge's middle is free
        let mut obstacles: Vec<Obstacle> = [(2.0, 2.0), (598.0, 2.0), (2.0, 298.0), (598.0, 298.0)]
            .iter()
            .map(|&p| Obstacle::Segment(p, p))
            .collect();
        obstacles.extend(polyline(&[(0.0, 150.0), (600.0, 150.0)]));
        let placement = place_legend(&obstacles, PLOT, SIZE, 1);
        assert!(matches!(placement, Placement::Inside(_)), "{placement:?}");
        assert!(clear_of(placement, &obstacles));
        // every corner's box holds a point, so the choice is not a corner
        let Placement::Inside(r) = placement else {
            unreachable!()
        };
        assert!(r.x0 > INSET + 1.0 && r.x1 < PLOT.0 - INSET - 1.0, "{r:?}");
    }

    #[test]
    fn data_everywhere_puts_the_legend_below_the_chart() {
        // a zigzag through the whole plot, corners included: no box of this size is free
        let points: Vec<(f64, f64)> = (0..=60)
            .map(|i| (f64::from(i) * 10.0, if i % 2 == 0 { 0.0 } else { 300.0 }))
            .collect();
        let obstacles = polyline(&points);
        assert_eq!(
            place_legend(&obstacles, PLOT, SIZE, 2),
            Placement::Below { rows: 2 }
        );
        // a box larger than the plot goes below too
        assert_eq!(
            place_legend(&[], (100.0, 40.0), SIZE, 1),
            Placement::Below { rows: 1 }
        );
    }

    #[test]
    fn a_line_through_the_corner_box_without_a_point_in_it_is_seen() {
        // a steep segment whose end points lie outside every corner box but which crosses the
        // upper-right one: sampling points would miss it, the segment test does not
        let obstacles = polyline(&[(520.0, -50.0), (560.0, 400.0)]);
        let placement = place_legend(&obstacles, PLOT, SIZE, 1);
        assert!(clear_of(placement, &obstacles), "{placement:?}");
        assert!(matches!(placement, Placement::Inside(r) if r.x1 < 520.0 || r.x0 > 560.0));
    }

    #[test]
    fn adversarial_series_never_meet_the_legend() {
        // deterministic pseudo-random series: spikes, corner points, vertical marker lines,
        // label boxes; whatever is chosen stays clear of all of them
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut inside = 0;
        for case in 0..300 {
            let mut obstacles = Vec::new();
            for _ in 0..(case % 4) {
                let n = 2 + (next() * 12.0) as usize;
                let pts: Vec<(f64, f64)> =
                    (0..n).map(|_| (next() * PLOT.0, next() * PLOT.1)).collect();
                obstacles.extend(polyline(&pts));
            }
            for corner in [(0.0, 0.0), (PLOT.0, 0.0), (0.0, PLOT.1), PLOT] {
                if next() < 0.7 {
                    obstacles.push(Obstacle::Segment(corner, corner));
                }
            }
            if next() < 0.5 {
                let x = next() * PLOT.0;
                obstacles.push(Obstacle::Segment((x, 0.0), (x, PLOT.1)));
                obstacles.push(Obstacle::Area(Rect {
                    x0: x + 5.0,
                    y0: 4.0,
                    x1: x + 80.0,
                    y1: 18.0,
                }));
            }
            let size = (60.0 + next() * 150.0, 28.0 + next() * 60.0);
            let placement = place_legend(&obstacles, PLOT, size, 1);
            assert!(
                clear_of(placement, &obstacles),
                "case {case}: {placement:?}"
            );
            if let Placement::Inside(r) = placement {
                inside += 1;
                assert!((r.x1 - r.x0 - size.0).abs() < 1e-9 && (r.y1 - r.y0 - size.1).abs() < 1e-9);
            }
        }
        // the search does find room inside when there is some
        assert!(inside > 50, "{inside}");
    }

    #[test]
    fn band_rows_wrap_at_the_width() {
        let labels: Vec<String> = ["train", "validation", "a much longer label here"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let wide = band_layout(&labels, 2000.0);
        assert!(wide.iter().all(|&(_, row)| row == 0));
        let narrow = band_layout(&labels, 250.0);
        assert_eq!(narrow.iter().map(|e| e.1).collect::<Vec<_>>(), [0, 0, 1]);
        assert_eq!(narrow[2].0, 0.0);
    }
}

//! Scales, ranges and ticks: linear and log10 axes with round tick values and compact labels.

#[allow(unused_imports)]
use super::*;

/// The value on the axis's internal straight scale: itself, or its log10; `None` if not drawable.
pub(super) fn to_t(scale: Scale, v: f64) -> Option<f64> {
    match scale {
        Scale::Linear => v.is_finite().then_some(v),
        Scale::Log10 => (v.is_finite() && v > 0.0).then(|| v.log10()),
    }
}

pub(super) fn from_t(scale: Scale, t: f64) -> f64 {
    match scale {
        Scale::Linear => t,
        Scale::Log10 => 10f64.powf(t),
    }
}

pub(super) fn clamp_t(scale: Scale, t: f64) -> f64 {
    match scale {
        Scale::Linear => t.clamp(-LINEAR_LIMIT, LINEAR_LIMIT),
        Scale::Log10 => t.clamp(LOG_T_MIN, LOG_T_MAX),
    }
}

/// Widens an empty (or numerically empty) range so that it can be drawn.
pub(super) fn pad_degenerate(scale: Scale, lo: f64, hi: f64) -> (f64, f64) {
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
pub(super) fn finish_range(scale: Scale, lo: f64, hi: f64, margin: f64) -> (f64, f64) {
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

pub(super) fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Decimal number `mantissa × 10^exponent`, correctly rounded (so `1e-6` is exactly the literal).
pub(super) fn decimal(mantissa: i128, exponent: i32) -> f64 {
    format!("{mantissa}e{exponent}").parse().unwrap_or(f64::NAN)
}

/// "Nice" ticks (1, 2, 2.5 or 5 times a power of ten) inside `[lo, hi]`, about `target` of them.
pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
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

/// Whole-number ticks for a count axis (epochs, cycles, ensemble sizes): steps of 1, 2 or 5
/// times a power of ten (or 25 × 10^k), never 2.5, about `target` of them inside `[lo, hi]`.
pub(super) fn integer_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let raw = hi / target.max(2) as f64 - lo / target.max(2) as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return Vec::new();
    }
    if raw >= 1e15 {
        // every nice step this large is a whole number
        return linear_ticks(lo, hi, target);
    }
    let mut decade = 1.0;
    let step = loop {
        let pick = [1.0, 2.0, 2.5, 5.0]
            .iter()
            .map(|m| m * decade)
            .filter(|s: &f64| s.fract() == 0.0)
            .find(|s| *s >= raw);
        if let Some(step) = pick {
            break step;
        }
        decade *= 10.0;
    };
    let (first, last) = ((lo / step).ceil(), (hi / step).floor());
    if last - first > 100.0 {
        return Vec::new();
    }
    (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .collect()
}

/// Ticks of a log axis over `[10^tlo, 10^thi]`: (labelled, grid-only).
pub(super) fn log_ticks(tlo: f64, thi: f64, target: usize) -> (Vec<f64>, Vec<f64>) {
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
pub(super) fn format_ticks(values: &[f64]) -> (Vec<String>, bool) {
    let magnitudes = values.iter().map(|v| v.abs()).filter(|v| *v > 0.0);
    let scientific = match min_max(magnitudes) {
        Some((small, large)) => large >= 1e5 || small < 1e-3,
        None => false,
    };
    let labels = values.iter().map(|&v| format_tick(v, scientific)).collect();
    (labels, scientific)
}

pub(super) fn format_tick(v: f64, scientific: bool) -> String {
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
pub(super) struct Axis {
    pub(super) coord: AxisCoord,
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) major: Vec<f64>,
    pub(super) minor: Vec<f64>,
}

pub(super) enum AxisCoord {
    Linear(RangedCoordf64),
    Log(LogCoord<f64>),
}

/// Everything about an axis that is needed after the axis itself moved into the chart.
#[derive(Clone)]
pub(super) struct AxisInfo {
    pub(super) scale: Scale,
    pub(super) tlo: f64,
    pub(super) thi: f64,
    pub(super) ticks: Vec<(f64, String)>,
    pub(super) scientific: bool,
}

impl AxisInfo {
    pub(super) fn label(&self, v: f64) -> String {
        self.ticks
            .iter()
            .find(|(tick, _)| tick.to_bits() == v.to_bits())
            .map(|(_, label)| label.clone())
            .unwrap_or_else(|| format_tick(v, self.scientific))
    }

    pub(super) fn hi(&self) -> f64 {
        from_t(self.scale, self.thi)
    }

    /// Position of internal-scale value `t` along the axis, 0 at `lo` and 1 at `hi`.
    pub(super) fn fraction(&self, t: f64) -> f64 {
        (t - self.tlo) / (self.thi - self.tlo)
    }

    pub(super) fn longest_label(&self) -> usize {
        self.ticks
            .iter()
            .map(|(_, l)| l.chars().count())
            .max()
            .unwrap_or(1)
    }

    pub(super) fn last_label(&self) -> usize {
        self.ticks.last().map_or(0, |(_, l)| l.chars().count())
    }
}

/// An axis over `[tlo, thi]` (internal scale) with about `target` ticks; `integer` (linear axes
/// only) keeps the ticks on whole numbers.
pub(super) fn make_axis(
    scale: Scale,
    tlo: f64,
    thi: f64,
    target: usize,
    integer: bool,
) -> (Axis, AxisInfo) {
    let (lo, hi) = (from_t(scale, tlo), from_t(scale, thi));
    let (coord, major, minor) = match scale {
        Scale::Linear => (
            AxisCoord::Linear((lo..hi).into()),
            if integer {
                integer_ticks(lo, hi, target)
            } else {
                linear_ticks(lo, hi, target)
            },
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

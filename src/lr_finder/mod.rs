//! The LR range test's analysis: smoothing, the divergence rule, the sweep's LR grid, the
//! suggestion methods, the consensus, schedule bounds and phase diagnostics. Every function here
//! is a pure function of a recorded `(lr, loss)` curve, so it is unit-tested without training and
//! reused by `lrtool suggest` on curves logged by other tools.

use serde::{Deserialize, Serialize};

pub mod analysis;
pub mod fastai;
pub mod noise;

/// How the LR rises from `--min` to `--max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SweepMode {
    /// Geometric steps: equal ratios, equal spacing on a log axis
    Exp,
    /// Arithmetic steps
    Linear,
}

impl SweepMode {
    /// The name given to `--mode` (and written to summary.json).
    pub fn name(self) -> &'static str {
        match self {
            SweepMode::Exp => "exp",
            SweepMode::Linear => "linear",
        }
    }
}

/// The LR at sweep step `i` of `steps`: `min` at the first step and `max` exactly at the last
/// (torch-lr-finder's grid). Past the last step the LR stays at `max`.
pub fn sweep_lr(mode: SweepMode, min: f64, max: f64, steps: u64, i: u64) -> f64 {
    if steps <= 1 {
        return min;
    }
    if i >= steps - 1 {
        return max; // exactly: min·(max/min)^1 and min + (max − min) can be an ULP off
    }
    let t = (i.min(steps - 1)) as f64 / (steps - 1) as f64;
    match mode {
        SweepMode::Exp => min * (max / min).powf(t),
        SweepMode::Linear => min + t * (max - min),
    }
}

/// The key of the sweep's first mini-batch, so that step `i` draws batch `first + i` and a given
/// learning rate gets the same batch whatever the sweep's `min`: the first LR's position on the
/// sweep's own grid counted from LR 1 (exp: `log10(min)` in steps of the grid's decades per step;
/// linear: `min` in steps of the grid's increment). Two sweeps with the same steps per decade
/// (the default 15) share their batches from the higher `min` on.
pub fn sweep_first_key(mode: SweepMode, min: f64, max: f64, steps: u64) -> i64 {
    if steps <= 1 || min >= max || min <= 0.0 {
        return 0;
    }
    let per_step = match mode {
        SweepMode::Exp => (max / min).log10() / (steps - 1) as f64,
        SweepMode::Linear => (max - min) / (steps - 1) as f64,
    };
    let at = match mode {
        SweepMode::Exp => min.log10(),
        SweepMode::Linear => min,
    };
    let key = (at / per_step).round();
    if key.is_finite() {
        key.clamp(-1e15, 1e15) as i64
    } else {
        0
    }
}

/// Default number of sweep steps: 15 per decade of the range plus the first LR (91 from 1e-6 to
/// 1, every 10^(1/15)), at least 50. On a whole number of decades the grid is then the same for
/// every range: LR 10^(−k/15) for whole k, so two sweeps whose ranges share a part have the same
/// LRs (and batches, see [`sweep_first_key`]) there.
pub fn default_steps(min: f64, max: f64) -> u64 {
    let decades = (max / min).log10().max(0.0);
    let per_decade = 15.0 * decades;
    // a whole number of decades gets exactly 15 steps per decade (rounding must not add one)
    let intervals = if (per_decade - per_decade.round()).abs() < 1e-6 {
        per_decade.round()
    } else {
        per_decade.ceil()
    };
    (intervals as u64 + 1).max(50)
}

/// Where every sweep starts by default (`--warmup-from`): far enough below the LRs that move the
/// weights of the networks lrtool trains that the usual `--min` values lie above it.
pub const WARMUP_FROM: f64 = 1e-12;

/// Steps a sweep from `min` to `max` in `steps` takes below `min` without recording them (its
/// run-in): as many grid steps as lie between `from` and `min` (the sweep's own spacing on the
/// log axis, extended below `min`), so that sweeps on the same grid all start at `from` whatever
/// their `min`. None for a linear sweep, with `from` 0 (none) or at or above `min`; at most
/// `max(steps, 1000)`.
pub fn run_in_steps(mode: SweepMode, min: f64, max: f64, steps: u64, from: f64) -> u64 {
    if mode != SweepMode::Exp || steps <= 1 || !(from > 0.0 && from < min && min < max) {
        return 0;
    }
    let per_step = (max / min).log10() / (steps - 1) as f64;
    let n = ((min / from).log10() / per_step).round();
    if n.is_finite() && n > 0.0 {
        (n as u64).min(steps.max(1000))
    } else {
        0
    }
}

/// Bias-corrected exponential moving average (fastai's `AvgSmoothLoss`):
/// `a ← β·a + (1−β)·loss` from `a = 0`, reported as `a / (1 − β^t)`. `β = 0` gives the raw loss.
#[derive(Debug, Clone)]
pub struct Smoother {
    beta: f64,
    avg: f64,
    t: i32,
}

impl Smoother {
    pub fn new(beta: f64) -> Smoother {
        Smoother {
            beta,
            avg: 0.0,
            t: 0,
        }
    }

    /// Feed one loss, get the smoothed value.
    pub fn push(&mut self, loss: f64) -> f64 {
        self.t = self.t.saturating_add(1);
        self.avg = self.beta * self.avg + (1.0 - self.beta) * loss;
        let correction = 1.0 - self.beta.powi(self.t);
        if correction > 0.0 {
            self.avg / correction
        } else {
            loss
        }
    }
}

/// The divergence rule: stop when the smoothed loss exceeds `factor` times the best so far.
///
/// For positive losses far from zero this is exactly fastai's `smooth > factor·best`. So that it
/// also works when the best loss approaches zero or goes negative (regression), the excess over
/// the best is compared with a scale that never falls below 5 % of the drop seen so far:
/// `smooth − best > (factor − 1) · max(best, 0.05·(first − best))`.
///
/// It also stops once the loss, after falling by at least a tenth, climbs back above where it
/// started: the network is then worse than untrained. Optimizers that normalise their steps
/// (Adam) tend to saturate at the chance-level loss instead of exploding, which a ratio to the
/// best loss alone would miss on a short, smoothed sweep. "Where it started" is the smoothed
/// loss at the [`SETTLED`]-th step, once the moving average holds that many batches, and the fall
/// is counted from there: the first values average one or two batches, and on a noisy loss (a
/// regression's mean squared error) one low batch looked like a fall of a tenth and the next
/// ordinary one like a climb back, which ended sweeps after four steps.
#[derive(Debug, Clone)]
pub struct DivergenceRule {
    factor: f64,
    first: Option<f64>,
    best: f64,
    seen: usize,
    /// The smoothed loss at the `SETTLED`-th step and the lowest since.
    start: Option<f64>,
    best_since_start: f64,
}

/// The step (1-based) whose smoothed loss is the start of [`DivergenceRule`]'s climb-back test.
pub const SETTLED: usize = 10;

impl DivergenceRule {
    pub fn new(factor: f64) -> DivergenceRule {
        DivergenceRule {
            factor,
            first: None,
            best: f64::INFINITY,
            seen: 0,
            start: None,
            best_since_start: f64::INFINITY,
        }
    }

    /// Feed one smoothed loss; true when the sweep has diverged.
    pub fn diverged(&mut self, smooth: f64) -> bool {
        if !smooth.is_finite() {
            return true;
        }
        let first = *self.first.get_or_insert(smooth);
        self.best = self.best.min(smooth);
        self.seen += 1;
        if self.seen == SETTLED {
            self.start = Some(smooth);
        }
        let scale = self.best.max(0.05 * (first - self.best));
        let climbed_back = self.start.is_some_and(|start| {
            self.best_since_start = self.best_since_start.min(smooth);
            start - self.best_since_start > 0.1 * start.abs() && smooth > start
        });
        (scale > 0.0 && smooth - self.best > (self.factor - 1.0) * scale) || climbed_back
    }
}

/// A suggestion method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Most negative slope of the smoothed loss against log10(lr).
    Steepest,
    /// fastai's valley: the middle of the longest descent.
    Valley,
    /// LR at the lowest smoothed loss, divided by 10.
    Minimum,
    /// fastai's slide: the left end of the last window whose end slopes still differ.
    Slide,
}

pub const METHODS: [Method; 4] = [
    Method::Steepest,
    Method::Valley,
    Method::Minimum,
    Method::Slide,
];

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Steepest => "steepest",
            Method::Valley => "valley",
            Method::Minimum => "minimum",
            Method::Slide => "slide",
        }
    }
}

/// One method's answer on a curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub method: Method,
    /// The suggested learning rate (None when the curve is too short or has no finite point).
    pub lr: Option<f64>,
    /// Index into the full curve of the point the method picked (for plot markers).
    pub index: Option<usize>,
}

/// The part of a curve the methods look at: finite points only, cut at the first non-finite
/// loss, then without the first tenth (`n/10` points) and the last `skip_end` points, as fastai
/// does. Returns the first kept index and the kept length; short curves keep what they can.
pub fn analysis_window(losses: &[f64], skip_end: usize) -> (usize, usize) {
    let n = losses
        .iter()
        .position(|l| !l.is_finite())
        .unwrap_or(losses.len());
    let start = n / 10;
    let end = n.saturating_sub(skip_end);
    if end >= start + 2 {
        (start, end - start)
    } else {
        // too short to trim: use every finite point
        (0, n)
    }
}

/// Points dropped at the end before analysing, as fastai (5).
pub const SKIP_END: usize = 5;

/// Run one method on the curve `(lrs, smooth)` (smoothed losses).
pub fn suggest(method: Method, lrs: &[f64], smooth: &[f64]) -> Suggestion {
    let (start, len) = analysis_window(smooth, SKIP_END);
    let lrs_w = &lrs[start..start + len];
    let loss_w = &smooth[start..start + len];
    let (lr, index) = match method {
        Method::Steepest => match steepest(lrs_w, loss_w) {
            Some(i) => (Some(lrs_w[i]), Some(start + i)),
            None => (None, None),
        },
        Method::Valley => match valley(loss_w) {
            Some(i) => (Some(lrs_w[i]), Some(start + i)),
            None => (None, None),
        },
        Method::Minimum => match argmin(loss_w) {
            Some(i) => (Some(lrs_w[i] / 10.0), Some(start + i)),
            None => (None, None),
        },
        Method::Slide => match slide(loss_w) {
            Some(i) => (Some(lrs_w[i]), Some(start + i)),
            None => (None, None),
        },
    };
    Suggestion { method, lr, index }
}

/// Every method on one curve.
pub fn suggest_all(lrs: &[f64], smooth: &[f64]) -> Vec<Suggestion> {
    METHODS.iter().map(|&m| suggest(m, lrs, smooth)).collect()
}

fn argmin(xs: &[f64]) -> Option<usize> {
    xs.iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
}

/// Slopes of `ys` against `log10(xs)`, as `numpy.gradient(ys, log10(xs))` computes them:
/// second-order central differences on the (possibly uneven) grid inside, one-sided first-order
/// differences at the ends. A zero spacing gives NaN there.
pub fn log_slopes(xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let n = xs.len();
    let lx: Vec<f64> = xs.iter().map(|x| x.log10()).collect();
    let one_sided = |a: usize, b: usize| {
        let dx = lx[b] - lx[a];
        if dx == 0.0 {
            f64::NAN
        } else {
            (ys[b] - ys[a]) / dx
        }
    };
    (0..n)
        .map(|i| {
            if n < 2 {
                f64::NAN
            } else if i == 0 {
                one_sided(0, 1)
            } else if i == n - 1 {
                one_sided(n - 2, n - 1)
            } else {
                let hd = lx[i] - lx[i - 1];
                let hs = lx[i + 1] - lx[i];
                let den = hs * hd * (hd + hs);
                if den == 0.0 {
                    f64::NAN
                } else {
                    (hd * hd * ys[i + 1] - hs * hs * ys[i - 1] + (hs * hs - hd * hd) * ys[i]) / den
                }
            }
        })
        .collect()
}

/// The step-to-step noise τ of a curve's increments (a gradient difference of the smoothed curve
/// has about τ as its SD), read robustly from the third differences, whose variance is 6τ²: a
/// trend that is locally a parabola has none, so a noise-free curve gives 0. 0 below 11 points.
pub fn increment_noise(losses: &[f64]) -> f64 {
    let third: Vec<f64> = losses
        .windows(4)
        .map(|w| w[3] - 3.0 * w[2] + 3.0 * w[1] - w[0])
        .filter(|d| d.is_finite())
        .collect();
    if third.len() < 8 {
        return 0.0;
    }
    let med = noise::median(&third);
    let dev: Vec<f64> = third.iter().map(|d| (d - med).abs()).collect();
    1.4826 * noise::median(&dev) / 6f64.sqrt()
}

/// A curve is noisy when three increment-noise SDs exceed fastai's slide threshold (0.005 per
/// point): then `slide` raises its threshold and `steepest` reads slopes over a window.
pub fn is_noisy(losses: &[f64]) -> bool {
    3.0 * increment_noise(losses) > 0.005
}

/// Slopes against log10(lr) by least squares over `±h` points around each point (shrunk at the
/// ends): on a noisy curve a point's own central difference is mostly noise.
pub fn window_slopes(xs: &[f64], ys: &[f64], h: usize) -> Vec<f64> {
    let n = xs.len().min(ys.len());
    let lx: Vec<f64> = xs[..n].iter().map(|x| x.log10()).collect();
    (0..n)
        .map(|i| {
            let (a, b) = (i.saturating_sub(h), (i + h + 1).min(n));
            let k = (b - a) as f64;
            let mx = lx[a..b].iter().sum::<f64>() / k;
            let my = ys[a..b].iter().sum::<f64>() / k;
            let sxx: f64 = lx[a..b].iter().map(|x| (x - mx).powi(2)).sum();
            let sxy: f64 = (a..b).map(|j| (lx[j] - mx) * (ys[j] - my)).sum();
            if sxx > 0.0 { sxy / sxx } else { f64::NAN }
        })
        .collect()
}

/// Index of the most negative slope against log10(lr); None without a descending slope, i.e.
/// one steeper than rounding can make: a flat curve's slopes are not exactly 0 in floating
/// point (−3e-15 on a curve at 2.3), so the slope must exceed [`rounding_slope`].
pub fn steepest(lrs: &[f64], losses: &[f64]) -> Option<usize> {
    if lrs.len() < 2 {
        return None;
    }
    // on a noisy curve, slopes over half a decade either side (see [`is_noisy`])
    let slopes = if is_noisy(losses) {
        window_slopes(lrs, losses, noise::window_len(lrs) / 2)
    } else {
        log_slopes(lrs, losses)
    };
    let i = argmin(&slopes)?;
    (slopes[i] < -rounding_slope(lrs, losses)).then_some(i)
}

/// The largest slope (per decade) that rounding alone can produce on this curve: the central
/// difference divides differences of losses, each off by a few ULPs of the loss, by the smallest
/// log10 spacing. 64 ULPs of the largest |loss| over that spacing.
pub fn rounding_slope(lrs: &[f64], losses: &[f64]) -> f64 {
    let scale = losses
        .iter()
        .filter(|l| l.is_finite())
        .fold(0.0f64, |m, l| m.max(l.abs()));
    let h = lrs
        .windows(2)
        .map(|w| (w[1].log10() - w[0].log10()).abs())
        .filter(|d| *d > 0.0 && d.is_finite())
        .fold(f64::INFINITY, f64::min);
    if h.is_finite() {
        64.0 * f64::EPSILON * scale / h
    } else {
        0.0
    }
}

/// fastai's valley: the longest strictly decreasing subsequence of the losses, and a point about
/// half-way along it (`start + ⌊s⌋ + ⌊s/2⌋` with `s = (end − start)/3`). A curve with no
/// decreasing pair gives None (fastai returns its first point); a two-point descent gives its
/// last point (where fastai's index −1 wraps to).
pub fn valley(losses: &[f64]) -> Option<usize> {
    let n = losses.len();
    if n < 2 {
        return None;
    }
    let mut lds = vec![1usize; n];
    let mut max_start: isize = 0;
    let mut max_end = 0;
    for i in 1..n {
        for j in 0..i {
            if losses[i] < losses[j] && lds[i] < lds[j] + 1 {
                lds[i] = lds[j] + 1;
            }
            if lds[max_end] < lds[i] {
                max_end = i;
                max_start = max_end as isize - lds[max_end] as isize;
            }
        }
    }
    if lds[max_end] < 2 {
        return None;
    }
    let sections = (max_end as isize - max_start) as f64 / 3.0;
    let idx = max_start + sections.floor() as isize + (sections / 2.0).floor() as isize;
    // fastai's start may be one before the first element (−1 wraps in Python)
    Some(if idx < 0 {
        n - 1
    } else {
        (idx as usize).min(n - 1)
    })
}

/// fastai's slide (`lr_diff = 15`, `thresh = 0.005`): walk a 15-point window leftwards from the
/// end of the curve while the loss gradients (per index) at its two ends still differ by more than
/// `thresh`; the answer is the left end of the last such window. On a curve shorter than the
/// window, the window shrinks to the curve.
///
/// Two differences from fastai, both for noisy or unusual curves (a smooth curve that rises
/// faster and faster after its minimum gets fastai's answer): the threshold grows with the
/// curve's noise (see [`increment_noise`]), and the walk does not stop while the window's right
/// end is past the curve's lowest point (a straight rise has equal gradients at both ends, and
/// stopping there would suggest an LR beyond the minimum).
pub fn slide(losses: &[f64]) -> Option<usize> {
    let n = losses.len();
    if n < 3 {
        return None;
    }
    let grad: Vec<f64> = (0..n)
        .map(|i| {
            if i == 0 {
                losses[1] - losses[0]
            } else if i == n - 1 {
                losses[n - 1] - losses[n - 2]
            } else {
                (losses[i + 1] - losses[i - 1]) / 2.0
            }
        })
        .collect();
    let lr_diff = 15.min(n - 1);
    // fastai's 0.005, or three SDs of the noise of a gradient difference when the curve is
    // noisier: on a noisy plateau every difference exceeds 0.005 by chance and the walk would stop
    // wherever luck has it (see [`increment_noise`]; a noise-free curve keeps fastai's 0.005)
    let thresh = (3.0 * increment_noise(losses)).max(0.005);
    // the last point at the lowest value (a flat floor counts to its end)
    let lowest = losses
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .fold(None::<(usize, f64)>, |m, (i, &v)| match m {
            Some((_, b)) if v > b => m,
            _ => Some((i, v)),
        })
        .map_or(n - 1, |(i, _)| i);
    let mut r = n - 1;
    let mut l = r - lr_diff;
    let mut found = l;
    loop {
        if r <= lowest && (grad[r] - grad[l]).abs() <= thresh {
            break;
        }
        found = l;
        if l == 0 {
            break;
        }
        l -= 1;
        r -= 1;
    }
    Some(found)
}

/// The geometric middle of the methods' answers, and how far apart they are in decades.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consensus {
    pub lr: Option<f64>,
    /// log10(largest / smallest) of the methods' answers.
    pub spread_decades: Option<f64>,
    /// True when the methods disagree by more than one decade.
    pub disagree: bool,
}

/// Geometric mean of the suggestions that exist.
pub fn consensus(suggestions: &[Suggestion]) -> Consensus {
    let logs: Vec<f64> = suggestions
        .iter()
        .filter_map(|s| s.lr)
        .filter(|l| l.is_finite() && *l > 0.0)
        .map(f64::log10)
        .collect();
    if logs.is_empty() {
        return Consensus {
            lr: None,
            spread_decades: None,
            disagree: false,
        };
    }
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let lo = logs.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    Consensus {
        lr: Some(10f64.powf(mean)),
        spread_decades: Some(hi - lo),
        disagree: hi - lo > 1.0,
    }
}

/// The largest LR, before the loss minimum, at which the smoothed loss still falls at least half
/// as steeply (per decade) as at its steepest: the top of a cyclical range (Smith's max_lr).
pub fn still_steep_max(lrs: &[f64], smooth: &[f64]) -> Option<f64> {
    let (start, len) = analysis_window(smooth, SKIP_END);
    let lrs_w = &lrs[start..start + len];
    let loss_w = &smooth[start..start + len];
    let i_min = argmin(loss_w)?;
    let slopes = log_slopes(&lrs_w[..=i_min], &loss_w[..=i_min]);
    let i_steep = argmin(&slopes)?;
    if slopes[i_steep] >= 0.0 {
        return None;
    }
    let half = 0.5 * slopes[i_steep];
    let mut top = i_steep;
    for (i, &s) in slopes.iter().enumerate().skip(i_steep) {
        if s <= half {
            top = i;
        } else {
            break;
        }
    }
    Some(lrs_w[top])
}

/// Which of the range test's three phases the curve shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    /// The loss hardly moves over the first part of the range (the LR is too low there).
    pub flat_start: bool,
    /// The loss falls clearly somewhere in the range.
    pub descent: bool,
    /// The loss rises again at the end (or the sweep stopped on divergence).
    pub divergence: bool,
    /// No descent beyond noise although the loss was flat at `--min` and rose at the end: no LR
    /// of the range lowered it measurably, and a wider range would not help (written only when
    /// true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_signal: bool,
    /// What to change when a phase is missing.
    pub advice: Vec<String>,
}

/// Read the phases from the smoothed curve. `stopped_by_divergence` is true when the sweep ended
/// by the divergence rule or a non-finite loss.
pub fn phases(smooth: &[f64], stopped_by_divergence: bool, min: f64, max: f64) -> Phases {
    let n = smooth
        .iter()
        .position(|l| !l.is_finite())
        .unwrap_or(smooth.len());
    let s = &smooth[..n];
    let mut p = Phases {
        flat_start: false,
        descent: false,
        divergence: stopped_by_divergence,
        no_signal: false,
        advice: Vec::new(),
    };
    if n < 3 {
        p.advice.push(format!(
            "the sweep recorded only {n} finite losses; lower --max or --min, or raise --steps"
        ));
        return p;
    }
    let i_min = argmin(s).unwrap_or(0);
    let first = s[0];
    let lowest = s[i_min];
    let drop = first - lowest;
    let scale = first.abs().max(lowest.abs()).max(1e-12);
    p.descent = drop > 0.1 * scale;
    if p.descent {
        // the first tenth of the points should change the loss by under a tenth of the drop
        let k = (n / 10).max(2).min(i_min.max(1));
        let early = s[..=k]
            .iter()
            .map(|v| (v - first).abs())
            .fold(0.0, f64::max);
        p.flat_start = early < 0.1 * drop && i_min > k;
    }
    if !p.divergence && i_min + 1 < n {
        // after a descent: back up by half of it; with or without one: the end lies more than
        // three loss scales above the lowest point (an SGD sweep whose loss climbs from 2.3 to
        // 1e5 without a NaN has diverged, whether or not it fell by a tenth first)
        let rise = s[n - 1] - lowest;
        p.divergence = (p.descent && rise > 0.5 * drop) || rise > 3.0 * scale;
    }
    p.advice = advice(&p, min, max);
    p
}

/// What to change when a phase is missing from the range `min..max`.
pub fn advice(p: &Phases, min: f64, max: f64) -> Vec<String> {
    let mut advice = Vec::new();
    if p.no_signal {
        advice.push(format!(
            "the loss stayed within its batch-to-batch noise from --min {min:e} until it rose: no LR in this range lowered it measurably, and LRs below --min would only add plateau; larger batches average the noise (raise --batch-size), or the data may hold little signal"
        ));
    } else if !p.descent && p.divergence {
        advice.push(format!(
            "the loss diverged without falling first: the useful LRs lie below --min {min:e}; lower it (try {:e})",
            min / 100.0
        ));
    } else if !p.descent {
        advice.push(format!(
            "the loss never fell clearly between {min:e} and {max:e}: raise --max (try {:e})",
            max * 100.0
        ));
    } else {
        if !p.flat_start {
            advice.push(format!(
                "the loss already falls at --min {min:e}: lower --min (try {:e}) to see the flat start",
                min / 100.0
            ));
        }
        if !p.divergence {
            advice.push(format!(
                "the loss did not turn up before --max {max:e}: raise --max (try {:e}) to see where training breaks down",
                max * 10.0
            ));
        }
    }
    advice
}

/// The median and interquartile range of values (linear interpolation between order statistics,
/// numpy's default). None for an empty slice.
pub fn quartiles(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = values.iter().cloned().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let pos = p * (v.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    Some((q(0.25), q(0.5), q(0.75)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp_grid(min: f64, max: f64, n: u64) -> Vec<f64> {
        (0..n)
            .map(|i| sweep_lr(SweepMode::Exp, min, max, n, i))
            .collect()
    }

    /// A smooth drop of height 2 centred at 1e-3 (steepest exactly there in log10 space).
    fn sigmoid_curve(lrs: &[f64]) -> Vec<f64> {
        lrs.iter()
            .map(|lr| {
                let x = lr.log10() + 3.0;
                1.0 + 2.0 / (1.0 + (4.0 * x).exp())
            })
            .collect()
    }

    #[test]
    fn sweep_grid_hits_both_ends() {
        assert_eq!(sweep_lr(SweepMode::Exp, 1e-6, 1.0, 91, 0), 1e-6);
        assert!((sweep_lr(SweepMode::Exp, 1e-6, 1.0, 91, 90) - 1.0).abs() < 1e-12);
        assert!((sweep_lr(SweepMode::Exp, 1e-6, 1.0, 91, 15) - 1e-5).abs() < 1e-18);
        assert_eq!(sweep_lr(SweepMode::Linear, 0.0, 1.0, 11, 5), 0.5);
        assert_eq!(sweep_lr(SweepMode::Linear, 0.1, 1.0, 11, 500), 1.0);
        assert_eq!(default_steps(1e-6, 1.0), 91);
        assert_eq!(default_steps(1e-10, 1.0), 151);
        assert_eq!(default_steps(1e-2, 1.0), 50);
        // a part decade rounds up: 6.3 decades → 95 intervals
        assert_eq!(default_steps(5e-7, 1.0), 96);
    }

    #[test]
    fn default_grids_share_their_lrs_and_batches() {
        // every whole-decade default grid is LR 10^(−k/15): the 1e-10 sweep passes through each
        // LR of the 1e-6 sweep, with the same batch key there
        let (a, b) = (default_steps(1e-6, 1.0), default_steps(1e-10, 1.0));
        let (ka, kb) = (
            sweep_first_key(SweepMode::Exp, 1e-6, 1.0, a),
            sweep_first_key(SweepMode::Exp, 1e-10, 1.0, b),
        );
        assert_eq!((ka, kb), (-90, -150));
        for i in 0..a {
            let j = i + 60;
            let (la, lb) = (
                sweep_lr(SweepMode::Exp, 1e-6, 1.0, a, i),
                sweep_lr(SweepMode::Exp, 1e-10, 1.0, b, j),
            );
            assert!((la / lb - 1.0).abs() < 1e-12, "step {i}: {la} vs {lb}");
            assert_eq!(ka + i as i64, kb + j as i64);
        }
    }

    #[test]
    fn run_in_covers_the_grid_from_its_start_to_min() {
        let from = WARMUP_FROM;
        // 1e-12 → 1e-6 at 15 per decade: 90 steps; from 1e-10: 30; the two sweeps then start
        // their optimizers at the same grid place (key −180)
        let w6 = run_in_steps(SweepMode::Exp, 1e-6, 1.0, 91, from);
        let w10 = run_in_steps(SweepMode::Exp, 1e-10, 1.0, 151, from);
        assert_eq!((w6, w10), (90, 30));
        assert_eq!(
            sweep_first_key(SweepMode::Exp, 1e-6, 1.0, 91) - w6 as i64,
            sweep_first_key(SweepMode::Exp, 1e-10, 1.0, 151) - w10 as i64
        );
        // none: linear sweeps, from 0, a --min at or below where it starts
        assert_eq!(run_in_steps(SweepMode::Linear, 1e-6, 1.0, 91, from), 0);
        assert_eq!(run_in_steps(SweepMode::Exp, 1e-6, 1.0, 91, 0.0), 0);
        assert_eq!(run_in_steps(SweepMode::Exp, 1e-12, 1.0, 181, from), 0);
        assert_eq!(run_in_steps(SweepMode::Exp, 1e-14, 1.0, 211, from), 0);
        // the grid's own spacing: 30 steps over 6 decades → 5 per decade below --min
        assert_eq!(run_in_steps(SweepMode::Exp, 1e-6, 1.0, 31, 1e-8), 10);
        // at most max(steps, 1000): a fine grid over a narrow range far above it
        assert_eq!(run_in_steps(SweepMode::Exp, 0.5, 1.0, 50, from), 1000);
        assert_eq!(run_in_steps(SweepMode::Exp, 1e-6, 1.0, 1, from), 0);
    }

    #[test]
    fn smoother_is_bias_corrected() {
        let mut s = Smoother::new(0.98);
        // a constant loss stays exactly constant after bias correction
        for _ in 0..50 {
            assert!((s.push(2.0) - 2.0).abs() < 1e-12);
        }
        let mut raw = Smoother::new(0.0);
        assert_eq!(raw.push(3.0), 3.0);
        assert_eq!(raw.push(1.0), 1.0);
    }

    #[test]
    fn divergence_rule() {
        let mut r = DivergenceRule::new(4.0);
        for l in [5.0, 1.5, 1.0, 0.8, 1.5, 3.0] {
            assert!(!r.diverged(l), "{l}");
        }
        assert!(r.diverged(3.3)); // > 4 × 0.8, still below the start
        // losses near zero: noise of 3× a tiny best is not divergence
        let mut r = DivergenceRule::new(4.0);
        for l in [2.3, 1.0, 0.01, 0.001, 0.004, 0.02] {
            assert!(!r.diverged(l), "{l}");
        }
        assert!(r.diverged(1.0));
        // negative losses (regression with an offset) still diverge
        let mut r = DivergenceRule::new(4.0);
        for l in [-1.0, -2.0, -3.0, -2.9] {
            assert!(!r.diverged(l), "{l}");
        }
        assert!(r.diverged(-2.0));
        assert!(DivergenceRule::new(4.0).diverged(f64::NAN));
        // saturating at the starting loss after a descent (Adam) counts as divergence: the start
        // is the 10th smoothed value
        let flat = [2.3; SETTLED];
        let mut r = DivergenceRule::new(4.0);
        for l in flat.into_iter().chain([2.0, 1.7, 1.8, 2.2]) {
            assert!(!r.diverged(l), "{l}");
        }
        assert!(r.diverged(2.31));
        // but a flat start that wobbles above its first value does not
        let mut r = DivergenceRule::new(4.0);
        for l in flat.into_iter().chain([2.29, 2.31, 2.32, 2.28]) {
            assert!(!r.diverged(l), "{l}");
        }
        // nor does a noisy first few steps: one low batch, then ordinary ones above the first
        // (a sine regression's sweep stopped here at its fourth step)
        let mut r = DivergenceRule::new(4.0);
        for l in [
            0.623, 0.560, 0.601, 0.625, 0.63, 0.62, 0.61, 0.62, 0.62, 0.62, 0.63,
        ] {
            assert!(!r.diverged(l), "{l}");
        }
        // a fall before the 10th step does not count towards the climb back
        let mut r = DivergenceRule::new(4.0);
        for l in [2.3, 1.5, 1.4].into_iter().chain([2.0; 7]).chain([2.05]) {
            assert!(!r.diverged(l), "{l}");
        }
    }

    #[test]
    fn steepest_finds_the_analytic_point() {
        let lrs = exp_grid(1e-6, 1.0, 121);
        let loss = sigmoid_curve(&lrs);
        let s = suggest(Method::Steepest, &lrs, &loss);
        let lr = s.lr.unwrap();
        assert!((lr.log10() + 3.0).abs() < 0.06, "steepest at {lr}");
    }

    #[test]
    fn steepest_has_no_answer_on_an_exactly_flat_curve() {
        // before the fix, rounding gave slopes of about −3e-15 here and steepest picked one
        for level in [2.3, 0.1, 1e6, -7.7] {
            for (min, max, n) in [(1e-6, 1.0, 91), (1e-7, 10.0, 100), (3e-5, 0.3, 57)] {
                let lrs = exp_grid(min, max, n);
                let flat = vec![level; n as usize];
                assert_eq!(steepest(&lrs, &flat), None, "{level} {min}..{max}");
                assert_eq!(suggest(Method::Steepest, &lrs, &flat).lr, None);
            }
        }
        // a real descent far smaller than the loss still counts
        let lrs = exp_grid(1e-6, 1.0, 91);
        let tiny: Vec<f64> = (0..91).map(|i| 2.3 - 1e-9 * i as f64).collect();
        assert!(steepest(&lrs, &tiny).is_some());
    }

    #[test]
    fn minimum_is_a_tenth_of_the_lowest_point() {
        let lrs = exp_grid(1e-5, 1.0, 60);
        // U shape with its minimum at lrs[40]
        let loss: Vec<f64> = (0..60).map(|i| ((i as f64) - 40.0).powi(2) + 1.0).collect();
        let s = suggest(Method::Minimum, &lrs, &loss);
        assert_eq!(s.index, Some(40));
        assert!((s.lr.unwrap() - lrs[40] / 10.0).abs() < 1e-15);
    }

    #[test]
    fn valley_matches_fastai_on_the_toy_curve() {
        // fastai's valley on [3,3,3,2.9,2.5,2,1.5,1.2,1.1,1.3,2,4] picks index 4 (loss 2.5)
        let loss = [3.0, 3.0, 3.0, 2.9, 2.5, 2.0, 1.5, 1.2, 1.1, 1.3, 2.0, 4.0];
        assert_eq!(valley(&loss), Some(4));
        // two-point descent: index −1 in fastai, i.e. the last point
        assert_eq!(valley(&[2.0, 1.0]), Some(1));
        // no decreasing pair
        assert_eq!(valley(&[1.0, 1.0, 2.0]), None);
    }

    #[test]
    fn slide_on_a_descent() {
        let lrs = exp_grid(1e-6, 1.0, 100);
        let loss = sigmoid_curve(&lrs);
        let s = suggest(Method::Slide, &lrs, &loss);
        let lr = s.lr.unwrap();
        // the window walks left through the flat tail and stops inside the descent
        assert!(lr > 1e-5 && lr < 1e-1, "slide gave {lr}");
    }

    #[test]
    fn degenerate_curves_do_not_panic() {
        let cases: Vec<(Vec<f64>, Vec<f64>)> = vec![
            (vec![], vec![]),
            (vec![1e-3], vec![1.0]),
            (vec![1e-3, 1e-2], vec![2.0, 1.0]),
            (vec![1e-3, 1e-2, 1e-1], vec![2.0, 1.0, 3.0]),
            (exp_grid(1e-6, 1.0, 40), vec![1.0; 40]),
            (exp_grid(1e-6, 1.0, 40), (0..40).map(|i| i as f64).collect()),
            (
                exp_grid(1e-6, 1.0, 40),
                (0..40)
                    .map(|i| if i > 30 { f64::NAN } else { -(i as f64) })
                    .collect(),
            ),
            (exp_grid(1e-6, 1.0, 40), vec![f64::NAN; 40]),
        ];
        for (lrs, loss) in &cases {
            let all = suggest_all(lrs, loss);
            assert_eq!(all.len(), 4);
            for s in &all {
                if let Some(lr) = s.lr {
                    assert!(lr.is_finite() && lr > 0.0);
                }
                if let Some(i) = s.index {
                    assert!(i < lrs.len());
                }
            }
            let _ = consensus(&all);
            let _ = still_steep_max(lrs, loss);
            let _ = phases(loss, false, 1e-6, 1.0);
        }
        // flat and increasing curves have no steepest descent
        let lrs = exp_grid(1e-6, 1.0, 40);
        assert_eq!(suggest(Method::Steepest, &lrs, &[1.0; 40]).lr, None);
        let inc: Vec<f64> = (0..40).map(|i| i as f64).collect();
        assert_eq!(suggest(Method::Steepest, &lrs, &inc).lr, None);
        assert_eq!(suggest(Method::Valley, &lrs, &inc).lr, None);
        // a NaN tail is cut: the minimum is taken before it
        let tail: Vec<f64> = (0..40)
            .map(|i| if i >= 30 { f64::NAN } else { 10.0 - i as f64 })
            .collect();
        let m = suggest(Method::Minimum, &lrs, &tail);
        assert!(m.index.unwrap() < 30);
        // negative losses work like any others
        let neg: Vec<f64> = sigmoid_curve(&lrs).iter().map(|l| l - 10.0).collect();
        assert!(suggest(Method::Steepest, &lrs, &neg).lr.is_some());
    }

    #[test]
    fn consensus_and_disagreement() {
        let mk = |lr: f64| Suggestion {
            method: Method::Valley,
            lr: Some(lr),
            index: None,
        };
        let c = consensus(&[mk(1e-3), mk(1e-2)]);
        assert!((c.lr.unwrap() - 10f64.powf(-2.5)).abs() < 1e-12);
        assert!(!c.disagree);
        let c = consensus(&[mk(1e-4), mk(1e-2), mk(1e-3)]);
        assert!(c.disagree);
        assert!((c.spread_decades.unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(consensus(&[]).lr, None);
    }

    #[test]
    fn phases_are_read_from_the_curve() {
        let lrs = exp_grid(1e-6, 1.0, 100);
        // flat, then down, then up
        let full: Vec<f64> = lrs
            .iter()
            .map(|lr| {
                let x = lr.log10();
                if x < -4.0 {
                    2.0
                } else if x < -2.0 {
                    2.0 - (x + 4.0) * 0.8
                } else {
                    0.4 + (x + 2.0) * 3.0
                }
            })
            .collect();
        let p = phases(&full, false, 1e-6, 1.0);
        assert!(p.flat_start && p.descent && p.divergence, "{p:?}");
        assert!(p.advice.is_empty());
        // no flat start: descent from the first point
        let down: Vec<f64> = (0..100).map(|i| 3.0 - i as f64 * 0.02).collect();
        let p = phases(&down, false, 1e-6, 1.0);
        assert!(p.descent && !p.flat_start && !p.divergence, "{p:?}");
        assert!(p.advice.iter().any(|a| a.contains("lower --min")));
        assert!(p.advice.iter().any(|a| a.contains("raise --max")));
        // nothing happens at all
        let p = phases(&[1.0; 100], false, 1e-6, 1.0);
        assert!(!p.descent && !p.divergence);
        // a loss that explodes without falling a tenth first (SGD from 2.3 to 1e5, no NaN)
        let blow: Vec<f64> = (0..100)
            .map(|i| {
                if i < 80 {
                    2.3 - 0.001 * i as f64
                } else {
                    10f64.powi(i - 75)
                }
            })
            .collect();
        let p = phases(&blow, false, 1e-6, 1.0);
        assert!(!p.descent && p.divergence, "{p:?}");
        // a rise of under three loss scales without a descent is noise, not divergence
        let wobble: Vec<f64> = (0..100).map(|i| 2.3 + 0.05 * (i % 7) as f64).collect();
        assert!(!phases(&wobble, false, 1e-6, 1.0).divergence);
    }

    #[test]
    fn still_steep_max_is_at_the_top_of_the_descent() {
        let lrs = exp_grid(1e-6, 1.0, 121);
        let loss = sigmoid_curve(&lrs);
        let top = still_steep_max(&lrs, &loss).unwrap();
        let steep = suggest(Method::Steepest, &lrs, &loss).lr.unwrap();
        assert!(top > steep && top < steep * 10.0, "top {top} steep {steep}");
    }

    #[test]
    fn slopes_like_numpy_on_an_uneven_grid() {
        // numpy.gradient([9., 4., 0.], [-3., -2., 0.]) -> [-5., -4., -2.]
        let xs = [1e-3, 1e-2, 1.0];
        let ys = [9.0, 4.0, 0.0];
        let got = log_slopes(&xs, &ys);
        for (g, w) in got.iter().zip([-5.0, -4.0, -2.0]) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn diverging_without_descent_advises_a_lower_min() {
        let up: Vec<f64> = (0..40).map(|i| 2.3 + i as f64 * 0.1).collect();
        let p = phases(&up, true, 0.3, 13.0);
        assert!(!p.descent);
        assert!(p.advice.iter().any(|a| a.contains("lower it")), "{p:?}");
    }

    #[test]
    fn quartiles_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) -> [1.75, 2.5, 3.25]
        assert_eq!(quartiles(&[4.0, 1.0, 3.0, 2.0]), Some((1.75, 2.5, 3.25)));
        assert_eq!(quartiles(&[]), None);
    }
    #[test]
    fn sweep_grid_ends_exactly_at_max_and_never_above() {
        // min·(max/min)^1 is one ULP above max for these ranges (e.g. 1e-5 → 100 gives
        // 100.00000000000001), and min + (max − min) can miss max too; the last step is max itself
        let ranges = [
            (1e-5, 100.0),
            (3e-7, 100.0),
            (1e-5, 3.0),
            (3e-3, 100.0),
            (1e-5, 1.0),
            (1e-6, 1.0),
            (0.1, 0.3),
            (1e-8, 10.0),
        ];
        for mode in [SweepMode::Exp, SweepMode::Linear] {
            for &(min, max) in &ranges {
                for steps in [3u64, 50, 91] {
                    let grid: Vec<f64> = (0..steps + 3)
                        .map(|i| sweep_lr(mode, min, max, steps, i))
                        .collect();
                    assert_eq!(grid[0], min, "{mode:?} {min}..{max}");
                    assert_eq!(grid[steps as usize - 1], max, "{mode:?} {min}..{max}");
                    assert!(
                        grid.windows(2).all(|w| w[0] <= w[1]),
                        "{mode:?} {min}..{max}: the grid rises"
                    );
                    assert!(
                        grid.iter().all(|&lr| lr <= max),
                        "{mode:?} {min}..{max}: nothing above max"
                    );
                }
            }
        }
        // a single step is the start
        assert_eq!(sweep_lr(SweepMode::Exp, 1e-3, 1.0, 1, 0), 1e-3);
    }

    #[test]
    fn smoother_matches_the_hand_computed_debiased_average() {
        // β = 0.5 on [4, 2, 1] (fastai AvgSmoothLoss, by hand):
        // a = 2, 2, 1.5; corrections 1 − 0.5^t = 0.5, 0.75, 0.875
        let mut s = Smoother::new(0.5);
        assert_eq!(s.push(4.0), 4.0);
        assert!((s.push(2.0) - 2.0 / 0.75).abs() < 1e-15);
        assert!((s.push(1.0) - 1.5 / 0.875).abs() < 1e-15);
        // the first smoothed value is the first loss for any β (no Lightning-style 0.5× start)
        for beta in [0.0, 0.9, 0.98, 0.999] {
            assert!(
                (Smoother::new(beta).push(7.25) - 7.25).abs() < 1e-12,
                "{beta}"
            );
        }
        // a non-finite loss poisons the average from there on (the analysis cuts there)
        let mut s = Smoother::new(0.9);
        s.push(1.0);
        assert!(s.push(f64::NAN).is_nan());
        assert!(s.push(1.0).is_nan());
    }

    #[test]
    fn the_first_key_lines_up_sweeps_that_start_lower() {
        // the default grids of 1e-6 … 1 and 1e-10 … 1: the short sweep's first batch is the one
        // the long sweep draws at the point nearest 1e-6 (within one step: the grids are 89
        // steps over 6 decades and 149 over 10)
        let (short, long) = (default_steps(1e-6, 1.0), default_steps(1e-10, 1.0));
        let k_short = sweep_first_key(SweepMode::Exp, 1e-6, 1.0, short);
        let k_long = sweep_first_key(SweepMode::Exp, 1e-10, 1.0, long);
        let near = (0..long)
            .min_by(|&a, &b| {
                let d = |i| (sweep_lr(SweepMode::Exp, 1e-10, 1.0, long, i).log10() + 6.0).abs();
                d(a).total_cmp(&d(b))
            })
            .unwrap() as i64;
        assert!(
            (k_long + near - k_short).abs() <= 1,
            "{k_long} + {near} vs {k_short}"
        );
        // both end at LR 1, at key 0
        assert_eq!(k_short + short as i64 - 1, 0);
        assert_eq!(k_long + long as i64 - 1, 0);
        // a linear sweep counts in its increments; degenerate ranges give 0
        assert_eq!(sweep_first_key(SweepMode::Linear, 0.1, 1.0, 10), 1);
        assert_eq!(sweep_first_key(SweepMode::Exp, 1e-6, 1.0, 1), 0);
    }

    #[test]
    fn analysis_window_drops_a_tenth_and_the_last_five() {
        let ones = |n: usize| vec![1.0; n];
        assert_eq!(analysis_window(&ones(100), SKIP_END), (10, 85));
        assert_eq!(analysis_window(&ones(12), SKIP_END), (1, 6));
        // too short to trim: every finite point
        assert_eq!(analysis_window(&ones(6), SKIP_END), (0, 6));
        assert_eq!(analysis_window(&[], SKIP_END), (0, 0));
        // cut at the first non-finite loss, then trimmed
        let mut l = ones(100);
        l[50] = f64::INFINITY;
        l[70] = f64::NAN;
        assert_eq!(analysis_window(&l, SKIP_END), (5, 40));
        l[0] = f64::NAN;
        assert_eq!(analysis_window(&l, SKIP_END), (0, 0));
    }

    #[test]
    fn log_slopes_on_an_even_log_grid() {
        // y = (log10 lr)² on an evenly spaced log grid: central differences are exact for a
        // quadratic (dy/dx = 2x inside), the ends are one-sided first differences
        let lrs = exp_grid(1e-4, 1.0, 9); // log10 = −4, −3.5, …, 0
        let ys: Vec<f64> = lrs.iter().map(|l| l.log10().powi(2)).collect();
        let g = log_slopes(&lrs, &ys);
        for i in 1..8 {
            let x = lrs[i].log10();
            assert!((g[i] - 2.0 * x).abs() < 1e-9, "slope at {x}: {}", g[i]);
        }
        assert!((g[0] - (ys[1] - ys[0]) / 0.5).abs() < 1e-9);
        assert!((g[8] - (ys[8] - ys[7]) / 0.5).abs() < 1e-9);
        assert!(log_slopes(&[1e-3], &[1.0])[0].is_nan());
        // a repeated LR has no slope
        assert!(log_slopes(&[1e-3, 1e-3], &[1.0, 2.0])[0].is_nan());
    }

    #[test]
    fn slide_walks_left_to_the_window_before_the_rise() {
        // flat at 1 up to index 30, then 1 + 0.02·(i − 30)²: the per-index gradient is 0 up to
        // 29, 0.01 at 30 (central difference) and 0.04·(i − 30) after. Every 15-point window
        // whose right end is at or after 30 sees end gradients differing by > 0.005; the first
        // that does not is [14, 29]. So the answer is the left end of [15, 30]: index 15.
        let loss: Vec<f64> = (0..60)
            .map(|i| 1.0 + 0.02 * (i.max(30) - 30) as f64 * (i.max(30) - 30) as f64)
            .collect();
        assert_eq!(slide(&loss), Some(15));
        // when the very first window already passes (straight line), fastai returns lrs[n − 16]
        let line: Vec<f64> = (0..60).map(|i| 3.0 - 0.01 * i as f64).collect();
        assert_eq!(slide(&line), Some(44));
        // a curve shorter than the window: the window shrinks to the curve
        assert_eq!(slide(&[3.0, 2.0, 1.0, 0.0]), Some(0));
        assert_eq!(slide(&[1.0, 2.0]), None);
    }

    #[test]
    fn valley_on_a_straight_descent() {
        // fastai: lds[end] = n, start = end − n = −1, s = n/3, idx = −1 + ⌊s⌋ + ⌊s/2⌋
        let down: Vec<f64> = (0..12).map(|i| 12.0 - i as f64).collect();
        assert_eq!(valley(&down), Some(5)); // −1 + 4 + 2
        let down: Vec<f64> = (0..30).map(|i| 30.0 - i as f64).collect();
        assert_eq!(valley(&down), Some(14)); // −1 + 10 + 5
    }

    #[test]
    fn steepest_and_minimum_through_the_window() {
        // the window's offset is added back: indices refer to the full curve
        let lrs = exp_grid(1e-6, 1.0, 100);
        let loss = sigmoid_curve(&lrs);
        let s = suggest(Method::Steepest, &lrs, &loss);
        let i = s.index.unwrap();
        assert_eq!(s.lr, Some(lrs[i]));
        // a minimum inside the dropped first tenth is not seen: the curve falls from index 10
        let mut u: Vec<f64> = (0..100).map(|i| 100.0 - i as f64).collect();
        u[3] = -5.0;
        let m = suggest(Method::Minimum, &lrs, &u);
        assert_eq!(m.index, Some(94)); // last kept point: 100 − 5 − 1
        assert_eq!(m.lr, Some(lrs[94] / 10.0));
    }

    #[test]
    fn consensus_skips_missing_answers() {
        let mk = |lr: Option<f64>| Suggestion {
            method: Method::Steepest,
            lr,
            index: None,
        };
        let c = consensus(&[mk(Some(1e-2)), mk(None), mk(Some(1e-4))]);
        assert!((c.lr.unwrap() - 1e-3).abs() < 1e-15);
        assert!((c.spread_decades.unwrap() - 2.0).abs() < 1e-12);
        assert!(c.disagree);
        let c = consensus(&[mk(None), mk(None)]);
        assert_eq!((c.lr, c.spread_decades, c.disagree), (None, None, false));
        // exactly one decade apart is not a disagreement
        let c = consensus(&[mk(Some(1e-3)), mk(Some(1e-2))]);
        assert!(!c.disagree);
    }

    #[test]
    fn phases_advice_names_the_bound_to_move() {
        // nothing happens: raise --max
        let p = phases(&[2.3; 100], false, 1e-6, 1.0);
        assert!(!p.descent && !p.flat_start && !p.divergence);
        assert_eq!(p.advice.len(), 1);
        assert!(
            p.advice[0].contains("raise --max (try 1e2)"),
            "{:?}",
            p.advice
        );
        // too few finite points
        let mut l = vec![f64::NAN; 100];
        l[0] = 2.0;
        l[1] = 1.0;
        let p = phases(&l, true, 1e-6, 1.0);
        assert!(p.divergence && !p.descent);
        assert!(
            p.advice[0].contains("only 2 finite losses"),
            "{:?}",
            p.advice
        );
    }

    #[test]
    fn still_steep_max_needs_a_descent() {
        let lrs = exp_grid(1e-6, 1.0, 60);
        assert_eq!(still_steep_max(&lrs, &[1.0; 60]), None);
        let up: Vec<f64> = (0..60).map(|i| i as f64).collect();
        assert_eq!(still_steep_max(&lrs, &up), None);
    }

    #[test]
    fn quartiles_of_one_value_and_with_nan() {
        assert_eq!(quartiles(&[2.0]), Some((2.0, 2.0, 2.0)));
        // numpy.nanpercentile([1, nan, 3], [25, 50, 75]) -> [1.5, 2, 2.5]
        assert_eq!(quartiles(&[1.0, f64::NAN, 3.0]), Some((1.5, 2.0, 2.5)));
        assert_eq!(quartiles(&[f64::NAN]), None);
    }
}

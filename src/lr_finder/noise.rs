//! Noise-aware phase diagnostics. `super::phases` compares the smoothed curve with fractions of its
//! own drop and so cannot tell a flat but noisy start from a real descent: on a small, noisy data
//! set it reports "the loss already falls at --min" from batch noise alone. These functions judge
//! the start against the noise of the *raw* losses instead.
//!
//! - Noise: the per-step standard deviation of the raw loss, estimated robustly from the median
//!   absolute deviation of first differences (a slow trend hardly changes differences; single
//!   spikes do not move a median): `σ = 1.4826 · MAD(Δloss) / √2`.
//! - The shape ([`fit_shape`]): a plateau and a straight descent fitted to the raw losses up to
//!   their lowest point; the descent counts when its slope is below −K standard errors
//!   ([`K_SIGMA`], `se` from σ) and its fitted fall is at least 5 % of the loss level.
//! - A slope test over a stretch ([`fit_line`]): least squares against log10(lr), standard error
//!   `σ / √Sxx`; a plateau is flat when its slope is within K standard errors of 0, and an
//!   `--auto-extend` below the old `--min` adds information only when its points have a slope.
//! - `K = 4`: one-sided, a Gaussian tail of 3e-5, while the descents that matter give t values in
//!   the tens.
//!
//! [`phases`] and [`stable_suggestions`] take the raw and smoothed losses each sweep already
//! records (for repeats, the median raw curve).

use super::{Consensus, Phases, Smoother, Suggestion, consensus, suggest_all};

/// Standard errors a window's slope must fall below zero to count as a descent.
pub const K_SIGMA: f64 = 4.0;

/// Robust per-step noise SD of the raw losses (finite prefix); None below 4 points.
pub fn noise_sd(raw: &[f64]) -> Option<f64> {
    let n = raw.iter().position(|l| !l.is_finite()).unwrap_or(raw.len());
    if n < 4 {
        return None;
    }
    let d: Vec<f64> = raw[..n].windows(2).map(|w| w[1] - w[0]).collect();
    let med = median(&d);
    let dev: Vec<f64> = d.iter().map(|x| (x - med).abs()).collect();
    Some(1.4826 * median(&dev) / std::f64::consts::SQRT_2)
}

pub(super) fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// A least-squares line of loss against log10(lr), with the slope's standard error from `σ`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    /// Loss per decade.
    pub slope: f64,
    pub se: f64,
    /// slope / se.
    pub t: f64,
    /// Fitted change of the loss across the window (slope × its width in decades).
    pub change: f64,
}

/// Fit `raw` against log10(`lrs`); `sigma` is the noise SD (floored at rounding of the loss).
pub fn fit_line(lrs: &[f64], raw: &[f64], sigma: f64) -> Option<LineFit> {
    let n = lrs.len().min(raw.len());
    if n < 3 {
        return None;
    }
    let x: Vec<f64> = lrs[..n].iter().map(|l| l.log10()).collect();
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = raw[..n].iter().sum::<f64>() / n as f64;
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    if sxx <= 0.0 || !sxx.is_finite() || !my.is_finite() {
        return None;
    }
    let sxy: f64 = x
        .iter()
        .zip(&raw[..n])
        .map(|(a, b)| (a - mx) * (b - my))
        .sum();
    let slope = sxy / sxx;
    let sigma = sigma.max(1e-12 * my.abs().max(1e-300));
    let se = sigma / sxx.sqrt();
    Some(LineFit {
        slope,
        se,
        t: slope / se,
        change: slope * (x[n - 1] - x[0]),
    })
}

/// Points in the test window: one decade of the sweep, at least 8.
pub fn window_len(lrs: &[f64]) -> usize {
    let steps: Vec<f64> = lrs
        .windows(2)
        .map(|w| (w[1] / w[0]).log10())
        .filter(|d| d.is_finite() && *d > 0.0)
        .collect();
    if steps.is_empty() {
        return 8;
    }
    ((1.0 / median(&steps)).round() as usize).max(8)
}

/// `--auto-extend` towards lower LRs: do the points below `previous_min` add information? No when
/// they are flat within noise (no slope beyond `K_SIGMA` standard errors either way): lowering
/// --min further would only add more of the same plateau.
pub fn extension_adds_information(lrs: &[f64], raw: &[f64], previous_min: f64) -> bool {
    let k = lrs.iter().take_while(|&&l| l < previous_min).count();
    if k < 3 {
        return true;
    }
    let Some(sigma) = noise_sd(raw) else {
        return true;
    };
    fit_line(&lrs[..k], &raw[..k], sigma).is_none_or(|f| f.t.abs() > K_SIGMA)
}

/// The shape of a range-test curve up to its lowest point, fitted to its raw losses by least
/// squares as a plateau and a straight descent against log10(lr), joined continuously:
/// `loss = c + s·(x − x1)+`, with `x = log10(lr)` and the breakpoint `x1` searched over the
/// recorded points. Unlike a window test, the fit uses every point, so a shallow descent that no
/// single decade shows beyond noise is still found, and points added at the low end of a plateau
/// only refine `c`: the breakpoint does not move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveShape {
    /// Index of the first point of the descent (0: the loss falls from the first point).
    pub descent_start: usize,
    /// Index of the curve's lowest point (of a 5-point running median of the raw losses, up to the
    /// lowest point of their moving average), where
    /// the fit ends, when points follow it.
    pub rise_start: Option<usize>,
    /// Slope of the descent, loss per decade (negative when the loss falls).
    pub slope: f64,
    /// The slope in standard errors (`slope / se`, with the noise SD of [`noise_sd`]).
    pub t: f64,
    /// Noise SD of the raw losses.
    pub sigma: f64,
    /// Fitted fall of the loss over the descent (positive when it falls).
    pub drop: f64,
    /// Finite points fitted.
    pub n: usize,
}

impl CurveShape {
    /// The descent is beyond noise: its slope below −[`K_SIGMA`] standard errors and its fitted
    /// fall at least 5 % of the loss level (so that a noise-free curve's sliver is no descent).
    pub fn falls(&self, level: f64) -> bool {
        self.t < -K_SIGMA && self.drop > 0.05 * level.abs().max(1e-12)
    }
}

/// At most this many candidate positions per breakpoint (longer curves are searched on a grid):
/// the search costs the square of it.
const MAX_CANDIDATES: usize = 160;

/// Fit [`CurveShape`] to `raw` against log10(`lrs`) over the finite prefix; None below 8 points or
/// when the noise cannot be estimated.
pub fn fit_shape(lrs: &[f64], raw: &[f64]) -> Option<CurveShape> {
    let n = raw
        .iter()
        .zip(lrs)
        .position(|(l, lr)| !(l.is_finite() && lr.is_finite() && *lr > 0.0))
        .unwrap_or(raw.len().min(lrs.len()));
    if n < 8 {
        return None;
    }
    let sigma = noise_sd(&raw[..n])?;
    // the fit ends at the lowest point of a 5-point running median (a single spike, common in
    // real range tests, neither ends it nor pulls the line): what comes after the minimum says
    // nothing about where the descent starts. The lowest point is looked for up to the lowest
    // point of the moving average (fastai's β = 0.98), which lags the raw curve and so lies past
    // its bottom but before the chaos of a divergence: there a lone low loss between spikes
    // (0.27 between 4.4 and 6.9: spirals, Adam, seed 2; a loss of 0 at the last point: wine,
    // seed 7) ended the fit, the line through the spikes read "descent NO" on a fall from 1.1
    // to 0.4, and the advice was to lower --min.
    let med5: Vec<f64> = (0..n)
        .map(|i| median(&raw[i.saturating_sub(2)..(i + 3).min(n)]))
        .collect();
    // (from the average's 10th point: its first ones hold a batch or two, and one low first loss
    // would end the search at the start)
    let mut sm = super::Smoother::new(0.98);
    let cap = raw[..n]
        .iter()
        .map(|&l| sm.push(l))
        .enumerate()
        .skip(super::SETTLED - 1)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(n - 1, |(i, _)| i);
    let bottom = med5[..=cap]
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(n - 1, |(i, _)| i);
    let rise_start = (bottom + 1 < n).then_some(bottom);
    let n_all = n;
    let n = (bottom + 1).max(8).min(n_all);
    let x: Vec<f64> = lrs[..n].iter().map(|l| l.log10()).collect();
    let mean = raw[..n].iter().sum::<f64>() / n as f64;
    let y: Vec<f64> = raw[..n].iter().map(|v| v - mean).collect();
    // suffix sums: count, Σx, Σx², Σy, Σxy from index i to the end
    let mut suf = vec![[0.0f64; 5]; n + 1];
    for i in (0..n).rev() {
        let (xi, yi) = (x[i], y[i]);
        let t = suf[i + 1];
        suf[i] = [
            t[0] + 1.0,
            t[1] + xi,
            t[2] + xi * xi,
            t[3] + yi,
            t[4] + xi * yi,
        ];
    }
    let syy: f64 = y.iter().map(|v| v * v).sum();
    // Σ(x − a)·(x − b) and Σ(x − a)·y over i.. (the hinge columns past their knot)
    let hh = |i: usize, a: f64, b: f64| {
        let s = suf[i];
        s[2] - (a + b) * s[1] + a * b * s[0]
    };
    let h = |i: usize, a: f64| suf[i][1] - a * suf[i][0];
    let hy = |i: usize, a: f64| suf[i][4] - a * suf[i][3];
    let stride = n.div_ceil(MAX_CANDIDATES).max(1);
    // (sse, descent start, rise start, coefficients, normal matrix)
    type Fit = (f64, usize, Option<usize>, Vec<f64>, Vec<Vec<f64>>);
    let mut best: Option<Fit> = None;
    for i1 in (0..n - 2).step_by(stride) {
        let x1 = x[i1];
        // plateau and descent only: the fit stops at the bottom
        let rises = std::iter::once(None::<usize>);
        for i2 in rises {
            let (g, b) = match i2 {
                None => (
                    vec![vec![n as f64, h(i1, x1)], vec![h(i1, x1), hh(i1, x1, x1)]],
                    vec![0.0, hy(i1, x1)],
                ),
                Some(i2) => {
                    let x2 = x[i2];
                    (
                        vec![
                            vec![n as f64, h(i1, x1), h(i2, x2)],
                            vec![h(i1, x1), hh(i1, x1, x1), hh(i2, x1, x2)],
                            vec![h(i2, x2), hh(i2, x1, x2), hh(i2, x2, x2)],
                        ],
                        vec![0.0, hy(i1, x1), hy(i2, x2)],
                    )
                }
            };
            let Some(beta) = solve(&g, &b) else {
                continue;
            };
            let sse = syy - beta.iter().zip(&b).map(|(p, q)| p * q).sum::<f64>();
            if best.as_ref().is_none_or(|bst| sse < bst.0) {
                best = Some((sse, i1, i2, beta, g));
            }
        }
    }
    let (_, i1, i2, beta, g) = best?;
    let mut e1 = vec![0.0; g.len()];
    e1[1] = 1.0;
    let var = solve(&g, &e1)?[1];
    let se = sigma.max(1e-12 * mean.abs().max(1e-300)) * var.max(0.0).sqrt();
    let slope = beta[1];
    debug_assert!(i2.is_none());
    let end = n - 1;
    Some(CurveShape {
        descent_start: i1,
        rise_start,
        slope,
        t: slope / se,
        sigma,
        drop: -slope * (x[end] - x[i1]),
        n: n_all,
    })
}

/// Solve the small symmetric system `g·β = b` by Gaussian elimination with partial pivoting; None
/// when it is singular.
fn solve(g: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let k = b.len();
    let mut m: Vec<Vec<f64>> = g
        .iter()
        .zip(b)
        .map(|(row, v)| {
            let mut r = row.clone();
            r.push(*v);
            r
        })
        .collect();
    let scale = g.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
        if m[p][c].abs() <= 1e-12 * scale {
            return None;
        }
        m.swap(c, p);
        for r in c + 1..k {
            let f = m[r][c] / m[c][c];
            let (top, rest) = m.split_at_mut(r);
            for (x, y) in rest[0][c..=k].iter_mut().zip(&top[c][c..=k]) {
                *x -= f * y;
            }
        }
    }
    let mut out = vec![0.0; k];
    for c in (0..k).rev() {
        let s: f64 = (c + 1..k).map(|j| m[c][j] * out[j]).sum();
        out[c] = (m[c][k] - s) / m[c][c];
    }
    Some(out)
}

/// The noise-aware phases: whether the curve falls beyond noise ([`CurveShape::falls`]), and
/// whether its start is flat — the descent begins at least one window (a decade of points) after
/// the first point, and the points before it show no slope beyond [`K_SIGMA`] standard errors.
/// The divergence judgment and the advice are [`super::phases`]'s. Falls back to
/// [`super::phases`] when the curve is too short to fit.
pub fn phases(
    lrs: &[f64],
    raw: &[f64],
    smooth: &[f64],
    stopped_by_divergence: bool,
    min: f64,
    max: f64,
) -> Phases {
    let mut p = super::phases(smooth, stopped_by_divergence, min, max);
    let Some(shape) = fit_shape(lrs, raw) else {
        return p;
    };
    // the loss level: the median of the first decade of points
    let level = median(&raw[..window_len(&lrs[..shape.n]).min(shape.n)]).abs();
    p.descent = shape.falls(level);
    let w = window_len(&lrs[..shape.n]);
    let start = shape.descent_start;
    // flat: the descent starts a window or more after the first point, and the points up to a
    // window before it (where a curved descent has not begun to bend) show no slope beyond noise
    p.flat_start = p.descent
        && start >= w
        && fit_line(
            &lrs[..(start - w).max(3)],
            &raw[..(start - w).max(3)],
            shape.sigma,
        )
        .is_none_or(|f| f.t.abs() <= K_SIGMA);
    // the loss ended above where it started, beyond noise (medians of the first decade and of
    // the last few points): worse than untrained, which is divergence with or without a descent
    // (Adam saturates there instead of exploding, and on a weak signal never falls by the tenth
    // the smoothed-curve rule asks)
    let n = shape.n;
    let head = w.min(n).max(3).min(n);
    let tail = (n / 4).clamp(1, 5);
    let se = 1.25 * shape.sigma * (1.0 / head as f64 + 1.0 / tail as f64).sqrt();
    p.divergence |= median(&raw[n - tail..n]) - median(&raw[..head]) > K_SIGMA * se;
    if !p.descent {
        // no fall beyond noise, flat at --min, and a rise at the end: no LR of the range helped,
        // and neither a lower --min (more plateau) nor a higher --max would (issue 15: a 600-row
        // noisy CSV sent --auto-extend down to 1e-14 after batch noise)
        let flat_at_min =
            fit_line(&lrs[..head], &raw[..head], shape.sigma).is_none_or(|f| f.t.abs() <= K_SIGMA);
        p.no_signal = p.divergence && flat_at_min;
    }
    p.advice = super::advice(&p, min, max);
    p
}

/// Suggestions read only from one window before the fitted start of the descent, so that
/// points added at the low end of a flat region do not move them.
#[derive(Debug, Clone, PartialEq)]
pub struct StableAnalysis {
    /// First index of the curve analysed.
    pub from: usize,
    /// The methods' answers; indices refer to the full curve.
    pub suggestions: Vec<Suggestion>,
    pub consensus: Consensus,
}

/// `suggest_all` and `consensus` on the curve from one window before the descent of
/// [`fit_shape`] (the whole curve when no shape can be fitted). The smoothed curve analysed is
/// made again from the raw losses from that point on (with the sweep's `beta`), so that nothing
/// before it — the moving average's memory of the plateau, or how early its bias correction
/// started — reaches the answers: a range that starts lower only adds points that are not read.
/// From the first point too: find-lr's recorded average goes on from the run-in below `--min`,
/// and `suggest`, which sees only the recorded rows, must read the same curve.
pub fn stable_suggestions(lrs: &[f64], raw: &[f64], smooth: &[f64], beta: f64) -> StableAnalysis {
    let n = lrs.len().min(smooth.len()).min(raw.len());
    let from = fit_shape(lrs, raw)
        .map(|s| s.descent_start.saturating_sub(window_len(&lrs[..s.n])))
        .unwrap_or(0)
        .min(n);
    let resmoothed: Vec<f64>;
    let curve = if beta == 0.0 {
        &smooth[from..n]
    } else {
        let mut sm = Smoother::new(beta);
        resmoothed = raw[from..n].iter().map(|&l| sm.push(l)).collect();
        &resmoothed[..]
    };
    let mut suggestions = suggest_all(&lrs[from..n], curve);
    for s in &mut suggestions {
        s.index = s.index.map(|i| i + from);
    }
    let consensus = consensus(&suggestions);
    StableAnalysis {
        from,
        suggestions,
        consensus,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SweepMode, sweep_lr};
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    /// Flat at 2.3 up to 1e-4, descent to 0.5 by 1e-2, then a rise; plus Gaussian noise.
    fn curve(
        min: f64,
        max: f64,
        per_decade: u64,
        sd: f64,
        seed: u64,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        curve_smoothed(min, max, per_decade, sd, seed, 0.9)
    }

    fn curve_smoothed(
        min: f64,
        max: f64,
        per_decade: u64,
        sd: f64,
        seed: u64,
        beta: f64,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let v = Vee {
            level: 2.3,
            start: -4.0,
            slope: 0.9,
            bottom: -2.0,
            floor: 0.5,
            rise: 2.0,
        };
        v.sample(min, max, per_decade, sd, seed, beta)
    }

    /// A range-test curve against x = log10(lr): flat at `level` below `start`, falling by `slope`
    /// per decade to `bottom`, then rising from `floor` by `rise` per decade.
    struct Vee {
        level: f64,
        start: f64,
        slope: f64,
        bottom: f64,
        floor: f64,
        rise: f64,
    }

    impl Vee {
        /// The curve on an exp grid plus Gaussian noise, and its smoothing with `beta`.
        fn sample(
            &self,
            min: f64,
            max: f64,
            per_decade: u64,
            sd: f64,
            seed: u64,
            beta: f64,
        ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
            let n = ((max / min).log10() * per_decade as f64).round() as u64 + 1;
            let lrs: Vec<f64> = (0..n)
                .map(|i| sweep_lr(SweepMode::Exp, min, max, n, i))
                .collect();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let noise = Normal::new(0.0, sd).unwrap();
            // noise drawn from the top of the range down, so two ranges ending at the same --max
            // share the noise of the points they share (only the range differs, not the luck)
            let mut raw: Vec<f64> = lrs
                .iter()
                .rev()
                .map(|lr| {
                    let x = lr.log10();
                    let base = if x < self.start {
                        self.level
                    } else if x < self.bottom {
                        self.level - self.slope * (x - self.start)
                    } else {
                        self.floor + self.rise * (x - self.bottom)
                    };
                    base + noise.sample(&mut rng)
                })
                .collect();
            raw.reverse();
            let mut sm = Smoother::new(beta);
            let smooth = raw.iter().map(|&l| sm.push(l)).collect();
            (lrs, raw, smooth)
        }
    }

    #[test]
    fn a_flat_noisy_start_reads_flat() {
        for seed in 0..20 {
            let (lrs, raw, smooth) = curve(1e-8, 1.0, 15, 0.15, seed);
            let p = phases(&lrs, &raw, &smooth, false, 1e-8, 1.0);
            assert!(p.flat_start, "seed {seed}");
            let d = fit_shape(&lrs, &raw).unwrap().descent_start;
            assert!(lrs[d] > 1e-5 && lrs[d] < 1e-3, "seed {seed}: {}", lrs[d]);
            // the old rule sees the noise as a descent at --min for some seeds; ours never does
            let sigma = noise_sd(&raw).unwrap();
            assert!((sigma - 0.15).abs() < 0.05, "{sigma}");
        }
    }

    #[test]
    fn a_descent_from_the_first_point_reads_as_falling() {
        for seed in 0..20 {
            // from 10^-3.5: inside the descent (−0.9 per decade)
            let (lrs, raw, smooth) = curve(10f64.powf(-3.5), 1.0, 15, 0.1, seed);
            let d = fit_shape(&lrs, &raw).unwrap().descent_start;
            assert!(d < window_len(&lrs), "seed {seed}: {d}");
            let p = phases(&lrs, &raw, &smooth, false, 10f64.powf(-3.5), 1.0);
            assert!(p.descent && !p.flat_start, "seed {seed}");
        }
    }

    #[test]
    fn extending_into_a_flat_region_adds_nothing() {
        let (lrs, raw, _) = curve(1e-8, 1.0, 15, 0.15, 7);
        // points below 1e-5: plateau only
        assert!(!extension_adds_information(&lrs, &raw, 1e-5));
        // points below 1e-3 include the start of the descent
        assert!(extension_adds_information(&lrs, &raw, 1e-3));
    }

    #[test]
    fn consensus_is_stable_when_the_range_grows_past_the_plateau() {
        let mut failed = Vec::new();
        for (sd, beta) in [
            (0.05, 0.9),
            (0.1, 0.9),
            (0.2, 0.9),
            (0.05, 0.98),
            (0.1, 0.98),
            (0.2, 0.98),
        ] {
            for seed in 0..20 {
                let (l6, r6, s6) = curve_smoothed(1e-6, 1.0, 15, sd, 100 + seed, beta);
                let (l10, r10, s10) = curve_smoothed(1e-10, 1.0, 15, sd, 100 + seed, beta);
                let sa = stable_suggestions(&l6, &r6, &s6, beta);
                let sb = stable_suggestions(&l10, &r10, &s10, beta);
                let (a, b) = (sa.consensus.lr.unwrap(), sb.consensus.lr.unwrap());
                let moved = (a.log10() - b.log10()).abs();
                if moved >= 0.15 {
                    failed.push(format!(
                        "sd {sd} β {beta} seed {seed}: {a:.3e} vs {b:.3e} ({moved:.2} decades), from {:.2e} vs {:.2e}: {:?} vs {:?}",
                        l6[sa.from],
                        l10[sb.from],
                        sa.suggestions.iter().map(|s| s.lr).collect::<Vec<_>>(),
                        sb.suggestions.iter().map(|s| s.lr).collect::<Vec<_>>()
                    ));
                }
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }

    /// fastai's smoothing (β 0.98, bias-corrected) of raw losses.
    fn smoothed(raw: &[f64]) -> Vec<f64> {
        let mut sm = Smoother::new(0.98);
        raw.iter().map(|&l| sm.push(l)).collect()
    }

    /// Shallow: flat at 0.69 up to 1e-3, −0.2 per decade to 10^−1.5, then a rise (a small, noisy
    /// binary problem: no single decade falls beyond noise, the whole curve does).
    fn shallow(min: f64, sd: f64, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let v = Vee {
            level: 0.69,
            start: -3.0,
            slope: 0.2,
            bottom: -1.5,
            floor: 0.39,
            rise: 1.5,
        };
        v.sample(min, 1.0, 15, sd, seed, 0.98)
    }

    #[test]
    fn the_fitted_shape_finds_the_breakpoints() {
        for seed in 0..10 {
            let (lrs, raw, _) = curve(1e-8, 1.0, 15, 0.1, seed);
            let s = fit_shape(&lrs, &raw).unwrap();
            let at = |i: usize| lrs[i].log10();
            assert!(
                (at(s.descent_start) + 4.0).abs() < 0.25,
                "seed {seed}: {s:?}"
            );
            assert!(
                (at(s.rise_start.unwrap()) + 2.0).abs() < 0.5,
                "seed {seed}: {s:?}"
            );
            assert!((s.slope + 0.9).abs() < 0.1, "seed {seed}: {s:?}");
            assert!(s.t < -20.0 && s.falls(2.3), "seed {seed}: {s:?}");
            // a shallow descent no single window sees beyond noise
            let (lrs, raw, smooth) = shallow(1e-8, 0.1, seed);
            let s = fit_shape(&lrs, &raw).unwrap();
            // (the shallow descent's start is uncertain: within a decade)
            assert!(
                (lrs[s.descent_start].log10() + 3.0).abs() < 1.0,
                "seed {seed}: {s:?}"
            );
            assert!(s.falls(0.69), "seed {seed}: {s:?}");
            let p = phases(&lrs, &raw, &smooth, false, 1e-8, 1.0);
            assert!(p.descent && p.flat_start, "seed {seed}: {p:?}");
        }
        // exactly flat: no descent, and no fit problem
        let lrs: Vec<f64> = (0..60)
            .map(|i| 1e-6 * 10f64.powf(i as f64 / 10.0))
            .collect();
        let flat = vec![1.0; 60];
        assert!(fit_shape(&lrs, &flat).is_none_or(|s| !s.falls(1.0)));
        assert!(!phases(&lrs, &flat, &flat, false, 1e-6, 1.0).descent);
    }

    #[test]
    fn lone_low_losses_among_the_divergence_spikes_do_not_end_the_descent() {
        // spirals, Adam, seed 2: flat at 1.12 to 1e-4, down to 0.35 by 8e-2, then the
        // divergence: spikes of 3-7 with a lone 0.27 and a 0 among them. The 5-point running
        // median's lowest point fell among the spikes, the fit ran through them, and the curve
        // read "descent NO" and "lower --min"
        let v = Vee {
            level: 1.12,
            start: -4.0,
            slope: 0.27,
            bottom: -1.1,
            floor: 0.35,
            rise: 0.0,
        };
        for seed in 0..5 {
            let (lrs, mut raw, _) = v.sample(1e-6, 0.5, 15, 0.03, seed, 0.0);
            let n = raw.len();
            let tail = [2.75, 4.39, 0.27, 0.67, 6.9, 0.0, 4.4, 0.27];
            raw[n - tail.len()..].copy_from_slice(&tail);
            let smooth = smoothed(&raw);
            let s = fit_shape(&lrs, &raw).unwrap();
            assert!(
                s.rise_start.unwrap() < n - tail.len(),
                "seed {seed}: the bottom among the spikes: {s:?}"
            );
            assert!(s.falls(1.12), "seed {seed}: {s:?}");
            let p = phases(&lrs, &raw, &smooth, true, 1e-6, 0.5);
            assert!(
                p.flat_start && p.descent && p.divergence,
                "seed {seed}: {p:?}"
            );
            assert!(!p.advice.iter().any(|a| a.contains("lower")), "{p:?}");
        }
    }

    #[test]
    fn pure_noise_has_no_descent_and_a_falling_start_is_not_flat() {
        let lrs: Vec<f64> = (0..150)
            .map(|i| 1e-8 * 10f64.powf(i as f64 / 15.0))
            .collect();
        let normal = Normal::new(0.0, 0.2).unwrap();
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let raw: Vec<f64> = (0..150).map(|_| 1.0 + normal.sample(&mut rng)).collect();
            let mut sm = Smoother::new(0.98);
            let smooth: Vec<f64> = raw.iter().map(|&l| sm.push(l)).collect();
            let p = phases(&lrs, &raw, &smooth, false, 1e-8, 1.0);
            assert!(!p.descent && !p.flat_start, "seed {seed}: {p:?}");
        }
        for seed in 0..10 {
            let (lrs, raw, smooth) = curve(10f64.powf(-3.5), 1.0, 15, 0.1, seed);
            let p = phases(&lrs, &raw, &smooth, false, 10f64.powf(-3.5), 1.0);
            assert!(p.descent && !p.flat_start, "seed {seed}: {p:?}");
            assert!(p.advice.iter().any(|a| a.contains("lower --min")));
        }
    }

    #[test]
    fn a_flat_noisy_curve_that_rises_at_the_end_has_no_signal() {
        // a weak-signal CSV under Adam: batch noise (SD 0.02) around 0.69 until the LR is high
        // enough to make the network worse than untrained (0.79, no explosion). No LR helped: no
        // descent, a divergence, and no advice to lower --min (which would only add plateau)
        let lrs: Vec<f64> = (0..91)
            .map(|i| 1e-6 * 10f64.powf(i as f64 / 15.0))
            .collect();
        let normal = Normal::new(0.0, 0.02).unwrap();
        for seed in 0..10 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let raw: Vec<f64> = lrs
                .iter()
                .map(|lr| {
                    let rise = if *lr > 0.1 { 0.1 } else { 0.0 };
                    0.69 + rise + normal.sample(&mut rng)
                })
                .collect();
            let smooth = smoothed(&raw);
            let p = phases(&lrs, &raw, &smooth, false, 1e-6, 1.0);
            assert!(
                !p.descent && p.divergence && p.no_signal,
                "seed {seed}: {p:?}"
            );
            assert!(!p.advice.iter().any(|a| a.contains("lower --min")), "{p:?}");
            assert!(p.advice.iter().any(|a| a.contains("batch-size")), "{p:?}");
            // without the rise: no divergence, no verdict, and the advice to look higher
            let flat: Vec<f64> = raw
                .iter()
                .zip(&lrs)
                .map(|(r, lr)| if *lr > 0.1 { r - 0.1 } else { *r })
                .collect();
            let smooth = smoothed(&flat);
            let p = phases(&lrs, &flat, &smooth, false, 1e-6, 1.0);
            assert!(
                !p.descent && !p.divergence && !p.no_signal,
                "seed {seed}: {p:?}"
            );
            assert!(p.advice.iter().any(|a| a.contains("raise --max")), "{p:?}");
        }
    }

    #[test]
    fn a_descent_that_ends_above_its_start_has_diverged() {
        // flat at 0.69, a shallow fall to 0.62, then Adam saturating at 0.80 without exploding
        // and without the smoothed curve falling by a tenth first
        let lrs: Vec<f64> = (0..91)
            .map(|i| 1e-6 * 10f64.powf(i as f64 / 15.0))
            .collect();
        let normal = Normal::new(0.0, 0.01).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let raw: Vec<f64> = lrs
            .iter()
            .map(|lr| {
                let x = lr.log10();
                let base = if x < -3.0 {
                    0.69
                } else if x < -1.5 {
                    0.69 - 0.047 * (x + 3.0)
                } else {
                    0.80
                };
                base + normal.sample(&mut rng)
            })
            .collect();
        let smooth = smoothed(&raw);
        assert!(!super::super::phases(&smooth, false, 1e-6, 1.0).divergence);
        let p = phases(&lrs, &raw, &smooth, false, 1e-6, 1.0);
        assert!(
            p.flat_start && p.descent && p.divergence && !p.no_signal,
            "{p:?}"
        );
    }

    #[test]
    fn a_shallow_noisy_curve_keeps_its_consensus_when_the_range_grows() {
        for seed in 0..10 {
            let (l6, r6, s6) = shallow(1e-6, 0.1, 200 + seed);
            let (l10, r10, s10) = shallow(1e-10, 0.1, 200 + seed);
            let sa = stable_suggestions(&l6, &r6, &s6, 0.98);
            let sb = stable_suggestions(&l10, &r10, &s10, 0.98);
            let (a, b) = (sa.consensus.lr.unwrap(), sb.consensus.lr.unwrap());
            let moved = (a.log10() - b.log10()).abs();
            assert!(
                moved < 0.15,
                "seed {seed}: {a} vs {b} ({moved} decades)\n{sa:?}\n{sb:?}\n{:e} {:e}",
                l6[sa.from],
                l10[sb.from]
            );
        }
    }
}

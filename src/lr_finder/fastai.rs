//! fastai 2.8's four LR suggestions (`valley`, `slide`, `minimum`, `steep` in
//! `fastai/callback/schedule.py`) reproduced exactly, including the preprocessing done by
//! `Learner.lr_find`, so that a curve recorded by lrtool (or by fastai itself) can be read the way
//! fastai would read it.
//!
//! What fastai does, read from its source (written here in our own words):
//! - `lr_find` slices the recorder's lists as `[num_it // 10 : -5]`, where `num_it` is the number
//!   of iterations *requested* (default 100), not the number recorded: a sweep that stopped early
//!   still loses `num_it // 10` points at the start, and the end loses 5 of what was recorded.
//! - Both slices become torch tensors. The LRs are Python floats and the recorded losses are
//!   float32, so both tensors are float32; every method computes in float32 from there on.
//! - Only then the NaN rule: if any loss is NaN, both tensors are cut at the first NaN. An
//!   infinite loss is kept (and a loss beyond float32's range has already become infinite).
//! - Each method gets the same `(lrs, losses)` tensors. Where its code would raise (an empty
//!   tensor, a window longer than the curve), [`FastaiPick::NotEnoughPoints`] says so.
//!
//! How this differs from lrtool's own methods (`super::suggest`), point by point:
//! - lrtool cuts at the first non-finite loss (NaN *or* infinite) *before* trimming, and trims a
//!   tenth of the points it kept, not of the points requested; a curve too short to trim is used
//!   whole. fastai trims first, cuts at NaN only, and raises on short curves.
//! - lrtool computes in f64; fastai in float32 (two losses equal in float32 are equal to valley).
//! - lrtool's `steepest` is the point of the most negative central-difference slope against
//!   log10(lr) and has no answer without a descent; fastai's `steep` is the *left* point of the
//!   most negative forward difference against ln(lr), and answers on any curve of two points
//!   (on a rising curve, the least rising segment).
//! - lrtool's `valley` has no answer when no loss is below an earlier one; fastai's returns the
//!   first point kept.
//! - lrtool's `slide` shrinks its 15-point window on short curves; fastai's raises below 16 points.
//! - `minimum` is the same rule in both (LR at the lowest loss, divided by 10 in double precision).
//!
//! Not reproduced: the plot markers' y values (slide's is interpolated in log10 LR). Ties in
//! `steep` may in rare cases resolve differently, because torch's float32 `log` can differ from
//! Rust's `f32::ln` in the last bit.

use serde::Serialize;

/// fastai's default `num_it` for `lr_find`.
pub const FASTAI_NUM_IT: usize = 100;
/// Points `lr_find` drops at the end of the recorded curve.
pub const FASTAI_SKIP_END: usize = 5;
/// `slide`'s window (`lr_diff`) and threshold (`thresh`, in loss per index step).
pub const SLIDE_LR_DIFF: usize = 15;
pub const SLIDE_THRESH: f32 = 0.005;

/// One fastai method's answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum FastaiPick {
    /// The LR fastai returns (a float32 LR widened to f64; for `minimum`, that divided by 10) and
    /// the index, into the recorded curve, of the point it was taken from.
    Lr { lr: f64, index: usize },
    /// fastai would raise here: the method needs `needed` points and `kept` remained after the
    /// trimming and the NaN cut.
    NotEnoughPoints { kept: usize, needed: usize },
}

impl FastaiPick {
    pub fn lr(&self) -> Option<f64> {
        match self {
            FastaiPick::Lr { lr, .. } => Some(*lr),
            FastaiPick::NotEnoughPoints { .. } => None,
        }
    }

    pub fn index(&self) -> Option<usize> {
        match self {
            FastaiPick::Lr { index, .. } => Some(*index),
            FastaiPick::NotEnoughPoints { .. } => None,
        }
    }
}

/// The four answers, and the part of the recorded curve they were computed on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FastaiSuggestions {
    /// Index into the recorded curve of the first point kept (`num_it / 10`).
    pub start: usize,
    /// Points kept after the trimming and the NaN cut.
    pub kept: usize,
    pub valley: FastaiPick,
    pub slide: FastaiPick,
    pub minimum: FastaiPick,
    pub steep: FastaiPick,
}

/// `lr_find`'s preprocessing on a recorded curve of `n` points: `[num_it/10 .. n−5]` (empty when
/// that is), then cut at the first NaN of the float32 losses. Returns the first kept index and the
/// kept length.
pub fn fastai_window(losses: &[f64], num_it: usize) -> (usize, usize) {
    let start = num_it / 10;
    let end = losses.len().saturating_sub(FASTAI_SKIP_END);
    let len = end.saturating_sub(start);
    if len == 0 {
        return (start.min(losses.len()), 0);
    }
    let len = losses[start..end]
        .iter()
        .position(|&l| (l as f32).is_nan())
        .unwrap_or(len);
    (start, len)
}

/// All four of fastai 2.8's suggestions on a recorded curve, as `Learner.lr_find(num_it=num_it,
/// suggest_funcs=(valley, slide, minimum, steep))` would compute them. `lrs` and `losses` are the
/// points as fastai's Recorder keeps them (its losses are already its smoothed losses); `num_it`
/// is the number of iterations the sweep was asked for. Curves of unequal length are read up to
/// the shorter one.
pub fn suggest_like_fastai(lrs: &[f64], losses: &[f64], num_it: usize) -> FastaiSuggestions {
    let n = lrs.len().min(losses.len());
    let (start, kept) = fastai_window(&losses[..n], num_it);
    let lrs32: Vec<f32> = lrs[start..start + kept].iter().map(|&x| x as f32).collect();
    let loss32: Vec<f32> = losses[start..start + kept]
        .iter()
        .map(|&x| x as f32)
        .collect();
    let pick = |found: Result<usize, usize>, scale: f64| match found {
        Ok(i) => FastaiPick::Lr {
            lr: lrs32[i] as f64 / scale,
            index: start + i,
        },
        Err(needed) => FastaiPick::NotEnoughPoints { kept, needed },
    };
    FastaiSuggestions {
        start,
        kept,
        valley: pick(valley_index(&loss32), 1.0),
        slide: pick(slide_index(&loss32), 1.0),
        minimum: pick(minimum_index(&loss32), 10.0),
        steep: pick(steep_index(&lrs32, &loss32), 1.0),
    }
}

/// torch's `argmin` on a float32 tensor: the first NaN if there is one, else the first of the
/// smallest values; None on an empty tensor (where torch raises).
fn torch_argmin(xs: &[f32]) -> Option<usize> {
    if let Some(i) = xs.iter().position(|x| x.is_nan()) {
        return Some(i);
    }
    let mut best: Option<usize> = None;
    for (i, &x) in xs.iter().enumerate() {
        if best.is_none_or(|b| x < xs[b]) {
            best = Some(i);
        }
    }
    best
}

/// fastai's `valley` on the kept float32 losses: the index it reads `lrs` at, or the points it
/// needs (an empty tensor has no index 0).
///
/// `lds[i]` is the length of the longest strictly decreasing subsequence ending at `i`; the
/// subsequence is then treated as contiguous: `max_end` is the first index with the largest
/// length and `max_start = max_end − lds[max_end]`, one *before* where a contiguous run of that
/// length would begin. With `s = (max_end − max_start)/3` the index is
/// `max_start + int(s) + int(s/2)`. A two-point descent ending at index 1 gives −1, which Python
/// reads as the last point; a curve that never falls gives 0.
pub fn valley_index(losses: &[f32]) -> Result<usize, usize> {
    let n = losses.len();
    if n == 0 {
        return Err(1);
    }
    let mut lds = vec![1usize; n];
    let (mut max_start, mut max_end) = (0isize, 0usize);
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
    let sections = (max_end as isize - max_start) as f64 / 3.0;
    // both terms are ≥ 0, so Python's int() (toward zero) is the floor
    let idx = max_start + sections as isize + (sections / 2.0) as isize;
    // Python's negative index: only −1 can occur (a two-point run ending at index 1)
    Ok(if idx < 0 {
        (n as isize + idx) as usize
    } else {
        idx as usize
    })
}

/// `numpy.gradient` of float32 values with unit spacing, in float32: one-sided differences at the
/// ends, `(f[i+1] − f[i−1]) / 2` inside. numpy raises below 2 points.
fn np_gradient_f32(f: &[f32]) -> Vec<f32> {
    let n = f.len();
    (0..n)
        .map(|i| {
            if i == 0 {
                f[1] - f[0]
            } else if i == n - 1 {
                f[n - 1] - f[n - 2]
            } else {
                (f[i + 1] - f[i - 1]) / 2.0
            }
        })
        .collect()
}

/// fastai's `slide` (`lr_diff = 15`, `thresh = 0.005`, `adjust_value = 1`) on the kept float32
/// losses: the index it reads `lrs` at, or the 16 points it needs (`lrs[-16]` raises below that).
///
/// The gradient is `numpy.gradient` over the index (not over the LR). A window from `l = n−16` to
/// `r = n−1` moves left one point at a time while `l` is inside the curve and
/// `|grad[r] − grad[l]| > thresh`; the answer is the last `l` for which the test passed, or
/// `n − 16` when the first window already fails it. A NaN gradient (from an infinite loss) ends
/// the walk.
pub fn slide_index(losses: &[f32]) -> Result<usize, usize> {
    let n = losses.len();
    if n < SLIDE_LR_DIFF + 1 {
        return Err(SLIDE_LR_DIFF + 1);
    }
    let grad = np_gradient_f32(losses);
    let mut r = n - 1;
    let mut l = r - SLIDE_LR_DIFF;
    let mut found = l;
    loop {
        if (grad[r] - grad[l]).abs() <= SLIDE_THRESH || (grad[r] - grad[l]).is_nan() {
            break;
        }
        found = l;
        if l == 0 {
            break;
        }
        l -= 1;
        r -= 1;
    }
    Ok(found)
}

/// fastai's `minimum` on the kept float32 losses: the index of the lowest loss (the first of
/// equal ones; torch's `argmin` raises on an empty tensor). The LR returned is that point's LR
/// divided by 10, in double precision (`lrs[i].item() / 10`).
pub fn minimum_index(losses: &[f32]) -> Result<usize, usize> {
    torch_argmin(losses).ok_or(1)
}

/// fastai's `steep` on the kept float32 LRs and losses: with
/// `g[k] = (loss[k+1] − loss[k]) / (ln lr[k+1] − ln lr[k])` in float32, the index `argmin g`,
/// i.e. the *left* point of the steepest segment (torch's `argmin`: the first NaN wins, then the
/// first of equal values). Below 2 points `g` is empty and torch raises.
pub fn steep_index(lrs: &[f32], losses: &[f32]) -> Result<usize, usize> {
    let n = lrs.len().min(losses.len());
    if n < 2 {
        return Err(2);
    }
    let g: Vec<f32> = (0..n - 1)
        .map(|k| (losses[k + 1] - losses[k]) / (lrs[k + 1].ln() - lrs[k].ln()))
        .collect();
    torch_argmin(&g).ok_or(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fastai's sweep grid (`start·(end/start)^(i/num_it)`, Python floats).
    fn fastai_lrs(start: f64, end: f64, num_it: usize) -> Vec<f64> {
        (0..num_it)
            .map(|i| start * (end / start).powf(i as f64 / num_it as f64))
            .collect()
    }

    fn lr_at(lrs: &[f64], i: usize) -> f64 {
        lrs[i] as f32 as f64
    }

    #[test]
    fn window_trims_by_requested_iterations_then_cuts_at_nan() {
        let ones = |n: usize| vec![1.0; n];
        assert_eq!(fastai_window(&ones(100), 100), (10, 85));
        // stopped early: still num_it/10 at the start, 5 off what was recorded
        assert_eq!(fastai_window(&ones(60), 100), (10, 45));
        assert_eq!(fastai_window(&ones(60), 300), (30, 25));
        // too short: empty, as Python's slice
        assert_eq!(fastai_window(&ones(15), 100).1, 0);
        assert_eq!(fastai_window(&ones(3), 100).1, 0);
        assert_eq!(fastai_window(&ones(3), 5), (0, 0));
        // num_it below 10 drops nothing at the start
        assert_eq!(fastai_window(&ones(12), 9), (0, 7));
        // NaN in the dropped head does not matter; the first NaN after it cuts
        let mut l = ones(100);
        l[3] = f64::NAN;
        assert_eq!(fastai_window(&l, 100), (10, 85));
        l[40] = f64::INFINITY;
        l[50] = f64::NAN;
        l[70] = f64::NAN;
        assert_eq!(fastai_window(&l, 100), (10, 40));
        // a NaN in the dropped tail does not matter either
        let mut l = ones(100);
        l[97] = f64::NAN;
        assert_eq!(fastai_window(&l, 100), (10, 85));
    }

    #[test]
    fn monotone_descent() {
        let lrs = fastai_lrs(1e-7, 10.0, 100);
        let losses: Vec<f64> = (0..100).map(|i| 5.0 - 0.04 * i as f64).collect();
        let s = suggest_like_fastai(&lrs, &losses, 100);
        assert_eq!((s.start, s.kept), (10, 85));
        // one run of all 85 points: max_end 84, max_start −1, s = 85/3: −1 + 28 + 14 = 41
        assert_eq!(s.valley.index(), Some(51));
        assert_eq!(s.valley.lr(), Some(lr_at(&lrs, 51)));
        // the lowest kept point is the last one
        assert_eq!(s.minimum.index(), Some(94));
        assert_eq!(s.minimum.lr(), Some(lr_at(&lrs, 94) / 10.0));
        // a straight line has a constant gradient: the first window stops the walk, n − 16
        assert_eq!(s.slide.index(), Some(10 + 85 - 16));
        assert!(s.steep.index().is_some());
    }

    #[test]
    fn valley_shape_toy_and_edge_runs() {
        // fastai's valley on [3,3,3,2.9,2.5,2,1.5,1.2,1.1,1.3,2,4] picks index 4
        let toy: Vec<f32> = vec![3.0, 3.0, 3.0, 2.9, 2.5, 2.0, 1.5, 1.2, 1.1, 1.3, 2.0, 4.0];
        assert_eq!(valley_index(&toy), Ok(4));
        // a two-point descent ending at index 1 reads lrs[-1]: the last point
        assert_eq!(valley_index(&[2.0, 1.0]), Ok(1));
        assert_eq!(valley_index(&[2.0, 1.0, 5.0, 6.0]), Ok(3));
        // …but ending later it is max_end − 2
        assert_eq!(valley_index(&[5.0, 5.0, 6.0, 1.0]), Ok(1));
        // never falls: the first point
        assert_eq!(valley_index(&[1.0, 1.0, 2.0]), Ok(0));
        assert_eq!(valley_index(&[7.0]), Ok(0));
        assert_eq!(valley_index(&[]), Err(1));
    }

    #[test]
    fn float32_equality_matters_to_valley() {
        // distinct in f64, one float32 value: no strict descent in fastai's eyes
        let l: Vec<f32> = [1.0, 1.0 - 1e-9, 1.0 - 2e-9]
            .iter()
            .map(|&x: &f64| x as f32)
            .collect();
        assert_eq!(valley_index(&l), Ok(0));
        // a loss beyond float32's range is infinite to fastai: kept, and highest
        let lrs = fastai_lrs(1e-7, 10.0, 40);
        let mut losses = vec![2.0; 40];
        losses[20] = 1e39;
        losses[21] = 1.0;
        let s = suggest_like_fastai(&lrs, &losses, 40);
        assert_eq!(s.kept, 31);
        assert_eq!(s.minimum.index(), Some(21));
        // steep: the segment out of the infinite point is −inf, and its left point is the inf
        assert_eq!(s.steep.index(), Some(20));
    }

    #[test]
    fn nan_tail_is_cut_and_inf_is_kept() {
        let lrs = fastai_lrs(1e-7, 10.0, 100);
        let mut losses: Vec<f64> = (0..100).map(|i| 5.0 - 0.04 * i as f64).collect();
        losses[60] = f64::INFINITY;
        for l in losses.iter_mut().skip(70) {
            *l = f64::NAN;
        }
        let s = suggest_like_fastai(&lrs, &losses, 100);
        assert_eq!((s.start, s.kept), (10, 60));
        assert_eq!(s.minimum.index(), Some(69));
        assert_eq!(s.steep.index(), Some(60));
        // lrtool's own window stops at the infinite loss
        assert_eq!(super::super::analysis_window(&losses, 5), (6, 49));
    }

    #[test]
    fn too_short_curves_are_where_fastai_raises() {
        let lrs = fastai_lrs(1e-7, 10.0, 100);
        let losses: Vec<f64> = (0..100).map(|i| 5.0 - 0.04 * i as f64).collect();
        // 20 recorded: 5 kept, slide needs 16
        let s = suggest_like_fastai(&lrs[..20], &losses[..20], 100);
        assert_eq!(s.kept, 5);
        assert_eq!(
            s.slide,
            FastaiPick::NotEnoughPoints {
                kept: 5,
                needed: 16
            }
        );
        assert!(s.valley.lr().is_some() && s.steep.lr().is_some() && s.minimum.lr().is_some());
        // exactly 16 kept: slide answers, with the first point
        let s = suggest_like_fastai(&lrs[..31], &losses[..31], 100);
        assert_eq!((s.kept, s.slide.index()), (16, Some(10)));
        // one point: valley and minimum answer with it, steep has no segment
        let s = suggest_like_fastai(&lrs[..16], &losses[..16], 100);
        assert_eq!(s.kept, 1);
        assert_eq!(s.valley.index(), Some(10));
        assert_eq!(s.minimum.index(), Some(10));
        assert_eq!(s.steep, FastaiPick::NotEnoughPoints { kept: 1, needed: 2 });
        // nothing kept: every method raises
        for n in [0, 3, 15] {
            let s = suggest_like_fastai(&lrs[..n], &losses[..n], 100);
            assert_eq!(s.kept, 0);
            for p in [s.valley, s.slide, s.minimum, s.steep] {
                assert!(
                    matches!(p, FastaiPick::NotEnoughPoints { kept: 0, .. }),
                    "{p:?}"
                );
            }
        }
        // a NaN right at the start of the kept part empties it too
        let mut l = losses.clone();
        l[10] = f64::NAN;
        assert_eq!(suggest_like_fastai(&lrs, &l, 100).kept, 0);
    }

    #[test]
    fn stopped_early() {
        // 60 of 100 recorded (divergence stop): points 10..55 kept
        let lrs = fastai_lrs(1e-7, 10.0, 100);
        let losses: Vec<f64> = (0..60)
            .map(|i| {
                let x = i as f64;
                if i < 45 {
                    3.0 - 0.05 * x
                } else {
                    0.75 + 0.3 * (x - 45.0)
                }
            })
            .collect();
        let s = suggest_like_fastai(&lrs[..60], &losses, 100);
        assert_eq!((s.start, s.kept), (10, 45));
        assert_eq!(s.minimum.index(), Some(45));
        assert_eq!(s.minimum.lr(), Some(lr_at(&lrs, 45) / 10.0));
        // valley: the descent 10..45 is one run of 36 (end 45, start 9): 9 + 12 + 6
        assert_eq!(s.valley.index(), Some(27));
    }

    #[test]
    fn exactly_flat() {
        let lrs = fastai_lrs(1e-7, 10.0, 100);
        let s = suggest_like_fastai(&lrs, &[2.3; 100], 100);
        assert_eq!(s.valley.index(), Some(10));
        assert_eq!(s.minimum.index(), Some(10));
        assert_eq!(s.steep.index(), Some(10));
        assert_eq!(s.slide.index(), Some(10 + 85 - 16));
        // lrtool's own methods have no steepest or valley on a flat curve
        assert_eq!(super::super::valley(&[2.3; 85]), None);
    }

    #[test]
    fn noisy_curve_matches_real_fastai() {
        // Golden numbers from fastai 2.8.12 (torch 2.15, numpy 2.4.6), /tmp/fa venv:
        //   from fastai.torch_core import tensor
        //   from fastai.callback.schedule import valley, slide, minimum, steep
        //   num_it = 100; rl = [1e-7 * (10/1e-7) ** (i/num_it) for i in range(num_it)]
        //   state = 12345; rs = []
        //   for i in range(num_it):
        //       state = (state * 1103515245 + 12345) % 2147483648
        //       noise = (state / 2147483648.0 - 0.5) * 0.2
        //       x = i / 10.0
        //       rs.append(3.0 - 2.0 * x / (1.0 + x) + 0.002 * i * i / 10.0 + noise)
        //   # the lines of Learner.lr_find after the fit:
        //   lrs, losses = tensor(rl[num_it//10:-5]), tensor(rs[num_it//10:-5])
        //   (NaN cut: none here)
        //   [f(lrs, losses, num_it)[0] for f in (valley, slide, minimum, steep)]
        // -> [2.0892961401841603e-05, 0.03981071710586548, 2.0892961401841602e-06,
        //     6.309573450380412e-07]
        let num_it = 100;
        let lrs = fastai_lrs(1e-7, 10.0, num_it);
        let mut state: u64 = 12345;
        let losses: Vec<f64> = (0..num_it)
            .map(|i| {
                state = (state * 1103515245 + 12345) % 2147483648;
                let noise = (state as f64 / 2147483648.0 - 0.5) * 0.2;
                let x = i as f64 / 10.0;
                3.0 - 2.0 * x / (1.0 + x) + 0.002 * i as f64 * i as f64 / 10.0 + noise
            })
            .collect();
        let s = suggest_like_fastai(&lrs, &losses, num_it);
        assert_eq!(s.valley.lr(), Some(2.0892961401841603e-05));
        assert_eq!(s.slide.lr(), Some(0.03981071710586548));
        assert_eq!(s.minimum.lr(), Some(2.0892961401841602e-06));
        assert_eq!(s.steep.lr(), Some(6.309573450380412e-07));
    }
}

//! Loss landscapes of an MLP: the weights along a line between two models, on a plane of two
//! filter-normalised random directions around one model (Li et al. 2018) or through three
//! models, the barrier along a line, and the sharpness of a minimum ([`sharpness`]).
//!
//! Everything here builds weights; evaluating them on data is the caller's (each point is an
//! independent evaluation, so the caller may spread them over threads).

pub mod eigen;
pub mod hessian;
pub mod sharpness;

use ndarray::{Array1, Array2, Zip};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::nn::Mlp;

/// A displacement of every parameter of a model, shaped like it.
#[derive(Debug, Clone, PartialEq)]
pub struct Direction {
    pub weight: Vec<Array2<f32>>,
    pub bias: Vec<Array1<f32>>,
}

impl Direction {
    /// Flat f64 copy in the model's parameter order.
    pub fn flat(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for (w, b) in self.weight.iter().zip(&self.bias) {
            out.extend(w.iter().map(|&v| f64::from(v)));
            out.extend(b.iter().map(|&v| f64::from(v)));
        }
        out
    }

    /// Euclidean norm over all parameters.
    pub fn norm(&self) -> f64 {
        self.flat().iter().map(|v| v * v).sum::<f64>().sqrt()
    }
}

/// Whether two models have the same layer shapes and activation.
pub fn same_shape(a: &Mlp, b: &Mlp) -> bool {
    a.activation == b.activation
        && a.layers.len() == b.layers.len()
        && a.layers
            .iter()
            .zip(&b.layers)
            .all(|(x, y)| x.weight.dim() == y.weight.dim() && x.bias.dim() == y.bias.dim())
}

/// `θ(α) = (1 − α)·θA + α·θB`, parameter by parameter in f32; α = 0 gives `a` and α = 1 gives
/// `b` exactly (copies).
pub fn interpolate(a: &Mlp, b: &Mlp, alpha: f64) -> Mlp {
    assert!(same_shape(a, b), "models of one shape");
    if alpha == 0.0 {
        return a.clone();
    }
    if alpha == 1.0 {
        return b.clone();
    }
    let (wa, wb) = ((1.0 - alpha) as f32, alpha as f32);
    let mut out = a.clone();
    for (l, lb) in out.layers.iter_mut().zip(&b.layers) {
        Zip::from(&mut l.weight)
            .and(&lb.weight)
            .for_each(|x, &y| *x = wa * *x + wb * y);
        Zip::from(&mut l.bias)
            .and(&lb.bias)
            .for_each(|x, &y| *x = wa * *x + wb * y);
    }
    out
}

/// `θ + Σ cᵢ·dᵢ` in f32; all coefficients zero gives `model` exactly.
pub fn displaced(model: &Mlp, moves: &[(f64, &Direction)]) -> Mlp {
    let mut out = model.clone();
    for &(c, d) in moves {
        if c == 0.0 {
            continue;
        }
        let c = c as f32;
        for ((l, dw), db) in out.layers.iter_mut().zip(&d.weight).zip(&d.bias) {
            Zip::from(&mut l.weight)
                .and(dw)
                .for_each(|x, &y| *x += c * y);
            Zip::from(&mut l.bias).and(db).for_each(|x, &y| *x += c * y);
        }
    }
    out
}

/// `b − a`, the direction from `a` to `b`.
pub fn difference(a: &Mlp, b: &Mlp) -> Direction {
    assert!(same_shape(a, b), "models of one shape");
    Direction {
        weight: a
            .layers
            .iter()
            .zip(&b.layers)
            .map(|(x, y)| &y.weight - &x.weight)
            .collect(),
        bias: a
            .layers
            .iter()
            .zip(&b.layers)
            .map(|(x, y)| &y.bias - &x.bias)
            .collect(),
    }
}

/// Two random directions around `model`, filter-normalised as in Li et al. (2018): each entry
/// drawn from N(0, 1) by a generator seeded with `seed`, then each unit's row (a neuron's
/// incoming weights, a row of `W [out, in]`) scaled to the norm of that unit's row in the
/// model; biases get zero ("we set d to zero for bias and BN parameters"). The first direction
/// is drawn whole before the second.
pub fn filter_normalised_directions(model: &Mlp, seed: u64) -> [Direction; 2] {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = || filter_normalised(model, &mut rng);
    let first = draw();
    let second = draw();
    [first, second]
}

fn filter_normalised(model: &Mlp, rng: &mut ChaCha8Rng) -> Direction {
    let mut weight = Vec::with_capacity(model.layers.len());
    for l in &model.layers {
        let mut d = Array2::<f32>::zeros(l.weight.raw_dim());
        for (mut row, theta) in d.rows_mut().into_iter().zip(l.weight.rows()) {
            let raw: Vec<f64> = (0..row.len()).map(|_| StandardNormal.sample(rng)).collect();
            let dn = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
            let tn = theta
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum::<f64>()
                .sqrt();
            let scale = if dn > 0.0 { tn / dn } else { 0.0 };
            for (slot, v) in row.iter_mut().zip(&raw) {
                *slot = (v * scale) as f32;
            }
        }
        weight.push(d);
    }
    Direction {
        weight,
        bias: model
            .layers
            .iter()
            .map(|l| Array1::zeros(l.bias.raw_dim()))
            .collect(),
    }
}

/// `count` evenly spaced values from `lo` to `hi` (both included), computed as
/// `lo + (hi − lo)·i/(count − 1)`, with 0 and 1 put in when they lie inside and are not
/// already values (the ends of a line, which a report must show exactly); sorted.
pub fn alphas(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let mut out: Vec<f64> = if count == 1 {
        vec![lo]
    } else {
        (0..count)
            .map(|i| lo + (hi - lo) * i as f64 / (count - 1) as f64)
            .collect()
    };
    for end in [0.0, 1.0] {
        if (lo..=hi).contains(&end) && !out.contains(&end) {
            out.push(end);
        }
    }
    out.sort_by(f64::total_cmp);
    out
}

/// `count` (odd) evenly spaced values from `−span` to `span`, the middle one exactly 0.
pub fn symmetric_axis(span: f64, count: usize) -> Vec<f64> {
    let half = (count / 2) as i64;
    (0..count as i64)
        .map(|i| span * (i - half) as f64 / half.max(1) as f64)
        .collect()
}

/// The barrier of a line: the highest loss at α in [0, 1] minus the mean of the losses at α = 0
/// and α = 1, and the highest rise above the chord between the end losses. `None` when the line
/// does not hold both ends.
pub fn barrier(points: &[(f64, f64)]) -> Option<Barrier> {
    let at = |a: f64| points.iter().find(|p| p.0 == a).map(|p| p.1);
    let (start, end) = (at(0.0)?, at(1.0)?);
    let (alpha, max) = points
        .iter()
        .filter(|p| (0.0..=1.0).contains(&p.0) && p.1.is_finite())
        .fold((0.0, f64::NEG_INFINITY), |best, p| {
            if p.1 > best.1 { *p } else { best }
        });
    let above_linear = points
        .iter()
        .filter(|p| (0.0..=1.0).contains(&p.0) && p.1.is_finite())
        .map(|&(a, l)| l - ((1.0 - a) * start + a * end))
        .fold(f64::NEG_INFINITY, f64::max);
    Some(Barrier {
        height: max - 0.5 * (start + end),
        alpha,
        max,
        above_linear,
    })
}

/// See [`barrier`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Barrier {
    pub height: f64,
    /// Where on [0, 1] the maximum is.
    pub alpha: f64,
    pub max: f64,
    /// The largest rise above the straight line between the end losses,
    /// `max_α L(α) − ((1 − α)·L(0) + α·L(1))` (Frankle et al. 2020): 0 when the path has no bump
    /// (a monotone path gives 0 here while `height` is half the difference of the ends).
    pub above_linear: f64,
}

/// The plane through three models (Garipov et al. 2018): origin `a`, unit vectors `u` along
/// `b − a` and `v` along the part of `c − a` orthogonal to `u` (Gram–Schmidt in f64), and where
/// the three models sit in those coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    pub u: Direction,
    pub v: Direction,
    /// Coordinates `(x, y)` of `a`, `b`, `c`: `(0, 0)`, `(|b − a|, 0)`, `(⟨c − a, u⟩, |…|)`.
    pub points: [(f64, f64); 3],
}

/// The plane through `a`, `b`, `c`; `None` when the three are on one line (or two coincide).
pub fn plane(a: &Mlp, b: &Mlp, c: &Mlp) -> Option<Plane> {
    let ab = difference(a, b).flat();
    let ac = difference(a, c).flat();
    let nab = ab.iter().map(|v| v * v).sum::<f64>().sqrt();
    if nab == 0.0 {
        return None;
    }
    let u: Vec<f64> = ab.iter().map(|v| v / nab).collect();
    let along = eigen::dot(&ac, &u);
    let rest: Vec<f64> = ac.iter().zip(&u).map(|(c, u)| c - along * u).collect();
    let nrest = rest.iter().map(|v| v * v).sum::<f64>().sqrt();
    let nac = ac.iter().map(|v| v * v).sum::<f64>().sqrt();
    if nrest <= 1e-6 * nac.max(nab) {
        return None;
    }
    let v: Vec<f64> = rest.iter().map(|r| r / nrest).collect();
    Some(Plane {
        u: shaped(a, &u),
        v: shaped(a, &v),
        points: [(0.0, 0.0), (nab, 0.0), (along, nrest)],
    })
}

/// A flat f64 vector as a direction shaped like `model`.
fn shaped(model: &Mlp, flat: &[f64]) -> Direction {
    let mut at = 0;
    let mut take = |n: usize| {
        let part: Vec<f32> = flat[at..at + n].iter().map(|&v| v as f32).collect();
        at += n;
        part
    };
    let mut weight = Vec::new();
    let mut bias = Vec::new();
    for l in &model.layers {
        weight
            .push(Array2::from_shape_vec(l.weight.raw_dim(), take(l.weight.len())).expect("shape"));
        bias.push(Array1::from_vec(take(l.bias.len())));
    }
    Direction { weight, bias }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, InitScheme};

    fn model(seed: u64) -> Mlp {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Mlp::new(&[6, 5, 3], Activation::Relu, InitScheme::Torch, &mut rng)
    }

    #[test]
    fn interpolation_ends_are_the_models_and_the_middle_is_the_mean() {
        let (a, b) = (model(1), model(2));
        assert_eq!(interpolate(&a, &b, 0.0), a);
        assert_eq!(interpolate(&a, &b, 1.0), b);
        let mid = interpolate(&a, &b, 0.5);
        let want = 0.5 * a.layers[0].weight[[1, 2]] + 0.5 * b.layers[0].weight[[1, 2]];
        assert_eq!(mid.layers[0].weight[[1, 2]], want);
        let out = interpolate(&a, &b, -0.5);
        let want = 1.5 * a.layers[1].bias[0] - 0.5 * b.layers[1].bias[0];
        assert!((out.layers[1].bias[0] - want).abs() < 1e-6);
    }

    #[test]
    fn directions_are_filter_normalised_with_zero_biases_and_reproducible() {
        let m = model(3);
        let [d1, d2] = filter_normalised_directions(&m, 7);
        for d in [&d1, &d2] {
            for (dw, l) in d.weight.iter().zip(&m.layers) {
                for (row, theta) in dw.rows().into_iter().zip(l.weight.rows()) {
                    let n = |r: ndarray::ArrayView1<f32>| {
                        r.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt()
                    };
                    assert!((n(row) - n(theta)).abs() < 1e-5 * n(theta));
                }
            }
            assert!(d.bias.iter().all(|b| b.iter().all(|&v| v == 0.0)));
        }
        assert_ne!(d1, d2);
        assert_eq!(filter_normalised_directions(&m, 7), [d1.clone(), d2]);
        assert_ne!(filter_normalised_directions(&m, 8)[0], d1);
    }

    #[test]
    fn displacement_by_zero_is_the_model() {
        let m = model(4);
        let [d1, d2] = filter_normalised_directions(&m, 1);
        assert_eq!(displaced(&m, &[(0.0, &d1), (0.0, &d2)]), m);
        let moved = displaced(&m, &[(0.5, &d1), (-1.0, &d2)]);
        let want = m.layers[0].weight[[0, 0]] + 0.5 * d1.weight[0][[0, 0]] - d2.weight[0][[0, 0]];
        assert!((moved.layers[0].weight[[0, 0]] - want).abs() < 1e-6);
    }

    #[test]
    fn alpha_grid_holds_the_ends_exactly() {
        let a = alphas(-0.5, 1.5, 21);
        assert_eq!(a.len(), 21);
        assert!(a.contains(&0.0) && a.contains(&1.0));
        let a = alphas(-0.3, 1.3, 4);
        assert_eq!(a.len(), 6);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(alphas(2.0, 3.0, 3), vec![2.0, 2.5, 3.0]);
        let s = symmetric_axis(1.0, 25);
        assert_eq!(s[12], 0.0);
        assert_eq!((s[0], s[24]), (-1.0, 1.0));
    }

    #[test]
    fn barrier_is_the_bump_above_the_ends() {
        let pts = [(-0.5, 9.0), (0.0, 1.0), (0.5, 4.0), (1.0, 3.0), (1.5, 8.0)];
        let b = barrier(&pts).unwrap();
        assert_eq!((b.height, b.alpha, b.max), (2.0, 0.5, 4.0));
        // the chord at α = 0.5 is 2
        assert_eq!(b.above_linear, 2.0);
        let monotone = [(0.0, 3.0), (0.5, 2.0), (1.0, 1.0)];
        let b = barrier(&monotone).unwrap();
        assert_eq!((b.height, b.above_linear), (1.0, 0.0));
        assert!(barrier(&pts[2..]).is_none());
    }

    #[test]
    fn plane_puts_the_three_models_at_their_coordinates() {
        let (a, b, c) = (model(1), model(2), model(3));
        let p = plane(&a, &b, &c).unwrap();
        assert!((p.u.norm() - 1.0).abs() < 1e-5 && (p.v.norm() - 1.0).abs() < 1e-5);
        assert!(eigen::dot(&p.u.flat(), &p.v.flat()).abs() < 1e-5);
        let [_, (bx, _), (cx, cy)] = p.points;
        let at_c = displaced(&a, &[(cx, &p.u), (cy, &p.v)]);
        let at_b = displaced(&a, &[(bx, &p.u)]);
        for (x, y) in at_c.layers[0].weight.iter().zip(c.layers[0].weight.iter()) {
            assert!((x - y).abs() < 1e-4);
        }
        for (x, y) in at_b.layers[1].bias.iter().zip(b.layers[1].bias.iter()) {
            assert!((x - y).abs() < 1e-4);
        }
        assert!(plane(&a, &b, &interpolate(&a, &b, 0.3)).is_none());
    }
}

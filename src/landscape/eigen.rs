//! Symmetric eigenvalue problems: the cyclic Jacobi method for small dense matrices, and Lanczos
//! with full reorthogonalisation for the largest eigenvalues of an operator known only through
//! its products (`v ↦ H·v`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Eigenvalues (largest first) and eigenvectors (`vectors[i]` belongs to `values[i]`) of the
/// symmetric matrix `a` (row-major `n × n`; only its symmetric part counts), by cyclic Jacobi
/// rotations until the off-diagonal mass is below `1e-14` of the matrix's.
pub fn jacobi(a: &[f64], n: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    assert_eq!(a.len(), n * n, "matrix size");
    let mut m: Vec<f64> = (0..n * n)
        .map(|ij| {
            let (i, j) = (ij / n, ij % n);
            0.5 * (a[i * n + j] + a[j * n + i])
        })
        .collect();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = m.iter().map(|x| x * x).sum();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off <= 1e-28 * total || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // m ← Jᵀ m J with the rotation J in the (p, q) plane
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let vectors = order
        .iter()
        .map(|&i| (0..n).map(|k| v[k * n + i]).collect())
        .collect();
    (values, vectors)
}

/// The result of [`lanczos_top`].
#[derive(Debug, Clone, PartialEq)]
pub struct TopEigen {
    /// The `k` largest Ritz values, largest first.
    pub values: Vec<f64>,
    /// Their residual norms `‖H·y − θ·y‖` (a bound on the distance to an eigenvalue).
    pub residuals: Vec<f64>,
    /// Lanczos steps taken (Hessian-vector products).
    pub steps: usize,
}

/// The `k` largest eigenvalues of the symmetric `n × n` operator `op` by Lanczos with full
/// reorthogonalisation, from a seeded random start; stops when every one of the `k` residuals
/// is at most `tol` times its value's magnitude, after `max_steps` steps, or when the Krylov
/// space is exhausted (then the values are exact).
pub fn lanczos_top(
    n: usize,
    k: usize,
    max_steps: usize,
    tol: f64,
    seed: u64,
    mut op: impl FnMut(&[f64]) -> Vec<f64>,
) -> TopEigen {
    assert!(n > 0 && k > 0, "an operator and a count");
    let max_steps = max_steps.min(n).max(k.min(n));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut q: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    normalise(&mut q);
    let mut basis: Vec<Vec<f64>> = vec![q];
    let mut alphas: Vec<f64> = Vec::new();
    let mut betas: Vec<f64> = Vec::new();
    let mut result = TopEigen {
        values: Vec::new(),
        residuals: Vec::new(),
        steps: 0,
    };
    for j in 0..max_steps {
        let mut w = op(&basis[j]);
        let a = dot(&w, &basis[j]);
        alphas.push(a);
        // full reorthogonalisation, twice (Kahan's "twice is enough")
        for _ in 0..2 {
            for b in &basis {
                let c = dot(&w, b);
                for (wi, bi) in w.iter_mut().zip(b) {
                    *wi -= c * bi;
                }
            }
        }
        let beta = dot(&w, &w).sqrt();
        let m = j + 1;
        let exhausted = beta
            <= 1e-12
                * alphas
                    .iter()
                    .fold(0.0f64, |s, a| s.max(a.abs()))
                    .max(1e-300);
        let last = exhausted || m == max_steps;
        if m >= k.min(n) && (m % 5 == 0 || last) {
            let t = tridiagonal(&alphas, &betas);
            let (values, vectors) = jacobi(&t, m);
            let take = k.min(m);
            result = TopEigen {
                values: values[..take].to_vec(),
                residuals: vectors[..take]
                    .iter()
                    .map(|s| {
                        if exhausted {
                            0.0
                        } else {
                            beta * s[m - 1].abs()
                        }
                    })
                    .collect(),
                steps: m,
            };
            let converged = result
                .values
                .iter()
                .zip(&result.residuals)
                .all(|(v, r)| *r <= tol * v.abs().max(1e-12));
            if converged || last {
                return result;
            }
        }
        if last {
            break;
        }
        betas.push(beta);
        basis.push(w.iter().map(|x| x / beta).collect());
    }
    result
}

/// The Lanczos tridiagonal matrix, row-major.
fn tridiagonal(alphas: &[f64], betas: &[f64]) -> Vec<f64> {
    let m = alphas.len();
    let mut t = vec![0.0; m * m];
    for i in 0..m {
        t[i * m + i] = alphas[i];
        if i + 1 < m {
            t[i * m + i + 1] = betas[i];
            t[(i + 1) * m + i] = betas[i];
        }
    }
    t
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(v: &mut [f64]) {
    let norm = dot(v, v).sqrt();
    for x in v.iter_mut() {
        *x /= norm;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn random_symmetric(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let x = rng.random_range(-1.0..1.0);
                a[i * n + j] = x;
                a[j * n + i] = x;
            }
        }
        a
    }

    #[test]
    fn jacobi_finds_known_eigenvalues() {
        // [[2, 1], [1, 2]] has 3 and 1; [[4, 1, 0], [1, 4, 1], [0, 1, 4]] has 4 ± √2 and 4
        let (v, _) = jacobi(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((v[0] - 3.0).abs() < 1e-13 && (v[1] - 1.0).abs() < 1e-13);
        let (v, _) = jacobi(&[4.0, 1.0, 0.0, 1.0, 4.0, 1.0, 0.0, 1.0, 4.0], 3);
        let want = [4.0 + 2f64.sqrt(), 4.0, 4.0 - 2f64.sqrt()];
        for (a, b) in v.iter().zip(want) {
            assert!((a - b).abs() < 1e-13, "{v:?}");
        }
    }

    #[test]
    fn jacobi_vectors_are_eigenvectors_and_the_trace_is_kept() {
        let n = 12;
        let a = random_symmetric(n, 4);
        let (values, vectors) = jacobi(&a, n);
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((values.iter().sum::<f64>() - trace).abs() < 1e-12);
        for (lambda, x) in values.iter().zip(&vectors) {
            for i in 0..n {
                let ax: f64 = (0..n).map(|j| a[i * n + j] * x[j]).sum();
                assert!((ax - lambda * x[i]).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn lanczos_agrees_with_jacobi_on_a_random_matrix() {
        let n = 60;
        let a = random_symmetric(n, 8);
        let (want, _) = jacobi(&a, n);
        let op = |v: &[f64]| -> Vec<f64> {
            (0..n)
                .map(|i| (0..n).map(|j| a[i * n + j] * v[j]).sum())
                .collect()
        };
        let got = lanczos_top(n, 3, 60, 1e-10, 1, op);
        for (g, w) in got.values.iter().zip(&want) {
            assert!((g - w).abs() < 1e-8, "{got:?} vs {:?}", &want[..3]);
        }
    }

    #[test]
    fn lanczos_on_a_diagonal_operator_stops_when_converged() {
        let n = 500;
        let diag: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect();
        let got = lanczos_top(n, 2, 200, 1e-8, 3, |v| {
            v.iter().zip(&diag).map(|(x, d)| x * d).collect()
        });
        assert!((got.values[0] - 1.0).abs() < 1e-7, "{got:?}");
        assert!((got.values[1] - 0.5).abs() < 1e-7, "{got:?}");
        assert!(got.steps < 200);
    }
}

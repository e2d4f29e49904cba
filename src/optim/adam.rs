//! Adam and AdamW exactly as `torch.optim.Adam` / `torch.optim.AdamW` (single-tensor path):
//! `m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;`
//! `θ −= lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)`; with `amsgrad` the running maximum of `v`
//! is used in the denominator. Adam adds `wd·θ` to the gradient (coupled L2); AdamW first decays
//! `θ ← θ·(1 − lr·wd)`.

use super::StepParams;
use crate::nn::{Grads, Mlp};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AdamConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// Decoupled weight decay (AdamW).
    pub decoupled: bool,
    pub amsgrad: bool,
}

/// PyTorch's defaults for `torch.optim.Adam`: betas (0.9, 0.999), eps 1e-8, no weight decay.
impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            amsgrad: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Adam {
    pub config: AdamConfig,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    v_max: Vec<Vec<f32>>,
    pub(crate) steps: u64,
}

impl Adam {
    pub fn new(model: &Mlp, config: AdamConfig) -> Adam {
        let zeros = || -> Vec<Vec<f32>> {
            model
                .param_lengths()
                .iter()
                .map(|&n| vec![0.0; n])
                .collect()
        };
        Adam {
            config,
            m: zeros(),
            v: zeros(),
            v_max: if config.amsgrad { zeros() } else { Vec::new() },
            steps: 0,
        }
    }

    pub fn step(&mut self, model: &mut Mlp, grads: &Grads, p: StepParams) {
        self.steps += 1;
        // PyTorch's step count is a float (`state_steps[i].item()`), and `beta ** step` is C's
        // `pow` on doubles: `powf`, not `powi` (repeated multiplication, rounded differently).
        let t = self.steps as f64;
        let c = self.config;
        let beta1 = p.momentum.unwrap_or(c.beta1);
        // Python floats (f64) in PyTorch, each cast to f32 once where it meets a tensor:
        // `bias_correction1 = 1 - beta1 ** step`, `step_size = lr / bias_correction1`,
        // `bias_correction2_sqrt = bias_correction2 ** 0.5`, and the lerp / addcmul weights
        // `1 - beta1`, `1 - beta2`, which are computed in double *before* the cast (not as
        // `1 - (beta as f32)`: `1 - 0.999f32` = 0.00099998713, torch's 0.0010000000475).
        let bias_correction1 = 1.0 - beta1.powf(t);
        let bias_correction2_sqrt = (1.0 - c.beta2.powf(t)).powf(0.5);
        let step_size = (p.lr / bias_correction1) as f32;
        let bc2_sqrt = bias_correction2_sqrt as f32;
        let (one_minus_b1, one_minus_b2) = ((1.0 - beta1) as f32, (1.0 - c.beta2) as f32);
        let (b2, eps) = (c.beta2 as f32, c.eps as f32);
        let wd = c.weight_decay as f32;
        // AdamW: `param.mul_(1 - lr * weight_decay)`, the factor in double.
        let decay = (1.0 - p.lr * c.weight_decay) as f32;
        let k = Scalars {
            step_size,
            bc2_sqrt,
            one_minus_b1,
            b2,
            one_minus_b2,
            eps,
            wd,
            decay,
        };
        let (l2, decoupled) = match (c.weight_decay != 0.0, c.decoupled) {
            (false, _) => (false, false),
            (true, false) => (true, false),
            (true, true) => (false, true),
        };
        let (m_all, v_all, vmax_all) = (&mut self.m, &mut self.v, &mut self.v_max);
        let threads = crate::linalg::team::team_size();
        model.for_each_param(grads, |i, theta, grad| {
            let vmax: &mut [f32] = if c.amsgrad { &mut vmax_all[i] } else { &mut [] };
            let (m, v) = (&mut m_all[i][..], &mut v_all[i][..]);
            if threads > 1 && theta.len() >= PARALLEL_MIN_LEN {
                update_split(threads, theta, grad, m, v, vmax, &k, l2, decoupled);
            } else {
                update(theta, grad, m, v, vmax, &k, l2, decoupled);
            }
        });
    }
}

/// Smallest parameter tensor whose update is shared with the thread team (the first layer of
/// the W2 benchmark has 200,704; a bias never is).
const PARALLEL_MIN_LEN: usize = 65_536;

/// [`update`] over `parts` contiguous pieces of the tensor run by the thread team. Every element
/// is updated by the same operations as in one piece, so the bits do not depend on the split.
#[allow(clippy::too_many_arguments)]
fn update_split(
    parts: usize,
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: &Scalars,
    l2: bool,
    decoupled: bool,
) {
    /// The tensors as raw parts, so that the pieces can be handed to other threads.
    struct Shared {
        theta: *mut f32,
        grad: *const f32,
        m: *mut f32,
        v: *mut f32,
        vmax: *mut f32,
        ams: bool,
    }
    // SAFETY: the pieces are disjoint ranges of the tensors, which outlive the team call.
    unsafe impl Sync for Shared {}
    let n = theta.len();
    assert!(grad.len() >= n && m.len() >= n && v.len() >= n);
    let ams = !vmax.is_empty();
    assert!(!ams || vmax.len() >= n);
    let sh = Shared {
        theta: theta.as_mut_ptr(),
        grad: grad.as_ptr(),
        m: m.as_mut_ptr(),
        v: v.as_mut_ptr(),
        vmax: vmax.as_mut_ptr(),
        ams,
    };
    // pieces on 64-element (cache-line) boundaries
    let bound = |i: usize| {
        if i >= parts {
            n
        } else {
            n * i / parts / 64 * 64
        }
    };
    let sh = &sh; // capture the Sync struct whole, not its raw-pointer fields
    crate::linalg::team::for_each_part(parts, &|i| {
        let (a, b) = (bound(i), bound(i + 1));
        let len = b - a;
        // SAFETY: a ≤ b ≤ n, checked lengths above; the ranges of different pieces are disjoint
        // and no other code touches the tensors while the team works on them.
        unsafe {
            let theta = std::slice::from_raw_parts_mut(sh.theta.add(a), len);
            let grad = std::slice::from_raw_parts(sh.grad.add(a), len);
            let m = std::slice::from_raw_parts_mut(sh.m.add(a), len);
            let v = std::slice::from_raw_parts_mut(sh.v.add(a), len);
            let vmax: &mut [f32] = if sh.ams {
                std::slice::from_raw_parts_mut(sh.vmax.add(a), len)
            } else {
                &mut []
            };
            update(theta, grad, m, v, vmax, k, l2, decoupled);
        }
    });
}

/// The per-step constants of the update, in f32 where they meet the tensors.
#[derive(Debug, Clone, Copy)]
struct Scalars {
    step_size: f32,
    bc2_sqrt: f32,
    /// `1 - beta1`, computed in f64 and then rounded (torch's lerp weight).
    one_minus_b1: f32,
    b2: f32,
    /// `1 - beta2`, computed in f64 and then rounded (torch's addcmul value).
    one_minus_b2: f32,
    eps: f32,
    wd: f32,
    decay: f32,
}

/// One parameter tensor's update. The variants are separate monomorphised loops without
/// branches or bounds checks, so they vectorise; on x86-64 the same code is also compiled for
/// AVX-512 and AVX2 and picked at run time (the same operations in the same order, no fused
/// multiply-add, so every machine computes the same bits).
#[allow(clippy::too_many_arguments)]
fn update(
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: &Scalars,
    l2: bool,
    decoupled: bool,
) {
    update_with(Path::detect(), theta, grad, m, v, vmax, k, l2, decoupled)
}

/// [`update`] on the given [`Path`] (which the CPU must support).
#[allow(clippy::too_many_arguments)]
fn update_with(
    path: Path,
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: &Scalars,
    l2: bool,
    decoupled: bool,
) {
    let ams = !vmax.is_empty();
    macro_rules! pick {
        ($body:ident) => {
            match (l2, decoupled, ams) {
                (false, false, false) => $body::<false, false, false>(theta, grad, m, v, vmax, k),
                (true, _, false) => $body::<true, false, false>(theta, grad, m, v, vmax, k),
                (false, true, false) => $body::<false, true, false>(theta, grad, m, v, vmax, k),
                (false, false, true) => $body::<false, false, true>(theta, grad, m, v, vmax, k),
                (true, _, true) => $body::<true, false, true>(theta, grad, m, v, vmax, k),
                (false, true, true) => $body::<false, true, true>(theta, grad, m, v, vmax, k),
            }
        };
    }
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => {
            assert!(
                Path::Avx512.supported(),
                "AVX-512F path on a CPU without it"
            );
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { pick!(body_avx512) }
        }
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => {
            assert!(Path::Avx2.supported(), "AVX2 path on a CPU without it");
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { pick!(body_avx2) }
        }
        _ => pick!(body),
    }
}

/// The compiled versions of the update loop. [`update`] takes the widest the CPU supports
/// ([`Path::detect`]); the tests force each one and compare their bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Avx512,
    Avx2,
    Portable,
}

impl Path {
    /// The widest path this CPU runs.
    fn detect() -> Path {
        [Path::Avx512, Path::Avx2]
            .into_iter()
            .find(|p| p.supported())
            .unwrap_or(Path::Portable)
    }

    /// Whether this CPU can run the path.
    fn supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => std::is_x86_feature_detected!("avx2"),
            Path::Portable => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn body_avx512<const L2: bool, const DECOUPLED: bool, const AMS: bool>(
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: &Scalars,
) {
    body::<L2, DECOUPLED, AMS>(theta, grad, m, v, vmax, k)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn body_avx2<const L2: bool, const DECOUPLED: bool, const AMS: bool>(
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: &Scalars,
) {
    body::<L2, DECOUPLED, AMS>(theta, grad, m, v, vmax, k)
}

#[inline(always)]
fn body<const L2: bool, const DECOUPLED: bool, const AMS: bool>(
    theta: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: &Scalars,
) {
    let n = theta.len();
    let (grad, m, v) = (&grad[..n], &mut m[..n], &mut v[..n]);
    let (one_minus_b1, one_minus_b2) = (k.one_minus_b1, k.one_minus_b2);
    let step = |t: &mut f32, g: f32, m: &mut f32, v: &mut f32| -> f32 {
        let mut g = g;
        if DECOUPLED {
            *t *= k.decay;
        }
        if L2 {
            g += k.wd * *t;
        }
        // lerp form, as torch's exp_avg.lerp_(grad, 1 - beta1)
        *m += (g - *m) * one_minus_b1;
        *v = *v * k.b2 + one_minus_b2 * g * g;
        *v
    };
    if AMS {
        let vmax = &mut vmax[..n];
        for i in 0..n {
            let second = step(&mut theta[i], grad[i], &mut m[i], &mut v[i]);
            vmax[i] = vmax[i].max(second);
            let denom = vmax[i].sqrt() / k.bc2_sqrt + k.eps;
            theta[i] -= k.step_size * m[i] / denom;
        }
    } else {
        for (((t, &g), m), v) in theta
            .iter_mut()
            .zip(grad)
            .zip(m.iter_mut())
            .zip(v.iter_mut())
        {
            let second = step(t, g, m, v);
            let denom = second.sqrt() / k.bc2_sqrt + k.eps;
            *t -= k.step_size * *m / denom;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic spread of values in about ±`scale` (with some exact zeros).
    fn values(n: usize, seed: u32, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let x = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8;
                if x.is_multiple_of(13) {
                    0.0
                } else {
                    (x as f32 / (1u32 << 24) as f32 - 0.5) * 2.0 * scale
                }
            })
            .collect()
    }

    /// Tensors after three updates on `path`, as bits: θ, m, v, v_max.
    fn run(path: Path, n: usize, l2: bool, decoupled: bool, ams: bool) -> [Vec<u32>; 4] {
        let mut theta = values(n, 1, 1.0);
        let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
        let mut vmax = if ams { vec![0.0; n] } else { Vec::new() };
        for t in 1..=3 {
            // a growing then shrinking gradient, so that v_max keeps an earlier maximum
            let scale = [0.5, 3.0, 0.01][t - 1];
            let grad = values(n, 7 * t as u32, scale);
            let (b1, b2, lr, wd) = (0.9f64, 0.999f64, 1e-3, 0.01);
            let k = Scalars {
                step_size: (lr / (1.0 - b1.powi(t as i32))) as f32,
                bc2_sqrt: (1.0 - b2.powi(t as i32)).sqrt() as f32,
                one_minus_b1: (1.0 - b1) as f32,
                b2: b2 as f32,
                one_minus_b2: (1.0 - b2) as f32,
                eps: 1e-8,
                wd: wd as f32,
                decay: (1.0 - lr * wd) as f32,
            };
            update_with(
                path, &mut theta, &grad, &mut m, &mut v, &mut vmax, &k, l2, decoupled,
            );
        }
        let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        [bits(&theta), bits(&m), bits(&v), bits(&vmax)]
    }

    /// Every compiled path gives the portable path's bits: the same operations in the same
    /// order, no fused multiply-add, on lengths that leave every kind of vector remainder.
    #[test]
    fn every_path_gives_the_portable_bits() {
        let mut ran = Vec::new();
        for path in [Path::Avx512, Path::Avx2] {
            if !path.supported() {
                println!("note: this CPU does not run the {path:?} path; not compared");
                continue;
            }
            ran.push(path);
            for n in [1, 2, 7, 15, 16, 17, 31, 33, 64, 1023, 65_537] {
                // (L2, decoupled, amsgrad): every monomorphised variant
                for (l2, decoupled, ams) in [
                    (false, false, false),
                    (true, false, false),
                    (false, true, false),
                    (false, false, true),
                    (true, false, true),
                    (false, true, true),
                ] {
                    let want = run(Path::Portable, n, l2, decoupled, ams);
                    let got = run(path, n, l2, decoupled, ams);
                    for (name, (w, g)) in ["theta", "m", "v", "v_max"]
                        .iter()
                        .zip(want.iter().zip(&got))
                    {
                        if let Some(i) = (0..w.len()).find(|&i| w[i] != g[i]) {
                            panic!(
                                "{path:?} n {n} l2 {l2} decoupled {decoupled} amsgrad {ams}: {name}[{i}] {} vs portable {}",
                                f32::from_bits(g[i]),
                                f32::from_bits(w[i])
                            );
                        }
                    }
                }
            }
        }
        println!(
            "compared with the portable path: {ran:?}; this CPU's own path: {:?}",
            Path::detect()
        );
    }

    #[test]
    fn the_variants_differ() {
        // the comparison above would pass trivially if the flags did nothing
        let n = 33;
        let plain = run(Path::Portable, n, false, false, false);
        assert_ne!(plain[0], run(Path::Portable, n, true, false, false)[0]);
        assert_ne!(plain[0], run(Path::Portable, n, false, true, false)[0]);
        assert_ne!(plain[0], run(Path::Portable, n, false, false, true)[0]);
        assert_ne!(
            run(Path::Portable, n, true, false, false)[0],
            run(Path::Portable, n, false, true, false)[0]
        );
    }
}

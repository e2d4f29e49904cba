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
        let threads = crate::nn::team::team_size();
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
    crate::nn::team::for_each_part(parts, &|i| {
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
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { pick!(body_avx512) };
            return;
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { pick!(body_avx2) };
            return;
        }
    }
    pick!(body)
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

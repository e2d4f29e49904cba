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
        let t = self.steps as i32;
        let c = self.config;
        let beta1 = p.momentum.unwrap_or(c.beta1);
        // Python floats (f64) in PyTorch, cast to the tensor dtype where they meet tensors.
        let bias_correction1 = 1.0 - beta1.powi(t);
        let bias_correction2_sqrt = (1.0 - c.beta2.powi(t)).sqrt();
        let step_size = (p.lr / bias_correction1) as f32;
        let bc2_sqrt = bias_correction2_sqrt as f32;
        let (b1, b2, eps) = (beta1 as f32, c.beta2 as f32, c.eps as f32);
        let wd = c.weight_decay as f32;
        let decay = (1.0 - p.lr * c.weight_decay) as f32;
        let (m_all, v_all, vmax_all) = (&mut self.m, &mut self.v, &mut self.v_max);
        model.for_each_param(grads, |i, theta, grad| {
            let (m, v) = (&mut m_all[i], &mut v_all[i]);
            for (j, (t, &g)) in theta.iter_mut().zip(grad).enumerate() {
                let mut g = g;
                if c.weight_decay != 0.0 {
                    if c.decoupled {
                        *t *= decay;
                    } else {
                        g += wd * *t;
                    }
                }
                // lerp form, as torch's exp_avg.lerp_(grad, 1 - beta1)
                m[j] += (g - m[j]) * (1.0 - b1);
                v[j] = v[j] * b2 + (1.0 - b2) * g * g;
                let second = if c.amsgrad {
                    let vm = &mut vmax_all[i][j];
                    *vm = vm.max(v[j]);
                    *vm
                } else {
                    v[j]
                };
                let denom = second.sqrt() / bc2_sqrt + eps;
                *t -= step_size * m[j] / denom;
            }
        });
    }
}

//! Stochastic gradient descent exactly as `torch.optim.SGD`:
//! `g += wd·θ; v = μ·v + (1−dampening)·g` (v = g on the first step); Nesterov uses `g + μ·v`;
//! `θ −= lr·v`.

use super::StepParams;
use crate::nn::{Grads, Mlp};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SgdConfig {
    pub momentum: f64,
    pub dampening: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
}

#[derive(Debug, Clone)]
pub struct Sgd {
    pub config: SgdConfig,
    /// Momentum buffers, one per parameter tensor (empty vectors until the first step when
    /// momentum is zero for the whole run).
    velocity: Vec<Vec<f32>>,
    pub(crate) steps: u64,
}

impl Sgd {
    pub fn new(model: &Mlp, config: SgdConfig) -> Sgd {
        Sgd {
            config,
            velocity: model
                .param_lengths()
                .iter()
                .map(|&n| vec![0.0; n])
                .collect(),
            steps: 0,
        }
    }

    pub fn step(&mut self, model: &mut Mlp, grads: &Grads, p: StepParams) {
        let lr = p.lr as f32;
        let mu = p.momentum.unwrap_or(self.config.momentum) as f32;
        let wd = self.config.weight_decay as f32;
        // `buf.mul_(momentum).add_(grad, alpha=1 - dampening)`: the weight in f64, then cast.
        let damp = (1.0 - self.config.dampening) as f32;
        let nesterov = self.config.nesterov;
        let first = self.steps == 0;
        let velocity = &mut self.velocity;
        model.for_each_param(grads, |i, theta, grad| {
            let v = &mut velocity[i];
            for ((t, &g), v) in theta.iter_mut().zip(grad).zip(v.iter_mut()) {
                let mut d = g;
                if wd != 0.0 {
                    d += wd * *t;
                }
                if mu != 0.0 {
                    *v = if first { d } else { mu * *v + damp * d };
                    d = if nesterov { d + mu * *v } else { *v };
                }
                *t -= lr * d;
            }
        });
        self.steps += 1;
    }
}

//! Optimizer flags (PyTorch's update rules and defaults).

use clap::Args;

use crate::optim::OptimizerKind;

/// The optimizer (PyTorch's update rules and defaults).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Optimizer")]
pub struct OptimArgs {
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    pub optimizer: OptimizerKind,
    /// SGD momentum [default: 0].
    #[arg(long)]
    pub momentum: Option<f64>,
    /// SGD dampening [default: 0].
    #[arg(long)]
    pub dampening: Option<f64>,
    /// SGD Nesterov momentum (needs --momentum > 0 and no dampening).
    #[arg(long)]
    pub nesterov: bool,
    /// Weight decay [default: 0 for sgd and adam (L2 added to the gradient), 0.01 for adamw (decoupled)].
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Adam/AdamW β1 [default: 0.9].
    #[arg(long)]
    pub beta1: Option<f64>,
    /// Adam/AdamW β2 [default: 0.999].
    #[arg(long)]
    pub beta2: Option<f64>,
    /// Adam/AdamW ε, added to √v̂ [default: 1e-8].
    #[arg(long)]
    pub eps: Option<f64>,
    /// Adam/AdamW AMSGrad variant.
    #[arg(long)]
    pub amsgrad: bool,
}

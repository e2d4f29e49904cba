//! `train`'s stochastic weight averaging flags (`--swa-start`, `--swa-lr`, `--swa-anneal-epochs`,
//! `--swa-anneal`).

use clap::Args;

use crate::schedule::Anneal;

/// Stochastic weight averaging (Izmailov et al. 2018; PyTorch `torch.optim.swa_utils`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Stochastic weight averaging")]
pub struct SwaArgs {
    /// Start SWA with this epoch (1-based, at most --epochs): from it on the LR follows PyTorch's
    /// SWALR (once per epoch) instead of --schedule, and the weights after each epoch are
    /// averaged into model-swa.safetensors, whose validation metrics summary.json reports beside
    /// the final model's [default: off]. PyTorch's recipe `if epoch > swa_start` (0-based) is
    /// --swa-start swa_start+2.
    #[arg(long, value_name = "EPOCH", allow_negative_numbers = true)]
    pub swa_start: Option<i64>,
    /// With --swa-start: the constant LR that SWALR anneals to (SWALR's swa_lr) [default: none,
    /// required with --swa-start].
    #[arg(long, value_name = "LR", allow_negative_numbers = true)]
    pub swa_lr: Option<f64>,
    /// With --swa-start: epochs SWALR takes to anneal from the LR at the switch to --swa-lr
    /// (SWALR's anneal_epochs; 0 jumps at once) [default: 10].
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub swa_anneal_epochs: Option<i64>,
    /// With --swa-start: the shape of that annealing (SWALR's anneal_strategy) [default: cos].
    #[arg(long, value_enum, value_name = "SHAPE")]
    pub swa_anneal: Option<Anneal>,
}

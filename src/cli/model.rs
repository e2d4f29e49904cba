//! Model flags: the network's hidden widths, activation and initialisation.

use std::path::PathBuf;

use clap::Args;

use crate::nn::{Activation, InitScheme};

/// The network.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Model")]
pub struct ModelArgs {
    /// Hidden layer widths, comma-separated; "" or 0 for a linear model.
    #[arg(
        long,
        default_value = "128,64",
        value_name = "W1,W2,…",
        allow_hyphen_values = true
    )]
    pub hidden: String,
    /// Activation between layers.
    #[arg(long, value_enum, default_value_t = Activation::Relu)]
    pub activation: Activation,
    /// Weight initialisation: torch = PyTorch's nn.Linear default.
    #[arg(long, value_enum, default_value_t = InitScheme::Torch)]
    pub init_scheme: InitScheme,
    /// Start from the weights in this safetensors file (as written to model.safetensors).
    #[arg(long, value_name = "FILE")]
    pub init: Option<PathBuf>,
}

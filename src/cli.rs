//! The command line (clap derive). Flag groups are shared by flattening, so every training
//! command accepts the same data, model, optimizer and output flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::data::Task;
use crate::nn::{Activation, InitScheme};
use crate::optim::OptimizerKind;

/// Train small neural networks and run learning-rate experiments.
#[derive(Debug, Parser)]
#[command(
    name = "lrtool",
    version,
    propagate_version = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Train an MLP and write logs, weights, a summary and plots to the output folder.
    ///
    /// Example: lrtool train --dataset digits --optimizer adam --lr 1e-3 --epochs 30
    #[command(allow_negative_numbers = true)]
    Train(TrainArgs),
    /// LR range test: train from a fresh model while the LR rises from --min to --max after
    /// every mini-batch, record the loss, and suggest learning rates from the curve.
    ///
    /// The curve has three phases: at low LRs the loss barely moves, then it falls steeply, then
    /// it bounces and diverges. Good learning rates lie in the steep part. lrtool smooths the
    /// loss (bias-corrected EMA), stops when it diverges, reads the curve with several methods
    /// (steepest, valley, minimum/10, slide) and their consensus, checks that all three phases
    /// showed, and prints ready-to-run `lrtool train` lines.
    ///
    /// Example: lrtool find-lr --dataset digits --optimizer adam --min 1e-6 --max 1
    #[command(name = "find-lr", allow_negative_numbers = true)]
    FindLr(FindLrArgs),
    /// Run the find-lr suggestion methods on a recorded (lr, loss) curve in a CSV file, such as
    /// find-lr's steps.csv or a curve logged by another tool.
    ///
    /// Example: lrtool suggest runs/find-lr/steps.csv --loss-column loss
    Suggest(SuggestArgs),
    /// Print or plot a learning-rate schedule step by step, without training: the CSV
    /// `step,lr[,momentum]` on stdout, JSON, or an SVG. Takes exactly the schedule flags of
    /// `train`; `--list` shows every family with its flags and formula.
    ///
    /// Example: lrtool schedule --schedule sgdr --t0 10 --t-mult 2 --steps 700 --steps-per-epoch 7 --plot sgdr.svg
    #[command(allow_negative_numbers = true)]
    Schedule(crate::commands::schedule::ScheduleCmdArgs),
    /// List the built-in and synthetic datasets with their shapes and tasks.
    Datasets(DatasetsArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub optim: OptimArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub schedule: crate::schedule::ScheduleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FindLrArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub optim: OptimArgs,
    #[command(flatten)]
    pub sweep: SweepArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The range test's sweep.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sweep")]
pub struct SweepArgs {
    /// Learning rate at the first step.
    #[arg(long, default_value_t = 1e-6)]
    pub min: f64,
    /// Learning rate at the last step.
    #[arg(long, default_value_t = 1.0)]
    pub max: f64,
    /// How the LR rises: exp (equal ratios) or linear.
    #[arg(long, value_enum, default_value_t = crate::lr_finder::SweepMode::Exp)]
    pub mode: crate::lr_finder::SweepMode,
    /// Number of mini-batches in the sweep [default: 15 per decade of the range, at least 50].
    #[arg(long)]
    pub steps: Option<i64>,
    /// Smoothing factor β of the bias-corrected moving average of the loss (0 = raw loss).
    #[arg(long, default_value_t = 0.98)]
    pub smooth: f64,
    /// Stop when the smoothed loss exceeds this many times the best so far.
    #[arg(long, default_value_t = 4.0)]
    pub diverge: f64,
    /// Sweep the whole range even after the loss diverges (a non-finite loss still ends it).
    #[arg(long)]
    pub no_stop: bool,
    /// Rows per mini-batch (the suggestions hold for this batch size).
    #[arg(long, default_value_t = 32)]
    pub batch_size: i64,
    /// Seed for the split, the initialisation and the data order (repeats use seed, seed+1, …).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run this many sweeps with different seeds (initialisation and data order) and report the
    /// median curve and the spread of every suggestion.
    #[arg(long, default_value_t = 1)]
    pub repeats: i64,
    /// When a phase is missing, widen that side of the range and sweep again (at most 3 times).
    #[arg(long)]
    pub auto_extend: bool,
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct SuggestArgs {
    /// CSV file with a header row holding a learning-rate and a loss column (optionally gzipped).
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Column holding the learning rate.
    #[arg(long, default_value = "lr")]
    pub lr_column: String,
    /// Column holding the loss.
    #[arg(long, default_value = "loss")]
    pub loss_column: String,
    /// Smoothing factor β applied to the loss column before analysis (0 when the column is
    /// already smoothed).
    #[arg(long, default_value_t = 0.98)]
    pub smooth: f64,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DatasetsArgs {
    /// Print the list as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Where the data comes from and how it is split.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Data")]
pub struct DataArgs {
    /// A built-in dataset (iris, wine, breast-cancer, digits, mnist-10k), a synthetic one (moons,
    /// circles, spirals, xor, blobs, sine), a CSV file (.csv or .csv.gz), or IDX images with --labels.
    #[arg(long, default_value = "digits", value_name = "NAME|FILE")]
    pub dataset: String,
    /// IDX label file matching the IDX images given as --dataset (optionally gzipped).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// CSV column to predict [default: the last column].
    #[arg(long, value_name = "COLUMN")]
    pub target: Option<String>,
    /// Classification or regression for a CSV file [default: guessed from the target column].
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// Number of samples of a synthetic dataset [default: 1000].
    #[arg(long)]
    pub samples: Option<usize>,
    /// Noise level of a synthetic dataset [default: the generator's own, see `lrtool datasets`].
    #[arg(long)]
    pub noise: Option<f64>,
    /// Fraction of the rows held out for validation (0 = none).
    #[arg(long, default_value_t = 0.2)]
    pub val_split: f64,
    /// Keep file order: the last --val-split of the rows is validation, batches come in order.
    #[arg(long)]
    pub no_shuffle: bool,
}

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

/// Length and pace of training.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Training")]
pub struct RunArgs {
    /// Passes over the training split.
    #[arg(long, default_value_t = 30)]
    pub epochs: i64,
    /// Rows per mini-batch (the last, smaller batch of an epoch is kept).
    #[arg(long, default_value_t = 32)]
    pub batch_size: i64,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Seed for the split, the initialisation and the data order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Where results go and how much is said.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output folder [default: runs/<command>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into a folder that holds files lrtool did not write (they are left alone).
    #[arg(long)]
    pub force: bool,
    /// Print the summary as JSON on stdout (and nothing else there).
    #[arg(long)]
    pub json: bool,
    /// No progress bar and no report on stdout; errors still go to stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Read flags from a JSON object whose keys are long flag names ({"batch-size": 64});
    /// flags given on the command line win.
    #[arg(long, value_name = "FILE.json")]
    pub config: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

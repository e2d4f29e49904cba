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
    // the package version and, built from a git checkout, the revision (build.rs)
    version = env!("LRTOOL_VERSION_LONG"),
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
    /// Training takes --epochs passes over the training split in mini-batches of --batch-size
    /// rows; after every mini-batch the optimizer moves the weights against the gradient, scaled
    /// by the learning rate of that step, which --schedule sets (constant by default; see
    /// `lrtool schedule --list`). The validation split (--val-split) is scored after every epoch.
    /// The folder gets steps.csv (LR and loss per step), epochs.csv, summary.json,
    /// model.safetensors, loss.svg, lr.svg and report.html.
    ///
    /// Worked example: `lrtool train --dataset digits --optimizer adam --lr 1e-3 --epochs 30`
    /// trains a 64-128-64-10 ReLU MLP on 1438 of the 1797 digit images and ends at validation
    /// accuracy about 0.986. With `--schedule sgdr --lr 3e-3 --t0 2 --t-mult 2 --epochs 14` the
    /// LR instead falls along a cosine from 3e-3 to 0 over 2 epochs, restarts at 3e-3 and falls
    /// over 4, then over 8 epochs (warm restarts).
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
    /// A range test is only a table of (learning rate, loss) pairs, one per mini-batch while the
    /// LR rose; any tool can record it (PyTorch Lightning's Tuner.lr_find, fastai's lr_find).
    /// suggest reads the two columns, smooths the loss with the bias-corrected moving average
    /// (--smooth β; 0 when the column is already smoothed) and reads the curve as find-lr does:
    /// steepest descent, valley, minimum/10, slide, and their consensus.
    ///
    /// Worked example: `lrtool find-lr --dataset digits --quiet` then `lrtool suggest
    /// runs/find-lr/steps.csv` prints the same suggestions (consensus 1.95e-3). For a CSV with
    /// the columns `lr,train_loss` logged elsewhere: `lrtool suggest lr_find.csv --lr-column lr
    /// --loss-column train_loss` (add --json for scripts).
    Suggest(SuggestArgs),
    /// Print or plot a learning-rate schedule step by step, without training: the CSV
    /// `step,lr[,momentum]` on stdout, JSON, or an SVG. Takes exactly the schedule flags of
    /// `train`; `--list` shows every family with its flags and formula.
    ///
    /// A schedule maps the optimizer step to a learning rate. Step and multistep decay multiply
    /// it by --gamma at set epochs; cosine annealing follows half a cosine from --lr to --min-lr;
    /// SGDR (warm restarts) repeats that cosine in cycles of t0, t0·t-mult, … epochs, so the LR
    /// jumps back up at each restart; triangular (CLR) bounces linearly between --min-lr and
    /// --lr; one-cycle warms up to --lr and anneals far below it. Any of them can start with a
    /// linear warm-up (--warmup-steps, --warmup-epochs).
    ///
    /// Worked example: `lrtool schedule --schedule sgdr --lr 0.1 --t0 1 --t-mult 2 --steps 12
    /// --steps-per-epoch 2` prints step,lr rows: 0.1, 0.05 over the first epoch; the restart
    /// to 0.1 at step 2 and a fall over 2 epochs (0.0854, 0.05, 0.0146); the restart at step 6
    /// and a fall over 4 epochs. With --plot sgdr.svg it draws the curve instead.
    ///
    /// Example: lrtool schedule --schedule sgdr --t0 10 --t-mult 2 --steps 700 --steps-per-epoch 7 --plot sgdr.svg
    #[command(allow_negative_numbers = true)]
    Schedule(crate::commands::schedule::ScheduleCmdArgs),
    /// Snapshot ensemble ("train 1, get M for free"): train under a cyclic cosine that restarts
    /// --cycles times, save the weights at the end of every cycle (snapshots/snapshot-k), and
    /// report each snapshot and the ensembles of the last m (uniform average of probabilities)
    /// on the validation split, beside the final model and, with --baseline, a model trained for
    /// the same steps from the same seed under a plain cosine.
    ///
    /// Why it works: each restart kicks the weights out of the minimum the low LR had settled
    /// in, and the next cycle settles in another; models from different minima make different
    /// mistakes, so averaging their probabilities often beats any one of them, at the training
    /// cost of one model.
    ///
    /// --schedule picks another cyclic schedule (sgdr, triangular, …): snapshots are then taken
    /// wherever it ends a cycle.
    ///
    /// Worked example: the line below trains 50 epochs as 5 cosine cycles of 10 epochs, writes
    /// snapshots/snapshot-1 … snapshot-5, and prints each snapshot's validation accuracy, the
    /// ensembles of the last 2 … 5 snapshots, and the plain-cosine baseline of the same length,
    /// so the table answers whether the ensemble helps on this data. Example:
    /// lrtool snapshot-ensemble --dataset digits --optimizer sgd --momentum 0.9 --lr 0.1 --epochs 50 --cycles 5 --baseline
    #[command(name = "snapshot-ensemble", allow_negative_numbers = true)]
    SnapshotEnsemble(crate::commands::snapshot_ensemble::SnapshotEnsembleArgs),
    /// Loss and accuracy (R²) of saved models on a dataset split, each alone and, given several
    /// --model flags, their ensemble (uniform average of probabilities). With the training run's
    /// --seed, --val-split and --no-shuffle, --split val is exactly that run's validation split.
    ///
    /// The weights' metadata carries the model's layer sizes, activation, class names and the
    /// training split's feature mean and standard deviation, so the data is scaled exactly as in
    /// training. Several --model flags are evaluated one by one and as an ensemble, which is how
    /// to check whether averaging snapshots beats the last one.
    ///
    /// Worked example: after `lrtool snapshot-ensemble --dataset digits --cycles 5`, the line
    /// below scores snapshots 4 and 5 alone and together on the same validation split (same
    /// default --seed and --val-split as the run); the ensemble's row is the last.
    ///
    /// Example: lrtool evaluate --model runs/snapshot-ensemble/snapshots/snapshot-4.safetensors --model runs/snapshot-ensemble/snapshots/snapshot-5.safetensors --dataset digits
    Evaluate(crate::commands::evaluate::EvaluateArgs),
    /// Predict the rows of a CSV file with a saved model or the ensemble of several: CSV
    /// `row,predicted,p_<class>…` (regression: `row,predicted`) on stdout or into --output.
    ///
    /// The input CSV needs the model's feature columns, matched by the names stored with the
    /// weights (in any order; other columns are ignored); they are standardised with the training split's mean and standard deviation
    /// from the weights' metadata. For classification, p_<class> is the softmax probability of
    /// each class (averaged over the models of an ensemble) and predicted the most probable one.
    ///
    /// Worked example: `lrtool train --dataset iris --epochs 30` then `lrtool predict --model
    /// runs/train/model.safetensors --input flowers.csv` prints the header
    /// `row,predicted,p_setosa,p_versicolor,p_virginica` and one line per row of flowers.csv.
    ///
    /// Example: lrtool predict --model runs/train/model.safetensors --input new.csv --output predictions.csv
    Predict(crate::commands::predict::PredictArgs),
    /// Compare learning-rate schedules (or any flags) side by side: named arms × seeds, every arm
    /// of a seed from the same initial weights and data order, run in parallel; writes
    /// results.csv, report.md, summary.json and overlay plots. --shard I/N runs a part,
    /// --merge joins the parts (see docs/compare.md).
    ///
    /// Example: lrtool compare --dataset digits --optimizer sgd --momentum 0.9 --epochs 10 --arms "constant:lr=0.01;triangular2:min-lr=0.001,lr=0.006;sgdr:lr=0.05,t0=1,t-mult=2" --seeds 3 --target-acc 0.95
    #[command(allow_negative_numbers = true)]
    Compare(crate::commands::compare::CompareArgs),
    /// List the built-in and synthetic datasets with their shapes and tasks.
    ///
    /// Built-in datasets are embedded in the binary (iris, wine, breast-cancer, digits,
    /// mnist-10k), so every example runs offline; synthetic ones (moons, circles, spirals, xor,
    /// blobs, sine) are drawn from --seed with --samples and --noise. Any command's --dataset
    /// also takes a CSV file (the last column, or --target, is predicted) or IDX files.
    ///
    /// Worked example: `lrtool datasets` lists digits as 1797 rows × 64 features, 10 classes;
    /// `lrtool train --dataset spirals --samples 2000 --noise 0.1` trains on a fresh synthetic
    /// set; `lrtool datasets --json` gives the list to scripts.
    Datasets(DatasetsArgs),
    /// Run a performance workload of the shared benchmark definitions (W1 digits, W2
    /// MNIST-shaped, W3 range test: the Python peers' data, split, model and optimizer) through
    /// the training loop and print one JSON line per run with the peer scripts' keys.
    ///
    /// The timed part (train_s) runs from the first shuffle to the last step, as in the peers;
    /// data generation and the test evaluation are outside it. See docs/performance.md.
    ///
    /// Worked example: `lrtool bench w2 --batch 512 --threads 2 --repeat 3` prints three lines
    /// with samples_per_s, gflops_per_s (3× convention), gflops_per_s_exact and test_acc;
    /// `lrtool bench w1` trains digits 64-128-64-10 for 30 epochs.
    Bench(crate::commands::bench::BenchArgs),
    /// Write report.html for a run folder of train, find-lr, snapshot-ensemble or compare: one
    /// self-contained page (inline SVG plots, no network, no JavaScript) with the command, the
    /// dataset and model, the plots, the tables of results and suggestions, and next commands.
    ///
    /// Every run writes its report.html already unless --no-report; this command (re)writes it
    /// from the folder's summary.json and SVG files, e.g. after copying a folder elsewhere.
    ///
    /// Example: lrtool report runs/find-lr && xdg-open runs/find-lr/report.html
    Report(ReportArgs),
    /// Print a shell completion script on stdout.
    ///
    /// Example (bash): lrtool completions bash > ~/.local/share/bash-completion/completions/lrtool
    ///
    /// zsh: lrtool completions zsh > ~/.zfunc/_lrtool (with fpath+=~/.zfunc before compinit);
    /// fish: lrtool completions fish > ~/.config/fish/completions/lrtool.fish
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into --dir.
    ///
    /// Example: lrtool man > lrtool.1 && man -l lrtool.1
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run folder (holding summary.json and the SVG plots).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write the page here instead of DIR/report.html ("-" for stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: crate::commands::completions::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write lrtool.1 and one lrtool-<command>.1 per subcommand into this folder instead of
    /// printing lrtool.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
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
    pub compute: ComputeArgs,
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
    /// Seed for the split, the initialisation and the data order (repeats use seed, seed+1, … for
    /// initialisation and data order; the split stays the one of --seed).
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
    #[command(flatten)]
    pub compute: ComputeArgs,
}

/// How many cores a run may use.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Compute")]
pub struct ComputeArgs {
    /// Most threads one run may use for its matrix products and optimizer updates
    /// [default: every core when the batch and a layer are large enough for a second thread to
    /// pay, else 1].
    ///
    /// A product is split over threads only when its three sides are all at least 32 and it
    /// has at least 4M multiply-adds (e.g. batch ≥ 32 on a 784-256 layer); below that, moving
    /// the operands between cores costs more than the halved arithmetic saves (measured in
    /// docs/performance.md). The results are the same bits for every thread count.
    /// `find-lr --repeats` runs its sweeps side by side on up to N threads, one thread each;
    /// `compare` runs its runs side by side with one thread each unless --threads is given.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<i64>,
}

impl ComputeArgs {
    /// The checked `--threads` value (`None`: choose from the model and batch size).
    pub fn requested(&self) -> anyhow::Result<Option<usize>> {
        match self.threads {
            None => Ok(None),
            Some(n) if (1..=1024).contains(&n) => Ok(Some(n as usize)),
            Some(n) => crate::input_bail!("--threads {n}: must be a whole number from 1 to 1024"),
        }
    }
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
    /// Do not write report.html (the one-page HTML report of the run; `lrtool report DIR`
    /// writes it later).
    #[arg(long)]
    pub no_report: bool,
    /// Read flags from a JSON object whose keys are long flag names ({"batch-size": 64});
    /// flags given on the command line win.
    #[arg(long, value_name = "FILE.json")]
    pub config: Option<PathBuf>,
}

/// `--gemm` (`lrtool bench`): the backend enum lives in `linalg`, which does not name clap.
impl clap::ValueEnum for crate::linalg::GemmBackend {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.about()))
    }
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

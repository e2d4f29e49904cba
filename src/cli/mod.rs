//! The command line: every clap definition, value enum and help text, and the only place (with
//! `config.rs`, the commands and `lib.rs`) that names clap. One file per flag group; flag groups
//! are shared by flattening, so every training command accepts the same data, model, optimizer
//! and output flags. The domain types the flags choose among (optimizer, activation, schedule
//! family, …) get their clap `ValueEnum` here (`values.rs`), not in the domain.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod bench;
pub mod compare;
pub mod data;
pub mod ensemble;
pub mod evaluate;
pub mod feedback;
pub mod landscape;
pub mod limits;
pub mod model;
pub mod optimizer;
pub mod output;
pub mod schedule;
pub mod swa;
pub mod sweep;
pub mod training;
pub mod values;

pub use compare::CompareArgs;
pub use data::DataArgs;
pub use ensemble::{EnsembleArgs, FgeArgs, SnapshotEnsembleArgs};
pub use evaluate::{EvaluateArgs, PredictArgs};
pub use feedback::{EarlyStopArgs, MonitorArgs};
pub use landscape::LandscapeArgs;
pub use model::ModelArgs;
pub use optimizer::OptimArgs;
pub use output::OutputArgs;
pub use schedule::{ScheduleArgs, ScheduleCmdArgs};
pub use swa::SwaArgs;
pub use sweep::{FindLrArgs, SweepArgs};
pub use training::{ComputeArgs, RunArgs, TrainArgs};

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
    #[command(flatten)]
    pub limits: limits::LimitArgs,
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
    /// steepest descent, valley, minimum/10, slide, and their consensus. With --like fastai it
    /// prints fastai 2.8's valley, slide, minimum and steep instead, exactly as fastai's lr_find
    /// would compute them (see --like for every difference).
    ///
    /// Worked example: `lrtool find-lr --dataset digits --quiet` then `lrtool suggest
    /// runs/find-lr/steps.csv` prints the same suggestions (consensus 4.47e-3). For a CSV with
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
    Schedule(ScheduleCmdArgs),
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
    SnapshotEnsemble(SnapshotEnsembleArgs),
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
    Evaluate(EvaluateArgs),
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
    Predict(PredictArgs),
    /// Look at the loss landscape of trained models and measure how sharp a minimum is.
    ///
    /// A line: loss and accuracy (train and validation) along θ(α) = (1−α)·θA + α·θB for α from
    /// --alpha-min to --alpha-max, with the barrier (the highest loss on [0, 1] minus the mean of
    /// the ends); `--from init` starts at the run's initial weights. A surface: a --grid N × N
    /// grid around --model along two random directions, filter-normalised as in Li et al. (2018),
    /// seeded by --direction-seed. A plane: the grid through three models (--plane A B C).
    /// --sharpness: the largest eigenvalues of the training loss's Hessian (Lanczos on exact
    /// Hessian-vector products) and Keskar et al.'s ε-sharpness. Models and data load as in
    /// `lrtool evaluate`: give the dataset and --seed/--val-split of the training run. Writes
    /// line.csv/svg, surface.csv/svg or plane.csv/svg, summary.json and timing.json.
    /// See docs/landscape.md.
    ///
    /// Example: lrtool landscape --from init --to runs/train --dataset digits
    #[command(allow_negative_numbers = true)]
    Landscape(LandscapeArgs),
    /// Compare learning-rate schedules (or any flags) side by side: named arms × seeds, every arm
    /// of a seed from the same initial weights and data order, run in parallel; writes
    /// results.csv, report.md, summary.json and overlay plots. --shard I/N runs a part,
    /// --merge joins the parts (see docs/compare.md).
    ///
    /// Example: lrtool compare --dataset digits --optimizer sgd --momentum 0.9 --epochs 10 --arms "constant:lr=0.01;triangular2:min-lr=0.001,lr=0.006;sgdr:lr=0.05,t0=1,t-mult=2" --seeds 3 --target-acc 0.95
    #[command(allow_negative_numbers = true)]
    Compare(CompareArgs),
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
    Bench(bench::BenchArgs),
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
    pub shell: Shell,
}

/// The shells `lrtool completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write lrtool.1 and one lrtool-<command>.1 per subcommand into this folder instead of
    /// printing lrtool.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
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
    /// already smoothed) [default: 0.98; 0 with --like fastai].
    #[arg(long)]
    pub smooth: Option<f64>,
    /// Whose suggestion methods read the curve: lrtool's own (steepest, valley, minimum/10,
    /// slide, consensus) or fastai 2.8's (valley, slide, minimum, steep) [default: lrtool].
    #[arg(long, value_enum, value_name = "METHODS", long_help = LIKE_LONG_HELP)]
    pub like: Option<Like>,
    /// With --like fastai: the iterations requested from fastai's lr_find (its num_it). fastai
    /// trims num_it//10 points from the start of the recorded curve and 5 from the end before
    /// any method reads it [default: 100, fastai's].
    #[arg(long, value_name = "N")]
    pub num_it: Option<i64>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Whose suggestion methods `suggest --like` and `find-lr --like` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Like {
    /// lrtool's own methods and consensus (the default).
    Lrtool,
    /// fastai 2.8's lr_find suggestions, reproduced exactly.
    Fastai,
}

/// The long help of `suggest --like`: every difference between lrtool's methods and fastai's.
pub const LIKE_LONG_HELP: &str = "\
Whose suggestion methods read the curve [default: lrtool].

lrtool: lrtool's own methods (steepest, valley, minimum/10, slide) and their consensus, as find-lr \
reports them.

fastai: fastai 2.8's four lr_find answers (valley, slide, minimum, steep), reproduced exactly, \
instead of lrtool's; printed with the points fastai keeps. A method where fastai would raise \
prints \"not enough points (fastai would raise)\" (JSON: null and a reason). --smooth defaults \
to 0 here, because fastai records its smoothed loss; give --smooth 0.98 for a raw loss column.

How they differ:
  - points skipped: fastai drops num_it//10 points at the start (num_it = iterations requested, \
--num-it, even when the sweep stopped early) and the last 5 recorded; lrtool drops a tenth of \
the points it kept (n/10 of the finite points, not of the iterations requested) and the last 5, \
and uses a curve too short to trim whole.
  - NaN/inf: fastai trims first, then cuts at the first NaN and keeps infinite losses; lrtool \
cuts at the first non-finite loss (NaN or inf) before trimming.
  - arithmetic: fastai computes in float32, lrtool in f64.
  - steepest vs steep: lrtool's steepest is the point of the most negative central-difference \
slope against log10(lr) and has no answer without a descent; fastai's steep is the left point \
of the most negative forward difference against ln(lr) and answers on any curve of two points.
  - valley: lrtool's has no answer when no loss falls below an earlier one; fastai's returns the \
first point kept.
  - slide: lrtool shrinks its 15-point window on short curves; fastai raises below 16 points.
  - minimum: the same rule in both (lr at the lowest loss, divided by 10).
  - smoothing: lrtool smooths the loss column (--smooth 0.98) unless told it is smoothed; with \
--like fastai the column is taken as fastai's already-smoothed loss (--smooth 0).
  - too few points: lrtool's methods answer \"none\"; fastai raises (an empty curve, or fewer \
points than slide's 16 or steep's 2).";

#[derive(Debug, Args)]
pub struct DatasetsArgs {
    /// Print the list as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Whether `value` is one that the flag `arg` takes (its value parser accepts it): `Err` holds
/// clap's reason (": REASON" and/or " [possible values: …]") for a message.
pub fn check_value(arg: &clap::Arg, value: &str) -> Result<(), String> {
    let probe = clap::Command::new("lrtool").no_binary_name(true).arg(
        clap::Arg::new("value")
            .long("value")
            .value_parser(arg.get_value_parser().clone())
            .action(clap::ArgAction::Set),
    );
    let Err(e) = probe.try_get_matches_from([format!("--value={value}")]) else {
        return Ok(());
    };
    // clap words it "invalid value 'X' for '--value <value>': REASON", possible values below
    let msg = e.to_string();
    let reason = msg
        .lines()
        .next()
        .and_then(|l| l.split_once("': "))
        .map(|(_, r)| format!(": {r}"))
        .unwrap_or_default();
    let possible = msg
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("[possible values"))
        .map(|l| format!(" {l}"))
        .unwrap_or_default();
    Err(format!("{reason}{possible}"))
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

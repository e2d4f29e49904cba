//! Data flags (`--dataset`, `--labels`, `--target`, `--task`, …): where the data comes from and
//! how it is split.

use std::path::PathBuf;

use clap::Args;

use crate::data::Task;
use crate::data::csv::MissingMode;

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
    /// CSV feature columns: names, 1-based indices (counting every column, the target too) or
    /// ranges like 2-5, comma-separated; a name that is exactly a column's wins over an index
    /// [default: every column but the target].
    #[arg(long, value_name = "COLS")]
    pub features: Option<String>,
    /// CSV columns left out of the features (ids, leaks, notes), written like --features
    /// [default: none].
    #[arg(long, value_name = "COLS")]
    pub drop: Option<String>,
    /// What an empty CSV cell (or NA, N/A, NaN, null, ?) does: error (name its line and column),
    /// drop-rows (leave the row out), or mean (a number takes its column's training-split mean,
    /// a text cell no category) [default: error].
    #[arg(long, value_enum, value_name = "MODE")]
    pub missing: Option<MissingMode>,
    /// Most categories a CSV text column may have in the training split; text columns are
    /// one-hot encoded, one input per category [default: 100].
    #[arg(long, value_name = "N")]
    pub max_categories: Option<usize>,
    /// Number of samples of a synthetic dataset [default: 1000].
    #[arg(long)]
    pub samples: Option<usize>,
    /// Noise level of a synthetic dataset [default: the generator's own, see `lrtool datasets`].
    #[arg(long)]
    pub noise: Option<f64>,
    /// Fraction of the rows held out for validation (0 = none).
    #[arg(long, default_value_t = crate::data::DEFAULT_VAL_SPLIT)]
    pub val_split: f64,
    /// Keep file order: the last --val-split of the rows is validation, batches come in order.
    #[arg(long)]
    pub no_shuffle: bool,
}

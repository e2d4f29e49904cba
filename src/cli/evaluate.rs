//! `lrtool evaluate` and `lrtool predict` flags: saved models, the rows to score, where to write.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::DataArgs;

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A weights file written by lrtool (model.safetensors, snapshots/snapshot-k.safetensors);
    /// repeat the flag to evaluate several models and their ensemble. The activation and the
    /// input standardisation come from the file's metadata.
    #[arg(long = "model", value_name = "FILE", required = true)]
    pub models: Vec<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Rows to evaluate: val (the validation split), train (the training split), or all rows in
    /// dataset order. The split is drawn again exactly as in training when --seed, --val-split
    /// and --no-shuffle are those of the training run.
    #[arg(long, value_enum, default_value_t = SplitChoice::Val)]
    pub split: SplitChoice,
    /// The training run's --seed: it draws the split (and a synthetic dataset's samples).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Which rows `evaluate` scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitChoice {
    /// The validation split.
    Val,
    /// The training split.
    Train,
    /// Every row, in dataset order.
    All,
}

impl SplitChoice {
    pub fn name(self) -> &'static str {
        match self {
            SplitChoice::Val => "val",
            SplitChoice::Train => "train",
            SplitChoice::All => "all",
        }
    }
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A weights file written by lrtool; repeat the flag to predict with the ensemble of several
    /// (their probabilities averaged). Each model's stored standardisation is applied to the input.
    #[arg(long = "model", value_name = "FILE", required = true)]
    pub models: Vec<PathBuf>,
    /// CSV file (optionally gzipped) with a header row holding the model's feature columns by
    /// name, in any order; other columns, such as the target, are ignored.
    #[arg(long, value_name = "FILE.csv")]
    pub input: PathBuf,
    /// Write the predictions to this file instead of stdout: `row` (0-based data row of the
    /// input), `predicted` (the class name, or the value), and one `p_<class>` column per class.
    #[arg(long, value_name = "OUT.csv")]
    pub output: Option<PathBuf>,
    /// Print one JSON document on stdout instead of the CSV: the input, the models, the rows,
    /// the categories the model never saw (count per column, `unseen_categories`, and the rows
    /// holding any, `unseen_rows`) and, unless --output takes them, the predictions [default:
    /// off, the predictions as CSV].
    #[arg(long)]
    pub json: bool,
}

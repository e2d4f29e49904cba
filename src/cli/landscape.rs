//! `lrtool landscape` flags: the models (a line, a plane, a point), the grid, the sharpness
//! measure, and the data the models were trained on.

use std::path::PathBuf;

use clap::Args;

use super::{DataArgs, OutputArgs};
use crate::landscape::sharpness;

/// Points of a line [default of --points].
pub const DEFAULT_POINTS: usize = 41;
/// Points per side of a plane drawn with --plane.
pub const DEFAULT_PLANE_GRID: usize = 25;

#[derive(Debug, Args)]
pub struct LandscapeArgs {
    /// 1-D: the start of the line θ(α) = (1−α)·θA + α·θB: a weights file, a run folder (its
    /// model.safetensors), or `init`: the initial weights (init.safetensors) of the run that
    /// --to belongs to. Needs --to.
    #[arg(long, value_name = "FILE|DIR|init")]
    pub from: Option<PathBuf>,
    /// 1-D: the end of the line (α = 1): a weights file or a run folder. Needs --from.
    #[arg(long, value_name = "FILE|DIR")]
    pub to: Option<PathBuf>,
    /// 1-D: the first α of the line.
    #[arg(long, default_value_t = -0.5, allow_negative_numbers = true)]
    pub alpha_min: f64,
    /// 1-D: the last α of the line.
    #[arg(long, default_value_t = 1.5, allow_negative_numbers = true)]
    pub alpha_max: f64,
    /// 1-D: evenly spaced values of α from --alpha-min to --alpha-max (α = 0 and 1 are always
    /// added when inside the range).
    #[arg(long, default_value_t = DEFAULT_POINTS)]
    pub points: usize,
    /// 2-D and sharpness: the model at the centre (a weights file or a run folder). Give --grid
    /// for the surface around it, --sharpness for its Hessian eigenvalues and ε-sharpness, or
    /// both.
    #[arg(long, value_name = "FILE|DIR")]
    pub model: Option<PathBuf>,
    /// Points per side (odd, at least 3) of the 2-D grid around --model or over --plane
    /// [default: none with --model (no surface); 25 with --plane].
    #[arg(long, value_name = "N")]
    pub grid: Option<usize>,
    /// 2-D: the grid around --model covers −span … span along each filter-normalised direction
    /// (1 = one filter norm).
    #[arg(long, default_value_t = 1.0)]
    pub span: f64,
    /// Seeds the two random directions of a surface (the same seed gives the same directions)
    /// and the start vector of the Lanczos iteration of --sharpness.
    #[arg(long, default_value_t = 0)]
    pub direction_seed: u64,
    /// 2-D: the plane through three models (e.g. three snapshots), A at the origin, B along the
    /// first axis (Garipov et al. 2018).
    #[arg(long, num_args = 3, value_names = ["A", "B", "C"])]
    pub plane: Option<Vec<PathBuf>>,
    /// --plane: margin around the three models, as a fraction of the plane's extent on each
    /// side.
    #[arg(long, default_value_t = 0.2)]
    pub margin: f64,
    /// Measure the sharpness of --model on the training split: the largest Hessian eigenvalues
    /// of the training loss (Lanczos on exact Hessian-vector products) and Keskar et al.'s
    /// ε-sharpness [default: off].
    #[arg(long)]
    pub sharpness: bool,
    /// --sharpness: how many of the largest Hessian eigenvalues to report.
    #[arg(long, default_value_t = sharpness::DEFAULT_TOP_K)]
    pub top_k: usize,
    /// --sharpness: most Lanczos steps (Hessian-vector products); it stops earlier when the
    /// eigenvalues have converged to a relative residual of 1e-6.
    #[arg(long, default_value_t = sharpness::DEFAULT_LANCZOS_STEPS)]
    pub lanczos_steps: usize,
    /// --sharpness: ε of Keskar's ε-sharpness; the box is |y_i| ≤ ε·(|θ_i| + 1).
    #[arg(long, default_value_t = sharpness::DEFAULT_EPSILON)]
    pub epsilon: f64,
    /// --sharpness: steps of projected gradient ascent looking for the highest loss in the box.
    #[arg(long, default_value_t = sharpness::DEFAULT_ASCENT_STEPS)]
    pub ascent_steps: usize,
    #[command(flatten)]
    pub data: DataArgs,
    /// The training run's --seed: it draws the split (and a synthetic dataset's samples), as in
    /// `lrtool evaluate`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

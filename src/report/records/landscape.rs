//! `lrtool landscape`'s typed `summary.json` (a part of [`super`], in its own file).

use serde::{Deserialize, Serialize};

use super::Task;

/// `lrtool landscape`'s `summary.json`: one of `line`, `surface` or `plane`, and/or `sharpness`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeSummary {
    pub command: String,
    pub data: LandscapeData,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<LineFacts>,
    pub lrtool_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plane: Option<PlaneFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharpness: Option<SharpnessFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<SurfaceFacts>,
}

/// The data the landscape was evaluated on, drawn as `lrtool evaluate` draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeData {
    pub name: String,
    pub seed: u64,
    pub shuffle: bool,
    pub task: Task,
    pub train_rows: u64,
    pub val_rows: u64,
    pub val_split: f64,
}

/// Loss and metric of one set of weights on the training and validation splits (`null` where
/// not finite; the validation fields absent without a validation split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_acc: Option<f64>,
    pub train_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_r2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_acc: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_r2: Option<f64>,
}

/// The highest loss on α ∈ [0, 1] minus the mean of the ends, where it is, and the largest rise
/// above the chord between the ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarrierFacts {
    /// Largest rise above the straight line between the end losses (0 without a bump).
    pub above_linear: f64,
    pub alpha: f64,
    pub height: f64,
    pub max: f64,
}

/// `line`: θ(α) = (1 − α)·θA + α·θB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineFacts {
    pub alpha_max: f64,
    pub alpha_min: f64,
    /// At α = 1 (θB).
    pub end: PointFacts,
    pub from: String,
    /// Rows of line.csv.
    pub points: u64,
    /// At α = 0 (θA).
    pub start: PointFacts,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_barrier: Option<BarrierFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_barrier: Option<BarrierFacts>,
}

/// `surface`: a grid around one model along two filter-normalised random directions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurfaceFacts {
    pub centre: PointFacts,
    pub direction_seed: u64,
    pub grid: u64,
    pub max_train_loss: Option<f64>,
    pub min_train_loss: Option<f64>,
    pub model: String,
    pub span: f64,
}

/// `plane`: the plane through three models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaneFacts {
    /// Where A, B and C sit: `[x, y]` each.
    pub coordinates: Vec<[f64; 2]>,
    pub grid: u64,
    pub margin: f64,
    /// A, B and C evaluated themselves.
    pub model_points: Vec<PointFacts>,
    pub models: Vec<String>,
    pub x_range: [f64; 2],
    pub y_range: [f64; 2],
}

/// A compare run's sharpness (`compare --sharpness`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunSharpness {
    /// Keskar's ε-sharpness (ε = 1e-3), in percent.
    pub epsilon_sharpness: f64,
    /// The largest eigenvalue of the training loss's Hessian.
    pub top_eigenvalue: f64,
}

/// `sharpness`: of `model`, on the training split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharpnessFacts {
    pub model: String,
    #[serde(flatten)]
    pub measured: crate::landscape::sharpness::Sharpness,
}

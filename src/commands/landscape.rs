//! `lrtool landscape`: the loss and accuracy along a line between two models (with the barrier
//! between them), on a grid around one model along two filter-normalised random directions, or
//! on the plane through three models; and the sharpness of a model (top Hessian eigenvalues,
//! ε-sharpness). Models and data are loaded as `lrtool evaluate` loads them, so the ends of a
//! line and the centre of a grid give exactly `evaluate`'s numbers. Grid points are evaluated in
//! parallel on the rayon pool.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::json;

mod output;

use output::{csv_text, line_svg, report_text, short_name, surface_map};

use crate::cli::landscape::{DEFAULT_PLANE_GRID, LandscapeArgs};
use crate::commands::common::{self, json_text, metric_name, print_stdout};
use crate::commands::evaluate::{SavedModel, check_fits, load_model_as};
use crate::config::{DataConfig, OutputConfig};
use crate::data::{self, Dataset, Part, Standardizer, Task};
use crate::ensemble::{self, Metrics};
use crate::input_bail;
use crate::landscape::hessian::Data64;
use crate::landscape::{self, sharpness};
use crate::nn::Mlp;
use crate::output::Layout;
use crate::report::plot::heatmap::heatmap_svg;
use crate::report::records::{
    BarrierFacts, LandscapeData, LandscapeSummary, LineFacts, PlaneFacts, PointFacts,
    SharpnessFacts, SurfaceFacts, to_json_text,
};

/// What a run of `landscape` may write in its folder.
pub const OUTPUTS: [&str; 9] = [
    "line.csv",
    "line.svg",
    "surface.csv",
    "surface.svg",
    "plane.csv",
    "plane.svg",
    "summary.json",
    "timing.json",
    "report.html",
];

/// Most points per side of a 2-D grid.
const MAX_GRID: usize = 401;
/// Most points of a line.
const MAX_POINTS: usize = 100_000;

/// What the run draws (one per run: the variants' sizes do not matter).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Mode {
    Line {
        from: SavedModel,
        to: SavedModel,
    },
    Around {
        model: SavedModel,
        grid: Option<usize>,
    },
    Plane {
        models: Box<[SavedModel; 3]>,
        grid: usize,
        plane: Box<landscape::Plane>,
    },
}

/// Validated flags, loaded models and data: everything that can be refused has been.
#[derive(Debug)]
pub struct Planned {
    mode: Mode,
    args: LandscapeArgs,
    out: OutputConfig,
    data: DataConfig,
    dataset_name: String,
    task: Task,
    evaluator: Evaluator,
}

/// The two splits, standardised as the models' training data was.
#[derive(Debug)]
struct Evaluator {
    classify: bool,
    train: Part,
    val: Option<Part>,
}

/// One set of weights on both splits.
#[derive(Debug, Clone, Copy)]
struct Eval {
    train: Metrics,
    val: Option<Metrics>,
}

impl Evaluator {
    /// The same computation as `lrtool evaluate`: predictions then metrics, in one thread.
    fn eval(&self, model: &Mlp) -> anyhow::Result<Eval> {
        let one = |part: &Part| -> anyhow::Result<Metrics> {
            let p = ensemble::predict(model, part.x.view(), self.classify)?;
            ensemble::metrics(&p, part.targets())
        };
        Ok(Eval {
            train: one(&self.train)?,
            val: self.val.as_ref().map(one).transpose()?,
        })
    }

    /// Every model that `make(i)` builds, `count` of them, evaluated in parallel, in order.
    fn eval_all(
        &self,
        count: usize,
        make: impl Fn(usize) -> Mlp + Sync,
    ) -> anyhow::Result<Vec<Eval>> {
        (0..count)
            .into_par_iter()
            .map(|i| self.eval(&make(i)))
            .collect()
    }
}

pub fn run(args: LandscapeArgs) -> anyhow::Result<()> {
    execute(plan(args)?)
}

fn check_positive_count(flag: &str, value: usize, min: usize, max: usize) -> anyhow::Result<()> {
    if value < min || value > max {
        input_bail!("{flag} {value}: must be from {min} to {max}");
    }
    Ok(())
}

/// Check the flags, load the models and the data.
pub fn plan(args: LandscapeArgs) -> anyhow::Result<Planned> {
    let line = args.from.is_some() || args.to.is_some();
    let modes = [line, args.model.is_some(), args.plane.is_some()];
    match modes.iter().filter(|&&m| m).count() {
        0 => input_bail!(
            "give --from A --to B (a line), --model M with --grid N and/or --sharpness (a surface, a sharpness), or --plane A B C"
        ),
        1 => {}
        _ => input_bail!(
            "--from/--to, --model and --plane draw different things: give one of them per run"
        ),
    }
    if args.sharpness && args.model.is_none() {
        input_bail!("--sharpness: measures the model given with --model; give --model FILE");
    }
    if args.grid.is_some() && args.model.is_none() && args.plane.is_none() {
        input_bail!("--grid: draws a surface around --model or over --plane; give one of them");
    }
    if args.model.is_some() && args.grid.is_none() && !args.sharpness {
        input_bail!("--model: give --grid N (the surface around it), --sharpness, or both");
    }
    if line {
        check_positive_count("--points", args.points, 2, MAX_POINTS)?;
        if !(args.alpha_min.is_finite() && args.alpha_max.is_finite())
            || args.alpha_min >= args.alpha_max
        {
            input_bail!(
                "--alpha-min {} --alpha-max {}: must be finite, the first below the second",
                args.alpha_min,
                args.alpha_max
            );
        }
    }
    if let Some(g) = args.grid {
        check_positive_count("--grid", g, 3, MAX_GRID)?;
        if g % 2 == 0 {
            input_bail!("--grid {g}: must be odd, so that the model itself is the centre point");
        }
    }
    if !(args.span.is_finite() && args.span > 0.0) {
        input_bail!("--span {}: must be a positive number", args.span);
    }
    if !(args.margin.is_finite() && args.margin >= 0.0 && args.margin <= 10.0) {
        input_bail!("--margin {}: must be from 0 to 10", args.margin);
    }
    if args.sharpness {
        check_positive_count("--top-k", args.top_k, 1, 100)?;
        check_positive_count("--lanczos-steps", args.lanczos_steps, 1, 10_000)?;
        check_positive_count("--ascent-steps", args.ascent_steps, 1, 10_000)?;
        if !(args.epsilon.is_finite() && args.epsilon > 0.0 && args.epsilon <= 1.0) {
            input_bail!("--epsilon {}: must be above 0 and at most 1", args.epsilon);
        }
    }
    let data_cfg = DataConfig::from_args(&args.data)?;
    let out = OutputConfig::from_args(&args.output, "landscape");

    // the models, in the order the mode names them
    let loaded: Vec<SavedModel> = if let (Some(from), Some(to)) = (&args.from, &args.to) {
        let to = load_model_as(&resolve(to, "--to")?, "--to")?;
        let from_path = if from.as_os_str() == "init" && !from.exists() {
            init_beside(&to.path)?
        } else {
            resolve(from, "--from")?
        };
        vec![load_model_as(&from_path, "--from")?, to]
    } else if args.from.is_some() {
        input_bail!("--from: needs --to (the other end of the line)");
    } else if args.to.is_some() {
        input_bail!(
            "--to: needs --from (the other end of the line; `init` for the run's initial weights)"
        );
    } else if let Some(m) = &args.model {
        vec![load_model_as(&resolve(m, "--model")?, "--model")?]
    } else {
        let paths = args.plane.clone().unwrap_or_default();
        paths
            .iter()
            .map(|p| load_model_as(&resolve(p, "--plane")?, "--plane"))
            .collect::<anyhow::Result<_>>()?
    };
    for m in &loaded[1..] {
        let first = &loaded[0];
        if !landscape::same_shape(&first.model, &m.model) {
            input_bail!(
                "{}: layer sizes {:?} ({}) differ from those of {} ({:?}, {}); a landscape needs models of one shape",
                m.shown(),
                m.model.sizes(),
                m.model.activation.name(),
                first.shown(),
                first.model.sizes(),
                first.model.activation.name()
            );
        }
        if m.standardizer.is_some()
            && first.standardizer.is_some()
            && m.standardizer != first.standardizer
        {
            input_bail!(
                "{}: its stored feature standardisation differs from that of {} (trained on another split?); the models of a landscape must share their inputs",
                m.shown(),
                first.shown()
            );
        }
    }
    let mut loaded = loaded.into_iter();
    let mut next = || loaded.next().expect("loaded above");
    let mode = if args.from.is_some() {
        let from = next();
        Mode::Line { from, to: next() }
    } else if args.model.is_some() {
        Mode::Around {
            model: next(),
            grid: args.grid,
        }
    } else {
        let models = [next(), next(), next()];
        let Some(plane) = landscape::plane(&models[0].model, &models[1].model, &models[2].model)
        else {
            input_bail!(
                "--plane: the three models lie on one line (or two are equal); they span no plane"
            );
        };
        Mode::Plane {
            models: Box::new(models),
            grid: args.grid.unwrap_or(DEFAULT_PLANE_GRID),
            plane: Box::new(plane),
        }
    };
    let models: Vec<&SavedModel> = match &mode {
        Mode::Line { from, to } => vec![from, to],
        Mode::Around { model, .. } => vec![model],
        Mode::Plane { models, .. } => models.iter().collect(),
    };

    let dataset = data::source::load(&data_cfg.spec(args.seed))?;
    for m in &models {
        check_fits(m, &dataset)?;
    }
    let evaluator = evaluator(&dataset, &data_cfg, args.seed, models[0])?;
    let mut estimate = memory_estimate(&mode, &evaluator, args.sharpness, args.lanczos_steps);
    estimate.add(
        "the data",
        dataset.n_samples() as u128 * (dataset.n_features() as u128 + 1) * 4,
    );
    estimate.check_with(
        "this landscape",
        "give a smaller model, fewer --lanczos-steps or a smaller --dataset, or raise the limit \
         with --max-memory-mb",
    )?;
    Ok(Planned {
        dataset_name: dataset.name.clone(),
        task: dataset.task(),
        mode,
        args,
        out,
        data: data_cfg,
        evaluator,
    })
}

/// The memory of a landscape beyond the loaded data: the models, the standardised splits, one
/// model and its predictions per thread evaluating the line or grid (and the directions of a
/// surface), and for `--sharpness` the f64 copies of the weights and rows, the per-chunk
/// gradient and Hessian-vector sums, the Lanczos basis (one f64 vector per step, kept for full
/// reorthogonalisation) and its tridiagonal matrix with Jacobi's two square matrices.
fn memory_estimate(
    mode: &Mode,
    evaluator: &Evaluator,
    sharpness: bool,
    lanczos_steps: usize,
) -> crate::limits::memory::Estimate {
    use crate::limits::memory;
    let (models, grid): (Vec<&SavedModel>, bool) = match mode {
        Mode::Line { from, to } => (vec![from, to], true),
        Mode::Around { model, grid } => (vec![model], grid.is_some()),
        Mode::Plane { models, .. } => (models.iter().collect(), true),
    };
    let sizes = models[0].model.sizes();
    let params = memory::parameters(&sizes);
    let model = memory::model_bytes(&sizes);
    let rows = (evaluator.train.len() + evaluator.val.as_ref().map_or(0, Part::len)) as u128;
    let features = sizes[0] as u128;
    let outputs = *sizes.last().expect("sizes") as u128;
    let threads = rayon::current_num_threads() as u128;
    let mut e = memory::Estimate::new();
    e.add("models", model * models.len() as u128);
    e.add("standardised splits", rows * (features + 1) * 4);
    if grid {
        e.add("directions", model * 3);
        e.add(
            "evaluations side by side",
            threads
                * (model
                    + rows * outputs * 8
                    + memory::workspace_bytes(&sizes, crate::ensemble::CHUNK_ROWS)),
        );
    }
    if sharpness {
        let train = evaluator.train.len() as u128;
        let chunks = train.div_ceil(256).max(1);
        let steps = (lanczos_steps as u128).min(params) + 1;
        let widths: u128 = sizes[1..].iter().map(|&w| w as u128).sum();
        e.add(
            "f64 weights and rows",
            params * 8 * 6 + train * (features + 1) * 8,
        );
        e.add("chunk sums", chunks * params * 8 * 2);
        e.add("chunk activations", threads * 256 * widths * 8 * 6);
        e.add("Lanczos basis", steps.saturating_mul(params) * 8);
        e.add("Lanczos matrices", steps.saturating_mul(steps) * 8 * 3);
    }
    e
}

/// A run folder stands for its `model.safetensors`.
fn resolve(path: &Path, flag: &str) -> anyhow::Result<PathBuf> {
    if path.is_dir() {
        let inside = path.join("model.safetensors");
        if !inside.is_file() {
            input_bail!(
                "{flag} {}: a folder without model.safetensors; give a weights file or an lrtool run folder",
                path.display()
            );
        }
        return Ok(inside);
    }
    Ok(path.to_path_buf())
}

/// `--from init`: the `init.safetensors` of the run that `to` belongs to (its folder, or the
/// folder above for a snapshot).
fn init_beside(to: &Path) -> anyhow::Result<PathBuf> {
    let folder = to.parent().unwrap_or(Path::new("."));
    let candidates = [
        folder.join("init.safetensors"),
        folder
            .parent()
            .unwrap_or(Path::new("."))
            .join("init.safetensors"),
    ];
    match candidates.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => input_bail!(
            "--from init: no init.safetensors beside --to {} (runs of lrtool before it saved initial weights have none; train again, or give a weights file)",
            to.display()
        ),
    }
}

/// The splits as `evaluate` draws them, standardised with the model's stored statistics (or,
/// as `evaluate` does for files without them, the training split's).
fn evaluator(
    dataset: &Dataset,
    cfg: &DataConfig,
    seed: u64,
    model: &SavedModel,
) -> anyhow::Result<Evaluator> {
    let (train_rows, val_rows) = data::split_rows(dataset, cfg.val_split, cfg.shuffle, seed)?;
    if train_rows.is_empty() {
        input_bail!("--dataset {}: the training split is empty", dataset.name);
    }
    let train = data::select_rows(dataset, &train_rows);
    let fallback = model
        .standardizer
        .is_none()
        .then(|| Standardizer::fit(train.x.view()));
    let standardised = |part: Part| Part {
        x: model.inputs(&part.x, fallback.as_ref()),
        y: part.y,
    };
    let val = (!val_rows.is_empty()).then(|| standardised(data::select_rows(dataset, &val_rows)));
    Ok(Evaluator {
        classify: dataset.task() == Task::Classify,
        train: standardised(train),
        val,
    })
}

/// The sharpness of the weights file `model` on the training split of `data` drawn with `seed`,
/// standardised as the model was trained, exactly as `lrtool landscape --model FILE
/// --sharpness` measures it (for `lrtool compare --sharpness`).
pub fn sharpness_of(
    model: &Path,
    data: &DataConfig,
    seed: u64,
    settings: &sharpness::Settings,
) -> anyhow::Result<sharpness::Sharpness> {
    let saved = load_model_as(model, "--model")?;
    let dataset = data::source::load(&data.spec(seed))?;
    check_fits(&saved, &dataset)?;
    let evaluator = evaluator(&dataset, data, seed, &saved)?;
    let rows = Data64::new(evaluator.train.x.view(), evaluator.train.targets());
    Ok(sharpness::measure(&saved.model, &rows, settings))
}

/// Run what was planned: compute, then write the folder and print the report.
pub fn execute(planned: Planned) -> anyhow::Result<()> {
    let Planned {
        mode,
        args,
        out: out_cfg,
        data: data_cfg,
        dataset_name,
        task,
        evaluator,
    } = planned;
    let mut inputs = crate::commands::common::run_inputs(&data_cfg, None);
    match &mode {
        Mode::Line { from, to } => {
            inputs.push((from.flag, from.path.clone()));
            inputs.push((to.flag, to.path.clone()));
        }
        Mode::Around { model, .. } => inputs.push((model.flag, model.path.clone())),
        Mode::Plane { models, .. } => {
            inputs.extend(models.iter().map(|m| (m.flag, m.path.clone())));
        }
    }
    crate::output::check_inputs_kept(&out_cfg.out, &inputs)?;
    // no Ctrl-C handler: a landscape has no partial result worth keeping, so the signal's
    // default ends it at once (its files are written whole or not at all)
    let mut out = common::out_dir(&out_cfg, "landscape", Layout::outputs(&OUTPUTS))?;
    let metric = metric_name(task);
    let mut summary = LandscapeSummary {
        command: "landscape".into(),
        data: LandscapeData {
            name: dataset_name,
            seed: args.seed,
            shuffle: data_cfg.shuffle,
            task: match task {
                Task::Classify => crate::report::records::Task::Classify,
                Task::Regress => crate::report::records::Task::Regress,
            },
            train_rows: evaluator.train.len() as u64,
            val_rows: evaluator.val.as_ref().map_or(0, Part::len) as u64,
            val_split: data_cfg.val_split,
        },
        line: None,
        lrtool_version: env!("CARGO_PKG_VERSION").into(),
        plane: None,
        sharpness: None,
        surface: None,
    };
    let mut timing = serde_json::Map::new();
    timing.insert("threads".into(), json!(rayon::current_num_threads()));
    let mut files: Vec<&str> = Vec::new();
    match &mode {
        Mode::Line { from, to } => {
            let started = Instant::now();
            let alphas = landscape::alphas(args.alpha_min, args.alpha_max, args.points);
            let evals = evaluator.eval_all(alphas.len(), |i| {
                landscape::interpolate(&from.model, &to.model, alphas[i])
            })?;
            timing.insert(
                "line_seconds".into(),
                json!(started.elapsed().as_secs_f64()),
            );
            let rows: Vec<(Vec<f64>, Eval)> = alphas.iter().map(|&a| vec![a]).zip(evals).collect();
            out.write_atomic("line.csv", csv_text(&["alpha"], metric, &rows).as_bytes())?;
            out.write_atomic("line.svg", line_svg(&alphas, &rows, metric)?.as_bytes())?;
            files.extend(["line.csv", "line.svg"]);
            let at = |a: f64| rows.iter().find(|r| r.0[0] == a).map(|r| r.1);
            let barrier = |f: &dyn Fn(&Eval) -> Option<f64>| {
                let pts: Vec<(f64, f64)> = rows
                    .iter()
                    .filter_map(|(c, e)| f(e).map(|v| (c[0], v)))
                    .collect();
                landscape::barrier(&pts).map(|b| BarrierFacts {
                    above_linear: b.above_linear,
                    alpha: b.alpha,
                    height: b.height,
                    max: b.max,
                })
            };
            let ends = [0.0, 1.0].map(|a| {
                at(a).map_or_else(
                    || evaluator.eval(if a == 0.0 { &from.model } else { &to.model }),
                    Ok,
                )
            });
            let [start, end] = ends;
            summary.line = Some(LineFacts {
                alpha_max: args.alpha_max,
                alpha_min: args.alpha_min,
                end: point_facts(&end?, task),
                from: from.path.display().to_string(),
                points: rows.len() as u64,
                start: point_facts(&start?, task),
                to: to.path.display().to_string(),
                train_barrier: barrier(&|e| Some(e.train.loss)),
                val_barrier: barrier(&|e| e.val.map(|v| v.loss)),
            });
        }
        Mode::Around { model, grid } => {
            if let Some(n) = *grid {
                let started = Instant::now();
                let [d1, d2] =
                    landscape::filter_normalised_directions(&model.model, args.direction_seed);
                let axis = landscape::symmetric_axis(args.span, n);
                let coords: Vec<(f64, f64)> = axis
                    .iter()
                    .flat_map(|&y| axis.iter().map(move |&x| (x, y)))
                    .collect();
                let evals = evaluator.eval_all(coords.len(), |i| {
                    landscape::displaced(&model.model, &[(coords[i].0, &d1), (coords[i].1, &d2)])
                })?;
                timing.insert(
                    "surface_seconds".into(),
                    json!(started.elapsed().as_secs_f64()),
                );
                timing.insert("surface_points".into(), json!(coords.len()));
                let rows: Vec<(Vec<f64>, Eval)> =
                    coords.iter().map(|&(x, y)| vec![x, y]).zip(evals).collect();
                out.write_atomic(
                    "surface.csv",
                    csv_text(&["x", "y"], metric, &rows).as_bytes(),
                )?;
                let map = surface_map(
                    format!("Training loss around {}", short_name(&model.path)),
                    "direction 1 (filter-normalised)",
                    "direction 2 (filter-normalised)",
                    &axis,
                    &axis,
                    &rows,
                    vec![("model".into(), 0.0, 0.0)],
                );
                out.write_atomic("surface.svg", heatmap_svg(&map, 720, 600)?.as_bytes())?;
                files.extend(["surface.csv", "surface.svg"]);
                let centre = rows[coords.len() / 2].1;
                let finite: Vec<f64> = rows
                    .iter()
                    .map(|r| r.1.train.loss)
                    .filter(|v| v.is_finite())
                    .collect();
                summary.surface = Some(SurfaceFacts {
                    centre: point_facts(&centre, task),
                    direction_seed: args.direction_seed,
                    grid: n as u64,
                    max_train_loss: finite.iter().copied().reduce(f64::max),
                    min_train_loss: finite.iter().copied().reduce(f64::min),
                    model: model.path.display().to_string(),
                    span: args.span,
                });
            }
            if args.sharpness {
                let started = Instant::now();
                let data = Data64::new(evaluator.train.x.view(), evaluator.train.targets());
                let settings = sharpness::Settings {
                    top_k: args.top_k,
                    lanczos_steps: args.lanczos_steps,
                    tolerance: sharpness::DEFAULT_TOLERANCE,
                    epsilon: args.epsilon,
                    ascent_steps: args.ascent_steps,
                    seed: args.direction_seed,
                };
                let measured = sharpness::measure(&model.model, &data, &settings);
                timing.insert(
                    "sharpness_seconds".into(),
                    json!(started.elapsed().as_secs_f64()),
                );
                summary.sharpness = Some(SharpnessFacts {
                    model: model.path.display().to_string(),
                    measured,
                });
            }
        }
        Mode::Plane {
            models,
            grid,
            plane,
        } => {
            let started = Instant::now();
            let a = &models[0];
            let (xr, yr) = plane_ranges(&plane.points, args.margin);
            let n = *grid;
            let xs: Vec<f64> = (0..n)
                .map(|i| xr.0 + (xr.1 - xr.0) * i as f64 / (n - 1) as f64)
                .collect();
            let ys: Vec<f64> = (0..n)
                .map(|i| yr.0 + (yr.1 - yr.0) * i as f64 / (n - 1) as f64)
                .collect();
            let coords: Vec<(f64, f64)> = ys
                .iter()
                .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
                .collect();
            let evals = evaluator.eval_all(coords.len(), |i| {
                landscape::displaced(
                    &a.model,
                    &[(coords[i].0, &plane.u), (coords[i].1, &plane.v)],
                )
            })?;
            let at_models = models
                .iter()
                .map(|m| evaluator.eval(&m.model))
                .collect::<anyhow::Result<Vec<_>>>()?;
            timing.insert(
                "plane_seconds".into(),
                json!(started.elapsed().as_secs_f64()),
            );
            let rows: Vec<(Vec<f64>, Eval)> =
                coords.iter().map(|&(x, y)| vec![x, y]).zip(evals).collect();
            out.write_atomic("plane.csv", csv_text(&["x", "y"], metric, &rows).as_bytes())?;
            let marks = ["A", "B", "C"]
                .iter()
                .zip(plane.points)
                .map(|(l, (x, y))| (l.to_string(), x, y))
                .collect();
            let map = surface_map(
                "Training loss on the plane through A, B, C".into(),
                "along B − A",
                "along C − A, orthogonal part",
                &xs,
                &ys,
                &rows,
                marks,
            );
            out.write_atomic("plane.svg", heatmap_svg(&map, 720, 600)?.as_bytes())?;
            files.extend(["plane.csv", "plane.svg"]);
            summary.plane = Some(PlaneFacts {
                coordinates: plane.points.iter().map(|&(x, y)| [x, y]).collect(),
                grid: n as u64,
                margin: args.margin,
                model_points: at_models.iter().map(|e| point_facts(e, task)).collect(),
                models: models
                    .iter()
                    .map(|m| m.path.display().to_string())
                    .collect(),
                x_range: [xr.0, xr.1],
                y_range: [yr.0, yr.1],
            });
        }
    }
    out.write_atomic("summary.json", to_json_text(&summary)?.as_bytes())?;
    out.write_atomic(
        "timing.json",
        json_text(&serde_json::Value::Object(timing)).as_bytes(),
    )?;
    files.extend(["summary.json", "timing.json"]);
    if out_cfg.report {
        crate::report::html::write(&mut out)?;
        files.push(crate::report::html::FILE);
    }
    if out_cfg.json {
        print_stdout(&common::json_with_folder(
            &serde_json::to_value(&summary)?,
            out.path(),
        ))
    } else if out_cfg.quiet {
        Ok(())
    } else {
        print_stdout(&report_text(&summary, metric, out.path(), &out.written()))
    }
}

/// The plane's drawn ranges: the three models' bounding box with `margin` of its size on every
/// side.
fn plane_ranges(points: &[(f64, f64); 3], margin: f64) -> ((f64, f64), (f64, f64)) {
    let range = |f: fn(&(f64, f64)) -> f64| {
        let lo = points.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = points.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        let pad = margin * (hi - lo);
        (lo - pad, hi + pad)
    };
    (range(|p| p.0), range(|p| p.1))
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn point_facts(e: &Eval, task: Task) -> PointFacts {
    let classify = task == Task::Classify;
    let split = |m: Option<Metrics>| {
        m.map_or((None, None), |m| {
            if classify {
                (finite(m.metric), None)
            } else {
                (None, finite(m.metric))
            }
        })
    };
    let (train_acc, train_r2) = split(Some(e.train));
    let (val_acc, val_r2) = split(e.val);
    PointFacts {
        train_acc,
        train_loss: finite(e.train.loss),
        train_r2,
        val_acc,
        val_loss: e.val.and_then(|v| finite(v.loss)),
        val_r2,
    }
}

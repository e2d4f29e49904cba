//! Synthetic datasets (moons, circles, spirals, xor, blobs, sine) generated from a seed.
//!
//! The formulas follow scikit-learn (`make_moons`, `make_circles`, `make_blobs`), the CS231n
//! spiral and the TensorFlow Playground XOR; the random streams are ChaCha8, so the samples
//! differ from numpy's but the same seed always gives the same data. Samples are shuffled with
//! the same generator.

use std::f64::consts::PI;

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::{Dataset, Target};

/// The synthetic datasets: (name, one-line description including the default noise).
pub const SYNTHETIC: &[(&str, &str)] = &[
    (
        "moons",
        "two interleaving half circles, 2 features, 2 classes (scikit-learn make_moons); noise = \
         std of added Gaussian noise, default 0.2",
    ),
    (
        "circles",
        "a circle inside another (radius factor 0.5), 2 features, 2 classes (scikit-learn \
         make_circles); noise = std of added Gaussian noise, default 0.1",
    ),
    (
        "spirals",
        "three interleaved spiral arms, 2 features, 3 classes (CS231n); noise = std of the \
         angle noise, default 0.2",
    ),
    (
        "xor",
        "points in the four quadrants of [-5.3, 5.3]², labelled by the sign of x·y, 2 features, \
         2 classes (TensorFlow Playground); noise = label noise scale, default 0",
    ),
    (
        "blobs",
        "three Gaussian clusters with centres drawn in [-10, 10]², 2 features, 3 classes \
         (scikit-learn make_blobs); cluster std = 1 + noise, default noise 0 (std 1)",
    ),
    (
        "sine",
        "regression y = sin(x) + Gaussian noise, x uniform in [-π, π], 1 feature; noise = std \
         of the target noise, default 0.1",
    ),
];

/// The most samples a generator accepts (a typo like `--samples 1000000000` must not exhaust
/// memory).
pub const MAX_SAMPLES: usize = 10_000_000;

/// Generates the synthetic dataset `name` with `samples` rows from `seed`; `noise` = `None` uses
/// the generator's default (see [`SYNTHETIC`]).
///
/// Classes are balanced (each class gets `samples / K` points, the first `samples % K` classes
/// one more) and the rows are shuffled. `samples` must be at least twice the number of classes
/// and `noise` finite and non-negative; otherwise an `InputError` names `--samples` or `--noise`.
/// An unknown name is an `InputError` listing the synthetic datasets.
pub fn generate(
    name: &str,
    samples: usize,
    noise: Option<f64>,
    seed: u64,
) -> anyhow::Result<Dataset> {
    let (default_noise, n_classes) = match name {
        "moons" => (0.2, 2),
        "circles" => (0.1, 2),
        "spirals" => (0.2, 3),
        "xor" => (0.0, 2),
        "blobs" => (0.0, 3),
        "sine" => (0.1, 0),
        _ => crate::input_bail!(
            "\"{name}\" is not a synthetic dataset; the synthetic datasets are {}",
            names()
        ),
    };
    let noise = noise.unwrap_or(default_noise);
    if !noise.is_finite() || noise < 0.0 {
        crate::input_bail!("--noise {noise}: the noise must be a finite number ≥ 0");
    }
    let min_samples = 2 * n_classes.max(1);
    if samples < min_samples {
        crate::input_bail!(
            "--samples {samples}: {name} needs at least {min_samples} samples (2 per class)"
        );
    }
    if samples > MAX_SAMPLES {
        crate::input_bail!(
            "--samples {samples}: at most {MAX_SAMPLES} synthetic samples can be generated"
        );
    }

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (points, y, feature_names) = match name {
        "moons" => classes(moons(samples, noise, &mut rng), 2),
        "circles" => classes(circles(samples, noise, &mut rng), 2),
        "spirals" => classes(spirals(samples, noise, &mut rng), 3),
        "xor" => classes(xor(samples, noise, &mut rng), 2),
        "blobs" => classes(blobs(samples, noise, &mut rng), 3),
        _ => sine(samples, noise, &mut rng),
    };

    // Shuffle the rows with the same generator.
    let mut order: Vec<usize> = (0..samples).collect();
    order.shuffle(&mut rng);
    let d = feature_names.len();
    let x: Vec<f32> = order
        .iter()
        .flat_map(|&i| points[i * d..(i + 1) * d].iter().map(|&v| v as f32))
        .collect();
    let y = match y {
        Target::Classes { labels, names } => Target::Classes {
            labels: order.iter().map(|&i| labels[i]).collect(),
            names,
        },
        Target::Values(values) => Target::Values(order.iter().map(|&i| values[i]).collect()),
    };
    Ok(Dataset {
        name: name.to_owned(),
        x: Array2::from_shape_vec((samples, d), x)?,
        y,
        feature_names,
        encoding: None,
    })
}

/// The synthetic names, comma-separated, for messages.
pub(crate) fn names() -> String {
    SYNTHETIC
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Row-major 2-D points (`[x0, y0, x1, y1, …]`) and their class labels.
type Labelled = (Vec<f64>, Vec<u32>);

/// Wraps 2-D labelled points as (points, classification target, feature names).
fn classes((points, labels): Labelled, k: usize) -> (Vec<f64>, Target, Vec<String>) {
    let names = (0..k).map(|c| c.to_string()).collect();
    let features = vec!["x1".to_owned(), "x2".to_owned()];
    (points, Target::Classes { labels, names }, features)
}

/// How many of `n` samples class `c` of `k` gets: `n / k`, plus one for the first `n % k`.
fn class_size(n: usize, k: usize, c: usize) -> usize {
    n / k + usize::from(c < n % k)
}

/// numpy's `linspace(start, end, count)` (with the end point; `[start]` when `count` is 1).
fn linspace(start: f64, end: f64, count: usize) -> impl Iterator<Item = f64> {
    let step = if count > 1 {
        (end - start) / (count - 1) as f64
    } else {
        0.0
    };
    (0..count).map(move |i| start + step * i as f64)
}

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

/// make_moons: outer moon `(cos t, sin t)` (class 0) and inner moon `(1 − cos t, 0.5 − sin t)`
/// (class 1), `t` evenly spaced in `[0, π]`, plus `N(0, noise²)` per coordinate.
fn moons(n: usize, noise: f64, rng: &mut ChaCha8Rng) -> Labelled {
    let n_out = n / 2;
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for t in linspace(0.0, PI, n_out) {
        points.extend([t.cos(), t.sin()]);
        labels.push(0);
    }
    for t in linspace(0.0, PI, n - n_out) {
        points.extend([1.0 - t.cos(), 0.5 - t.sin()]);
        labels.push(1);
    }
    for v in &mut points {
        *v += noise * gauss(rng);
    }
    (points, labels)
}

/// make_circles with factor 0.5: outer circle of radius 1 (class 0) and inner circle of radius
/// 0.5 (class 1), angles evenly spaced in `[0, 2π)`, plus `N(0, noise²)` per coordinate.
fn circles(n: usize, noise: f64, rng: &mut ChaCha8Rng) -> Labelled {
    const FACTOR: f64 = 0.5;
    let n_out = n / 2;
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for (label, count, radius) in [(0, n_out, 1.0), (1, n - n_out, FACTOR)] {
        for i in 0..count {
            let t = 2.0 * PI * i as f64 / count as f64;
            points.extend([radius * t.cos(), radius * t.sin()]);
            labels.push(label);
        }
    }
    for v in &mut points {
        *v += noise * gauss(rng);
    }
    (points, labels)
}

/// CS231n spiral, 3 arms: for class `j`, `r` evenly spaced in `[0, 1]`, angle `t` evenly spaced
/// in `[4j, 4(j+1)]` plus `N(0, noise²)`, point `(r sin t, r cos t)`.
fn spirals(n: usize, noise: f64, rng: &mut ChaCha8Rng) -> Labelled {
    const K: usize = 3;
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for j in 0..K {
        let m = class_size(n, K, j);
        let start = 4.0 * j as f64;
        for (r, t) in linspace(0.0, 1.0, m).zip(linspace(start, start + 4.0, m)) {
            let t = t + noise * gauss(rng);
            points.extend([r * t.sin(), r * t.cos()]);
            labels.push(j as u32);
        }
    }
    (points, labels)
}

/// TensorFlow Playground XOR: coordinates uniform in `(−5, 5)`, pushed 0.3 away from zero, label
/// 1 when `(x + nx)(y + ny) < 0` with `nx, ny ~ U(−5, 5)·noise`, else 0. The points are spread
/// evenly over the four quadrants, so with no noise the classes are balanced.
fn xor(n: usize, noise: f64, rng: &mut ChaCha8Rng) -> Labelled {
    const PADDING: f64 = 0.3;
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        // Quadrants in the order (+,+), (+,−), (−,−), (−,+): classes 0, 1, 0, 1.
        let (sx, sy) = [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)][i % 4];
        let x = sx * (rng.random_range(0.0..5.0) + PADDING);
        let y = sy * (rng.random_range(0.0..5.0) + PADDING);
        let nx = rng.random_range(-5.0..5.0) * noise;
        let ny = rng.random_range(-5.0..5.0) * noise;
        points.extend([x, y]);
        labels.push(u32::from((x + nx) * (y + ny) < 0.0));
    }
    (points, labels)
}

/// make_blobs with 3 centres drawn uniformly in `[−10, 10]²` and cluster std `1 + noise`.
fn blobs(n: usize, noise: f64, rng: &mut ChaCha8Rng) -> Labelled {
    const K: usize = 3;
    let std = 1.0 + noise;
    let centres: Vec<[f64; 2]> = (0..K)
        .map(|_| [rng.random_range(-10.0..10.0), rng.random_range(-10.0..10.0)])
        .collect();
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for (j, [cx, cy]) in centres.iter().enumerate() {
        for _ in 0..class_size(n, K, j) {
            points.extend([cx + std * gauss(rng), cy + std * gauss(rng)]);
            labels.push(j as u32);
        }
    }
    (points, labels)
}

/// Sine regression: `x ~ U(−π, π)`, `y = sin x + N(0, noise²)`.
fn sine(n: usize, noise: f64, rng: &mut ChaCha8Rng) -> (Vec<f64>, Target, Vec<String>) {
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let x: f64 = rng.random_range(-PI..PI);
        xs.push(x);
        ys.push((x.sin() + noise * gauss(rng)) as f32);
    }
    (xs, Target::Values(ys), vec!["x".to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Task;
    use crate::error::is_input_error;

    fn counts(ds: &Dataset) -> Vec<usize> {
        let Target::Classes { labels, names } = &ds.y else {
            panic!("expected classes")
        };
        let mut c = vec![0; names.len()];
        for &l in labels {
            c[l as usize] += 1;
        }
        c
    }

    #[test]
    fn every_listed_generator_works_with_defaults() {
        for (name, description) in SYNTHETIC {
            assert!(!description.is_empty());
            let ds = generate(name, 100, None, 1).unwrap();
            assert_eq!(&ds.name, name);
            assert_eq!(ds.n_samples(), 100);
            assert_eq!(ds.n_features(), ds.feature_names.len());
            assert!(ds.x.iter().all(|v| v.is_finite()), "{name}");
        }
    }

    #[test]
    fn shapes_and_tasks() {
        for (name, d, k) in [
            ("moons", 2, 2),
            ("circles", 2, 2),
            ("spirals", 2, 3),
            ("xor", 2, 2),
            ("blobs", 2, 3),
            ("sine", 1, 0),
        ] {
            let ds = generate(name, 301, None, 7).unwrap();
            assert_eq!(ds.x.shape(), &[301, d], "{name}");
            assert_eq!(ds.n_classes(), k, "{name}");
            let task = if k == 0 {
                Task::Regress
            } else {
                Task::Classify
            };
            assert_eq!(ds.task(), task, "{name}");
        }
    }

    #[test]
    fn classes_are_balanced() {
        assert_eq!(counts(&generate("moons", 101, None, 0).unwrap()), [50, 51]);
        assert_eq!(
            counts(&generate("circles", 100, None, 0).unwrap()),
            [50, 50]
        );
        assert_eq!(
            counts(&generate("spirals", 302, None, 0).unwrap()),
            [101, 101, 100]
        );
        assert_eq!(
            counts(&generate("blobs", 300, Some(2.0), 0).unwrap()),
            [100, 100, 100]
        );
        // Noise-free XOR: one quadrant in four per class.
        assert_eq!(counts(&generate("xor", 400, None, 0).unwrap()), [200, 200]);
    }

    #[test]
    fn rows_are_shuffled() {
        let ds = generate("moons", 200, None, 3).unwrap();
        let Target::Classes { labels, .. } = &ds.y else {
            panic!()
        };
        assert!(labels[..100].contains(&1) && labels[100..].contains(&0));
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        for (name, _) in SYNTHETIC {
            let a = generate(name, 200, None, 42).unwrap();
            let b = generate(name, 200, None, 42).unwrap();
            let c = generate(name, 200, None, 43).unwrap();
            assert_eq!(a.x, b.x, "{name}");
            assert_eq!(a.y, b.y, "{name}");
            assert_ne!(a.x, c.x, "{name}");
        }
    }

    #[test]
    fn noise_free_shapes_follow_the_formulas() {
        let ds = generate("circles", 40, Some(0.0), 0).unwrap();
        let Target::Classes { labels, .. } = &ds.y else {
            panic!()
        };
        for (row, &l) in ds.x.rows().into_iter().zip(labels) {
            let r = (row[0] * row[0] + row[1] * row[1]).sqrt();
            let expected = if l == 0 { 1.0 } else { 0.5 };
            assert!((r - expected).abs() < 1e-5, "r = {r}, label {l}");
        }
        let ds = generate("sine", 50, Some(0.0), 0).unwrap();
        let Target::Values(y) = &ds.y else { panic!() };
        for (x, y) in ds.x.column(0).iter().zip(y) {
            assert!(x.abs() <= std::f32::consts::PI);
            assert!((x.sin() - y).abs() < 1e-5);
        }
        let ds = generate("xor", 80, None, 5).unwrap();
        let Target::Classes { labels, .. } = &ds.y else {
            panic!()
        };
        for (row, &l) in ds.x.rows().into_iter().zip(labels) {
            assert!(row[0].abs() >= 0.3 && row[1].abs() >= 0.3);
            assert_eq!(l == 1, row[0] * row[1] < 0.0);
        }
    }

    #[test]
    fn noise_changes_the_spread() {
        let spread = |noise| {
            let ds = generate("moons", 1000, Some(noise), 9).unwrap();
            ds.x.column(1).iter().map(|v| v * v).sum::<f32>()
        };
        assert!(spread(1.0) > 2.0 * spread(0.0));
    }

    #[test]
    fn noise_is_validated() {
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            let err = generate("moons", 100, Some(bad), 0).unwrap_err();
            assert!(is_input_error(&err));
            assert!(err.to_string().starts_with("--noise"), "{err}");
        }
        assert!(generate("moons", 100, Some(0.0), 0).is_ok());
    }

    #[test]
    fn samples_are_validated() {
        let err = generate("spirals", 5, None, 0).unwrap_err();
        assert!(is_input_error(&err));
        assert_eq!(
            err.to_string(),
            "--samples 5: spirals needs at least 6 samples (2 per class)"
        );
        assert!(generate("spirals", 6, None, 0).is_ok());
        assert!(generate("moons", 3, None, 0).is_err());
        assert!(generate("sine", 1, None, 0).is_err());
        let err = generate("moons", MAX_SAMPLES + 1, None, 0).unwrap_err();
        assert!(is_input_error(&err) && err.to_string().starts_with("--samples"));
    }

    #[test]
    fn unknown_name_is_an_input_error() {
        let err = generate("spiral", 100, None, 0).unwrap_err();
        assert!(is_input_error(&err));
        assert!(err.to_string().contains("moons, circles, spirals"), "{err}");
    }
}

//! Datasets: the in-memory `Dataset`, where it comes from (built-in, synthetic, CSV, IDX), the
//! seeded train/validation split, standardisation and the batch gatherer.

pub mod builtin;
pub mod csv;
pub mod gz;
pub mod idx;
pub mod source;
pub mod synthetic;

use ndarray::Array2;
use serde::Serialize;

/// `--val-split` when not given: the fraction of rows held out for validation.
pub const DEFAULT_VAL_SPLIT: f64 = 0.2;

/// Classification (softmax cross-entropy) or regression (mean squared error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Classification: integer class labels, softmax cross-entropy.
    Classify,
    /// Regression: a real-valued target, mean squared error.
    Regress,
}

/// What each sample should be predicted as.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Class indices `0..names.len()`, with a display name per class.
    Classes {
        labels: Vec<u32>,
        names: Vec<String>,
    },
    /// A real value per sample.
    Values(Vec<f32>),
}

/// A whole dataset in memory: one row of `x` per sample.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Short name for reports: the built-in name, or the file name.
    pub name: String,
    /// Features, `[n_samples, n_features]`.
    pub x: Array2<f32>,
    /// Targets, one per row of `x`.
    pub y: Target,
    /// One name per feature column.
    pub feature_names: Vec<String>,
    /// How a CSV file's columns became `x` (saved with the model); `None` for other sources.
    pub encoding: Option<Box<csv::Encoded>>,
}

impl Dataset {
    pub fn n_samples(&self) -> usize {
        self.x.nrows()
    }
    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }
    pub fn task(&self) -> Task {
        match self.y {
            Target::Classes { .. } => Task::Classify,
            Target::Values(_) => Task::Regress,
        }
    }
    /// Number of classes (0 for regression).
    pub fn n_classes(&self) -> usize {
        match &self.y {
            Target::Classes { names, .. } => names.len(),
            Target::Values(_) => 0,
        }
    }
}

use crate::nn::Targets;
use ndarray::{ArrayView2, Axis, s};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Independent random streams derived from the one `--seed`, so that changing how one consumer
/// draws (say, the initialisation) never changes another (the split or the data order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Split = 1,
    Init = 2,
    Shuffle = 3,
    /// The range test's batches, each drawn from its own key (see [`Batcher::keyed`]).
    SweepBatch = 4,
}

/// A portable, seeded generator for one purpose.
pub fn rng_for(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// Rows of a dataset with their targets: the training or the validation split.
#[derive(Debug, Clone)]
pub struct Part {
    pub x: Array2<f32>,
    pub y: Target,
}

impl Part {
    pub fn len(&self) -> usize {
        self.x.nrows()
    }
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }
    /// The targets as the loss functions borrow them.
    pub fn targets(&self) -> Targets<'_> {
        match &self.y {
            Target::Classes { labels, .. } => Targets::Classes(labels),
            Target::Values(v) => Targets::Values(v),
        }
    }

    fn select(ds_x: ArrayView2<f32>, y: &Target, rows: &[usize]) -> Part {
        let x = ds_x.select(Axis(0), rows);
        let y = match y {
            Target::Classes { labels, names } => Target::Classes {
                labels: rows.iter().map(|&i| labels[i]).collect(),
                names: names.clone(),
            },
            Target::Values(v) => Target::Values(rows.iter().map(|&i| v[i]).collect()),
        };
        Part { x, y }
    }
}

/// Per-feature mean and standard deviation of the training split (population, ddof 0).
/// A feature with zero spread keeps `std = 1`, so it is only centred.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standardizer {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Statistics of the rows of `x`, computed in f64.
    pub fn fit(x: ArrayView2<f32>) -> Standardizer {
        let n = x.nrows().max(1) as f64;
        let d = x.ncols();
        let mut mean = vec![0.0f64; d];
        for row in x.rows() {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f64; d];
        for row in x.rows() {
            for ((s, &v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v as f64 - m).powi(2);
            }
        }
        let std = var
            .iter()
            .map(|&s| {
                let sd = (s / n).sqrt();
                if sd > 1e-12 { sd } else { 1.0 }
            })
            .collect();
        Standardizer { mean, std }
    }

    /// `x ← (x − mean) / std`, column by column, in place.
    pub fn apply(&self, x: &mut Array2<f32>) {
        for mut row in x.rows_mut() {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = ((*v as f64 - m) / s) as f32;
            }
        }
    }
}

/// The training and validation splits, standardised with the training statistics.
#[derive(Debug, Clone)]
pub struct Splits {
    pub train: Part,
    pub val: Part,
    pub standardizer: Standardizer,
}

/// Split `ds` into training and validation rows and standardise both with the training
/// statistics. With `shuffle`, a seeded permutation decides the split; without, the last
/// `val_fraction` of the rows (in file order) is the validation split.
pub fn split(ds: &Dataset, val_fraction: f64, shuffle: bool, seed: u64) -> anyhow::Result<Splits> {
    let (train_rows, val_rows) = split_rows(ds, val_fraction, shuffle, seed)?;
    let mut train = select_rows(ds, &train_rows);
    let mut val = select_rows(ds, &val_rows);
    let mut standardizer = Standardizer::fit(train.x.view());
    if let Some(e) = &ds.encoding {
        // one-hot inputs stay 0/1, so that an unseen category is all zeros for the network too
        let one_hot = e.encoding.one_hot();
        for (j, _) in one_hot.iter().enumerate().filter(|(_, h)| **h) {
            standardizer.mean[j] = 0.0;
            standardizer.std[j] = 1.0;
        }
    }
    standardizer.apply(&mut train.x);
    standardizer.apply(&mut val.x);
    Ok(Splits {
        train,
        val,
        standardizer,
    })
}

/// The row indices of the training and the validation split, as [`split`] draws them (the
/// training rows first in the permutation, the last `val_fraction` of it validation).
pub fn split_rows(
    ds: &Dataset,
    val_fraction: f64,
    shuffle: bool,
    seed: u64,
) -> anyhow::Result<(Vec<usize>, Vec<usize>)> {
    split_indices(ds.n_samples(), val_fraction, shuffle, seed, &ds.name)
}

/// [`split_rows`] for `n` rows of the dataset called `name` (for messages).
pub fn split_indices(
    n: usize,
    val_fraction: f64,
    shuffle: bool,
    seed: u64,
    name: &str,
) -> anyhow::Result<(Vec<usize>, Vec<usize>)> {
    let mut n_val = (n as f64 * val_fraction).round() as usize;
    if val_fraction > 0.0 && n_val == 0 {
        n_val = 1;
    }
    if n_val >= n {
        crate::input_bail!(
            "--val-split {val_fraction}: leaves no training rows out of {n} in dataset {name}"
        );
    }
    let mut order: Vec<usize> = (0..n).collect();
    if shuffle {
        order.shuffle(&mut rng_for(seed, Stream::Split));
    }
    let val = order.split_off(n - n_val);
    Ok((order, val))
}

/// The given rows of `ds`, not standardised (to be scaled with a saved model's statistics).
pub fn select_rows(ds: &Dataset, rows: &[usize]) -> Part {
    Part::select(ds.x.view(), &ds.y, rows)
}

/// Hands out the mini-batches of one epoch after another, gathered into reused buffers.
#[derive(Debug)]
pub struct Batcher {
    order: Vec<usize>,
    batch_size: usize,
    shuffle: bool,
    /// Full batches only: the rows left over at the end of an epoch are skipped.
    drop_last: bool,
    rng: ChaCha8Rng,
    /// Set by [`Batcher::keyed`]: every batch is drawn from its own key instead of from epochs.
    keyed: Option<Keyed>,
    x: Array2<f32>,
    classes: Vec<u32>,
    values: Vec<f32>,
}

/// The keyed stream: the seed, the key of the next batch, and the positions swapped while
/// drawing one batch (undone after it, so that `order` stays the identity between batches).
#[derive(Debug)]
struct Keyed {
    seed: u64,
    next: i64,
    swaps: Vec<usize>,
}

impl Batcher {
    pub fn new(part: &Part, batch_size: usize, shuffle: bool, seed: u64) -> Batcher {
        let batch_size = batch_size.clamp(1, part.len().max(1));
        let (classes, values) = match &part.y {
            Target::Classes { .. } => (vec![0; batch_size], Vec::new()),
            Target::Values(_) => (Vec::new(), vec![0.0; batch_size]),
        };
        Batcher {
            order: (0..part.len()).collect(),
            batch_size,
            shuffle,
            drop_last: false,
            rng: rng_for(seed, Stream::Shuffle),
            keyed: None,
            x: Array2::zeros((batch_size, part.x.ncols())),
            classes,
            values,
        }
    }

    /// With `on`, every epoch hands out full batches only and skips the rows left over (they
    /// come up again after the next shuffle); the range test of the benchmarks works this way.
    pub fn drop_last(mut self, on: bool) -> Batcher {
        self.drop_last = on;
        self
    }

    /// Draw every mini-batch from its own key, the first one from `first_key` and each next one
    /// from the key after, instead of from a sequence of epochs: batch `k` holds `batch_size`
    /// distinct rows chosen by a generator seeded with the seed and `k` (rows `k·batch_size …`
    /// in order, wrapping around, without shuffling). The batch with a given key is then the same
    /// whatever came before it, which is what lets the range test hand the same batch to the same
    /// learning rate however far down its range starts. Every batch is full (the epoch's short
    /// last batch does not occur); [`Batcher::start_epoch`] does nothing.
    pub fn keyed(mut self, first_key: i64) -> Batcher {
        let seed = self.rng.get_seed();
        let seed = u64::from_le_bytes(seed[..8].try_into().expect("8 bytes"));
        self.order = (0..self.order.len()).collect();
        self.keyed = Some(Keyed {
            seed,
            next: first_key,
            swaps: Vec::with_capacity(self.batch_size),
        });
        self
    }

    /// Mini-batches per epoch: `ceil(n_train / batch_size)`, the last one possibly smaller
    /// (`floor`, at least 1, with [`Batcher::drop_last`]).
    pub fn steps_per_epoch(&self) -> usize {
        if self.drop_last {
            (self.order.len() / self.batch_size).max(1)
        } else {
            self.order.len().div_ceil(self.batch_size)
        }
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Start a new epoch: draw a fresh order of the rows (unless shuffling is off).
    pub fn start_epoch(&mut self) {
        if self.shuffle && self.keyed.is_none() {
            self.order.shuffle(&mut self.rng);
        }
    }

    /// The `b`-th mini-batch of the current epoch.
    pub fn batch(&mut self, part: &Part, b: usize) -> (ArrayView2<'_, f32>, Targets<'_>) {
        if self.keyed.is_some() {
            return self.keyed_batch(part);
        }
        let start = b * self.batch_size;
        let end = (start + self.batch_size).min(self.order.len());
        self.fill(part, start, end);
        self.view(part, end - start)
    }

    /// The next batch of the keyed stream: a partial Fisher–Yates draw of `batch_size` rows into
    /// the front of `order`, gathered, then undone (O(batch_size), no allocation).
    fn keyed_batch(&mut self, part: &Part) -> (ArrayView2<'_, f32>, Targets<'_>) {
        let n = self.order.len();
        let bs = self.batch_size.min(n);
        let keyed = self.keyed.as_mut().expect("keyed stream");
        let key = keyed.next;
        keyed.next += 1;
        if self.shuffle {
            // one generator per key: the seed's words mixed with the key, on the batches' stream
            let mixed = keyed.seed ^ (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut rng = rng_for(mixed, Stream::SweepBatch);
            keyed.swaps.clear();
            for j in 0..bs {
                let k = rng.random_range(j..n);
                self.order.swap(j, k);
                keyed.swaps.push(k);
            }
        } else {
            let first = (key.rem_euclid(n as i64) as usize * bs) % n;
            for (j, slot) in self.order[..bs].iter_mut().enumerate() {
                *slot = (first + j) % n;
            }
        }
        self.fill(part, 0, bs);
        if self.shuffle {
            let keyed = self.keyed.as_ref().expect("keyed stream");
            for (j, &k) in keyed.swaps.iter().enumerate().rev() {
                self.order.swap(j, k);
            }
        }
        self.view(part, bs)
    }

    /// Copy the rows `order[start..end]` and their targets into the batch buffers.
    fn fill(&mut self, part: &Part, start: usize, end: usize) {
        match (self.x.as_slice_mut(), part.x.as_slice()) {
            (Some(dst), Some(src)) if part.x.ncols() > 0 => {
                let d = part.x.ncols();
                for (row, &i) in dst.chunks_exact_mut(d).zip(&self.order[start..end]) {
                    row.copy_from_slice(&src[i * d..(i + 1) * d]);
                }
            }
            _ => {
                for (r, &i) in self.order[start..end].iter().enumerate() {
                    self.x.row_mut(r).assign(&part.x.row(i));
                }
            }
        }
        match &part.y {
            Target::Classes { labels, .. } => {
                for (slot, &i) in self.classes.iter_mut().zip(&self.order[start..end]) {
                    *slot = labels[i];
                }
            }
            Target::Values(v) => {
                for (slot, &i) in self.values.iter_mut().zip(&self.order[start..end]) {
                    *slot = v[i];
                }
            }
        }
    }

    /// The first `rows` rows of the batch buffers, as the loss functions borrow them.
    fn view(&self, part: &Part, rows: usize) -> (ArrayView2<'_, f32>, Targets<'_>) {
        let targets = match &part.y {
            Target::Classes { .. } => Targets::Classes(&self.classes[..rows]),
            Target::Values(_) => Targets::Values(&self.values[..rows]),
        };
        (self.x.slice(s![..rows, ..]), targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 50 rows, one feature holding the row's index, labels `index % 3`.
    fn part() -> Part {
        let x = Array2::from_shape_fn((50, 1), |(i, _)| i as f32);
        let labels = (0..50).map(|i| i % 3).collect();
        let names = vec!["a".into(), "b".into(), "c".into()];
        Part {
            x,
            y: Target::Classes { labels, names },
        }
    }

    fn rows_of(b: &mut Batcher, p: &Part, i: usize) -> Vec<usize> {
        let (x, t) = b.batch(p, i);
        let rows: Vec<usize> = x.column(0).iter().map(|&v| v as usize).collect();
        let Targets::Classes(labels) = t else {
            panic!("classes")
        };
        for (&r, &l) in rows.iter().zip(labels) {
            assert_eq!(l as usize, r % 3, "a row keeps its label");
        }
        rows
    }

    fn rows(b: &mut Batcher, p: &Part) -> Vec<usize> {
        rows_of(b, p, 0)
    }

    #[test]
    fn a_keyed_batch_is_the_same_whatever_came_before() {
        let p = part();
        let mut from0 = Batcher::new(&p, 8, true, 7).keyed(0);
        let mut from5 = Batcher::new(&p, 8, true, 7).keyed(5);
        let early: Vec<Vec<usize>> = (0..5).map(|_| rows(&mut from0, &p)).collect();
        for _ in 0..20 {
            let (a, b) = (rows(&mut from0, &p), rows(&mut from5, &p));
            assert_eq!(a, b);
            let mut sorted = a.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 8, "distinct rows: {a:?}");
        }
        assert_ne!(early[0], early[1], "keys draw different batches");
        // negative keys (a range that starts below LR 1 counts down from there) work alike
        let mut neg = Batcher::new(&p, 8, true, 7).keyed(-3);
        let first = rows(&mut neg, &p);
        assert_eq!(first, rows(&mut Batcher::new(&p, 8, true, 7).keyed(-3), &p));
        // another seed, other batches
        assert_ne!(
            rows(&mut Batcher::new(&p, 8, true, 8).keyed(0), &p),
            early[0]
        );
    }

    #[test]
    fn an_unshuffled_keyed_stream_walks_the_rows_in_order() {
        let p = part();
        let mut b = Batcher::new(&p, 8, false, 7).keyed(6);
        // key 6: rows 48, 49, 0, … (wrapping around the 50 rows)
        assert_eq!(rows(&mut b, &p), vec![48, 49, 0, 1, 2, 3, 4, 5]);
        assert_eq!(rows(&mut b, &p), (6..14).collect::<Vec<_>>());
        let mut neg = Batcher::new(&p, 8, false, 7).keyed(-1);
        assert_eq!(rows(&mut neg, &p), (42..50).collect::<Vec<_>>());
    }

    #[test]
    fn a_keyed_stream_ignores_epochs_and_is_always_full() {
        let p = part();
        let mut a = Batcher::new(&p, 16, true, 1).keyed(0);
        let mut b = Batcher::new(&p, 16, true, 1).keyed(0);
        for k in 0..10 {
            a.start_epoch();
            let ra = rows(&mut a, &p);
            assert_eq!(ra.len(), 16);
            assert_eq!(ra, rows(&mut b, &p), "batch {k}");
        }
        // a batch larger than the rows takes every row once
        let mut all = Batcher::new(&p, 80, true, 1).keyed(0);
        let mut r = rows(&mut all, &p);
        r.sort_unstable();
        assert_eq!(r, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn epochs_shuffle_as_before_without_keys() {
        let p = part();
        let mut b = Batcher::new(&p, 16, true, 1);
        let mut seen = Vec::new();
        b.start_epoch();
        for i in 0..b.steps_per_epoch() {
            seen.extend(rows_of(&mut b, &p, i));
        }
        let mut rs = seen;
        rs.sort_unstable();
        assert_eq!(
            rs,
            (0..50).collect::<Vec<_>>(),
            "an epoch sees every row once"
        );
    }
}

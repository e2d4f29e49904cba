//! The memory a run will need, estimated from its shape before anything is allocated, and the
//! limit it must fit: `--max-memory-mb`, by default the memory the kernel says is available
//! (`MemAvailable` of `/proc/meminfo`, lowered to a cgroup's `memory.max` when one is set), or
//! 4 GiB where neither can be read.

use std::sync::atomic::{AtomicU64, Ordering};

use super::show_bytes;

/// The limit assumed when the available memory cannot be read.
pub const FALLBACK_BYTES: u64 = 4 << 30;

/// `--max-memory-mb` in bytes; 0 = not set.
static MAX_MEMORY: AtomicU64 = AtomicU64::new(0);

/// Runs that will be in memory at the same time (`compare --jobs`); 0 or 1 = one.
static SIDE_BY_SIDE: AtomicU64 = AtomicU64::new(1);

/// Every run checked from now on will run beside `runs - 1` others of the same size at most
/// (`compare` runs its arms `--jobs` at a time): its estimate counts `runs` times.
pub fn set_side_by_side(runs: usize) {
    SIDE_BY_SIDE.store(runs.max(1) as u64, Ordering::Relaxed);
}

/// Set the process-wide `--max-memory-mb` (`None`: what the kernel says is available).
pub fn set_max_memory_mb(mb: Option<u64>) {
    MAX_MEMORY.store(
        mb.map_or(0, |m| m.saturating_mul(1 << 20)),
        Ordering::Relaxed,
    );
}

/// The limit in bytes and where it comes from.
pub fn limit() -> (u64, String) {
    match MAX_MEMORY.load(Ordering::Relaxed) {
        0 => available(),
        n => (n, "--max-memory-mb".into()),
    }
}

/// What the kernel says this process may still use.
fn available() -> (u64, String) {
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| mem_available(&t));
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .map(|max| {
            let used = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
                .unwrap_or(0);
            max.saturating_sub(used)
        });
    match (meminfo, cgroup) {
        (Some(m), Some(c)) if c < m => (c, "the cgroup's memory.max, less what it uses".into()),
        (Some(m), _) => (m, "MemAvailable in /proc/meminfo".into()),
        (None, Some(c)) => (c, "the cgroup's memory.max, less what it uses".into()),
        (None, None) => (
            FALLBACK_BYTES,
            "assumed: /proc/meminfo could not be read".into(),
        ),
    }
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
pub fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut words = line.split_whitespace().skip(1);
    let n: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(n.saturating_mul(1024)),
        None => Some(n),
        Some(_) => None,
    }
}

/// Bytes per `f32`.
const F32: u128 = 4;

/// A run's memory, part by part (each a label and bytes), summed without overflow.
#[derive(Debug, Clone, Default)]
pub struct Estimate {
    parts: Vec<(String, u128)>,
}

impl Estimate {
    pub fn new() -> Estimate {
        Estimate::default()
    }

    /// Add a part (nothing when `bytes` is 0).
    pub fn add(&mut self, label: impl Into<String>, bytes: u128) {
        if bytes > 0 {
            self.parts.push((label.into(), bytes));
        }
    }

    /// Every part of `other`, `times` over, with `prefix` before its labels.
    pub fn add_all(&mut self, other: &Estimate, times: u128, prefix: &str) {
        for (label, bytes) in &other.parts {
            self.add(format!("{prefix}{label}"), bytes.saturating_mul(times));
        }
    }

    pub fn total(&self) -> u128 {
        self.parts
            .iter()
            .fold(0u128, |a, (_, b)| a.saturating_add(*b))
    }

    pub fn parts(&self) -> &[(String, u128)] {
        &self.parts
    }

    /// Refuse (an input error, exit 2) when the total is above the limit: the message gives the
    /// estimate with its three largest parts, the limit, where it comes from, and the flag.
    pub fn check(&self, what: &str) -> anyhow::Result<()> {
        self.check_with(
            what,
            "make it smaller (--hidden, --batch-size, …) or raise the limit with --max-memory-mb",
        )
    }

    /// [`Estimate::check`] with `hint` saying what makes it smaller (it should name
    /// `--max-memory-mb`).
    pub fn check_with(&self, what: &str, hint: &str) -> anyhow::Result<()> {
        let (limit, source) = limit();
        let runs = u128::from(SIDE_BY_SIDE.load(Ordering::Relaxed).max(1));
        let one = self.total();
        let total = one.saturating_mul(runs);
        if total <= u128::from(limit) {
            return Ok(());
        }
        let side = if runs > 1 {
            format!(
                ", {runs} such runs side by side (--jobs {runs}) about {}",
                show_big(total)
            )
        } else {
            String::new()
        };
        let mut parts = self.parts.clone();
        parts.sort_by_key(|p| std::cmp::Reverse(p.1));
        let largest: Vec<String> = parts
            .iter()
            .take(3)
            .map(|(l, b)| format!("{l} {}", show_big(*b)))
            .collect();
        crate::input_bail!(
            "{what} needs about {} of memory ({}){side}, more than the {} limit ({source}); {hint}",
            show_big(one),
            largest.join(", "),
            show_bytes(limit)
        )
    }
}

/// A size of any magnitude for people, in binary units with one decimal.
pub fn show_big(n: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        crate::words::count(n, "byte")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Parameters of an MLP with layer widths `sizes` (weights and biases).
pub fn parameters(sizes: &[usize]) -> u128 {
    sizes
        .windows(2)
        .map(|w| (w[0] as u128 + 1) * w[1] as u128)
        .sum()
}

/// Bytes of one copy of the parameters.
pub fn model_bytes(sizes: &[usize]) -> u128 {
    parameters(sizes) * F32
}

/// Bytes of the buffers of a forward and backward pass over `rows` rows: each layer's
/// pre-activation, activation and gradient, plus the matrix kernel's packed copies of the
/// operands of the largest product.
pub fn workspace_bytes(sizes: &[usize], rows: usize) -> u128 {
    let rows = rows.max(1) as u128;
    let layers: u128 = sizes[1.min(sizes.len())..]
        .iter()
        .map(|&o| 3 * o as u128 * rows)
        .sum();
    let packing = sizes
        .windows(2)
        .map(|w| (w[0] as u128 + w[1] as u128) * rows)
        .max()
        .unwrap_or(0);
    (layers + packing) * F32
}

/// The shape of a training run, what its memory depends on.
#[derive(Debug, Clone)]
pub struct Training<'a> {
    /// Layer widths: input, hidden…, output.
    pub sizes: &'a [usize],
    pub batch_size: usize,
    /// Rows evaluated at a time (validation).
    pub eval_rows: usize,
    /// Per-parameter slots of optimizer state (SGD velocity 1, Adam 2, AMSGrad 3).
    pub optimizer_slots: u128,
    /// Further copies of the weights kept during the run (snapshots, the best epoch's weights).
    pub weight_copies: u128,
    /// Rows × features of the loaded data (kept with its split copy).
    pub data_values: u128,
    /// Step reports kept for plots (already capped by the history's thinning).
    pub steps_kept: u128,
    /// Epochs of the run (one report each is kept).
    pub epochs: u128,
}

/// Bytes kept per step report and per epoch report (with the loop's own copy).
const STEP_REPORT_BYTES: u128 = 48;
const EPOCH_REPORT_BYTES: u128 = 2 * 96;

/// The memory of one training run.
pub fn training(t: &Training) -> Estimate {
    let model = model_bytes(t.sizes);
    let mut e = Estimate::new();
    e.add("parameters", model);
    e.add("gradients", model);
    e.add("optimizer state", model.saturating_mul(t.optimizer_slots));
    e.add("weight copies", model.saturating_mul(t.weight_copies));
    // a weights file is built in memory (tensors and the safetensors layout) before it is written
    e.add("weights file buffers", model.saturating_mul(2));
    e.add("training buffers", workspace_bytes(t.sizes, t.batch_size));
    e.add("evaluation buffers", workspace_bytes(t.sizes, t.eval_rows));
    e.add("data", t.data_values.saturating_mul(2 * F32));
    e.add(
        "step history",
        t.steps_kept.saturating_mul(STEP_REPORT_BYTES),
    );
    e.add("epoch history", t.epochs.saturating_mul(EPOCH_REPORT_BYTES));
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_available_reads_kib() {
        let text = "MemTotal:       24683784 kB\nMemFree: 1 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(mem_available(text), Some(2048 * 1024));
        assert_eq!(mem_available("MemTotal: 5 kB\n"), None);
    }

    #[test]
    fn a_huge_model_is_counted_without_overflow() {
        let sizes = [64, 1 << 20, 1 << 20, 10];
        let e = training(&Training {
            sizes: &sizes,
            batch_size: 64,
            eval_rows: 1024,
            optimizer_slots: 2,
            weight_copies: 0,
            data_values: 1797 * 64,
            steps_kept: 1000,
            epochs: 10,
        });
        // 2^40 weights of the middle layer alone, 4 bytes each, in four copies
        assert!(e.total() > 4 * 4 * (1u128 << 40), "{}", e.total());
        assert!(
            show_big(e.total()).ends_with("TiB"),
            "{}",
            show_big(e.total())
        );
    }

    #[test]
    fn parameters_of_a_small_mlp() {
        // 4-8-3: (4+1)·8 + (8+1)·3
        assert_eq!(parameters(&[4, 8, 3]), 67);
        assert_eq!(model_bytes(&[4, 8, 3]), 268);
    }
}

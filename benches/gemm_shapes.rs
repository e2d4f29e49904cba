//! GEMM throughput per backend on the exact products of a training step (docs/workloads.md W2:
//! MLP 784-256-128-10 at batch 32, 128 and 512; W1: 64-128-64-10 at batch 32), with the operand
//! layouts the layers pass (`x·Wᵀ`, `dYᵀ·X`, `dY·W`; W stored `[out, in]` row-major).
//!
//! Run with `cargo bench --bench gemm_shapes` (`-- quick` for fewer samples, `-- BACKEND…` to
//! pick backends, `-- /TEXT` for the shapes whose label contains TEXT). One thread; GFLOP/s as
//! the median (and best) of many samples, the backends timed in turns.

use std::hint::black_box;
use std::time::Instant;

use clap::ValueEnum;
use lrtool::linalg::gemm::{Backend, gemm_with};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Case {
    label: String,
    /// (a, a transposed?, b, b transposed?) as stored; c is m×n row-major
    a: Array2<f32>,
    a_t: bool,
    b: Array2<f32>,
    b_t: bool,
}

impl Case {
    fn a(&self) -> ArrayView2<'_, f32> {
        if self.a_t { self.a.t() } else { self.a.view() }
    }
    fn b(&self) -> ArrayView2<'_, f32> {
        if self.b_t { self.b.t() } else { self.b.view() }
    }
    fn dims(&self) -> (usize, usize, usize) {
        let (m, k) = self.a().dim();
        (m, k, self.b().ncols())
    }
}

fn random(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |_| rng.random_range(-1.0f32..1.0))
}

fn cases(rng: &mut ChaCha8Rng) -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |name: &str, sizes: &[usize], batch: usize, rng: &mut ChaCha8Rng| {
        for (l, w) in sizes.windows(2).enumerate() {
            let (fin, fout) = (w[0], w[1]);
            let wt = random(rng, fout, fin);
            // forward: y[B×out] = x[B×in]·Wᵀ
            out.push(Case {
                label: format!("{name} B{batch} fwd  L{} {batch}x{fin}x{fout}", l + 1),
                a: random(rng, batch, fin),
                a_t: false,
                b: wt.clone(),
                b_t: true,
            });
            // weight gradient: dW[out×in] = dYᵀ[out×B]·X[B×in]
            out.push(Case {
                label: format!("{name} B{batch} dW   L{} {fout}x{batch}x{fin}", l + 1),
                a: random(rng, batch, fout),
                a_t: true,
                b: random(rng, batch, fin),
                b_t: false,
            });
            // input gradient (not for the first layer): dX[B×in] = dY[B×out]·W[out×in]
            if l > 0 {
                out.push(Case {
                    label: format!("{name} B{batch} dX   L{} {batch}x{fout}x{fin}", l + 1),
                    a: random(rng, batch, fout),
                    a_t: false,
                    b: wt,
                    b_t: false,
                });
            }
        }
    };
    for batch in [32, 128, 512] {
        add("W2", &[784, 256, 128, 10], batch, rng);
    }
    add("W1", &[64, 128, 64, 10], 32, rng);
    out
}

/// (median, best) GFLOP/s per backend: `samples` rounds, each timing every backend in turn
/// (so that load from other processes hits them alike) over enough calls for ~50 µs·MFLOP.
fn measure(case: &Case, backends: &[Backend], samples: usize) -> Vec<(f64, f64)> {
    let (m, k, n) = case.dims();
    let flops = 2.0 * (m * k * n) as f64;
    let mut c = Array2::<f32>::zeros((m, n));
    let (a, b) = (case.a(), case.b());
    let reps = ((1e6 / flops * 50.0) as usize).clamp(1, 100_000);
    let mut rates = vec![Vec::new(); backends.len()];
    for round in 0..=samples {
        for (i, &backend) in backends.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..reps {
                gemm_with(backend, 1.0, black_box(a), black_box(b), 0.0, c.view_mut());
            }
            black_box(&c);
            if round > 0 {
                // round 0 warms up
                rates[i].push(flops * reps as f64 / t.elapsed().as_secs_f64() / 1e9);
            }
        }
    }
    rates
        .into_iter()
        .map(|mut r| {
            r.sort_by(f64::total_cmp);
            (r[r.len() / 2], r[r.len() - 1])
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "quick");
    let mut backends: Vec<Backend> = args
        .iter()
        .filter_map(|a| Backend::from_str(a, true).ok())
        .collect();
    if backends.is_empty() {
        backends = Backend::value_variants().to_vec();
    }
    backends.retain(|b| {
        b.available() || {
            eprintln!("skipping {}: build with `--features gemm-crate`", b.name());
            false
        }
    });
    let samples = if quick { 5 } else { 21 };
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let filters: Vec<&str> = args.iter().filter_map(|a| a.strip_prefix('/')).collect();
    let cases: Vec<Case> = cases(&mut rng)
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.label.contains(f)))
        .collect();
    print!("{:<32}", "GFLOP/s median (best), 1 thread");
    for b in &backends {
        print!(" {:>18}", b.name());
    }
    println!();
    let mut totals = vec![0.0f64; backends.len()];
    for case in &cases {
        print!("{:<32}", case.label);
        let (m, k, n) = case.dims();
        let flops = 2.0 * (m * k * n) as f64;
        for (i, (med, best)) in measure(case, &backends, samples).into_iter().enumerate() {
            totals[i] += flops / med;
            print!(" {:>9.1} ({:>6.1})", med, best);
        }
        println!();
    }
    // time of one pass over every product, at the median rates
    print!("{:<32}", "sum of medians (µs)");
    for t in &totals {
        print!(" {:>18.1}", t / 1e3);
    }
    println!();
}

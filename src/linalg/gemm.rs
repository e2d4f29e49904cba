//! The one matrix product of the network code, `c ← alpha·a·b + beta·c` into a caller-owned `c`,
//! behind a seam so that GEMM backends can be swapped and compared, and the thread setting that
//! lets large products use more than one core.
//!
//! Backends, all pure Rust (a default build needs no system library):
//! - `native` (the default, for training and inference): our own packed GEMM (`sgemm.rs`) with
//!   AVX-512, AVX2+FMA and portable micro-kernels picked at run time. It allocates nothing once
//!   its per-thread packing buffer is sized ([`sgemm::reserve`]; the model's workspace does it),
//!   and a row's result does not depend on the other rows of the batch or on how the product is
//!   split. Measured per product on the benchmark shapes (`cargo bench --bench gemm_shapes`) it
//!   is faster than the other two on 28 of 32 and in sum.
//! - `gemm`: the `gemm` crate (sarah-ek), AVX-512 kernels; allocates its packing buffers on
//!   every call, and the last bits of a row change with the batch size.
//! - `matrixmultiply`: ndarray's own, with its AVX-512 kernel; allocates on every call.
//!
//! The other two stay selectable (`lrtool bench --gemm`) so that anyone can repeat the
//! comparison.
//!
//! Threads: a product uses several threads only when the calling code runs inside
//! [`with_threads`] with more than one thread *and* the product is large (at least
//! [`PARALLEL_MIN_WORK`] multiply-adds, every side at least [`PARALLEL_MIN_SIDE`]): for small
//! products a second thread costs more than it saves. The output is split into one block per
//! thread along its longer side (see `team.rs`); a test checks, bit for bit, that the split
//! does not change the result on the layer shapes of the benchmarks.
//!
//! Inference ([`INFERENCE`], used by `Mlp::forward`) always runs on `native`, whose result for a
//! row does not depend on the other rows of the batch, whatever the training backend.

use std::cell::Cell;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

use super::{sgemm, team};

/// The matrix-product implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The `gemm` crate (sarah-ek): AVX-512 kernels.
    Gemm,
    /// `matrixmultiply` through `ndarray::linalg::general_mat_mul`.
    Matrixmultiply,
    /// Our own packed GEMM (`sgemm.rs`): no allocation once warm, rows independent of the batch.
    Native,
}

impl Backend {
    /// Every backend, in the order the command line lists them.
    pub const ALL: [Self; 3] = [Backend::Gemm, Backend::Matrixmultiply, Backend::Native];

    /// The backend's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Gemm => "gemm",
            Backend::Matrixmultiply => "matrixmultiply",
            Backend::Native => "native",
        }
    }

    /// Whether this binary has the backend: the `gemm` crate only in builds with the
    /// `gemm-crate` feature (it is an alternative measured by `lrtool bench`, and about a
    /// quarter of a fresh build's compile time).
    pub fn available(self) -> bool {
        self != Backend::Gemm || cfg!(feature = "gemm-crate")
    }

    /// One line saying what the backend is (the command line's per-value help).
    pub fn about(self) -> &'static str {
        match self {
            Backend::Gemm => {
                "The `gemm` crate (sarah-ek): AVX-512 kernels (in builds with `--features gemm-crate`)"
            }
            Backend::Matrixmultiply => {
                "`matrixmultiply` through `ndarray::linalg::general_mat_mul`"
            }
            Backend::Native => {
                "Our own packed GEMM (`sgemm.rs`): no allocation once warm, rows independent of the batch"
            }
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = String;

    /// A backend by its [`name`](Backend::name).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
                format!("unknown GEMM backend '{s}' (valid: {})", names.join(", "))
            })
    }
}

/// The backend of inference (`Mlp::forward`: evaluation, prediction, ensembles).
/// `native` gives every row of a product the same bits whatever the other rows, so a
/// prediction does not depend on how the rows were chunked (nor does `matrixmultiply`; the
/// `gemm` crate's edge kernels do not).
pub const INFERENCE: Backend = Backend::Native;

/// Smallest product (m·k·n multiply-adds) that is split over threads.
pub const PARALLEL_MIN_WORK: usize = 4_000_000;

/// Smallest side (min of m, k, n; in a layer's products that is the batch) of a product that is
/// split over threads. Measured on W2 with the native kernels (`lrtool bench w2 --threads 2
/// --split-min-side S`, docs/performance.md): splitting gained at every batch size tried — at
/// batch 32 between 1 % and 45 % over one thread in five interleaved rounds (the two virtual
/// cores of this machine are sometimes close, sometimes far), at 64 about 15 %, at 96 about
/// 35 %. Below 32 no W2 product reaches [`PARALLEL_MIN_WORK`] anyway. (With the `gemm` crate, a
/// second thread at batch 32 was slower in most runs.)
pub const PARALLEL_MIN_SIDE: usize = 32;

/// The smallest side in force: [`PARALLEL_MIN_SIDE`] unless a measurement changed it
/// ([`set_parallel_min_side`]).
static MIN_SIDE: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(PARALLEL_MIN_SIDE);

/// Split products with smaller sides too (for `lrtool bench --split-min-side`, which measures
/// where a second thread starts to pay).
pub fn set_parallel_min_side(side: usize) {
    MIN_SIDE.store(side, std::sync::atomic::Ordering::Relaxed);
}

thread_local! {
    static BACKEND: Cell<Backend> = const { Cell::new(Backend::Native) };
}

/// Use `backend` for products started on the calling thread (for comparisons; the default is
/// [`Backend::Native`]).
pub fn set_backend(backend: Backend) {
    BACKEND.with(|b| b.set(backend));
}

/// The backend products started on the calling thread use.
pub fn backend() -> Backend {
    BACKEND.with(Cell::get)
}

/// Threads a large product started on the calling thread may use.
pub fn threads() -> usize {
    team::team_size()
}

/// The thread count `None` stands for: every core the process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Whether a layer of `fan_in` × `fan_out` trained with `batch` rows gives products large enough
/// to split over threads ([`PARALLEL_MIN_SIDE`], [`PARALLEL_MIN_WORK`]); its three products
/// (forward, weight gradient, input gradient) all have the sides batch, fan_in and fan_out.
pub fn splits(batch: usize, fan_in: usize, fan_out: usize) -> bool {
    batch.min(fan_in).min(fan_out) >= MIN_SIDE.load(std::sync::atomic::Ordering::Relaxed)
        && batch.saturating_mul(fan_in).saturating_mul(fan_out) >= PARALLEL_MIN_WORK
}

/// The thread count of a training run: `requested` (`--threads`), or else every core when some
/// layer's products are split at this batch size ([`splits`]) and 1 when none is (helper
/// threads would only wait).
pub fn run_threads(requested: Option<usize>, layer_sizes: &[usize], batch: usize) -> usize {
    requested.unwrap_or_else(|| {
        let pays = layer_sizes.windows(2).any(|w| splits(batch, w[0], w[1]));
        if pays { default_threads() } else { 1 }
    })
}

/// Run `f` so that the large products it starts on this thread use up to `threads` threads
/// (`threads - 1` helper threads live while `f` runs).
pub fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    team::with_team(threads, f)
}

/// Raw operand pointers and element strides, shared read-only with helper threads.
#[derive(Clone, Copy)]
struct Operands {
    a: *const f32,
    a_rs: isize,
    a_cs: isize,
    b: *const f32,
    b_rs: isize,
    b_cs: isize,
    c: *mut f32,
    c_rs: isize,
    c_cs: isize,
}

// SAFETY: the pieces of a split product write disjoint blocks of `c` and only read `a` and `b`;
// the views they come from outlive the parallel call.
unsafe impl Sync for Operands {}
unsafe impl Send for Operands {}

impl Operands {
    /// `c[rows, cols] ← alpha·a[rows, ..]·b[.., cols] + beta·c[rows, cols]` with `backend`
    /// (the `gemm` crate or [`Backend::Native`]).
    ///
    /// # Safety
    /// The ranges must lie inside the operands' shapes (`k` columns of `a`), and no other
    /// thread may touch this block of `c` meanwhile.
    unsafe fn block(
        &self,
        backend: Backend,
        rows: (usize, usize),
        cols: (usize, usize),
        k: usize,
        alpha: f32,
        beta: f32,
    ) {
        let (m, n) = (rows.1 - rows.0, cols.1 - cols.0);
        if m == 0 || n == 0 {
            return;
        }
        let (r, c) = (rows.0 as isize, cols.0 as isize);
        if backend == Backend::Native {
            // SAFETY: in bounds by the caller's contract; c aliases neither a nor b
            unsafe {
                sgemm::sgemm(
                    m,
                    n,
                    k,
                    alpha,
                    self.a.offset(r * self.a_rs),
                    self.a_rs,
                    self.a_cs,
                    self.b.offset(c * self.b_cs),
                    self.b_rs,
                    self.b_cs,
                    beta,
                    self.c.offset(r * self.c_rs + c * self.c_cs),
                    self.c_rs,
                    self.c_cs,
                );
            }
            return;
        }
        #[cfg(not(feature = "gemm-crate"))]
        unreachable!("the gemm backend is refused before use in builds without its feature");
        // SAFETY: in bounds by the caller's contract. The crate computes
        // dst ← alpha·dst + beta·lhs·rhs (the names the other way round from ours) and reads
        // dst only when asked to.
        #[cfg(feature = "gemm-crate")]
        unsafe {
            gemm_crate::gemm(
                m,
                n,
                k,
                self.c.offset(r * self.c_rs + c * self.c_cs),
                self.c_cs,
                self.c_rs,
                beta != 0.0,
                self.a.offset(r * self.a_rs),
                self.a_cs,
                self.a_rs,
                self.b.offset(c * self.b_cs),
                self.b_cs,
                self.b_rs,
                beta,
                alpha,
                false,
                false,
                false,
                gemm_crate::Parallelism::None,
            );
        }
    }
}

/// Boundary `i` of `len` split into `parts` pieces, on multiples of `align` (the last is `len`).
fn boundary(len: usize, parts: usize, align: usize, i: usize) -> usize {
    if i >= parts {
        len
    } else {
        (len * i / parts / align * align).min(len)
    }
}

/// `c ← alpha·a·b + beta·c` with the calling thread's backend ([`set_backend`]; the training
/// step's products). With `beta = 0`, `c` is overwritten (NaN in it does not leak).
pub fn gemm(alpha: f32, a: ArrayView2<f32>, b: ArrayView2<f32>, beta: f32, c: ArrayViewMut2<f32>) {
    gemm_with(backend(), alpha, a, b, beta, c)
}

/// [`gemm`] with the given backend.
pub fn gemm_with(
    backend: Backend,
    alpha: f32,
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    beta: f32,
    mut c: ArrayViewMut2<f32>,
) {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert!(
        k == k2 && c.dim() == (m, n),
        "gemm: shapes {:?}·{:?} into {:?}",
        a.dim(),
        b.dim(),
        c.dim()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // an empty sum: c ← beta·c
        if beta == 0.0 {
            c.fill(0.0);
        } else {
            c.mapv_inplace(|v| beta * v);
        }
        return;
    }
    match backend {
        Backend::Matrixmultiply => general_mat_mul(alpha, &a, &b, beta, &mut c),
        Backend::Gemm | Backend::Native => {
            let ops = Operands {
                a: a.as_ptr(),
                a_rs: a.strides()[0],
                a_cs: a.strides()[1],
                b: b.as_ptr(),
                b_rs: b.strides()[0],
                b_cs: b.strides()[1],
                c: c.as_mut_ptr(),
                c_rs: c.strides()[0],
                c_cs: c.strides()[1],
            };
            let threads = threads();
            if threads > 1 && splits(m, k, n) {
                // split the longer side of c into one block per thread, on boundaries that keep
                // the micro-kernel tiles whole (so every element is summed as in one piece)
                let parts = threads;
                if n >= m {
                    team::for_each_part(parts, &|i| {
                        let cols = (boundary(n, parts, 64, i), boundary(n, parts, 64, i + 1));
                        // SAFETY: disjoint column blocks of c, inside the checked shapes
                        unsafe { ops.block(backend, (0, m), cols, k, alpha, beta) }
                    });
                } else {
                    team::for_each_part(parts, &|i| {
                        let rows = (boundary(m, parts, 64, i), boundary(m, parts, 64, i + 1));
                        // SAFETY: disjoint row blocks of c, inside the checked shapes
                        unsafe { ops.block(backend, rows, (0, n), k, alpha, beta) }
                    });
                }
            } else {
                // SAFETY: the whole product, shapes checked above; `c` is borrowed mutably, so
                // it aliases neither `a` nor `b`
                unsafe { ops.block(backend, (0, m), (0, n), k, alpha, beta) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(rng: &mut ChaCha8Rng, rows: usize, cols: usize, fortran: bool) -> Array2<f32> {
        let shape = (rows, cols).set_f(fortran);
        Array2::from_shape_fn(shape, |_| rng.random_range(-1.0f32..1.0))
    }

    /// `alpha·a·b + beta·c` in f64.
    fn naive(
        alpha: f32,
        a: ArrayView2<f32>,
        b: ArrayView2<f32>,
        beta: f32,
        c: &Array2<f32>,
    ) -> Array2<f64> {
        Array2::from_shape_fn(c.dim(), |(i, j)| {
            let dot: f64 = (0..a.ncols())
                .map(|p| a[[i, p]] as f64 * b[[p, j]] as f64)
                .sum();
            alpha as f64 * dot
                + if beta == 0.0 {
                    0.0
                } else {
                    beta as f64 * c[[i, j]] as f64
                }
        })
    }

    fn check(backend: Backend, threads: usize) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let shapes = [
            (1, 1, 1),
            (3, 5, 2),
            (7, 1, 9),
            (32, 64, 128),
            (17, 130, 33),
            (128, 784, 70),
            (200, 64, 300),
            (150, 140, 260),
            (5, 0, 4),
        ];
        for (case, &(m, k, n)) in shapes.iter().enumerate() {
            for (alpha, beta) in [(1.0f32, 0.0f32), (1.0, 1.0), (0.5, -2.0)] {
                // a and b stored either way round: transposed views as the layers pass them
                let a_t = case % 2 == 1;
                let b_t = case % 3 == 1;
                let a_store = random(
                    &mut rng,
                    if a_t { k } else { m },
                    if a_t { m } else { k },
                    false,
                );
                let b_store = random(
                    &mut rng,
                    if b_t { n } else { k },
                    if b_t { k } else { n },
                    case % 4 == 3,
                );
                let a = if a_t { a_store.t() } else { a_store.view() };
                let b = if b_t { b_store.t() } else { b_store.view() };
                let mut c = random(&mut rng, m, n, false);
                if beta == 0.0 && m * n > 0 {
                    c[[0, 0]] = f32::NAN; // overwritten, not scaled
                }
                let want = naive(alpha, a, b, beta, &c);
                with_threads(threads, || {
                    set_backend(backend);
                    gemm(alpha, a, b, beta, c.view_mut());
                });
                for ((i, j), &w) in want.indexed_iter() {
                    let got = c[[i, j]] as f64;
                    let tol = 1e-5 * (1.0 + k as f64).sqrt() * (1.0 + w.abs());
                    assert!(
                        (got - w).abs() <= tol,
                        "{backend:?} {threads}T m{m} k{k} n{n} α{alpha} β{beta} at ({i},{j}): {got} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn backends_match_a_naive_f64_product() {
        if Backend::Gemm.available() {
            check(Backend::Gemm, 1);
            check(Backend::Gemm, 2);
        }
        check(Backend::Matrixmultiply, 1);
        check(Backend::Native, 1);
        check(Backend::Native, 2);
    }

    #[test]
    fn names_round_trip() {
        for b in Backend::ALL {
            assert_eq!(b.name().parse::<Backend>(), Ok(b));
        }
        let err = "blas".parse::<Backend>().unwrap_err();
        assert!(err.contains("gemm, matrixmultiply, native"), "{err}");
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for (m, k, n) in [
            (512, 784, 256),
            (256, 512, 784),
            (128, 256, 128),
            (300, 700, 130),
            (128, 784, 256),
            (256, 128, 784),
            (200, 130, 300),
        ] {
            let a = random(&mut rng, m, k, false);
            let b = random(&mut rng, n, k, false);
            for backend in [Backend::Gemm, Backend::Native]
                .into_iter()
                .filter(|b| b.available())
            {
                set_backend(backend);
                let mut one = Array2::<f32>::zeros((m, n));
                let mut two = Array2::<f32>::zeros((m, n));
                gemm(1.0, a.view(), b.t(), 0.0, one.view_mut());
                with_threads(2, || gemm(1.0, a.view(), b.t(), 0.0, two.view_mut()));
                assert!(one == two, "{backend:?} {m}×{k}×{n}");
            }
        }
    }
}

//! The native GEMM, and a whole training step, allocate nothing in steady state: a counting
//! global allocator (for the whole test binary, counting only on threads that ask for it) sees
//! no allocation once the thread's packing buffer is warm.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use lrtool::linalg::gemm::{Backend, gemm_with};
use lrtool::linalg::sgemm;
use ndarray::Array2;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator; the counting touches only a const-initialised
// thread-local Cell (no allocation, no destructor) and an atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: forwarded contract
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: forwarded contract
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread (other threads' allocations are not counted, but the
/// count is global, so only this test counts).
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

fn filled(rows: usize, cols: usize, seed: f32) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 31 + j * 17) as f32 * seed).sin()
    })
}

#[test]
fn native_gemm_allocates_nothing_once_warm() {
    let sizes = [784, 256, 128, 10];
    for batch in [32, 128, 512] {
        // per layer: x [B×in], W [out×in], y [B×out], dW [out×in], dX [B×in]
        let mut layers: Vec<_> = sizes
            .windows(2)
            .map(|s| {
                (
                    filled(batch, s[0], 0.1),
                    filled(s[1], s[0], 0.2),
                    filled(batch, s[1], 0.3),
                    filled(s[1], s[0], 0.4),
                    filled(batch, s[0], 0.5),
                )
            })
            .collect();
        // the products of a training step: forward x·Wᵀ, weight gradient dYᵀ·X, input
        // gradient dY·W
        let mut step = || {
            for (x, w, y, dw, dx) in layers.iter_mut() {
                gemm_with(Backend::Native, 1.0, x.view(), w.t(), 0.0, y.view_mut());
                gemm_with(Backend::Native, 1.0, y.t(), x.view(), 0.0, dw.view_mut());
                gemm_with(Backend::Native, 1.0, y.view(), w.view(), 0.0, dx.view_mut());
            }
        };
        step(); // warm: the packing buffer grows to its size
        assert_eq!(allocations(&mut step), 0, "batch {batch}");
    }
    // reserve() sizes the buffer up front: the first product after it does not allocate
    std::thread::spawn(|| {
        sgemm::reserve(512, 784, 784);
        let x = filled(512, 784, 0.5);
        let w = filled(256, 784, 0.6);
        let mut y = Array2::<f32>::zeros((512, 256));
        assert_eq!(
            allocations(|| gemm_with(Backend::Native, 1.0, x.view(), w.t(), 0.0, y.view_mut())),
            0
        );
        // and the counter does see the buffer grow
        assert!(allocations(|| sgemm::reserve(4096, 4096, 4096)) > 0);
    })
    .join()
    .unwrap();
}

/// One whole training step as `train::fit` runs it (`train::step`: gather the mini-batch,
/// forward and backward, Adam's update) allocates nothing after the first, on one thread and
/// with the products and the update split over two (only the calling thread is counted; the
/// helper threads' packing buffers are warm after the first step too).
#[test]
fn a_training_step_allocates_nothing_once_warm() {
    use lrtool::data::{Batcher, Part, Target};
    use lrtool::nn::{Activation, Grads, InitScheme, Mlp, Workspace};
    use lrtool::optim::{Adam, AdamConfig, Optimizer, StepParams};
    use lrtool::train::{self, StepResult};
    use rand::SeedableRng;

    let rows = 600;
    let part = Part {
        x: filled(rows, 784, 0.7),
        y: Target::Classes {
            labels: (0..rows as u32).map(|i| i % 10).collect(),
            names: (0..10).map(|c| c.to_string()).collect(),
        },
    };
    for (batch, threads) in [(32, 1), (128, 1), (32, 2), (128, 2)] {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let mut model = Mlp::new(
            &[784, 256, 128, 10],
            Activation::Relu,
            InitScheme::Torch,
            &mut rng,
        );
        let mut optimizer = Optimizer::Adam(Adam::new(&model, AdamConfig::default()));
        let mut batcher = Batcher::new(&part, batch, true, 0);
        let mut ws = Workspace::new(&model, batch);
        let mut grads = Grads::zeros_like(&model);
        let count = lrtool::linalg::gemm::with_threads(threads, || {
            let mut step = |b: usize| {
                if b == 0 {
                    batcher.start_epoch(); // shuffles in place
                }
                let params = StepParams {
                    lr: 1e-3,
                    momentum: None,
                };
                let result = train::step(
                    &mut model,
                    &mut optimizer,
                    &part,
                    &mut batcher,
                    b,
                    &mut ws,
                    &mut grads,
                    params,
                );
                assert!(matches!(result, StepResult::Applied { .. }));
            };
            step(0); // warm: the helper threads' packing buffers
            allocations(|| (0..4).for_each(&mut step))
        });
        assert_eq!(count, 0, "batch {batch}, {threads} thread(s)");
    }
}

/// The LR a feedback policy (`--schedule plateau`) gives the loop at every step is read from its
/// state without allocating; only hearing an epoch (after validation, outside any step) may.
#[test]
fn a_plateau_policy_gives_each_steps_lr_without_allocating() {
    use lrtool::schedule::{LrPlan, PlateauMode, ScheduleKind, ScheduleSpec};
    use lrtool::train::{EpochReport, PlateauRun, Quantity};

    let mut spec = ScheduleSpec::defaults(ScheduleKind::Plateau);
    spec.patience = Some(0);
    spec.warmup_steps = Some(10);
    let LrPlan::Plateau(policy) = spec.build_plan(0.1, 10, 1000, PlateauMode::Min).unwrap() else {
        panic!("a plateau policy");
    };
    let mut run = PlateauRun::new(policy, Quantity::ValLoss);
    for epoch in 1..=5usize {
        let report = EpochReport {
            epoch,
            steps: (epoch * 10) as u64,
            lr: 0.1,
            train_loss: 1.0,
            train_metric: 0.5,
            val_loss: Some(1.0),
            val_metric: Some(0.5),
            seconds: 0.0,
        };
        run.inform(&report).unwrap();
        let mut sum = 0.0;
        let count = allocations(|| {
            for t in (epoch as u64 * 10)..(epoch as u64 * 10 + 10) {
                sum += std::hint::black_box(run.lr(t));
            }
        });
        assert_eq!(count, 0, "epoch {epoch}");
        assert!(sum > 0.0);
    }
    assert!(!run.cuts.is_empty(), "the policy did cut");
}

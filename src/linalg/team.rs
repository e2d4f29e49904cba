//! A tiny team of helper threads for splitting one matrix product: the calling thread posts a job
//! of `parts` independent pieces, works on them itself, and helpers that are awake take pieces
//! too. The caller never waits for a helper to *start*: a piece nobody has claimed yet is done
//! by the caller, so a sleeping helper costs nothing but the work it did not share.
//!
//! Helpers spin for a short while after each job (the next product of a training step comes
//! within microseconds) and then park until the next one. `std` only: scoped threads, atomics,
//! park/unpark.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long an idle helper spins before it parks.
const SPIN: Duration = Duration::from_micros(500);

/// One posted job: `parts` pieces, claimed with `next`, counted when finished with `done`.
struct Job<'a> {
    work: &'a (dyn Fn(usize) + Sync),
    parts: usize,
    next: AtomicUsize,
    done: AtomicUsize,
}

impl Job<'_> {
    /// Claim and run pieces until none is left.
    fn help(&self) {
        loop {
            let i = self.next.fetch_add(1, SeqCst);
            if i >= self.parts {
                return;
            }
            (self.work)(i);
            self.done.fetch_add(1, SeqCst);
        }
    }
}

/// The state the caller and its helpers share.
struct Shared {
    /// Bumped for every posted job and at shutdown.
    epoch: AtomicU64,
    /// The current job (`Job<'static>` stands for a job borrowed from the caller's stack, valid
    /// while the pointer is set and while `active` is above zero).
    job: AtomicPtr<Job<'static>>,
    /// Helpers between reading `job` and being done with it.
    active: AtomicUsize,
    stop: AtomicBool,
    /// Per helper: parked (or about to park) and needs an unpark for the next job.
    sleeping: Vec<AtomicBool>,
}

/// The team of the calling thread while inside [`with_team`].
pub struct Team {
    shared: std::sync::Arc<Shared>,
    helpers: Vec<Thread>,
}

thread_local! {
    static TEAM: Cell<*const Team> = const { Cell::new(std::ptr::null()) };
}

fn helper_loop(shared: &Shared, me: usize) {
    let mut seen = shared.epoch.load(SeqCst);
    loop {
        // wait for a new epoch: spin, then park
        let started = Instant::now();
        let mut spins = 0u32;
        loop {
            let e = shared.epoch.load(SeqCst);
            if e != seen || shared.stop.load(SeqCst) {
                seen = e;
                break;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) && started.elapsed() > SPIN {
                shared.sleeping[me].store(true, SeqCst);
                if shared.epoch.load(SeqCst) == seen && !shared.stop.load(SeqCst) {
                    std::thread::park();
                }
                shared.sleeping[me].store(false, SeqCst);
            } else {
                std::hint::spin_loop();
            }
        }
        if shared.stop.load(SeqCst) {
            return;
        }
        shared.active.fetch_add(1, SeqCst);
        let job = shared.job.load(SeqCst);
        if !job.is_null() {
            // SAFETY: the caller keeps the job alive until `job` is cleared and `active` is 0,
            // and we counted ourselves in `active` before reading the pointer.
            unsafe { (*job).help() };
        }
        shared.active.fetch_sub(1, SeqCst);
    }
}

/// Run `f` with `threads - 1` helper threads available to [`for_each_part`] calls made on the
/// calling thread. With `threads ≤ 1`, `f` just runs.
pub fn with_team<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    if threads <= 1 {
        return f();
    }
    let n_helpers = threads - 1;
    let shared = std::sync::Arc::new(Shared {
        epoch: AtomicU64::new(0),
        job: AtomicPtr::new(std::ptr::null_mut()),
        active: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        sleeping: (0..n_helpers).map(|_| AtomicBool::new(false)).collect(),
    });
    std::thread::scope(|scope| {
        let helpers = (0..n_helpers)
            .map(|me| {
                let shared = &shared;
                std::thread::Builder::new()
                    .name(format!("lrtool-helper-{me}"))
                    .spawn_scoped(scope, move || helper_loop(shared, me))
                    .expect("spawn a helper thread")
                    .thread()
                    .clone()
            })
            .collect();
        let team = Team {
            shared: shared.clone(),
            helpers,
        };
        struct Reset<'t>(*const Team, &'t Team);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                TEAM.with(|t| t.set(self.0));
                let s = &self.1.shared;
                s.stop.store(true, SeqCst);
                s.epoch.fetch_add(1, SeqCst);
                for h in &self.1.helpers {
                    h.unpark();
                }
            }
        }
        let _reset = Reset(TEAM.with(|t| t.replace(&team)), &team);
        f()
    })
}

/// Run `f` without the calling thread's team: [`for_each_part`] calls inside run every piece on
/// this thread.
pub fn serial<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(*const Team);
    impl Drop for Restore {
        fn drop(&mut self) {
            TEAM.with(|t| t.set(self.0));
        }
    }
    let _restore = Restore(TEAM.with(|t| t.replace(std::ptr::null())));
    f()
}

/// Threads of the calling thread's team (1 outside [`with_team`]).
pub fn team_size() -> usize {
    TEAM.with(|t| {
        let p = t.get();
        // SAFETY: set only while the team lives (inside `with_team` on this thread)
        if p.is_null() {
            1
        } else {
            unsafe { (*p).helpers.len() + 1 }
        }
    })
}

/// Run `work(0)`, …, `work(parts - 1)`, sharing the pieces with the team's awake helpers; the
/// calling thread does every piece nobody else has claimed. Returns when all are done.
pub fn for_each_part(parts: usize, work: &(dyn Fn(usize) + Sync)) {
    let team = TEAM.with(Cell::get);
    if team.is_null() || parts <= 1 {
        (0..parts).for_each(work);
        return;
    }
    // SAFETY: set only while the team lives (inside `with_team` on this thread)
    let team = unsafe { &*team };
    let s = &team.shared;
    let job = Job {
        work,
        parts,
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    };
    // SAFETY (lifetime): the pointer is cleared, and every helper that may have read it has
    // left, before `job` goes out of scope below.
    let ptr = &job as *const Job<'_> as *mut Job<'static>;
    s.job.store(ptr, SeqCst);
    s.epoch.fetch_add(1, SeqCst);
    for (h, sleeping) in team.helpers.iter().zip(&s.sleeping) {
        if sleeping.load(SeqCst) {
            h.unpark();
        }
    }
    job.help();
    wait_until(|| job.done.load(SeqCst) >= parts);
    s.job.store(std::ptr::null_mut(), SeqCst);
    wait_until(|| s.active.load(SeqCst) == 0);
}

/// Spin until `ready`, yielding the core now and then (a helper that holds a piece may have
/// been preempted by another process).
fn wait_until(ready: impl Fn() -> bool) {
    let mut spins = 0u32;
    while !ready() {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(256) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once() {
        for threads in [1, 2, 3] {
            let total = with_team(threads, || {
                assert_eq!(team_size(), threads);
                let mut total = 0;
                for round in 0..2000usize {
                    let hits: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
                    for_each_part(5, &|i| {
                        hits[i].fetch_add(round + 1, SeqCst);
                    });
                    assert!(hits.iter().all(|h| h.load(SeqCst) == round + 1));
                    total += 1;
                    if round % 500 == 0 {
                        // let the helpers fall asleep once in a while
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                total
            });
            assert_eq!(total, 2000);
            assert_eq!(team_size(), 1);
        }
    }
}

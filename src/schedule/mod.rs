//! Learning-rate schedules: the `Schedule` enum (data) and its pure functions of the 0-based step.
//!
//! A schedule has no hidden counter: `lr(step)`, `momentum(step)` and `is_cycle_end(step)` can be
//! printed, plotted and tested without training anything. Every family lives in its own file with
//! its formula, its PyTorch reference, its deliberate differences and its golden-value tests;
//! `spec.rs` turns the settings a run asked for (`ScheduleSpec`) into a validated `Schedule`.
//!
//! Conventions (DESIGN.md §3): steps are 0-based, "the LR at step t" is the rate used by the t-th
//! optimizer update; epoch-based parameters are converted to steps with the run's steps per epoch
//! when the schedule is built (SGDR keeps the fractional epoch `step / steps_per_epoch`). Every
//! schedule is defined, finite and panic-free for any step ≥ 0, also past the end of a planned
//! run; cycles are found with integer arithmetic, never with a floating-point logarithm.
//!
//! To add a family (like the snapshot cosine of `snapshot-ensemble`, in `snapshot.rs`): a
//! file with a data struct and its `lr`/`momentum`/`is_cycle_end`, a variant here, an arm in each
//! `match` below.

pub mod constant;
pub mod cosine;
pub mod cyclic;
pub mod exponential;
pub mod fge;
pub mod inverse_time;
pub mod kind;
pub mod linear;
pub mod one_cycle;
pub mod plateau;
pub mod polynomial;
pub mod range_test;
pub mod sequence;
pub mod sgdr;
pub mod snapshot;
pub mod spec;
pub mod step;
pub mod swa;
pub mod warmup;
pub mod wsd;

use serde::Serialize;

pub use cosine::Cosine;
pub use cyclic::{Cyclic, CyclicMode};
pub use exponential::Exponential;
pub use fge::{Fge, FgeSettings};
pub use inverse_time::InverseTime;
pub use kind::ScheduleKind;
pub use linear::Linear;
pub use one_cycle::{Anneal, OneCycle};
pub use plateau::{LrPlan, Plateau, PlateauMode, PlateauState, ReduceOnPlateau, ThresholdMode};
pub use polynomial::Polynomial;
pub use range_test::RangeTest;
pub use sequence::Sequence;
pub use sgdr::Sgdr;
pub use snapshot::SnapshotCosine;
pub use spec::ScheduleSpec;
pub use step::{MultiStep, StepDecay, StepVariant};
pub use swa::{SwaLr, SwaSettings};
pub use warmup::Warmup;
pub use wsd::{DecayShape, Wsd};

/// A learning-rate schedule: plain data, every length already in optimizer steps (SGDR also keeps
/// its steps per epoch). Serialized into `summary.json` as `{"name": <--schedule name>, …fields}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Schedule {
    /// The same learning rate at every step.
    Constant { lr: f64 },
    /// Multiply by `gamma` every `every` steps (PyTorch `StepLR`, or the Keras blog variant).
    Step(StepDecay),
    /// Multiply by `gamma` at each milestone step (PyTorch `MultiStepLR`).
    #[serde(rename = "multistep")]
    MultiStep(MultiStep),
    /// Multiply by `gamma` once per epoch (PyTorch `ExponentialLR` stepped per epoch).
    Exponential(Exponential),
    /// One cosine from `lr` to `min_lr` over the run (PyTorch `CosineAnnealingLR`).
    Cosine(Cosine),
    /// Cosine with warm restarts (PyTorch `CosineAnnealingWarmRestarts`, plus peak/floor decay).
    Sgdr(Sgdr),
    /// Smith's triangle (PyTorch `CyclicLR`, mode `triangular`).
    Triangular(Cyclic),
    /// The triangle with its amplitude halved every cycle (`CyclicLR` mode `triangular2`).
    Triangular2(Cyclic),
    /// The triangle with its amplitude scaled by `gamma^step` (`CyclicLR` mode `exp_range`).
    ExpRange(Cyclic),
    /// Smith's 1cycle (PyTorch `OneCycleLR`).
    OneCycle(OneCycle),
    /// A linear warm-up in front of another schedule (PyTorch `SequentialLR(LinearLR, main)`).
    Warmup(Warmup),
    /// The snapshot-ensemble cosine: M restarts of `⌈T/M⌉` steps (Huang et al. 2017, eq. 2).
    #[serde(rename = "snapshot")]
    SnapshotCosine(SnapshotCosine),
    /// A straight line between two multiples of the LR, then held (PyTorch `LinearLR`).
    Linear(Linear),
    /// Polynomial decay (PyTorch `PolynomialLR`, Keras `PolynomialDecay`).
    Polynomial(Polynomial),
    /// `lr/(1 + rate·t/T)` (Keras `InverseTimeDecay`).
    InverseTime(InverseTime),
    /// Warm-up, stable, decay.
    Wsd(Wsd),
    /// Schedules one after another at milestones (PyTorch `SequentialLR`).
    Sequential(Sequence),
    /// A first phase, then fast-geometric-ensembling cycles (`snapshot-ensemble --fge`).
    Fge(Fge),
}

/// Learning rate: finite and positive.
pub fn check_lr(flag: &str, lr: f64) -> anyhow::Result<f64> {
    if !(lr.is_finite() && lr > 0.0) {
        crate::input_bail!("{flag} {lr}: must be a positive, finite learning rate");
    }
    Ok(lr)
}

/// The range a cycled momentum moves in: `max` where the LR is lowest, `base` at the LR's peak.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MomentumRange {
    pub base: f64,
    pub max: f64,
}

impl Schedule {
    /// The learning rate used by the `step`-th optimizer update (0-based).
    pub fn lr(&self, step: u64) -> f64 {
        match self {
            Schedule::Constant { lr } => constant::lr(*lr, step),
            Schedule::Step(s) => s.lr(step),
            Schedule::MultiStep(s) => s.lr(step),
            Schedule::Exponential(s) => s.lr(step),
            Schedule::Cosine(s) => s.lr(step),
            Schedule::Sgdr(s) => s.lr(step),
            Schedule::Triangular(c) => c.lr(CyclicMode::Triangular, step),
            Schedule::Triangular2(c) => c.lr(CyclicMode::Triangular2, step),
            Schedule::ExpRange(c) => c.lr(CyclicMode::ExpRange, step),
            Schedule::OneCycle(s) => s.lr(step),
            Schedule::Warmup(w) => w.lr(step),
            Schedule::SnapshotCosine(s) => s.lr(step),
            Schedule::Linear(s) => s.lr(step),
            Schedule::Polynomial(s) => s.lr(step),
            Schedule::InverseTime(s) => s.lr(step),
            Schedule::Wsd(s) => s.lr(step),
            Schedule::Sequential(s) => s.lr(step),
            Schedule::Fge(f) => f.lr(step),
        }
    }

    /// The momentum (SGD) or β1 (Adam) at `step` when the schedule cycles it, else `None`.
    /// A schedule either cycles momentum at every step or at none.
    pub fn momentum(&self, step: u64) -> Option<f64> {
        match self {
            Schedule::Constant { .. }
            | Schedule::Step(_)
            | Schedule::MultiStep(_)
            | Schedule::Exponential(_)
            | Schedule::Cosine(_)
            | Schedule::Sgdr(_)
            | Schedule::SnapshotCosine(_)
            | Schedule::Linear(_)
            | Schedule::Polynomial(_)
            | Schedule::InverseTime(_)
            | Schedule::Wsd(_)
            | Schedule::Sequential(_) => None,
            Schedule::Triangular(c) => c.momentum(CyclicMode::Triangular, step),
            Schedule::Triangular2(c) => c.momentum(CyclicMode::Triangular2, step),
            Schedule::ExpRange(c) => c.momentum(CyclicMode::ExpRange, step),
            Schedule::OneCycle(s) => s.momentum(step),
            Schedule::Warmup(w) => w.momentum(step),
            Schedule::Fge(f) => f.momentum(step),
        }
    }

    /// The range a cycled momentum moves in (`None` when the schedule does not cycle it).
    pub fn momentum_range(&self) -> Option<MomentumRange> {
        match self {
            Schedule::Triangular(c) | Schedule::Triangular2(c) | Schedule::ExpRange(c) => {
                c.momentum
            }
            Schedule::OneCycle(s) => s.momentum,
            Schedule::Warmup(w) => w.main.momentum_range(),
            Schedule::Fge(f) => f.base.momentum_range(),
            _ => None,
        }
    }

    /// True when `step` is the last step of a cycle that a restart follows (the LR is at the
    /// cycle's low point and jumps or turns at `step + 1`): SGDR, the cyclical schedules and the
    /// snapshot cosine (which also ends its last, possibly shorter cycle at the run's final step).
    /// These are the snapshot points; one-cycle and cosine have no restart and never return true.
    /// For `fge` they are the collection points, each cycle's lowest LR (the middle of the cycle).
    pub fn is_cycle_end(&self, step: u64) -> bool {
        match self {
            Schedule::Constant { .. }
            | Schedule::Step(_)
            | Schedule::MultiStep(_)
            | Schedule::Exponential(_)
            | Schedule::Cosine(_)
            | Schedule::OneCycle(_)
            | Schedule::Linear(_)
            | Schedule::Polynomial(_)
            | Schedule::InverseTime(_)
            | Schedule::Wsd(_) => false,
            Schedule::Sequential(s) => s.is_cycle_end(step),
            Schedule::Sgdr(s) => s.is_cycle_end(step),
            Schedule::Triangular(c) | Schedule::Triangular2(c) | Schedule::ExpRange(c) => {
                c.is_cycle_end(step)
            }
            Schedule::Warmup(w) => w.is_cycle_end(step),
            Schedule::SnapshotCosine(s) => s.is_cycle_end(step),
            Schedule::Fge(f) => f.is_cycle_end(step),
        }
    }

    /// Short name as given to `--schedule` (a warm-up reports the schedule it leads into).
    pub fn name(&self) -> &'static str {
        match self {
            Schedule::Constant { .. } => "constant",
            Schedule::Step(_) => "step",
            Schedule::MultiStep(_) => "multistep",
            Schedule::Exponential(_) => "exponential",
            Schedule::Cosine(_) => "cosine",
            Schedule::Sgdr(_) => "sgdr",
            Schedule::Triangular(_) => "triangular",
            Schedule::Triangular2(_) => "triangular2",
            Schedule::ExpRange(_) => "exp-range",
            Schedule::OneCycle(_) => "one-cycle",
            Schedule::Warmup(w) => w.main.name(),
            Schedule::SnapshotCosine(_) => "snapshot",
            Schedule::Linear(_) => "linear",
            Schedule::Polynomial(_) => "polynomial",
            Schedule::InverseTime(_) => "inverse-time",
            Schedule::Wsd(_) => "wsd",
            Schedule::Sequential(_) => "sequential",
            Schedule::Fge(_) => "fge",
        }
    }

    /// Closed bounds `(lo, hi)` that every `lr(step)` lies in, for the parameters that `args.rs`
    /// accepts (decay factors at most 1, `min_lr ≤ lr`).
    pub fn lr_bounds(&self) -> (f64, f64) {
        match self {
            Schedule::Constant { lr } => (*lr, *lr),
            Schedule::Step(s) => (0.0, s.lr),
            Schedule::MultiStep(s) => (0.0, s.lr),
            Schedule::Exponential(s) => (0.0, s.lr),
            Schedule::Cosine(s) => (s.min_lr, s.lr),
            Schedule::Sgdr(s) => s.lr_bounds(),
            Schedule::Triangular(c) | Schedule::Triangular2(c) | Schedule::ExpRange(c) => {
                (c.base_lr, c.max_lr)
            }
            Schedule::OneCycle(s) => s.lr_bounds(),
            Schedule::SnapshotCosine(s) => (0.0, s.lr),
            Schedule::Linear(s) => s.lr_bounds(),
            Schedule::Polynomial(s) => (s.end_lr, s.lr),
            Schedule::InverseTime(s) => (0.0, s.lr),
            Schedule::Wsd(s) => s.lr_bounds(),
            Schedule::Sequential(s) => s.lr_bounds(),
            Schedule::Fge(f) => f.lr_bounds(),
            Schedule::Warmup(w) => {
                let (lo, hi) = w.main.lr_bounds();
                let first = w.main.lr(0);
                (lo.min(first * w.start_factor), hi.max(first))
            }
        }
    }

    /// One line with the family and its resolved parameters (plot titles, `lrtool schedule`).
    pub fn describe(&self) -> String {
        use crate::words::count;
        match self {
            Schedule::Constant { lr } => format!("constant: lr {}", num(*lr)),
            Schedule::Step(s) => format!(
                "step ({}): lr {} × {}^k, k drops every {} from step {}",
                s.variant.name(),
                num(s.lr),
                num(s.gamma),
                count(s.every, "step"),
                s.first_drop
            ),
            Schedule::MultiStep(s) => format!(
                "multistep: lr {} × {} at steps {}",
                num(s.lr),
                num(s.gamma),
                s.milestones
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Schedule::Exponential(s) => format!(
                "exponential: lr {} × {} every {}",
                num(s.lr),
                num(s.gamma),
                count(s.every, "step")
            ),
            Schedule::Cosine(s) => match s.t_max {
                None => format!(
                    "cosine: lr {} → {} over {}",
                    num(s.lr),
                    num(s.min_lr),
                    count(s.total, "step")
                ),
                Some(t_max) => format!(
                    "cosine: lr {} → {} in {} and back in as many (T_max {}), period {}",
                    num(s.lr),
                    num(s.min_lr),
                    count(t_max, "step"),
                    t_max,
                    count(u128::from(t_max) * 2, "step")
                ),
            },
            Schedule::Sgdr(s) => {
                let mut text = format!(
                    "sgdr: lr {} → {}, first cycle {} × {}, t-mult {}",
                    num(s.lr),
                    num(s.min_lr),
                    count(s.t0, "epoch"),
                    count(s.steps_per_epoch, "step"),
                    s.t_mult
                );
                if s.peak_decay != 1.0 {
                    text.push_str(&format!(", peak × {}", num(s.peak_decay)));
                }
                if s.floor_decay != 1.0 {
                    text.push_str(&format!(", floor × {}", num(s.floor_decay)));
                }
                text
            }
            Schedule::Triangular(c) | Schedule::Triangular2(c) | Schedule::ExpRange(c) => {
                let mut text = format!(
                    "{}: lr {} ↔ {}, up {}, down {}",
                    self.name(),
                    num(c.base_lr),
                    num(c.max_lr),
                    count(c.step_size_up, "step"),
                    count(c.step_size_down, "step")
                );
                if matches!(self, Schedule::ExpRange(_)) {
                    text.push_str(&format!(", gamma {}", num(c.gamma)));
                }
                text.push_str(&momentum_text(c.momentum));
                text
            }
            Schedule::OneCycle(s) => format!(
                "one-cycle{}: lr {} → {} → {} over {}, pct-start {}, {}{}",
                if s.three_phase { " (three-phase)" } else { "" },
                num(s.initial_lr()),
                num(s.max_lr),
                num(s.min_lr()),
                count(s.total, "step"),
                num(s.pct_start),
                s.anneal.name(),
                momentum_text(s.momentum)
            ),
            Schedule::Warmup(w) => format!(
                "warm-up {} from {} × the first LR, then {}",
                count(w.steps, "step"),
                num(w.start_factor),
                w.main.describe()
            ),
            Schedule::Linear(s) => format!(
                "linear: lr {} × {} → × {} over {}",
                num(s.lr),
                num(s.start_factor),
                num(s.end_factor),
                count(s.total_iters, "step")
            ),
            Schedule::Polynomial(s) => format!(
                "polynomial: lr {} → {} over {}, power {}{}",
                num(s.lr),
                num(s.end_lr),
                count(s.decay_steps, "step"),
                num(s.power),
                if s.cycle { ", cycled (Keras)" } else { "" }
            ),
            Schedule::InverseTime(s) => format!(
                "inverse-time: lr {} / (1 + {}·{}), T = {}",
                num(s.lr),
                num(s.decay_rate),
                if s.staircase { "⌊t/T⌋" } else { "t/T" },
                count(s.decay_steps, "step")
            ),
            Schedule::Wsd(s) => format!(
                "wsd: warm-up {} to lr {}, stable {}, {} decay to {} over {}",
                count(s.warmup, "step"),
                num(s.lr),
                count(s.stable, "step"),
                s.shape.name(),
                num(s.min_lr),
                count(s.decay, "step")
            ),
            Schedule::Sequential(s) => {
                let parts: Vec<String> = s
                    .starts
                    .iter()
                    .zip(&s.children)
                    .map(|(start, c)| format!("from step {start}: {}", c.describe()))
                    .collect();
                format!("sequential: {}", parts.join("; "))
            }
            Schedule::Fge(f) => format!(
                "fge: steps 0 … {} {}; from step {} cycles of {}, lr {} → {} → {} (a model at each cycle's lowest LR)",
                f.start.saturating_sub(1),
                f.base.describe(),
                f.start,
                count(f.cycle, "step"),
                num(f.lr1),
                num(f.lr2),
                num(f.lr1)
            ),
            Schedule::SnapshotCosine(s) => {
                let mut text = format!(
                    "snapshot: lr {} → ~0 in each of {} of {}",
                    num(s.lr),
                    count(s.cycles, "cycle"),
                    count(s.cycle_len, "step")
                );
                if s.last_cycle_len() != s.cycle_len {
                    text.push_str(&format!(
                        " (the last cut short at {})",
                        count(s.last_cycle_len(), "step")
                    ));
                }
                text
            }
        }
    }
}

fn momentum_text(m: Option<MomentumRange>) -> String {
    match m {
        Some(m) => format!(", momentum {} ↔ {}", num(m.max), num(m.base)),
        None => ", momentum not cycled".into(),
    }
}

/// A number for a one-line description: `{}`, or `{:e}` below 1e-3 and from 1e6 on (`4e-7`,
/// not `0.0000004`); both read back as the same f64.
fn num(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// `v` kept inside `[min(a, b), max(a, b)]` without panicking (rounding can overshoot an end
/// point by an ulp; `f64::clamp` would panic on reversed bounds).
pub(crate) fn within(v: f64, a: f64, b: f64) -> f64 {
    v.max(a.min(b)).min(a.max(b))
}

/// `x^k` for a whole exponent of any size (`powf` of the exact `f64` of `k`; Python's `x ** k`
/// calls the same C `pow`). Underflows to 0 for a factor below 1.
pub(crate) fn pow_u64(x: f64, k: u64) -> f64 {
    if k == 0 { 1.0 } else { x.powf(k as f64) }
}

#[cfg(test)]
pub(crate) mod test_util {
    /// `a` equals `b` to a relative 1e-12, or an absolute 1e-18 near zero.
    pub fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(a.abs()) + 1e-18
    }

    /// Panics with context unless every `(step, expected)` matches `f(step)`.
    pub fn check(what: &str, f: impl Fn(u64) -> f64, table: &[(u64, f64)]) {
        for &(step, want) in table {
            let got = f(step);
            assert!(
                close(got, want),
                "{what}: step {step}: got {got:e}, want {want:e}"
            );
        }
    }

    /// Panics with context unless every `(step, lr, momentum)` matches the schedule.
    pub fn check_lr_momentum(what: &str, s: &super::Schedule, table: &[(u64, f64, f64)]) {
        for &(t, lr, m) in table {
            let (got_lr, got_m) = (s.lr(t), s.momentum(t).unwrap());
            assert!(
                close(got_lr, lr),
                "{what} step {t}: lr {got_lr:e}, want {lr:e}"
            );
            assert!(
                close(got_m, m),
                "{what} step {t}: momentum {got_m}, want {m}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn constant_is_constant() {
        let s = Schedule::Constant { lr: 0.1 };
        assert!((0..1000).all(|t| s.lr(t) == 0.1));
        assert!((0..1000).all(|t| s.momentum(t).is_none() && !s.is_cycle_end(t)));
        assert_eq!(s.lr(u64::MAX), 0.1);
    }

    #[test]
    fn serializes_with_the_schedule_name() {
        let s = Schedule::Warmup(Warmup {
            steps: 5,
            start_factor: 0.1,
            main: Box::new(Schedule::Triangular2(Cyclic {
                base_lr: 0.001,
                max_lr: 0.006,
                step_size_up: 4,
                step_size_down: 4,
                gamma: 1.0,
                momentum: None,
            })),
        });
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["name"], "warmup");
        assert_eq!(v["main"]["name"], "triangular2");
        assert_eq!(v["main"]["step_size_up"], 4);
        assert_eq!(s.name(), "triangular2");
        let c = serde_json::to_value(Schedule::Constant { lr: 0.5 }).unwrap();
        assert_eq!(c, serde_json::json!({"name": "constant", "lr": 0.5}));
    }

    /// A random step: mostly inside a run, sometimes far past its end or at the extremes.
    fn random_step(rng: &mut ChaCha8Rng, total: u64) -> u64 {
        match rng.random_range(0..10) {
            0 => u64::MAX - rng.random_range(0..3),
            1 => rng.random::<u64>(),
            2 => total + rng.random_range(0..1000),
            _ => rng.random_range(0..total.max(1)),
        }
    }

    fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
        (rng.random_range(lo.ln()..hi.ln())).exp()
    }

    /// Random flags for one family, as a user would give them (only flags the family uses).
    fn random_args(rng: &mut ChaCha8Rng, kind: ScheduleKind, lr: f64) -> ScheduleSpec {
        let mut a = ScheduleSpec::defaults(kind);
        let maybe = |rng: &mut ChaCha8Rng| rng.random_bool(0.6);
        let gamma = |rng: &mut ChaCha8Rng| {
            if rng.random_bool(0.2) {
                1.0
            } else {
                rng.random_range(0.01..1.0)
            }
        };
        match kind {
            ScheduleKind::Constant => {}
            ScheduleKind::Step => {
                if maybe(rng) {
                    a.gamma = Some(gamma(rng));
                }
                if maybe(rng) {
                    a.step_every = Some(rng.random_range(1..50));
                }
                if maybe(rng) {
                    a.step_variant = Some(if rng.random_bool(0.5) {
                        StepVariant::Pytorch
                    } else {
                        StepVariant::Keras
                    });
                }
            }
            ScheduleKind::Multistep => {
                a.gamma = Some(gamma(rng));
                let mut m = 0u64;
                let list: Vec<String> = (0..rng.random_range(1..6))
                    .map(|_| {
                        m += rng.random_range(1..40);
                        m.to_string()
                    })
                    .collect();
                a.milestones = Some(list.join(","));
            }
            ScheduleKind::Exponential => {
                if maybe(rng) {
                    a.gamma = Some(gamma(rng));
                }
            }
            ScheduleKind::Cosine | ScheduleKind::Sgdr => {
                if maybe(rng) {
                    a.min_lr = Some(lr * rng.random_range(0.0..1.0));
                }
                if kind == ScheduleKind::Sgdr {
                    if maybe(rng) {
                        a.t0 = Some(rng.random_range(1..20));
                    }
                    if maybe(rng) {
                        a.t_mult = Some(rng.random_range(1..5) as f64);
                    }
                    if maybe(rng) {
                        let p = rng.random_range(0.05..1.0);
                        a.peak_decay = Some(p);
                        if maybe(rng) {
                            a.floor_decay = Some(rng.random_range(0.01..=p));
                        }
                    }
                }
            }
            ScheduleKind::Triangular | ScheduleKind::Triangular2 | ScheduleKind::ExpRange => {
                if maybe(rng) {
                    a.min_lr = Some(lr * rng.random_range(0.0..1.0));
                }
                if rng.random_bool(0.5) {
                    a.step_size = Some(rng.random_range(1..3000));
                } else if rng.random_bool(0.5) {
                    a.step_size_epochs = Some(rng.random_range(1..10));
                }
                if maybe(rng) {
                    a.step_size_down = Some(rng.random_range(1..100));
                }
                if kind == ScheduleKind::ExpRange && maybe(rng) {
                    a.gamma = Some(1.0 - log_uniform(rng, 1e-6, 0.5));
                }
                random_momentum(rng, &mut a);
            }
            ScheduleKind::OneCycle => {
                if maybe(rng) {
                    a.pct_start = Some(rng.random_range(0.01..0.99));
                }
                if maybe(rng) {
                    a.div_factor = Some(log_uniform(rng, 1.0, 1e3));
                }
                if maybe(rng) {
                    a.final_div_factor = Some(log_uniform(rng, 1.0, 1e6));
                }
                if maybe(rng) {
                    a.anneal = Some(if rng.random_bool(0.5) {
                        Anneal::Cos
                    } else {
                        Anneal::Linear
                    });
                }
                if rng.random_bool(0.3) {
                    a.three_phase = true;
                    a.pct_start = Some(rng.random_range(0.01..0.49));
                }
                random_momentum(rng, &mut a);
            }
            ScheduleKind::Plateau => unreachable!("a feedback policy, not a schedule"),
            ScheduleKind::Snapshot => {
                // a warm-up may leave as few as 2 steps, where only 1 or 2 cycles fit
                a.cycles = Some(rng.random_range(1..=2));
            }
            ScheduleKind::Linear => {
                if maybe(rng) {
                    a.start_factor = Some(rng.random_range(0.001..=1.0));
                }
                if maybe(rng) {
                    a.end_factor = Some(rng.random_range(0.0..=1.0));
                }
                random_decay_steps(rng, &mut a);
            }
            ScheduleKind::Polynomial => {
                if maybe(rng) {
                    a.min_lr = Some(lr * rng.random_range(0.0..1.0));
                }
                if maybe(rng) {
                    a.power = Some(log_uniform(rng, 0.1, 10.0));
                }
                a.cycle = rng.random_bool(0.5);
                random_decay_steps(rng, &mut a);
            }
            ScheduleKind::InverseTime => {
                if maybe(rng) {
                    a.decay_rate = Some(log_uniform(rng, 1e-3, 100.0));
                }
                a.staircase = rng.random_bool(0.5);
                random_decay_steps(rng, &mut a);
            }
            ScheduleKind::Wsd => {
                if maybe(rng) {
                    a.min_lr = Some(lr * rng.random_range(0.0..1.0));
                }
                if maybe(rng) {
                    a.pct_start = Some(rng.random_range(0.0..0.5));
                }
                if maybe(rng) {
                    a.decay_fraction = Some(rng.random_range(0.0..=0.5));
                }
                if maybe(rng) {
                    a.decay_shape = Some(DecayShape::ALL[rng.random_range(0..3)]);
                }
            }
            ScheduleKind::Sequential => {
                // a warm-up may leave as few as 2 steps: the second child starts at step 1
                let children = [
                    "linear:start-factor=0.1:decay-steps=3",
                    "cosine:t-max=7:min-lr=0",
                    "polynomial:power=2:cycle:decay-steps=5",
                    "one-cycle",
                    "step:gamma=0.5:step-every=1",
                    "wsd:decay-shape=cosine",
                    "inverse-time:staircase",
                    "triangular:step-size=3",
                ];
                let mut pick = || children[rng.random_range(0..children.len())];
                a.sequence = Some(format!("{} @1 {}", pick(), pick()));
            }
        }
        if kind == ScheduleKind::Cosine && rng.random_bool(0.3) {
            a.t_max = Some(rng.random_range(1..200));
        }
        if rng.random_bool(0.3) {
            a.warmup_steps = Some(rng.random_range(1..20));
            if maybe(rng) {
                a.warmup_start_factor = Some(rng.random_range(0.001..=1.0));
            }
        }
        a
    }

    fn random_decay_steps(rng: &mut ChaCha8Rng, a: &mut ScheduleSpec) {
        match rng.random_range(0..3) {
            0 => a.decay_steps = Some(rng.random_range(1..3000)),
            1 => a.decay_epochs = Some(rng.random_range(1..10)),
            _ => {}
        }
    }

    fn random_momentum(rng: &mut ChaCha8Rng, a: &mut ScheduleSpec) {
        if rng.random_bool(0.2) {
            a.no_cycle_momentum = true;
        } else if rng.random_bool(0.5) {
            let lo = rng.random_range(0.0..0.99);
            a.base_momentum = Some(lo);
            a.max_momentum = Some(rng.random_range(lo..0.999));
        }
    }

    /// Property test (seeded loop, no proptest): for random valid flags of every family, every LR
    /// (and momentum) at random steps — inside the run, past its end, near `u64::MAX` — is finite
    /// and within the schedule's bounds; cycle ends are answered without panicking.
    #[test]
    fn every_family_is_finite_and_bounded_for_random_parameters() {
        let mut rng = ChaCha8Rng::seed_from_u64(20240611);
        let kinds: Vec<ScheduleKind> = ScheduleKind::ALL
            .into_iter()
            .filter(|k| !k.is_feedback())
            .collect();
        for case in 0..3000 {
            let kind = kinds[case % kinds.len()];
            let lr = log_uniform(&mut rng, 1e-6, 10.0);
            let spe = rng.random_range(1..200usize);
            let total = rng.random_range(1..5000u64) + 20;
            let args = random_args(&mut rng, kind, lr);
            let s = args
                .build(lr, spe, total)
                .unwrap_or_else(|e| panic!("case {case} {kind:?}: {e:#} for {args:?}"));
            let (lo, hi) = s.lr_bounds();
            assert!(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi && hi <= lr);
            let cycles_momentum = s.momentum(0).is_some();
            for _ in 0..200 {
                let t = random_step(&mut rng, total);
                let v = s.lr(t);
                assert!(
                    v.is_finite() && lo <= v && v <= hi,
                    "case {case}: {} at step {t}: lr {v} outside [{lo}, {hi}]",
                    s.describe()
                );
                let m = s.momentum(t);
                assert_eq!(m.is_some(), cycles_momentum);
                if let Some(m) = m {
                    assert!(m.is_finite() && (0.0..1.0).contains(&m), "momentum {m}");
                }
                let _ = s.is_cycle_end(t);
            }
        }
    }

    /// The first step of every schedule built without a warm-up is its documented start.
    #[test]
    fn starting_points() {
        let start = |kind, lr| {
            ScheduleSpec::defaults(kind)
                .build(lr, 3, 300)
                .unwrap()
                .lr(0)
        };
        for kind in [
            ScheduleKind::Constant,
            ScheduleKind::Step,
            ScheduleKind::Exponential,
            ScheduleKind::Cosine,
            ScheduleKind::Sgdr,
        ] {
            assert_eq!(start(kind, 0.1), 0.1, "{kind:?}");
        }
        // cyclical: at the base (--min-lr, by default --lr/4); one-cycle: --lr/25
        assert_eq!(start(ScheduleKind::Triangular, 0.1), 0.025);
        assert!(test_util::close(start(ScheduleKind::OneCycle, 0.1), 0.004));
    }
}

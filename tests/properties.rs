//! Property tests (proptest) through the library: every schedule family with random valid
//! parameters gives a finite LR within its bounds at every step; the train/validation split is a
//! partition of the rows, deterministic per seed; the CSV loader reads back what the `csv` crate
//! writes. Case counts are modest so the suite stays fast.

use std::collections::BTreeSet;

use lrtool::data::csv::{CsvOptions, parse_csv};
use lrtool::data::{Dataset, Target, Task, split};
use lrtool::schedule::{Anneal, DecayShape, ScheduleKind, ScheduleSpec, StepVariant};
use ndarray::Array2;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// `cases` random cases; a failure is printed (shrunk), not saved into the source tree.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------- schedules

/// A learning rate between 1e-6 and 10, spread over the decades.
fn lr_strategy() -> impl Strategy<Value = f64> {
    (-6.0f64..1.0).prop_map(|e| 10f64.powf(e))
}

/// A fraction in (0, 1] (or (0, 1) when `one_ok` is false).
fn fraction(one_ok: bool) -> impl Strategy<Value = f64> {
    prop_oneof![
        (1e-6f64..1.0),
        Just(if one_ok { 1.0 } else { 0.999 }),
        Just(1e-6),
    ]
}

/// The run: steps per epoch and epochs, so that `total = spe × epochs`.
#[derive(Debug, Clone)]
struct Run {
    lr: f64,
    spe: usize,
    epochs: u64,
}

impl Run {
    fn total(&self) -> u64 {
        self.spe as u64 * self.epochs
    }
}

fn run_strategy() -> impl Strategy<Value = Run> {
    (lr_strategy(), 1usize..40, 1u64..40).prop_map(|(lr, spe, epochs)| Run { lr, spe, epochs })
}

/// Valid flags for `kind` on `run`: each of the family's flags either left at its default or set
/// to a random value inside its documented range.
/// Children for random `--sequence` texts: every family that needs no required flag, with
/// some of its own settings.
const SEQUENCE_CHILDREN: [&str; 10] = [
    "constant",
    "linear:start-factor=0.1:decay-steps=3",
    "cosine:t-max=7:min-lr=0",
    "cosine",
    "polynomial:power=2:cycle:decay-steps=5",
    "step:gamma=0.5:step-every=1",
    "wsd:decay-shape=cosine",
    "inverse-time:staircase",
    "triangular:step-size=3",
    "sgdr:t0=1",
];

fn schedule_args(kind: ScheduleKind, run: &Run) -> BoxedStrategy<ScheduleSpec> {
    use ScheduleKind as K;
    let lr = run.lr;
    let epochs = run.epochs;
    let total = run.total();
    let min_lr = proptest::option::of((0.0f64..=1.0).prop_map(move |f| f * lr));
    let momentum = (
        any::<bool>(),
        proptest::option::of(0.0f64..0.99),
        0.0f64..0.99,
    )
        .prop_map(|(off, base, span)| match (off, base) {
            (true, _) => (true, None, None),
            (false, None) => (false, None, None),
            (false, Some(b)) => (false, Some(b), Some(b + (0.999 - b) * span)),
        });
    let warmup = proptest::option::of((0.0f64..1.0, fraction(true))).prop_map(move |w| {
        w.map(|(f, start)| (((total - 1) as f64 * f) as u64, start))
            .filter(|(steps, _)| *steps > 0)
    });
    let base = move || ScheduleSpec::defaults(kind);
    let family: BoxedStrategy<ScheduleSpec> = match kind {
        K::Constant => Just(base()).boxed(),
        K::Step => (
            proptest::option::of(fraction(true)),
            proptest::option::of(1u64..=epochs + 2),
            any::<bool>(),
        )
            .prop_map(move |(gamma, every, keras)| ScheduleSpec {
                gamma,
                step_every: every,
                step_variant: Some(if keras {
                    StepVariant::Keras
                } else {
                    StepVariant::Pytorch
                }),
                ..base()
            })
            .boxed(),
        K::Multistep => (
            proptest::option::of(fraction(true)),
            proptest::collection::btree_set(1u64..=epochs + 2, 1..5),
        )
            .prop_map(move |(gamma, ms)| ScheduleSpec {
                gamma,
                milestones: Some(ms.iter().map(u64::to_string).collect::<Vec<_>>().join(",")),
                ..base()
            })
            .boxed(),
        K::Exponential => proptest::option::of(fraction(true))
            .prop_map(move |gamma| ScheduleSpec { gamma, ..base() })
            .boxed(),
        K::Cosine => min_lr
            .prop_map(move |min_lr| ScheduleSpec { min_lr, ..base() })
            .boxed(),
        K::Sgdr => (
            min_lr,
            proptest::option::of(1u64..=epochs + 2),
            proptest::option::of(1u64..4),
            proptest::option::of(fraction(true)),
            proptest::option::of(fraction(true)),
        )
            .prop_map(move |(min_lr, t0, t_mult, peak, floor)| ScheduleSpec {
                min_lr,
                t0,
                t_mult: t_mult.map(|m| m as f64),
                peak_decay: peak,
                floor_decay: floor,
                ..base()
            })
            .boxed(),
        K::Triangular | K::Triangular2 | K::ExpRange => (
            min_lr,
            proptest::option::of(1u64..200),
            proptest::option::of(1u64..200),
            proptest::option::of(fraction(true)),
            momentum,
        )
            .prop_map(move |(min_lr, up, down, gamma, m)| ScheduleSpec {
                min_lr,
                step_size: up,
                step_size_down: down,
                gamma: if kind == K::ExpRange {
                    gamma.map(|g| 0.99 + 0.01 * g)
                } else {
                    None
                },
                no_cycle_momentum: m.0,
                base_momentum: m.1,
                max_momentum: m.2,
                ..base()
            })
            .boxed(),
        K::OneCycle => (
            any::<bool>(),
            0.01f64..0.99,
            proptest::option::of(1.0f64..1e3),
            proptest::option::of(1.0f64..1e5),
            any::<bool>(),
            momentum,
        )
            .prop_map(
                move |(three, pct, div, final_div, linear, m)| ScheduleSpec {
                    three_phase: three,
                    pct_start: Some(if three { pct * 0.5 } else { pct }),
                    div_factor: div,
                    final_div_factor: final_div,
                    anneal: Some(if linear { Anneal::Linear } else { Anneal::Cos }),
                    no_cycle_momentum: m.0,
                    base_momentum: m.1,
                    max_momentum: m.2,
                    ..base()
                },
            )
            .boxed(),
        K::Snapshot => proptest::option::of(1u64..=total.clamp(1, 8))
            .prop_map(move |cycles| ScheduleSpec { cycles, ..base() })
            .boxed(),
        K::Linear => (
            proptest::option::of(fraction(true)),
            proptest::option::of(0.0f64..=1.0),
            proptest::option::of(1u64..=total + 5),
        )
            .prop_map(move |(start, end, steps)| ScheduleSpec {
                start_factor: start,
                end_factor: end,
                decay_steps: steps,
                ..base()
            })
            .boxed(),
        K::Polynomial => (
            min_lr,
            proptest::option::of(0.1f64..5.0),
            proptest::option::of(1u64..=total + 5),
            any::<bool>(),
        )
            .prop_map(move |(min_lr, power, steps, cycle)| ScheduleSpec {
                min_lr,
                power,
                decay_steps: steps,
                cycle,
                ..base()
            })
            .boxed(),
        K::InverseTime => (
            proptest::option::of(0.0f64..50.0),
            proptest::option::of(1u64..=epochs + 2),
            any::<bool>(),
        )
            .prop_map(move |(rate, epochs, staircase)| ScheduleSpec {
                decay_rate: rate,
                decay_epochs: epochs,
                staircase,
                ..base()
            })
            .boxed(),
        K::Wsd => (
            min_lr,
            proptest::option::of(0.0f64..0.5),
            proptest::option::of(0.0f64..=0.5),
            0usize..3,
        )
            .prop_map(move |(min_lr, pct, frac, shape)| ScheduleSpec {
                min_lr,
                pct_start: pct,
                decay_fraction: frac,
                decay_shape: Some(DecayShape::ALL[shape]),
                ..base()
            })
            .boxed(),
        // a one-step run has no room for a milestone (1..2 would draw 1, which is refused)
        K::Sequential => (
            proptest::collection::btree_set(
                1u64..total.max(2),
                if total > 1 { 0..4 } else { 0..1 },
            ),
            proptest::collection::vec(0usize..SEQUENCE_CHILDREN.len(), 4),
        )
            .prop_map(move |(milestones, picks)| {
                let mut text = SEQUENCE_CHILDREN[picks[0]].to_string();
                for (m, p) in milestones.iter().zip(&picks[1..]) {
                    text.push_str(&format!(" @{m} {}", SEQUENCE_CHILDREN[*p]));
                }
                ScheduleSpec {
                    sequence: Some(text),
                    ..base()
                }
            })
            .boxed(),
        // a feedback policy: its own property test below
        K::Plateau => Just(base()).boxed(),
    };
    (family, warmup)
        .prop_map(|(mut args, warmup)| {
            // a warm-up in front of a sequence is allowed, but its milestones are drawn for the
            // whole run
            if let Some((steps, start)) = warmup
                && args.schedule != ScheduleKind::Sequential
            {
                args.warmup_steps = Some(steps);
                args.warmup_start_factor = Some(start);
            }
            args
        })
        .boxed()
}

fn kind_and_args() -> impl Strategy<Value = (Run, ScheduleSpec)> {
    (
        run_strategy(),
        proptest::sample::select(
            ScheduleKind::ALL
                .into_iter()
                .filter(|k| !k.is_feedback())
                .collect::<Vec<_>>(),
        ),
    )
        .prop_flat_map(|(run, kind)| (Just(run.clone()), schedule_args(kind, &run)))
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn every_schedule_is_finite_and_within_its_bounds((run, args) in kind_and_args()) {
        let total = run.total();
        let schedule = match args.build(run.lr, run.spe, total) {
            Ok(s) => s,
            // the snapshot cosine's cross-check of --cycles and the run's length: more cycles
            // than steps (the default 5 on a short run), or ⌈N/M⌉-step cycles that make fewer
            Err(e) if args.schedule == ScheduleKind::Snapshot
                && ["make only", "more cycles than"].iter().any(|m| e.to_string().contains(m)) => {
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("{args:?} refused: {e:#}"))),
        };
        let (lo, hi) = schedule.lr_bounds();
        prop_assert!(lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo <= hi, "bounds {lo} {hi}");
        let slack = 1e-12 * hi;
        let range = schedule.momentum_range();
        for step in 0..total {
            let lr = schedule.lr(step);
            prop_assert!(lr.is_finite(), "{schedule:?}: lr({step}) = {lr}");
            prop_assert!(lr >= lo - slack && lr <= hi + slack,
                "{schedule:?}: lr({step}) = {lr} outside [{lo}, {hi}]");
            match (schedule.momentum(step), range) {
                (Some(m), Some(r)) => prop_assert!(
                    m.is_finite() && m >= r.base - 1e-12 && m <= r.max + 1e-12,
                    "{schedule:?}: momentum({step}) = {m} outside [{}, {}]", r.base, r.max),
                (None, None) => {}
                (m, r) => prop_assert!(false, "momentum {m:?} but range {r:?} at step {step}"),
            }
        }
        // a pure function of the step: asking again gives the same bits
        let again = args.build(run.lr, run.spe, total).unwrap();
        prop_assert_eq!(&again, &schedule);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// ReduceLROnPlateau for any metric sequence (NaN and ±inf included) and any valid flags:
    /// the LR never rises, stays within [min_lr, lr] and only changes by a factor cut (or to
    /// the floor), and the replay is a pure function of the metrics.
    #[test]
    fn plateau_never_rises_and_stays_within_its_floor(
        metrics in proptest::collection::vec(prop_oneof![
            8 => -10.0f64..10.0,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
        ], 0..60),
        factor in 0.01f64..0.99,
        patience in 0u64..4,
        cooldown in 0u64..3,
        threshold in 0.0f64..0.1,
        abs in any::<bool>(),
        max in any::<bool>(),
        floor in 0.0f64..1.0,
    ) {
        use lrtool::schedule::{LrPlan, PlateauMode, ThresholdMode};
        let lr = 0.1;
        let mut spec = ScheduleSpec::defaults(ScheduleKind::Plateau);
        spec.factor = Some(factor);
        spec.patience = Some(patience);
        spec.cooldown = Some(cooldown);
        spec.threshold = Some(threshold);
        spec.threshold_mode = Some(if abs { ThresholdMode::Abs } else { ThresholdMode::Rel });
        spec.min_lr = Some(floor * lr);
        let mode = if max { PlateauMode::Max } else { PlateauMode::Min };
        let LrPlan::Plateau(p) = spec.build_plan(lr, 1, 100, mode).unwrap() else {
            return Err(TestCaseError::fail("not a plateau policy"));
        };
        let lrs = p.rule.replay(&metrics);
        let mut last = lr;
        for &v in &lrs {
            prop_assert!(v.is_finite() && v <= last && v >= floor * lr, "{v} after {last}");
            prop_assert!(v == last || v == last * factor || v == floor * lr, "{v} after {last}");
            last = v;
        }
        prop_assert_eq!(lrs, p.rule.replay(&metrics));
    }
}

// ---------------------------------------------------------------- splitting

/// A regression dataset of `n` rows whose target and first feature are the row index, and a
/// second feature with a constant value (zero spread).
fn indexed(n: usize) -> Dataset {
    let x = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { i as f32 } else { 7.0 });
    Dataset {
        name: "indexed".into(),
        x,
        y: Target::Values((0..n).map(|i| i as f32).collect()),
        feature_names: vec!["index".into(), "constant".into()],
        encoding: None,
    }
}

fn indices(y: &Target) -> Vec<usize> {
    match y {
        Target::Values(v) => v.iter().map(|&i| i as usize).collect(),
        Target::Classes { .. } => unreachable!("a regression dataset"),
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn a_split_partitions_the_rows_deterministically(
        n in 2usize..400,
        val in prop_oneof![Just(0.0f64), 0.0f64..0.95],
        shuffle in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let ds = indexed(n);
        let expected_val = match ((n as f64 * val).round() as usize, val > 0.0) {
            (0, true) => 1,
            (k, _) => k,
        };
        let splits = match split(&ds, val, shuffle, seed) {
            Ok(s) => s,
            Err(e) => {
                // refused only when no training row would be left
                prop_assert!(expected_val >= n, "refused {n} rows at {val}: {e:#}");
                return Ok(());
            }
        };
        let train = indices(&splits.train.y);
        let valid = indices(&splits.val.y);
        prop_assert_eq!(valid.len(), expected_val);
        prop_assert_eq!(train.len() + valid.len(), n);
        let all: BTreeSet<usize> = train.iter().chain(&valid).copied().collect();
        prop_assert_eq!(all.len(), n, "no row twice");
        prop_assert_eq!(all, (0..n).collect::<BTreeSet<_>>(), "every row once");
        // features travel with their targets: undo the standardisation of the index column
        let st = &splits.standardizer;
        prop_assert_eq!(st.std[1], 1.0, "a constant feature is only centred");
        for (part, rows) in [(&splits.train, &train), (&splits.val, &valid)] {
            for (r, &i) in rows.iter().enumerate() {
                let back = part.x[[r, 0]] as f64 * st.std[0] + st.mean[0];
                prop_assert!((back - i as f64).abs() < 1e-3 * n as f64, "row {i}: {back}");
                prop_assert!(part.x[[r, 1]].abs() < 1e-6);
            }
        }
        if !shuffle {
            // file order: the last rows are validation
            prop_assert_eq!(valid, ((n - expected_val)..n).collect::<Vec<_>>());
            prop_assert_eq!(train, (0..n - expected_val).collect::<Vec<_>>());
        } else {
            let again = split(&ds, val, shuffle, seed).unwrap();
            prop_assert_eq!(indices(&again.train.y), train);
            prop_assert_eq!(indices(&again.val.y), valid);
            prop_assert_eq!(again.train.x, splits.train.x);
        }
    }
}

// ---------------------------------------------------------------- the CSV loader

/// A finite value that f32 can hold, from tiny to large magnitudes, integers included.
fn cell_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1e6f64..1e6),
        (-30i32..30, -1.0f64..1.0).prop_map(|(e, m)| m * 10f64.powi(e)),
        (-1000i64..1000).prop_map(|i| i as f64),
        Just(0.0),
    ]
}

/// Column names: letters with inner spaces, commas and quotes, which the writer has to quote.
fn column_name() -> impl Strategy<Value = String> {
    "[a-z][a-z ,\"']{0,6}[a-z]"
}

#[derive(Debug, Clone)]
struct Table {
    names: Vec<String>,
    rows: Vec<Vec<f64>>,
    crlf: bool,
    quote_all: bool,
}

fn table() -> impl Strategy<Value = Table> {
    (2usize..6, 1usize..30).prop_flat_map(|(cols, rows)| {
        (
            proptest::collection::vec(column_name(), cols),
            proptest::collection::vec(proptest::collection::vec(cell_value(), cols), rows),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(names, rows, crlf, quote_all)| Table {
                // unique names: the column index makes them so
                names: names
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| format!("{n}{i}"))
                    .collect(),
                rows,
                crlf,
                quote_all,
            })
    })
}

fn write_csv(t: &Table, precision: Option<usize>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(if t.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .quote_style(if t.quote_all {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(Vec::new());
    w.write_record(&t.names).unwrap();
    for row in &t.rows {
        w.write_record(row.iter().map(|v| match precision {
            Some(p) => format!("{v:.p$e}"),
            None => v.to_string(),
        }))
        .unwrap();
    }
    w.into_inner().unwrap()
}

/// `a` equals `b` rounded to f32, give or take one f32 rounding step (decimal → f64 → f32 may
/// round twice).
fn same_f32(a: f32, b: f64) -> bool {
    let b32 = b as f32;
    a == b32 || (a as f64 - b32 as f64).abs() <= f32::EPSILON as f64 * (b32.abs() as f64)
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn the_csv_loader_reads_back_what_the_csv_crate_writes(
        t in table(),
        scientific in any::<bool>(),
    ) {
        let bytes = write_csv(&t, scientific.then_some(9));
        let opts = CsvOptions { task: Some(Task::Regress), ..CsvOptions::default() };
        let ds = parse_csv(&bytes, "prop.csv", "prop", &opts)
            .map_err(|e| TestCaseError::fail(format!("{e:#}\n{}", String::from_utf8_lossy(&bytes))))?;
        let cols = t.names.len();
        prop_assert_eq!(ds.n_samples(), t.rows.len());
        prop_assert_eq!(ds.n_features(), cols - 1);
        prop_assert_eq!(&ds.feature_names[..], &t.names[..cols - 1]);
        let written: Vec<Vec<f64>> = t.rows.iter().map(|row| {
            row.iter().map(|v| if scientific { format!("{v:.9e}").parse().unwrap() } else { *v }).collect()
        }).collect();
        for (r, row) in written.iter().enumerate() {
            for (c, &v) in row[..cols - 1].iter().enumerate() {
                prop_assert!(same_f32(ds.x[[r, c]], v), "row {r} col {c}: {} vs {v}", ds.x[[r, c]]);
            }
        }
        let Target::Values(y) = &ds.y else {
            return Err(TestCaseError::fail("--task regress gives values"));
        };
        for (r, row) in written.iter().enumerate() {
            prop_assert!(same_f32(y[r], row[cols - 1]), "target row {r}: {} vs {}", y[r], row[cols - 1]);
        }
    }
}

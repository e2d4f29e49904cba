//! `sequential`: any sequence of families, each starting at a milestone (PyTorch `SequentialLR`).
//!
//! `--sequence "FAMILY[:KEY=VALUE:…] @M1 FAMILY[:…] @M2 FAMILY[:…] …"`: the first schedule runs
//! from step 0, the next from step `M1` (`@M1` in steps, `@M1e` in epochs), and so on. Keys are the
//! schedule flags without their dashes (`t-max=20`, `start-factor=0.1`, a bare `cycle` or
//! `staircase` for a switch; lists with `/`: `milestones=3/6`). No `,` or `;`, so that a sequence
//! fits unquoted inside `compare --arms`. Example, the warm-up of
//! `--warmup-steps 5 --warmup-start-factor 0.1` in front of a cosine:
//!
//! ```text
//! --schedule sequential --sequence "linear:start-factor=0.1:decay-steps=5 @5 cosine"
//! ```
//!
//! As in `SequentialLR`, each schedule restarts counting at its milestone:
//! `lr(t) = child_i.lr(t − M_i)` for `M_i ≤ t < M_{i+1}`, and every child starts from `--lr` (the
//! optimizer's base LR), not from where the one before stopped. Each child is built over its own
//! segment (`M_{i+1} − M_i` steps, the last one up to the run's end), so a cosine without `--t-max`
//! spans its segment and a `linear` or `polynomial` without `--decay-steps` its segment too.
//!
//! In a sequence momentum is not cycled (a one-cycle or triangular child behaves as with
//! `--no-cycle-momentum`), a child takes no warm-up of its own, and sequences do not nest.
//! `--warmup-steps` in front of any schedule is the case `linear:start-factor=f:decay-steps=W @W
//! NAME` (the same rates, bit for bit, for every family that starts at `--lr`; the warm-up flags
//! ramp to the schedule's first LR, see `warmup.rs`).

use serde::Serialize;

use super::spec::{FamilyInfo, epochs_to_steps};
use super::{Anneal, DecayShape, Schedule, ScheduleKind, ScheduleSpec, StepVariant};
use crate::{input_bail, input_err};

/// Children with the step each one starts at (`starts[0] == 0`, increasing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sequence {
    pub starts: Vec<u64>,
    pub children: Vec<Schedule>,
}

impl Sequence {
    /// The child in charge of `step` and the step counted from its start.
    fn at(&self, step: u64) -> (&Schedule, u64) {
        let i = self
            .starts
            .partition_point(|&s| s <= step)
            .saturating_sub(1);
        (&self.children[i], step - self.starts[i])
    }

    pub fn lr(&self, step: u64) -> f64 {
        let (child, t) = self.at(step);
        child.lr(t)
    }

    pub fn is_cycle_end(&self, step: u64) -> bool {
        let (child, t) = self.at(step);
        child.is_cycle_end(t)
    }

    pub fn lr_bounds(&self) -> (f64, f64) {
        self.children
            .iter()
            .map(Schedule::lr_bounds)
            .fold((f64::INFINITY, 0.0), |(lo, hi), (a, b)| {
                (lo.min(a), hi.max(b))
            })
    }
}

/// One child as written: the milestone it starts at (none for the first) and its settings.
struct Part {
    at: Option<u64>,
    text: String,
    spec: ScheduleSpec,
}

/// `--schedule sequential`: `--sequence` parsed and each child built over its segment of `total`.
pub(super) fn build(
    spec: &ScheduleSpec,
    lr: f64,
    spe: u64,
    total: u64,
) -> anyhow::Result<Schedule> {
    let Some(text) = spec.sequence.as_deref() else {
        input_bail!(
            "--sequence: --schedule sequential needs it, like --sequence \"linear:start-factor=0.1:decay-steps=5 @5 cosine\""
        );
    };
    let parts = parse(text, spe).map_err(|e| input_err!("--sequence \"{text}\": {e}"))?;
    let mut starts = vec![0u64];
    for p in &parts[1..] {
        let m = p.at.unwrap_or(0);
        let last = *starts.last().unwrap_or(&0);
        if m <= last {
            input_bail!(
                "--sequence \"{text}\": milestone {m} (before {}) must be after the one before ({last})",
                p.text
            );
        }
        if m >= total {
            input_bail!(
                "--sequence \"{text}\": milestone {m} (before {}) must be inside the run ({})",
                p.text,
                crate::words::count(total, "step")
            );
        }
        starts.push(m);
    }
    let mut children = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(total);
        let child = p
            .spec
            .build(lr, spe as usize, end - starts[i])
            .map_err(|e| {
                input_err!(
                    "--sequence \"{text}\": {} (from step {}): {e:#}",
                    p.text,
                    starts[i]
                )
            })?;
        children.push(child);
    }
    Ok(Schedule::Sequential(Sequence { starts, children }))
}

/// The children of `text`, in order; errors are the reason only (the caller names the flag).
fn parse(text: &str, spe: u64) -> Result<Vec<Part>, String> {
    let mut parts: Vec<Part> = Vec::new();
    let mut at: Option<u64> = None;
    for word in text.split_whitespace() {
        if let Some(m) = word.strip_prefix('@') {
            if parts.is_empty() || at.is_some() {
                return Err(format!(
                    "\"{word}\": a milestone goes between two schedules"
                ));
            }
            at = Some(parse_milestone(m, spe)?);
            continue;
        }
        if !parts.is_empty() && at.is_none() {
            return Err(format!(
                "\"{word}\": give the step it starts at first, like \"@100 {word}\""
            ));
        }
        parts.push(Part {
            at: at.take(),
            text: word.to_string(),
            spec: parse_child(word)?,
        });
    }
    if at.is_some() {
        return Err("ends with a milestone: name the schedule that starts there".into());
    }
    if parts.is_empty() {
        return Err("names no schedule".into());
    }
    Ok(parts)
}

/// `@40` (steps) or `@4e` (epochs).
fn parse_milestone(m: &str, spe: u64) -> Result<u64, String> {
    let (digits, epochs) = match m.strip_suffix('e') {
        Some(d) => (d, true),
        None => (m, false),
    };
    let Ok(n) = digits.parse::<u64>() else {
        return Err(format!(
            "\"@{m}\": a milestone is a whole number of steps (@40) or epochs (@4e)"
        ));
    };
    if epochs {
        epochs_to_steps("@", n, spe).map_err(|e| format!("\"@{m}\": {e}"))
    } else {
        Ok(n)
    }
}

/// `cosine:t-max=20:min-lr=0.001` → the child's settings.
fn parse_child(word: &str) -> Result<ScheduleSpec, String> {
    let mut items = word.split(':');
    let name = items.next().unwrap_or_default();
    let Some(kind) = ScheduleKind::from_name(name) else {
        let names: Vec<&str> = ScheduleKind::ALL
            .iter()
            .filter(|k| **k != ScheduleKind::Sequential)
            .map(|k| k.name())
            .collect();
        return Err(format!(
            "\"{name}\" is not a schedule (one of {})",
            names.join(", ")
        ));
    };
    if kind == ScheduleKind::Sequential {
        return Err("\"sequential\": sequences do not nest".into());
    }
    if word.contains(',') {
        return Err(format!(
            "\"{word}\": separate settings with ':' and list items with '/' \
             (cosine:t-max=20:min-lr=0.001, multistep:milestones=30/80), not ','"
        ));
    }
    let mut spec = ScheduleSpec::defaults(kind);
    for item in items.filter(|s| !s.is_empty()) {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        set(&mut spec, key, value).map_err(|e| format!("{name}: {item}: {e}"))?;
    }
    if kind.cycles_momentum() {
        spec.no_cycle_momentum = true;
    }
    Ok(spec)
}

/// Sets the setting named by flag `key` (without dashes) from `value` (`None`: a bare switch).
fn set(spec: &mut ScheduleSpec, key: &str, value: Option<&str>) -> Result<(), String> {
    fn num<T: std::str::FromStr>(value: Option<&str>, what: &str) -> Result<T, String> {
        let v = value.ok_or_else(|| format!("needs a value, like {what}"))?;
        v.parse::<T>().map_err(|_| format!("\"{v}\" is not {what}"))
    }
    fn named<T: Copy>(value: Option<&str>, all: &[(T, &str)]) -> Result<T, String> {
        let names: Vec<&str> = all.iter().map(|(_, n)| *n).collect();
        let v = value.ok_or_else(|| format!("needs one of {}", names.join(", ")))?;
        all.iter()
            .find(|(_, n)| *n == v)
            .map(|(t, _)| *t)
            .ok_or_else(|| format!("\"{v}\" is not one of {}", names.join(", ")))
    }
    let switch = |value: Option<&str>| match value {
        None | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(v) => Err(format!("\"{v}\" is not true or false")),
    };
    const F: &str = "a number";
    const U: &str = "a whole number";
    match key {
        "gamma" => spec.gamma = Some(num(value, F)?),
        "step-every" => spec.step_every = Some(num(value, U)?),
        "step-variant" => {
            spec.step_variant = Some(named(
                value,
                &[
                    (StepVariant::Pytorch, "pytorch"),
                    (StepVariant::Keras, "keras"),
                ],
            )?)
        }
        "milestones" => {
            let list: String = num(value, "a list of epochs like 30/80")?;
            spec.milestones = Some(list.replace('/', ","));
        }
        "min-lr" => spec.min_lr = Some(num(value, F)?),
        "t0" => spec.t0 = Some(num(value, U)?),
        "t-mult" => spec.t_mult = Some(num(value, F)?),
        "peak-decay" => spec.peak_decay = Some(num(value, F)?),
        "floor-decay" => spec.floor_decay = Some(num(value, F)?),
        "step-size" => spec.step_size = Some(num(value, U)?),
        "step-size-epochs" => spec.step_size_epochs = Some(num(value, U)?),
        "step-size-down" => spec.step_size_down = Some(num(value, U)?),
        "pct-start" => spec.pct_start = Some(num(value, F)?),
        "div-factor" => spec.div_factor = Some(num(value, F)?),
        "final-div-factor" => spec.final_div_factor = Some(num(value, F)?),
        "anneal" => {
            spec.anneal = Some(named(
                value,
                &[(Anneal::Cos, "cos"), (Anneal::Linear, "linear")],
            )?)
        }
        "three-phase" => spec.three_phase = switch(value)?,
        "cycles" => spec.cycles = Some(num(value, U)?),
        "t-max" => spec.t_max = Some(num(value, U)?),
        "start-factor" => spec.start_factor = Some(num(value, F)?),
        "end-factor" => spec.end_factor = Some(num(value, F)?),
        "decay-steps" => spec.decay_steps = Some(num(value, U)?),
        "decay-epochs" => spec.decay_epochs = Some(num(value, U)?),
        "power" => spec.power = Some(num(value, F)?),
        "cycle" => spec.cycle = switch(value)?,
        "decay-rate" => spec.decay_rate = Some(num(value, F)?),
        "staircase" => spec.staircase = switch(value)?,
        "decay-fraction" => spec.decay_fraction = Some(num(value, F)?),
        "decay-shape" => {
            let all: Vec<(DecayShape, &str)> =
                DecayShape::ALL.iter().map(|s| (*s, s.name())).collect();
            spec.decay_shape = Some(named(value, &all)?)
        }
        "cycle-momentum" | "no-cycle-momentum" | "base-momentum" | "max-momentum" => {
            return Err("momentum is not cycled inside a sequence".into());
        }
        "warmup-steps" | "warmup-epochs" | "warmup-start-factor" => {
            return Err(
                "a child takes no warm-up: put a linear schedule in front, or the --warmup flags \
                 in front of the whole sequence"
                    .into(),
            );
        }
        _ => return Err("not a schedule setting".into()),
    }
    Ok(())
}

/// this family for `lrtool schedule --list`: flags with their defaults, formula, PyTorch.
pub(super) fn info() -> FamilyInfo {
    FamilyInfo {
        kind: ScheduleKind::Sequential,
        flags: "--lr --sequence \"FAMILY[:KEY=VALUE:…] @M1 FAMILY[:…] …\" (required; @M in \
                steps, @Me in epochs; keys are the flags without dashes, lists with /)"
            .to_string(),
        formula: "lr(t) = child_i.lr(t − M_i) for M_i ≤ t < M_(i+1) (M_0 = 0): each child starts \
                  from --lr at its milestone and spans its segment",
        pytorch: "SequentialLR(schedulers, milestones) stepped per batch",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::is_input_error;
    use crate::schedule::test_util::check;

    fn sequential(text: &str) -> ScheduleSpec {
        let mut a = ScheduleSpec::defaults(ScheduleKind::Sequential);
        a.sequence = Some(text.into());
        a
    }

    // Golden values from real PyTorch 2.15 (/tmp/pt/bin/python), one step per epoch:
    //   import torch; from torch.optim import SGD, lr_scheduler as L
    //   o = SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    //   s = L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5),
    //                          L.CosineAnnealingLR(o, T_max=10, eta_min=0.0),
    //                          L.ExponentialLR(o, gamma=0.5)], milestones=[5, 15])
    //   for t in range(20): print(t, s.get_last_lr()[0]); o.step(); s.step()
    // Each child restarts at its milestone from the base LR (0.1 at 5 and again at 15).
    const SEQUENTIAL_LR: [(u64, f64); 20] = [
        (0, 0.010000000000000002),
        (1, 0.028000000000000004),
        (2, 0.046000000000000006),
        (3, 0.064),
        (4, 0.082),
        (5, 0.1),
        (6, 0.09755282581475769),
        (7, 0.09045084971874738),
        (8, 0.07938926261462367),
        (9, 0.06545084971874739),
        (10, 0.05000000000000001),
        (11, 0.03454915028125264),
        (12, 0.020610737385376353),
        (13, 0.009549150281252635),
        (14, 0.002447174185242324),
        (15, 0.1),
        (16, 0.05),
        (17, 0.025),
        (18, 0.0125),
        (19, 0.00625),
    ];

    #[test]
    fn matches_pytorch_sequential_lr() {
        let text = "linear:start-factor=0.1:end-factor=1:decay-steps=5 @5 cosine:t-max=10 @15 exponential:gamma=0.5";
        let s = sequential(text).build(0.1, 1, 20).unwrap();
        check("SequentialLR", |t| s.lr(t), &SEQUENTIAL_LR);
        assert_eq!(s.name(), "sequential");
        // the cosine without --t-max spans its segment (10 steps): the same rates
        let by_segment =
            sequential("linear:start-factor=0.1:decay-steps=5 @5 cosine @15 exponential:gamma=0.5")
                .build(0.1, 1, 20)
                .unwrap();
        check(
            "SequentialLR, segment T_max",
            |t| by_segment.lr(t),
            &SEQUENTIAL_LR,
        );
        // milestones in epochs: @5e at 3 steps per epoch is step 15
        match sequential("constant @5e linear").build(0.1, 3, 30).unwrap() {
            Schedule::Sequential(q) => assert_eq!(q.starts, vec![0, 15]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_warm_up_flags_are_a_case_of_it_bit_for_bit() {
        for name in [
            "cosine",
            "step:gamma=0.5:step-every=3",
            "polynomial:power=2",
            "inverse-time",
        ] {
            let kind = ScheduleKind::from_name(name.split(':').next().unwrap()).unwrap();
            let mut warm = parse_child(name).unwrap();
            warm.warmup_steps = Some(7);
            warm.warmup_start_factor = Some(0.2);
            assert_eq!(warm.schedule, kind);
            let w = warm.build(0.3, 2, 90).unwrap();
            let q = sequential(&format!("linear:start-factor=0.2:decay-steps=7 @7 {name}"))
                .build(0.3, 2, 90)
                .unwrap();
            for t in 0..120 {
                assert_eq!(w.lr(t).to_bits(), q.lr(t).to_bits(), "{name} step {t}");
            }
        }
    }

    #[test]
    fn children_keep_their_own_flags_and_momentum_is_not_cycled() {
        let s = sequential(
            "one-cycle:pct-start=0.5:div-factor=10 @10 multistep:milestones=1/2:gamma=0.5",
        )
        .build(1.0, 4, 30)
        .unwrap();
        assert_eq!(s.momentum(0), None);
        check(
            "one-cycle then multistep",
            |t| s.lr(t),
            &[
                (0, 0.1),
                (4, 1.0),
                (10, 1.0),
                (13, 1.0),
                (14, 0.5),
                (18, 0.25),
            ],
        );
    }

    #[test]
    fn bad_sequences_are_one_line_errors_naming_the_flag() {
        let cases = [
            ("", "names no schedule"),
            (
                "cosine cosine",
                "\"cosine\": give the step it starts at first",
            ),
            ("@5 cosine", "\"@5\": a milestone goes between"),
            ("cosine @5", "ends with a milestone"),
            ("cosine @x linear", "\"@x\": a milestone is a whole number"),
            ("cosine @5 @6 linear", "\"@6\": a milestone goes between"),
            ("cosinus", "\"cosinus\" is not a schedule"),
            ("sequential", "sequences do not nest"),
            (
                "cosine:t-max=x",
                "cosine: t-max=x: \"x\" is not a whole number",
            ),
            ("cosine:tmax=3", "cosine: tmax=3: not a schedule setting"),
            (
                "cosine:gamma=0.5",
                "--gamma is not used by --schedule cosine",
            ),
            (
                "one-cycle:base-momentum=0.8",
                "momentum is not cycled inside a sequence",
            ),
            ("cosine:warmup-steps=3", "a child takes no warm-up"),
            (
                "wsd:decay-shape=square",
                "\"square\" is not one of linear, cosine, 1-sqrt",
            ),
            (
                "cosine @0 linear",
                "milestone 0 (before linear) must be after",
            ),
            (
                "cosine @8 linear @8 constant",
                "milestone 8 (before constant) must be after",
            ),
            (
                "cosine @20 linear",
                "milestone 20 (before linear) must be inside the run (20 steps)",
            ),
            (
                "cosine @5 linear:decay-steps=0",
                "linear:decay-steps=0 (from step 5): --decay-steps 0",
            ),
        ];
        for (text, want) in cases {
            let e = sequential(text).build(0.1, 2, 20).unwrap_err();
            assert!(is_input_error(&e), "{text}: {e:#}");
            let msg = format!("{e:#}");
            assert!(!msg.contains('\n'), "{msg}");
            assert!(msg.starts_with("--sequence"), "{msg}");
            assert!(
                msg.contains(want),
                "{text}: {msg:?} should contain {want:?}"
            );
        }
    }
}

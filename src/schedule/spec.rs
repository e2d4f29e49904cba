//! `ScheduleSpec`: the schedule settings a run asked for (the family and each setting, named
//! after its flag; nothing of the command-line parser), the check that every given setting is one the family uses, the
//! warm-up, and the dispatch to the family's own `build` (each family file holds its defaults,
//! its validation and its `--list` entry).
//!
//! Flags with a default are `Option`s so that a flag the chosen schedule does not use is an error
//! naming it (exit code 2), never silently ignored. Every error is one line naming the flag.

use super::{
    Anneal, DecayShape, MomentumRange, Schedule, ScheduleKind, StepVariant, ThresholdMode, Warmup,
};
use crate::{input_bail, input_err};

/// A schedule as the user asked for it: the family and every schedule setting given (`None`:
/// the family's default). `build` validates it against the run's length and makes the
/// [`Schedule`]. The command line fills it from `--schedule` and its flags (the command-line layer), so
/// every field is named after its flag, and errors name the flag.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSpec {
    /// Learning-rate schedule; `lrtool schedule --list` shows each with its flags and formula.
    /// --lr is the starting LR, or the peak for triangular, triangular2, exp-range and one-cycle.
    pub schedule: ScheduleKind,

    /// step, multistep, exponential, exp-range: the decay factor, in (0, 1] [default: 0.1 for
    /// step and multistep (PyTorch's), 0.95 for exponential, 1 for exp-range (PyTorch's)].
    pub gamma: Option<f64>,
    /// step: epochs between two drops [default: 10].
    pub step_every: Option<u64>,
    /// step: pytorch = first drop after --step-every epochs (StepLR); keras = one epoch earlier,
    /// lr·gamma^floor((1+epoch)/k) as in the widely copied Keras step decay [default: pytorch].
    pub step_variant: Option<StepVariant>,
    /// multistep: increasing epochs at which the LR is multiplied by --gamma (required).
    pub milestones: Option<String>,

    /// cosine, sgdr, plateau, triangular, triangular2, exp-range, polynomial, wsd: the lowest LR,
    /// at most --lr [default: 0 for cosine, sgdr, plateau, polynomial and wsd; --lr/4 for the
    /// cyclical ones, Smith's max/4 rule].
    pub min_lr: Option<f64>,
    /// cosine: the half-period in steps (PyTorch's T_max) when shorter than the run; the LR rises
    /// again after it [default: the run, held at --min-lr after].
    pub t_max: Option<u64>,
    /// sgdr: length of the first cycle in epochs [default: 10].
    pub t0: Option<u64>,
    /// sgdr: each cycle is this many times longer than the one before, a whole number ≥ 1
    /// [default: 1].
    pub t_mult: Option<f64>,
    /// sgdr: multiply the restart peak by this after each cycle, in (0, 1] [default: 1].
    pub peak_decay: Option<f64>,
    /// sgdr: multiply the floor (--min-lr) by this after each cycle, in (0, 1]; a peak that
    /// decays below the floor stops there [default: 1].
    pub floor_decay: Option<f64>,

    /// triangular, triangular2, exp-range: steps in the rising half of a cycle [default: 4
    /// epochs' worth, the middle of Smith's 2–8 epochs advice].
    pub step_size: Option<u64>,
    /// triangular, triangular2, exp-range: the rising half in epochs, instead of --step-size.
    pub step_size_epochs: Option<u64>,
    /// triangular, triangular2, exp-range: the falling half, in the unit of the rising half
    /// (steps, or epochs with --step-size-epochs) [default: as long as the rising half].
    pub step_size_down: Option<u64>,

    /// one-cycle, wsd: fraction of the run spent raising the LR, in (0, 1) ([0, 1) for wsd)
    /// [default: 0.3 for one-cycle, 0.05 for wsd].
    pub pct_start: Option<f64>,
    /// one-cycle: start at --lr / div-factor, at least 1 [default: 25].
    pub div_factor: Option<f64>,
    /// one-cycle: end at --lr / (div-factor · final-div-factor), at least 1 [default: 1e4].
    pub final_div_factor: Option<f64>,
    /// one-cycle: shape of each phase [default: cos].
    pub anneal: Option<Anneal>,
    /// one-cycle: Smith's original three phases (up, down to the start, then down to the end)
    /// instead of two.
    pub three_phase: bool,

    /// snapshot: number of cycles M; each lasts ⌈N/M⌉ steps and ends in a snapshot
    /// (snapshot-ensemble) [default: 5].
    pub cycles: Option<u64>,

    /// linear: the first LR is this times --lr, in (0, 1] [default: 1/3, PyTorch's].
    pub start_factor: Option<f64>,
    /// linear: the LR after --decay-steps is this times --lr, in [0, 1] [default: 1].
    pub end_factor: Option<f64>,
    /// linear, polynomial, inverse-time: the steps T over which the LR changes [default: the
    /// run for linear and polynomial, one epoch for inverse-time].
    pub decay_steps: Option<u64>,
    /// linear, polynomial, inverse-time: T in epochs, instead of --decay-steps.
    pub decay_epochs: Option<u64>,
    /// polynomial: the exponent of the decay, above 0 [default: 1].
    pub power: Option<f64>,
    /// polynomial: Keras's cycle=True: after T, decay again over the next multiple of T.
    pub cycle: bool,
    /// inverse-time: lr/(1 + rate·t/T), at least 0 [default: 0.5].
    pub decay_rate: Option<f64>,
    /// inverse-time: ⌊t/T⌋ in place of t/T (Keras staircase=True).
    pub staircase: bool,
    /// wsd: fraction of the run decaying at the end, in [0, 1] [default: 0.2].
    pub decay_fraction: Option<f64>,
    /// wsd: shape of the decay [default: 1-sqrt].
    pub decay_shape: Option<DecayShape>,
    /// sequential: the schedules and the steps they start at, like
    /// "linear:start-factor=0.1:decay-steps=5 @5 cosine" (required).
    pub sequence: Option<String>,

    /// Cycle momentum against the LR (SGD's momentum, or Adam's β1, replacing --momentum or
    /// --beta1). ON BY DEFAULT for triangular, triangular2, exp-range and one-cycle, as in PyTorch.
    pub cycle_momentum: bool,
    /// Do not cycle momentum: the optimizer keeps its own --momentum or --beta1.
    pub no_cycle_momentum: bool,
    /// Momentum where the LR peaks [default: 0.8 for the cyclical ones, 0.85 for one-cycle].
    pub base_momentum: Option<f64>,
    /// Momentum where the LR is lowest [default: 0.9 for the cyclical ones, 0.95 for one-cycle].
    pub max_momentum: Option<f64>,

    /// plateau: multiply the LR by this when --monitor stops improving, in (0, 1) [default: 0.1].
    pub factor: Option<f64>,
    /// plateau: bad epochs tolerated; the LR is cut on the next one [default: 10].
    pub patience: Option<u64>,
    /// plateau: how much better than the best a value must be to count [default: 1e-4].
    pub threshold: Option<f64>,
    /// plateau: rel = beyond best·(1 ∓ threshold), abs = beyond best ∓ threshold [default: rel].
    pub threshold_mode: Option<ThresholdMode>,
    /// plateau: epochs after a cut during which bad epochs are not counted [default: 0].
    pub cooldown: Option<u64>,
    /// plateau: a cut that changes the LR by no more than this is skipped [default: 1e-8].
    pub plateau_eps: Option<f64>,

    /// Any schedule: a linear warm-up over this many steps first; the schedule then runs over
    /// the remaining steps from its own step 0 (PyTorch SequentialLR) [default: none].
    pub warmup_steps: Option<u64>,
    /// Any schedule: the warm-up length in epochs, instead of --warmup-steps.
    pub warmup_epochs: Option<u64>,
    /// The warm-up starts at this fraction of the schedule's first LR and rises linearly to it
    /// (PyTorch LinearLR), in (0, 1] [default: 1/3, PyTorch's].
    pub warmup_start_factor: Option<f64>,
}

/// One family for `--list` and the docs: flags (with defaults), formula, PyTorch equivalent.
pub struct FamilyInfo {
    pub kind: ScheduleKind,
    pub flags: String,
    pub formula: &'static str,
    pub pytorch: &'static str,
}

/// Every family, in `--schedule` order; each family's file says its flags (the defaults written
/// once there, as constants), formula and PyTorch equivalent. `t` is the 0-based step, `e =
/// ⌊t/K⌋` its epoch with `K` steps per epoch, `N` the run's steps.
pub fn families() -> Vec<FamilyInfo> {
    use super::{
        constant, cosine, cyclic, exponential, inverse_time, linear, one_cycle, plateau,
        polynomial, sequence, sgdr, snapshot, step, wsd,
    };
    ScheduleKind::ALL
        .into_iter()
        .map(|kind| match kind {
            ScheduleKind::Constant => constant::info(),
            ScheduleKind::Step => step::info(),
            ScheduleKind::Multistep => step::info_multistep(),
            ScheduleKind::Exponential => exponential::info(),
            ScheduleKind::Cosine => cosine::info(),
            ScheduleKind::Sgdr => sgdr::info(),
            ScheduleKind::Triangular => cyclic::info(),
            ScheduleKind::Triangular2 => cyclic::info_triangular2(),
            ScheduleKind::ExpRange => cyclic::info_exp_range(),
            ScheduleKind::OneCycle => one_cycle::info(),
            ScheduleKind::Snapshot => snapshot::info(),
            ScheduleKind::Linear => linear::info(),
            ScheduleKind::Polynomial => polynomial::info(),
            ScheduleKind::InverseTime => inverse_time::info(),
            ScheduleKind::Wsd => wsd::info(),
            ScheduleKind::Sequential => sequence::info(),
            ScheduleKind::Plateau => plateau::info(),
        })
        .collect()
}

/// The text of `lrtool schedule --list`.
pub fn list_text() -> String {
    let mut text = String::from(
        "Schedules for `lrtool train` and `lrtool schedule` (--schedule NAME). t = 0-based step, \
         e = ⌊t/K⌋ its epoch (K steps per epoch), N = steps in the run; [defaults] in brackets.\n\n",
    );
    for f in &families() {
        text.push_str(&format!(
            "{}\n  flags:   {}\n  formula: {}\n  PyTorch: {}\n\n",
            f.kind.name(),
            f.flags,
            f.formula,
            f.pytorch
        ));
    }
    text.push_str(
        "Any schedule: --warmup-steps W | --warmup-epochs E, --warmup-start-factor f [1/3]: \
         lr(t) = L0·(f + (1 − f)·t/W) for t < W (L0 = the schedule's first LR), then the schedule \
         from its own step 0 over the remaining N − W steps (PyTorch SequentialLR(LinearLR, …)); \
         the same as --schedule sequential --sequence \"linear:start-factor=f:decay-steps=W @W NAME\" \
         for every schedule that starts at --lr.\n\
         Momentum cycling (SGD momentum or Adam β1, against the LR) is on by default for \
         triangular, triangular2, exp-range and one-cycle, as in PyTorch; --no-cycle-momentum \
         turns it off.\n\
         Early stopping, with any schedule (lrtool train, compare arms): --early-stop PATIENCE \
         --monitor [val_loss] --min-delta [0] --restore-best: stop once --monitor has not improved \
         by more than min-delta for PATIENCE epochs (Keras EarlyStopping); --restore-best writes \
         the best epoch's weights.\n",
    );
    text
}

/// A flag, whether it was given, and the families that use it.
struct FlagUse {
    flag: &'static str,
    given: bool,
    families: &'static [ScheduleKind],
}

const CYCLICAL: &[ScheduleKind] = &[
    ScheduleKind::Triangular,
    ScheduleKind::Triangular2,
    ScheduleKind::ExpRange,
];
const CYCLES_MOMENTUM: &[ScheduleKind] = &[
    ScheduleKind::Triangular,
    ScheduleKind::Triangular2,
    ScheduleKind::ExpRange,
    ScheduleKind::OneCycle,
];
const ONE_CYCLE: &[ScheduleKind] = &[ScheduleKind::OneCycle];
const SGDR: &[ScheduleKind] = &[ScheduleKind::Sgdr];
const DECAY_STEPS: &[ScheduleKind] = &[
    ScheduleKind::Linear,
    ScheduleKind::Polynomial,
    ScheduleKind::InverseTime,
];
const PLATEAU: &[ScheduleKind] = &[ScheduleKind::Plateau];

impl ScheduleSpec {
    /// The flags as if only `--schedule kind` was given.
    pub fn defaults(kind: ScheduleKind) -> ScheduleSpec {
        ScheduleSpec {
            schedule: kind,
            gamma: None,
            step_every: None,
            step_variant: None,
            milestones: None,
            min_lr: None,
            t0: None,
            t_mult: None,
            peak_decay: None,
            floor_decay: None,
            step_size: None,
            step_size_epochs: None,
            step_size_down: None,
            pct_start: None,
            div_factor: None,
            final_div_factor: None,
            anneal: None,
            three_phase: false,
            cycles: None,
            t_max: None,
            start_factor: None,
            end_factor: None,
            decay_steps: None,
            decay_epochs: None,
            power: None,
            cycle: false,
            decay_rate: None,
            staircase: false,
            decay_fraction: None,
            decay_shape: None,
            sequence: None,
            factor: None,
            patience: None,
            threshold: None,
            threshold_mode: None,
            cooldown: None,
            plateau_eps: None,
            cycle_momentum: false,
            no_cycle_momentum: false,
            base_momentum: None,
            max_momentum: None,
            warmup_steps: None,
            warmup_epochs: None,
            warmup_start_factor: None,
        }
    }

    fn flag_uses(&self) -> [FlagUse; 40] {
        use ScheduleKind as K;
        let u = |flag, given, families| FlagUse {
            flag,
            given,
            families,
        };
        [
            u(
                "--gamma",
                self.gamma.is_some(),
                &[K::Step, K::Multistep, K::Exponential, K::ExpRange],
            ),
            u("--step-every", self.step_every.is_some(), &[K::Step]),
            u("--step-variant", self.step_variant.is_some(), &[K::Step]),
            u("--milestones", self.milestones.is_some(), &[K::Multistep]),
            u(
                "--min-lr",
                self.min_lr.is_some(),
                &[
                    K::Cosine,
                    K::Sgdr,
                    K::Triangular,
                    K::Triangular2,
                    K::ExpRange,
                    K::Polynomial,
                    K::Wsd,
                    K::Plateau,
                ],
            ),
            u("--t-max", self.t_max.is_some(), &[K::Cosine]),
            u("--t0", self.t0.is_some(), SGDR),
            u("--t-mult", self.t_mult.is_some(), SGDR),
            u("--peak-decay", self.peak_decay.is_some(), SGDR),
            u("--floor-decay", self.floor_decay.is_some(), SGDR),
            u("--step-size", self.step_size.is_some(), CYCLICAL),
            u(
                "--step-size-epochs",
                self.step_size_epochs.is_some(),
                CYCLICAL,
            ),
            u("--step-size-down", self.step_size_down.is_some(), CYCLICAL),
            u(
                "--pct-start",
                self.pct_start.is_some(),
                &[K::OneCycle, K::Wsd],
            ),
            u("--div-factor", self.div_factor.is_some(), ONE_CYCLE),
            u(
                "--final-div-factor",
                self.final_div_factor.is_some(),
                ONE_CYCLE,
            ),
            u("--anneal", self.anneal.is_some(), ONE_CYCLE),
            u("--three-phase", self.three_phase, ONE_CYCLE),
            u("--cycles", self.cycles.is_some(), &[K::Snapshot]),
            u("--start-factor", self.start_factor.is_some(), &[K::Linear]),
            u("--end-factor", self.end_factor.is_some(), &[K::Linear]),
            u("--decay-steps", self.decay_steps.is_some(), DECAY_STEPS),
            u("--decay-epochs", self.decay_epochs.is_some(), DECAY_STEPS),
            u("--power", self.power.is_some(), &[K::Polynomial]),
            u("--cycle", self.cycle, &[K::Polynomial]),
            u("--decay-rate", self.decay_rate.is_some(), &[K::InverseTime]),
            u("--staircase", self.staircase, &[K::InverseTime]),
            u("--decay-fraction", self.decay_fraction.is_some(), &[K::Wsd]),
            u("--decay-shape", self.decay_shape.is_some(), &[K::Wsd]),
            u("--sequence", self.sequence.is_some(), &[K::Sequential]),
            u("--factor", self.factor.is_some(), PLATEAU),
            u("--patience", self.patience.is_some(), PLATEAU),
            u("--threshold", self.threshold.is_some(), PLATEAU),
            u("--threshold-mode", self.threshold_mode.is_some(), PLATEAU),
            u("--cooldown", self.cooldown.is_some(), PLATEAU),
            u("--plateau-eps", self.plateau_eps.is_some(), PLATEAU),
            u("--cycle-momentum", self.cycle_momentum, CYCLES_MOMENTUM),
            u(
                "--no-cycle-momentum",
                self.no_cycle_momentum,
                CYCLES_MOMENTUM,
            ),
            u(
                "--base-momentum",
                self.base_momentum.is_some(),
                CYCLES_MOMENTUM,
            ),
            u(
                "--max-momentum",
                self.max_momentum.is_some(),
                CYCLES_MOMENTUM,
            ),
        ]
    }

    /// Every given flag must be one the chosen schedule uses.
    pub(super) fn check_flags_used(&self) -> anyhow::Result<()> {
        let kind = self.schedule;
        for f in self.flag_uses() {
            if f.given && !f.families.contains(&kind) {
                let names: Vec<&str> = f.families.iter().map(|k| k.name()).collect();
                input_bail!(
                    "{} is not used by --schedule {} (it applies to --schedule {})",
                    f.flag,
                    kind.name(),
                    names.join(", ")
                );
            }
        }
        if self.warmup_start_factor.is_some()
            && self.warmup_steps.is_none()
            && self.warmup_epochs.is_none()
        {
            input_bail!("--warmup-start-factor needs --warmup-steps or --warmup-epochs");
        }
        if self.warmup_steps.is_some() && self.warmup_epochs.is_some() {
            input_bail!("--warmup-steps and --warmup-epochs: give one of them, not both");
        }
        if self.decay_steps.is_some() && self.decay_epochs.is_some() {
            input_bail!("--decay-steps and --decay-epochs: give one of them, not both");
        }
        if self.step_size.is_some() && self.step_size_epochs.is_some() {
            input_bail!("--step-size and --step-size-epochs: give one of them, not both");
        }
        Ok(())
    }

    /// The schedule for a run of `total_steps` steps with `steps_per_epoch` steps per epoch, `lr`
    /// being `--lr`. Every flag is validated here; errors name the flag (exit code 2).
    pub fn build(
        &self,
        lr: f64,
        steps_per_epoch: usize,
        total_steps: u64,
    ) -> anyhow::Result<Schedule> {
        let lr = super::check_lr("--lr", lr)?;
        self.check_flags_used()?;
        let spe = u64::try_from(steps_per_epoch.max(1)).unwrap_or(u64::MAX);
        let warmup = match (self.warmup_steps, self.warmup_epochs) {
            (Some(w), _) => w,
            (None, Some(e)) => epochs_to_steps("--warmup-epochs", e, spe)?,
            (None, None) => 0,
        };
        if warmup > 0 && warmup >= total_steps {
            let flag = if self.warmup_steps.is_some() {
                format!("--warmup-steps {warmup}")
            } else {
                format!("--warmup-epochs {}", self.warmup_epochs.unwrap_or(0))
            };
            input_bail!(
                "{flag}: the warm-up ({}) must be shorter than the run ({})",
                crate::words::count(warmup, "step"),
                crate::words::count(total_steps, "step")
            );
        }
        let start_factor = match self.warmup_start_factor {
            Some(f) => fraction("--warmup-start-factor", f, false, true)?,
            None => 1.0 / 3.0,
        };
        let main = self.build_main(lr, spe, total_steps - warmup)?;
        Ok(if warmup > 0 {
            Schedule::Warmup(Warmup {
                steps: warmup,
                start_factor,
                main: Box::new(main),
            })
        } else {
            main
        })
    }

    /// The chosen family over `total` steps (the run after any warm-up).
    fn build_main(&self, lr: f64, spe: u64, total: u64) -> anyhow::Result<Schedule> {
        use ScheduleKind as K;
        Ok(match self.schedule {
            K::Constant => Schedule::Constant { lr },
            K::Step => super::step::build(self, lr, spe)?,
            K::Multistep => super::step::build_multistep(self, lr, spe)?,
            K::Exponential => super::exponential::build(self, lr, spe)?,
            K::Cosine => super::cosine::build(self, lr, total)?,
            K::Sgdr => super::sgdr::build(self, lr, spe)?,
            K::Triangular | K::Triangular2 | K::ExpRange => super::cyclic::build(self, lr, spe)?,
            K::Snapshot => super::snapshot::build(self, lr, total)?,
            K::OneCycle => super::one_cycle::build(self, lr, total)?,
            K::Linear => super::linear::build(self, lr, spe, total)?,
            K::Polynomial => super::polynomial::build(self, lr, spe, total)?,
            K::InverseTime => super::inverse_time::build(self, lr, spe)?,
            K::Wsd => super::wsd::build(self, lr, total)?,
            K::Sequential => super::sequence::build(self, lr, spe, total)?,
            K::Plateau => input_bail!(
                "--schedule plateau is a feedback policy (it listens to --monitor after each epoch), not a schedule of the step: `lrtool train`, compare's train arms and `lrtool schedule --metrics FILE.csv` can follow it"
            ),
        })
    }

    /// `--decay-steps` (at least 1), or `--decay-epochs` in steps, or the family's `default`.
    pub(super) fn decay_steps_or(&self, spe: u64, default: u64) -> anyhow::Result<u64> {
        match (self.decay_steps, self.decay_epochs) {
            (Some(0), _) => input_bail!("--decay-steps 0: must be at least 1 step"),
            (Some(d), _) => Ok(d),
            (None, Some(0)) => input_bail!("--decay-epochs 0: must be at least 1 epoch"),
            (None, Some(e)) => epochs_to_steps("--decay-epochs", e, spe),
            (None, None) => Ok(default.max(1)),
        }
    }

    /// `--gamma`, checked to be in (0, 1], or the family's `default`.
    pub(super) fn gamma_or(&self, default: f64) -> anyhow::Result<f64> {
        match self.gamma {
            Some(g) => fraction("--gamma", g, false, true),
            None => Ok(default),
        }
    }

    /// `--min-lr`, checked to be a finite LR from 0 to `lr`, or the family's `default`.
    pub(super) fn min_lr_or(&self, lr: f64, default: f64) -> anyhow::Result<f64> {
        let Some(m) = self.min_lr else {
            return Ok(default);
        };
        if !(m.is_finite() && m >= 0.0) {
            input_bail!("--min-lr {m}: must be a finite LR of at least 0");
        }
        if m > lr {
            input_bail!("--min-lr {m}: must not be above --lr {lr}");
        }
        Ok(m)
    }

    /// The momentum range of a momentum-cycling family, or `None` with `--no-cycle-momentum`.
    pub(super) fn momentum_range(
        &self,
        base: f64,
        max: f64,
    ) -> anyhow::Result<Option<MomentumRange>> {
        if self.no_cycle_momentum {
            for (flag, given) in [
                ("--base-momentum", self.base_momentum.is_some()),
                ("--max-momentum", self.max_momentum.is_some()),
            ] {
                if given {
                    input_bail!("{flag} has no effect with --no-cycle-momentum");
                }
            }
            return Ok(None);
        }
        let check = |flag: &str, v: f64| {
            if v.is_finite() && (0.0..1.0).contains(&v) {
                Ok(v)
            } else {
                Err(input_err!("{flag} {v}: must be at least 0 and below 1"))
            }
        };
        let base = check("--base-momentum", self.base_momentum.unwrap_or(base))?;
        let max = check("--max-momentum", self.max_momentum.unwrap_or(max))?;
        if base > max {
            let flag = if self.base_momentum.is_some() {
                format!("--base-momentum {base}")
            } else {
                format!("--max-momentum {max}")
            };
            input_bail!(
                "{flag}: --base-momentum ({base}) must not be above --max-momentum ({max})"
            );
        }
        Ok(Some(MomentumRange { base, max }))
    }
}

/// `epochs × steps_per_epoch`, or an error naming the flag when it does not fit.
pub(super) fn epochs_to_steps(flag: &str, epochs: u64, spe: u64) -> anyhow::Result<u64> {
    epochs.checked_mul(spe).ok_or_else(|| {
        input_err!("{flag} {epochs}: too many steps ({epochs} epochs × {spe} steps per epoch)")
    })
}

/// A finite number in `(0, 1]` (or `[0, 1]` with `zero_ok`; `1` excluded unless `one_ok`).
pub(super) fn fraction(flag: &str, v: f64, zero_ok: bool, one_ok: bool) -> anyhow::Result<f64> {
    let low_ok = if zero_ok { v >= 0.0 } else { v > 0.0 };
    let high_ok = if one_ok { v <= 1.0 } else { v < 1.0 };
    if v.is_finite() && low_ok && high_ok {
        return Ok(v);
    }
    let range = match (zero_ok, one_ok) {
        (false, true) => "above 0 and at most 1",
        (false, false) => "above 0 and below 1",
        (true, true) => "from 0 to 1",
        (true, false) => "at least 0 and below 1",
    };
    input_bail!("{flag} {v}: must be {range}")
}

/// `"30,80"` → `[30, 80]`: whole epochs ≥ 1, strictly increasing.
pub(super) fn parse_milestones(text: &str) -> anyhow::Result<Vec<u64>> {
    let mut out: Vec<u64> = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let Ok(e) = part.parse::<u64>() else {
            input_bail!("--milestones {text}: \"{part}\" is not a whole number of epochs");
        };
        if e == 0 {
            input_bail!("--milestones {text}: milestones are epochs from 1 on");
        }
        if out.last().is_some_and(|&last| e <= last) {
            input_bail!("--milestones {text}: the epochs must be increasing");
        }
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::is_input_error;

    fn err(a: &ScheduleSpec, lr: f64, spe: usize, total: u64) -> String {
        let e = a.build(lr, spe, total).unwrap_err();
        assert!(is_input_error(&e), "{e:#} should be an input error");
        let text = format!("{e:#}");
        assert!(!text.contains('\n'), "one line: {text}");
        text
    }

    fn with(kind: ScheduleKind, f: impl FnOnce(&mut ScheduleSpec)) -> ScheduleSpec {
        let mut a = ScheduleSpec::defaults(kind);
        f(&mut a);
        a
    }

    #[test]
    fn bad_flags_are_input_errors_naming_the_flag() {
        use ScheduleKind as K;
        let cases: Vec<(ScheduleSpec, &str)> = vec![
            (
                with(K::Cosine, |a| a.min_lr = Some(0.5)),
                "--min-lr 0.5: must not be above --lr",
            ),
            (with(K::Sgdr, |a| a.t_mult = Some(0.5)), "--t-mult 0.5"),
            (with(K::Sgdr, |a| a.t_mult = Some(1.5)), "--t-mult 1.5"),
            (with(K::Sgdr, |a| a.t0 = Some(0)), "--t0 0"),
            (
                with(K::Triangular, |a| a.step_size = Some(0)),
                "--step-size 0",
            ),
            (
                with(K::Triangular, |a| a.step_size_epochs = Some(0)),
                "--step-size-epochs 0",
            ),
            (
                with(K::Triangular, |a| a.step_size_down = Some(0)),
                "--step-size-down 0",
            ),
            (
                with(K::OneCycle, |a| a.pct_start = Some(0.0)),
                "--pct-start 0",
            ),
            (
                with(K::OneCycle, |a| a.pct_start = Some(1.0)),
                "--pct-start 1",
            ),
            (
                with(K::OneCycle, |a| a.pct_start = Some(f64::NAN)),
                "--pct-start NaN",
            ),
            (
                with(K::OneCycle, |a| a.div_factor = Some(0.5)),
                "--div-factor 0.5",
            ),
            (
                with(K::OneCycle, |a| a.final_div_factor = Some(f64::INFINITY)),
                "--final-div-factor inf",
            ),
            (
                with(K::OneCycle, |a| {
                    a.three_phase = true;
                    a.pct_start = Some(0.5)
                }),
                "--pct-start 0.5: must be below 0.5 with --three-phase",
            ),
            (with(K::Step, |a| a.gamma = Some(1.5)), "--gamma 1.5"),
            (with(K::Step, |a| a.gamma = Some(0.0)), "--gamma 0"),
            (with(K::Step, |a| a.step_every = Some(0)), "--step-every 0"),
            (
                with(K::Exponential, |a| a.gamma = Some(f64::NAN)),
                "--gamma NaN",
            ),
            (
                with(K::Cosine, |a| a.gamma = Some(0.5)),
                "--gamma is not used by --schedule cosine",
            ),
            (
                with(K::Constant, |a| a.t0 = Some(3)),
                "--t0 is not used by --schedule constant",
            ),
            (
                with(K::Sgdr, |a| a.three_phase = true),
                "--three-phase is not used by --schedule sgdr",
            ),
            (
                with(K::Step, |a| a.cycle_momentum = true),
                "--cycle-momentum is not used",
            ),
            (
                with(K::Multistep, |_| {}),
                "--milestones: --schedule multistep needs",
            ),
            (
                with(K::Multistep, |a| a.milestones = Some("30,x".into())),
                "--milestones 30,x",
            ),
            (
                with(K::Multistep, |a| a.milestones = Some("30,20".into())),
                "must be increasing",
            ),
            (
                with(K::Multistep, |a| a.milestones = Some("0,20".into())),
                "--milestones 0,20",
            ),
            (with(K::Cosine, |a| a.min_lr = Some(-1.0)), "--min-lr -1"),
            (
                with(K::Sgdr, |a| a.peak_decay = Some(0.0)),
                "--peak-decay 0",
            ),
            (
                with(K::Sgdr, |a| a.floor_decay = Some(1.5)),
                "--floor-decay 1.5",
            ),
            (
                with(K::Triangular, |a| a.base_momentum = Some(0.95)),
                "--base-momentum 0.95",
            ),
            (
                with(K::OneCycle, |a| a.max_momentum = Some(1.0)),
                "--max-momentum 1",
            ),
            (
                with(K::OneCycle, |a| {
                    a.no_cycle_momentum = true;
                    a.base_momentum = Some(0.8)
                }),
                "--base-momentum has no effect with --no-cycle-momentum",
            ),
            (
                with(K::Cosine, |a| a.warmup_steps = Some(100)),
                "--warmup-steps 100: the warm-up (100 steps) must be shorter than the run (100 steps)",
            ),
            (
                with(K::Cosine, |a| a.warmup_epochs = Some(10)),
                "--warmup-epochs 10",
            ),
            (
                with(K::Cosine, |a| a.warmup_start_factor = Some(0.1)),
                "--warmup-start-factor needs",
            ),
            (
                with(K::Cosine, |a| {
                    a.warmup_steps = Some(2);
                    a.warmup_start_factor = Some(0.0)
                }),
                "--warmup-start-factor 0",
            ),
            (
                with(K::Cosine, |a| {
                    a.warmup_steps = Some(2);
                    a.warmup_epochs = Some(1)
                }),
                "--warmup-steps and --warmup-epochs",
            ),
            (
                with(K::Triangular, |a| {
                    a.step_size = Some(2);
                    a.step_size_epochs = Some(1)
                }),
                "--step-size and --step-size-epochs",
            ),
            (
                with(K::Sgdr, |a| a.t0 = Some(u64::MAX)),
                "--t0 18446744073709551615: too many steps",
            ),
            (with(K::Cosine, |a| a.t_max = Some(0)), "--t-max 0"),
            (
                with(K::Step, |a| a.t_max = Some(5)),
                "--t-max is not used by --schedule step",
            ),
            (
                with(K::Linear, |a| a.start_factor = Some(0.0)),
                "--start-factor 0: must be above 0",
            ),
            (
                with(K::Linear, |a| a.end_factor = Some(1.5)),
                "--end-factor 1.5",
            ),
            (
                with(K::Linear, |a| a.decay_steps = Some(0)),
                "--decay-steps 0",
            ),
            (
                with(K::Polynomial, |a| a.decay_epochs = Some(0)),
                "--decay-epochs 0",
            ),
            (
                with(K::Polynomial, |a| {
                    a.decay_steps = Some(3);
                    a.decay_epochs = Some(1)
                }),
                "--decay-steps and --decay-epochs",
            ),
            (with(K::Polynomial, |a| a.power = Some(0.0)), "--power 0"),
            (
                with(K::Polynomial, |a| a.power = Some(f64::NAN)),
                "--power NaN",
            ),
            (
                with(K::Polynomial, |a| a.min_lr = Some(0.2)),
                "--min-lr 0.2: must not be above --lr",
            ),
            (
                with(K::Cosine, |a| a.cycle = true),
                "--cycle is not used by --schedule cosine",
            ),
            (
                with(K::InverseTime, |a| a.decay_rate = Some(-1.0)),
                "--decay-rate -1",
            ),
            (
                with(K::Polynomial, |a| a.staircase = true),
                "--staircase is not used by --schedule polynomial",
            ),
            (
                with(K::Wsd, |a| a.pct_start = Some(1.0)),
                "--pct-start 1: must be at least 0 and below 1",
            ),
            (
                with(K::Wsd, |a| a.decay_fraction = Some(-0.1)),
                "--decay-fraction -0.1",
            ),
            (
                with(K::Wsd, |a| a.pct_start = Some(0.9)),
                "--pct-start 0.9: the warm-up (0.9) and the decay (0.2) fractions",
            ),
            (
                with(K::Cosine, |a| a.decay_shape = Some(DecayShape::Linear)),
                "--decay-shape is not used by --schedule cosine",
            ),
            (
                with(K::Cosine, |a| a.sequence = Some("cosine".into())),
                "--sequence is not used by --schedule cosine",
            ),
            (
                with(K::Sequential, |_| {}),
                "--sequence: --schedule sequential needs it",
            ),
        ];
        for (args, want) in cases {
            let text = err(&args, 0.1, 10, 100);
            assert!(text.contains(want), "{text:?} should contain {want:?}");
        }
        let text = err(&ScheduleSpec::defaults(K::Cosine), f64::NAN, 1, 10);
        assert!(text.contains("--lr NaN"), "{text}");
    }

    #[test]
    fn every_family_builds_with_its_defaults() {
        for kind in ScheduleKind::ALL {
            // multistep needs --milestones, sequential --sequence; feedback kinds do not build
            if kind == ScheduleKind::Multistep
                || kind == ScheduleKind::Sequential
                || kind.is_feedback()
            {
                continue;
            }
            let s = ScheduleSpec::defaults(kind).build(0.01, 5, 500).unwrap();
            assert_eq!(s.name(), kind.name());
            assert_eq!(s.momentum(0).is_some(), kind.cycles_momentum());
        }
        let list = list_text();
        for kind in ScheduleKind::ALL {
            assert!(
                list.contains(&format!("\n{}\n", kind.name())),
                "{kind:?} in --list"
            );
        }
    }

    #[test]
    fn step_sizes_in_epochs_and_steps() {
        let get = |a: &ScheduleSpec| match a.build(0.1, 7, 1000).unwrap() {
            Schedule::Triangular(c) => (c.step_size_up, c.step_size_down),
            other => panic!("{other:?}"),
        };
        let a = ScheduleSpec::defaults(ScheduleKind::Triangular);
        assert_eq!(get(&a), (28, 28)); // 4 epochs × 7
        assert_eq!(
            get(&with(ScheduleKind::Triangular, |a| a.step_size = Some(5))),
            (5, 5)
        );
        let e = with(ScheduleKind::Triangular, |a| {
            a.step_size_epochs = Some(2);
            a.step_size_down = Some(6)
        });
        assert_eq!(get(&e), (14, 42));
        let s = with(ScheduleKind::Triangular, |a| {
            a.step_size = Some(3);
            a.step_size_down = Some(9)
        });
        assert_eq!(get(&s), (3, 9));
    }
}

//! The schedule flags shared by `train`, `snapshot-ensemble`, `compare` arms and `lrtool schedule`
//! (`ScheduleArgs`), and `lrtool schedule`'s own options. The flags become a plain
//! [`ScheduleSpec`]; the schedule module validates it and builds the schedule.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::MonitorArgs;

use crate::schedule::{Anneal, DecayShape, ScheduleKind, ScheduleSpec, StepVariant, ThresholdMode};

/// Learning-rate schedule flags (`lrtool schedule --list` shows every family with its flags).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Schedule")]
pub struct ScheduleArgs {
    /// Learning-rate schedule; `lrtool schedule --list` shows each with its flags and formula.
    /// --lr is the starting LR, or the peak for triangular, triangular2, exp-range and one-cycle.
    #[arg(long, value_enum, default_value_t = ScheduleKind::Constant, value_name = "NAME")]
    pub schedule: ScheduleKind,

    /// step, multistep, exponential, exp-range: the decay factor, in (0, 1] [default: 0.1 for
    /// step and multistep (PyTorch's), 0.95 for exponential, 1 for exp-range (PyTorch's)].
    #[arg(long)]
    pub gamma: Option<f64>,
    /// step: epochs between two drops [default: 10].
    #[arg(long, value_name = "EPOCHS")]
    pub step_every: Option<u64>,
    /// step: pytorch = first drop after --step-every epochs (StepLR); keras = one epoch earlier,
    /// lr·gamma^floor((1+epoch)/k) as in the widely copied Keras step decay [default: pytorch].
    #[arg(long, value_enum, value_name = "VARIANT")]
    pub step_variant: Option<StepVariant>,
    /// multistep: increasing epochs at which the LR is multiplied by --gamma (required).
    #[arg(long, value_name = "E1,E2,…")]
    pub milestones: Option<String>,

    /// cosine, sgdr, plateau, triangular, triangular2, exp-range, polynomial, wsd: the lowest LR,
    /// at most --lr [default: 0 for cosine, sgdr, plateau, polynomial and wsd; --lr/4 for the
    /// cyclical ones, Smith's max/4 rule].
    #[arg(long, value_name = "LR")]
    pub min_lr: Option<f64>,
    /// cosine: the half-period in steps (PyTorch's T_max) when shorter than the run; the LR rises
    /// again after it, as in PyTorch [default: the run, held at --min-lr after].
    #[arg(long, value_name = "STEPS")]
    pub t_max: Option<u64>,
    /// sgdr: length of the first cycle in epochs [default: 10].
    #[arg(long, value_name = "EPOCHS")]
    pub t0: Option<u64>,
    /// sgdr: each cycle is this many times longer than the one before, a whole number ≥ 1
    /// [default: 1].
    #[arg(long, value_name = "N")]
    pub t_mult: Option<f64>,
    /// sgdr: multiply the restart peak by this after each cycle, in (0, 1] [default: 1].
    #[arg(long, value_name = "FACTOR")]
    pub peak_decay: Option<f64>,
    /// sgdr: multiply the floor (--min-lr) by this after each cycle, in (0, 1]; a peak that
    /// decays below the floor stops there [default: 1].
    #[arg(long, value_name = "FACTOR")]
    pub floor_decay: Option<f64>,

    /// triangular, triangular2, exp-range: steps in the rising half of a cycle [default: 4
    /// epochs' worth, the middle of Smith's 2–8 epochs advice].
    #[arg(long, value_name = "STEPS")]
    pub step_size: Option<u64>,
    /// triangular, triangular2, exp-range: the rising half in epochs, instead of --step-size.
    #[arg(long, value_name = "EPOCHS")]
    pub step_size_epochs: Option<u64>,
    /// triangular, triangular2, exp-range: the falling half, in the unit of the rising half
    /// (steps, or epochs with --step-size-epochs) [default: as long as the rising half].
    #[arg(long, value_name = "N")]
    pub step_size_down: Option<u64>,

    /// one-cycle, wsd: fraction of the run spent raising the LR, in (0, 1) ([0, 1) for wsd)
    /// [default: 0.3 for one-cycle, 0.05 for wsd].
    #[arg(long, value_name = "FRACTION")]
    pub pct_start: Option<f64>,
    /// one-cycle: start at --lr / div-factor, at least 1 [default: 25].
    #[arg(long, value_name = "FACTOR")]
    pub div_factor: Option<f64>,
    /// one-cycle: end at --lr / (div-factor · final-div-factor), at least 1 [default: 1e4].
    #[arg(long, value_name = "FACTOR")]
    pub final_div_factor: Option<f64>,
    /// one-cycle: shape of each phase [default: cos].
    #[arg(long, value_enum, value_name = "SHAPE")]
    pub anneal: Option<Anneal>,
    /// one-cycle: Smith's original three phases (up, down to the start, then down to the end)
    /// instead of two.
    #[arg(long)]
    pub three_phase: bool,

    /// snapshot: number of cycles M; each lasts ⌈N/M⌉ steps and ends in a snapshot
    /// (snapshot-ensemble) [default: 5].
    #[arg(long, value_name = "M")]
    pub cycles: Option<u64>,

    /// linear: the first LR is this times --lr, in (0, 1] [default: 1/3, PyTorch's].
    #[arg(long, value_name = "FACTOR")]
    pub start_factor: Option<f64>,
    /// linear: the LR from --decay-steps on is this times --lr, in [0, 1] [default: 1].
    #[arg(long, value_name = "FACTOR")]
    pub end_factor: Option<f64>,
    /// linear, polynomial, inverse-time: the steps T over which the LR changes (PyTorch's
    /// total_iters, Keras's decay_steps) [default: the run for linear and polynomial, one epoch
    /// for inverse-time].
    #[arg(long, value_name = "STEPS")]
    pub decay_steps: Option<u64>,
    /// linear, polynomial, inverse-time: T in epochs, instead of --decay-steps.
    #[arg(long, value_name = "EPOCHS")]
    pub decay_epochs: Option<u64>,
    /// polynomial: the exponent of the decay, above 0 [default: 1].
    #[arg(long, value_name = "P")]
    pub power: Option<f64>,
    /// polynomial: Keras's cycle=True: after T, decay again over the next multiple of T
    /// [default: off, constant at --min-lr after T].
    #[arg(long)]
    pub cycle: bool,
    /// inverse-time: lr/(1 + rate·t/T), at least 0 [default: 0.5].
    #[arg(long, value_name = "RATE")]
    pub decay_rate: Option<f64>,
    /// inverse-time: ⌊t/T⌋ in place of t/T, Keras's staircase=True [default: off].
    #[arg(long)]
    pub staircase: bool,
    /// wsd: fraction of the run decaying at the end, in [0, 1] [default: 0.2].
    #[arg(long, value_name = "FRACTION")]
    pub decay_fraction: Option<f64>,
    /// wsd: shape of the decay [default: 1-sqrt].
    #[arg(long, value_enum, value_name = "SHAPE")]
    pub decay_shape: Option<DecayShape>,
    /// sequential: schedules and the steps they start at (PyTorch SequentialLR), like
    /// "linear:start-factor=0.1:decay-steps=5 @5 cosine:t-max=20"; @M in steps, @Me in epochs;
    /// keys are schedule flags without dashes (required with --schedule sequential).
    #[arg(long, value_name = "\"NAME[:KEY=VALUE:…] @M NAME…\"")]
    pub sequence: Option<String>,

    /// Cycle momentum against the LR (SGD's momentum, or Adam's β1, replacing --momentum or
    /// --beta1). ON BY DEFAULT for triangular, triangular2, exp-range and one-cycle, as in PyTorch.
    #[arg(long, overrides_with = "no_cycle_momentum")]
    pub cycle_momentum: bool,
    /// Do not cycle momentum: the optimizer keeps its own --momentum or --beta1.
    #[arg(long, overrides_with = "cycle_momentum")]
    pub no_cycle_momentum: bool,
    /// Momentum where the LR peaks [default: 0.8 for the cyclical ones, 0.85 for one-cycle].
    #[arg(long, value_name = "M")]
    pub base_momentum: Option<f64>,
    /// Momentum where the LR is lowest [default: 0.9 for the cyclical ones, 0.95 for one-cycle].
    #[arg(long, value_name = "M")]
    pub max_momentum: Option<f64>,

    /// plateau: multiply the LR by this when --monitor stops improving, in (0, 1) [default: 0.1].
    #[arg(long, value_name = "FACTOR")]
    pub factor: Option<f64>,
    /// plateau: bad epochs tolerated; the LR is cut on the next one [default: 10].
    #[arg(long, value_name = "EPOCHS")]
    pub patience: Option<u64>,
    /// plateau: how much better than the best a value must be to count [default: 1e-4].
    #[arg(long, value_name = "X")]
    pub threshold: Option<f64>,
    /// plateau: rel = beyond best·(1 ∓ threshold), abs = beyond best ∓ threshold [default: rel].
    #[arg(long, value_enum, value_name = "MODE")]
    pub threshold_mode: Option<ThresholdMode>,
    /// plateau: epochs after a cut during which bad epochs are not counted [default: 0].
    #[arg(long, value_name = "EPOCHS")]
    pub cooldown: Option<u64>,
    /// plateau: a cut that changes the LR by no more than this is skipped (PyTorch's eps)
    /// [default: 1e-8].
    #[arg(long, value_name = "X")]
    pub plateau_eps: Option<f64>,

    /// Any schedule: a linear warm-up over this many steps first; the schedule then runs over
    /// the remaining steps from its own step 0 (PyTorch SequentialLR) [default: none].
    #[arg(long, value_name = "STEPS")]
    pub warmup_steps: Option<u64>,
    /// Any schedule: the warm-up length in epochs, instead of --warmup-steps.
    #[arg(long, value_name = "EPOCHS")]
    pub warmup_epochs: Option<u64>,
    /// The warm-up starts at this fraction of the schedule's first LR and rises linearly to it
    /// (PyTorch LinearLR), in (0, 1] [default: 1/3, PyTorch's].
    #[arg(long, value_name = "FACTOR")]
    pub warmup_start_factor: Option<f64>,
}

impl ScheduleArgs {
    /// The settings as plain data for [`ScheduleSpec::build`].
    pub fn spec(&self) -> ScheduleSpec {
        ScheduleSpec {
            schedule: self.schedule,
            gamma: self.gamma,
            step_every: self.step_every,
            step_variant: self.step_variant,
            milestones: self.milestones.clone(),
            min_lr: self.min_lr,
            t0: self.t0,
            t_mult: self.t_mult,
            peak_decay: self.peak_decay,
            floor_decay: self.floor_decay,
            step_size: self.step_size,
            step_size_epochs: self.step_size_epochs,
            step_size_down: self.step_size_down,
            pct_start: self.pct_start,
            div_factor: self.div_factor,
            final_div_factor: self.final_div_factor,
            anneal: self.anneal,
            three_phase: self.three_phase,
            cycles: self.cycles,
            t_max: self.t_max,
            start_factor: self.start_factor,
            end_factor: self.end_factor,
            decay_steps: self.decay_steps,
            decay_epochs: self.decay_epochs,
            power: self.power,
            cycle: self.cycle,
            decay_rate: self.decay_rate,
            staircase: self.staircase,
            decay_fraction: self.decay_fraction,
            decay_shape: self.decay_shape,
            sequence: self.sequence.clone(),
            factor: self.factor,
            patience: self.patience,
            threshold: self.threshold,
            threshold_mode: self.threshold_mode,
            cooldown: self.cooldown,
            plateau_eps: self.plateau_eps,
            base_momentum: self.base_momentum,
            max_momentum: self.max_momentum,
            warmup_steps: self.warmup_steps,
            warmup_epochs: self.warmup_epochs,
            warmup_start_factor: self.warmup_start_factor,
            cycle_momentum: self.cycle_momentum,
            no_cycle_momentum: self.no_cycle_momentum,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScheduleCmdArgs {
    /// List every schedule family with its flags, defaults and formula, then exit.
    #[arg(long)]
    pub list: bool,
    /// Number of steps to print: steps 0 … N−1 (as `train` with N = epochs × steps per epoch)
    /// [default with --metrics: one epoch per metric row].
    #[arg(long, value_name = "N", required_unless_present_any = ["list", "metrics"])]
    pub steps: Option<u64>,
    /// Steps per epoch, to convert the epoch-based flags the way `train` does
    /// (`train` uses ceil(training rows / batch size)).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub steps_per_epoch: u64,
    /// Learning rate: the starting LR, or the peak of triangular, triangular2, exp-range and one-cycle.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Output on stdout: CSV `step,lr[,momentum]`, or JSON (the schedule's parameters and a row
    /// per step with `cycle_end`) [default: csv; with --plot, nothing is printed unless --format
    /// is given].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Draw the LR (and the momentum, when it cycles) against the step into this SVG file, with
    /// epoch ticks and cycle ends marked.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Read flags from a JSON object whose keys are this command's long flag names
    /// ({"schedule": "sequential", "sequence": [...]}); flags given on the command line win.
    #[arg(long, value_name = "FILE.json")]
    pub config: Option<PathBuf>,
    /// Replay a feedback policy (--schedule plateau) from a recorded metric: a CSV file with a
    /// header row, one row per epoch, such as a run's epochs.csv; row k is what epoch k reported.
    #[arg(long, value_name = "FILE.csv")]
    pub metrics: Option<PathBuf>,
    /// The column of --metrics to replay [default: the --monitor name, val_loss].
    #[arg(long, value_name = "NAME", requires = "metrics")]
    pub column: Option<String>,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::cli::Cli;
    use crate::schedule::{
        cosine, cyclic, exponential, inverse_time, linear, one_cycle, plateau, polynomial, sgdr,
        snapshot, step, wsd,
    };

    /// The help of `--flag` of `lrtool train`, on one line.
    fn help(flag: &str) -> String {
        let cmd = Cli::command();
        let train = cmd.find_subcommand("train").unwrap();
        let arg = train
            .get_arguments()
            .find(|a| a.get_long() == Some(flag))
            .unwrap_or_else(|| panic!("--{flag}"));
        let text = arg
            .get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The defaults are constants in each family's file; the help texts state them and must not
    /// drift (the `--list` table is generated from the constants).
    #[test]
    fn help_texts_state_the_families_defaults() {
        let cases = [
            ("gamma", format!("{} for step", step::DEFAULT_GAMMA)),
            (
                "gamma",
                format!("{} for exponential", exponential::DEFAULT_GAMMA),
            ),
            ("gamma", format!("{} for exp-range", cyclic::DEFAULT_GAMMA)),
            (
                "step-every",
                format!("[default: {}]", step::DEFAULT_STEP_EVERY),
            ),
            (
                "min-lr",
                format!("[default: {} for cosine", cosine::DEFAULT_MIN_LR),
            ),
            (
                "min-lr",
                format!("--lr/{} for the cyclical", cyclic::DEFAULT_MIN_LR_DIVISOR),
            ),
            ("t0", format!("[default: {}]", sgdr::DEFAULT_T0)),
            (
                "step-size",
                format!("[default: {} epochs'", cyclic::DEFAULT_STEP_SIZE_EPOCHS),
            ),
            (
                "pct-start",
                format!(
                    "[default: {} for one-cycle, {} for wsd]",
                    one_cycle::DEFAULT_PCT_START,
                    wsd::DEFAULT_WARMUP_FRACTION
                ),
            ),
            (
                "min-lr",
                format!(
                    "[default: {} for cosine, sgdr, plateau, polynomial and wsd",
                    polynomial::DEFAULT_END_LR
                ),
            ),
            (
                "start-factor",
                format!(
                    "[default: 1/{}, PyTorch's]",
                    1.0 / linear::DEFAULT_START_FACTOR
                ),
            ),
            (
                "end-factor",
                format!("[default: {}]", linear::DEFAULT_END_FACTOR),
            ),
            ("power", format!("[default: {}]", polynomial::DEFAULT_POWER)),
            (
                "decay-rate",
                format!("[default: {}]", inverse_time::DEFAULT_DECAY_RATE),
            ),
            (
                "decay-fraction",
                format!("[default: {}]", wsd::DEFAULT_DECAY_FRACTION),
            ),
            (
                "decay-shape",
                format!("[default: {}]", wsd::DEFAULT_SHAPE.name()),
            ),
            (
                "div-factor",
                format!("[default: {}]", one_cycle::DEFAULT_DIV_FACTOR),
            ),
            (
                "final-div-factor",
                format!("[default: {:e}]", one_cycle::DEFAULT_FINAL_DIV_FACTOR),
            ),
            ("cycles", format!("[default: {}]", snapshot::DEFAULT_CYCLES)),
            ("factor", format!("[default: {}]", plateau::DEFAULT_FACTOR)),
            (
                "patience",
                format!("[default: {}]", plateau::DEFAULT_PATIENCE),
            ),
            (
                "threshold",
                format!("[default: {:e}]", plateau::DEFAULT_THRESHOLD),
            ),
            (
                "cooldown",
                format!("[default: {}]", plateau::DEFAULT_COOLDOWN),
            ),
            (
                "plateau-eps",
                format!("[default: {:e}]", plateau::DEFAULT_EPS),
            ),
            (
                "min-lr",
                format!(
                    "{} for cosine, sgdr, plateau, polynomial",
                    plateau::DEFAULT_MIN_LR
                ),
            ),
            (
                "base-momentum",
                format!(
                    "{} for the cyclical ones, {} for one-cycle",
                    cyclic::DEFAULT_MOMENTUM.0,
                    one_cycle::DEFAULT_MOMENTUM.0
                ),
            ),
            (
                "max-momentum",
                format!(
                    "{} for the cyclical ones, {} for one-cycle",
                    cyclic::DEFAULT_MOMENTUM.1,
                    one_cycle::DEFAULT_MOMENTUM.1
                ),
            ),
        ];
        for (flag, want) in cases {
            let text = help(flag);
            assert!(
                text.contains(&want),
                "--{flag}: {text:?} should say {want:?}"
            );
        }
    }
}

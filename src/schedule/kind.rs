//! The schedule families as named by `--schedule`, and what each family is (cyclical, cycles
//! momentum).

use serde::{Deserialize, Serialize};

/// The schedule families, as named by `--schedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// Fixed LR.
    Constant,
    /// Multiply by --gamma every --step-every epochs (PyTorch StepLR).
    Step,
    /// Multiply by --gamma at each of --milestones (PyTorch MultiStepLR).
    Multistep,
    /// Multiply by --gamma every epoch (PyTorch ExponentialLR).
    Exponential,
    /// Cosine from --lr to --min-lr over the run (PyTorch CosineAnnealingLR).
    Cosine,
    /// Cosine with warm restarts (PyTorch CosineAnnealingWarmRestarts).
    Sgdr,
    /// Smith's triangle between --min-lr and --lr (PyTorch CyclicLR).
    Triangular,
    /// Triangle whose amplitude halves every cycle.
    Triangular2,
    /// Triangle whose amplitude shrinks by --gamma every step.
    ExpRange,
    /// Smith's 1cycle (PyTorch OneCycleLR).
    OneCycle,
    /// Snapshot-ensemble cosine: --cycles restarts from --lr, each ⌈N/M⌉ steps (Huang et al.).
    Snapshot,
    /// Straight line from --start-factor·lr to --end-factor·lr (PyTorch LinearLR).
    Linear,
    /// Polynomial decay to --min-lr (PyTorch PolynomialLR, Keras PolynomialDecay).
    Polynomial,
    /// lr/(1 + rate·t/T) (Keras InverseTimeDecay).
    InverseTime,
    /// Warm-up, stable, decay.
    Wsd,
    /// Schedules one after another at milestones (PyTorch SequentialLR).
    Sequential,
    /// Feedback: multiply by --factor when --monitor stops improving (PyTorch ReduceLROnPlateau).
    Plateau,
}

impl ScheduleKind {
    pub const ALL: [ScheduleKind; 17] = [
        ScheduleKind::Constant,
        ScheduleKind::Step,
        ScheduleKind::Multistep,
        ScheduleKind::Exponential,
        ScheduleKind::Cosine,
        ScheduleKind::Sgdr,
        ScheduleKind::Triangular,
        ScheduleKind::Triangular2,
        ScheduleKind::ExpRange,
        ScheduleKind::OneCycle,
        ScheduleKind::Snapshot,
        ScheduleKind::Linear,
        ScheduleKind::Polynomial,
        ScheduleKind::InverseTime,
        ScheduleKind::Wsd,
        ScheduleKind::Sequential,
        ScheduleKind::Plateau,
    ];

    /// The name given to `--schedule`.
    pub fn name(self) -> &'static str {
        match self {
            ScheduleKind::Constant => "constant",
            ScheduleKind::Step => "step",
            ScheduleKind::Multistep => "multistep",
            ScheduleKind::Exponential => "exponential",
            ScheduleKind::Cosine => "cosine",
            ScheduleKind::Sgdr => "sgdr",
            ScheduleKind::Triangular => "triangular",
            ScheduleKind::Triangular2 => "triangular2",
            ScheduleKind::ExpRange => "exp-range",
            ScheduleKind::OneCycle => "one-cycle",
            ScheduleKind::Snapshot => "snapshot",
            ScheduleKind::Linear => "linear",
            ScheduleKind::Polynomial => "polynomial",
            ScheduleKind::InverseTime => "inverse-time",
            ScheduleKind::Wsd => "wsd",
            ScheduleKind::Sequential => "sequential",
            ScheduleKind::Plateau => "plateau",
        }
    }

    /// The family named `name` (as given to `--schedule`).
    pub fn from_name(name: &str) -> Option<ScheduleKind> {
        ScheduleKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// True for the cyclical families (triangular, triangular2, exp-range).
    pub fn is_cyclical(self) -> bool {
        matches!(
            self,
            ScheduleKind::Triangular | ScheduleKind::Triangular2 | ScheduleKind::ExpRange
        )
    }

    /// True for the feedback policies: their LR follows a monitored quantity that the training
    /// loop reports after each epoch, not the step alone (plateau).
    pub fn is_feedback(self) -> bool {
        self == ScheduleKind::Plateau
    }

    /// True for the families that cycle momentum (on by default, `--no-cycle-momentum` turns it off).
    pub fn cycles_momentum(self) -> bool {
        self.is_cyclical() || self == ScheduleKind::OneCycle
    }
}

//! clap's `ValueEnum` for the domain types a flag chooses among. The domain keeps plain enums
//! (with serde names); the names and per-value help texts the command line shows are here, and a
//! test checks that each name is the one serde writes into summary.json.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::data::Task;
use crate::data::csv::MissingMode;
use crate::lr_finder::SweepMode;
use crate::nn::{Activation, InitScheme};
use crate::optim::OptimizerKind;
use crate::schedule::{Anneal, DecayShape, PlateauMode, ScheduleKind, StepVariant, ThresholdMode};
use crate::train::Quantity;

/// `impl ValueEnum` from a list of `Variant => "name" ["help"]`.
macro_rules! value_enum {
    ($ty:ident { $($variant:ident => $name:literal $(: $help:literal)?),+ $(,)? }) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($ty::$variant),+]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $($ty::$variant => PossibleValue::new($name)$(.help($help))?,)+
                })
            }
        }
    };
}

value_enum!(OptimizerKind {
    Sgd => "sgd": "SGD with optional momentum, dampening, Nesterov and L2 weight decay",
    Adam => "adam": "Adam, weight decay added to the gradient (L2, coupled)",
    Adamw => "adamw": "AdamW, decoupled weight decay θ ← θ·(1 − lr·wd)",
});

value_enum!(InitScheme {
    Torch => "torch": "PyTorch's nn.Linear default: W and b ~ U(±1/√fan_in)",
    He => "he": "He/Kaiming uniform for the activation (gain·√(3/fan_in)), zero bias",
    Xavier => "xavier": "Xavier/Glorot uniform (√(6/(fan_in+fan_out))), zero bias",
});

value_enum!(Activation {
    Relu => "relu": "max(0, z)",
    LeakyRelu => "leaky-relu": "z if z > 0 else 0.01·z",
    Tanh => "tanh": "tanh(z)",
    Sigmoid => "sigmoid": "1 / (1 + e^-z)",
    Gelu => "gelu": "z·Φ(z), the exact (erf) form, PyTorch's default",
});

value_enum!(Task {
    Classify => "classify": "Classification: integer class labels, softmax cross-entropy.",
    Regress => "regress": "Regression: a real-valued target, mean squared error.",
});

value_enum!(MissingMode {
    Error => "error": "A missing cell is an error naming its file, line and column",
    DropRows => "drop-rows": "Rows with a missing cell (a feature or the target) are left out",
    Mean => "mean": "A missing number takes its column's training-split mean; a missing text cell no category (all zeros)",
});

value_enum!(SweepMode {
    Exp => "exp": "Geometric steps: equal ratios, equal spacing on a log axis",
    Linear => "linear": "Arithmetic steps",
});

value_enum!(StepVariant {
    Pytorch => "pytorch": "PyTorch StepLR: lr·gamma^⌊epoch/k⌋, first drop at epoch k.",
    Keras => "keras": "The Keras blog's step decay: lr·gamma^⌊(1+epoch)/k⌋, first drop at epoch k − 1.",
});

value_enum!(Anneal {
    Cos => "cos": "Half a cosine (PyTorch anneal_strategy='cos').",
    Linear => "linear": "A straight line (PyTorch anneal_strategy='linear').",
});

value_enum!(DecayShape {
    Linear => "linear": "1 − u: a straight line to --min-lr.",
    Cosine => "cosine": "(1 + cos(π·u))/2: half a cosine.",
    OneMinusSqrt => "1-sqrt": "1 − √u: fast at first, then slow (Hägele et al. 2024).",
});

value_enum!(ScheduleKind {
    Constant => "constant": "Fixed LR.",
    Step => "step": "Multiply by --gamma every --step-every epochs (PyTorch StepLR).",
    Multistep => "multistep": "Multiply by --gamma at each of --milestones (PyTorch MultiStepLR).",
    Exponential => "exponential": "Multiply by --gamma every epoch (PyTorch ExponentialLR).",
    Cosine => "cosine": "Cosine from --lr to --min-lr over the run (PyTorch CosineAnnealingLR).",
    Sgdr => "sgdr": "Cosine with warm restarts (PyTorch CosineAnnealingWarmRestarts).",
    Triangular => "triangular": "Smith's triangle between --min-lr and --lr (PyTorch CyclicLR).",
    Triangular2 => "triangular2": "Triangle whose amplitude halves every cycle.",
    ExpRange => "exp-range": "Triangle whose amplitude shrinks by --gamma every step.",
    OneCycle => "one-cycle": "Smith's 1cycle (PyTorch OneCycleLR).",
    Snapshot => "snapshot": "Snapshot-ensemble cosine: --cycles restarts from --lr, each ⌈N/M⌉ steps (Huang et al.).",
    Linear => "linear": "Straight line from --start-factor·lr to --end-factor·lr over --decay-steps (PyTorch LinearLR).",
    Polynomial => "polynomial": "Polynomial decay to --min-lr over --decay-steps (PyTorch PolynomialLR, Keras PolynomialDecay).",
    InverseTime => "inverse-time": "lr/(1 + --decay-rate·t/--decay-steps) (Keras InverseTimeDecay).",
    Wsd => "wsd": "Warm-up, stable at --lr, decay to --min-lr over the last --decay-fraction.",
    Sequential => "sequential": "The schedules of --sequence one after another (PyTorch SequentialLR).",
    Plateau => "plateau": "Feedback: multiply by --factor when --monitor stops improving (PyTorch ReduceLROnPlateau).",
});

value_enum!(PlateauMode {
    Min => "min": "Lower is better (losses).",
    Max => "max": "Higher is better (accuracy).",
});

value_enum!(ThresholdMode {
    Rel => "rel": "Better means beyond best·(1 ∓ threshold).",
    Abs => "abs": "Better means beyond best ∓ threshold.",
});

value_enum!(Quantity {
    ValLoss => "val_loss": "Validation loss, after each epoch.",
    ValAcc => "val_acc": "Validation accuracy (classification), after each epoch.",
    TrainLoss => "train_loss": "Mean training mini-batch loss of the epoch.",
});

/// `--gemm` (`lrtool bench`): the backend enum lives in `linalg`, which does not name clap.
impl ValueEnum for crate::linalg::GemmBackend {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.about()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command-line name of every value is the name serde writes (summary.json, configs).
    fn same_names<T: ValueEnum + serde::Serialize>() {
        for v in T::value_variants() {
            let name = v.to_possible_value().unwrap().get_name().to_string();
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json.as_str(), Some(name.as_str()), "{name}");
        }
    }

    #[test]
    fn command_line_names_are_the_serde_names() {
        same_names::<OptimizerKind>();
        same_names::<InitScheme>();
        same_names::<Activation>();
        same_names::<Task>();
        same_names::<SweepMode>();
        same_names::<StepVariant>();
        same_names::<Anneal>();
        same_names::<DecayShape>();
        same_names::<ScheduleKind>();
        same_names::<PlateauMode>();
        same_names::<ThresholdMode>();
        same_names::<Quantity>();
        for k in ScheduleKind::ALL {
            assert_eq!(k.to_possible_value().unwrap().get_name(), k.name());
        }
        assert_eq!(
            ScheduleKind::value_variants().len(),
            ScheduleKind::ALL.len()
        );
    }
}

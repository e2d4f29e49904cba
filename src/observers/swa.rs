//! `SwaAverage`: the running average of the weights after every epoch from the SWA phase's
//! first epoch on, as PyTorch's `AveragedModel.update_parameters` computes it.
//!
//! PyTorch (torch/optim/swa_utils.py): the first update copies the model's parameters
//! (`n_averaged = 0`); every later one, on the CPU (whose device has no foreach kernels there, so
//! `AveragedModel` takes `get_swa_avg_fn()`), is `avg + (cur − avg) / (n_averaged + 1)` in
//! float32. After `n` updates the average is the mean of the `n` weight sets; the test below
//! checks the bits against PyTorch's. (On a GPU PyTorch uses `_foreach_lerp_` with the weight
//! `1/(n+1)` instead, which differs in the last bits.)
//!
//! The MLP has no BatchNorm (and no other buffers), so PyTorch's `update_bn` has nothing to do:
//! the averaged weights are the SWA model as they are.
//!
//! One extra copy of the parameters is allocated when the observer is made; an update touches
//! it once per epoch, never inside a step.

use crate::nn::Mlp;
use crate::train::{Control, EpochReport, Observer};

/// The running mean of the weights after epochs `start_epoch, start_epoch + 1, …`.
pub struct SwaAverage {
    start_epoch: usize,
    average: Mlp,
    /// `AveragedModel.n_averaged`: weight sets averaged so far.
    pub n_averaged: u64,
    /// The first and the last epoch averaged.
    pub first_epoch: Option<usize>,
    pub last_epoch: Option<usize>,
}

/// PyTorch's `get_swa_avg_fn()` update in float32: `avg + (cur − avg) / (n + 1)`.
fn mean_into(avg: &mut [f32], cur: &[f32], n_plus_1: f32) {
    for (a, &c) in avg.iter_mut().zip(cur) {
        *a += (c - *a) / n_plus_1;
    }
}

impl SwaAverage {
    /// Average the weights after each epoch from `start_epoch` (1-based) on; `model` gives the
    /// shapes (its values are overwritten by the first update).
    pub fn new(start_epoch: usize, model: &Mlp) -> SwaAverage {
        SwaAverage {
            start_epoch,
            average: model.clone(),
            n_averaged: 0,
            first_epoch: None,
            last_epoch: None,
        }
    }

    /// The averaged model, once at least one epoch has been averaged.
    pub fn model(&self) -> Option<&Mlp> {
        (self.n_averaged > 0).then_some(&self.average)
    }

    /// `AveragedModel.update_parameters(model)`.
    pub fn update(&mut self, model: &Mlp) {
        let copy = self.n_averaged == 0;
        let n_plus_1 = (self.n_averaged + 1) as f32;
        for (a, m) in self.average.layers.iter_mut().zip(&model.layers) {
            let pairs = [
                (
                    a.weight.as_slice_mut().expect("standard layout"),
                    m.weight.as_slice().expect("standard layout"),
                ),
                (
                    a.bias.as_slice_mut().expect("standard layout"),
                    m.bias.as_slice().expect("standard layout"),
                ),
            ];
            for (avg, cur) in pairs {
                if copy {
                    avg.copy_from_slice(cur);
                } else {
                    mean_into(avg, cur, n_plus_1);
                }
            }
        }
        self.n_averaged += 1;
    }
}

impl Observer for SwaAverage {
    fn on_epoch(&mut self, report: &EpochReport, model: &Mlp) -> anyhow::Result<Control> {
        if report.epoch >= self.start_epoch {
            self.update(model);
            self.first_epoch.get_or_insert(report.epoch);
            self.last_epoch = Some(report.epoch);
        }
        Ok(Control::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn model(seed: u64) -> Mlp {
        let mut rng = StdRng::seed_from_u64(seed);
        Mlp::new(
            &[5, 7, 3],
            crate::nn::Activation::Relu,
            crate::nn::InitScheme::Torch,
            &mut rng,
        )
    }

    #[test]
    fn the_average_is_the_mean_of_the_weight_sets() {
        let sets: Vec<Mlp> = (0..7).map(model).collect();
        let mut avg = SwaAverage::new(1, &sets[0]);
        assert!(avg.model().is_none());
        for m in &sets {
            avg.update(m);
        }
        assert_eq!(avg.n_averaged, 7);
        let got = avg.model().unwrap();
        for (l, layer) in got.layers.iter().enumerate() {
            for (i, &v) in layer.weight.iter().enumerate() {
                let mean = sets
                    .iter()
                    .map(|m| m.layers[l].weight.as_slice().unwrap()[i] as f64)
                    .sum::<f64>()
                    / 7.0;
                assert!((v as f64 - mean).abs() < 1e-6, "{v} vs {mean}");
            }
        }
    }

    #[test]
    fn the_first_update_copies() {
        let a = model(1);
        let mut avg = SwaAverage::new(1, &model(2));
        avg.update(&a);
        assert_eq!(avg.model().unwrap(), &a);
    }

    /// `AveragedModel.update_parameters` over five weight sets, bits printed by PyTorch 2.15.0
    /// (CPU):
    ///
    /// ```python
    /// import math, struct, torch
    /// from torch.optim.swa_utils import AveragedModel
    /// n, sets = 37, 5
    /// lin = torch.nn.Linear(n, 1, bias=False)
    /// avg = AveragedModel(lin)
    /// for k in range(sets):
    ///     with torch.no_grad():
    ///         lin.weight.copy_(torch.tensor([[math.sin(0.37 * i + 1.3 * k) * (1 + k / 4)
    ///                                         for i in range(n)]]))
    ///     avg.update_parameters(lin)
    /// print([hex(struct.unpack("<I", struct.pack("<f", v))[0])
    ///        for v in avg.module.weight.detach()[0].tolist()])
    /// ```
    #[test]
    fn the_average_matches_pytorchs_averaged_model_bit_for_bit() {
        const WANT: [u32; 37] = [
            0xbe4b5352, 0xbe529f18, 0xbe3d6925, 0xbe0e9070, 0xbd98d830, 0x38814000, 0x3d991470,
            0x3e0ea848, 0x3e3d7782, 0x3e52a204, 0x3e4b4a6b, 0x3e286f21, 0x3ddd8fc4, 0x3d1888f8,
            0xbd1eb2b0, 0xbde039dc, 0xbe2960a4, 0xbe4bb7b2, 0xbe527c44, 0xbe3cc3db, 0xbe0d7f0b,
            0xbd962730, 0x3ac09000, 0x3d9bc370, 0x3e0fb7d6, 0x3e3e1a5c, 0x3e52c21c, 0x3e4ae36d,
            0x3e278efc, 0x3ddb19da, 0x3d12dc60, 0xbd245b70, 0xbde2aa3c, 0xbe2a3c98, 0xbe4c19a4,
            0xbe5256f4, 0xbe3c1c50,
        ];
        let mut m = Mlp::new(
            &[37, 1],
            crate::nn::Activation::Relu,
            crate::nn::InitScheme::Torch,
            &mut StdRng::seed_from_u64(0),
        );
        let mut avg = SwaAverage::new(1, &m);
        for k in 0..5 {
            for (i, w) in m.layers[0].weight.iter_mut().enumerate() {
                *w = ((0.37 * i as f64 + 1.3 * k as f64).sin() * (1.0 + k as f64 / 4.0)) as f32;
            }
            avg.update(&m);
        }
        let got: Vec<u32> = avg.model().unwrap().layers[0]
            .weight
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(got, WANT);
    }
}

//! The Burn module used for training a [`NetSpec`], with deterministic initialisation.

use super::{BatchNormWeights, DenseLayerWeights, DenseWeights, NetSpec, glorot_uniform};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::spec::Activation;
use crate::train::Trainable;
use burn::module::Param;
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation;

/// Dense layers with their activations, dropout and batch normalisation, trainable on any device.
#[derive(Module, Debug)]
pub struct DenseNet {
    linears: Vec<Linear>,
    dropouts: Vec<Dropout>,
    norms: Vec<Option<BatchNorm>>,
    #[module(skip)]
    activations: Vec<Activation>,
    /// When set, training outputs skip the final activation: the loss applies it, fused with
    /// the log (softmax/sigmoid cross-entropy), which is stable where log(softmax) is not.
    #[module(skip)]
    fused_output: bool,
}

/// A linear layer with [`glorot_uniform`] weights, so that initialisation does not depend on
/// Burn's global RNG.
pub fn glorot_linear(rng: &mut SplitMix64, inputs: usize, units: usize, bias: bool, device: &Device) -> Linear {
    let weights = glorot_uniform(rng, inputs, units);
    let weight = Tensor::<2>::from_data(TensorData::new(weights, [inputs, units]), device);
    Linear {
        weight: Param::from_tensor(weight),
        bias: bias.then(|| Param::from_tensor(Tensor::<1>::zeros([units], device))),
    }
}

impl DenseNet {
    pub fn init(spec: &NetSpec, seed: u64, fused_output: bool, device: &Device) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut inputs = spec.inputs;
        let mut linears = Vec::with_capacity(spec.layers.len());
        let mut dropouts = Vec::with_capacity(spec.layers.len());
        let mut norms = Vec::with_capacity(spec.layers.len());
        for layer in &spec.layers {
            linears.push(glorot_linear(&mut rng, inputs, layer.units, true, device));
            dropouts.push(DropoutConfig::new(layer.dropout).init());
            norms.push(layer.batch_norm.then(|| BatchNormConfig::new(layer.units).init(device)));
            inputs = layer.units;
        }
        Self { linears, dropouts, norms, activations: spec.layers.iter().map(|l| l.activation).collect(), fused_output }
    }

    /// `[batch, inputs]` → `[batch, outputs]`, every activation applied.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.run(x, false)
    }

    fn run(&self, mut x: Tensor<2>, skip_final_activation: bool) -> Tensor<2> {
        let last = self.linears.len().saturating_sub(1);
        for (i, linear) in self.linears.iter().enumerate() {
            x = linear.forward(x);
            if !(skip_final_activation && i == last) {
                x = apply_activation(self.activations[i], x);
            }
            x = self.dropouts[i].forward(x);
            if let Some(norm) = &self.norms[i] {
                x = norm.forward(x);
            }
        }
        x
    }

    /// Copies the weights out for the inference engine (and persistence).
    pub fn to_weights(&self) -> Result<DenseWeights> {
        let mut layers = Vec::with_capacity(self.linears.len());
        for ((linear, act), norm) in self.linears.iter().zip(&self.activations).zip(&self.norms) {
            let (inputs, units, weight, bias) = linear_weights(linear)?;
            let batch_norm = norm.as_ref().map(fold_batch_norm).transpose()?;
            layers.push(DenseLayerWeights { inputs, units, activation: *act, weight, bias, batch_norm });
        }
        Ok(DenseWeights { layers })
    }
}

impl Trainable for DenseNet {
    fn forward_train(&self, x: Tensor<2>) -> Tensor<2> {
        self.run(x, self.fused_output)
    }
}

/// `(inputs, units, weight [inputs × units], bias [units])` of a linear layer.
pub fn linear_weights(linear: &Linear) -> Result<(usize, usize, Vec<f32>, Vec<f32>)> {
    let [inputs, units] = linear.weight.val().dims();
    let weight = read_f32(linear.weight.val().into_data())?;
    let bias = match &linear.bias {
        Some(b) => read_f32(b.val().into_data())?,
        None => vec![0.0; units],
    };
    Ok((inputs, units, weight, bias))
}

fn fold_batch_norm(norm: &BatchNorm) -> Result<BatchNormWeights> {
    let gamma = read_f32(norm.gamma.val().into_data())?;
    let beta = read_f32(norm.beta.val().into_data())?;
    let mean = read_f32(norm.running_mean.value().into_data())?;
    let var = read_f32(norm.running_var.value().into_data())?;
    let scale: Vec<f32> = gamma.iter().zip(&var).map(|(g, v)| g / (v + norm.epsilon as f32).sqrt()).collect();
    let shift = beta.iter().zip(&mean).zip(&scale).map(|((b, m), s)| b - m * s).collect();
    Ok(BatchNormWeights { scale, shift })
}

pub fn read_f32(data: TensorData) -> Result<Vec<f32>> {
    data.try_to_vec::<f32>().map_err(|e| Error::training(format!("could not read trained weights: {e:?}")))
}

pub fn apply_activation<const D: usize>(act: Activation, x: Tensor<D>) -> Tensor<D> {
    match act {
        Activation::Linear => x,
        Activation::Relu => activation::relu(x),
        Activation::Sigmoid => activation::sigmoid(x),
        Activation::Tanh => activation::tanh(x),
        Activation::Elu => activation::elu(x, 1.0),
        Activation::Selu => activation::selu(x),
        Activation::Softmax => activation::softmax(x, D - 1),
    }
}

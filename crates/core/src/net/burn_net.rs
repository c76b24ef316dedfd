//! The Burn module used for training a [`NetSpec`], with deterministic initialisation.

use super::{DenseLayerWeights, DenseWeights, NetSpec};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;
use crate::spec::Activation;
use burn::module::Param;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation;

/// Dense layers with their activations and dropout, trainable on any Burn device.
#[derive(Module, Debug)]
pub struct DenseNet {
    linears: Vec<Linear>,
    dropouts: Vec<Dropout>,
    #[module(skip)]
    activations: Vec<Activation>,
}

impl DenseNet {
    /// Glorot-uniform weights and zero biases (the tfjs defaults the upstream plugin used), drawn
    /// from our own seeded generator so that initialisation does not depend on Burn's global RNG.
    pub fn init(spec: &NetSpec, seed: u64, device: &Device) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut inputs = spec.inputs;
        let mut linears = Vec::with_capacity(spec.layers.len());
        let mut dropouts = Vec::with_capacity(spec.layers.len());
        for layer in &spec.layers {
            let limit = (6.0 / (inputs + layer.units) as f64).sqrt();
            let weights: Vec<f32> = (0..inputs * layer.units)
                .map(|_| rng.uniform(-limit, limit) as f32)
                .collect();
            let weight =
                Tensor::<2>::from_data(TensorData::new(weights, [inputs, layer.units]), device);
            let bias = Tensor::<1>::zeros([layer.units], device);
            linears.push(Linear {
                weight: Param::from_tensor(weight),
                bias: Some(Param::from_tensor(bias)),
            });
            dropouts.push(DropoutConfig::new(layer.dropout).init());
            inputs = layer.units;
        }
        Self {
            linears,
            dropouts,
            activations: spec.layers.iter().map(|l| l.activation).collect(),
        }
    }

    /// Loads trained weights (for continued training or cross-backend checks).
    pub fn from_weights(weights: &DenseWeights, device: &Device) -> Self {
        let mut linears = Vec::with_capacity(weights.layers.len());
        for layer in &weights.layers {
            let weight = Tensor::<2>::from_data(
                TensorData::new(layer.weight.clone(), [layer.inputs, layer.units]),
                device,
            );
            let bias =
                Tensor::<1>::from_data(TensorData::new(layer.bias.clone(), [layer.units]), device);
            linears.push(Linear {
                weight: Param::from_tensor(weight),
                bias: Some(Param::from_tensor(bias)),
            });
        }
        Self {
            dropouts: weights
                .layers
                .iter()
                .map(|_| DropoutConfig::new(0.0).init())
                .collect(),
            linears,
            activations: weights.layers.iter().map(|l| l.activation).collect(),
        }
    }

    /// `[batch, inputs]` → `[batch, outputs]`.
    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        for ((linear, dropout), act) in self
            .linears
            .iter()
            .zip(&self.dropouts)
            .zip(&self.activations)
        {
            x = dropout.forward(apply_activation(*act, linear.forward(x)));
        }
        x
    }

    /// Copies the weights out for the inference engine (and persistence).
    pub fn to_weights(&self) -> Result<DenseWeights> {
        let mut layers = Vec::with_capacity(self.linears.len());
        for (linear, act) in self.linears.iter().zip(&self.activations) {
            let [inputs, units] = linear.weight.val().dims();
            let weight = read_f32(linear.weight.val().into_data())?;
            let bias = match &linear.bias {
                Some(b) => read_f32(b.val().into_data())?,
                None => vec![0.0; units],
            };
            layers.push(DenseLayerWeights {
                inputs,
                units,
                activation: *act,
                weight,
                bias,
            });
        }
        Ok(DenseWeights { layers })
    }
}

fn read_f32(data: TensorData) -> Result<Vec<f32>> {
    data.try_to_vec::<f32>()
        .map_err(|e| Error::training(format!("could not read trained weights: {e:?}")))
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

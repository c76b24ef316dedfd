//! The time-series network: an LSTM over `lookback` steps, then a dense layer and a linear output.
//!
//! The cell is written out with Burn tensor ops rather than `burn::nn::Lstm` so that training and
//! the plain-Rust inference below share one weight layout, and so that `recurrentDropout` (dropout
//! on the hidden state fed back at each step) exists at all.

use super::burn_net::{glorot_linear, linear_weights, read_f32};
use super::{DenseLayerWeights, DenseWeights, engine};
use crate::error::Result;
use crate::rng::SplitMix64;
use crate::spec::Activation;
use crate::train::Trainable;
use burn::module::Param;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid, tanh};
use serde::{Deserialize, Serialize};

/// Shape of the sequence network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LstmSpec {
    /// Values per step (the features and the target).
    pub step_inputs: usize,
    pub lookback: usize,
    pub hidden: usize,
    pub dense: usize,
    pub dropout: f64,
    pub recurrent_dropout: f64,
}

impl LstmSpec {
    /// Trainable parameters, counted like Keras: input and recurrent kernels and one bias per gate,
    /// then the dense and output layers.
    pub fn parameter_count(&self) -> usize {
        // Saturating, like NetSpec's: an imported spec may be of any size.
        let gates = self.hidden.saturating_mul(4);
        [
            self.step_inputs.saturating_mul(gates),
            self.hidden.saturating_mul(gates),
            gates,
            self.hidden.saturating_mul(self.dense),
            self.dense,
            self.dense,
            1,
        ]
        .into_iter()
        .fold(0usize, usize::saturating_add)
    }
}

#[derive(Module, Debug)]
pub struct LstmNet {
    /// Input kernel for the four gates (input, forget, cell, output), with their biases.
    input: Linear,
    /// Recurrent kernel for the four gates, no bias.
    recurrent: Linear,
    dense: Linear,
    output: Linear,
    recurrent_dropout: Dropout,
    dropout: Dropout,
    #[module(skip)]
    spec: LstmSpec,
}

impl LstmNet {
    pub fn init(spec: LstmSpec, seed: u64, device: &Device) -> Self {
        let mut rng = SplitMix64::new(seed);
        let h = spec.hidden;
        let mut input = glorot_linear(&mut rng, spec.step_inputs, 4 * h, true, device);
        // Forget-gate bias starts at 1 (Jozefowicz et al., 2015; Keras' unit_forget_bias), so the
        // cell remembers by default early in training.
        let mut bias = vec![0f32; 4 * h];
        bias[h..2 * h].iter_mut().for_each(|b| *b = 1.0);
        input.bias = Some(Param::from_tensor(Tensor::<1>::from_data(TensorData::new(bias, [4 * h]), device)));
        Self {
            input,
            recurrent: glorot_linear(&mut rng, h, 4 * h, false, device),
            dense: glorot_linear(&mut rng, h, spec.dense, true, device),
            output: glorot_linear(&mut rng, spec.dense, 1, true, device),
            recurrent_dropout: DropoutConfig::new(spec.recurrent_dropout).init(),
            dropout: DropoutConfig::new(spec.dropout).init(),
            spec,
        }
    }

    pub fn to_weights(&self) -> Result<LstmWeights> {
        let (_, _, input_kernel, bias) = linear_weights(&self.input)?;
        let recurrent_kernel = read_f32(self.recurrent.weight.val().into_data())?;
        let (inputs, units, weight, dense_bias) = linear_weights(&self.dense)?;
        let dense = DenseLayerWeights {
            inputs,
            units,
            activation: Activation::Relu,
            weight,
            bias: dense_bias,
            batch_norm: None,
        };
        let (inputs, units, weight, out_bias) = linear_weights(&self.output)?;
        let output = DenseLayerWeights {
            inputs,
            units,
            activation: Activation::Linear,
            weight,
            bias: out_bias,
            batch_norm: None,
        };
        Ok(LstmWeights {
            spec: self.spec,
            input_kernel,
            recurrent_kernel,
            bias,
            head: DenseWeights { layers: vec![dense, output] },
        })
    }
}

impl Trainable for LstmNet {
    /// `[batch, lookback × step_inputs]` (steps flattened, oldest first) → `[batch, 1]`.
    fn forward_train(&self, x: Tensor<2>) -> Tensor<2> {
        let [batch, _] = x.dims();
        let LstmSpec { lookback, step_inputs, hidden, .. } = self.spec;
        // All steps' input projections in one matmul: [batch, lookback, 4·hidden].
        let projected = self.input.forward(x.reshape([batch, lookback, step_inputs]));
        let device = projected.device();
        let mut h = Tensor::<2>::zeros([batch, hidden], &device);
        let mut c = Tensor::<2>::zeros([batch, hidden], &device);
        for t in 0..lookback {
            let gates = projected.clone().narrow(1, t, 1).reshape([batch, 4 * hidden])
                + self.recurrent.forward(self.recurrent_dropout.forward(h));
            let i = sigmoid(gates.clone().narrow(1, 0, hidden));
            let f = sigmoid(gates.clone().narrow(1, hidden, hidden));
            let g = tanh(gates.clone().narrow(1, 2 * hidden, hidden));
            let o = sigmoid(gates.narrow(1, 3 * hidden, hidden));
            c = f * c + i * g;
            h = o * tanh(c.clone());
        }
        let dense = self.dropout.forward(relu(self.dense.forward(h)));
        self.output.forward(dense)
    }
}

/// A trained sequence network for the inference engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LstmWeights {
    pub spec: LstmSpec,
    /// `[step_inputs, 4·hidden]`, gates in the order input, forget, cell, output.
    pub input_kernel: Vec<f32>,
    /// `[hidden, 4·hidden]`.
    pub recurrent_kernel: Vec<f32>,
    /// `[4·hidden]`.
    pub bias: Vec<f32>,
    /// Dense (relu) and output (linear) layers.
    pub head: DenseWeights,
}

impl LstmWeights {
    /// Forward pass over sequences (each `lookback × step_inputs` values, oldest step first).
    pub fn forward(&self, sequences: &[f32]) -> Vec<f32> {
        let LstmSpec { lookback, step_inputs, hidden, .. } = self.spec;
        let per_sequence = lookback * step_inputs;
        let gates_n = 4 * hidden;
        let mut last_hidden = Vec::with_capacity(sequences.len() / per_sequence * hidden);
        let (mut h, mut c, mut gates) = (vec![0f32; hidden], vec![0f32; hidden], vec![0f32; gates_n]);
        for sequence in sequences.chunks_exact(per_sequence) {
            h.iter_mut().for_each(|v| *v = 0.0);
            c.iter_mut().for_each(|v| *v = 0.0);
            for step in sequence.chunks_exact(step_inputs) {
                gates.copy_from_slice(&self.bias);
                engine::accumulate(&mut gates, step, &self.input_kernel);
                engine::accumulate(&mut gates, &h, &self.recurrent_kernel);
                for j in 0..hidden {
                    let i = engine::sigmoid(gates[j]);
                    let f = engine::sigmoid(gates[hidden + j]);
                    let g = gates[2 * hidden + j].tanh();
                    let o = engine::sigmoid(gates[3 * hidden + j]);
                    c[j] = f * c[j] + i * g;
                    h[j] = o * c[j].tanh();
                }
            }
            last_hidden.extend_from_slice(&h);
        }
        self.head.forward(&last_hidden)
    }
}

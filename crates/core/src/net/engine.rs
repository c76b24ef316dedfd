//! The inference engine: a dense forward pass in plain Rust over weights copied out of Burn.
//!
//! Why not run inference through Burn? A single prediction through a tensor backend costs a device
//! round trip and per-op dispatch (tens of microseconds on CPU, a queue submission on a GPU) for a
//! few hundred multiply-adds. Here it is a handful of cache-resident loops, bit-identical on every
//! machine and backend the model was trained on, and safe to call from the JavaScript thread.

use super::NetSpec;
use crate::spec::Activation;
use serde::{Deserialize, Serialize};

/// Weights of one layer: `weight` is row-major `[inputs, units]` (Burn's `Linear` layout).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenseLayerWeights {
    pub inputs: usize,
    pub units: usize,
    pub activation: Activation,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    /// Batch normalisation after the activation, folded for inference.
    #[serde(default)]
    pub batch_norm: Option<BatchNormWeights>,
}

/// Inference-time batch normalisation: `y = x · scale + shift`, where
/// `scale = γ / √(running variance + ε)` and `shift = β − running mean · scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchNormWeights {
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
}

/// A trained dense network, ready for inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenseWeights {
    pub layers: Vec<DenseLayerWeights>,
}

/// Rows per block: large enough to amortise the per-layer loop, small enough that a block's
/// activations stay in L1/L2 cache.
const BLOCK_ROWS: usize = 64;

impl DenseWeights {
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units)
    }

    pub fn matches(&self, spec: &NetSpec) -> bool {
        self.layers.len() == spec.layers.len()
            && self.inputs() == spec.inputs
            && self.layers.iter().zip(&spec.layers).all(|(w, s)| w.units == s.units && w.activation == s.activation)
    }

    /// Forward pass over row-major `inputs` (rows × self.inputs()); returns rows × self.outputs().
    pub fn forward(&self, inputs: &[f32]) -> Vec<f32> {
        let in_dim = self.inputs();
        let rows = inputs.len().checked_div(in_dim).unwrap_or(0);
        let mut out = Vec::with_capacity(rows * self.outputs());
        let mut a = Vec::new();
        let mut b = Vec::new();
        for block in inputs.chunks(BLOCK_ROWS * in_dim) {
            a.clear();
            a.extend_from_slice(block);
            for layer in &self.layers {
                layer.forward_block(&a, &mut b);
                std::mem::swap(&mut a, &mut b);
            }
            out.extend_from_slice(&a);
        }
        out
    }
}

impl DenseLayerWeights {
    fn forward_block(&self, input: &[f32], output: &mut Vec<f32>) {
        let rows = input.len() / self.inputs;
        output.clear();
        output.reserve(rows * self.units);
        for row in input.chunks_exact(self.inputs) {
            let start = output.len();
            output.extend_from_slice(&self.bias);
            let acc = &mut output[start..];
            accumulate(acc, row, &self.weight);
            activate(self.activation, acc);
            if let Some(bn) = &self.batch_norm {
                for ((v, &scale), &shift) in acc.iter_mut().zip(&bn.scale).zip(&bn.shift) {
                    *v = *v * scale + shift;
                }
            }
        }
    }
}

/// `out += x · W` for a row-major `W` of `x.len()` rows and `out.len()` columns, one input at a
/// time so that the inner loop runs over contiguous weights and vectorises.
pub fn accumulate(out: &mut [f32], x: &[f32], w: &[f32]) {
    let n = out.len();
    for (k, &xv) in x.iter().enumerate() {
        if xv != 0.0 {
            for (o, &wv) in out.iter_mut().zip(&w[k * n..(k + 1) * n]) {
                *o += xv * wv;
            }
        }
    }
}

/// Applies an activation in place to one row of a layer's outputs.
pub fn activate(activation: Activation, row: &mut [f32]) {
    match activation {
        Activation::Linear => {}
        Activation::Relu => row.iter_mut().for_each(|v| *v = v.max(0.0)),
        Activation::Sigmoid => row.iter_mut().for_each(|v| *v = sigmoid(*v)),
        Activation::Tanh => row.iter_mut().for_each(|v| *v = v.tanh()),
        Activation::Elu => row.iter_mut().for_each(|v| *v = if *v > 0.0 { *v } else { v.exp_m1() }),
        Activation::Selu => row.iter_mut().for_each(|v| {
            *v = SELU_SCALE * if *v > 0.0 { *v } else { SELU_ALPHA * v.exp_m1() };
        }),
        Activation::Softmax => softmax(row),
    }
}

/// SELU constants (Klambauer et al., 2017), as in Burn and tfjs.
pub const SELU_ALPHA: f32 = 1.673_263_2;
pub const SELU_SCALE: f32 = 1.050_701;

pub fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// Numerically stable softmax in place.
pub fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in row.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_matches_hand_computation() {
        let net = DenseWeights {
            layers: vec![
                DenseLayerWeights {
                    inputs: 2,
                    units: 2,
                    activation: Activation::Relu,
                    weight: vec![1.0, -1.0, 2.0, 0.5],
                    bias: vec![0.0, 0.1],
                    batch_norm: None,
                },
                DenseLayerWeights {
                    inputs: 2,
                    units: 1,
                    activation: Activation::Linear,
                    weight: vec![1.0, 2.0],
                    bias: vec![-1.0],
                    batch_norm: None,
                },
            ],
        };
        // x = [1, 2]: hidden = relu([1 + 4, -1 + 1 + 0.1]) = [5, 0.1]; out = 5 + 0.2 - 1
        let out = net.forward(&[1.0, 2.0]);
        assert!((out[0] - 4.2).abs() < 1e-6, "{out:?}");
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut row = [1.0, 2.0, 3.0];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row[2] > row[1] && row[1] > row[0]);
    }
}

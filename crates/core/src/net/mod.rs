//! Dense networks: their architecture ([`NetSpec`]), their two training engines (Burn's
//! [`burn_net::DenseNet`] and the native CPU engine in [`native`]) and the plain-Rust inference
//! engine ([`DenseWeights`]).

pub mod burn_net;
mod engine;
pub mod lstm;
pub mod native;

pub use engine::{
    BatchNormWeights, DenseLayerWeights, DenseWeights, SELU_ALPHA, SELU_SCALE, accumulate, activate, sigmoid,
    softmax as softmax_in_place,
};

use crate::rng::SplitMix64;
use crate::spec::Activation;
use serde::{Deserialize, Serialize};

/// Glorot-uniform weights `[fan_in, fan_out]` (row-major) from our own generator, the tfjs default
/// kernel initialiser the upstream plugin used. Both training engines draw through this, in the
/// same order, so they start from the same network.
pub fn glorot_uniform(rng: &mut SplitMix64, fan_in: usize, fan_out: usize) -> Vec<f32> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    (0..fan_in * fan_out).map(|_| rng.uniform(-limit, limit) as f32).collect()
}

/// One fully connected layer: `activation(x · W + b)`, then dropout while training, then batch
/// normalisation if asked for (the order of the upstream tfjs networks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSpec {
    pub units: usize,
    pub activation: Activation,
    pub dropout: f64,
    #[serde(default)]
    pub batch_norm: bool,
}

/// A stack of dense layers from `inputs` to the last layer's `units` outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetSpec {
    pub inputs: usize,
    pub layers: Vec<LayerSpec>,
}

impl NetSpec {
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(self.inputs, |l| l.units)
    }

    /// Trainable parameters: a weight per input per unit plus a bias per unit, for every layer,
    /// plus a scale and a shift per unit of each batch normalisation (its running mean and
    /// variance are statistics, not trained).
    pub fn parameter_count(&self) -> usize {
        // Saturating: a count too large for usize is simply over any cap, not a wrapped small one.
        let mut inputs = self.inputs;
        let mut total = 0usize;
        for layer in &self.layers {
            let norm = if layer.batch_norm { 2 * layer.units } else { 0 };
            total = total.saturating_add(inputs.saturating_mul(layer.units)).saturating_add(layer.units + norm);
            inputs = layer.units;
        }
        total
    }

    /// `hidden` layers (units, activation, dropout) followed by a linear output layer.
    pub fn mlp(inputs: usize, hidden: &[(usize, Activation, f64)], outputs: usize) -> Self {
        let mut layers: Vec<LayerSpec> = hidden
            .iter()
            .map(|&(units, activation, dropout)| LayerSpec { units, activation, dropout, batch_norm: false })
            .collect();
        layers.push(LayerSpec { units: outputs, activation: Activation::Linear, dropout: 0.0, batch_norm: false });
        Self { inputs, layers }
    }
}

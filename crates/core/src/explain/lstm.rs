//! The gradient of a time-series forecast with respect to every value of its input window, by
//! back-propagation through time over the inference engine's LSTM, for integrated gradients by
//! quadrature (the gates are smooth, so there are no linear pieces to walk).

use super::output::OutputFn;
use crate::net::lstm::{LstmSpec, LstmWeights};
use crate::net::{accumulate, sigmoid};

/// Per step: the gate activations (input, forget, cell, output) and the cell state after it.
#[derive(Default)]
pub struct Tape {
    gates: Vec<f32>,
    cells: Vec<f32>,
    hidden: Vec<f32>,
}

/// `F(sequence)` (the head's output through `output`), with its gradient with respect to every
/// value of the sequence (`lookback × step_inputs`, oldest step first) written into `grad`.
pub fn gradient(net: &LstmWeights, output: &OutputFn, sequence: &[f32], grad: &mut [f64], tape: &mut Tape) -> f64 {
    let LstmSpec { lookback, step_inputs, hidden, .. } = net.spec;
    let g4 = 4 * hidden;
    tape.gates.clear();
    tape.gates.resize(lookback * g4, 0.0);
    tape.cells.clear();
    tape.cells.resize((lookback + 1) * hidden, 0.0);
    tape.hidden.clear();
    tape.hidden.resize((lookback + 1) * hidden, 0.0);
    for (t, step) in sequence.chunks_exact(step_inputs).enumerate() {
        let (before, after) = tape.hidden.split_at_mut((t + 1) * hidden);
        let h_prev = &before[t * hidden..];
        let gates = &mut tape.gates[t * g4..(t + 1) * g4];
        gates.copy_from_slice(&net.bias);
        accumulate(gates, step, &net.input_kernel);
        accumulate(gates, h_prev, &net.recurrent_kernel);
        for j in 0..hidden {
            gates[j] = sigmoid(gates[j]);
            gates[hidden + j] = sigmoid(gates[hidden + j]);
            gates[2 * hidden + j] = gates[2 * hidden + j].tanh();
            gates[3 * hidden + j] = sigmoid(gates[3 * hidden + j]);
            let c = gates[hidden + j] * tape.cells[t * hidden + j] + gates[j] * gates[2 * hidden + j];
            tape.cells[(t + 1) * hidden + j] = c;
            after[j] = gates[3 * hidden + j] * c.tanh();
        }
    }
    // The head is a small dense network: its gradient with respect to the last hidden state.
    let last = &tape.hidden[lookback * hidden..];
    let mut dh64 = vec![0.0; hidden];
    let value = super::dense::gradient_at(&net.head, output, last, &mut dh64);
    let (mut dh, magnitude) = super::dense::unit_seed(&dh64);
    let mut dc = vec![0f32; hidden];
    let mut dgates = vec![0f32; g4];
    for t in (0..lookback).rev() {
        let gates = &tape.gates[t * g4..(t + 1) * g4];
        let (c_prev, c) = (&tape.cells[t * hidden..(t + 1) * hidden], &tape.cells[(t + 1) * hidden..(t + 2) * hidden]);
        for j in 0..hidden {
            let (i, f, g, o) = (gates[j], gates[hidden + j], gates[2 * hidden + j], gates[3 * hidden + j]);
            let tc = c[j].tanh();
            dc[j] += dh[j] * o * (1.0 - tc * tc);
            dgates[j] = dc[j] * g * i * (1.0 - i);
            dgates[hidden + j] = dc[j] * c_prev[j] * f * (1.0 - f);
            dgates[2 * hidden + j] = dc[j] * i * (1.0 - g * g);
            dgates[3 * hidden + j] = dh[j] * tc * o * (1.0 - o);
            dc[j] *= f;
        }
        for k in 0..step_inputs {
            let row = &net.input_kernel[k * g4..(k + 1) * g4];
            grad[t * step_inputs + k] = f64::from(super::dense::dot(row, &dgates)) * magnitude;
        }
        for (k, d) in dh.iter_mut().enumerate() {
            let row = &net.recurrent_kernel[k * g4..(k + 1) * g4];
            *d = super::dense::dot(row, &dgates);
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::super::output::Explained;
    use super::*;
    use crate::net::{DenseLayerWeights, DenseWeights};
    use crate::rng::SplitMix64;
    use crate::spec::Activation;

    #[test]
    fn the_gradient_matches_finite_differences() {
        let spec = LstmSpec { step_inputs: 2, lookback: 3, hidden: 5, dense: 4, dropout: 0.0, recurrent_dropout: 0.0 };
        let mut rng = SplitMix64::new(7);
        let mut random = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.uniform(-0.8, 0.8) as f32).collect() };
        let layer = |inputs, units, activation, weight, bias| DenseLayerWeights {
            inputs,
            units,
            activation,
            weight,
            bias,
            batch_norm: None,
        };
        let head = DenseWeights {
            layers: vec![
                layer(5, 4, Activation::Relu, random(20), random(4)),
                layer(4, 1, Activation::Linear, random(4), random(1)),
            ],
        };
        let net = LstmWeights {
            spec,
            input_kernel: random(2 * 20),
            recurrent_kernel: random(5 * 20),
            bias: random(20),
            head,
        };
        let output =
            OutputFn { activation: crate::spec::Activation::Linear, explained: Explained::Scaled { scale: 1.0 } };
        let x = [0.2f32, 0.7, 0.4, 0.1, 0.9, 0.5];
        let mut grad = [0.0; 6];
        let value = gradient(&net, &output, &x, &mut grad, &mut Tape::default());
        assert!((value - f64::from(net.forward(&x)[0])).abs() < 1e-6);
        for i in 0..6 {
            let (mut up, mut down) = (x, x);
            up[i] += 1e-2;
            down[i] -= 1e-2;
            let numeric = f64::from(net.forward(&up)[0] - net.forward(&down)[0]) / 2e-2;
            assert!((numeric - grad[i]).abs() < 2e-3, "input {i}: {numeric} vs {}", grad[i]);
        }
    }
}

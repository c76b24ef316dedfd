//! A dense network's forward and backward passes over preallocated buffers.

use super::adam::Adam;
use super::gemm::{View, matmul};
use super::{NativeNet, apply_dropout};
use crate::net::engine::{SELU_ALPHA, SELU_SCALE, activate};
use crate::net::{DenseLayerWeights, DenseWeights, NetSpec, glorot_uniform};
use crate::rng::SplitMix64;
use crate::spec::Activation;

/// One layer's shape and where its weights (`[inputs, units]`, row-major) and biases sit in the
/// network's flat parameter vector.
#[derive(Debug, Clone)]
struct Layer {
    inputs: usize,
    units: usize,
    activation: Activation,
    dropout: f32,
    weight_at: usize,
    bias_at: usize,
}

/// A dense network's parameters, in one flat vector so the optimiser updates them in one pass.
#[derive(Debug, Clone)]
struct DenseParams {
    layers: Vec<Layer>,
    pub values: Vec<f32>,
}

impl DenseParams {
    /// Glorot-uniform weights and zero biases, drawn in the same order from the same generator as
    /// the Burn network (`burn_net::DenseNet::init`), so both engines start from the same point.
    pub fn init(spec: &NetSpec, rng: &mut SplitMix64) -> Self {
        let mut values = Vec::with_capacity(spec.parameter_count());
        let mut layers = Vec::with_capacity(spec.layers.len());
        let mut inputs = spec.inputs;
        for layer in &spec.layers {
            let weight_at = values.len();
            values.extend(glorot_uniform(rng, inputs, layer.units));
            let bias_at = values.len();
            values.extend(std::iter::repeat_n(0.0, layer.units));
            layers.push(Layer {
                inputs,
                units: layer.units,
                activation: layer.activation,
                dropout: layer.dropout as f32,
                weight_at,
                bias_at,
            });
            inputs = layer.units;
        }
        Self { layers, values }
    }

    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units)
    }

    fn weight(&self, layer: &Layer) -> &[f32] {
        &self.values[layer.weight_at..layer.weight_at + layer.inputs * layer.units]
    }

    fn bias(&self, layer: &Layer) -> &[f32] {
        &self.values[layer.bias_at..layer.bias_at + layer.units]
    }

    /// The weights for the inference engine.
    pub fn to_weights(&self) -> DenseWeights {
        DenseWeights {
            layers: self
                .layers
                .iter()
                .map(|l| DenseLayerWeights {
                    inputs: l.inputs,
                    units: l.units,
                    activation: l.activation,
                    weight: self.weight(l).to_vec(),
                    bias: self.bias(l).to_vec(),
                    batch_norm: None,
                })
                .collect(),
        }
    }
}

/// Activations of one batch, kept for the backward pass, and the scratch it needs.
struct Workspace {
    capacity: usize,
    /// Per layer: `activation(x · W + b)`, `[rows, units]`.
    activated: Vec<Vec<f32>>,
    /// Per layer with dropout: the kept-unit scale (0 or 1 / (1 − p)) and the dropped output.
    masks: Vec<Vec<f32>>,
    dropped: Vec<Vec<f32>>,
    delta: Vec<f32>,
    delta_below: Vec<f32>,
}

impl Workspace {
    /// Buffers for batches of up to `capacity` rows through `params`' layers.
    pub fn new(params: &DenseParams, capacity: usize) -> Self {
        let widest = params.layers.iter().map(|l| l.units.max(l.inputs)).max().unwrap_or(0);
        let per_layer = |needed: &dyn Fn(&Layer) -> bool| -> Vec<Vec<f32>> {
            params.layers.iter().map(|l| if needed(l) { vec![0.0; capacity * l.units] } else { Vec::new() }).collect()
        };
        Self {
            capacity,
            activated: per_layer(&|_| true),
            masks: per_layer(&|l| l.dropout > 0.0),
            dropped: per_layer(&|l| l.dropout > 0.0),
            delta: vec![0.0; capacity * widest],
            delta_below: vec![0.0; capacity * widest],
        }
    }

    /// The network's outputs for the last forward pass, `[rows, outputs]`.
    pub fn outputs(&self, rows: usize) -> &[f32] {
        let last = self.activated.last().expect("a network has layers");
        &last[..rows * (last.len() / self.capacity)]
    }

    /// A layer's output as the next layer sees it (after dropout, if any).
    fn fed(&self, layer: usize, rows: usize, units: usize) -> &[f32] {
        let source = if self.dropped[layer].is_empty() { &self.activated[layer] } else { &self.dropped[layer] };
        &source[..rows * units]
    }
}

/// How a forward pass treats dropout and the final activation.
#[derive(Clone, Copy)]
struct Pass {
    /// Training: apply dropout with fresh masks.
    pub training: bool,
    /// Leave the last layer's activation to a fused loss.
    pub skip_final_activation: bool,
}

/// Forward pass of `rows` row-major inputs; the outputs are in `work.outputs(rows)`.
fn forward(params: &DenseParams, work: &mut Workspace, x: &[f32], rows: usize, pass: Pass, rng: &mut SplitMix64) {
    assert!(rows <= work.capacity, "a batch of {rows} rows does not fit a workspace of {}", work.capacity);
    let last = params.layers.len() - 1;
    for (i, layer) in params.layers.iter().enumerate() {
        let (below, rest) = split_at_layer(work, i);
        let input = match i {
            0 => &x[..rows * layer.inputs],
            _ => below,
        };
        let out = &mut rest[..rows * layer.units];
        for row in out.chunks_exact_mut(layer.units) {
            row.copy_from_slice(params.bias(layer));
        }
        matmul(
            out,
            View::row_major(input, rows, layer.inputs),
            View::row_major(params.weight(layer), layer.inputs, layer.units),
            true,
        );
        if !(pass.skip_final_activation && i == last) {
            for row in out.chunks_exact_mut(layer.units) {
                activate(layer.activation, row);
            }
        }
        if layer.dropout > 0.0 {
            let n = rows * layer.units;
            let (activated, dropped, mask) =
                (&work.activated[i][..n], &mut work.dropped[i][..n], &mut work.masks[i][..n]);
            if pass.training {
                apply_dropout(activated, dropped, mask, layer.dropout, rng);
            } else {
                mask.fill(1.0);
                dropped.copy_from_slice(activated);
            }
        }
    }
}

/// The previous layer's fed output and this layer's activation buffer, borrowed together.
fn split_at_layer(work: &mut Workspace, i: usize) -> (&[f32], &mut Vec<f32>) {
    let (before, after) = work.activated.split_at_mut(i);
    let below: &[f32] = match i {
        0 => &[],
        _ if !work.dropped[i - 1].is_empty() => &work.dropped[i - 1],
        _ => &before[i - 1],
    };
    (below, &mut after[0])
}

/// Backward pass after a training [`forward`] of the same rows: from the gradient of the loss with
/// respect to the outputs, writes the gradient of every parameter into `grads` (the layout of
/// `params.values`) and, when asked, with respect to the inputs into `input_grad`.
fn backward(
    params: &DenseParams,
    work: &mut Workspace,
    (x, rows): (&[f32], usize),
    output_grad: &[f32],
    pass: Pass,
    grads: &mut [f32],
    mut input_grad: Option<&mut [f32]>,
) {
    let last = params.layers.len() - 1;
    work.delta[..output_grad.len()].copy_from_slice(output_grad);
    for (i, layer) in params.layers.iter().enumerate().rev() {
        let n = rows * layer.units;
        let delta = &mut work.delta[..n];
        if layer.dropout > 0.0 {
            delta.iter_mut().zip(&work.masks[i][..n]).for_each(|(d, m)| *d *= m);
        }
        if !(pass.skip_final_activation && i == last) {
            activation_backward(layer.activation, &work.activated[i][..n], delta, layer.units);
        }
        let input = if i == 0 { &x[..rows * layer.inputs] } else { work.fed(i - 1, rows, layer.inputs) };
        let (weight_grad, bias_grad) = split_grads(grads, layer);
        matmul(
            weight_grad,
            View::row_major(input, rows, layer.inputs).t(),
            View::row_major(&work.delta[..n], rows, layer.units),
            false,
        );
        bias_grad.fill(0.0);
        for row in work.delta[..n].chunks_exact(layer.units) {
            bias_grad.iter_mut().zip(row).for_each(|(g, d)| *g += d);
        }
        let below: Option<&mut [f32]> = match i {
            0 => input_grad.as_deref_mut(),
            _ => Some(&mut work.delta_below[..rows * layer.inputs]),
        };
        if let Some(below) = below {
            matmul(
                below,
                View::row_major(&work.delta[..n], rows, layer.units),
                View::row_major(params.weight(layer), layer.inputs, layer.units).t(),
                false,
            );
        }
        if i > 0 {
            std::mem::swap(&mut work.delta, &mut work.delta_below);
        }
    }
}

fn split_grads<'g>(grads: &'g mut [f32], layer: &Layer) -> (&'g mut [f32], &'g mut [f32]) {
    // Each layer's bias follows its weights directly (see `DenseParams::init`).
    let (weight, rest) = grads[layer.weight_at..].split_at_mut(layer.inputs * layer.units);
    (weight, &mut rest[..layer.units])
}

/// Multiplies `delta` (gradient w.r.t. the activation's output `y`) by the activation's
/// derivative, computed from `y` alone.
fn activation_backward(activation: Activation, y: &[f32], delta: &mut [f32], units: usize) {
    let each = |f: &dyn Fn(f32) -> f32, delta: &mut [f32]| delta.iter_mut().zip(y).for_each(|(d, &y)| *d *= f(y));
    match activation {
        Activation::Linear => {}
        Activation::Relu => each(&|y| if y > 0.0 { 1.0 } else { 0.0 }, delta),
        Activation::Sigmoid => each(&|y| y * (1.0 - y), delta),
        Activation::Tanh => each(&|y| 1.0 - y * y, delta),
        // e^z − 1 for z ≤ 0 has derivative e^z = y + 1.
        Activation::Elu => each(&|y| if y > 0.0 { 1.0 } else { y + 1.0 }, delta),
        Activation::Selu => each(&|y| if y > 0.0 { SELU_SCALE } else { y + SELU_SCALE * SELU_ALPHA }, delta),
        // The softmax Jacobian times delta: y ⊙ (delta − Σ delta ⊙ y), row by row.
        Activation::Softmax => {
            for (d, y) in delta.chunks_exact_mut(units).zip(y.chunks_exact(units)) {
                let dot: f32 = d.iter().zip(y).map(|(d, y)| d * y).sum();
                d.iter_mut().zip(y).for_each(|(d, &y)| *d = y * (*d - dot));
            }
        }
    }
}

/// A dense network being trained: its parameters, their gradients, Adam's moments and the
/// buffers of one batch.
pub struct DenseNetwork {
    params: DenseParams,
    grads: Vec<f32>,
    adam: Adam,
    work: Workspace,
    dropout_rng: SplitMix64,
    fused_output: bool,
}

impl DenseNetwork {
    /// Weights drawn from `init_rng`; room for batches of up to `capacity` rows.
    pub fn new(spec: &NetSpec, init_rng: &mut SplitMix64, capacity: usize, fused_output: bool, seed: u64) -> Self {
        let params = DenseParams::init(spec, init_rng);
        Self {
            grads: vec![0.0; params.values.len()],
            adam: Adam::new(params.values.len()),
            work: Workspace::new(&params, capacity),
            params,
            dropout_rng: SplitMix64::new(seed ^ 0xD80F_0A7E),
            fused_output,
        }
    }

    fn pass(&self, training: bool) -> Pass {
        Pass { training, skip_final_activation: self.fused_output }
    }

    /// Gradients of the last forward pass's rows, and with respect to its inputs if asked.
    pub fn backward(&mut self, x: &[f32], rows: usize, output_grad: &[f32], input_grad: Option<&mut [f32]>) {
        let pass = self.pass(true);
        backward(&self.params, &mut self.work, (x, rows), output_grad, pass, &mut self.grads, input_grad);
    }

    pub fn adam_step(&mut self, learning_rate: f32) {
        self.adam.step(learning_rate, &mut self.params.values, &self.grads);
    }
}

impl NativeNet for DenseNetwork {
    type Trained = DenseWeights;

    fn inputs(&self) -> usize {
        self.params.inputs()
    }

    fn outputs(&self) -> usize {
        self.params.outputs()
    }

    fn forward(&mut self, x: &[f32], rows: usize, training: bool) -> &[f32] {
        let pass = self.pass(training);
        forward(&self.params, &mut self.work, x, rows, pass, &mut self.dropout_rng);
        self.work.outputs(rows)
    }

    fn learn(&mut self, x: &[f32], rows: usize, output_grad: &[f32], learning_rate: f32) {
        self.backward(x, rows, output_grad, None);
        self.adam_step(learning_rate);
    }

    fn snapshot(&self) -> DenseWeights {
        self.params.to_weights()
    }
}

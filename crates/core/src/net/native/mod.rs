//! The native training engine for the CPU: forward and backward passes written out over buffers
//! allocated once, matrix products through the `gemm` kernels, and Adam over flat parameter
//! vectors. It trains dense networks ([`DenseNetwork`]) and the time-series LSTM ([`LstmNetwork`]).
//!
//! Why: Burn's autodiff costs a fixed ~330 µs per optimiser step on the CPU (graph building,
//! allocation, dispatch: see bench/PROFILE.md) whatever the network's size, and the small
//! networks this plugin trains spend a few microseconds on arithmetic per step. Burn stays the
//! engine for GPUs and batch normalisation. Both engines start from the same weights and take
//! the same Adam steps; tests hold them to each other.

mod adam;
mod dense;
mod fast_math;
mod gemm;
mod loss;
mod lstm;

use crate::error::Result;
use crate::net::NetSpec;
use crate::net::lstm::LstmSpec;
use crate::preparation::Expansion;
use crate::rng::SplitMix64;
use crate::spec::TrainConfig;
use crate::train::{DenseFit, Examples, FitOutcome, Learner, LossKind, TrainingObserver, run_epochs};
pub use dense::DenseNetwork;
pub use lstm::LstmNetwork;

/// Held-out rows are scored in chunks of this many, through the same buffers as the batches.
const VALIDATION_CHUNK: usize = 256;

/// Whether the native engine can train `net` (it has no batch normalisation).
pub fn supports(net: &NetSpec) -> bool {
    !net.layers.iter().any(|l| l.batch_norm) && !net.layers.is_empty()
}

/// A network the native engine trains.
pub trait NativeNet {
    /// The network in inference mode.
    type Trained;
    /// Values per input row.
    fn inputs(&self) -> usize;
    fn outputs(&self) -> usize;
    /// Outputs of `rows` rows (`[rows, outputs]`, before a fused loss's activation); in training,
    /// with dropout, and remembering what the backward pass needs.
    fn forward(&mut self, x: &[f32], rows: usize, training: bool) -> &[f32];
    /// Back-propagates `output_grad` through the last training forward pass and takes an Adam step.
    fn learn(&mut self, x: &[f32], rows: usize, output_grad: &[f32], learning_rate: f32);
    fn snapshot(&self) -> Self::Trained;
}

/// Trains `net` from seeded Glorot weights; the result is ready for the inference engine.
/// With an `expansion`, the rows are encoded and each batch is expanded as it is gathered.
pub fn fit_dense(job: DenseFit<'_>) -> Result<FitOutcome<crate::net::DenseWeights>> {
    let DenseFit { net, loss, train, held_out, expansion, config, observer } = job;
    let build =
        |capacity| DenseNetwork::new(net, &mut SplitMix64::new(config.seed), capacity, loss.is_fused(), config.seed);
    let mut learner = NativeLearner::new(build, loss, train, held_out, config);
    learner.expansion = expansion;
    run_epochs(&mut learner, train.rows, config, observer)
}

/// Trains the time-series LSTM (mean squared error on the next value).
pub fn fit_lstm(
    spec: LstmSpec,
    train: Examples<'_>,
    validation: Option<Examples<'_>>,
    config: &TrainConfig,
    observer: &mut dyn TrainingObserver,
) -> Result<FitOutcome<crate::net::lstm::LstmWeights>> {
    let build = |capacity| LstmNetwork::new(spec, capacity, config.seed);
    let mut learner = NativeLearner::new(build, LossKind::MeanSquaredError, train, validation, config);
    run_epochs(&mut learner, train.rows, config, observer)
}

/// Inverted dropout of `input` into `output`: each value is kept with probability 1 − `rate` and
/// scaled by 1 / (1 − rate), so inference needs no change; `mask` keeps the scales (0 or
/// 1 / (1 − rate)) for the backward pass.
fn apply_dropout(input: &[f32], output: &mut [f32], mask: &mut [f32], rate: f32, rng: &mut SplitMix64) {
    let keep = 1.0 - rate;
    for ((out, &value), m) in output.iter_mut().zip(input).zip(mask.iter_mut()) {
        *m = if (rng.next_f64() as f32) < keep { 1.0 / keep } else { 0.0 };
        *out = value * *m;
    }
}

/// Drives a [`NativeNet`] for [`run_epochs`]: gathers each batch's rows, computes the loss and
/// its gradient, and lets the network learn from it.
pub struct NativeLearner<'a, N> {
    network: N,
    loss: LossKind,
    learning_rate: f32,
    train: Examples<'a>,
    validation: Option<Examples<'a>>,
    order: Vec<usize>,
    /// Expands encoded rows into the network's inputs (one-hot categories), batch by batch.
    expansion: Option<&'a Expansion>,
    x_batch: Vec<f32>,
    y_batch: Vec<f32>,
    output_grad: Vec<f32>,
    loss_sum: f64,
}

impl<'a, N: NativeNet> NativeLearner<'a, N> {
    /// `build` makes the network with room for batches of the given number of rows.
    pub fn new(
        build: impl FnOnce(usize) -> N,
        loss: LossKind,
        train: Examples<'a>,
        validation: Option<Examples<'a>>,
        config: &TrainConfig,
    ) -> Self {
        let batch = config.batch_size.min(train.rows).max(1);
        // Room for a batch, or for a chunk of held-out rows if that is larger.
        let capacity = batch.max(VALIDATION_CHUNK.min(validation.map_or(0, |v| v.rows)));
        let network = build(capacity);
        let outputs = network.outputs();
        Self {
            x_batch: vec![0.0; capacity * network.inputs()],
            y_batch: vec![0.0; batch * outputs],
            output_grad: vec![0.0; capacity * outputs],
            network,
            loss,
            learning_rate: config.learning_rate as f32,
            train,
            validation: validation.filter(|v| v.rows > 0),
            order: (0..train.rows).collect(),
            expansion: None,
            loss_sum: 0.0,
        }
    }
}

impl<N: NativeNet> Learner for NativeLearner<'_, N> {
    type Trained = N::Trained;

    fn begin_epoch(&mut self, order: Option<&[usize]>) {
        match order {
            Some(order) => self.order.copy_from_slice(order),
            None => self.order.iter_mut().enumerate().for_each(|(i, o)| *o = i),
        }
        self.loss_sum = 0.0;
    }

    fn step(&mut self, start: usize, len: usize) -> Result<()> {
        let (inputs, outputs) = (self.network.inputs(), self.network.outputs());
        let (x, y) = (&mut self.x_batch[..len * inputs], &mut self.y_batch[..len * outputs]);
        let encoded = self.expansion.map_or(inputs, Expansion::encoded_width);
        for (slot, &row) in self.order[start..start + len].iter().enumerate() {
            let source = &self.train.inputs[row * encoded..(row + 1) * encoded];
            let target = &mut x[slot * inputs..(slot + 1) * inputs];
            match self.expansion {
                Some(e) => e.expand_row(source, target),
                None => target.copy_from_slice(source),
            }
            y[slot * outputs..(slot + 1) * outputs]
                .copy_from_slice(&self.train.targets[row * outputs..(row + 1) * outputs]);
        }
        let output = self.network.forward(x, len, true);
        let gradient = &mut self.output_grad[..len * outputs];
        let batch_loss = loss::loss_and_gradient(self.loss, output, y, outputs, gradient);
        self.network.learn(x, len, gradient, self.learning_rate);
        self.loss_sum += batch_loss * len as f64;
        Ok(())
    }

    fn end_epoch(&mut self) -> f64 {
        self.loss_sum / self.train.rows as f64
    }

    fn validation_loss(&mut self) -> Option<f64> {
        let held_out = self.validation?;
        let (inputs, outputs) = (self.network.inputs(), self.network.outputs());
        let encoded = self.expansion.map_or(inputs, Expansion::encoded_width);
        let mut total = 0.0;
        for start in (0..held_out.rows).step_by(VALIDATION_CHUNK) {
            let rows = VALIDATION_CHUNK.min(held_out.rows - start);
            let chunk = &held_out.inputs[start * encoded..(start + rows) * encoded];
            let x = match self.expansion {
                Some(e) => {
                    let expanded = &mut self.x_batch[..rows * inputs];
                    for (source, target) in chunk.chunks_exact(encoded).zip(expanded.chunks_exact_mut(inputs)) {
                        e.expand_row(source, target);
                    }
                    &self.x_batch[..rows * inputs]
                }
                None => chunk,
            };
            let y = &held_out.targets[start * outputs..(start + rows) * outputs];
            let output = self.network.forward(x, rows, false);
            total += loss::loss_and_gradient(self.loss, output, y, outputs, &mut self.output_grad[..rows * outputs])
                * rows as f64;
        }
        Some(total / held_out.rows as f64)
    }

    fn snapshot(&self) -> Result<N::Trained> {
        Ok(self.network.snapshot())
    }
}

#[cfg(test)]
mod tests;

//! The native training engine for dense networks on the CPU: forward and backward passes written
//! out over buffers allocated once, matrix products through the `gemm` kernels, and Adam over one
//! flat parameter vector.
//!
//! Why: Burn's autodiff costs a fixed ~330 µs per optimiser step on the CPU (graph building,
//! allocation, dispatch: see bench/PROFILE.md) whatever the network's size, and the small
//! networks this plugin trains spend a few microseconds on arithmetic per step. Burn stays the
//! engine for GPUs, LSTMs and batch normalisation; both engines start from the same weights and
//! take the same Adam steps (a test holds them to each other).

mod adam;
mod dense;
mod gemm;
mod loss;

use crate::error::Result;
use crate::net::{DenseWeights, NetSpec};
use crate::rng::SplitMix64;
use crate::spec::TrainConfig;
use crate::train::{Examples, FitOutcome, Learner, LossKind, TrainingObserver, run_epochs};
use adam::Adam;
use dense::{DenseParams, Pass, Workspace, backward, forward};

/// Held-out rows are scored in chunks of this many, through the same buffers as the batches.
const VALIDATION_CHUNK: usize = 256;

/// Whether the native engine can train `net` (it has no batch normalisation).
pub fn supports(net: &NetSpec) -> bool {
    !net.layers.iter().any(|l| l.batch_norm) && !net.layers.is_empty()
}

/// Trains `net` from seeded Glorot weights; the result is ready for the inference engine.
pub fn fit_dense(
    net: &NetSpec,
    loss: LossKind,
    train: Examples<'_>,
    validation: Option<Examples<'_>>,
    config: &TrainConfig,
    observer: &mut dyn TrainingObserver,
) -> Result<FitOutcome<DenseWeights>> {
    let mut learner = NativeLearner::new(net, loss, train, validation, config);
    run_epochs(&mut learner, train.rows, config, observer)
}

pub struct NativeLearner<'a> {
    params: DenseParams,
    grads: Vec<f32>,
    adam: Adam,
    work: Workspace,
    loss: LossKind,
    learning_rate: f32,
    train: Examples<'a>,
    validation: Option<Examples<'a>>,
    order: Vec<usize>,
    x_batch: Vec<f32>,
    y_batch: Vec<f32>,
    loss_sum: f64,
    dropout_rng: SplitMix64,
    scratch: Vec<f32>,
}

impl<'a> NativeLearner<'a> {
    pub fn new(
        net: &NetSpec,
        loss: LossKind,
        train: Examples<'a>,
        validation: Option<Examples<'a>>,
        config: &TrainConfig,
    ) -> Self {
        let params = DenseParams::init(net, config.seed);
        let batch = config.batch_size.min(train.rows).max(1);
        let capacity = batch.max(VALIDATION_CHUNK.min(validation.map_or(0, |v| v.rows)));
        Self {
            grads: vec![0.0; params.values.len()],
            adam: Adam::new(params.values.len()),
            work: Workspace::new(&params, capacity),
            x_batch: vec![0.0; batch * params.inputs()],
            y_batch: vec![0.0; batch * params.outputs()],
            params,
            loss,
            learning_rate: config.learning_rate as f32,
            train,
            validation: validation.filter(|v| v.rows > 0),
            order: (0..train.rows).collect(),
            loss_sum: 0.0,
            dropout_rng: SplitMix64::new(config.seed ^ 0xD80F_0A7E),
            scratch: Vec::new(),
        }
    }

    fn pass(&self, training: bool) -> Pass {
        Pass { training, skip_final_activation: self.loss.is_fused() }
    }
}

impl Learner for NativeLearner<'_> {
    type Trained = DenseWeights;

    fn begin_epoch(&mut self, order: Option<&[usize]>) {
        match order {
            Some(order) => self.order.copy_from_slice(order),
            None => self.order.iter_mut().enumerate().for_each(|(i, o)| *o = i),
        }
        self.loss_sum = 0.0;
    }

    fn step(&mut self, start: usize, len: usize) -> Result<()> {
        let (inputs, outputs) = (self.params.inputs(), self.params.outputs());
        let pass = self.pass(true);
        let (x, y) = (&mut self.x_batch[..len * inputs], &mut self.y_batch[..len * outputs]);
        for (slot, &row) in self.order[start..start + len].iter().enumerate() {
            x[slot * inputs..(slot + 1) * inputs].copy_from_slice(&self.train.inputs[row * inputs..(row + 1) * inputs]);
            y[slot * outputs..(slot + 1) * outputs]
                .copy_from_slice(&self.train.targets[row * outputs..(row + 1) * outputs]);
        }
        forward(&self.params, &mut self.work, x, len, pass, &mut self.dropout_rng);
        let (output, gradient) = self.work.output_gradient(len, outputs);
        let batch_loss = loss::loss_and_gradient(self.loss, output, y, outputs, gradient);
        backward(&self.params, &mut self.work, x, len, pass, &mut self.grads);
        self.adam.step(self.learning_rate, &mut self.params.values, &self.grads);
        self.loss_sum += batch_loss * len as f64;
        Ok(())
    }

    fn end_epoch(&mut self) -> f64 {
        self.loss_sum / self.train.rows as f64
    }

    fn validation_loss(&mut self) -> Option<f64> {
        let held_out = self.validation?;
        let (inputs, outputs) = (self.params.inputs(), self.params.outputs());
        let pass = self.pass(false);
        let mut total = 0.0;
        for start in (0..held_out.rows).step_by(VALIDATION_CHUNK) {
            let rows = VALIDATION_CHUNK.min(held_out.rows - start);
            let x = &held_out.inputs[start * inputs..(start + rows) * inputs];
            let y = &held_out.targets[start * outputs..(start + rows) * outputs];
            forward(&self.params, &mut self.work, x, rows, pass, &mut self.dropout_rng);
            total += loss::loss(self.loss, self.work.outputs(rows), y, outputs, &mut self.scratch) * rows as f64;
        }
        Some(total / held_out.rows as f64)
    }

    fn snapshot(&self) -> Result<DenseWeights> {
        Ok(self.params.to_weights())
    }
}

#[cfg(test)]
mod tests;

//! The training loop shared by every model type and engine: mini-batch Adam with a per-epoch
//! report, held-out validation loss, early stopping and cooperative cancellation.
//!
//! The loop ([`run_epochs`]) knows nothing of tensors: an engine implements [`Learner`]. Two do:
//! [`BurnLearner`] (Burn autodiff, on the CPU or a GPU, for every architecture) and
//! [`crate::net::native::NativeLearner`] (plain Rust over preallocated buffers, for dense networks
//! on the CPU, where Burn's fixed cost per optimiser step dominates small batches).

use crate::device::ComputeDevice;
use crate::error::{Error, ErrorKind, Result};
use crate::net::{NetSpec, native};
use crate::preparation::Expansion;
use crate::rng::SplitMix64;
use crate::spec::{EarlyStopping, Monitor, TrainConfig};
use crate::subnormal::FlushSubnormals;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, relu};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A network the Burn engine can train: rows in, outputs for the loss out.
pub trait Trainable: Module + Sized {
    /// `[batch, inputs]` → `[batch, outputs]`; with a fused loss, before the final activation.
    fn forward_train(&self, x: Tensor<2>) -> Tensor<2>;
}

/// What the network's output is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// Mean squared error against real-valued targets.
    MeanSquaredError,
    /// Mean absolute error against real-valued targets.
    MeanAbsoluteError,
    /// Softmax over the outputs, then cross-entropy against one-hot targets (fused).
    SoftmaxCrossEntropy,
    /// Sigmoid of the single output, then binary cross-entropy against 0/1 targets (fused).
    SigmoidBinaryCrossEntropy,
}

impl LossKind {
    /// Whether the loss applies the output activation itself (the network then skips it).
    pub fn is_fused(self) -> bool {
        matches!(self, Self::SoftmaxCrossEntropy | Self::SigmoidBinaryCrossEntropy)
    }
}

/// Normalised, row-major inputs and targets ready for the device.
#[derive(Debug, Clone, Copy)]
pub struct Examples<'a> {
    pub inputs: &'a [f32],
    pub targets: &'a [f32],
    pub rows: usize,
}

/// One dense network's training job, as every dense engine takes it: the network and its loss,
/// the rows it learns from, the rows held out to judge each epoch (early stopping, `valLoss`),
/// how encoded rows expand into the network's inputs (one-hot categories), the options, and who
/// hears of each epoch.
pub struct DenseFit<'a> {
    pub net: &'a NetSpec,
    pub loss: LossKind,
    pub train: Examples<'a>,
    pub held_out: Option<Examples<'a>>,
    /// With an expansion, `train` and `held_out` hold encoded rows.
    pub expansion: Option<&'a Expansion>,
    pub config: &'a TrainConfig,
    pub observer: &'a mut dyn TrainingObserver,
}

/// One training job for Burn's autodiff engine (any [`Trainable`] network): its loss, the rows it
/// learns from with their `outputs` target columns, the rows held out to judge each epoch, the
/// options, and who hears of each epoch.
pub struct BurnFit<'a> {
    pub loss: LossKind,
    pub train: Examples<'a>,
    pub held_out: Option<Examples<'a>>,
    pub outputs: usize,
    pub config: &'a TrainConfig,
    pub observer: &'a mut dyn TrainingObserver,
}

/// One epoch, as reported to progress callbacks and kept in the training history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EpochStats {
    pub epoch: usize,
    pub epochs: usize,
    pub loss: f64,
    pub val_loss: Option<f64>,
    pub elapsed_ms: f64,
}

/// Receives progress and may stop training between batches.
pub trait TrainingObserver {
    fn on_epoch(&mut self, _stats: &EpochStats) {}
    fn should_stop(&self) -> bool {
        false
    }
}

/// Observes nothing.
pub struct NoObserver;
impl TrainingObserver for NoObserver {}

pub struct FitOutcome<M> {
    /// The trained network in inference mode (the best epoch's, when early stopping restores it).
    pub model: M,
    pub history: Vec<EpochStats>,
    pub stopped_early: bool,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
}

impl<M> FitOutcome<M> {
    /// The same outcome with the network converted (e.g. a Burn module to inference weights).
    pub fn try_map<N>(self, convert: impl FnOnce(M) -> Result<N>) -> Result<FitOutcome<N>> {
        Ok(FitOutcome {
            model: convert(self.model)?,
            history: self.history,
            stopped_early: self.stopped_early,
            best_epoch: self.best_epoch,
        })
    }
}

/// Which engine trains a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The native dense engine ([`crate::net::native`]).
    Native,
    /// Burn's autodiff ([`BurnLearner`]).
    Burn,
}

impl Engine {
    /// The native engine for dense networks it supports on the CPU; Burn for the rest and on GPUs.
    pub fn for_network(net: &NetSpec, device: &ComputeDevice) -> Self {
        if device.backend == "cpu" && native::supports(net) { Self::Native } else { Self::Burn }
    }

    /// The native engine for the time-series LSTM on the CPU; Burn on GPUs.
    pub fn for_sequences(device: &ComputeDevice) -> Self {
        if device.backend == "cpu" { Self::Native } else { Self::Burn }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Burn => "burn",
        }
    }
}

/// One training engine, driven by [`run_epochs`].
pub trait Learner {
    /// The network in inference mode.
    type Trained;
    /// Starts an epoch that visits the training rows in `order` (`None`: as stored).
    fn begin_epoch(&mut self, order: Option<&[usize]>);
    /// One optimiser step on the epoch's rows `start..start + len`.
    fn step(&mut self, start: usize, len: usize) -> Result<()>;
    /// The epoch's mean training loss (its batches' mean losses weighted by their sizes).
    fn end_epoch(&mut self) -> f64;
    /// The mean loss on the held-out rows, if there are any.
    fn validation_loss(&mut self) -> Option<f64>;
    /// A copy of the current network in inference mode.
    fn snapshot(&self) -> Result<Self::Trained>;
}

/// Runs `config.epochs` epochs of mini-batches over `rows` training rows.
pub fn run_epochs<L: Learner>(
    learner: &mut L,
    rows: usize,
    config: &TrainConfig,
    observer: &mut dyn TrainingObserver,
) -> Result<FitOutcome<L::Trained>> {
    let started = Instant::now();
    // Both engines slow down several-fold on subnormal floats as training converges.
    let _flush = FlushSubnormals::new();
    let mut stopper = config.early_stopping.as_ref().map(Stopper::new);
    let mut order_rng = SplitMix64::new(config.seed ^ 0x0DDB_A115);
    let batch_size = config.batch_size.min(rows).max(1);
    let mut history = Vec::with_capacity(config.epochs);
    let mut best: Option<(usize, L::Trained)> = None;
    for epoch in 1..=config.epochs {
        let order = config.shuffle.then(|| order_rng.permutation(rows));
        learner.begin_epoch(order.as_deref());
        for start in (0..rows).step_by(batch_size) {
            if observer.should_stop() {
                return Err(Error::new(ErrorKind::Aborted, format!("training was aborted during epoch {epoch}")));
            }
            learner.step(start, batch_size.min(rows - start))?;
        }
        let loss = learner.end_epoch();
        if !loss.is_finite() {
            return Err(Error::training(format!(
                "training diverged at epoch {epoch} (loss is {loss}); lower `learningRate` (now {})",
                config.learning_rate
            ))
            .with("epoch", epoch));
        }
        let val_loss = learner.validation_loss();
        let stats = EpochStats {
            epoch,
            epochs: config.epochs,
            loss,
            val_loss,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        observer.on_epoch(&stats);
        history.push(stats);

        if let Some(stopper) = stopper.as_mut() {
            let verdict = stopper.observe(loss, val_loss);
            if verdict.improved && stopper.restore_best {
                best = Some((epoch, learner.snapshot()?));
            }
            if verdict.stop {
                let (best_epoch, kept) = match best {
                    Some(kept) => kept,
                    None => (epoch, learner.snapshot()?),
                };
                return Ok(FitOutcome { model: kept, history, stopped_early: true, best_epoch });
            }
        }
    }
    let (best_epoch, model) = match best {
        Some(kept) => kept,
        None => (history.len(), learner.snapshot()?),
    };
    Ok(FitOutcome { model, history, stopped_early: false, best_epoch })
}

/// Adam moves each weight by at most about `learningRate` per step, so a run whose steps times
/// learning rate stay below this cannot move its initial weights far enough to fit much.
const MIN_STEP_BUDGET: f64 = 1.0;

/// A warning when `config` gives too few optimiser steps for `train_rows` rows to converge:
/// `epochs × ⌈rows / batchSize⌉ × learningRate` below [`MIN_STEP_BUDGET`].
pub fn convergence_warning(config: &TrainConfig, train_rows: usize) -> Option<String> {
    let batches = train_rows.div_ceil(config.batch_size.max(1)).max(1);
    let steps = config.epochs * batches;
    let budget = steps as f64 * config.learning_rate;
    (budget < MIN_STEP_BUDGET).then(|| {
        format!(
            "only {steps} optimiser steps ({} epochs × {batches} batches of at most {} of the {train_rows} training rows) at learningRate {}: Adam moves each weight by at most about {budget:.2} in all, likely too little to converge; raise epochs or learningRate, or lower batchSize",
            config.epochs, config.batch_size, config.learning_rate
        )
    })
}

/// Trains the network `init` builds with Burn, on the autodiff version of `device`.
pub fn fit<M: Trainable>(
    init: impl FnOnce(&Device) -> M,
    job: BurnFit<'_>,
    device: &ComputeDevice,
) -> Result<FitOutcome<M>> {
    let BurnFit { loss: loss_kind, train, held_out: validation, outputs, config, observer } = job;
    let plain = device.device.clone();
    let ad = plain.clone().autodiff();
    // Dropout masks come from Burn's generator; seed it so runs repeat.
    ad.seed(config.seed);
    let in_dim = train.inputs.len() / train.rows.max(1);
    let matrix = |values: &[f32], rows: usize, cols: usize, device: &Device| {
        Tensor::<2>::from_data(TensorData::new(values.to_vec(), [rows, cols]), device)
    };
    let mut learner = BurnLearner {
        model: Some(init(&ad)),
        optimizer: AdamConfig::new().init(),
        loss_kind,
        learning_rate: config.learning_rate,
        x_all: matrix(train.inputs, train.rows, in_dim, &ad),
        y_all: matrix(train.targets, train.rows, outputs, &ad),
        rows: train.rows,
        held_out: validation
            .filter(|v| v.rows > 0)
            .map(|v| (matrix(v.inputs, v.rows, in_dim, &plain), matrix(v.targets, v.rows, outputs, &plain))),
        device: ad,
        order: None,
        loss_sum: None,
    };
    run_epochs(&mut learner, train.rows, config, observer)
}

/// Burn's autodiff engine: the batches are selected on the device, and the epoch's loss is summed
/// there and read once, because a read per batch would stall a GPU.
pub struct BurnLearner<M> {
    model: Option<M>,
    optimizer: ModuleOptimizer,
    loss_kind: LossKind,
    learning_rate: f64,
    device: Device,
    x_all: Tensor<2>,
    y_all: Tensor<2>,
    rows: usize,
    held_out: Option<(Tensor<2>, Tensor<2>)>,
    order: Option<Tensor<1, Int>>,
    loss_sum: Option<Tensor<1>>,
}

impl<M: Trainable> BurnLearner<M> {
    fn model(&self) -> &M {
        self.model.as_ref().expect("the model is only taken out during a step")
    }
}

impl<M: Trainable> Learner for BurnLearner<M> {
    type Trained = M;

    fn begin_epoch(&mut self, order: Option<&[usize]>) {
        self.order = order.map(|order| {
            let order: Vec<i64> = order.iter().map(|&i| i as i64).collect();
            Tensor::<1, Int>::from_data(TensorData::new(order, [self.rows]), &self.device)
        });
    }

    fn step(&mut self, start: usize, len: usize) -> Result<()> {
        let (xb, yb) = match &self.order {
            Some(order) => {
                let rows = order.clone().narrow(0, start, len);
                (self.x_all.clone().select(0, rows.clone()), self.y_all.clone().select(0, rows))
            }
            None => (self.x_all.clone().narrow(0, start, len), self.y_all.clone().narrow(0, start, len)),
        };
        let model = self.model.take().expect("the model is only taken out during a step");
        let loss = loss_of(self.loss_kind, model.forward_train(xb), yb);
        let weighted = loss.clone().detach() * len as f32;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optimizer.step(self.learning_rate, model, grads));
        self.loss_sum = Some(match self.loss_sum.take() {
            Some(sum) => sum + weighted,
            None => weighted,
        });
        Ok(())
    }

    fn end_epoch(&mut self) -> f64 {
        self.loss_sum.take().map_or(0.0, |s| s.into_scalar::<f32>() as f64) / self.rows as f64
    }

    fn validation_loss(&mut self) -> Option<f64> {
        let (vx, vy) = self.held_out.as_ref()?;
        let frozen = self.model().valid();
        Some(loss_of(self.loss_kind, frozen.forward_train(vx.clone()), vy.clone()).into_scalar::<f32>() as f64)
    }

    fn snapshot(&self) -> Result<M> {
        Ok(self.model().valid())
    }
}

/// Early-stopping bookkeeping: improvement means beating the best value by more than `min_delta`.
struct Stopper {
    monitor: Monitor,
    best: f64,
    waited: usize,
    patience: usize,
    min_delta: f64,
    restore_best: bool,
}

struct Verdict {
    improved: bool,
    stop: bool,
}

impl Stopper {
    fn new(config: &EarlyStopping) -> Self {
        Self {
            monitor: config.monitor,
            best: f64::INFINITY,
            waited: 0,
            patience: config.patience,
            min_delta: config.min_delta,
            restore_best: config.restore_best_weights,
        }
    }

    fn observe(&mut self, loss: f64, val_loss: Option<f64>) -> Verdict {
        // Monitoring `val_loss` without held-out rows falls back to the training loss.
        let value = match (self.monitor, val_loss) {
            (Monitor::ValLoss, Some(v)) => v,
            _ => loss,
        };
        if value < self.best - self.min_delta {
            self.best = value;
            self.waited = 0;
            Verdict { improved: true, stop: false }
        } else {
            self.waited += 1;
            Verdict { improved: false, stop: self.waited >= self.patience }
        }
    }
}

/// Mean loss over a batch, as a one-element tensor.
fn loss_of(kind: LossKind, output: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    match kind {
        LossKind::MeanSquaredError => (output - target).powi_scalar(2).mean(),
        LossKind::MeanAbsoluteError => (output - target).abs().mean(),
        LossKind::SoftmaxCrossEntropy => (log_softmax(output, 1) * target).sum_dim(1).mean().neg(),
        // log(1 + e^z) − z·y, written as max(z, 0) − z·y + log(1 + e^−|z|) so it never overflows.
        LossKind::SigmoidBinaryCrossEntropy => {
            (relu(output.clone()) - output.clone() * target + (output.abs().neg().exp() + 1.0).log()).mean()
        }
    }
}

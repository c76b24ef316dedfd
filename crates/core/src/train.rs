//! The training loop shared by every model type: mini-batch Adam with a per-epoch report,
//! held-out validation loss, early stopping and cooperative cancellation.

use crate::device::ComputeDevice;
use crate::error::{Error, ErrorKind, Result};
use crate::rng::SplitMix64;
use crate::spec::{EarlyStopping, Monitor, TrainConfig};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, relu};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A network the loop can train: rows in, outputs for the loss out.
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

/// Normalised, row-major inputs and targets ready for the device.
#[derive(Debug, Clone, Copy)]
pub struct Examples<'a> {
    pub inputs: &'a [f32],
    pub targets: &'a [f32],
    pub rows: usize,
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

/// Trains the network `init` builds on the autodiff version of `device`.
#[allow(clippy::too_many_arguments)]
pub fn fit<M: Trainable>(
    init: impl FnOnce(&Device) -> M,
    loss_kind: LossKind,
    train: Examples<'_>,
    validation: Option<Examples<'_>>,
    outputs: usize,
    config: &TrainConfig,
    device: &ComputeDevice,
    observer: &mut dyn TrainingObserver,
) -> Result<FitOutcome<M>> {
    let started = Instant::now();
    let plain = device.device.clone();
    let ad = plain.clone().autodiff();
    // Dropout masks come from Burn's generator; seed it so runs repeat.
    ad.seed(config.seed);
    let mut model = init(&ad);
    let mut optimizer = AdamConfig::new().init();

    let in_dim = train.inputs.len() / train.rows.max(1);
    let x_all = Tensor::<2>::from_data(TensorData::new(train.inputs.to_vec(), [train.rows, in_dim]), &ad);
    let y_all = Tensor::<2>::from_data(TensorData::new(train.targets.to_vec(), [train.rows, outputs]), &ad);
    let held_out = validation.filter(|v| v.rows > 0).map(|v| {
        (
            Tensor::<2>::from_data(TensorData::new(v.inputs.to_vec(), [v.rows, in_dim]), &plain),
            Tensor::<2>::from_data(TensorData::new(v.targets.to_vec(), [v.rows, outputs]), &plain),
        )
    });

    let mut stopper = config.early_stopping.as_ref().map(Stopper::new);
    let mut order_rng = SplitMix64::new(config.seed ^ 0x0DDB_A115);
    let batch_size = config.batch_size.min(train.rows).max(1);
    let mut history = Vec::with_capacity(config.epochs);
    let mut best: Option<(usize, M)> = None;
    for epoch in 1..=config.epochs {
        let order = config.shuffle.then(|| {
            let order: Vec<i64> = order_rng.permutation(train.rows).into_iter().map(|i| i as i64).collect();
            Tensor::<1, Int>::from_data(TensorData::new(order, [train.rows]), &ad)
        });
        let mut loss_sum: Option<Tensor<1>> = None;
        for start in (0..train.rows).step_by(batch_size) {
            if observer.should_stop() {
                return Err(Error::new(ErrorKind::Aborted, format!("training was aborted during epoch {epoch}")));
            }
            let len = batch_size.min(train.rows - start);
            let (xb, yb) = match &order {
                Some(order) => {
                    let rows = order.clone().narrow(0, start, len);
                    (x_all.clone().select(0, rows.clone()), y_all.clone().select(0, rows))
                }
                None => (x_all.clone().narrow(0, start, len), y_all.clone().narrow(0, start, len)),
            };
            let loss = loss_of(loss_kind, model.forward_train(xb), yb);
            let weighted = loss.clone().detach() * len as f32;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            // Summed on the device and read once per epoch: a read per batch would stall a GPU.
            loss_sum = Some(match loss_sum {
                Some(sum) => sum + weighted,
                None => weighted,
            });
        }
        let loss = loss_sum.map_or(0.0, |s| s.into_scalar::<f32>() as f64) / train.rows as f64;
        if !loss.is_finite() {
            return Err(Error::training(format!(
                "training diverged at epoch {epoch} (loss is {loss}); lower `learningRate` (now {})",
                config.learning_rate
            ))
            .with("epoch", epoch));
        }
        let val_loss = held_out.as_ref().map(|(vx, vy)| {
            let frozen = model.valid();
            loss_of(loss_kind, frozen.forward_train(vx.clone()), vy.clone()).into_scalar::<f32>() as f64
        });
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
                best = Some((epoch, model.valid()));
            }
            if verdict.stop {
                let (best_epoch, kept) = best.unwrap_or_else(|| (epoch, model.valid()));
                return Ok(FitOutcome { model: kept, history, stopped_early: true, best_epoch });
            }
        }
    }
    let epochs_run = history.len();
    let (best_epoch, model) = match best {
        Some((e, m)) => (e, m),
        None => (epochs_run, model.valid()),
    };
    Ok(FitOutcome { model, history, stopped_early: false, best_epoch })
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

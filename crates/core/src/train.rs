//! The training loop shared by every model type: mini-batch Adam on a [`DenseNet`], with a
//! per-epoch report, cooperative cancellation and held-out validation loss.

use crate::device::ComputeDevice;
use crate::error::{Error, ErrorKind, Result};
use crate::net::burn_net::DenseNet;
use crate::net::{DenseWeights, NetSpec};
use crate::rng::SplitMix64;
use crate::spec::TrainConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What the network's output is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// Mean squared error against real-valued targets.
    MeanSquaredError,
    /// Softmax over the outputs, then cross-entropy against one-hot targets.
    SoftmaxCrossEntropy,
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

pub struct FitOutcome {
    pub weights: DenseWeights,
    pub history: Vec<EpochStats>,
}

/// Trains a freshly initialised network described by `net`.
pub fn fit(
    net: &NetSpec,
    loss_kind: LossKind,
    train: Examples<'_>,
    validation: Option<Examples<'_>>,
    config: &TrainConfig,
    device: &ComputeDevice,
    observer: &mut dyn TrainingObserver,
) -> Result<FitOutcome> {
    let started = Instant::now();
    let plain = device.device.clone();
    let ad = plain.clone().autodiff();
    // Dropout masks come from Burn's generator; seed it so runs repeat.
    ad.seed(config.seed);
    let mut model = DenseNet::init(net, config.seed, &ad);
    let mut optimizer = AdamConfig::new().init();

    let (in_dim, out_dim) = (net.inputs, net.outputs());
    let x_all = Tensor::<2>::from_data(
        TensorData::new(train.inputs.to_vec(), [train.rows, in_dim]),
        &ad,
    );
    let y_all = Tensor::<2>::from_data(
        TensorData::new(train.targets.to_vec(), [train.rows, out_dim]),
        &ad,
    );
    let held_out = validation.filter(|v| v.rows > 0).map(|v| {
        (
            Tensor::<2>::from_data(TensorData::new(v.inputs.to_vec(), [v.rows, in_dim]), &plain),
            Tensor::<2>::from_data(
                TensorData::new(v.targets.to_vec(), [v.rows, out_dim]),
                &plain,
            ),
        )
    });

    let mut order_rng = SplitMix64::new(config.seed ^ 0x0DDB_A115);
    let batch_size = config.batch_size.min(train.rows).max(1);
    let mut history = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        let order = if config.shuffle {
            let order: Vec<i64> = order_rng
                .permutation(train.rows)
                .into_iter()
                .map(|i| i as i64)
                .collect();
            Some(Tensor::<1, Int>::from_data(
                TensorData::new(order, [train.rows]),
                &ad,
            ))
        } else {
            None
        };
        let mut loss_sum: Option<Tensor<1>> = None;
        for start in (0..train.rows).step_by(batch_size) {
            if observer.should_stop() {
                return Err(Error::new(
                    ErrorKind::Aborted,
                    format!("training was aborted during epoch {epoch}"),
                ));
            }
            let len = batch_size.min(train.rows - start);
            let (xb, yb) = match &order {
                Some(order) => {
                    let rows = order.clone().narrow(0, start, len);
                    (
                        x_all.clone().select(0, rows.clone()),
                        y_all.clone().select(0, rows),
                    )
                }
                None => (
                    x_all.clone().narrow(0, start, len),
                    y_all.clone().narrow(0, start, len),
                ),
            };
            let loss = loss_of(loss_kind, model.forward(xb), yb);
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
            loss_of(loss_kind, frozen.forward(vx.clone()), vy.clone()).into_scalar::<f32>() as f64
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
    }
    let weights = model.valid().to_weights()?;
    Ok(FitOutcome { weights, history })
}

/// Mean loss over a batch, as a one-element tensor.
fn loss_of(kind: LossKind, output: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    match kind {
        LossKind::MeanSquaredError => (output - target).powi_scalar(2).mean(),
        LossKind::SoftmaxCrossEntropy => (log_softmax(output, 1) * target).sum_dim(1).mean().neg(),
    }
}

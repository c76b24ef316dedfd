//! Custom neural networks (`type: 'neural-network'`): the user's hidden layers, output layer and
//! loss. A numeric target gets a calibrated value like regression; 'binaryCrossentropy' a
//! probability; 'categoricalCrossentropy' a label with per-label probabilities.

use crate::data::Rows;
use crate::device::ComputeDevice;
use crate::error::Result;
use crate::model::{Head, TrainedModel};
use crate::net::{LayerSpec, NetSpec};
use crate::spec::{Activation, LossName, ModelKind, ModelSpec, NeuralNetworkConfig};
use crate::tabular::{self, Plan, Targets};
use crate::train::{LossKind, TrainingObserver};

/// The architecture the configuration describes over `inputs` features.
pub fn network(config: &NeuralNetworkConfig, inputs: usize) -> NetSpec {
    let mut layers: Vec<LayerSpec> = config
        .layers
        .iter()
        .map(|l| LayerSpec {
            units: l.units,
            activation: l.activation,
            dropout: l.dropout,
            batch_norm: l.batch_normalization,
        })
        .collect();
    layers.push(LayerSpec {
        units: config.output_units,
        activation: config.output_activation,
        dropout: 0.0,
        batch_norm: false,
    });
    NetSpec { inputs, layers }
}

/// The loss and output meaning of a configuration.
pub fn head(config: &NeuralNetworkConfig) -> (LossKind, Head) {
    match config.loss {
        LossName::MeanSquaredError => (LossKind::MeanSquaredError, Head::Value),
        LossName::MeanAbsoluteError => (LossKind::MeanAbsoluteError, Head::Value),
        LossName::BinaryCrossentropy => (LossKind::SigmoidBinaryCrossEntropy, Head::Probability),
        LossName::CategoricalCrossentropy => (LossKind::SoftmaxCrossEntropy, Head::Labels),
    }
}

pub fn train(
    spec: &ModelSpec,
    rows: Rows<'_>,
    targets: Targets<'_>,
    device: &ComputeDevice,
    observer: &mut dyn TrainingObserver,
) -> Result<TrainedModel> {
    let config = spec.neural_network_config()?;
    let (loss, head) = head(&config);
    let plan = Plan {
        kind: ModelKind::NeuralNetwork,
        polynomial: 1,
        network: Box::new({
            let config = config.clone();
            move |inputs, _| network(&config, inputs)
        }),
        loss,
        head,
        train: config.train.clone(),
        coverage: config.interval_coverage,
        // A numeric target through a linear output unit: the hidden layers learn what the exact
        // least-squares fit leaves over, as polynomial regression's do.
        least_squares: head == Head::Value
            && loss == LossKind::MeanSquaredError
            && config.output_activation == Activation::Linear
            && config.output_units == 1,
        logistic: false,
    };
    tabular::train(spec, plan, rows, targets, device, observer)
}

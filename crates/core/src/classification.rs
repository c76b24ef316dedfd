//! Classification: two hidden layers with dropout and a softmax over the labels, trained with
//! cross-entropy, kept only when they label more held-out rows right than the converged logistic
//! regression of the same features ([`crate::logistic`]), which is the model otherwise. Labels
//! arrive as class indices; the vocabulary keeps their original values.

use crate::data::Rows;
use crate::device::ComputeDevice;
use crate::error::Result;
use crate::model::{Head, TrainedModel};
use crate::net::NetSpec;
use crate::spec::{Activation, ClassificationConfig, ModelKind, ModelSpec};
use crate::tabular::{self, Plan, Targets};
use crate::train::{LossKind, TrainingObserver};

pub use crate::tabular::Labels;

pub fn network(config: &ClassificationConfig, inputs: usize, classes: usize) -> NetSpec {
    let act = config.activation;
    let mut net =
        NetSpec::mlp(inputs, &[(config.units, act, config.dropout), ((config.units / 2).max(1), act, 0.0)], classes);
    // Softmax probabilities at inference; training fuses the softmax into the loss.
    net.layers.last_mut().expect("an output layer").activation = Activation::Softmax;
    net
}

pub fn train(
    spec: &ModelSpec,
    rows: Rows<'_>,
    labels: &[u32],
    vocabulary: Labels,
    device: &ComputeDevice,
    observer: &mut dyn TrainingObserver,
) -> Result<TrainedModel> {
    let config = spec.classification_config()?;
    // The output layer's size is known only now, from the labels.
    let net = network(&config, rows.columns, vocabulary.values.len());
    let width = net.layers.iter().map(|l| l.units).chain([rows.columns]).max().unwrap_or(1);
    spec.check_size(net.parameter_count(), width, config.train.batch_size)?;
    let plan = Plan {
        kind: ModelKind::Classification,
        polynomial: 1,
        network: Box::new({
            let config = config.clone();
            move |inputs, classes| network(&config, inputs, classes)
        }),
        loss: LossKind::SoftmaxCrossEntropy,
        head: Head::Labels,
        train: config.train.clone(),
        coverage: 0.0,
        least_squares: false,
        logistic: true,
    };
    tabular::train(spec, plan, rows, Targets::Labels(labels, vocabulary), device, observer)
}

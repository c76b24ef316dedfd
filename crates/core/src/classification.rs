//! Classification: a two-hidden-layer network with dropout and a softmax over the labels,
//! trained with cross-entropy. Labels arrive as class indices; the JavaScript layer keeps their
//! original values (strings, booleans, numbers).

use crate::data::{Normalizer, Rows, Split, gather};
use crate::device::ComputeDevice;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::classification_metrics;
use crate::model::{FORMAT_VERSION, TrainReport, TrainedModel, device_names};
use crate::net::NetSpec;
use crate::spec::{ClassificationConfig, ModelKind, ModelSpec};
use crate::train::{Examples, LossKind, TrainingObserver, fit};
use std::time::Instant;

/// The label vocabulary: original values and their JavaScript property keys, by class index.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub values: Vec<serde_json::Value>,
    pub keys: Vec<String>,
}

impl Labels {
    /// Labels named by their index (for tests and callers without original values).
    pub fn numbered(classes: usize) -> Self {
        Self {
            values: (0..classes).map(serde_json::Value::from).collect(),
            keys: (0..classes).map(|i| i.to_string()).collect(),
        }
    }
}

pub fn network(config: &ClassificationConfig, inputs: usize, classes: usize) -> NetSpec {
    let act = config.activation;
    NetSpec::mlp(
        inputs,
        &[
            (config.units, act, config.dropout),
            ((config.units / 2).max(1), act, 0.0),
        ],
        classes,
    )
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
    let started = Instant::now();
    let classes = vocabulary.values.len();
    if vocabulary.keys.len() != classes {
        return Err(Error::data(format!(
            "got {classes} labels but {} label keys",
            vocabulary.keys.len()
        )));
    }
    let n = rows.len();
    if labels.len() != n {
        return Err(Error::data(format!(
            "got {n} rows but {} labels",
            labels.len()
        )));
    }
    if let Some(bad) = labels.iter().find(|&&l| l as usize >= classes) {
        return Err(Error::data(format!(
            "label index {bad} is out of range for {classes} classes"
        )));
    }
    let present = {
        let mut seen = vec![false; classes];
        labels.iter().for_each(|&l| seen[l as usize] = true);
        seen.iter().filter(|&&s| s).count()
    };
    if present < 2 || n < 2 {
        return Err(Error::new(
            ErrorKind::InsufficientData,
            format!(
                "Model \"{}\" needs rows of at least two different \"{}\" labels to learn to tell them apart, got {present} label(s) in {n} rows",
                spec.name, spec.target
            ),
        )
        .with("samples", n)
        .with("classes", present));
    }

    let normalizer = Normalizer::fit(rows);
    let inputs = normalizer.scale_rows(rows);
    let in_dim = rows.columns;
    let mut one_hot = vec![0f32; n * classes];
    for (i, &l) in labels.iter().enumerate() {
        one_hot[i * classes + l as usize] = 1.0;
    }

    let split = Split::new(n, config.train.validation_split, config.train.seed);
    let (train_x, train_y) = (
        gather(&inputs, in_dim, &split.train),
        gather(&one_hot, classes, &split.train),
    );
    let (val_x, val_y) = (
        gather(&inputs, in_dim, &split.validation),
        gather(&one_hot, classes, &split.validation),
    );
    let net = network(&config, in_dim, classes);
    let outcome = fit(
        &net,
        LossKind::SoftmaxCrossEntropy,
        Examples {
            inputs: &train_x,
            targets: &train_y,
            rows: split.train.len(),
        },
        Some(Examples {
            inputs: &val_x,
            targets: &val_y,
            rows: split.validation.len(),
        }),
        &config.train,
        device,
        observer,
    )?;

    let argmax = |x: &[f32]| -> Vec<u32> {
        outcome
            .weights
            .forward(x)
            .chunks_exact(classes)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i as u32)
            })
            .collect()
    };
    let train_labels: Vec<u32> = split.train.iter().map(|&i| labels[i]).collect();
    let train_accuracy = classification_metrics(&train_labels, &argmax(&train_x), classes).accuracy;
    let held_out = if split.validation.is_empty() {
        classification_metrics(&train_labels, &argmax(&train_x), classes)
    } else {
        let val_labels: Vec<u32> = split.validation.iter().map(|&i| labels[i]).collect();
        classification_metrics(&val_labels, &argmax(&val_x), classes)
    };

    let last = outcome.history.last().expect("at least one epoch");
    let (backend, adapter) = device_names(device);
    Ok(TrainedModel {
        format_version: FORMAT_VERSION,
        kind: ModelKind::Classification,
        features: spec.features.clone(),
        target: spec.target.clone(),
        normalizer,
        polynomial: 1,
        net,
        weights: outcome.weights,
        classes,
        labels: vocabulary.values,
        label_keys: vocabulary.keys,
        calibration: None,
        report: TrainReport {
            loss: last.loss,
            val_loss: last.val_loss,
            accuracy: Some(held_out.accuracy),
            train_accuracy: Some(train_accuracy),
            epochs: config.train.epochs,
            samples: n,
            train_samples: split.train.len(),
            validation_samples: split.validation.len(),
            backend,
            adapter,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            history: outcome.history,
            regression: None,
            classification: Some(held_out),
        },
    })
}

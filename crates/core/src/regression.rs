//! Regression: linear (`polynomial: 1`) or polynomial (2..5) over min-max normalised features,
//! trained with mean squared error, calibrated with split-conformal intervals on held-out rows.

use crate::data::{MinMax, Normalizer, Rows, Split, gather};
use crate::device::ComputeDevice;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{conformal_quantile, regression_metrics};
use crate::model::{
    FORMAT_VERSION, RegressionCalibration, TOLERANCE_SHARE, TrainReport, TrainedModel, device_names,
};
use crate::net::NetSpec;
use crate::polynomial;
use crate::spec::{ModelKind, ModelSpec, RegressionConfig};
use crate::train::{Examples, LossKind, TrainingObserver, fit};
use std::time::Instant;

/// The network for a regression configuration over `inputs` (already expanded) columns.
pub fn network(config: &RegressionConfig, inputs: usize) -> NetSpec {
    let act = config.activation;
    match config.polynomial {
        1 => NetSpec::mlp(inputs, &[], 1),
        2 => NetSpec::mlp(inputs, &[(config.units, act, 0.0)], 1),
        _ => NetSpec::mlp(
            inputs,
            &[
                (config.units, act, 0.0),
                ((config.units / 2).max(1), act, 0.0),
            ],
            1,
        ),
    }
}

pub fn train(
    spec: &ModelSpec,
    rows: Rows<'_>,
    targets: &[f64],
    device: &ComputeDevice,
    observer: &mut dyn TrainingObserver,
) -> Result<TrainedModel> {
    let config = spec.regression_config()?;
    let started = Instant::now();
    let n = rows.len();
    check_rows(spec, n, targets)?;

    let mut normalizer = Normalizer::fit(rows);
    let target_scale = MinMax::fit(targets.iter().copied());
    normalizer.target = Some(target_scale);
    let scaled = normalizer.scale_rows(rows);
    let inputs = if config.polynomial > 1 {
        polynomial::expand(
            &scaled,
            rows.columns,
            &polynomial::monomials(rows.columns, config.polynomial),
        )
    } else {
        scaled
    };
    let in_dim = inputs.len() / n;
    let y: Vec<f32> = targets
        .iter()
        .map(|&t| target_scale.scale(t) as f32)
        .collect();

    let split = Split::new(n, config.train.validation_split, config.train.seed);
    let (train_x, train_y) = (
        gather(&inputs, in_dim, &split.train),
        gather(&y, 1, &split.train),
    );
    let (val_x, val_y) = (
        gather(&inputs, in_dim, &split.validation),
        gather(&y, 1, &split.validation),
    );
    let net = network(&config, in_dim);
    let outcome = fit(
        &net,
        LossKind::MeanSquaredError,
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

    // Calibrate on the held-out rows: the model never saw them, so their errors are honest.
    let (calibration_rows, source) = if split.validation.is_empty() {
        (&split.train, "training")
    } else {
        (&split.validation, "validation")
    };
    let calib_inputs = gather(&inputs, in_dim, calibration_rows);
    let predicted: Vec<f64> = outcome
        .weights
        .forward(&calib_inputs)
        .iter()
        .map(|&v| target_scale.unscale(v as f64))
        .collect();
    let actual: Vec<f64> = calibration_rows.iter().map(|&i| targets[i]).collect();
    let residuals: Vec<f64> = actual
        .iter()
        .zip(&predicted)
        .map(|(a, p)| (a - p).abs())
        .collect();
    let tolerance = TOLERANCE_SHARE * target_scale.range();
    let within =
        residuals.iter().filter(|&&r| r <= tolerance).count() as f64 / residuals.len() as f64;
    let metrics = regression_metrics(&actual, &predicted);

    let last = outcome.history.last().expect("at least one epoch");
    let (backend, adapter) = device_names(device);
    Ok(TrainedModel {
        format_version: FORMAT_VERSION,
        kind: ModelKind::Regression,
        features: spec.features.clone(),
        target: spec.target.clone(),
        normalizer,
        polynomial: config.polynomial,
        net,
        weights: outcome.weights,
        classes: 0,
        labels: Vec::new(),
        label_keys: Vec::new(),
        calibration: Some(RegressionCalibration {
            coverage: config.interval_coverage,
            half_width: conformal_quantile(&residuals, config.interval_coverage),
            tolerance,
            within_tolerance: within,
            source: source.to_string(),
            samples: residuals.len(),
        }),
        report: TrainReport {
            loss: last.loss,
            val_loss: last.val_loss,
            accuracy: None,
            train_accuracy: None,
            epochs: config.train.epochs,
            samples: n,
            train_samples: split.train.len(),
            validation_samples: split.validation.len(),
            backend,
            adapter,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            history: outcome.history,
            regression: Some(metrics),
            classification: None,
        },
    })
}

fn check_rows(spec: &ModelSpec, n: usize, targets: &[f64]) -> Result<()> {
    if n < 2 {
        return Err(Error::new(
            ErrorKind::InsufficientData,
            format!(
                "Model \"{}\" needs at least 2 rows to train, got {n}",
                spec.name
            ),
        )
        .with("samples", n)
        .with("minimum", 2));
    }
    if targets.len() != n {
        return Err(Error::data(format!(
            "got {n} rows but {} target values",
            targets.len()
        )));
    }
    if let Some(i) = targets.iter().position(|t| !t.is_finite()) {
        return Err(Error::data(format!(
            "Target \"{}\" must be a finite number, got {} (row {i})",
            spec.target, targets[i]
        ))
        .with("target", spec.target.clone())
        .with("row", i));
    }
    Ok(())
}

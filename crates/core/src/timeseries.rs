//! Time series (`type: 'timeseries'`): an LSTM reads `lookback` consecutive records (features and
//! target, in time order; with no features, the target's own history) and predicts the next
//! record's target. Held-out windows are the most
//! recent ones, so validation measures forecasting, not interpolation.
//!
//! Beside the LSTM runs a linear autoregression of the whole window, fitted exactly by least squares
//! (the "highway" of LSTNet, Lai et al. 2018): a network reading min-max scaled inputs cannot carry a
//! trend past the range it was trained on, which is exactly what a forecast asks of it, while a linear
//! recurrence can. The LSTM learns what that fit leaves over, and is switched off if it does worse on
//! the held-out windows than the fit alone, as the hidden layers of polynomial regression are.

use crate::data::{MinMax, Normalizer, Rows, column_means, gather, scale_columns};
use crate::device::ComputeDevice;
use crate::diagnostics::{Diagnostics, PointTimes, Sampling};
use crate::error::{Error, ErrorKind, Result};
use crate::explain::reference::category_frequencies;
use crate::importance::{Truth, permutation_importance};
use crate::least_squares::{LinearFit, MAX_EXACT_TERMS, NormalEquations};
use crate::metrics::{RegressionMetrics, regression_metrics};
use crate::model::{
    FORMAT_VERSION, Head, NetWeights, RegressionCalibration, TrainReport, TrainedModel, step_expansion,
    uninformative_features,
};
use crate::net::lstm::{LstmNet, LstmSpec};
use crate::net::native;
use crate::spec::{ModelKind, ModelSpec};
use crate::train::{BurnFit, Engine, Examples, LossKind, TrainingObserver, convergence_warning, fit};
use std::time::Instant;

/// Trains on `steps`: time-ordered rows whose columns are the features, then the target.
pub fn train(
    spec: &ModelSpec,
    steps: Rows<'_>,
    device: &ComputeDevice,
    observer: &mut dyn TrainingObserver,
) -> Result<TrainedModel> {
    let config = spec.timeseries_config()?;
    let started = Instant::now();
    let (n, lookback, columns) = (steps.len(), config.lookback, steps.columns);
    if n < lookback + 1 {
        return Err(Error::new(
            ErrorKind::InsufficientData,
            format!("Model \"{}\" needs at least lookback + 1 = {} records to train, got {n}", spec.name, lookback + 1),
        )
        .with("samples", n)
        .with("minimum", lookback + 1));
    }
    let mut scales: Vec<MinMax> =
        (0..columns).map(|c| MinMax::fit((0..n).map(|r| steps.values[r * columns + c]))).collect();
    // Categories (e.g. weekday names) become one-hot units in every step of the window.
    let expansion = step_expansion(spec.preparation.as_ref(), true);
    crate::tabular::keep_category_indices(&mut scales, expansion.as_ref());
    let target_scale = scales[columns - 1];
    let normalizer = Normalizer { features: scales[..columns - 1].to_vec(), target: Some(target_scale) };
    let scaled = scale_columns(steps, &scales);
    let (scaled, columns) = match &expansion {
        Some(e) => (e.expand(&scaled), e.width()),
        None => (scaled, columns),
    };

    // Window i: steps i .. i+lookback, predicting the target of step i+lookback.
    let windows = n - lookback;
    let per_window = lookback * columns;
    let inputs: Vec<f32> =
        (0..windows).flat_map(|i| scaled[i * columns..i * columns + per_window].iter().copied()).collect();
    let targets: Vec<f32> = (0..windows).map(|i| scaled[(i + lookback) * columns + columns - 1]).collect();
    let held_out = held_out_windows(windows, config.train.validation_split);
    let train_rows: Vec<usize> = (0..windows - held_out).collect();
    let valid_rows: Vec<usize> = (windows - held_out..windows).collect();
    let (train_x, train_y) = (gather(&inputs, per_window, &train_rows), gather(&targets, 1, &train_rows));
    let (val_x, val_y) = (gather(&inputs, per_window, &valid_rows), gather(&targets, 1, &valid_rows));

    let base = linear_base((&train_x, &train_y), (&val_x, &val_y), per_window)?;
    let residuals = |x: &[f32], y: &[f32]| base.as_ref().map_or_else(|| y.to_vec(), |fit| fit.residuals(x, y));
    let (train_r, val_r) = (residuals(&train_x, &train_y), residuals(&val_x, &val_y));

    let lstm = LstmSpec {
        step_inputs: columns,
        lookback,
        hidden: config.lstm_units,
        dense: config.dense_units,
        dropout: config.dropout,
        recurrent_dropout: config.recurrent_dropout,
    };
    let train_set = Examples { inputs: &train_x, targets: &train_r, rows: train_rows.len() };
    let held_out = Some(Examples { inputs: &val_x, targets: &val_r, rows: valid_rows.len() });
    let engine = Engine::for_sequences(device);
    let outcome = match engine {
        Engine::Native => native::fit_lstm(lstm, train_set, held_out, &config.train, observer)?,
        Engine::Burn => {
            let seed = config.train.seed;
            let job = BurnFit {
                loss: LossKind::MeanSquaredError,
                train: train_set,
                held_out,
                outputs: 1,
                config: &config.train,
                observer,
            };
            fit(|dev| LstmNet::init(lstm, seed, dev), job, device)?.try_map(|net| net.to_weights())?
        }
    };
    let mut weights = outcome.model;
    // The target's own history is always an input, so idle features are only worth a warning.
    let mut warnings = uninformative_features(spec, n, true)?;
    // Judged on the held-out windows (the training windows when none were held out).
    let (judge_x, judge_r) = if valid_rows.is_empty() { (&train_x, &train_r) } else { (&val_x, &val_r) };
    let switched_off = if base.is_some() {
        let judged = weights.forward(judge_x);
        crate::tabular::switch_off_unless_better(&mut weights.head, &judged, judge_r)
    } else {
        None
    };
    if let Some((network_error, base_error)) = switched_off {
        warnings.push(format!(
            "the LSTM did worse on the held-out windows than the linear autoregression of the window (mean squared error {network_error:.3e} against {base_error:.3e}, normalised); the model is that autoregression"
        ));
    } else {
        // Too few optimiser steps: said only of an LSTM that serves.
        warnings.extend(convergence_warning(&config.train, train_rows.len()));
    }

    let (measured_x, measured_y, source) =
        if valid_rows.is_empty() { (&train_x, &train_y, "training") } else { (&val_x, &val_y, "validation") };
    let predicted: Vec<f64> = crate::tabular::with_linear(&weights.forward(measured_x), base.as_ref(), measured_x)
        .into_iter()
        .map(|v| target_scale.unscale(v))
        .collect();
    let actual: Vec<f64> = measured_y.iter().map(|&v| target_scale.unscale(v as f64)).collect();
    let mut report = TrainReport::from_fit(
        outcome.history,
        (outcome.stopped_early, outcome.best_epoch),
        config.train.epochs,
        (n, train_rows.len(), valid_rows.len()),
        device,
        started,
    );
    report.engine = engine.name().to_string();
    report.warnings.extend(warnings);
    report.regression = Some(regression_metrics(&actual, &predicted));
    let calibration =
        RegressionCalibration::from_predictions(&actual, &predicted, target_scale, config.interval_coverage, source);
    report.diagnostics = Some(Diagnostics::values(
        &actual,
        &predicted,
        calibration.coverage,
        calibration.half_width,
        source,
        Sampling::Latest,
    ));
    let measured_windows = if valid_rows.is_empty() { &train_rows } else { &valid_rows };
    let mut model = TrainedModel {
        format_version: FORMAT_VERSION,
        kind: ModelKind::TimeSeries,
        features: spec.features.clone(),
        target: spec.target.clone(),
        normalizer,
        polynomial: 1,
        lookback,
        parameters: lstm.parameter_count(),
        network: NetWeights::Lstm(weights),
        linear: base,
        head: Head::Value,
        labels: Vec::new(),
        label_keys: Vec::new(),
        calibration: Some(calibration),
        temperature: 1.0,
        report,
        preparation: spec.preparation.clone(),
        reference: Some(column_means(steps)),
        reference_frequencies: category_frequencies(steps, expansion.as_ref()),
        importance: None,
    };
    // Importance shuffles raw columns (a category as one column), so windows of the raw steps.
    let raw = steps.columns;
    let raw_inputs: Vec<f64> =
        measured_windows.iter().flat_map(|&i| steps.values[i * raw..(i + lookback) * raw].iter().copied()).collect();
    let raw_actual: Vec<f64> = measured_windows.iter().map(|&i| steps.values[(i + lookback) * raw + raw - 1]).collect();
    model.importance =
        Some(permutation_importance(&model, &raw_inputs, Truth::Values(&raw_actual), source, config.train.seed));
    Ok(model)
}

/// The exact least-squares fit of each window's (scaled) values to the next target, on the training
/// windows, when it is determined (more windows than terms, and few enough terms to solve) and
/// forecasts the held-out windows better than their training mean does; otherwise the LSTM learns
/// the series alone, as before this fit existed.
fn linear_base(
    (train_x, train_y): (&[f32], &[f32]),
    (val_x, val_y): (&[f32], &[f32]),
    terms: usize,
) -> Result<Option<LinearFit>> {
    if terms > MAX_EXACT_TERMS || train_y.len() <= terms {
        return Ok(None);
    }
    let fit = NormalEquations::new(train_x, train_y, terms).solve()?;
    if val_y.is_empty() {
        return Ok(Some(fit));
    }
    let mean = train_y.iter().map(|&y| y as f64).sum::<f64>() / train_y.len() as f64;
    let mean_error = val_y.iter().map(|&y| (y as f64 - mean).powi(2)).sum::<f64>() / val_y.len() as f64;
    let fit_error = NormalEquations::new(val_x, val_y, terms).mean_squared_error(&fit);
    Ok((fit_error < mean_error).then_some(fit))
}

/// Records, in the report's held-out points, when each point's record happened: `step_times` holds
/// the time field's value of every training step, in the time order `train` was given them.
pub fn attach_step_times(model: &mut TrainedModel, field: &str, dates: bool, step_times: &[f64]) -> Result<()> {
    let report = &mut model.report;
    if step_times.len() != report.samples {
        return Err(Error::data(format!("{} step times for a series of {} records", step_times.len(), report.samples)));
    }
    // The measured windows are the held-out ones (after the training windows), or all of them
    // when nothing was held out; window w predicts step w + lookback.
    let first_window = if report.validation_samples > 0 { report.train_samples } else { 0 };
    let Some(points) = report.diagnostics.as_mut().and_then(|d| d.points.as_mut()) else { return Ok(()) };
    let values = points
        .index
        .iter()
        .map(|&i| step_times.get(first_window + i as usize + model.lookback).copied())
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| Error::data("a held-out point lies outside the series"))?;
    points.time = Some(PointTimes { field: field.to_string(), dates, values });
    Ok(())
}

/// How many of the most recent windows training holds out.
pub(crate) fn held_out_windows(windows: usize, validation_split: f64) -> usize {
    ((windows as f64 * validation_split).floor() as usize).min(windows.saturating_sub(1))
}

/// Metrics of one-step forecasts over a time-ordered series: each window of `lookback` records
/// predicts the next record's target (MAPE skips actual values of 0).
pub fn evaluate(model: &TrainedModel, steps: Rows<'_>) -> Result<RegressionMetrics> {
    let (lookback, columns) = (model.lookback, steps.columns);
    if steps.len() <= lookback {
        return Err(Error::data(format!(
            "Evaluating a time series needs more than lookback = {lookback} records, got {}",
            steps.len()
        )));
    }
    let windows = steps.len() - lookback;
    let inputs: Vec<f64> =
        (0..windows).flat_map(|i| steps.values[i * columns..(i + lookback) * columns].iter().copied()).collect();
    let actual: Vec<f64> = (0..windows).map(|i| steps.values[(i + lookback) * columns + columns - 1]).collect();
    model.evaluate_values(model.rows(&inputs)?, &actual)
}

/// Forecasts `horizon` steps after the last `lookback` records of `history`, feeding each
/// prediction back as the next step's target; the next step's features repeat the last record's.
pub fn forecast(model: &TrainedModel, history: Rows<'_>, horizon: usize) -> Result<Vec<f64>> {
    let (lookback, columns) = (model.lookback, history.columns);
    if history.len() < lookback {
        return Err(Error::data(format!(
            "Forecasting needs at least lookback = {lookback} records, got {}",
            history.len()
        ))
        .with("expected", lookback)
        .with("got", history.len()));
    }
    let mut window: Vec<f64> = history.values[(history.len() - lookback) * columns..].to_vec();
    let mut out = Vec::with_capacity(horizon);
    for _ in 0..horizon {
        let value = model.predict_one(&window)?.value;
        out.push(value);
        let mut next = window[(lookback - 1) * columns..].to_vec();
        next[columns - 1] = value;
        window.drain(..columns);
        window.extend(next);
    }
    Ok(out)
}

//! A trained model: everything needed to predict (normaliser, expansion, network, labels,
//! calibration) and the report of how it was trained. Serialisable as a whole.

use crate::data::{MinMax, Normalizer, Rows};
use crate::device::ComputeDevice;
use crate::diagnostics::Diagnostics;
use crate::error::{Error, ErrorKind, Result};
use crate::least_squares::LinearFit;
use crate::metrics::{ClassificationMetrics, RegressionMetrics};
use crate::net::DenseWeights;
use crate::net::lstm::LstmWeights;
use crate::polynomial;
use crate::preparation::{Column, Expansion, Preparation};
use crate::spec::ModelKind;
use crate::train::EpochStats;
use serde::{Deserialize, Serialize};

/// Bumped whenever the serialised shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// How regression-like predictions are turned into an interval and a confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegressionCalibration {
    /// Target coverage of the interval (e.g. 0.9).
    pub coverage: f64,
    /// Split-conformal half-width of the interval, in target units.
    pub half_width: f64,
    /// The error counted as "close": 5% of the training target's range.
    pub tolerance: f64,
    /// Share of held-out predictions whose error was within `tolerance`.
    pub within_tolerance: f64,
    /// `"validation"` (held-out rows) or `"training"` (no rows were held out).
    pub source: String,
    pub samples: usize,
}

/// The share of the target's range within which a regression prediction counts as close.
pub const TOLERANCE_SHARE: f64 = 0.05;

/// How a model was trained and how well it did on rows it did not train on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainReport {
    /// Final-epoch training loss (normalised units, as upstream).
    pub loss: f64,
    pub val_loss: Option<f64>,
    /// Held-out accuracy for label outputs (training accuracy if nothing was held out).
    pub accuracy: Option<f64>,
    pub train_accuracy: Option<f64>,
    /// Epochs actually run (fewer than configured when early stopping ended training).
    pub epochs: usize,
    pub configured_epochs: usize,
    pub stopped_early: bool,
    pub best_epoch: usize,
    pub samples: usize,
    pub train_samples: usize,
    pub validation_samples: usize,
    pub backend: String,
    pub adapter: Option<String>,
    /// The training engine: `native` (dense networks on the CPU) or `burn`.
    #[serde(default)]
    pub engine: String,
    pub duration_ms: f64,
    pub history: Vec<EpochStats>,
    /// Why the model may be poor although training succeeded (e.g. too few optimiser steps).
    #[serde(default)]
    pub warnings: Vec<String>,
    pub regression: Option<RegressionMetrics>,
    pub classification: Option<ClassificationMetrics>,
    /// What the training report draws (held-out points, interval coverage, reliability); absent
    /// in models trained before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Diagnostics>,
}

/// The trained network, for the inference engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum NetWeights {
    Dense(DenseWeights),
    Lstm(LstmWeights),
}

impl NetWeights {
    pub fn forward(&self, inputs: &[f32]) -> Vec<f32> {
        match self {
            NetWeights::Dense(w) => w.forward(inputs),
            NetWeights::Lstm(w) => w.forward(inputs),
        }
    }
}

/// What the network's outputs mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Head {
    /// One normalised number, mapped back to target units, with a calibrated interval.
    Value,
    /// A probability per label (softmax output).
    Labels,
    /// The probability of the positive case (sigmoid output).
    Probability,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainedModel {
    pub format_version: u32,
    pub kind: ModelKind,
    pub features: Vec<String>,
    pub target: String,
    pub normalizer: Normalizer,
    /// Degree of the polynomial expansion applied to normalised features (1 = none).
    pub polynomial: usize,
    /// Steps per prediction: the time-series `lookback`, 1 for row models.
    pub lookback: usize,
    pub network: NetWeights,
    /// Regression: the exact least-squares fit of the (expanded) inputs, added to the network's
    /// output (normalised units); the hidden layers learnt what it left over.
    #[serde(default)]
    pub linear: Option<LinearFit>,
    /// Trainable parameters of the network.
    pub parameters: usize,
    pub head: Head,
    /// The labels by class index, with their original JSON type (label heads).
    pub labels: Vec<serde_json::Value>,
    /// The labels as JavaScript property keys (`String(label)`), by class index.
    pub label_keys: Vec<String>,
    pub calibration: Option<RegressionCalibration>,
    /// Label heads: the temperature that calibrates the probabilities on held-out rows (1 = none).
    #[serde(default = "no_temperature")]
    pub temperature: f64,
    pub report: TrainReport,
    /// How records become the encoded columns (absent in models of earlier builds: every
    /// feature one number).
    #[serde(default)]
    pub preparation: Option<Preparation>,
    /// The reference input of explanations: every input column's training mean, raw units.
    /// Absent in models stored before explanations existed (see [`TrainedModel::reference_row`]).
    #[serde(default)]
    pub reference: Option<Vec<f64>>,
    /// The reference of category columns: every one-hot unit's training frequency, category
    /// columns in order (see [`crate::explain::reference`]). Absent without categories, and in
    /// models stored before explanations covered categories.
    #[serde(default)]
    pub reference_frequencies: Option<Vec<f64>>,
    /// Permutation importance of every feature on the held-out rows, measured after training.
    #[serde(default)]
    pub importance: Option<crate::importance::Importance>,
}

fn no_temperature() -> f64 {
    1.0
}

/// Column-oriented predictions for a batch of inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictionBatch {
    /// Value and probability heads: the predicted number per input.
    pub values: Vec<f64>,
    /// Per input, in [0, 1].
    pub confidence: Vec<f64>,
    /// Value head: the prediction interval per input.
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Label head: the predicted class index per input.
    pub classes: Vec<u32>,
    /// Label head: inputs × classes probabilities.
    pub probabilities: Vec<f64>,
}

/// One input's prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub value: f64,
    pub confidence: f64,
    pub interval: Option<(f64, f64)>,
    pub class: Option<u32>,
    pub probabilities: Vec<f64>,
}

impl TrainedModel {
    /// Names of the encoded feature columns (see [`crate::preparation`]): the features
    /// themselves when the model has no preparation.
    pub fn encoded_features(&self) -> Vec<String> {
        encoded_feature_names(&self.features, self.preparation.as_ref())
    }

    /// Names of the values each step of an input holds: the encoded features, and for time
    /// series the target too (a sequence carries its own history of the target).
    pub fn input_columns(&self) -> Vec<String> {
        let mut columns = self.encoded_features();
        if self.kind == ModelKind::TimeSeries {
            columns.push(self.target.clone());
        }
        columns
    }

    /// The one-hot expansion of each step's columns, if the model has categories.
    pub fn expansion(&self) -> Option<Expansion> {
        step_expansion(self.preparation.as_ref(), self.kind == ModelKind::TimeSeries)
    }

    /// The reference input row of explanations: the training means, or for a model stored
    /// before they were kept, the middle of every column's training range (from the normaliser).
    pub fn reference_row(&self) -> Vec<f64> {
        match &self.reference {
            Some(means) => means.clone(),
            None => self.input_scales().iter().map(|mm| mm.unscale(0.5)).collect(),
        }
    }

    /// Raw rows normalised, before any polynomial expansion.
    pub fn scaled_inputs(&self, rows: Rows<'_>) -> Vec<f32> {
        crate::data::scale_columns(rows, &self.input_scales())
    }

    pub(crate) fn input_scales(&self) -> Vec<MinMax> {
        let mut scales = self.normalizer.features.clone();
        if self.kind == ModelKind::TimeSeries {
            scales.push(self.target_scale());
        }
        scales
    }

    /// How far (in normalised units) the furthest numeric feature of an encoded row lies outside
    /// the training range (category indices are never outside it).
    fn extrapolation(&self, row: &[f64], expansion: Option<&Expansion>) -> f64 {
        row.iter()
            .zip(&self.normalizer.features)
            .enumerate()
            .filter(|(c, _)| !expansion.is_some_and(|e| e.is_category(*c)))
            .map(|(_, (&v, mm))| {
                let s = mm.scale(v);
                if s < 0.0 {
                    -s
                } else if s > 1.0 {
                    s - 1.0
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max)
    }

    fn target_scale(&self) -> MinMax {
        self.normalizer.target.unwrap_or(MinMax { min: 0.0, max: 1.0 })
    }

    /// Validates raw rows of this model's input columns, of any count (a time series' history).
    pub fn rows_any<'a>(&self, values: &'a [f64]) -> Result<Rows<'a>> {
        Rows::new(values, &self.input_columns())
    }

    /// Validates raw input values: finite, and whole inputs of `lookback` steps.
    pub fn rows<'a>(&self, values: &'a [f64]) -> Result<Rows<'a>> {
        let rows = Rows::new(values, &self.input_columns())?;
        if rows.len() % self.lookback != 0 {
            return Err(Error::data(format!(
                "A prediction needs exactly {} records (the lookback), got {}",
                self.lookback,
                rows.len()
            ))
            .with("expected", self.lookback)
            .with("got", rows.len()));
        }
        Ok(rows)
    }

    /// The network's input for raw rows: normalised, then polynomially expanded.
    pub fn network_inputs(&self, rows: Rows<'_>) -> Vec<f32> {
        let scaled = crate::data::scale_columns(rows, &self.input_scales());
        let (inputs, columns) = match self.expansion() {
            Some(e) => (e.expand(&scaled), e.width()),
            None => (scaled, rows.columns),
        };
        if self.polynomial > 1 {
            polynomial::expand(&inputs, columns, &polynomial::monomials(columns, self.polynomial))
        } else {
            inputs
        }
    }

    /// Predicts every input (`lookback` rows each) of `rows`. Every number it returns is finite:
    /// an input so far outside the training range that the network overflows (the f32 it computes
    /// in, or the target scale) is a `Prediction` error naming the input, not a NaN or a null.
    pub fn predict_batch(&self, rows: Rows<'_>) -> Result<PredictionBatch> {
        let batch = self.predict_batch_unchecked(rows);
        let per_input = [(&batch.probabilities, self.labels.len().max(1))];
        let columns = [&batch.values, &batch.confidence, &batch.lower, &batch.upper].map(|c| (c, 1));
        for (column, width) in columns.into_iter().chain(per_input) {
            if let Some(at) = column.iter().position(|v| !v.is_finite()) {
                return Err(self.unrepresentable(rows, at / width));
            }
        }
        Ok(batch)
    }

    /// The error for input `input` of `rows`, whose prediction overflowed: it names the feature
    /// furthest outside the training range.
    fn unrepresentable(&self, rows: Rows<'_>, input: usize) -> Error {
        let scales = self.input_scales();
        let columns = self.input_columns();
        let (mut worst, mut value, mut worst_distance) = (0, 0.0, -1.0);
        for step in 0..self.lookback {
            for (c, (&v, mm)) in rows.row(input * self.lookback + step).iter().zip(&scales).enumerate() {
                let distance = (mm.scale(v) - 0.5).abs();
                if distance.is_nan() || distance > worst_distance {
                    (worst, value, worst_distance) = (c, v, distance);
                }
            }
        }
        Error::new(
            ErrorKind::Prediction,
            format!(
                "Input {input} is outside what the model can represent: its prediction overflows (feature \"{}\" = {value:e}, trained on {:e} to {:e})",
                columns[worst], scales[worst].min, scales[worst].max
            ),
        )
        .with("row", input)
        .with("feature", columns[worst].clone())
        .with("value", value.to_string())
    }

    fn predict_batch_unchecked(&self, rows: Rows<'_>) -> PredictionBatch {
        let inputs = rows.len() / self.lookback;
        let network_inputs = self.network_inputs(rows);
        let outputs = self.network.forward(&network_inputs);
        let expansion = self.expansion();
        let encoded = self.normalizer.features.len();
        let mut batch = PredictionBatch { confidence: Vec::with_capacity(inputs), ..Default::default() };
        match self.head {
            Head::Value => {
                let target = self.target_scale();
                let calib = self.calibration.as_ref().expect("value heads are calibrated");
                let outputs = crate::tabular::with_linear(&outputs, self.linear.as_ref(), &network_inputs);
                for (i, &out) in outputs.iter().enumerate() {
                    let value = target.unscale(out);
                    // Outside the range seen in training the model extrapolates; say so.
                    let extrapolation = (0..self.lookback)
                        .map(|s| self.extrapolation(&rows.row(i * self.lookback + s)[..encoded], expansion.as_ref()))
                        .fold(0.0, f64::max);
                    batch.values.push(value);
                    batch.confidence.push(calib.confidence(extrapolation));
                    batch.lower.push(value - calib.half_width);
                    batch.upper.push(value + calib.half_width);
                }
            }
            Head::Labels => {
                let k = self.labels.len();
                let mut row = vec![0.0; k];
                for p in outputs.chunks_exact(k) {
                    row.iter_mut().zip(p).for_each(|(r, &v)| *r = v as f64);
                    crate::metrics::temper(&mut row, self.temperature);
                    let (best, &best_p) =
                        row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("two labels or more");
                    batch.classes.push(best as u32);
                    batch.confidence.push(best_p);
                    batch.probabilities.extend_from_slice(&row);
                }
            }
            Head::Probability => {
                for &p in &outputs {
                    let p = p as f64;
                    batch.values.push(p);
                    batch.confidence.push(p.max(1.0 - p));
                }
            }
        }
        batch
    }

    /// Predicts a single input.
    pub fn predict_one(&self, values: &[f64]) -> Result<Prediction> {
        let rows = self.rows(values)?;
        if rows.len() != self.lookback {
            return Err(Error::data(format!(
                "expected one input of {} values, got {}",
                self.lookback * self.input_columns().len(),
                values.len()
            )));
        }
        let b = self.predict_batch(rows)?;
        Ok(match self.head {
            Head::Value => Prediction {
                value: b.values[0],
                confidence: b.confidence[0],
                interval: Some((b.lower[0], b.upper[0])),
                class: None,
                probabilities: Vec::new(),
            },
            Head::Probability => Prediction {
                value: b.values[0],
                confidence: b.confidence[0],
                interval: None,
                class: None,
                probabilities: Vec::new(),
            },
            Head::Labels => Prediction {
                value: b.classes[0] as f64,
                confidence: b.confidence[0],
                interval: None,
                class: Some(b.classes[0]),
                probabilities: b.probabilities,
            },
        })
    }

    /// R², MAE, RMSE and MAPE on labelled inputs (value heads; a probability head's are
    /// computed too, though its held-out report and the plugin score it by `evaluate_labels`).
    pub fn evaluate_values(&self, rows: Rows<'_>, actual: &[f64]) -> Result<RegressionMetrics> {
        if self.head == Head::Labels {
            return Err(self.wrong_head("numeric metrics", "a model that predicts labels"));
        }
        check_targets(rows.len() / self.lookback, actual.len())?;
        let predicted = self.predict_batch(rows)?.values;
        Ok(crate::metrics::regression_metrics(actual, &predicted))
    }

    /// Accuracy, confusion matrix and per-class precision/recall/F1 on labelled inputs. A
    /// probability head has two classes, 0 and 1, and predicts 1 when `p >= 0.5`: the rule its
    /// held-out report was measured by, so both give the same metrics on the same rows.
    pub fn evaluate_labels(&self, rows: Rows<'_>, actual: &[u32]) -> Result<ClassificationMetrics> {
        if self.head == Head::Value {
            return Err(self.wrong_head("a confusion matrix", "a model that predicts numbers"));
        }
        check_targets(rows.len() / self.lookback, actual.len())?;
        let classes = self.class_count();
        if let Some(bad) = actual.iter().find(|&&c| c as usize >= classes) {
            return Err(Error::data(format!("label index {bad} is not one of the {classes} trained labels")));
        }
        let batch = self.predict_batch(rows)?;
        let predicted = match self.head {
            Head::Probability => batch.values.iter().map(|&p| u32::from(p >= 0.5)).collect(),
            _ => batch.classes,
        };
        Ok(crate::metrics::classification_metrics(actual, &predicted, classes))
    }

    /// Classes a label or probability head tells apart (a probability head: 0 and 1).
    pub fn class_count(&self) -> usize {
        match self.head {
            Head::Probability => 2,
            _ => self.labels.len(),
        }
    }

    fn wrong_head(&self, metric: &str, model: &str) -> Error {
        Error::new(ErrorKind::Prediction, format!("{metric} cannot be computed for \"{}\", {model}", self.target))
    }
}

/// Names of the encoded columns of `features` under `preparation`.
pub fn encoded_feature_names(features: &[String], preparation: Option<&Preparation>) -> Vec<String> {
    match preparation {
        Some(p) => p.columns().into_iter().map(|(name, _)| name).collect(),
        None => features.to_vec(),
    }
}

/// A warning for each feature of `spec` that gives its `rows` training rows nothing to learn
/// from (Preparation::uninformative). When none of the model's inputs does, training is an error
/// that names them: the model could only predict a constant, and with only empty categories it
/// would have no input at all. `other_input`: the model has an input besides its features (a
/// time series reads its target's own history).
pub fn uninformative_features(spec: &crate::spec::ModelSpec, rows: usize, other_input: bool) -> Result<Vec<String>> {
    let Some(preparation) = &spec.preparation else { return Ok(Vec::new()) };
    let idle = preparation.uninformative(rows);
    let sentences: Vec<String> = idle.iter().map(|(name, why)| format!("feature \"{name}\" {why}")).collect();
    if !other_input && !idle.is_empty() && idle.len() == spec.features.len() {
        return Err(Error::data(format!(
            "Model \"{}\" has nothing to learn from: {}. Check the feature names against the records, or choose features whose values repeat",
            spec.name,
            sentences.join("; ")
        ))
        .with("modelName", spec.name.clone())
        .with("features", idle.iter().map(|(name, _)| name.to_string()).collect::<Vec<_>>()));
    }
    Ok(sentences.into_iter().map(|s| format!("{s}, so it does not inform the model")).collect())
}

/// The expansion of a step's encoded columns (a time series' steps end with the target).
pub fn step_expansion(preparation: Option<&Preparation>, with_target: bool) -> Option<Expansion> {
    let mut columns: Vec<Column> = preparation?.columns().into_iter().map(|(_, c)| c).collect();
    if with_target {
        columns.push(Column::Value);
    }
    Expansion::new(columns)
}

fn check_targets(inputs: usize, targets: usize) -> Result<()> {
    if inputs == targets {
        Ok(())
    } else {
        Err(Error::data(format!("got {inputs} inputs but {targets} target values"))
            .with("expected", inputs)
            .with("got", targets))
    }
}

/// Describes the device for the report.
pub(crate) fn device_names(device: &ComputeDevice) -> (String, Option<String>) {
    (device.backend.to_string(), device.adapter.as_ref().map(|a| format!("{} ({})", a.name, a.api)))
}

impl RegressionCalibration {
    /// The confidence of a numeric prediction whose input lies `extrapolation` training ranges
    /// outside the training data: `tolerance / (tolerance + expected error)`, where the expected
    /// error is the interval's half-width times `e^(2 · extrapolation)` (outside the data the model
    /// extrapolates, and its held-out errors say less and less). 1 for a model without held-out
    /// error, 0.5 when the expected error equals the tolerance (5% of the target's range), lower
    /// as it grows; always finite, and never below the smallest positive f64.
    pub fn confidence(&self, extrapolation: f64) -> f64 {
        if self.half_width == 0.0 {
            return 1.0;
        }
        let expected_error = self.half_width * (2.0 * extrapolation).exp();
        let confidence = self.tolerance / (self.tolerance + expected_error);
        if confidence.is_finite() { confidence.clamp(f64::MIN_POSITIVE, 1.0) } else { f64::MIN_POSITIVE }
    }

    /// Calibrates from held-out predictions: the split-conformal half-width at `coverage`, and the
    /// share of predictions within [`TOLERANCE_SHARE`] of the target's range.
    pub fn from_predictions(actual: &[f64], predicted: &[f64], target: MinMax, coverage: f64, source: &str) -> Self {
        let residuals: Vec<f64> = actual.iter().zip(predicted).map(|(a, p)| (a - p).abs()).collect();
        let tolerance = TOLERANCE_SHARE * target.range();
        let within = residuals.iter().filter(|&&r| r <= tolerance).count() as f64 / residuals.len().max(1) as f64;
        Self {
            coverage,
            half_width: crate::metrics::conformal_quantile(&residuals, coverage),
            tolerance,
            within_tolerance: within,
            source: source.to_string(),
            samples: residuals.len(),
        }
    }
}

impl TrainReport {
    /// The report of a finished fit; the caller adds the held-out metrics of its model kind.
    pub(crate) fn from_fit(
        history: Vec<EpochStats>,
        outcome: (bool, usize),
        configured_epochs: usize,
        sizes: (usize, usize, usize),
        device: &ComputeDevice,
        started: std::time::Instant,
    ) -> Self {
        let (stopped_early, best_epoch) = outcome;
        let (samples, train_samples, validation_samples) = sizes;
        let last = history.last().cloned();
        let (backend, adapter) = device_names(device);
        Self {
            loss: last.as_ref().map_or(f64::NAN, |l| l.loss),
            val_loss: last.and_then(|l| l.val_loss),
            accuracy: None,
            train_accuracy: None,
            epochs: history.len(),
            configured_epochs,
            stopped_early,
            best_epoch,
            samples,
            train_samples,
            validation_samples,
            backend,
            adapter,
            engine: "burn".to_string(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            history,
            warnings: Vec::new(),
            regression: None,
            classification: None,
            diagnostics: None,
        }
    }
}

//! A trained model: everything needed to predict (normaliser, expansion, weights, label count,
//! calibration) and the report of how it was trained. Serialisable as a whole.

use crate::data::{Normalizer, Rows};
use crate::device::ComputeDevice;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{ClassificationMetrics, RegressionMetrics};
use crate::net::{DenseWeights, NetSpec};
use crate::polynomial;
use crate::spec::ModelKind;
use crate::train::EpochStats;
use serde::{Deserialize, Serialize};

/// Bumped whenever the serialised shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// How regression predictions are turned into an interval and a confidence.
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
    /// Held-out accuracy for classification (training accuracy if nothing was held out).
    pub accuracy: Option<f64>,
    pub train_accuracy: Option<f64>,
    pub epochs: usize,
    pub samples: usize,
    pub train_samples: usize,
    pub validation_samples: usize,
    pub backend: String,
    pub adapter: Option<String>,
    pub duration_ms: f64,
    pub history: Vec<EpochStats>,
    pub regression: Option<RegressionMetrics>,
    pub classification: Option<ClassificationMetrics>,
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
    pub net: NetSpec,
    pub weights: DenseWeights,
    /// Number of labels (classification), 0 otherwise.
    pub classes: usize,
    /// The labels by class index, with their original JSON type (classification).
    #[serde(default)]
    pub labels: Vec<serde_json::Value>,
    /// The labels as JavaScript property keys (`String(label)`), by class index.
    #[serde(default)]
    pub label_keys: Vec<String>,
    pub calibration: Option<RegressionCalibration>,
    pub report: TrainReport,
}

/// Column-oriented predictions for a batch of rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictionBatch {
    /// Regression: the predicted value per row.
    pub values: Vec<f64>,
    /// Per row, in [0, 1].
    pub confidence: Vec<f64>,
    /// Regression: the prediction interval per row.
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Classification: the predicted class index per row.
    pub classes: Vec<u32>,
    /// Classification: rows × classes probabilities.
    pub probabilities: Vec<f64>,
}

/// One row's prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub value: f64,
    pub confidence: f64,
    pub interval: Option<(f64, f64)>,
    pub class: Option<u32>,
    pub probabilities: Vec<f64>,
}

impl TrainedModel {
    /// The network's input for raw feature rows: normalised, then polynomially expanded.
    pub fn network_inputs(&self, rows: Rows<'_>) -> Vec<f32> {
        let scaled = self.normalizer.scale_rows(rows);
        if self.polynomial > 1 {
            polynomial::expand(
                &scaled,
                rows.columns,
                &polynomial::monomials(rows.columns, self.polynomial),
            )
        } else {
            scaled
        }
    }

    /// Validates raw rows against this model's features.
    pub fn rows<'a>(&self, values: &'a [f64]) -> Result<Rows<'a>> {
        Rows::new(values, &self.features)
    }

    pub fn predict_batch(&self, rows: Rows<'_>) -> PredictionBatch {
        let n = rows.len();
        let outputs = self.weights.forward(&self.network_inputs(rows));
        match self.kind {
            ModelKind::Regression => {
                let target = self
                    .normalizer
                    .target
                    .expect("regression models have a target scale");
                let calib = self
                    .calibration
                    .as_ref()
                    .expect("regression models are calibrated");
                let mut batch = PredictionBatch {
                    values: Vec::with_capacity(n),
                    confidence: Vec::with_capacity(n),
                    lower: Vec::with_capacity(n),
                    upper: Vec::with_capacity(n),
                    ..Default::default()
                };
                for (i, &out) in outputs.iter().enumerate() {
                    let value = target.unscale(out as f64);
                    // Outside the range seen in training the model extrapolates; say so.
                    let extrapolation = self.normalizer.extrapolation(rows.row(i));
                    batch.values.push(value);
                    batch
                        .confidence
                        .push(calib.within_tolerance * (-2.0 * extrapolation).exp());
                    batch.lower.push(value - calib.half_width);
                    batch.upper.push(value + calib.half_width);
                }
                batch
            }
            ModelKind::Classification => {
                let k = self.classes;
                let mut batch = PredictionBatch {
                    classes: Vec::with_capacity(n),
                    confidence: Vec::with_capacity(n),
                    probabilities: Vec::with_capacity(n * k),
                    ..Default::default()
                };
                for logits in outputs.chunks_exact(k) {
                    let mut p = logits.to_vec();
                    crate::net::softmax_in_place(&mut p);
                    let (best, &best_p) = p
                        .iter()
                        .enumerate()
                        .max_by(|a, b| a.1.total_cmp(b.1))
                        .expect("at least two classes");
                    batch.classes.push(best as u32);
                    batch.confidence.push(best_p as f64);
                    batch.probabilities.extend(p.iter().map(|&v| v as f64));
                }
                batch
            }
        }
    }

    pub fn predict_one(&self, row: &[f64]) -> Result<Prediction> {
        let rows = self.rows(row)?;
        if rows.len() != 1 {
            return Err(Error::data(format!(
                "expected one row of {} features, got {} values",
                self.features.len(),
                row.len()
            )));
        }
        let b = self.predict_batch(rows);
        Ok(match self.kind {
            ModelKind::Regression => Prediction {
                value: b.values[0],
                confidence: b.confidence[0],
                interval: Some((b.lower[0], b.upper[0])),
                class: None,
                probabilities: Vec::new(),
            },
            ModelKind::Classification => Prediction {
                value: b.classes[0] as f64,
                confidence: b.confidence[0],
                interval: None,
                class: Some(b.classes[0]),
                probabilities: b.probabilities,
            },
        })
    }

    /// R², MAE, RMSE and MAPE of this regression model on labelled rows.
    pub fn evaluate_regression(&self, rows: Rows<'_>, actual: &[f64]) -> Result<RegressionMetrics> {
        self.expect_kind(ModelKind::Regression)?;
        check_targets(rows.len(), actual.len())?;
        let predicted = self.predict_batch(rows).values;
        Ok(crate::metrics::regression_metrics(actual, &predicted))
    }

    /// Accuracy, confusion matrix and per-class precision/recall/F1 on labelled rows.
    pub fn evaluate_classification(
        &self,
        rows: Rows<'_>,
        actual: &[u32],
    ) -> Result<ClassificationMetrics> {
        self.expect_kind(ModelKind::Classification)?;
        check_targets(rows.len(), actual.len())?;
        if let Some(bad) = actual.iter().find(|&&c| c as usize >= self.classes) {
            return Err(Error::data(format!(
                "label index {bad} is not one of the {} trained classes",
                self.classes
            )));
        }
        let predicted = self.predict_batch(rows).classes;
        Ok(crate::metrics::classification_metrics(
            actual,
            &predicted,
            self.classes,
        ))
    }

    fn expect_kind(&self, kind: ModelKind) -> Result<()> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Prediction,
                format!("this metric needs a {kind:?} model, not {:?}", self.kind),
            ))
        }
    }
}

fn check_targets(rows: usize, targets: usize) -> Result<()> {
    if rows == targets {
        Ok(())
    } else {
        Err(
            Error::data(format!("got {rows} rows but {targets} target values"))
                .with("expected", rows)
                .with("got", targets),
        )
    }
}

/// Describes the device for the report.
pub(crate) fn device_names(device: &ComputeDevice) -> (String, Option<String>) {
    (
        device.backend.to_string(),
        device
            .adapter
            .as_ref()
            .map(|a| format!("{} ({})", a.name, a.api)),
    )
}

//! What a model is asked to be: the JSON the JavaScript layer sends (`type`, `features`, `target`,
//! `modelConfig`), validated and resolved into concrete settings. Every default lives here, once.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The model families of the seed documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    Regression,
    Classification,
    #[serde(rename = "timeseries")]
    TimeSeries,
    NeuralNetwork,
}

/// Activation functions accepted in `activation` / `layers[].activation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    #[default]
    Relu,
    Sigmoid,
    Tanh,
    Elu,
    Selu,
    Linear,
    Softmax,
}

/// `modelConfig` as users write it: every key optional, unknown keys ignored (a model type simply
/// does not read the options of another type).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HyperParams {
    pub epochs: Option<f64>,
    pub batch_size: Option<f64>,
    pub learning_rate: Option<f64>,
    pub validation_split: Option<f64>,
    pub shuffle: Option<bool>,
    pub seed: Option<f64>,
    pub polynomial: Option<f64>,
    pub units: Option<f64>,
    pub activation: Option<Activation>,
    pub dropout: Option<f64>,
    /// Coverage of the regression prediction interval (default 0.9).
    pub interval_coverage: Option<f64>,
    /// Stop when the monitored loss stops improving (every model type).
    pub early_stopping: Option<EarlyStoppingParams>,
    // Time series.
    pub lookback: Option<f64>,
    pub lstm_units: Option<f64>,
    pub dense_units: Option<f64>,
    pub recurrent_dropout: Option<f64>,
    // Neural network.
    pub layers: Option<Vec<LayerParams>>,
    pub output_activation: Option<Activation>,
    pub output_units: Option<f64>,
    pub loss: Option<LossName>,
    pub metrics: Option<Vec<String>>,
    /// The model-size cap (see `architecture.rs`); every model type.
    pub max_parameters: Option<f64>,
}

/// One hidden layer of a custom network, as users write it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct LayerParams {
    pub units: Option<f64>,
    pub activation: Option<Activation>,
    pub dropout: Option<f64>,
    pub batch_normalization: Option<bool>,
}

/// Loss functions of the neural-network type, with the tfjs names the seed documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossName {
    #[serde(rename = "meanSquaredError", alias = "mse", alias = "mean_squared_error")]
    MeanSquaredError,
    #[serde(rename = "meanAbsoluteError", alias = "mae", alias = "mean_absolute_error")]
    MeanAbsoluteError,
    #[serde(rename = "binaryCrossentropy", alias = "binary_crossentropy")]
    BinaryCrossentropy,
    #[serde(rename = "categoricalCrossentropy", alias = "categorical_crossentropy")]
    CategoricalCrossentropy,
}

/// `earlyStopping` / `trainWithEarlyStopping` options as users write them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct EarlyStoppingParams {
    pub patience: Option<f64>,
    pub min_delta: Option<f64>,
    pub monitor: Option<String>,
    pub restore_best_weights: Option<bool>,
}

/// Which loss early stopping watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Monitor {
    ValLoss,
    Loss,
}

/// Resolved early stopping.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EarlyStopping {
    pub patience: usize,
    pub min_delta: f64,
    pub monitor: Monitor,
    pub restore_best_weights: bool,
}

/// A model definition as received from JavaScript.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ModelKind,
    pub features: Vec<String>,
    pub target: String,
    #[serde(default)]
    pub model_config: HyperParams,
    /// The input preparation of one training (learned from its rows, given with them).
    #[serde(skip)]
    pub preparation: Option<crate::preparation::Preparation>,
}

/// Training-loop settings shared by every model type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub validation_split: f64,
    pub shuffle: bool,
    pub seed: u64,
    pub early_stopping: Option<EarlyStopping>,
}

/// Resolved regression settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegressionConfig {
    #[serde(flatten)]
    pub train: TrainConfig,
    pub polynomial: usize,
    pub units: usize,
    pub activation: Activation,
    pub interval_coverage: f64,
}

/// Resolved classification settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassificationConfig {
    #[serde(flatten)]
    pub train: TrainConfig,
    pub units: usize,
    pub activation: Activation,
    pub dropout: f64,
}

/// Resolved time-series settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeSeriesConfig {
    #[serde(flatten)]
    pub train: TrainConfig,
    pub lookback: usize,
    pub lstm_units: usize,
    pub dense_units: usize,
    pub dropout: f64,
    pub recurrent_dropout: f64,
    pub interval_coverage: f64,
}

/// One resolved hidden layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerConfig {
    pub units: usize,
    pub activation: Activation,
    pub dropout: f64,
    pub batch_normalization: bool,
}

/// Resolved neural-network settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NeuralNetworkConfig {
    #[serde(flatten)]
    pub train: TrainConfig,
    pub layers: Vec<LayerConfig>,
    pub output_activation: Activation,
    pub output_units: usize,
    pub loss: LossName,
    pub metrics: Vec<String>,
    pub interval_coverage: f64,
}

/// Defaults of the upstream MLPlugin (s3db-contract §5.3).
const DEFAULT_EPOCHS: usize = 50;
const DEFAULT_BATCH_SIZE: usize = 32;
const DEFAULT_LEARNING_RATE: f64 = 0.01;
const DEFAULT_VALIDATION_SPLIT: f64 = 0.2;
const DEFAULT_UNITS: usize = 64;
const DEFAULT_CLASSIFICATION_DROPOUT: f64 = 0.2;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_INTERVAL_COVERAGE: f64 = 0.9;
const DEFAULT_LOOKBACK: usize = 10;
const DEFAULT_LSTM_UNITS: usize = 50;
const DEFAULT_DENSE_UNITS: usize = 25;
const DEFAULT_SEQUENCE_DROPOUT: f64 = 0.2;
const DEFAULT_PATIENCE: usize = 10;
const DEFAULT_MIN_DELTA: f64 = 0.001;
const MAX_UNITS: usize = 65_536;
/// Polynomial expansion beyond this many terms is a configuration mistake, not a model.
pub const MAX_POLYNOMIAL_TERMS: usize = 4096;

impl ModelSpec {
    /// Parses and validates a spec; every problem is a `ModelConfigError` naming the model.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        let name = value.get("name").and_then(|n| n.as_str()).unwrap_or("?").to_string();
        let spec: ModelSpec = serde_json::from_value(value).map_err(|e| {
            Error::config(format!("Model \"{name}\" has an invalid configuration: {e}")).with("modelName", name.clone())
        })?;
        spec.validate()?;
        Ok(spec)
    }

    /// A `ModelConfig` error naming this model.
    pub(crate) fn config_error(&self, message: impl Into<String>) -> Error {
        self.fail(message)
    }

    /// Names of the encoded feature columns the rows of a training hold.
    pub fn encoded_features(&self) -> Vec<String> {
        crate::model::encoded_feature_names(&self.features, self.preparation.as_ref())
    }

    fn fail(&self, message: impl Into<String>) -> Error {
        Error::config(format!("Model \"{}\": {}", self.name, message.into())).with("modelName", self.name.clone())
    }

    pub fn validate(&self) -> Result<()> {
        // A time series can forecast from the target's own history alone (univariate).
        if self.features.is_empty() && self.kind != ModelKind::TimeSeries {
            return Err(self.fail("`features` must list at least one numeric field"));
        }
        if let Some(empty) = self.features.iter().find(|f| f.trim().is_empty()) {
            return Err(self.fail(format!("feature name {empty:?} is empty")));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.features.iter().find(|f| !seen.insert(f.as_str())) {
            return Err(self.fail(format!("feature \"{dup}\" is listed twice")));
        }
        if self.target.trim().is_empty() {
            return Err(self.fail("`target` must name the field to predict"));
        }
        if self.features.contains(&self.target) {
            return Err(self.fail(format!("target \"{}\" is also listed as a feature", self.target)));
        }
        self.resolved_model_config()?;
        self.check_configured_size()
    }

    fn positive_int(&self, key: &str, value: Option<f64>, default: usize, max: usize) -> Result<usize> {
        match value {
            None => Ok(default),
            Some(v) if v.fract() == 0.0 && v >= 1.0 && v <= max as f64 => Ok(v as usize),
            Some(v) => Err(self.fail(format!("`{key}` must be a whole number from 1 to {max}, got {v}")).with(key, v)),
        }
    }

    fn fraction(&self, key: &str, value: Option<f64>, default: f64, max_exclusive: f64) -> Result<f64> {
        match value {
            None => Ok(default),
            Some(v) if v.is_finite() && (0.0..max_exclusive).contains(&v) => Ok(v),
            Some(v) => {
                Err(self.fail(format!("`{key}` must be at least 0 and below {max_exclusive}, got {v}")).with(key, v))
            }
        }
    }

    /// The effective `modelConfig` (defaults applied), as JavaScript will show it.
    pub fn resolved_model_config(&self) -> Result<serde_json::Value> {
        let value = match self.kind {
            ModelKind::Regression => serde_json::to_value(self.regression_config()?),
            ModelKind::Classification => serde_json::to_value(self.classification_config()?),
            ModelKind::TimeSeries => serde_json::to_value(self.timeseries_config()?),
            ModelKind::NeuralNetwork => serde_json::to_value(self.neural_network_config()?),
        };
        value.map_err(|e| self.fail(e.to_string()))
    }

    pub fn train_config(&self) -> Result<TrainConfig> {
        let p = &self.model_config;
        let learning_rate = match p.learning_rate {
            None => DEFAULT_LEARNING_RATE,
            Some(lr) if lr.is_finite() && lr > 0.0 && lr <= 10.0 => lr,
            Some(lr) => {
                return Err(self.fail(format!("`learningRate` must be above 0 and at most 10, got {lr}")));
            }
        };
        let seed = match p.seed {
            None => DEFAULT_SEED,
            Some(s) if s.fract() == 0.0 && s >= 0.0 && s <= u32::MAX as f64 => s as u64,
            Some(s) => {
                return Err(self.fail(format!("`seed` must be a whole number from 0 to 2^32-1, got {s}")));
            }
        };
        Ok(TrainConfig {
            epochs: self.positive_int("epochs", p.epochs, DEFAULT_EPOCHS, 100_000)?,
            batch_size: self.positive_int("batchSize", p.batch_size, DEFAULT_BATCH_SIZE, 1 << 20)?,
            learning_rate,
            validation_split: self.fraction("validationSplit", p.validation_split, DEFAULT_VALIDATION_SPLIT, 1.0)?,
            shuffle: p.shuffle.unwrap_or(true),
            seed,
            early_stopping: p.early_stopping.as_ref().map(|e| self.early_stopping(e)).transpose()?,
        })
    }

    /// Resolves early-stopping options (also those passed to `trainWithEarlyStopping`).
    pub fn early_stopping(&self, e: &EarlyStoppingParams) -> Result<EarlyStopping> {
        let monitor = match e.monitor.as_deref() {
            None | Some("val_loss") | Some("valLoss") => Monitor::ValLoss,
            Some("loss") => Monitor::Loss,
            Some(other) => {
                return Err(self.fail(format!("early stopping `monitor` must be 'val_loss' or 'loss', got {other:?}")));
            }
        };
        let min_delta = match e.min_delta {
            None => DEFAULT_MIN_DELTA,
            Some(d) if d.is_finite() && d >= 0.0 => d,
            Some(d) => return Err(self.fail(format!("early stopping `minDelta` must be 0 or more, got {d}"))),
        };
        Ok(EarlyStopping {
            patience: self.positive_int("patience", e.patience, DEFAULT_PATIENCE, 100_000)?,
            min_delta,
            monitor,
            restore_best_weights: e.restore_best_weights.unwrap_or(true),
        })
    }

    fn interval_coverage(&self) -> Result<f64> {
        match self.model_config.interval_coverage {
            None => Ok(DEFAULT_INTERVAL_COVERAGE),
            Some(c) if c > 0.0 && c < 1.0 => Ok(c),
            Some(c) => Err(self.fail(format!("`intervalCoverage` must be between 0 and 1, got {c}"))),
        }
    }

    pub fn timeseries_config(&self) -> Result<TimeSeriesConfig> {
        let p = &self.model_config;
        let lookback = match p.lookback {
            None => DEFAULT_LOOKBACK,
            Some(l) if l.fract() == 0.0 && (2.0..=10_000.0).contains(&l) => l as usize,
            Some(l) => {
                return Err(self
                    .fail(format!("`lookback` must be a whole number from 2 to 10000, got {l}"))
                    .with("lookback", l));
            }
        };
        Ok(TimeSeriesConfig {
            train: self.train_config()?,
            lookback,
            lstm_units: self.positive_int("lstmUnits", p.lstm_units, DEFAULT_LSTM_UNITS, 4096)?,
            dense_units: self.positive_int("denseUnits", p.dense_units, DEFAULT_DENSE_UNITS, 4096)?,
            dropout: self.fraction("dropout", p.dropout, DEFAULT_SEQUENCE_DROPOUT, 1.0)?,
            recurrent_dropout: self.fraction("recurrentDropout", p.recurrent_dropout, DEFAULT_SEQUENCE_DROPOUT, 1.0)?,
            interval_coverage: self.interval_coverage()?,
        })
    }

    pub fn neural_network_config(&self) -> Result<NeuralNetworkConfig> {
        let p = &self.model_config;
        let default_layers = [
            LayerParams {
                units: Some(64.0),
                activation: Some(Activation::Relu),
                dropout: Some(0.2),
                batch_normalization: None,
            },
            LayerParams {
                units: Some(32.0),
                activation: Some(Activation::Relu),
                dropout: Some(0.1),
                batch_normalization: None,
            },
        ];
        let given = p.layers.as_deref().unwrap_or(&default_layers);
        if given.is_empty() {
            return Err(self.fail("`layers` must list at least one hidden layer"));
        }
        let mut layers = Vec::with_capacity(given.len());
        for (i, l) in given.iter().enumerate() {
            let units = match l.units {
                Some(u) if u.fract() == 0.0 && u >= 1.0 && u <= MAX_UNITS as f64 => u as usize,
                other => {
                    return Err(self
                        .fail(format!(
                            "layer {i} must have `units`, a whole number from 1 to {MAX_UNITS} (got {})",
                            other.map_or("nothing".to_string(), |u| u.to_string())
                        ))
                        .with("index", i));
                }
            };
            layers.push(LayerConfig {
                units,
                activation: l.activation.unwrap_or_default(),
                dropout: self.fraction(&format!("layers[{i}].dropout"), l.dropout, 0.0, 1.0)?,
                batch_normalization: l.batch_normalization.unwrap_or(false),
            });
        }
        let output_activation = p.output_activation.unwrap_or(Activation::Linear);
        let output_units = self.positive_int("outputUnits", p.output_units, 1, MAX_UNITS)?;
        let loss = p.loss.unwrap_or(LossName::MeanSquaredError);
        self.check_output(output_activation, output_units, loss)?;
        Ok(NeuralNetworkConfig {
            train: self.train_config()?,
            layers,
            output_activation,
            output_units,
            loss,
            metrics: p.metrics.clone().unwrap_or_else(|| vec!["mse".into(), "mae".into()]),
            interval_coverage: self.interval_coverage()?,
        })
    }

    /// The combinations of output layer and loss that make sense.
    fn check_output(&self, activation: Activation, units: usize, loss: LossName) -> Result<()> {
        let problem = match loss {
            _ if activation == Activation::Softmax && units == 1 => {
                Some("a softmax output needs at least 2 `outputUnits` (one per label); use 'sigmoid' for one unit")
            }
            LossName::CategoricalCrossentropy if activation != Activation::Softmax || units < 2 => {
                Some("'categoricalCrossentropy' needs `outputActivation: 'softmax'` and `outputUnits` of at least 2")
            }
            LossName::BinaryCrossentropy if activation != Activation::Sigmoid || units != 1 => {
                Some("'binaryCrossentropy' needs `outputActivation: 'sigmoid'` and `outputUnits: 1`")
            }
            LossName::MeanSquaredError | LossName::MeanAbsoluteError if units != 1 => Some(
                "a numeric target needs `outputUnits: 1`; several outputs need 'categoricalCrossentropy' over labels",
            ),
            _ => None,
        };
        match problem {
            Some(p) => Err(self.fail(p.to_string())),
            None => Ok(()),
        }
    }

    pub fn regression_config(&self) -> Result<RegressionConfig> {
        let p = &self.model_config;
        let polynomial = match p.polynomial {
            None => 1,
            Some(d) if d.fract() == 0.0 && (1.0..=5.0).contains(&d) => d as usize,
            Some(d) => {
                return Err(self
                    .fail(format!("`polynomial` must be a whole number from 1 (linear) to 5, got {d}"))
                    .with("polynomial", d));
            }
        };
        let terms = crate::polynomial::term_count(self.features.len(), polynomial);
        if terms > MAX_POLYNOMIAL_TERMS {
            return Err(self.fail(format!(
                "`polynomial: {polynomial}` over {} features makes {terms} terms (limit {MAX_POLYNOMIAL_TERMS}); lower the degree or the feature count",
                self.features.len()
            )));
        }
        let coverage = match p.interval_coverage {
            None => DEFAULT_INTERVAL_COVERAGE,
            Some(c) if c > 0.0 && c < 1.0 => c,
            Some(c) => {
                return Err(self.fail(format!("`intervalCoverage` must be between 0 and 1, got {c}")));
            }
        };
        Ok(RegressionConfig {
            train: self.train_config()?,
            polynomial,
            units: self.positive_int("units", p.units, DEFAULT_UNITS, MAX_UNITS)?,
            activation: p.activation.unwrap_or_default(),
            interval_coverage: coverage,
        })
    }

    pub fn classification_config(&self) -> Result<ClassificationConfig> {
        let p = &self.model_config;
        Ok(ClassificationConfig {
            train: self.train_config()?,
            units: self.positive_int("units", p.units, DEFAULT_UNITS, MAX_UNITS)?,
            activation: p.activation.unwrap_or_default(),
            dropout: self.fraction("dropout", p.dropout, DEFAULT_CLASSIFICATION_DROPOUT, 1.0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn spec(v: serde_json::Value) -> Result<ModelSpec> {
        ModelSpec::from_json(v)
    }

    #[test]
    fn defaults_match_upstream() {
        let s = spec(json!({"name":"m","type":"regression","features":["a"],"target":"y"})).unwrap();
        let c = s.regression_config().unwrap();
        assert_eq!(c.train.epochs, 50);
        assert_eq!(c.train.batch_size, 32);
        assert_eq!(c.train.learning_rate, 0.01);
        assert_eq!(c.train.validation_split, 0.2);
        assert_eq!(c.polynomial, 1);
        assert_eq!(c.units, 64);
    }

    #[test]
    fn a_univariate_series_needs_no_features() {
        let s = spec(json!({"name":"m","type":"timeseries","features":[],"target":"y"})).unwrap();
        // One value per step (the target): 4 gates × 50 units × (1 + 50 + 1), then 50 → 25 → 1.
        assert_eq!(s.parameter_count().unwrap(), 4 * 50 * 52 + 50 * 25 + 25 + 25 + 1);
    }

    #[test]
    fn rejects_bad_configs_with_model_config_errors() {
        let bad = [
            json!({"name":"m","type":"banana","features":["a"],"target":"y"}),
            json!({"name":"m","type":"regression","features":[],"target":"y"}),
            json!({"name":"m","type":"regression","features":["a"]}),
            json!({"name":"m","type":"regression","features":["a"],"target":"y","modelConfig":{"polynomial":6}}),
            json!({"name":"m","type":"regression","features":["a"],"target":"y","modelConfig":{"polynomial":0}}),
            json!({"name":"m","type":"regression","features":["a"],"target":"y","modelConfig":{"epochs":0}}),
            json!({"name":"m","type":"classification","features":["a"],"target":"y","modelConfig":{"dropout":1.5}}),
            json!({"name":"m","type":"classification","features":["a"],"target":"y","modelConfig":{"activation":"swish"}}),
            json!({"name":"m","type":"timeseries","features":["a"],"target":"y","modelConfig":{"lookback":1}}),
            json!({"name":"m","type":"classification","features":[],"target":"y"}),
            json!({"name":"m","type":"neural-network","features":["a"],"target":"y","modelConfig":{"layers":[]}}),
            json!({"name":"m","type":"neural-network","features":["a"],"target":"y","modelConfig":{"layers":[{"units":0}]}}),
            json!({"name":"m","type":"neural-network","features":["a"],"target":"y","modelConfig":{"layers":[{"units":4,"activation":"gelu"}]}}),
            json!({"name":"m","type":"neural-network","features":["a"],"target":"y","modelConfig":{"outputActivation":"softmax","outputUnits":1}}),
            json!({"name":"m","type":"neural-network","features":["a"],"target":"y","modelConfig":{"loss":"categoricalCrossentropy"}}),
            json!({"name":"m","type":"neural-network","features":["a"],"target":"y","modelConfig":{"loss":"hinge"}}),
            json!({"name":"m","type":"regression","features":["a"],"target":"y","modelConfig":{"earlyStopping":{"monitor":"accuracy"}}}),
        ];
        for b in bad {
            let err = spec(b.clone()).unwrap_err();
            assert_eq!(err.kind, ErrorKind::ModelConfig, "{b}: {err}");
        }
    }
}

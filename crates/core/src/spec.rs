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

/// Defaults of the upstream MLPlugin (s3db-contract §5.3).
const DEFAULT_EPOCHS: usize = 50;
const DEFAULT_BATCH_SIZE: usize = 32;
const DEFAULT_LEARNING_RATE: f64 = 0.01;
const DEFAULT_VALIDATION_SPLIT: f64 = 0.2;
const DEFAULT_UNITS: usize = 64;
const DEFAULT_CLASSIFICATION_DROPOUT: f64 = 0.2;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_INTERVAL_COVERAGE: f64 = 0.9;
/// Polynomial expansion beyond this many terms is a configuration mistake, not a model.
pub const MAX_POLYNOMIAL_TERMS: usize = 4096;

impl ModelSpec {
    /// Parses and validates a spec; every problem is a `ModelConfigError` naming the model.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        let name = value
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("?")
            .to_string();
        let spec: ModelSpec = serde_json::from_value(value).map_err(|e| {
            Error::config(format!(
                "Model \"{name}\" has an invalid configuration: {e}"
            ))
            .with("modelName", name.clone())
        })?;
        spec.validate()?;
        Ok(spec)
    }

    fn fail(&self, message: impl Into<String>) -> Error {
        Error::config(format!("Model \"{}\": {}", self.name, message.into()))
            .with("modelName", self.name.clone())
    }

    pub fn validate(&self) -> Result<()> {
        if self.features.is_empty() {
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
            return Err(self.fail(format!(
                "target \"{}\" is also listed as a feature",
                self.target
            )));
        }
        match self.kind {
            ModelKind::Regression => self.regression_config().map(|_| ()),
            ModelKind::Classification => self.classification_config().map(|_| ()),
        }
    }

    fn positive_int(
        &self,
        key: &str,
        value: Option<f64>,
        default: usize,
        max: usize,
    ) -> Result<usize> {
        match value {
            None => Ok(default),
            Some(v) if v.fract() == 0.0 && v >= 1.0 && v <= max as f64 => Ok(v as usize),
            Some(v) => Err(self
                .fail(format!(
                    "`{key}` must be a whole number from 1 to {max}, got {v}"
                ))
                .with(key, v)),
        }
    }

    fn fraction(
        &self,
        key: &str,
        value: Option<f64>,
        default: f64,
        max_exclusive: f64,
    ) -> Result<f64> {
        match value {
            None => Ok(default),
            Some(v) if v.is_finite() && (0.0..max_exclusive).contains(&v) => Ok(v),
            Some(v) => Err(self
                .fail(format!(
                    "`{key}` must be at least 0 and below {max_exclusive}, got {v}"
                ))
                .with(key, v)),
        }
    }

    /// The effective `modelConfig` (defaults applied), as JavaScript will show it.
    pub fn resolved_model_config(&self) -> Result<serde_json::Value> {
        let value = match self.kind {
            ModelKind::Regression => serde_json::to_value(self.regression_config()?),
            ModelKind::Classification => serde_json::to_value(self.classification_config()?),
        };
        value.map_err(|e| self.fail(e.to_string()))
    }

    pub fn train_config(&self) -> Result<TrainConfig> {
        let p = &self.model_config;
        let learning_rate = match p.learning_rate {
            None => DEFAULT_LEARNING_RATE,
            Some(lr) if lr.is_finite() && lr > 0.0 && lr <= 10.0 => lr,
            Some(lr) => {
                return Err(self.fail(format!(
                    "`learningRate` must be above 0 and at most 10, got {lr}"
                )));
            }
        };
        let seed = match p.seed {
            None => DEFAULT_SEED,
            Some(s) if s.fract() == 0.0 && s >= 0.0 && s <= u32::MAX as f64 => s as u64,
            Some(s) => {
                return Err(self.fail(format!(
                    "`seed` must be a whole number from 0 to 2^32-1, got {s}"
                )));
            }
        };
        Ok(TrainConfig {
            epochs: self.positive_int("epochs", p.epochs, DEFAULT_EPOCHS, 100_000)?,
            batch_size: self.positive_int(
                "batchSize",
                p.batch_size,
                DEFAULT_BATCH_SIZE,
                1 << 20,
            )?,
            learning_rate,
            validation_split: self.fraction(
                "validationSplit",
                p.validation_split,
                DEFAULT_VALIDATION_SPLIT,
                1.0,
            )?,
            shuffle: p.shuffle.unwrap_or(true),
            seed,
        })
    }

    pub fn regression_config(&self) -> Result<RegressionConfig> {
        let p = &self.model_config;
        let polynomial = match p.polynomial {
            None => 1,
            Some(d) if d.fract() == 0.0 && (1.0..=5.0).contains(&d) => d as usize,
            Some(d) => {
                return Err(self
                    .fail(format!(
                        "`polynomial` must be a whole number from 1 (linear) to 5, got {d}"
                    ))
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
                return Err(self.fail(format!(
                    "`intervalCoverage` must be between 0 and 1, got {c}"
                )));
            }
        };
        Ok(RegressionConfig {
            train: self.train_config()?,
            polynomial,
            units: self.positive_int("units", p.units, DEFAULT_UNITS, 65_536)?,
            activation: p.activation.unwrap_or_default(),
            interval_coverage: coverage,
        })
    }

    pub fn classification_config(&self) -> Result<ClassificationConfig> {
        let p = &self.model_config;
        Ok(ClassificationConfig {
            train: self.train_config()?,
            units: self.positive_int("units", p.units, DEFAULT_UNITS, 65_536)?,
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
        let s =
            spec(json!({"name":"m","type":"regression","features":["a"],"target":"y"})).unwrap();
        let c = s.regression_config().unwrap();
        assert_eq!(c.train.epochs, 50);
        assert_eq!(c.train.batch_size, 32);
        assert_eq!(c.train.learning_rate, 0.01);
        assert_eq!(c.train.validation_split, 0.2);
        assert_eq!(c.polynomial, 1);
        assert_eq!(c.units, 64);
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
        ];
        for b in bad {
            let err = spec(b.clone()).unwrap_err();
            assert_eq!(err.kind, ErrorKind::ModelConfig, "{b}: {err}");
        }
    }
}

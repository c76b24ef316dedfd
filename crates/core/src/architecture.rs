//! Parameter counts of a configured model, known before it is trained, and the model-size cap
//! they are held to. The cap is checked when the model is configured (and, for classification,
//! again once training knows the number of labels), before anything is allocated: a network that
//! would need gigabytes is a `ModelConfigError`, not an allocation failure that aborts Node.

use crate::error::Result;
use crate::net::lstm::LstmSpec;
use crate::spec::{ModelKind, ModelSpec};
use crate::{classification, neural, polynomial, regression};

/// Trainable parameters a model may have unless `modelConfig.maxParameters` says otherwise:
/// ten million (about 160 MB of weights, gradients and optimizer state while training).
pub const DEFAULT_MAX_PARAMETERS: usize = 10_000_000;
/// The highest `maxParameters` accepted: a billion parameters already needs ~16 GB to train.
pub const MAX_PARAMETERS_LIMIT: usize = 1_000_000_000;
/// Values one training batch may hold in its widest layer (`batchSize` × units): 2^28, 1 GiB of f32.
pub const MAX_BATCH_ACTIVATIONS: usize = 1 << 28;

impl ModelSpec {
    /// The parameter cap of this model: `modelConfig.maxParameters`, or [`DEFAULT_MAX_PARAMETERS`].
    pub fn max_parameters(&self) -> Result<usize> {
        match self.model_config.max_parameters {
            None => Ok(DEFAULT_MAX_PARAMETERS),
            Some(m) if m.fract() == 0.0 && m >= 1.0 && m <= MAX_PARAMETERS_LIMIT as f64 => Ok(m as usize),
            Some(m) => Err(self.config_error(format!(
                "`maxParameters` must be a whole number from 1 to {MAX_PARAMETERS_LIMIT}, got {m}"
            ))),
        }
    }

    /// Rejects a network of `parameters` trainable parameters above the cap, or one whose widest
    /// layer (`width` units) times the batch size would not fit a training batch.
    pub fn check_size(&self, parameters: usize, width: usize, batch_size: usize) -> Result<()> {
        let cap = self.max_parameters()?;
        if parameters > cap {
            return Err(self
                .config_error(format!(
                    "the network has {parameters} trainable parameters, above the limit of {cap}; use fewer or smaller layers, or raise `maxParameters` (at most {MAX_PARAMETERS_LIMIT})"
                ))
                .with("parameters", parameters)
                .with("maxParameters", cap));
        }
        let activations = width.saturating_mul(batch_size);
        if activations > MAX_BATCH_ACTIVATIONS {
            return Err(self
                .config_error(format!(
                    "a batch of {batch_size} rows through a layer of {width} units holds {activations} values (limit {MAX_BATCH_ACTIVATIONS}); lower `batchSize` or the layer's units"
                ))
                .with("batchSize", batch_size));
        }
        Ok(())
    }

    /// Checks the configured network against the size cap (see [`ModelSpec::check_size`]).
    pub fn check_configured_size(&self) -> Result<()> {
        let (width, batch_size) = self.widest_layer_and_batch()?;
        self.check_size(self.parameter_count()?, width, batch_size)
    }

    fn widest_layer_and_batch(&self) -> Result<(usize, usize)> {
        let features = self.features.len();
        Ok(match self.kind {
            ModelKind::Regression => {
                let c = self.regression_config()?;
                let inputs = if c.polynomial > 1 { polynomial::term_count(features, c.polynomial) } else { features };
                (inputs.max(c.units), c.train.batch_size)
            }
            ModelKind::Classification => {
                let c = self.classification_config()?;
                (features.max(c.units), c.train.batch_size)
            }
            ModelKind::NeuralNetwork => {
                let c = self.neural_network_config()?;
                let widest = c.layers.iter().map(|l| l.units).chain([features, c.output_units]).max().unwrap_or(1);
                (widest, c.train.batch_size)
            }
            ModelKind::TimeSeries => {
                let c = self.timeseries_config()?;
                // Every step's gates are kept for back-propagation through time.
                let per_row = c.lookback.saturating_mul(4 * c.lstm_units + features + 1);
                (per_row.max(c.dense_units), c.train.batch_size)
            }
        })
    }

    /// Trainable parameters of the network this spec builds. Classification counts two labels
    /// until training reveals how many there are.
    pub fn parameter_count(&self) -> Result<usize> {
        let features = self.features.len();
        Ok(match self.kind {
            ModelKind::Regression => {
                let config = self.regression_config()?;
                let inputs =
                    if config.polynomial > 1 { polynomial::term_count(features, config.polynomial) } else { features };
                regression::network(&config, inputs).parameter_count()
            }
            ModelKind::Classification => {
                classification::network(&self.classification_config()?, features, 2).parameter_count()
            }
            ModelKind::NeuralNetwork => neural::network(&self.neural_network_config()?, features).parameter_count(),
            ModelKind::TimeSeries => {
                let config = self.timeseries_config()?;
                LstmSpec {
                    step_inputs: features + 1,
                    lookback: config.lookback,
                    hidden: config.lstm_units,
                    dense: config.dense_units,
                    dropout: config.dropout,
                    recurrent_dropout: config.recurrent_dropout,
                }
                .parameter_count()
            }
        })
    }
}

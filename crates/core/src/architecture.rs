//! Parameter counts of a configured model, known before it is trained.

use crate::error::Result;
use crate::net::lstm::LstmSpec;
use crate::spec::{ModelKind, ModelSpec};
use crate::{classification, neural, polynomial, regression};

impl ModelSpec {
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

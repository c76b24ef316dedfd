//! Regression: linear (`polynomial: 1`) or polynomial (2..5) over min-max normalised features.
//! The least-squares fit of the (expanded) features is computed exactly ([`crate::least_squares`]);
//! the hidden layers of a polynomial model learn only what it leaves over. Calibrated with
//! split-conformal intervals on held-out rows.

use crate::data::Rows;
use crate::device::ComputeDevice;
use crate::error::Result;
use crate::model::{Head, TrainedModel};
use crate::net::NetSpec;
use crate::spec::{ModelKind, ModelSpec, RegressionConfig};
use crate::tabular::{self, Plan, Targets};
use crate::train::{LossKind, TrainingObserver};

/// The network for a regression configuration over `inputs` (already expanded) columns:
/// a linear layer, or for polynomials one or two hidden layers of `units` (as upstream).
pub fn network(config: &RegressionConfig, inputs: usize) -> NetSpec {
    let act = config.activation;
    match config.polynomial {
        1 => NetSpec::mlp(inputs, &[], 1),
        2 => NetSpec::mlp(inputs, &[(config.units, act, 0.0)], 1),
        _ => NetSpec::mlp(inputs, &[(config.units, act, 0.0), ((config.units / 2).max(1), act, 0.0)], 1),
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
    let plan = Plan {
        kind: ModelKind::Regression,
        polynomial: config.polynomial,
        network: Box::new({
            let config = config.clone();
            move |inputs, _| network(&config, inputs)
        }),
        loss: LossKind::MeanSquaredError,
        head: Head::Value,
        train: config.train.clone(),
        coverage: config.interval_coverage,
        least_squares: true,
        logistic: false,
    };
    tabular::train(spec, plan, rows, Targets::Values(targets), device, observer)
}

//! s3db-ml core: the models, training loop, inference and metrics behind the s3db.js `MLPlugin`.
//!
//! This crate knows nothing of Node or napi. The binding (`src/` at the repository root) converts
//! JavaScript values into the types here and maps [`Error`] onto the named JavaScript error classes.
//!
//! Training runs on the native CPU engine ([`net::native`]) for dense networks and the LSTM, or
//! through Burn (wgpu on a real GPU; its `flex` CPU backend for batch normalisation); either way
//! the trained weights are then copied into a small, plain-Rust inference engine
//! ([`net::DenseWeights`]) so predictions are microseconds, identical on every backend, and
//! independent of device state.

pub mod architecture;
pub mod artifact;
pub mod classification;
pub mod data;
pub mod device;
pub mod diagnostics;
pub mod error;
pub mod explain;
pub mod importance;
pub mod integrity;
pub mod least_squares;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod net;
pub mod neural;
pub mod polynomial;
pub mod preparation;
pub mod regression;
pub mod rng;
pub mod spec;
pub mod store;
mod subnormal;
pub mod tabular;
pub mod timeseries;
pub mod train;

pub use device::{BackendChoice, ComputeDevice};
pub use error::{Error, ErrorKind, Result};
pub use model::{Prediction, PredictionBatch, TrainedModel};
pub use spec::{Activation, ModelKind, ModelSpec};
pub use train::{EpochStats, TrainingObserver};

#[cfg(test)]
mod artifact_fuzz;
#[cfg(test)]
mod tests;

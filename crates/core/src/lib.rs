//! s3db-ml core: the models, training loop, inference and metrics behind the s3db.js `MLPlugin`.
//!
//! This crate knows nothing of Node or napi. The binding (`src/` at the repository root) converts
//! JavaScript values into the types here and maps [`Error`] onto the named JavaScript error classes.
//!
//! Training runs through Burn (its `flex` CPU backend, or wgpu when a real GPU is present); the
//! trained weights are then copied into a small, plain-Rust inference engine ([`net::DenseWeights`])
//! so predictions are microseconds, identical on every backend, and independent of device state.

pub mod architecture;
pub mod artifact;
pub mod classification;
pub mod data;
pub mod device;
pub mod error;
pub mod metrics;
pub mod model;
pub mod net;
pub mod neural;
pub mod polynomial;
pub mod regression;
pub mod rng;
pub mod spec;
pub mod store;
pub mod tabular;
pub mod timeseries;
pub mod train;

pub use device::{BackendChoice, ComputeDevice};
pub use error::{Error, ErrorKind, Result};
pub use model::{Prediction, PredictionBatch, TrainedModel};
pub use spec::{Activation, ModelKind, ModelSpec};
pub use train::{EpochStats, TrainingObserver};

#[cfg(test)]
mod tests;

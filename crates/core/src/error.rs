//! One error type for the whole core, with a stable kind that the binding maps to a named
//! JavaScript class (`DataValidationError`, `ModelConfigError`, ...) and a JSON context whose keys
//! become properties of that error (`missingFeatures`, `samples`, `minimum`, ...).

use serde_json::{Map, Value};
use std::fmt;

/// What went wrong, in the terms of the s3db.js ML error classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The model definition is invalid (`ModelConfigError`, 400).
    ModelConfig,
    /// Input rows or values are unusable (`DataValidationError`, 422).
    DataValidation,
    /// Too few rows or classes to train (`InsufficientDataError`, 400).
    InsufficientData,
    /// Predicting with a model that has not been trained (`ModelNotTrainedError`, 409).
    ModelNotTrained,
    /// Training failed for a reason other than the data (`TrainingError`, 500).
    Training,
    /// Inference failed (`PredictionError`, 500).
    Prediction,
    /// The requested compute backend cannot be used (`ComputeBackendUnavailableError`).
    BackendUnavailable,
    /// Training was stopped by its caller.
    Aborted,
    /// Reading or writing a stored object failed (S3 unreachable, access denied...).
    Storage,
    /// A stored object that should exist does not.
    StorageNotFound,
}

impl ErrorKind {
    /// The stable code that crosses the napi boundary.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::ModelConfig => "E_MODEL_CONFIG",
            ErrorKind::DataValidation => "E_DATA_VALIDATION",
            ErrorKind::InsufficientData => "E_INSUFFICIENT_DATA",
            ErrorKind::ModelNotTrained => "E_MODEL_NOT_TRAINED",
            ErrorKind::Training => "E_TRAINING",
            ErrorKind::Prediction => "E_PREDICTION",
            ErrorKind::BackendUnavailable => "E_BACKEND_UNAVAILABLE",
            ErrorKind::Aborted => "E_ABORTED",
            ErrorKind::Storage => "E_STORAGE",
            ErrorKind::StorageNotFound => "E_STORAGE_NOT_FOUND",
        }
    }
}

/// An error with its kind, a message that says what to fix, and machine-readable context.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub context: Map<String, Value>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), context: Map::new() }
    }

    /// Adds a context key (camelCase, as JavaScript will see it).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.context.insert(key.to_string(), value.into());
        self
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ModelConfig, message)
    }

    pub fn data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::DataValidation, message)
    }

    pub fn training(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Training, message)
    }

    /// No object at `key` (the key as the store saw it, prefix included).
    pub fn not_found(key: &str) -> Self {
        Self::new(ErrorKind::StorageNotFound, format!("no stored object at {key}")).with("key", key)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for Error {}

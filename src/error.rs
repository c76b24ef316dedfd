//! Core errors and panics → `napi::Error` whose message carries the error code and context as JSON
//! behind a fixed tag. napi cannot attach custom properties to errors rejected from async work,
//! so the message is the one channel that survives both sync and async paths.

use s3db_ml_core::{Error, ErrorKind};
use serde_json::json;

/// Prefix the JavaScript layer looks for (`lib/errors.js`).
pub const ERROR_TAG: &str = "S3DBML_ERROR:";

pub fn to_napi(error: Error) -> napi::Error {
    let payload = json!({
        "code": error.kind.code(),
        "message": error.message,
        "context": error.context,
    });
    napi::Error::from_reason(format!("{ERROR_TAG}{payload}"))
}

/// A panic inside Burn or our code: reported, never allowed to take down the Node process.
pub fn from_panic(payload: Box<dyn std::any::Any + Send>, kind: ErrorKind, what: &str) -> Error {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(kind, format!("{what} failed inside the native engine: {detail}")).with("panic", detail)
}

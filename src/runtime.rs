//! Running work safely: on tokio's blocking pool for long jobs (so neither the JavaScript thread
//! nor libuv's small thread pool, which Node's file I/O needs, is held), and behind
//! `catch_unwind` everywhere, because Burn panics on shape errors and a panic must not abort Node.

use crate::error::from_panic;
use s3db_ml_core::{ErrorKind, Result};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f` on the calling thread, turning a panic into an error of `kind`.
pub fn guarded<T>(kind: ErrorKind, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(from_panic(p, kind, what)))
}

/// Runs `f` on the blocking pool; resolves with its result, or an error of `kind` if it panicked.
pub async fn blocking<T: Send + 'static>(
    kind: ErrorKind,
    what: &'static str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> napi::Result<T> {
    match napi::bindgen_prelude::spawn_blocking(move || guarded(kind, what, f)).await {
        Ok(result) => result.map_err(crate::error::to_napi),
        Err(join) => {
            Err(crate::error::to_napi(s3db_ml_core::Error::new(kind, format!("{what} could not finish: {join}"))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_of_the_given_kind() {
        let result: Result<()> = guarded(ErrorKind::Prediction, "prediction", || panic!("shape mismatch"));
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Prediction);
        assert!(error.message.contains("shape mismatch"), "{}", error.message);
    }
}

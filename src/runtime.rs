//! Running work safely: on tokio's blocking pool for long jobs (so neither the JavaScript thread
//! nor libuv's small thread pool, which Node's file I/O needs, is held), and behind
//! `catch_unwind` everywhere, because Burn panics on shape errors and a panic must not abort Node.

use crate::error::from_panic;
use s3db_ml_core::{ErrorKind, Result};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

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

/// Awaits `future` (storage I/O on napi's Tokio runtime), turning a panic while it is polled into
/// an error of `kind`: napi would reject with an untagged "Panic in async function" otherwise.
pub async fn guarded_async<T>(kind: ErrorKind, what: &str, future: impl Future<Output = Result<T>>) -> Result<T> {
    CatchUnwind(Box::pin(future)).await.unwrap_or_else(|p| Err(from_panic(p, kind, what)))
}

struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
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

    #[test]
    fn a_panicking_future_becomes_an_error_of_the_given_kind() {
        fn explode() -> Result<()> {
            panic!("socket gone")
        }
        let mut future = Box::pin(guarded_async(ErrorKind::Storage, "storing", async { explode() }));
        // It panics on its first poll, so one poll with a no-op waker settles it.
        let Poll::Ready(result) = future.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop())) else {
            panic!("a panicking future must be ready after one poll")
        };
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Storage);
        assert!(error.message.contains("socket gone"), "{}", error.message);
    }
}

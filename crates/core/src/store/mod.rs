//! Where stored models' bytes go: one interface, [`ObjectStore`], with two implementations. For a
//! database on real S3 the weights go straight to the bucket through aws-sdk-s3 ([`S3Store`]); for
//! the in-process `memory://` and `file://` databases the binding implements the trait by calling
//! back into the s3db.js client, since only that client can reach their storage.
//!
//! Keys are s3db.js keys, relative to the database's key prefix: every implementation stores an
//! object where `db.client.getObject(key)` finds it, so either side can read what the other wrote.

mod checksum;
mod key;
mod multipart;
mod request_log;
mod s3;

pub use checksum::StoredWeights;
pub use key::join_key;
pub use multipart::{MultipartPolicy, part_ranges};
pub use request_log::{RequestLog, SentRequest};
pub use s3::{FetchedObject, ListedPage, S3Config, S3Credentials, S3Store};

use crate::error::Result;
use std::future::Future;
use std::pin::Pin;

/// The future an [`ObjectStore`] call returns: boxed so that the trait stays object-safe (the
/// binding holds either store as `Arc<dyn ObjectStore>`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// How an object went up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutReceipt {
    pub bytes: usize,
    /// 1 for a single PutObject, the number of parts for a multipart upload.
    pub parts: usize,
}

/// Binary objects by s3db.js key. Errors are `Storage`, or `StorageNotFound` for a missing key.
pub trait ObjectStore: Send + Sync {
    /// Writes `bytes` at `key`, replacing what was there; nothing is left half-written on failure.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, PutReceipt>;

    /// The whole object at `key`.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Vec<u8>>;
}

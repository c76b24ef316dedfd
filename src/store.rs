//! `NativeStore`: where a model's weights are written and read, as a JavaScript object. Either
//! the bucket itself (aws-sdk-s3, for databases on S3) or the s3db.js client through callbacks
//! (for `memory://` and `file://`, whose storage only that client can reach). Both implement the
//! core's `ObjectStore`, so `model.saveTo` / `model.loadFrom` are the same code for every client.

use crate::error::to_napi;
use crate::runtime::guarded_async;
use napi::Status;
use napi::bindgen_prelude::PromiseRaw;
use napi::bindgen_prelude::{Buffer, FnArgs, Function, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use s3db_ml_core::store::{
    FetchedObject, ListedPage, MultipartPolicy, ObjectStore, PutReceipt, S3Config, S3Credentials, S3Store, SentRequest,
    StoreFuture,
};
use s3db_ml_core::{Error, ErrorKind};
use std::collections::HashMap;
use std::sync::Arc;

/// The S3 connection as the s3db.js client resolved it (`lib/weights-store.js` reads it from the
/// client's AWS SDK), plus the multipart sizes.
#[napi(object)]
pub struct S3StoreOptions {
    pub bucket: String,
    pub key_prefix: Option<String>,
    pub region: String,
    /// `http(s)://host[:port][/path]`; absent for AWS's own endpoint for the region.
    pub endpoint: Option<String>,
    pub force_path_style: Option<bool>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Objects of this many bytes or more go up in parts (default 8 MiB).
    pub multipart_threshold: Option<f64>,
    /// Bytes per part, at least 5 MiB (default 8 MiB).
    pub part_size: Option<f64>,
}

#[napi]
pub struct NativeStore {
    inner: Arc<dyn ObjectStore>,
    /// The same store when it is the bucket itself: it can also GET records for a bulk read.
    s3: Option<Arc<S3Store>>,
}

/// A GetObject's answer in the shape s3db.js decodes a record from (its AWS SDK's field names).
#[napi(object)]
pub struct StoredObject {
    pub metadata: HashMap<String, String>,
    pub body: Buffer,
    pub content_length: f64,
    pub content_type: Option<String>,
    pub e_tag: Option<String>,
    /// Milliseconds since the epoch.
    pub last_modified: Option<f64>,
    pub version_id: Option<String>,
    pub expiration: Option<String>,
}

/// One page of a key listing as parallel arrays (`keys[i]`, `eTags[i]`, ...).
#[napi(object)]
pub struct ListedKeys {
    pub keys: Vec<String>,
    pub e_tags: Vec<String>,
    /// Milliseconds since the epoch (NaN when S3 sent none).
    pub last_modified: Vec<f64>,
    pub sizes: Vec<f64>,
    /// The continuation token of the next page; absent on the last.
    pub next_token: Option<String>,
}

impl From<ListedPage> for ListedKeys {
    fn from(page: ListedPage) -> Self {
        Self {
            keys: page.keys,
            e_tags: page.e_tags,
            last_modified: page.last_modified_ms,
            sizes: page.sizes,
            next_token: page.next_token,
        }
    }
}

/// A request the store sent to S3 for `saveTo`/`loadFrom`, for JavaScript to announce on the
/// s3db.js client (lib/request-events.js).
#[napi(object)]
pub struct SentS3Request {
    /// The S3 operation (`PutObject`, `UploadPart`, `GetObject`, ...).
    pub operation: String,
    /// The whole key, with the database's key prefix.
    pub key: String,
    pub bytes_sent: f64,
    pub bytes_received: f64,
    pub succeeded: bool,
}

impl From<SentRequest> for SentS3Request {
    fn from(request: SentRequest) -> Self {
        Self {
            operation: request.operation.to_string(),
            key: request.key,
            bytes_sent: request.bytes_sent as f64,
            bytes_received: request.bytes_received as f64,
            succeeded: request.succeeded,
        }
    }
}

impl From<FetchedObject> for StoredObject {
    fn from(object: FetchedObject) -> Self {
        Self {
            metadata: object.metadata.into_iter().collect(),
            body: object.body.into(),
            content_length: object.content_length as f64,
            content_type: object.content_type,
            e_tag: object.e_tag,
            last_modified: object.last_modified_ms,
            version_id: object.version_id,
            expiration: object.expiration,
        }
    }
}

#[napi]
impl NativeStore {
    /// Weights straight to the bucket with aws-sdk-s3.
    #[napi(factory)]
    pub fn s3(options: S3StoreOptions) -> napi::Result<Self> {
        let defaults = MultipartPolicy::default();
        let size = |value: Option<f64>, default: usize, name: &str| match value {
            None => Ok(default),
            Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 => Ok(v as usize),
            Some(v) => Err(Error::config(format!("storage {name} must be a whole number of bytes, got {v}"))),
        };
        let multipart = size(options.multipart_threshold, defaults.threshold, "multipartThreshold")
            .and_then(|threshold| Ok((threshold, size(options.part_size, defaults.part_size, "partSize")?)))
            .and_then(|(threshold, part_size)| MultipartPolicy::new(threshold, part_size))
            .map_err(to_napi)?;
        let config = S3Config {
            bucket: options.bucket,
            key_prefix: options.key_prefix.unwrap_or_default(),
            region: options.region,
            endpoint: options.endpoint.filter(|e| !e.is_empty()),
            force_path_style: options.force_path_style.unwrap_or(false),
            credentials: S3Credentials {
                access_key_id: options.access_key_id,
                secret_access_key: options.secret_access_key,
                session_token: options.session_token.filter(|t| !t.is_empty()),
            },
            multipart,
        };
        // The SDK's HTTP client may look for a Tokio runtime while it is built.
        let store = Arc::new(napi::bindgen_prelude::within_runtime_if_available(|| S3Store::new(config)));
        Ok(Self { inner: store.clone(), s3: Some(store) })
    }

    /// True when this store GETs from the bucket itself (`getObject` is available).
    #[napi(getter)]
    pub fn reads_bucket(&self) -> bool {
        self.s3.is_some()
    }

    /// The S3 requests sent for `saveTo`/`loadFrom` since the last call, oldest first (none on a
    /// store that writes through the s3db.js client, which announces its own).
    #[napi]
    pub fn take_requests(&self) -> Vec<SentS3Request> {
        self.s3
            .as_ref()
            .map(|store| store.take_requests().into_iter().map(SentS3Request::from).collect())
            .unwrap_or_default()
    }

    /// One ListObjectsV2 page of the keys under `prefix`, a whole key prefix (this store's own is
    /// not added), after `startAfter` or from `continuationToken`, at most `maxKeys` (1 to 1000).
    /// Only on a store built with `s3()`; the XML is parsed on the native runtime's threads.
    #[napi(ts_return_type = "Promise<ListedKeys>")]
    pub fn list_page<'env>(
        &self,
        env: &'env napi::Env,
        prefix: String,
        start_after: Option<String>,
        continuation_token: Option<String>,
        max_keys: u32,
    ) -> napi::Result<PromiseRaw<'env, ListedKeys>> {
        let Some(store) = self.s3.clone() else {
            return Err(to_napi(Error::config("listPage needs a store built with NativeStore.s3()")));
        };
        let max_keys = max_keys.clamp(1, 1000) as i32;
        env.spawn_future(async move {
            let page = guarded_async(
                ErrorKind::Storage,
                "listing keys",
                store.list_page(&prefix, start_after, continuation_token, max_keys),
            )
            .await
            .map_err(to_napi)?;
            Ok(ListedKeys::from(page))
        })
    }

    /// The object at `key` with its metadata and headers, or `null` when there is none. Only on a
    /// store built with `s3()`: the HTTP work runs on the native runtime's threads, off Node's.
    #[napi(ts_return_type = "Promise<StoredObject | null>")]
    pub fn get_object<'env>(
        &self,
        env: &'env napi::Env,
        key: String,
    ) -> napi::Result<PromiseRaw<'env, Option<StoredObject>>> {
        let Some(store) = self.s3.clone() else {
            return Err(to_napi(Error::config("getObject needs a store built with NativeStore.s3()")));
        };
        env.spawn_future(async move {
            let fetched =
                guarded_async(ErrorKind::Storage, "reading an object", store.fetch(&key)).await.map_err(to_napi)?;
            Ok(fetched.map(StoredObject::from))
        })
    }

    /// Stores `body` at `key` (this store's key prefix added), as the weights are stored: the
    /// upload runs on the native runtime's threads, off Node's. Only on a store built with `s3()`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_object<'env>(
        &self,
        env: &'env napi::Env,
        key: String,
        body: Buffer,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let Some(store) = self.s3.clone() else {
            return Err(to_napi(Error::config("putObject needs a store built with NativeStore.s3()")));
        };
        let bytes = body.to_vec();
        env.spawn_future(async move {
            guarded_async(ErrorKind::Storage, "writing an object", store.put(&key, bytes)).await.map_err(to_napi)?;
            Ok(())
        })
    }

    /// Weights through the s3db.js client: `put(key, buffer)` resolves when stored; `get(key)`
    /// resolves with the object's bytes, or `null` when there is none.
    #[napi(factory)]
    pub fn js_client(
        #[napi(ts_arg_type = "(key: string, bytes: Buffer) => Promise<void>")] put: Function<
            '_,
            FnArgs<(String, Buffer)>,
            Promise<()>,
        >,
        #[napi(ts_arg_type = "(key: string) => Promise<Buffer | null>")] get: Function<
            '_,
            String,
            Promise<Option<Buffer>>,
        >,
    ) -> napi::Result<Self> {
        // Weak: a store cached by the plugin must not keep Node's event loop alive on its own.
        let put = put.build_threadsafe_function::<FnArgs<(String, Buffer)>>().weak::<true>().build()?;
        let get = get.build_threadsafe_function::<String>().weak::<true>().build()?;
        Ok(Self { inner: Arc::new(JsClientStore { put, get }), s3: None })
    }
}

impl NativeStore {
    pub fn shared(&self) -> Arc<dyn ObjectStore> {
        self.inner.clone()
    }
}

type PutFn = ThreadsafeFunction<FnArgs<(String, Buffer)>, Promise<()>, FnArgs<(String, Buffer)>, Status, false, true>;
type GetFn = ThreadsafeFunction<String, Promise<Option<Buffer>>, String, Status, false, true>;

/// `ObjectStore` on the s3db.js client: each call runs the JavaScript callback on the JavaScript
/// thread and awaits the Promise it returns, so Rust waits without blocking Node.
struct JsClientStore {
    put: PutFn,
    get: GetFn,
}

impl ObjectStore for JsClientStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, PutReceipt> {
        Box::pin(async move {
            let len = bytes.len();
            let pending = self
                .put
                .call_async_catch((key.to_string(), Buffer::from(bytes)).into())
                .await
                .map_err(|e| js_error("write", key, e))?;
            pending.await.map_err(|e| js_error("write", key, e))?;
            Ok(PutReceipt { bytes: len, parts: 1 })
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let pending = self.get.call_async_catch(key.to_string()).await.map_err(|e| js_error("read", key, e))?;
            match pending.await.map_err(|e| js_error("read", key, e))? {
                Some(bytes) => Ok(bytes.to_vec()),
                None => Err(Error::not_found(key)),
            }
        })
    }
}

fn js_error(action: &str, key: &str, error: napi::Error) -> Error {
    Error::new(ErrorKind::Storage, format!("the s3db.js client could not {action} {key}: {}", error.reason))
        .with("key", key)
}

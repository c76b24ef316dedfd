//! [`ObjectStore`] on S3 through aws-sdk-s3: the weights of a model on an S3 database go from Rust
//! straight to the bucket, without crossing into JavaScript. Everything the SDK needs (region,
//! endpoint, path style, credentials) is what the s3db.js client resolved; no AWS config files or
//! environment are read here, so both clients always talk to the same place as the same identity.

use super::multipart::MultipartPolicy;
use super::request_log::{RequestLog, SentRequest};
use super::{ObjectStore, PutReceipt, StoreFuture, join_key};
use crate::error::{Error, ErrorKind, Result};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use bytes::Bytes;

const CONTENT_TYPE: &str = "application/octet-stream";

/// Credentials as the s3db.js client's AWS SDK resolved them.
#[derive(Debug, Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Where and as whom to connect (s3db-contract §4.1).
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// The database's key prefix; joined with every key as s3db.js joins it.
    pub key_prefix: String,
    pub region: String,
    /// `None` lets the SDK derive the AWS endpoint from the region.
    pub endpoint: Option<String>,
    pub force_path_style: bool,
    pub credentials: S3Credentials,
    pub multipart: MultipartPolicy,
}

pub struct S3Store {
    client: Client,
    bucket: String,
    key_prefix: String,
    multipart: MultipartPolicy,
    /// The requests of `ObjectStore` calls, for the binding to announce (see request_log.rs).
    requests: RequestLog,
}

impl S3Store {
    pub fn new(config: S3Config) -> Self {
        let S3Credentials { access_key_id, secret_access_key, session_token } = config.credentials;
        // Expiry is left to the JavaScript side, which rebuilds the store before the s3db.js
        // client's credentials expire.
        let credentials = Credentials::new(access_key_id, secret_access_key, session_token, None, "s3db.js");
        let mut builder = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region))
            .credentials_provider(credentials)
            .force_path_style(config.force_path_style)
            // Integrity is the version record's SHA-256 (and SigV4's payload hash); the SDK's
            // optional CRC trailers (aws-chunked bodies) are what S3-compatible servers most
            // often get wrong.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            // The SDK's own hyper + rustls client, named here because it is built on ring
            // rather than the SDK's default aws-lc (see Cargo.toml).
            .http_client(
                aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https(),
            );
        if let Some(endpoint) = config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket,
            key_prefix: config.key_prefix,
            multipart: config.multipart,
            requests: RequestLog::default(),
        }
    }

    /// The requests sent for `put` and `get` since the last call (record GETs and key listings,
    /// which the binding calls directly, are announced by their caller).
    pub fn take_requests(&self) -> Vec<SentRequest> {
        self.requests.take()
    }

    fn sent(&self, operation: &'static str, key: &str, bytes_sent: usize, bytes_received: usize, succeeded: bool) {
        self.requests.record(SentRequest {
            operation,
            key: key.to_string(),
            bytes_sent: bytes_sent as u64,
            bytes_received: bytes_received as u64,
            succeeded,
        });
    }

    async fn put_single(&self, key: &str, bytes: Bytes) -> Result<PutReceipt> {
        let len = bytes.len();
        let sent = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(CONTENT_TYPE)
            .body(ByteStream::from(bytes))
            .send()
            .await;
        self.sent("PutObject", key, len, 0, sent.is_ok());
        sent.map_err(|e| s3_error("PutObject", key, e))?;
        Ok(PutReceipt { bytes: len, parts: 1 })
    }

    /// Create, upload every part, complete; any failure aborts the upload so that S3 keeps no
    /// orphaned parts and the key keeps its previous object (or none).
    async fn put_multipart(&self, key: &str, bytes: Bytes) -> Result<PutReceipt> {
        let created =
            self.client.create_multipart_upload().bucket(&self.bucket).key(key).content_type(CONTENT_TYPE).send().await;
        self.sent("CreateMultipartUpload", key, 0, 0, created.is_ok());
        let created = created.map_err(|e| s3_error("CreateMultipartUpload", key, e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| Error::new(ErrorKind::Storage, format!("S3 started no multipart upload for {key}")))?
            .to_string();
        match self.upload_parts(key, &upload_id, &bytes).await {
            Ok(parts) => Ok(PutReceipt { bytes: bytes.len(), parts }),
            Err(error) => {
                // Best effort: the upload's own error is the one worth reporting.
                let aborted = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                self.sent("AbortMultipartUpload", key, 0, 0, aborted.is_ok());
                Err(error)
            }
        }
    }

    async fn upload_parts(&self, key: &str, upload_id: &str, bytes: &Bytes) -> Result<usize> {
        let ranges = self.multipart.parts(bytes.len());
        let mut completed = Vec::with_capacity(ranges.len());
        // One part at a time: a model is uploaded once per training, and sequential parts keep
        // memory at one extra part rather than all of them in flight.
        for (index, range) in ranges.into_iter().enumerate() {
            let number = index as i32 + 1;
            let len = range.len();
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(bytes.slice(range)))
                .send()
                .await;
            self.sent("UploadPart", key, len, 0, part.is_ok());
            let part = part.map_err(|e| s3_error("UploadPart", key, e))?;
            completed
                .push(CompletedPart::builder().set_e_tag(part.e_tag().map(str::to_string)).part_number(number).build());
        }
        let parts = completed.len();
        let finished = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
            .send()
            .await;
        self.sent("CompleteMultipartUpload", key, 0, 0, finished.is_ok());
        finished.map_err(|e| s3_error("CompleteMultipartUpload", key, e))?;
        Ok(parts)
    }
}

/// One object as a GetObject answers it: what s3db.js decodes a record from (its fields live in
/// the object's metadata, any overflow in the body). Header values are kept exactly as sent.
#[derive(Debug, Clone, Default)]
pub struct FetchedObject {
    /// User metadata (`x-amz-meta-*`), keys without the prefix, in lower case as HTTP gives them.
    pub metadata: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub content_length: i64,
    pub content_type: Option<String>,
    pub e_tag: Option<String>,
    /// Last-Modified in milliseconds since the epoch (whole seconds: HTTP dates have no more).
    pub last_modified_ms: Option<f64>,
    pub version_id: Option<String>,
    pub expiration: Option<String>,
}

impl S3Store {
    /// The object at `key` (relative to the key prefix) with its metadata and headers, or `None`
    /// when there is none: how weights are read ([`ObjectStore::get`]), and how a bulk read GETs
    /// records without the JavaScript SDK's per-request cost, leaving their decoding to s3db.js.
    pub async fn fetch(&self, key: &str) -> Result<Option<FetchedObject>> {
        let key = join_key(&self.key_prefix, key);
        let object = match self.client.get_object().bucket(&self.bucket).key(&key).send().await {
            Ok(object) => object,
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_no_such_key())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(s3_error("GetObject", &key, e)),
        };
        let metadata =
            object.metadata().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        let fetched = FetchedObject {
            metadata,
            content_length: object.content_length().unwrap_or(0),
            content_type: object.content_type().map(str::to_string),
            e_tag: object.e_tag().map(str::to_string),
            last_modified_ms: object.last_modified().and_then(|t| t.to_millis().ok()).map(|ms| ms as f64),
            version_id: object.version_id().map(str::to_string),
            expiration: object.expiration().map(str::to_string),
            body: Vec::new(),
        };
        let body = object.body.collect().await.map_err(|e| {
            Error::new(ErrorKind::Storage, format!("reading {key} from S3 failed: {e}")).with("key", key.clone())
        })?;
        Ok(Some(FetchedObject { body: body.into_bytes().to_vec(), ..fetched }))
    }
}

/// One ListObjectsV2 page as parallel columns (no struct per object): what a bulk read needs to
/// diff the records against a snapshot.
#[derive(Debug, Clone, Default)]
pub struct ListedPage {
    /// Whole keys, with the store's key prefix.
    pub keys: Vec<String>,
    /// ETags as S3 sends them (with their quotes).
    pub e_tags: Vec<String>,
    /// LastModified in milliseconds since the epoch.
    pub last_modified_ms: Vec<f64>,
    pub sizes: Vec<f64>,
    /// The token for the next page; `None` on the last.
    pub next_token: Option<String>,
}

impl S3Store {
    /// One page of the keys under `prefix` (a whole key prefix: the store's own is not added, the
    /// caller lists exactly what the s3db.js client lists), after `start_after` or from
    /// `continuation_token`, at most `max_keys`.
    pub async fn list_page(
        &self,
        prefix: &str,
        start_after: Option<String>,
        continuation_token: Option<String>,
        max_keys: i32,
    ) -> Result<ListedPage> {
        let page = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_start_after(start_after)
            .set_continuation_token(continuation_token)
            .max_keys(max_keys)
            .send()
            .await
            .map_err(|e| s3_error("ListObjectsV2", prefix, e))?;
        let mut out = ListedPage::default();
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            out.keys.push(key.to_string());
            out.e_tags.push(object.e_tag().unwrap_or_default().to_string());
            out.last_modified_ms
                .push(object.last_modified().and_then(|t| t.to_millis().ok()).map_or(f64::NAN, |ms| ms as f64));
            out.sizes.push(object.size().map_or(f64::NAN, |size| size as f64));
        }
        if page.is_truncated() == Some(true) {
            out.next_token = page.next_continuation_token().map(str::to_string);
        }
        Ok(out)
    }
}

impl ObjectStore for S3Store {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, PutReceipt> {
        Box::pin(async move {
            let key = join_key(&self.key_prefix, key);
            let bytes = Bytes::from(bytes);
            if self.multipart.is_multipart(bytes.len()) {
                self.put_multipart(&key, bytes).await
            } else {
                self.put_single(&key, bytes).await
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let whole_key = join_key(&self.key_prefix, key);
            let fetched = self.fetch(key).await;
            let received = fetched.as_ref().ok().and_then(Option::as_ref).map_or(0, |object| object.body.len());
            self.sent("GetObject", &whole_key, 0, received, matches!(fetched, Ok(Some(_))));
            match fetched? {
                Some(object) => Ok(object.body),
                None => Err(Error::not_found(&whole_key)),
            }
        })
    }
}

/// An SDK error as a `Storage` error with a one-line message: what failed and why, in S3's terms
/// (`NoSuchBucket (HTTP 404)`) or, when S3 never answered, the innermost cause (`Connection
/// refused`). The S3 error code and HTTP status are context, and the SDK's whole cause chain, which
/// spans lines of debug output, is kept as `detail`.
fn s3_error<E>(operation: &str, key: &str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = error.code().map(str::to_string);
    let status = error.raw_response().map(|r| r.status().as_u16());
    let reason = match (&code, status) {
        (Some(code), Some(status)) => format!("{code} (HTTP {status})"),
        (Some(code), None) => code.clone(),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => root_cause(&error),
    };
    let mut out = Error::new(ErrorKind::Storage, format!("S3 {operation} of {key} failed: {reason}"))
        .with("operation", operation)
        .with("key", key)
        .with("detail", DisplayErrorContext(&error).to_string());
    if let Some(code) = code {
        out = out.with("s3Code", code);
    }
    if let Some(status) = status {
        out = out.with("httpStatus", status);
    }
    out
}

/// The innermost error of a cause chain, on one line (`Connection refused (os error 111)`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let text = inner.to_string();
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("unknown error");
    line.chars().take(200).collect()
}

//! The S3 requests a store sent for its [`ObjectStore`](super::ObjectStore) calls, kept until the
//! binding takes them. The s3db.js client announces every request it sends (`cl:request`,
//! `cl:response`), and plugins such as its CostsPlugin count them to estimate the bill; requests
//! sent from Rust would be invisible to them unless announced the same way, from JavaScript.

use std::sync::Mutex;

/// One request as sent: the S3 operation, its whole key and the body bytes each way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRequest {
    /// The S3 operation's name (`PutObject`, `UploadPart`, `GetObject`, ...).
    pub operation: &'static str,
    /// The whole key, with the store's key prefix.
    pub key: String,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// False when S3 answered with an error or never answered.
    pub succeeded: bool,
}

/// Requests not yet taken. The binding takes them after each store call, so the log holds the
/// requests of the calls in flight, a handful; past `CAPACITY` (nobody taking them) the oldest are
/// dropped rather than growing without bound.
#[derive(Debug, Default)]
pub struct RequestLog {
    sent: Mutex<Vec<SentRequest>>,
}

const CAPACITY: usize = 10_000;

impl RequestLog {
    pub fn record(&self, request: SentRequest) {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        if sent.len() >= CAPACITY {
            sent.remove(0);
        }
        sent.push(request);
    }

    /// Every request recorded since the last call, oldest first.
    pub fn take(&self) -> Vec<SentRequest> {
        std::mem::take(&mut *self.sent.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: u64) -> SentRequest {
        SentRequest { operation: "PutObject", key: format!("k{n}"), bytes_sent: n, bytes_received: 0, succeeded: true }
    }

    #[test]
    fn take_empties_the_log_in_order() {
        let log = RequestLog::default();
        log.record(request(1));
        log.record(request(2));
        assert_eq!(log.take(), vec![request(1), request(2)]);
        assert!(log.take().is_empty());
    }

    #[test]
    fn an_untaken_log_keeps_only_the_newest() {
        let log = RequestLog::default();
        for n in 0..(CAPACITY as u64 + 5) {
            log.record(request(n));
        }
        let kept = log.take();
        assert_eq!(kept.len(), CAPACITY);
        assert_eq!(kept[0], request(5));
    }
}

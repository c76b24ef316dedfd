//! Size and SHA-256 of stored weights: recorded when a version is saved, checked before a load
//! trusts the bytes (a truncated or replaced object must not become the serving model).

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// What the version record says about its weights object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWeights {
    pub bytes: usize,
    /// Lower-case hex, as Node's `createHash('sha256').digest('hex')` writes it.
    pub sha256: String,
}

impl StoredWeights {
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let mut sha256 = String::with_capacity(64);
        for byte in digest {
            let _ = write!(sha256, "{byte:02x}");
        }
        Self { bytes: bytes.len(), sha256 }
    }

    /// Fails with `DataValidation` unless `bytes` are exactly the recorded ones.
    pub fn verify(&self, key: &str, bytes: &[u8]) -> Result<()> {
        // The size first: cheap, and it explains a truncated object better than a hash.
        if bytes.len() != self.bytes {
            return Err(Error::data(format!(
                "the stored weights at {key} are damaged: {} bytes, the version record says {}",
                bytes.len(),
                self.bytes
            ))
            .with("key", key));
        }
        let actual = Self::of(bytes);
        if !actual.sha256.eq_ignore_ascii_case(&self.sha256) {
            return Err(
                Error::data(format!("the stored weights at {key} are damaged: their SHA-256 differs")).with("key", key)
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_like_node_and_rejects_other_bytes() {
        let stored = StoredWeights::of(b"abc");
        assert_eq!(stored.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(stored.verify("k", b"abc").is_ok());
        assert!(stored.verify("k", b"abd").unwrap_err().message.contains("SHA-256"));
        assert!(stored.verify("k", b"ab").unwrap_err().message.contains("2 bytes"));
    }
}

//! When an object goes up in parts, and how it is cut. Pure arithmetic, kept apart from the S3
//! calls so that it can be tested without a server.

use crate::error::{Error, Result};
use std::ops::Range;

/// S3's smallest part (every part but the last).
pub const MIN_PART_BYTES: usize = 5 << 20;
/// S3's largest number of parts in one upload.
pub const MAX_PARTS: usize = 10_000;

/// Objects of `threshold` bytes or more go up as a multipart upload in parts of `part_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartPolicy {
    pub threshold: usize,
    pub part_size: usize,
}

impl Default for MultipartPolicy {
    /// 8 MiB: one request for every small model; parts only where they pay off (retries of one
    /// part, no 5 GiB single-request ceiling).
    fn default() -> Self {
        Self { threshold: 8 << 20, part_size: 8 << 20 }
    }
}

impl MultipartPolicy {
    /// Rejects sizes S3 would refuse: parts below 5 MiB, or a threshold below one part (which
    /// would send a multipart upload of a single undersized part for nothing).
    pub fn new(threshold: usize, part_size: usize) -> Result<Self> {
        if part_size < MIN_PART_BYTES {
            return Err(Error::config(format!(
                "storage partSize must be at least {MIN_PART_BYTES} bytes (S3's minimum part), got {part_size}"
            )));
        }
        if threshold < part_size {
            return Err(Error::config(format!(
                "storage multipartThreshold ({threshold}) must be at least partSize ({part_size})"
            )));
        }
        Ok(Self { threshold, part_size })
    }

    pub fn is_multipart(&self, len: usize) -> bool {
        len >= self.threshold
    }

    /// The parts of an object of `len` bytes: `part_size` each, grown where needed to stay within
    /// S3's 10 000 parts.
    pub fn parts(&self, len: usize) -> Vec<Range<usize>> {
        let part_size = self.part_size.max(len.div_ceil(MAX_PARTS));
        part_ranges(len, part_size)
    }
}

/// Consecutive byte ranges of `part_size` covering `0..len`; the last one holds the remainder.
pub fn part_ranges(len: usize, part_size: usize) -> Vec<Range<usize>> {
    assert!(part_size > 0, "part_size must be positive");
    (0..len).step_by(part_size).map(|start| start..(start + part_size).min(len)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn ranges_cover_the_object_with_a_short_last_part() {
        assert_eq!(part_ranges(12 * MIB + 3, 5 * MIB), vec![0..5 * MIB, 5 * MIB..10 * MIB, 10 * MIB..12 * MIB + 3]);
        assert_eq!(part_ranges(10 * MIB, 5 * MIB), vec![0..5 * MIB, 5 * MIB..10 * MIB]);
        assert_eq!(part_ranges(1, 5 * MIB), vec![0..1]);
        assert!(part_ranges(0, 5 * MIB).is_empty());
    }

    #[test]
    fn threshold_decides_single_or_multipart() {
        let policy = MultipartPolicy::new(5 * MIB, 5 * MIB).unwrap();
        assert!(!policy.is_multipart(5 * MIB - 1));
        assert!(policy.is_multipart(5 * MIB));
        assert!(!MultipartPolicy::default().is_multipart(8 * MIB - 1));
    }

    #[test]
    fn huge_objects_stay_within_ten_thousand_parts() {
        let policy = MultipartPolicy::new(5 * MIB, 5 * MIB).unwrap();
        let len = 60_000 * MIB;
        let parts = policy.parts(len);
        assert!(parts.len() <= MAX_PARTS, "{}", parts.len());
        assert_eq!(parts.last().unwrap().end, len);
        assert!(parts[..parts.len() - 1].iter().all(|p| p.len() >= MIN_PART_BYTES));
    }

    #[test]
    fn sizes_s3_would_refuse_are_config_errors() {
        assert!(MultipartPolicy::new(8 * MIB, MIB).is_err());
        assert!(MultipartPolicy::new(5 * MIB, 6 * MIB).is_err());
    }
}

//! Limits on untrusted input, and what a file's path says about its records.

use crate::s3path;
use std::path::{Path, PathBuf};

/// Caps that keep hostile input from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Records larger than this are skipped (`record_too_large`). CloudTrail's own records are
    /// at most 256 KB.
    pub max_record_bytes: usize,
    /// Bytes one file may decompress to (or be, uncompressed) before it is skipped.
    pub max_decompressed_bytes: u64,
}

impl Limits {
    pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;
    pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 1 << 30;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: Self::DEFAULT_MAX_RECORD_BYTES,
            max_decompressed_bytes: Self::DEFAULT_MAX_DECOMPRESSED_BYTES,
        }
    }
}

/// What the pure parsers know about the bytes they are given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileContext {
    /// For skip locations only.
    pub path: Option<PathBuf>,
    /// The account of the S3 layout (`AWSLogs/<acct>/CloudTrail/...`): the last fallback for a
    /// record's account.
    pub account: Option<String>,
    /// The region of the S3 layout: the fallback when a record has no `awsRegion`.
    pub region: Option<String>,
    pub max_record_bytes: usize,
}

impl FileContext {
    /// A context for bytes that come from nowhere in particular.
    pub fn new(limits: &Limits) -> Self {
        FileContext {
            max_record_bytes: limits.max_record_bytes,
            ..FileContext::default()
        }
    }

    /// The context of a file, with account and region read from its S3-layout path if it has one.
    pub fn for_path(path: &Path, limits: &Limits) -> Self {
        let info = s3path::path_info(path);
        FileContext {
            path: Some(path.to_path_buf()),
            account: info.account,
            region: info.region,
            max_record_bytes: limits.max_record_bytes,
        }
    }
}

//! File I/O at the edge: read a file (through a cap, inflating gzip by its magic bytes) and hand
//! the bytes to the pure parsers.

use crate::cloudtrail::{ParseOutcome, parse_cloudtrail};
use crate::host_format::parse_host_any;
use crate::limits::{FileContext, Limits};
use crate::reason::{Location, Skip, SkipReason};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use vigil_model::Event;

/// What reading one file produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FileOutcome {
    pub events: Vec<Event>,
    pub skips: Vec<Skip>,
    /// Bytes read from disk (compressed size for gzip).
    pub bytes_read: u64,
    /// Records seen, good or bad.
    pub records: u64,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How a capped read ended.
#[derive(Debug)]
pub enum ReadEnd {
    Complete,
    /// More than the cap was available.
    LimitExceeded,
    /// An error after the bytes returned so far.
    Error(io::Error),
}

/// Reads at most `cap` bytes (and notices if there are more). Bytes read before an error are
/// returned with it.
pub fn read_capped(mut r: impl Read, cap: u64) -> (Vec<u8>, ReadEnd) {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => return (buf, ReadEnd::Complete),
            Ok(n) => {
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                if buf.len() as u64 > cap {
                    buf.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
                    return (buf, ReadEnd::LimitExceeded);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (buf, ReadEnd::Error(e)),
        }
    }
}

/// A file's content, inflated if it is gzip, with the file-level skips that reading caused.
/// `None` content means nothing is worth parsing.
fn load(path: &Path, limits: &Limits) -> (Option<Vec<u8>>, Vec<Skip>, u64) {
    let loc = || Location {
        path: Some(path.to_path_buf()),
        ..Location::default()
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return (
                None,
                vec![Skip::new(SkipReason::Unreadable, loc(), e.to_string())],
                0,
            );
        }
    };
    let cap = limits.max_decompressed_bytes;
    // The raw bytes are capped too; gzip inflates by at most ~1000x, so this bounds both.
    let (raw, end) = read_capped(file, cap);
    let size = raw.len() as u64;
    match end {
        ReadEnd::Complete => {}
        ReadEnd::LimitExceeded => {
            let s = Skip::new(SkipReason::FileTooLarge, loc(), format!("over {cap} bytes"));
            return (None, vec![s], size);
        }
        ReadEnd::Error(e) => {
            return (
                None,
                vec![Skip::new(SkipReason::Unreadable, loc(), e.to_string())],
                size,
            );
        }
    }
    if !raw.starts_with(&GZIP_MAGIC) {
        return (Some(raw), Vec::new(), size);
    }
    let (inflated, end) = read_capped(MultiGzDecoder::new(raw.as_slice()), cap);
    match end {
        ReadEnd::Complete => (Some(inflated), Vec::new(), size),
        ReadEnd::LimitExceeded => {
            let s = Skip::new(
                SkipReason::DecompressionLimit,
                loc(),
                format!("inflates past {cap} bytes"),
            );
            (None, vec![s], size)
        }
        ReadEnd::Error(e) => {
            let s = Skip::new(
                SkipReason::TruncatedGzip,
                loc(),
                format!(
                    "{e}; kept {} bytes inflated before the error",
                    inflated.len()
                ),
            );
            (Some(inflated), vec![s], size)
        }
    }
}

fn read_with(
    path: &Path,
    limits: &Limits,
    parse: impl FnOnce(&[u8], &FileContext) -> ParseOutcome,
) -> FileOutcome {
    let (content, mut skips, bytes_read) = load(path, limits);
    let Some(content) = content else {
        return FileOutcome {
            skips,
            bytes_read,
            ..FileOutcome::default()
        };
    };
    let ctx = FileContext::for_path(path, limits);
    let parsed = parse(&content, &ctx);
    skips.extend(parsed.skips);
    FileOutcome {
        events: parsed.events,
        skips,
        bytes_read,
        records: parsed.records,
    }
}

/// Reads one CloudTrail file (any shape, plain or gzip).
pub fn read_cloudtrail_file(path: &Path, limits: &Limits) -> FileOutcome {
    read_with(path, limits, parse_cloudtrail)
}

/// Reads one file of host events, plain or gzip: the agent's JSON lines, Falco JSON alerts or
/// an audit log (the format is sniffed from the content, see [`crate::sniff_host_format`]).
pub fn read_host_file(path: &Path, limits: &Limits) -> FileOutcome {
    read_with(path, limits, parse_host_any)
}

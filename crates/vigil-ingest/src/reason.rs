//! Why a record, line or file was skipped or ignored, and where. Reason codes are stable
//! snake_case strings: scripts and the report group on them.

use std::fmt;
use std::path::PathBuf;

/// Why input was skipped. Skips are errors in the data: something the user gave Vigil that it
/// could not turn into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Not JSON (or not UTF-8 JSON).
    InvalidJson,
    /// The JSON document ends before its closing brackets: a cut-off file.
    TruncatedJson,
    /// The gzip stream ends early or is corrupt; what decompressed before the error is kept.
    TruncatedGzip,
    /// Valid JSON of the wrong shape (a string where a record belongs, a field of the wrong type).
    InvalidRecord,
    /// A required CloudTrail field (`eventTime`, `eventSource`, `eventName`) is missing.
    MissingField(&'static str),
    /// A field is present but unusable (an `eventTime` that is not a time).
    InvalidField(&'static str),
    /// A record larger than [`crate::Limits::max_record_bytes`].
    RecordTooLarge,
    /// `Records` (or `QueryResultRows`, `Events`) is not an array.
    NotAnArray,
    /// An EventBridge event that does not carry a CloudTrail record.
    NotCloudtrail,
    /// The file has no content.
    EmptyFile,
    /// A directory symlink that points back at one of its ancestors.
    SymlinkLoop,
    /// A compressed file inflates past [`crate::Limits::max_decompressed_bytes`].
    DecompressionLimit,
    /// A plain file larger than [`crate::Limits::max_decompressed_bytes`].
    FileTooLarge,
    /// The file or directory could not be read (permissions, I/O error, vanished).
    Unreadable,
    /// A well-formed record of a kind Vigil does not turn into events (an auditd record type
    /// or syscall, a Falco event type or source, a unix socket address), e.g.
    /// `unsupported:auditd_syscall`.
    Unsupported(&'static str),
}

impl SkipReason {
    /// The stable code, e.g. `missing_field:eventTime`.
    pub fn code(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::InvalidJson => f.write_str("invalid_json"),
            SkipReason::TruncatedJson => f.write_str("truncated_json"),
            SkipReason::TruncatedGzip => f.write_str("truncated_gzip"),
            SkipReason::InvalidRecord => f.write_str("invalid_record"),
            SkipReason::MissingField(name) => write!(f, "missing_field:{name}"),
            SkipReason::InvalidField(name) => write!(f, "invalid_field:{name}"),
            SkipReason::RecordTooLarge => f.write_str("record_too_large"),
            SkipReason::NotAnArray => f.write_str("not_an_array"),
            SkipReason::NotCloudtrail => f.write_str("not_cloudtrail"),
            SkipReason::EmptyFile => f.write_str("empty_file"),
            SkipReason::SymlinkLoop => f.write_str("symlink_loop"),
            SkipReason::DecompressionLimit => f.write_str("decompression_limit"),
            SkipReason::FileTooLarge => f.write_str("file_too_large"),
            SkipReason::Unreadable => f.write_str("unreadable"),
            SkipReason::Unsupported(what) => write!(f, "unsupported:{what}"),
        }
    }
}

/// Why a file was not read at all. Ignoring is not an error: digests and READMEs live next to
/// logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IgnoreReason {
    /// A CloudTrail digest file (integrity hashes, not events).
    DigestFile,
    /// A file in a directory whose name says it is not JSON (README, .DS_Store, ...).
    NotJson,
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IgnoreReason::DigestFile => "digest_file",
            IgnoreReason::NotJson => "not_json",
        })
    }
}

/// Where in the input a skip happened.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub path: Option<PathBuf>,
    /// 0-based index of the record in its array (`Records`, a bare array, `QueryResultRows`).
    pub record: Option<usize>,
    /// 1-based line number for JSON lines.
    pub line: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}", p.display())?,
            None => f.write_str("<input>")?,
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(r) = self.record {
            write!(f, " record {r}")?;
        }
        Ok(())
    }
}

/// One skipped record, line or file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub reason: SkipReason,
    pub location: Location,
    /// A short human explanation (parser message, field name); never the record itself.
    pub detail: String,
}

impl Skip {
    pub fn new(reason: SkipReason, location: Location, detail: impl Into<String>) -> Self {
        let mut detail: String = detail.into();
        if detail.len() > 200 {
            let mut cut = 200;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
            detail.push('…');
        }
        Skip {
            reason,
            location,
            detail,
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

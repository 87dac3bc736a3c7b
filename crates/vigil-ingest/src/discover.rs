//! Which files to read: walk the paths the user gave, follow symlinks, notice loops, leave out
//! digests and files that are not JSON, and order the rest deterministically.

use crate::reason::{IgnoreReason, Location, Skip, SkipReason};
use crate::s3path::{is_digest, path_info};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// The result of [`discover`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// Files to read, in order: S3-layout files by their timestamp, then by path.
    pub files: Vec<PathBuf>,
    /// Files deliberately not read.
    pub ignored: Vec<(PathBuf, IgnoreReason)>,
    /// Entries inside the given directories that could not be walked (loops, permissions).
    pub skipped: Vec<Skip>,
    /// Paths given by the user that could not be opened at all, with the error. The CLI maps a
    /// non-empty list to exit code 2.
    pub missing: Vec<(PathBuf, String)>,
}

const JSON_SUFFIXES: [&str; 5] = [".json", ".jsonl", ".ndjson", ".gz", ".cloudtrail"];

/// Whether a file found inside a directory looks like something to read (other files are
/// still read when named directly).
fn looks_like_json(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    // auditd's own file names (`audit.log`, rotated `audit.log.1`) are read too: a host-event
    // reader recognises them by content.
    let audit_log = lower == "audit.log" || lower.starts_with("audit.log.");
    !lower.starts_with('.') && (audit_log || JSON_SUFFIXES.iter().any(|s| lower.ends_with(s)))
}

/// Walks `paths` (files and directories, following symlinks).
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut d = Discovery::default();
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                d.missing.push((root.clone(), e.to_string()));
                continue;
            }
        };
        if !meta.is_dir() {
            if is_digest(root) {
                d.ignored.push((root.clone(), IgnoreReason::DigestFile));
            } else {
                d.files.push(root.clone());
            }
            continue;
        }
        for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let reason = if e.loop_ancestor().is_some() {
                        SkipReason::SymlinkLoop
                    } else {
                        SkipReason::Unreadable
                    };
                    let loc = Location {
                        path: e.path().map(Path::to_path_buf),
                        ..Location::default()
                    };
                    d.skipped.push(Skip::new(reason, loc, e.to_string()));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.into_path();
            if is_digest(&path) {
                d.ignored.push((path, IgnoreReason::DigestFile));
            } else if !looks_like_json(&path) {
                d.ignored.push((path, IgnoreReason::NotJson));
            } else {
                d.files.push(path);
            }
        }
    }
    let mut keyed: Vec<(String, PathBuf)> = d
        .files
        .into_iter()
        .map(|p| (path_info(&p).timestamp.unwrap_or_default(), p))
        .collect();
    keyed.sort();
    keyed.dedup_by(|a, b| a.1 == b.1);
    d.files = keyed.into_iter().map(|(_, p)| p).collect();
    d.ignored.sort();
    d
}

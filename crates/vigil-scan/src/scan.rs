//! One scan of one filesystem: find the OS, walk once, catalogue packages, read each file
//! once for secrets (and Go build info), match vulnerabilities. Problems are counted and the
//! first ones kept; nothing stops the scan but an unopenable target (handled by the caller).

use crate::catalog::{self, go_binary_packages, looks_like_go_binary};
use crate::fs::{FileKind, Filesystem, WalkEntry, walk_pruned};
use crate::report::{Problem, ProblemKind, ScanReport};
use crate::secrets::SecretScanner;
use crate::vulndb::{VulnDb, match_packages};

#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files larger than this are not read for secrets (counted as `too_large`).
    pub max_file_bytes: u64,
    /// Subtrees not walked (`/proc`, `/sys`, `/dev` when scanning a live root).
    pub skip: Vec<String>,
    /// At most this many problems are kept in the report (all are counted).
    pub max_problems: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_file_bytes: 32 << 20,
            skip: vec!["/proc".into(), "/sys".into(), "/dev".into()],
            max_problems: 200,
        }
    }
}

fn skipped(path: &str, skip: &[String]) -> bool {
    skip.iter().any(|s| {
        path == s
            || path
                .strip_prefix(s.as_str())
                .is_some_and(|r| r.starts_with('/'))
    })
}

/// Scans `fs`. `progress` is told the bytes of each file read.
pub fn scan(
    fs: &dyn Filesystem,
    target: &str,
    db: &VulnDb,
    secrets: Option<&SecretScanner>,
    opts: &ScanOptions,
    progress: &mut dyn FnMut(u64),
) -> ScanReport {
    let mut report = ScanReport {
        target: target.to_string(),
        ..ScanReport::default()
    };
    let mut problems: Vec<Problem> = fs.open_problems();
    report.os = catalog::detect_os(fs);
    let mut entries: Vec<WalkEntry> = Vec::new();
    walk_pruned(fs, &mut problems, &|p| skipped(p, &opts.skip), |e| {
        entries.push(e.clone())
    });
    let mut packages = catalog::catalog(fs, &entries, report.os.as_ref(), &mut problems);
    for e in &entries {
        match e.kind {
            FileKind::Special => {
                report.stats.skipped += 1;
                problems.push(Problem::new(
                    ProblemKind::SpecialFile,
                    e.path.clone(),
                    "device, FIFO or socket: not read",
                ));
                continue;
            }
            FileKind::File => {}
            _ => continue,
        }
        report.stats.files += 1;
        if e.size > opts.max_file_bytes {
            report.stats.skipped += 1;
            problems.push(Problem::new(
                ProblemKind::TooLarge,
                e.path.clone(),
                format!("{} bytes; not read for secrets", e.size),
            ));
            continue;
        }
        let bytes = match fs.read(&e.path, opts.max_file_bytes) {
            Ok(b) => b,
            Err(err) => {
                report.stats.skipped += 1;
                problems.push(Problem::new(
                    err.problem_kind(),
                    e.path.clone(),
                    err.to_string(),
                ));
                continue;
            }
        };
        report.stats.bytes += bytes.len() as u64;
        progress(bytes.len() as u64);
        if looks_like_go_binary(&bytes) {
            packages.extend(go_binary_packages(&bytes, &e.path));
            continue;
        }
        if let Some(s) = secrets {
            // Binary files (a NUL early on) are not text with secrets in it.
            let head = bytes.get(..bytes.len().min(8192)).unwrap_or_default();
            if memchr::memchr(0, head).is_some() {
                continue;
            }
            report.stats.secret_bytes += bytes.len() as u64;
            report.secrets.extend(s.scan(&e.path, &bytes));
        }
    }
    report.vulnerabilities = match_packages(db, &packages, report.os.as_ref());
    report.packages = packages;
    let total = problems.len();
    if total > opts.max_problems {
        problems.truncate(opts.max_problems);
        problems.push(Problem::new(
            ProblemKind::Unreadable,
            "…",
            format!("{} more problems not listed", total - opts.max_problems),
        ));
    }
    report.problems = problems;
    report
}

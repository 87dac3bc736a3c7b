//! The SQLite rpmdb (`/var/lib/rpm/rpmdb.sqlite`; rpm ≥ 4.16, so RHEL, Rocky and AlmaLinux 9,
//! Fedora ≥ 33): a `Packages` table of `(hnum, blob)` rows, one rpm header per row. The target
//! may be a disk or container image, so the database arrives as bytes read through the
//! `Filesystem`; SQLite opens files, not buffers, so the bytes (and a write-ahead log beside
//! them, if any) are copied into a private temporary directory and opened read-only there.
//! Nothing is written back and nothing outside that directory is touched.

use super::rpm::{RpmHeader, parse_header};
use crate::fs::{Filesystem, read_resolved};
use crate::report::{Problem, ProblemKind};
use rusqlite::{Connection, OpenFlags};

/// Reads the headers of `path` (an `rpmdb.sqlite` in `fs`). Undecodable rows are problems.
pub fn read(fs: &dyn Filesystem, path: &str, problems: &mut Vec<Problem>) -> Vec<RpmHeader> {
    let db = match read_resolved(fs, path, super::MAX_DB_BYTES) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::new(e.problem_kind(), path, e.to_string()));
            return Vec::new();
        }
    };
    let wal = read_resolved(fs, &format!("{path}-wal"), super::MAX_DB_BYTES).ok();
    match header_blobs(&db, wal.as_deref()) {
        Ok(blobs) => decode(&blobs, path, problems),
        Err(e) => {
            problems.push(Problem::new(
                ProblemKind::BadPackageData,
                path,
                format!("rpm sqlite database: {e}"),
            ));
            Vec::new()
        }
    }
}

/// Decodes each blob; a bad one is counted and skipped.
pub fn decode(blobs: &[Vec<u8>], path: &str, problems: &mut Vec<Problem>) -> Vec<RpmHeader> {
    let mut out = Vec::with_capacity(blobs.len());
    for (i, b) in blobs.iter().enumerate() {
        match parse_header(b) {
            Ok(h) => out.push(h),
            Err(e) => problems.push(Problem::new(
                ProblemKind::BadPackageData,
                path,
                format!("rpm header #{i}: {e}"),
            )),
        }
    }
    out
}

/// The `blob` column of every `Packages` row, in `hnum` order.
pub fn header_blobs(db: &[u8], wal: Option<&[u8]>) -> Result<Vec<Vec<u8>>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let file = dir.path().join("rpmdb.sqlite");
    std::fs::write(&file, db).map_err(|e| format!("temporary copy: {e}"))?;
    if let Some(wal) = wal {
        std::fs::write(dir.path().join("rpmdb.sqlite-wal"), wal)
            .map_err(|e| format!("temporary copy of the log: {e}"))?;
    }
    let conn = Connection::open_with_flags(
        &file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r.map_err(|e| e.to_string())?);
    }
    Ok(out)
}

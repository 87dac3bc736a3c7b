//! Ingest checkpoints. A file checkpoint says a file was read in full at a given size, mtime
//! and content hash, so ingest can skip it next time; dedup by event id still guards
//! correctness, this only saves the work. Named checkpoints hold any other position (an SQS
//! cursor, the last agent sequence number).

use crate::Store;
use crate::error::Result;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

/// What ingest knew about a file when it last read it in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    pub size: u64,
    pub mtime_ms: i64,
    /// A hash of the content (ingest uses xxh3-128 hex).
    pub content_hash: String,
    /// How many events the file held.
    pub events: u64,
    pub ingested_at: Timestamp,
}

impl Store {
    pub fn file_checkpoint(&self, path: &str) -> Result<Option<FileCheckpoint>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT size, mtime_ms, content_hash, events, ingested_at_ms \
                 FROM file_checkpoints WHERE path = ?1",
            )?
            .query_row([path], |r| {
                Ok(FileCheckpoint {
                    size: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    mtime_ms: r.get(1)?,
                    content_hash: r.get(2)?,
                    events: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    ingested_at: Timestamp::from_millis(r.get(4)?),
                })
            })
            .optional()?;
        Ok(row)
    }

    pub fn put_file_checkpoint(&mut self, path: &str, checkpoint: &FileCheckpoint) -> Result<()> {
        put_file_checkpoint(&self.conn, path, checkpoint)
    }

    /// Many file checkpoints in one transaction: an ingest of many small files otherwise
    /// commits (and writes the WAL) once per file.
    pub fn put_file_checkpoints(&mut self, checkpoints: &[(String, FileCheckpoint)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (path, checkpoint) in checkpoints {
            put_file_checkpoint(&tx, path, checkpoint)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The value of the named checkpoint, if set.
    pub fn checkpoint(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM checkpoints WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    pub fn put_checkpoint(&mut self, name: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO checkpoints (name, value) VALUES (?1, ?2)")?
            .execute(params![name, value])?;
        Ok(())
    }
}

fn put_file_checkpoint(
    conn: &rusqlite::Connection,
    path: &str,
    checkpoint: &FileCheckpoint,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO file_checkpoints \
                 (path, size, mtime_ms, content_hash, events, ingested_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        path,
        i64::try_from(checkpoint.size).unwrap_or(i64::MAX),
        checkpoint.mtime_ms,
        checkpoint.content_hash,
        i64::try_from(checkpoint.events).unwrap_or(i64::MAX),
        checkpoint.ingested_at.as_millis(),
    ])?;
    Ok(())
}

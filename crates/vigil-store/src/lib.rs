//! The only crate with SQL. [`Store`] keeps everything Vigil persists in one SQLite database,
//! `vigil.db` in the data directory, and event bodies in segment files beside it (`events/`):
//! events (deduplicated by source and event id, indexed by time and by entity), alerts, the inventory, engine state (baselines, correlation windows),
//! ingest checkpoints and the append-only audit log.
//!
//! Architecture invariants:
//! - No other crate speaks SQL; they hand the store model types and plain serde data.
//! - The store reads no clock: every time it records is passed in by the caller.
//! - Events go through [`EventStore`], so a columnar (Parquet) event store can replace the
//!   SQLite tables at scale without touching callers.

mod alerts;
mod audit;
mod checkpoints;
mod entities;
mod error;
mod event_keys;
mod event_store;
mod events;
mod insert;
mod legacy_events;
mod multi_row;
mod prepared;
mod rekey;
mod schema;
mod seeded_hash;
mod segment;
mod state;
mod stats;

pub use alerts::{AlertFilter, severity_rank};
pub use audit::AuditEntry;
pub use checkpoints::FileCheckpoint;
pub use entities::StoredEntity;
pub use error::{Result, StoreError};
pub use event_store::EventStore;
pub use events::{EventQuery, InsertOutcome, StoredEvent};
pub use prepared::PreparedEvents;
pub use schema::SCHEMA_VERSION;
pub use stats::{SourceStats, StoreStats};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file inside a data directory.
pub const DB_FILE: &str = "vigil.db";

/// How long a writer waits for another process (the CLI while the server runs) to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Page size for new databases. `benches/store_insert.rs` (100k ~2 KB events): 4 KiB pages
/// ~45k events/s, 8 KiB ~39k, 16 KiB ~48k (noisy, 2 shared cores); the large documents favour
/// big pages.
const PAGE_SIZE: i64 = 16384;

/// Page cache per connection, in KiB (negative `cache_size` means KiB in SQLite).
const CACHE_KIB: i64 = 64 * 1024;

/// A handle on one Vigil database.
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    /// Event bodies: `events/` beside the database, or memory.
    segments: segment::SegmentFiles,
}

/// The directory of event segments inside a data directory.
pub const EVENTS_DIR: &str = "events";

/// A store's schema upgrade that opening it will run (see [`Store::pending_upgrade`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upgrade {
    pub from: i64,
    pub to: i64,
    /// Events stored: what an upgrade that rebuilds per-event tables walks through.
    pub events: u64,
}

impl Store {
    /// Opens (creating if needed) `data_dir/vigil.db` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // Only takes effect on a database without tables, before WAL is switched on.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(open_err)?;
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "mmap_size", 256i64 * 1024 * 1024)
            .map_err(open_err)?;
        let segments = segment::SegmentFiles::dir(data_dir.join(EVENTS_DIR));
        Store::finish_open(conn, Some(path.clone()), segments).map_err(|e| match e {
            StoreError::Sqlite(source) => StoreError::Open { path, source },
            other => other,
        })
    }

    /// What opening `data_dir` would have to do first: `Some` when it holds a store whose
    /// schema is older than this build's (an upgrade may rebuild per-event tables, seconds per
    /// million events), so a caller can say so before the wait. Reads only; `None` when there
    /// is no store yet or it is current.
    pub fn pending_upgrade(data_dir: &Path) -> Result<Option<Upgrade>> {
        let path = data_dir.join(DB_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let from = schema::user_version(&conn)?;
        if from == 0 || from >= SCHEMA_VERSION {
            return Ok(None);
        }
        // Every schema since V1 keeps per-source totals.
        let events: i64 = conn.query_row(
            "SELECT coalesce(sum(events), 0) FROM event_counts",
            [],
            |r| r.get(0),
        )?;
        Ok(Some(Upgrade {
            from,
            to: SCHEMA_VERSION,
            events: u64::try_from(events).unwrap_or(0),
        }))
    }

    /// A private database in memory, for tests and one-shot runs.
    pub fn open_in_memory() -> Result<Store> {
        Store::finish_open(
            Connection::open_in_memory()?,
            None,
            segment::SegmentFiles::Memory(Default::default()),
        )
    }

    fn finish_open(
        mut conn: Connection,
        path: Option<PathBuf>,
        segments: segment::SegmentFiles,
    ) -> Result<Store> {
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn)?;
        let mut store = Store {
            conn,
            path,
            segments,
        };
        // Before the V1/V2 conversion, whose inserts claim keys of the new kind.
        rekey::rekey(&store)?;
        legacy_events::convert(&mut store)?;
        Ok(store)
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        schema::user_version(&self.conn)
    }

    /// Lets SQLite refresh its planner statistics; cheap, worth calling after a large ingest.
    pub fn optimize(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA optimize;")?;
        Ok(())
    }
}

/// `kind:id`, the key entities are stored under.
pub(crate) fn entity_key(e: &vigil_model::EntityRef) -> String {
    e.to_string()
}

/// The prefix of an S3 object's entity key (an object is a bucket entity named by its ARN).
const OBJECT_KEY_PREFIX: &str = "bucket:arn:aws:s3:::";

/// Whether an entity key names an S3 object (`bucket:arn:aws:s3:::BUCKET/KEY`), whose postings
/// live in `segment_objects` rather than `segment_entities` (schema V5 says why). Schema V5's
/// `GLOB 'bucket:arn:aws:s3:::*/*'` is the same test.
pub(crate) fn is_object_key(key: &str) -> bool {
    key.strip_prefix(OBJECT_KEY_PREFIX)
        .is_some_and(|rest| rest.contains('/'))
}

//! The schema and its migrations. `PRAGMA user_version` holds the number of migrations applied;
//! opening a store applies the missing ones inside one `BEGIN IMMEDIATE` transaction, so two
//! processes opening the same new data directory at once do not both migrate.
//!
//! Architecture invariant: a migration, once released, is never edited; change the schema by
//! appending one.

use crate::error::{Result, StoreError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const V1: &str = r#"
-- Events: one row per (source, event id). The typed columns serve filters and SQL hunting;
-- `doc` is the event body as JSON (id, time and source live in their columns).
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    time_ms     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    account     TEXT,
    region      TEXT,
    principal   TEXT,
    access_key  TEXT,
    source_ip   TEXT,
    host        TEXT,
    error_code  TEXT,
    doc         TEXT NOT NULL,
    UNIQUE (source, event_id)
);
CREATE INDEX events_by_time ON events (time_ms);

-- Every entity an event involves (`kind:id`), keyed for "events of X between A and B".
CREATE TABLE event_entities (
    entity   TEXT NOT NULL,
    time_ms  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (entity, time_ms, seq)
) WITHOUT ROWID;

-- Per-source totals kept at insert time, so summaries never scan the events.
CREATE TABLE event_counts (
    source       TEXT PRIMARY KEY,
    events       INTEGER NOT NULL,
    min_time_ms  INTEGER NOT NULL,
    max_time_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE alerts (
    id                 TEXT PRIMARY KEY,
    alert_type         TEXT NOT NULL,
    kind               TEXT NOT NULL,
    severity_rank      INTEGER NOT NULL,
    status             TEXT NOT NULL,
    -- 1 once a person set the status: detection re-raising the alert keeps it.
    status_by_user     INTEGER NOT NULL DEFAULT 0,
    first_seen_ms      INTEGER NOT NULL,
    last_seen_ms       INTEGER NOT NULL,
    score              REAL NOT NULL,
    doc                TEXT NOT NULL
);
CREATE INDEX alerts_by_last_seen ON alerts (last_seen_ms, id);
CREATE INDEX alerts_by_severity ON alerts (severity_rank, last_seen_ms);
CREATE INDEX alerts_by_type ON alerts (alert_type, last_seen_ms);
CREATE INDEX alerts_by_status ON alerts (status, last_seen_ms);
CREATE INDEX alerts_by_kind ON alerts (kind, last_seen_ms);

CREATE TABLE alert_entities (
    entity    TEXT NOT NULL,
    alert_id  TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    PRIMARY KEY (entity, alert_id)
) WITHOUT ROWID;
CREATE INDEX alert_entities_by_alert ON alert_entities (alert_id);

-- Inventory. `raw` holds the entity's verbatim JSON fields (an IAM role's trust policy) apart
-- from `doc`; see entities.rs for why.
CREATE TABLE entities (
    entity         TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    doc            TEXT NOT NULL,
    raw            TEXT,
    first_seen_ms  INTEGER NOT NULL,
    last_seen_ms   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX entities_by_kind ON entities (kind);

CREATE TABLE engine_state (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;

CREATE TABLE file_checkpoints (
    path            TEXT PRIMARY KEY,
    size            INTEGER NOT NULL,
    mtime_ms        INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    events          INTEGER NOT NULL,
    ingested_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms  INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    details  TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

/// A covering index for counting filtered alerts: the console's list shows "N matching" beside
/// each page, and without it SQLite counts by visiting every table row (185 ms at 100k alerts).
/// With it, the count reads only index entries.
const V2: &str = r#"
CREATE INDEX alerts_filter_cover ON alerts
    (severity_rank, status, alert_type, kind, last_seen_ms, first_seen_ms);
"#;

/// Event bodies move to segment files (see `segment/mod.rs` for why). Per segment: its record
/// table (time, source, where each document lies) and time range; per entity and segment, the
/// records involving it; per stored event, its dedup key (see `event_keys.rs`). The V1 `events`
/// and `event_entities` tables stay until `legacy_events.rs` has moved their rows over, then go.
const V3: &str = r#"
CREATE TABLE event_segments (
    base_seq     INTEGER PRIMARY KEY,
    count        INTEGER NOT NULL,
    min_time_ms  INTEGER NOT NULL,
    max_time_ms  INTEGER NOT NULL,
    records      BLOB NOT NULL
);
CREATE INDEX event_segments_by_time ON event_segments (max_time_ms, min_time_ms);

CREATE TABLE segment_entities (
    entity       TEXT NOT NULL,
    base_seq     INTEGER NOT NULL,
    min_time_ms  INTEGER NOT NULL,
    max_time_ms  INTEGER NOT NULL,
    ordinals     BLOB NOT NULL,
    PRIMARY KEY (entity, base_seq)
) WITHOUT ROWID;

CREATE TABLE event_keys (
    slot        INTEGER PRIMARY KEY,
    check_hash  INTEGER NOT NULL,
    seq         INTEGER NOT NULL
);
"#;

/// Dedup keys lead with the event's hour (see `event_keys.rs` for why). The V3 table, keyed by
/// the hash alone, stays under another name until `rekey.rs` has filled the new one from the
/// stored events, then goes.
const V4: &str = r#"
ALTER TABLE event_keys RENAME TO event_keys_by_hash;
CREATE TABLE event_keys (
    slot        INTEGER PRIMARY KEY,
    check_hash  INTEGER NOT NULL,
    seq         INTEGER NOT NULL
);
"#;

/// S3 objects' postings move to a table keyed by segment first. Object-level data events name
/// objects that mostly appear once (each export, each upload), so every segment brought
/// thousands of new keys that `segment_entities`, ordered by entity, took on as many random
/// pages; ordered by segment they go at the end. A query for one object looks it up in each
/// segment whose time range meets the query's (`events.rs`). `lib.rs::is_object_key` is the same
/// test as the GLOB below.
const V5: &str = r#"
CREATE TABLE segment_objects (
    base_seq     INTEGER NOT NULL,
    entity       TEXT NOT NULL,
    min_time_ms  INTEGER NOT NULL,
    max_time_ms  INTEGER NOT NULL,
    ordinals     BLOB NOT NULL,
    PRIMARY KEY (base_seq, entity)
) WITHOUT ROWID;
INSERT INTO segment_objects (base_seq, entity, min_time_ms, max_time_ms, ordinals)
    SELECT base_seq, entity, min_time_ms, max_time_ms, ordinals FROM segment_entities
    WHERE entity GLOB 'bucket:arn:aws:s3:::*/*';
DELETE FROM segment_entities WHERE entity GLOB 'bucket:arn:aws:s3:::*/*';
"#;

/// Applies every migration the database has not seen yet.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    if user_version(conn)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read under the write lock: another process may have migrated meanwhile.
    let found = user_version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in (1..)
        .zip(MIGRATIONS.iter())
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
    }
    tx.commit()?;
    Ok(())
}

/// Whether the database has a table called `name` (a conversion step's marker that it is due).
pub(crate) fn has_table(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(crate) fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

//! Event segments: the bodies of stored events, written once per insert batch and never
//! changed.
//!
//! Why not rows in SQLite: a SQLite row for a ~2 KB event costs its bytes twice (WAL, then the
//! checkpoint), page zeroing, and B-tree work per row; `benches/store_insert.rs` and the
//! combined ingest bench measured ~40 µs per CloudTrail event that way, twenty times what parsing
//! it costs. A segment is one sequential write. SQLite keeps what must be looked up or kept
//! consistent: the dedup keys, each segment's record table, and per-entity postings per segment
//! (see `events.rs`), all in the same transaction that makes a segment visible.
//!
//! A segment holds the new events of one batch sorted by event time, so a segment's seqs run in
//! time order and a time-ordered walk is a merge of sorted segments. Its file is
//! `events/seg-<base seq>.vseg`: a magic header, then each event's document (see
//! [`doc`]) back to back. Offsets and lengths live in the record table in SQLite, never in the
//! file, so a file is only ever read at positions a committed transaction vouches for. A file
//! written by a transaction that then failed is left behind unreferenced; the next segment with
//! the same base seq replaces it.

pub(crate) mod doc;
pub(crate) mod files;
pub(crate) mod postings;
pub(crate) mod records;

pub(crate) use files::SegmentFiles;
pub(crate) use records::{Record, RecordTable};

/// The first bytes of every segment file (format version 1).
pub(crate) const MAGIC: &[u8; 8] = b"VSEG\x01\0\0\0";

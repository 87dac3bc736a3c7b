//! What an insert writes must not grow with what is stored: a batch of new events, arriving in
//! time order, dirties about as many database pages in a store of 100k events as in one of 8k.

use crate::fixtures::{T0, host_event};
use rusqlite::Connection;
use vigil_store::Store;

const BATCH: usize = 4_000;
const BATCHES: usize = 25;

/// Empties the write-ahead log, so its size after the next transaction is that transaction's
/// pages.
fn truncate_wal(conn: &Connection) {
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(busy, 0, "the checkpoint ran to the end");
}

#[test]
fn a_batch_writes_as_many_pages_into_a_large_store_as_into_a_small_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let db = dir.path().join("vigil.db");
    let wal = dir.path().join("vigil.db-wal");
    let other = Connection::open(&db).unwrap();
    let mut wal_bytes = Vec::new();
    for b in 0..BATCHES {
        // One event a second, batch after batch: what a CloudTrail tree or an agent delivers.
        let events: Vec<_> = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
                host_event(&format!("h-{n}"), T0 + n as i64 * 1_000, n)
            })
            .collect();
        truncate_wal(&other);
        assert_eq!(
            store.insert_events(&events).unwrap().new_count(),
            BATCH,
            "batch {b}"
        );
        wal_bytes.push(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    // Early batches (their entities' postings still share a page) against the last ones.
    let mean = |b: &[u64]| b.iter().sum::<u64>() / b.len() as u64;
    let (small, large) = (mean(&wal_bytes[4..9]), mean(&wal_bytes[BATCHES - 5..]));
    assert!(small > 0, "{wal_bytes:?}");
    // Keyed by hash alone the last batches wrote about four times the early ones' pages;
    // hour first, about a tenth more.
    assert!(
        large * 2 <= small * 3,
        "pages written per batch grew with the store: {wal_bytes:?}"
    );
}

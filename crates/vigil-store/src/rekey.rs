//! Fills the dedup table of schema V4 (keys that lead with the event's hour) from the stored
//! events, once, when a store from V3 is opened; then drops the V3 table. Runs in one
//! transaction, so a store is either rekeyed whole or left as it was (and rekeyed at the next
//! open).

use crate::Store;
use crate::error::Result;
use crate::event_keys::{self, EventKey};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::ops::ControlFlow;

/// Keys claimed per statement batch while rekeying.
const CHUNK: usize = 100_000;

pub(crate) fn rekey(store: &Store) -> Result<()> {
    if !has_old_table(&store.conn)? {
        return Ok(());
    }
    // A transaction on a shared borrow, so the walk below can read through the same store.
    let tx = Transaction::new_unchecked(&store.conn, TransactionBehavior::Immediate)?;
    // Another process may have rekeyed it while this one waited for the lock.
    if !has_old_table(&tx)? {
        return Ok(());
    }
    let mut keys: Vec<(EventKey, i64)> = Vec::with_capacity(CHUNK);
    let mut failed = None;
    store.for_each_event_in_time_order(None, &mut |stored| {
        let e = &stored.event;
        keys.push((EventKey::of(e.source, &e.id, e.time), stored.seq));
        if keys.len() < CHUNK {
            return ControlFlow::Continue(());
        }
        match claim(&tx, &mut keys) {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => {
                failed = Some(err);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(err) = failed {
        return Err(err);
    }
    claim(&tx, &mut keys)?;
    tx.execute_batch("DROP TABLE event_keys_by_hash;")?;
    tx.commit()?;
    Ok(())
}

/// Claims `keys` (each pair was stored once under the old keys, so none repeats) and empties it.
fn claim(conn: &Connection, keys: &mut Vec<(EventKey, i64)>) -> Result<()> {
    event_keys::claim_all(conn, keys)?;
    keys.clear();
    Ok(())
}

fn has_old_table(conn: &Connection) -> Result<bool> {
    crate::schema::has_table(conn, "event_keys_by_hash")
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{Event, EventBody, EventSource, Timestamp};

    fn login(id: &str, ms: i64) -> Event {
        let body = r#"{"host":{"host_id":"h1","kind":"login","user":"root","method":"ssh","source_ip":"10.0.0.9","success":true}}"#;
        Event {
            id: id.into(),
            time: Timestamp::from_millis(ms),
            source: EventSource::Agent,
            body: serde_json::from_str::<EventBody>(body).unwrap(),
        }
    }

    /// A data directory as schema V3 left it: the events in segments, the dedup table keyed by
    /// the hash alone (its rows are never read again, so any will do), no table of S3 objects'
    /// postings (these events name none).
    fn v3_store(dir: &std::path::Path, events: &[Event]) {
        let mut store = Store::open(dir).unwrap();
        assert!(store.insert_events(events).unwrap().new_count() == events.len());
        drop(store);
        let conn = Connection::open(dir.join(crate::DB_FILE)).unwrap();
        conn.execute_batch(
            "DROP TABLE event_keys;
             CREATE TABLE event_keys (slot INTEGER PRIMARY KEY, check_hash INTEGER NOT NULL, seq INTEGER NOT NULL);
             INSERT INTO event_keys VALUES (42, 7, 1), (43, 8, 2);
             DROP TABLE segment_objects;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    }

    #[test]
    fn a_v3_store_is_rekeyed_once_and_stays_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        // Three hours apart and out of order, and more than one statement's worth.
        let mut events: Vec<Event> = (0..300)
            .map(|i| {
                login(
                    &format!("e{i}"),
                    1_714_521_600_000 + (i % 3) * 3_600_000 + i,
                )
            })
            .collect();
        events.push(login("early", 0));
        v3_store(dir.path(), &events);
        assert_eq!(
            Store::pending_upgrade(dir.path()).unwrap(),
            Some(crate::Upgrade {
                from: 3,
                to: crate::SCHEMA_VERSION,
                events: events.len() as u64
            })
        );

        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(Store::pending_upgrade(dir.path()).unwrap(), None);
        assert_eq!(
            Store::pending_upgrade(&dir.path().join("none")).unwrap(),
            None
        );
        assert_eq!(store.schema_version().unwrap(), crate::SCHEMA_VERSION);
        assert!(!has_old_table(&store.conn).unwrap());
        assert_eq!(store.count_events().unwrap(), events.len() as u64);
        // Every event is found by its id and time, and by its id alone.
        let at: Vec<_> = events
            .iter()
            .map(|e| (e.source, e.id.clone(), e.time))
            .collect();
        let found = store.events_by_ids_at(&at).unwrap();
        assert_eq!(found.len(), events.len());
        assert!(found.iter().zip(&events).all(|(f, e)| f.event == *e));
        let by_id = store
            .events_by_ids(&[
                (EventSource::Agent, "e299".into()),
                (EventSource::Agent, "early".into()),
            ])
            .unwrap();
        assert_eq!(by_id.len(), 2);
        // Ingesting the same events again adds nothing.
        assert_eq!(store.insert_events(&events).unwrap().new_count(), 0);
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.insert_events(&events).unwrap().new_count(), 0);
        assert_eq!(store.count_events().unwrap(), events.len() as u64);
    }
}

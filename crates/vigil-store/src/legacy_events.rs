//! Moves events stored by schema V1/V2 (one SQLite row per event) into segments, once, when a
//! store from before V3 is opened; then drops the old tables. Runs in one transaction, so a
//! store is either converted whole or left as it was.

use crate::Store;
use crate::error::{Result, StoreError, decode};
use rusqlite::{Connection, TransactionBehavior};
use vigil_model::{Event, EventBody, EventSource, Timestamp};

/// Old rows moved per segment.
const CHUNK: i64 = 50_000;

pub(crate) fn convert(store: &mut Store) -> Result<()> {
    if !has_old_table(&store.conn)? {
        return Ok(());
    }
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have converted it while this one waited for the lock.
    if !has_old_table(&tx)? {
        return Ok(());
    }
    // The insert below counts the moved events again.
    tx.execute("DELETE FROM event_counts", [])?;
    let mut after = i64::MIN;
    loop {
        let mut events = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT seq, source, event_id, time_ms, doc FROM events WHERE seq > ?1 \
                 ORDER BY seq LIMIT ?2",
            )?;
            let mut rows = stmt.query(rusqlite::params![after, CHUNK])?;
            while let Some(row) = rows.next()? {
                after = row.get(0)?;
                let source_text: String = row.get(1)?;
                let id: String = row.get(2)?;
                let source =
                    EventSource::parse(&source_text).ok_or_else(|| StoreError::BadValue {
                        what: "event source of event",
                        key: id.clone(),
                        value: source_text.clone(),
                    })?;
                let body: EventBody = decode("event", id.as_str(), row.get_ref(4)?.as_str()?)?;
                events.push(Event {
                    id,
                    time: Timestamp::from_millis(row.get(3)?),
                    source,
                    body,
                });
            }
        }
        if events.is_empty() {
            break;
        }
        let prepared = crate::prepared::PreparedEvents::prepare(&events)?;
        crate::insert::insert_parts(&tx, &mut store.segments, &[prepared])?;
    }
    tx.execute_batch("DROP TABLE event_entities; DROP TABLE events;")?;
    tx.commit()?;
    Ok(())
}

fn has_old_table(conn: &Connection) -> Result<bool> {
    crate::schema::has_table(conn, "events")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventQuery;

    /// A data directory as schema V2 left it, with two events in the old tables.
    fn v2_store(dir: &std::path::Path) {
        let conn = Connection::open(dir.join(crate::DB_FILE)).unwrap();
        for sql in &crate::schema::MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        let body = r#"{"host":{"host_id":"h1","kind":"login","user":"root","method":"ssh","source_ip":"10.0.0.9","success":true}}"#;
        for (seq, id, t) in [(1, "old-b", 2000), (2, "old-a", 1000)] {
            conn.execute(
                "INSERT INTO events (seq, source, event_id, time_ms, action, doc) \
                 VALUES (?1, 'agent', ?2, ?3, 'login', ?4)",
                rusqlite::params![seq, id, t, body],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO event_counts VALUES ('agent', 2, 1000, 2000)",
            [],
        )
        .unwrap();
    }

    #[test]
    fn a_v2_store_is_converted_once_and_keeps_its_events() {
        let dir = tempfile::tempdir().unwrap();
        v2_store(dir.path());
        let mut store = Store::open(dir.path()).unwrap();
        assert!(!has_old_table(&store.conn).unwrap());
        assert_eq!(store.count_events().unwrap(), 2);
        let ids: Vec<_> = store
            .query_events(&EventQuery::default())
            .unwrap()
            .into_iter()
            .map(|e| e.event.id)
            .collect();
        assert_eq!(ids, ["old-a", "old-b"]);
        let again = store.query_events(&EventQuery::default()).unwrap();
        let events: Vec<_> = again.into_iter().map(|e| e.event).collect();
        assert_eq!(store.insert_events(&events).unwrap().new_count(), 0);
        drop(store);
        assert_eq!(Store::open(dir.path()).unwrap().count_events().unwrap(), 2);
    }
}

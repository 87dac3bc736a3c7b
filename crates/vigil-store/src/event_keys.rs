//! Dedup keys: which (source, event id) pairs are stored, and under which seq.
//!
//! A key is the 128-bit xxh3 hash of the pair. Its first half picks a slot (the table's integer
//! primary key, so the index entry is 8 bytes rather than the id's text) and its second half is
//! checked on a hit, so two different events are only taken for one another if all 128 bits
//! collide. Two events whose first halves collide are kept apart by open addressing: the second
//! takes the next free slot, and lookups walk slots until they find the pair or an empty slot.

use crate::error::{Result, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use vigil_model::EventSource;

/// Slots walked before giving up; reaching it needs dozens of 64-bit collisions in a row.
const MAX_PROBES: i64 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventKey {
    slot: i64,
    check: i64,
}

impl EventKey {
    pub fn of(source: EventSource, id: &str) -> EventKey {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(source.as_str().as_bytes());
        h.update(&[0]);
        h.update(id.as_bytes());
        let v = h.digest128();
        EventKey {
            // Bit reinterpretations: the halves are used as opaque 64-bit patterns.
            slot: (v >> 64) as u64 as i64,
            check: v as u64 as i64,
        }
    }
}

/// Records `key` under `seq` unless it is already stored; `true` when it was new.
pub(crate) fn claim(conn: &Connection, key: EventKey, seq: i64) -> Result<bool> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO event_keys (slot, check_hash, seq) VALUES (?1, ?2, ?3)",
    )?;
    let mut get = conn.prepare_cached("SELECT check_hash FROM event_keys WHERE slot = ?1")?;
    for probe in 0..MAX_PROBES {
        let slot = key.slot.wrapping_add(probe);
        if insert.execute(params![slot, key.check, seq])? == 1 {
            return Ok(true);
        }
        let held: i64 = get.query_row([slot], |r| r.get(0))?;
        if held == key.check {
            return Ok(false);
        }
    }
    Err(StoreError::BadValue {
        what: "event key slots from",
        key: key.slot.to_string(),
        value: format!("{MAX_PROBES} occupied in a row"),
    })
}

/// The seq the pair with `key` is stored under.
pub(crate) fn find(conn: &Connection, key: EventKey) -> Result<Option<i64>> {
    let mut get = conn.prepare_cached("SELECT check_hash, seq FROM event_keys WHERE slot = ?1")?;
    for probe in 0..MAX_PROBES {
        let slot = key.slot.wrapping_add(probe);
        let row: Option<(i64, i64)> = get
            .query_row([slot], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            None => return Ok(None),
            Some((check, seq)) if check == key.check => return Ok(Some(seq)),
            Some(_) => {}
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE event_keys (slot INTEGER PRIMARY KEY, check_hash INTEGER NOT NULL, seq INTEGER NOT NULL)",
        )
        .unwrap();
        c
    }

    #[test]
    fn colliding_slots_are_kept_apart_and_found() {
        let c = conn();
        let a = EventKey {
            slot: i64::MAX,
            check: 1,
        };
        let b = EventKey {
            slot: i64::MAX,
            check: 2,
        };
        assert!(claim(&c, a, 10).unwrap());
        assert!(
            claim(&c, b, 11).unwrap(),
            "same slot, other check: a new event"
        );
        assert!(!claim(&c, b, 12).unwrap());
        assert!(!claim(&c, a, 13).unwrap());
        assert_eq!(find(&c, a).unwrap(), Some(10));
        assert_eq!(find(&c, b).unwrap(), Some(11), "found past the wrap-around");
        assert_eq!(
            find(
                &c,
                EventKey {
                    slot: i64::MAX,
                    check: 3
                }
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn keys_depend_on_source_and_id() {
        let k = EventKey::of(EventSource::Cloudtrail, "x");
        assert_eq!(k, EventKey::of(EventSource::Cloudtrail, "x"));
        assert_ne!(k, EventKey::of(EventSource::Agent, "x"));
        assert_ne!(k, EventKey::of(EventSource::Cloudtrail, "y"));
    }
}

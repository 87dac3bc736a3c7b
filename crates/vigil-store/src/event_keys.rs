//! Dedup keys: which (source, event id) pairs are stored, and under which seq.
//!
//! A key is the event's hour and the 128-bit xxh3 hash of the pair. The slot (the table's
//! integer primary key, so the index entry is 8 bytes rather than the id's text) is the hour in
//! its high bits and 40 bits of the hash below them; the other 64 bits of the hash are checked
//! on a hit. Two events whose slots collide are kept apart by open addressing: the second takes
//! the next free slot, and lookups walk slots until they find the pair's check or an empty slot.
//! So two different events are only taken for one another if their checks are equal and one
//! sits within the other's run of probed slots: in practice, the same hour and 104 bits of hash.
//!
//! Why the hour leads: events arrive roughly in time order (CloudTrail's S3 layout, an agent's
//! stream), so a batch's keys land at the end of the table, on a few pages, whatever the
//! table's size. Keyed by the hash alone, every key of a batch went to a random page: a batch of
//! 50k events rewrote nearly every page of the table (a 1M-event store wrote 1,885 pages for its
//! first 100k events and 14,156 for its tenth), and the cost per event grew with the store.
//! The price: a lookup needs the event's time ([`find`]); without it, [`find_any_time`] probes
//! every hour that holds events (two index lookups per hour).

use crate::error::{Result, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use vigil_model::{EventSource, Timestamp};

/// Slots walked before giving up; reaching it needs dozens of 40-bit collisions in an hour.
const MAX_PROBES: i64 = 64;

/// Bits of the slot taken by the hash; the hour sits above them.
const HASH_BITS: u32 = 40;
/// The last hour a slot can name (about the year 2927); later events share it.
const MAX_HOUR: i64 = (1 << (63 - HASH_BITS)) - 1;
const HOUR_MS: i64 = 3_600_000;

/// Ordered by slot, then check: the order of the table's primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EventKey {
    slot: i64,
    check: i64,
}

/// The hash of a (source, id) pair, before its hour is known.
#[derive(Debug, Clone, Copy)]
struct PairHash {
    /// 40 bits, the slot's low part.
    low: i64,
    check: i64,
}

impl PairHash {
    fn of(source: EventSource, id: &str) -> PairHash {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(source.as_str().as_bytes());
        h.update(&[0]);
        h.update(id.as_bytes());
        let v = h.digest128();
        PairHash {
            // The top 40 bits of the first half; fits an i64 without its sign bit.
            low: ((v >> 64) as u64 >> (64 - HASH_BITS)) as i64,
            // Bit reinterpretation: the second half is an opaque 64-bit pattern.
            check: v as u64 as i64,
        }
    }

    fn at_hour(self, hour: i64) -> EventKey {
        EventKey {
            slot: (hour.clamp(0, MAX_HOUR) << HASH_BITS) | self.low,
            check: self.check,
        }
    }
}

impl EventKey {
    /// The key of the event `id` from `source` that happened at `time`.
    pub fn of(source: EventSource, id: &str, time: Timestamp) -> EventKey {
        PairHash::of(source, id).at_hour(time.as_millis().div_euclid(HOUR_MS))
    }
}

/// Records `key` under `seq` unless it is already stored; `true` when it was new.
#[cfg(test)]
pub(crate) fn claim(conn: &Connection, key: EventKey, seq: i64) -> Result<bool> {
    Ok(claim_from(conn, key, seq, 0)?.is_some())
}

/// [`claim`] from the `first` probe on: the slot the key now holds, or `None` when stored.
fn claim_from(conn: &Connection, key: EventKey, seq: i64, first: i64) -> Result<Option<i64>> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO event_keys (slot, check_hash, seq) VALUES (?1, ?2, ?3)",
    )?;
    let mut get = conn.prepare_cached("SELECT check_hash FROM event_keys WHERE slot = ?1")?;
    for probe in first..MAX_PROBES {
        let slot = key.slot.wrapping_add(probe);
        if insert.execute(params![slot, key.check, seq])? == 1 {
            return Ok(Some(slot));
        }
        let held: i64 = get.query_row([slot], |r| r.get(0))?;
        if held == key.check {
            return Ok(None);
        }
    }
    Err(StoreError::BadValue {
        what: "event key slots from",
        key: key.slot.to_string(),
        value: format!("{MAX_PROBES} occupied in a row"),
    })
}

/// Rows per multi-row insert in [`claim_all`]: one statement per row cost more in binding,
/// stepping and resetting than SQLite spent inserting the row.
const ROWS_PER_INSERT: usize = 128;

/// Claims many keys at once. `keys` are distinct, each with the seq it would be stored under.
/// Per key: `Some(slot)`, the slot it now holds, when it was new; `None` when it was stored
/// before.
///
/// Keys are inserted in slot order, so the B-tree is walked front to back rather than at
/// random, [`ROWS_PER_INSERT`] rows per statement. A statement that inserts fewer rows than it
/// carried (a stored key, or two keys sharing a slot) is resolved row by row.
pub(crate) fn claim_all(conn: &Connection, keys: &[(EventKey, i64)]) -> Result<Vec<Option<i64>>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by_key(|&i| keys.get(i).map(|(k, _)| k.slot));
    let mut out = vec![None; keys.len()];
    let mut get = conn.prepare_cached("SELECT check_hash, seq FROM event_keys WHERE slot = ?1")?;
    for chunk in order.chunks(ROWS_PER_INSERT) {
        let rows = chunk.iter().filter_map(|&i| keys.get(i));
        let inserted = conn
            .prepare_cached(&crate::multi_row::insert_sql(
                "INSERT OR IGNORE INTO event_keys (slot, check_hash, seq) VALUES ",
                3,
                chunk.len(),
            ))?
            .execute(rusqlite::params_from_iter(
                rows.flat_map(|(k, seq)| [k.slot, k.check, *seq]),
            ))?;
        for &i in chunk {
            let (Some(&(key, seq)), Some(slot_out)) = (keys.get(i), out.get_mut(i)) else {
                continue;
            };
            if inserted == chunk.len() {
                *slot_out = Some(key.slot);
                continue;
            }
            let held: (i64, i64) = get.query_row([key.slot], |r| Ok((r.get(0)?, r.get(1)?)))?;
            *slot_out = if held == (key.check, seq) {
                // Every stored seq is below this batch's, so this row is the one just written.
                Some(key.slot)
            } else if held.0 == key.check {
                None
            } else {
                claim_from(conn, key, seq, 1)?
            };
        }
    }
    Ok(out)
}

/// Gives the key stored under `slot` the seq `seq` (a batch's seqs close up over its
/// duplicates once they are known).
pub(crate) fn set_seq(conn: &Connection, slot: i64, seq: i64) -> Result<()> {
    conn.prepare_cached("UPDATE event_keys SET seq = ?2 WHERE slot = ?1")?
        .execute(params![slot, seq])?;
    Ok(())
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

/// The seq the pair is stored under, whatever its time: [`find`] at every hour that holds
/// events, earliest first. Each hour costs two index lookups (the next occupied slot, then the
/// pair's own), so this is for single lookups where the time is not known (an event's page
/// opened by its id); lookups of many events take their times along.
pub(crate) fn find_any_time(
    conn: &Connection,
    source: EventSource,
    id: &str,
) -> Result<Option<i64>> {
    find_pair_any_time(conn, PairHash::of(source, id))
}

fn find_pair_any_time(conn: &Connection, pair: PairHash) -> Result<Option<i64>> {
    let mut next =
        conn.prepare_cached("SELECT slot FROM event_keys WHERE slot >= ?1 ORDER BY slot LIMIT 1")?;
    // Slots run from zero up (only a probe past the last hour's end wraps below zero, and the
    // walk from that hour's own slot reaches it).
    let mut from = 0i64;
    loop {
        let Some(slot) = next.query_row([from], |r| r.get::<_, i64>(0)).optional()? else {
            return Ok(None);
        };
        let hour = slot >> HASH_BITS;
        if let Some(seq) = find(conn, pair.at_hour(hour))? {
            return Ok(Some(seq));
        }
        if hour >= MAX_HOUR {
            return Ok(None);
        }
        from = (hour + 1) << HASH_BITS;
    }
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
    fn claiming_many_at_once_matches_claiming_one_by_one() {
        let key = |slot: i64, check: i64| EventKey { slot, check };
        // Stored before: two keys sharing slot 5 (the second took slot 6).
        let c = conn();
        assert!(claim(&c, key(5, 1), 1).unwrap());
        assert!(claim(&c, key(5, 2), 2).unwrap());
        // A batch over more than one statement: fresh keys, the two stored ones, a new key
        // on slot 5 and one on slot 6 (both pushed further along), a wrap-around pair.
        let mut keys: Vec<(EventKey, i64)> =
            (0..300).map(|i| (key(1000 + 7 * i, i), 100 + i)).collect();
        keys.extend([
            (key(5, 2), 400),
            (key(5, 3), 401),
            (key(6, 4), 402),
            (key(5, 1), 403),
            (key(i64::MAX, 5), 404),
            (key(i64::MAX, 6), 405),
        ]);
        let got = claim_all(&c, &keys).unwrap();
        assert!(
            got[..300]
                .iter()
                .zip(&keys)
                .all(|(g, (k, _))| *g == Some(k.slot))
        );
        assert_eq!(
            got[300..],
            [None, Some(7), Some(8), None, Some(i64::MAX), Some(i64::MIN)]
        );
        for ((k, seq), slot) in keys.iter().zip(&got) {
            if slot.is_some() {
                assert_eq!(find(&c, *k).unwrap(), Some(*seq), "{k:?}");
            }
        }
        assert_eq!(find(&c, key(5, 1)).unwrap(), Some(1));
        assert_eq!(find(&c, key(5, 2)).unwrap(), Some(2));
        // Claiming the same keys again finds every one stored.
        let again: Vec<(EventKey, i64)> = keys.iter().map(|&(k, s)| (k, s + 1000)).collect();
        assert!(claim_all(&c, &again).unwrap().iter().all(Option::is_none));
    }

    #[test]
    fn a_pair_is_found_in_any_hour_without_its_time() {
        let c = conn();
        let at =
            |id: &str, ms: i64| EventKey::of(EventSource::Agent, id, Timestamp::from_millis(ms));
        // Times before 1970 and past the last hour share the first and last hours.
        let (early, late) = (at("a", -5), at("a", i64::MAX));
        assert_eq!(early, at("a", 0));
        assert_eq!(late.slot >> HASH_BITS, MAX_HOUR);
        assert!(claim(&c, at("b", 7 * HOUR_MS), 1).unwrap());
        assert!(claim(&c, late, 2).unwrap());
        assert!(claim(&c, at("a", 5 * HOUR_MS + 1), 3).unwrap());
        let any = |id: &str| find_any_time(&c, EventSource::Agent, id).unwrap();
        assert_eq!(any("a"), Some(3), "the earliest hour first");
        assert_eq!(any("b"), Some(1));
        assert_eq!(any("c"), None);
        assert!(claim(&c, early, 4).unwrap());
        assert_eq!(any("a"), Some(4));
        assert_eq!(find(&c, late).unwrap(), Some(2));
        assert_eq!(
            find_any_time(&c, EventSource::Cloudtrail, "a").unwrap(),
            None
        );
        // A pair that took the next slot of the last hour is found there, past the wrap-around.
        let full = PairHash {
            low: (1 << HASH_BITS) - 1,
            check: 9,
        };
        let other = PairHash { check: 10, ..full };
        assert!(claim(&c, full.at_hour(MAX_HOUR), 5).unwrap());
        assert!(claim(&c, other.at_hour(MAX_HOUR), 6).unwrap());
        assert_eq!(find(&c, other.at_hour(MAX_HOUR)).unwrap(), Some(6));
    }

    /// Pairs from a tiny hash space (slots collide, probes run into the next hour and past the
    /// last one), claimed batch after batch, against a map: every claim says new or stored as
    /// the map does, and every pair is found at its hour and, without it, at its earliest one.
    mod against_a_map {
        use super::*;
        use proptest::prelude::*;
        use std::collections::{BTreeMap, BTreeSet};

        /// Lows next to either end of the hour's range. Checks differ between pairs, as two
        /// pairs' 64-bit checks do in practice: a lookup takes the slot in its run that holds
        /// its check, so two pairs sharing a check and a run could be taken for one another
        /// (the 104 bits of the module's note).
        fn pair(low: u8, check: u8) -> PairHash {
            PairHash {
                low: if low < 4 {
                    i64::from(low)
                } else {
                    (1 << HASH_BITS) - 1 - i64::from(low - 4)
                },
                check: (i64::from(low) << 8) | i64::from(check),
            }
        }

        const HOURS: [i64; 6] = [0, 1, 2, 3, MAX_HOUR - 1, MAX_HOUR];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]
            #[test]
            fn claims_and_lookups_agree_with_a_map(
                batches in proptest::collection::vec(
                    proptest::collection::vec((0u8..8, 0u8..3, 0usize..HOURS.len()), 1..12),
                    1..6,
                )
            ) {
                let c = conn();
                // (low, check) -> hour -> seq
                let mut model: BTreeMap<(u8, u8), BTreeMap<i64, i64>> = BTreeMap::new();
                let mut seq = 0i64;
                for batch in &batches {
                    // A batch's keys are distinct; its seqs above every stored one.
                    let mut seen = BTreeSet::new();
                    let unique: Vec<(u8, u8, i64)> = batch
                        .iter()
                        .map(|&(low, check, h)| (low, check, HOURS[h]))
                        .filter(|k| seen.insert(*k))
                        .collect();
                    let keys: Vec<(EventKey, i64)> = unique
                        .iter()
                        .map(|&(low, check, hour)| {
                            seq += 1;
                            (pair(low, check).at_hour(hour), seq)
                        })
                        .collect();
                    let got = claim_all(&c, &keys).unwrap();
                    for (&(low, check, hour), (claimed, &(_, s))) in
                        unique.iter().zip(got.iter().zip(&keys))
                    {
                        let stored = model.entry((low, check)).or_default();
                        let new = !stored.contains_key(&hour);
                        prop_assert_eq!(claimed.is_some(), new, "{:?}", (low, check, hour));
                        if new {
                            stored.insert(hour, s);
                        }
                    }
                }
                for low in 0u8..8 {
                    for check in 0u8..3 {
                        let stored = model.get(&(low, check));
                        for hour in HOURS {
                            let want = stored.and_then(|h| h.get(&hour)).copied();
                            prop_assert_eq!(find(&c, pair(low, check).at_hour(hour)).unwrap(), want);
                        }
                        let earliest = stored.and_then(|h| h.values().next()).copied();
                        prop_assert_eq!(find_pair_any_time(&c, pair(low, check)).unwrap(), earliest);
                    }
                }
            }
        }
    }

    #[test]
    fn keys_depend_on_source_and_id() {
        let t = Timestamp::from_millis(1_714_521_600_000);
        let k = EventKey::of(EventSource::Cloudtrail, "x", t);
        assert_eq!(k, EventKey::of(EventSource::Cloudtrail, "x", t));
        assert_ne!(k, EventKey::of(EventSource::Agent, "x", t));
        assert_ne!(k, EventKey::of(EventSource::Cloudtrail, "y", t));
        // The same hour, the same key; another hour, another slot with the same low bits.
        let later = Timestamp::from_millis(t.as_millis() + HOUR_MS - 1);
        assert_eq!(k, EventKey::of(EventSource::Cloudtrail, "x", later));
        let next = EventKey::of(
            EventSource::Cloudtrail,
            "x",
            Timestamp::from_millis(t.as_millis() + HOUR_MS),
        );
        assert_eq!(next.check, k.check);
        assert_eq!(next.slot - k.slot, 1 << HASH_BITS);
    }
}

//! Storing a batch of prepared events as one segment: dedup, seqs, the segment file, and the
//! rows that make it visible (record table, entity postings, per-source counts), all in the
//! caller's transaction.
//!
//! What is left here is what needs the write lock; everything per event and pure was done by
//! [`PreparedEvents::prepare`], on whichever thread parsed the events.

use crate::error::Result;
use crate::event_keys::{self, EventKey};
use crate::events::InsertOutcome;
use crate::prepared::{PreparedEvent, PreparedEvents};
use crate::seeded_hash::SeededHash;
use crate::segment::{self, Record, RecordTable};
use crate::{Store, events::corrupt};
use rusqlite::{Transaction, params};
use std::collections::{BTreeMap, HashMap};
use vigil_model::EventSource;

const BUMP_COUNTS: &str = "INSERT INTO event_counts (source, events, min_time_ms, max_time_ms) \
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source) DO UPDATE SET \
    events = events + excluded.events, \
    min_time_ms = min(min_time_ms, excluded.min_time_ms), \
    max_time_ms = max(max_time_ms, excluded.max_time_ms)";

/// The entities of one segment: record indexes and time range per entity key.
struct Posting {
    ordinals: Vec<u32>,
    min: i64,
    max: i64,
}

/// Stores the events of `parts` (taken in order as one batch) that are not stored yet, as one
/// segment. The outcome's seqs index the events of all parts, in order.
pub(crate) fn insert_parts(
    tx: &Transaction<'_>,
    files: &mut segment::SegmentFiles,
    parts: &[PreparedEvents],
) -> Result<InsertOutcome> {
    let all: Vec<(&PreparedEvents, &PreparedEvent)> = parts
        .iter()
        .flat_map(|p| p.events.iter().map(move |e| (p, e)))
        .collect();
    let mut seqs = vec![None; all.len()];
    let base = Store::next_seq(tx)?;
    let (candidates, claims) = candidates(&all, base);
    let slots = event_keys::claim_all(tx, &claims)?;

    let mut docs: Vec<&[u8]> = Vec::with_capacity(candidates.len());
    let mut table = RecordTable::default();
    // Per input event, its record in the segment (`NOT_NEW` for duplicates).
    let mut ordinal_of = vec![NOT_NEW; all.len()];
    // (count, min time, max time) of the new events per source.
    let mut counts: BTreeMap<EventSource, (i64, i64, i64)> = BTreeMap::new();
    let mut offset = 0u64;
    for ((&i, slot), (_, tentative)) in candidates.iter().zip(&slots).zip(&claims) {
        let (Some(slot), Some((part, event))) = (slot, all.get(i)) else {
            continue;
        };
        let ordinal = u32::try_from(table.records.len())
            .ok()
            .filter(|&o| o != NOT_NEW)
            .ok_or_else(|| corrupt(base, "size"))?;
        let seq = base + i64::from(ordinal);
        if seq != *tentative {
            // An earlier candidate was stored before: close the gap it left.
            event_keys::set_seq(tx, *slot, seq)?;
        }
        if let Some(out) = seqs.get_mut(i) {
            *out = Some(seq);
        }
        if let Some(o) = ordinal_of.get_mut(i) {
            *o = ordinal;
        }
        let doc = part.doc(event);
        let len = u32::try_from(doc.len()).map_err(|_| corrupt(base, "doc"))?;
        docs.push(doc);
        table.records.push(Record {
            time: event.time,
            source: event.source,
            offset,
            len,
        });
        offset += u64::from(len);
        let time = event.time.as_millis();
        let entry = counts.entry(event.source).or_insert((0, time, time));
        entry.0 += 1;
        entry.1 = entry.1.min(time);
        entry.2 = entry.2.max(time);
    }
    let (Some(first), Some(last)) = (table.records.first(), table.records.last()) else {
        return Ok(InsertOutcome { seqs });
    };
    let postings = postings(parts, &ordinal_of, &table);
    let (min, max) = (first.time.as_millis(), last.time.as_millis());
    files.write(base, &docs)?;
    tx.prepare_cached(
        "INSERT INTO event_segments (base_seq, count, min_time_ms, max_time_ms, records) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        base,
        table.records.len() as i64,
        min,
        max,
        table.encode()
    ])?;
    // Many rows per statement, as for the dedup keys: a segment of object-level S3 events
    // names thousands of entities, and a statement per row cost more than the rows.
    let (objects, entities): (Vec<_>, Vec<_>) = postings
        .iter()
        .partition(|(entity, _)| crate::is_object_key(entity));
    for (rows, sql) in [
        (
            entities,
            "INSERT INTO segment_entities \
             (entity, base_seq, min_time_ms, max_time_ms, ordinals) VALUES ",
        ),
        (
            objects,
            "INSERT INTO segment_objects \
             (entity, base_seq, min_time_ms, max_time_ms, ordinals) VALUES ",
        ),
    ] {
        for chunk in rows.chunks(LINKS_PER_INSERT) {
            let lists: Vec<Vec<u8>> = chunk
                .iter()
                .map(|(_, p)| segment::postings::encode(&p.ordinals))
                .collect();
            let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 5);
            for ((entity, p), list) in chunk.iter().zip(&lists) {
                values.extend([entity as &dyn rusqlite::ToSql, &base, &p.min, &p.max, list]);
            }
            tx.prepare_cached(&crate::multi_row::insert_sql(sql, 5, chunk.len()))?
                .execute(rusqlite::params_from_iter(values))?;
        }
    }
    let mut bump = tx.prepare_cached(BUMP_COUNTS)?;
    for (source, (n, min, max)) in counts {
        bump.execute(params![source.as_str(), n, min, max])?;
    }
    Ok(InsertOutcome { seqs })
}

/// Entity rows per multi-row insert.
const LINKS_PER_INSERT: usize = 64;

/// Marks an input event that is not stored by this batch.
const NOT_NEW: u32 = u32::MAX;

/// The segment's postings, sorted by entity key (so the index is written front to back): each
/// part's per-entity event lists, mapped to record ordinals and merged across parts.
fn postings<'a>(
    parts: &'a [PreparedEvents],
    ordinal_of: &[u32],
    table: &RecordTable,
) -> Vec<(&'a str, Posting)> {
    let mut merged: HashMap<&str, Posting, SeededHash> = HashMap::default();
    let mut first = 0usize;
    for part in parts {
        for (entity, events) in part.entities() {
            let mut ordinals = events
                .iter()
                .filter_map(|&e| ordinal_of.get(first + e as usize).copied())
                .filter(|&o| o != NOT_NEW)
                .peekable();
            if ordinals.peek().is_none() {
                continue;
            }
            let p = merged.entry(entity).or_insert(Posting {
                ordinals: Vec::new(),
                min: i64::MAX,
                max: i64::MIN,
            });
            for o in ordinals {
                if let Some(r) = table.records.get(o as usize) {
                    p.min = p.min.min(r.time.as_millis());
                    p.max = p.max.max(r.time.as_millis());
                }
                p.ordinals.push(o);
            }
        }
        first += part.len();
    }
    let mut out: Vec<(&str, Posting)> = merged.into_iter().collect();
    for (_, p) in &mut out {
        // Lists from several parts interleave; ordinals are unique per entity.
        p.ordinals.sort_unstable();
    }
    out.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out
}

/// The events that may be new, in event-time order (ties in input order, so a segment is
/// sorted), each with the claim of its key at the seq it gets if all of them are new. Of two
/// events with one key, the first in that order is the candidate.
fn candidates(
    all: &[(&PreparedEvents, &PreparedEvent)],
    base: i64,
) -> (Vec<usize>, Vec<(EventKey, i64)>) {
    let mut order: Vec<(i64, usize)> = all
        .iter()
        .enumerate()
        .map(|(i, (_, e))| (e.time.as_millis(), i))
        .collect();
    order.sort_unstable();
    // Repeats: sorted by key, then time order, all but the first of each run. Keys are hashes
    // already, so sorting them beats hashing them again into a set.
    let mut by_key: Vec<(EventKey, usize)> = order
        .iter()
        .enumerate()
        .filter_map(|(rank, &(_, i))| all.get(i).map(|(_, e)| (e.key, rank)))
        .collect();
    by_key.sort_unstable();
    let mut repeated = vec![false; order.len()];
    for pair in by_key.windows(2) {
        if let ([a, b], Some(r)) = (pair, pair.get(1).and_then(|b| repeated.get_mut(b.1)))
            && a.0 == b.0
        {
            *r = true;
        }
    }
    let mut candidates = Vec::with_capacity(all.len());
    let mut claims = Vec::with_capacity(all.len());
    for (&(_, i), _) in order.iter().zip(&repeated).filter(|(_, r)| !**r) {
        let Some((_, e)) = all.get(i) else { continue };
        claims.push((e.key, base.saturating_add(candidates.len() as i64)));
        candidates.push(i);
    }
    (candidates, claims)
}

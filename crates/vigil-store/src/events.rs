//! Events: insert with dedup on (source, event id), and the queries investigation and replay
//! need. Bodies live in segments (`segment/`); SQLite holds the dedup keys (`event_keys.rs`),
//! each segment's record table and time range, and per segment which records involve each
//! entity. One insert batch is one segment, made visible by the transaction that records it
//! (`insert.rs`).

use crate::error::{Result, StoreError};
use crate::event_keys::{self, EventKey};
use crate::prepared::PreparedEvents;
use crate::segment::{self, Record, RecordTable};
use crate::{Store, entity_key};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use std::ops::ControlFlow;
use vigil_model::{EntityRef, Event, EventSource, Timestamp};

/// Which events to return. Every field narrows the result; `None` means no constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events that involve this entity (see `Event::entities`).
    pub entity: Option<EntityRef>,
    /// Events at or after this time.
    pub since: Option<Timestamp>,
    /// Events strictly before this time (windows are half-open: `[since, until)`).
    pub until: Option<Timestamp>,
    pub source: Option<EventSource>,
    /// `Event::action()`: `iam:CreateAccessKey`, `process_start`, ...
    pub action: Option<String>,
    pub limit: Option<usize>,
    /// A page cursor: only events that come after the event with this `seq` in the result
    /// order (event time, then seq). Pass the last `seq` of the previous page.
    pub after_seq: Option<i64>,
}

/// An event as stored, with its storage sequence number (insertion order, unique).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub event: Event,
}

/// What `insert_events` did with each input event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Per input index: the new event's `seq`, or `None` when it was already stored (or
    /// repeated earlier in the same batch).
    pub seqs: Vec<Option<i64>>,
}

impl InsertOutcome {
    pub fn is_new(&self, index: usize) -> bool {
        matches!(self.seqs.get(index), Some(Some(_)))
    }

    pub fn new_count(&self) -> usize {
        self.seqs.iter().filter(|s| s.is_some()).count()
    }

    pub fn duplicate_count(&self) -> usize {
        self.seqs.len() - self.new_count()
    }

    /// The events of `batch` (the slice passed to `insert_events`) that were new.
    pub fn new_events<'a>(&'a self, batch: &'a [Event]) -> impl Iterator<Item = &'a Event> + 'a {
        batch
            .iter()
            .zip(&self.seqs)
            .filter_map(|(e, s)| s.map(|_| e))
    }
}

/// One stored event found by a query, before its document is read.
#[derive(Debug, Clone, Copy)]
struct Hit {
    seq: i64,
    base: i64,
    record: Record,
}

impl Hit {
    fn order(&self) -> (i64, i64) {
        (self.record.time.as_millis(), self.seq)
    }
}

impl Store {
    /// Stores a batch of events in one transaction. Events already stored (same source and
    /// id) are left as they are; the outcome says which inputs were new.
    pub fn insert_events(&mut self, events: &[Event]) -> Result<InsertOutcome> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let prepared = PreparedEvents::prepare(events)?;
        let outcome = crate::insert::insert_parts(&tx, &mut self.segments, &[prepared])?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Stores events prepared ahead (see [`PreparedEvents`]) in one transaction, the parts
    /// taken in order as one batch: as [`Store::insert_events`] on the parts' events
    /// concatenated.
    pub fn insert_prepared(&mut self, parts: &[PreparedEvents]) -> Result<InsertOutcome> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = crate::insert::insert_parts(&tx, &mut self.segments, parts)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Events matching `query`, ordered by event time then seq.
    pub fn query_events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>> {
        let since = query.since.map_or(i64::MIN, Timestamp::as_millis);
        let until = query.until.map_or(i64::MAX, Timestamp::as_millis);
        let after = match query.after_seq {
            None => None,
            // A cursor on an event that does not exist matches nothing after it.
            Some(seq) => match self.hit_of_seq(seq)? {
                Some(hit) => Some(hit.order()),
                None => return Ok(Vec::new()),
            },
        };
        let mut hits = match &query.entity {
            Some(entity) => self.entity_hits(entity, since, until)?,
            None => self.time_hits(since, until)?,
        };
        hits.retain(|h| {
            let t = h.record.time.as_millis();
            t >= since
                && t < until
                && query.source.is_none_or(|s| s == h.record.source)
                && after.is_none_or(|a| h.order() > a)
        });
        hits.sort_unstable_by_key(Hit::order);
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut reader = self.segments.reader();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for hit in hits {
            if out.len() >= limit {
                break;
            }
            let event = read_hit(&mut reader, &hit, &mut buf)?;
            if query.action.as_ref().is_none_or(|a| *a == event.action()) {
                out.push(StoredEvent {
                    seq: hit.seq,
                    event,
                });
            }
        }
        Ok(out)
    }

    /// How many events are stored.
    pub fn count_events(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT coalesce(sum(events), 0) FROM event_counts")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The stored events with these (source, id) pairs, in the order asked; ids not stored are
    /// skipped. Each id is looked for at every hour that holds events (see
    /// `event_keys::find_any_time`): for a single event whose time is not known. Callers that
    /// know the times (alert evidence) use [`Store::events_by_ids_at`].
    pub fn events_by_ids(&self, ids: &[(EventSource, String)]) -> Result<Vec<StoredEvent>> {
        self.events_by_seqs(
            ids.iter()
                .map(|(source, id)| event_keys::find_any_time(&self.conn, *source, id)),
        )
    }

    /// The stored events with these (source, id, time) triples, in the order asked; those not
    /// stored are skipped. The time must be the event's own (as alert evidence carries it): an
    /// event is looked for in its hour only.
    pub fn events_by_ids_at(
        &self,
        ids: &[(EventSource, String, Timestamp)],
    ) -> Result<Vec<StoredEvent>> {
        self.events_by_seqs(ids.iter().map(|(source, id, time)| {
            event_keys::find(&self.conn, EventKey::of(*source, id, *time))
        }))
    }

    fn events_by_seqs(
        &self,
        seqs: impl Iterator<Item = Result<Option<i64>>>,
    ) -> Result<Vec<StoredEvent>> {
        let mut reader = self.segments.reader();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for seq in seqs {
            let Some(seq) = seq? else {
                continue;
            };
            if let Some(hit) = self.hit_of_seq(seq)? {
                let event = read_hit(&mut reader, &hit, &mut buf)?;
                out.push(StoredEvent { seq, event });
            }
        }
        Ok(out)
    }

    /// Calls `f` with every event at or after `since`, in event-time order (then seq). `f`
    /// stops the walk by returning `ControlFlow::Break`. Returns how many events `f` saw.
    ///
    /// Memory: the walk first lists where each event is (40 bytes per event), then reads and
    /// decodes one document at a time.
    pub fn for_each_event_in_time_order(
        &self,
        since: Option<Timestamp>,
        f: &mut dyn FnMut(StoredEvent) -> ControlFlow<()>,
    ) -> Result<u64> {
        let since = since.map_or(i64::MIN, Timestamp::as_millis);
        let mut hits = self.time_hits(since, i64::MAX)?;
        hits.retain(|h| h.record.time.as_millis() >= since);
        hits.sort_unstable_by_key(Hit::order);
        let mut reader = self.segments.reader();
        let mut buf = Vec::new();
        let mut seen = 0u64;
        for hit in hits {
            seen += 1;
            let event = read_hit(&mut reader, &hit, &mut buf)?;
            if f(StoredEvent {
                seq: hit.seq,
                event,
            })
            .is_break()
            {
                break;
            }
        }
        Ok(seen)
    }

    /// Every record of the segments whose time range meets `[since, until)`.
    fn time_hits(&self, since: i64, until: i64) -> Result<Vec<Hit>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT base_seq, records FROM event_segments \
             WHERE max_time_ms >= ?1 AND min_time_ms < ?2",
        )?;
        let mut rows = stmt.query(params![since, until])?;
        let mut hits = Vec::new();
        while let Some(row) = rows.next()? {
            let base: i64 = row.get(0)?;
            let table = decode_table(base, row.get_ref(1)?.as_blob()?)?;
            hits.extend(
                table
                    .records
                    .into_iter()
                    .zip(base..)
                    .map(|(record, seq)| Hit { seq, base, record }),
            );
        }
        Ok(hits)
    }

    /// The records involving `entity` in the segments whose range for it meets `[since, until)`.
    /// An S3 object is looked up in each segment whose time range meets the query's (its
    /// postings are keyed by segment first; see schema V5); every other entity's postings are
    /// read in one range of its own.
    fn entity_hits(&self, entity: &EntityRef, since: i64, until: i64) -> Result<Vec<Hit>> {
        let key = entity_key(entity);
        let mut stmt = self.conn.prepare_cached(if crate::is_object_key(&key) {
            // CROSS JOIN keeps the segments as the outer loop: one primary-key lookup each.
            "SELECT x.base_seq, s.records, x.ordinals FROM event_segments s \
             CROSS JOIN segment_objects x ON x.base_seq = s.base_seq AND x.entity = ?1 \
             WHERE s.max_time_ms >= ?2 AND s.min_time_ms < ?3 \
             AND x.max_time_ms >= ?2 AND x.min_time_ms < ?3"
        } else {
            "SELECT x.base_seq, s.records, x.ordinals FROM segment_entities x \
             JOIN event_segments s ON s.base_seq = x.base_seq \
             WHERE x.entity = ?1 AND x.max_time_ms >= ?2 AND x.min_time_ms < ?3"
        })?;
        let mut rows = stmt.query(params![key, since, until])?;
        let mut hits = Vec::new();
        while let Some(row) = rows.next()? {
            let base: i64 = row.get(0)?;
            let records = row.get_ref(1)?.as_blob()?;
            let ordinals = segment::postings::decode(row.get_ref(2)?.as_blob()?)
                .ok_or_else(|| corrupt(base, "entity postings"))?;
            for o in ordinals {
                let record = RecordTable::entry(records, o as usize)
                    .ok_or_else(|| corrupt(base, "posting past the record table"))?;
                hits.push(Hit {
                    seq: base + i64::from(o),
                    base,
                    record,
                });
            }
        }
        Ok(hits)
    }

    /// Where the event with `seq` is, if it is stored.
    fn hit_of_seq(&self, seq: i64) -> Result<Option<Hit>> {
        let row: Option<(i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT base_seq, count FROM event_segments WHERE base_seq <= ?1 \
                 ORDER BY base_seq DESC LIMIT 1",
            )?
            .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((base, count)) = row else {
            return Ok(None);
        };
        if seq - base >= count {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT records FROM event_segments WHERE base_seq = ?1")?;
        let mut rows = stmt.query([base])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let index = usize::try_from(seq - base).map_err(|_| corrupt(base, "seq"))?;
        let record = RecordTable::entry(row.get_ref(0)?.as_blob()?, index)
            .ok_or_else(|| corrupt(base, "record table shorter than its count"))?;
        Ok(Some(Hit { seq, base, record }))
    }

    /// The seq the next segment starts at.
    pub(crate) fn next_seq(tx: &Transaction<'_>) -> Result<i64> {
        let next: Option<i64> = tx
            .prepare_cached(
                "SELECT base_seq + count FROM event_segments ORDER BY base_seq DESC LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(next.unwrap_or(1))
    }
}

pub(crate) fn corrupt(base: i64, what: &str) -> StoreError {
    StoreError::BadValue {
        what: "event segment",
        key: base.to_string(),
        value: format!("corrupt {what}"),
    }
}

fn decode_table(base: i64, blob: &[u8]) -> Result<RecordTable> {
    RecordTable::decode(blob).ok_or_else(|| corrupt(base, "record table"))
}

fn read_hit(
    reader: &mut segment::files::SegmentReader<'_>,
    hit: &Hit,
    buf: &mut Vec<u8>,
) -> Result<Event> {
    reader.read(hit.base, hit.record.offset, hit.record.len, buf)?;
    segment::doc::decode_event(&hit.record, buf)
}

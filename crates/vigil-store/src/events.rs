//! Events: insert with dedup on (source, event id), and the queries investigation and replay
//! need. The event body is stored as JSON in `doc`; id, time and source live in their columns.
//! Storing the body alone keeps the columns the single source of truth for id, time, source.

use crate::error::{Result, StoreError, decode};
use crate::{Store, entity_key};
use rusqlite::types::Value;
use rusqlite::{Row, Transaction, TransactionBehavior, params};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use vigil_model::{EntityRef, Event, EventBody, EventSource, HostEventKind, Timestamp};

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

const INSERT_EVENT: &str = "INSERT OR IGNORE INTO events \
    (source, event_id, time_ms, action, account, region, principal, access_key, source_ip, host, error_code, doc) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
const INSERT_ENTITY: &str =
    "INSERT OR IGNORE INTO event_entities (entity, time_ms, seq) VALUES (?1, ?2, ?3)";
const BUMP_COUNTS: &str = "INSERT INTO event_counts (source, events, min_time_ms, max_time_ms) \
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source) DO UPDATE SET \
    events = events + excluded.events, \
    min_time_ms = min(min_time_ms, excluded.min_time_ms), \
    max_time_ms = max(max_time_ms, excluded.max_time_ms)";
const EVENT_COLUMNS: &str = "e.seq, e.source, e.event_id, e.time_ms, e.doc";

/// The typed columns of one event.
struct Columns<'a> {
    account: Option<&'a str>,
    region: Option<&'a str>,
    principal: Option<&'a str>,
    access_key: Option<&'a str>,
    source_ip: Option<&'a str>,
    host: Option<&'a str>,
    error_code: Option<&'a str>,
}

fn columns(event: &Event) -> Columns<'_> {
    match &event.body {
        EventBody::Cloud(c) => Columns {
            account: Some(&c.account),
            region: Some(&c.region),
            principal: c.actor.principal_arn(),
            access_key: c.access_key_id.as_deref(),
            source_ip: c.source_ip.as_deref(),
            host: None,
            error_code: c.error_code.as_deref(),
        },
        EventBody::Host(h) => Columns {
            account: None,
            region: None,
            principal: None,
            access_key: None,
            source_ip: match &h.kind {
                HostEventKind::Login { source_ip, .. } => source_ip.as_deref(),
                _ => None,
            },
            host: Some(&h.host_id),
            error_code: None,
        },
    }
}

impl Store {
    /// Stores a batch of events in one transaction. Events already stored (same source and
    /// id) are left as they are; the outcome says which inputs were new.
    pub fn insert_events(&mut self, events: &[Event]) -> Result<InsertOutcome> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = insert_in(&tx, events)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Events matching `query`, ordered by event time then seq.
    pub fn query_events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>> {
        let mut args: Vec<Value> = Vec::new();
        let mut sql = String::with_capacity(256);
        // `t` is the table whose (time_ms, seq) drives the order: the entity index when an
        // entity is asked for, else the events' time index.
        let t = if let Some(entity) = &query.entity {
            args.push(Value::Text(entity_key(entity)));
            let _ = write!(
                sql,
                "SELECT {EVENT_COLUMNS} FROM event_entities x JOIN events e ON e.seq = x.seq \
                 WHERE x.entity = ?{}",
                args.len()
            );
            "x"
        } else {
            let _ = write!(sql, "SELECT {EVENT_COLUMNS} FROM events e WHERE 1");
            "e"
        };
        if let Some(since) = query.since {
            args.push(Value::Integer(since.as_millis()));
            let _ = write!(sql, " AND {t}.time_ms >= ?{}", args.len());
        }
        if let Some(until) = query.until {
            args.push(Value::Integer(until.as_millis()));
            let _ = write!(sql, " AND {t}.time_ms < ?{}", args.len());
        }
        if let Some(source) = query.source {
            args.push(Value::Text(source.as_str().to_string()));
            let _ = write!(sql, " AND e.source = ?{}", args.len());
        }
        if let Some(action) = &query.action {
            args.push(Value::Text(action.clone()));
            let _ = write!(sql, " AND e.action = ?{}", args.len());
        }
        if let Some(after) = query.after_seq {
            let time: Option<i64> = self
                .conn
                .prepare_cached("SELECT time_ms FROM events WHERE seq = ?1")?
                .query_row([after], |r| r.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
            // A cursor on an event that does not exist matches nothing after it.
            let Some(time) = time else {
                return Ok(Vec::new());
            };
            args.push(Value::Integer(time));
            args.push(Value::Integer(after));
            let _ = write!(
                sql,
                " AND ({t}.time_ms, {t}.seq) > (?{}, ?{})",
                args.len() - 1,
                args.len()
            );
        }
        let _ = write!(sql, " ORDER BY {t}.time_ms, {t}.seq");
        if let Some(limit) = query.limit {
            args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
            let _ = write!(sql, " LIMIT ?{}", args.len());
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(read_event(row)?);
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
    /// skipped.
    pub fn events_by_ids(&self, ids: &[(EventSource, String)]) -> Result<Vec<StoredEvent>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.source = ?1 AND e.event_id = ?2"
        ))?;
        let mut out = Vec::with_capacity(ids.len());
        for (source, id) in ids {
            let mut rows = stmt.query(params![source.as_str(), id])?;
            if let Some(row) = rows.next()? {
                out.push(read_event(row)?);
            }
        }
        Ok(out)
    }

    /// Calls `f` with every event at or after `since`, in event-time order, one row at a time
    /// (memory stays flat however many events there are). `f` stops the walk by returning
    /// `ControlFlow::Break`. Returns how many events `f` saw.
    pub fn for_each_event_in_time_order(
        &self,
        since: Option<Timestamp>,
        f: &mut dyn FnMut(StoredEvent) -> ControlFlow<()>,
    ) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.time_ms >= ?1 ORDER BY e.time_ms, e.seq"
        ))?;
        let mut rows = stmt.query([since.map_or(i64::MIN, Timestamp::as_millis)])?;
        let mut seen = 0u64;
        while let Some(row) = rows.next()? {
            seen += 1;
            if f(read_event(row)?).is_break() {
                break;
            }
        }
        Ok(seen)
    }
}

fn insert_in(tx: &Transaction<'_>, events: &[Event]) -> Result<InsertOutcome> {
    let mut insert = tx.prepare_cached(INSERT_EVENT)?;
    let mut link = tx.prepare_cached(INSERT_ENTITY)?;
    let mut seqs = Vec::with_capacity(events.len());
    // (count, min time, max time) of the new events per source.
    let mut counts: BTreeMap<EventSource, (i64, i64, i64)> = BTreeMap::new();
    let mut doc = Vec::with_capacity(4096);
    let mut key = String::with_capacity(128);
    for event in events {
        doc.clear();
        serde_json::to_writer(&mut doc, &event.body).map_err(|source| StoreError::Encode {
            what: "event",
            source,
        })?;
        // serde_json writes UTF-8, so this moves the buffer without copying it.
        let doc_text = String::from_utf8(std::mem::take(&mut doc))
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let c = columns(event);
        let time = event.time.as_millis();
        let changed = insert.execute(params![
            event.source.as_str(),
            event.id,
            time,
            event.action(),
            c.account,
            c.region,
            c.principal,
            c.access_key,
            c.source_ip,
            c.host,
            c.error_code,
            doc_text,
        ])?;
        doc = doc_text.into_bytes();
        if changed == 0 {
            seqs.push(None);
            continue;
        }
        let seq = tx.last_insert_rowid();
        for entity in event.entities() {
            key.clear();
            let _ = write!(key, "{entity}");
            link.execute(params![key, time, seq])?;
        }
        let entry = counts.entry(event.source).or_insert((0, time, time));
        entry.0 += 1;
        entry.1 = entry.1.min(time);
        entry.2 = entry.2.max(time);
        seqs.push(Some(seq));
    }
    let mut bump = tx.prepare_cached(BUMP_COUNTS)?;
    for (source, (n, min, max)) in counts {
        bump.execute(params![source.as_str(), n, min, max])?;
    }
    Ok(InsertOutcome { seqs })
}

fn read_event(row: &Row<'_>) -> Result<StoredEvent> {
    let seq: i64 = row.get(0)?;
    let source_text: String = row.get(1)?;
    let id: String = row.get(2)?;
    let time: i64 = row.get(3)?;
    let source = EventSource::parse(&source_text).ok_or_else(|| StoreError::BadValue {
        what: "event source of event",
        key: id.clone(),
        value: source_text.clone(),
    })?;
    let doc = row.get_ref(4)?.as_str()?;
    let body: EventBody = decode("event", id.as_str(), doc)?;
    Ok(StoredEvent {
        seq,
        event: Event {
            id,
            time: Timestamp::from_millis(time),
            source,
            body,
        },
    })
}

//! The event store interface, so the backend can change with scale.

use crate::error::Result;
use crate::events::{EventQuery, InsertOutcome, StoredEvent};
use std::ops::ControlFlow;
use vigil_model::{Event, EventSource, Timestamp};

/// Where events live. [`crate::Store`] implements it on SQLite, which serves one machine and
/// tens of millions of events.
///
/// At larger scale a Parquet implementation takes over behind this same trait: events are
/// written as Apache Arrow record batches to Parquet files partitioned by date and account
/// (`events/date=2024-05-01/account=123456789012/part-N.parquet`), with the same columns as
/// the `events` table (`source`, `event_id`, `time_ms`, `action`, `account`, `region`,
/// `principal`, `access_key`, `source_ip`, `host`, `error_code`) and `doc` as a string column
/// holding the event body JSON, so rows convert one to one. An `event_entities` dataset
/// (`entity`, `time_ms`, `event_id`), sorted by entity, answers entity queries. Embedded
/// DataFusion runs `query_events` as SQL over those files (partition pruning on date and
/// account, row-group statistics on `time_ms`), and distributed engines (Ballista, Spark, Trino)
/// read the same files on object storage. Dedup on (source, event id) then moves to a
/// per-partition key set kept by the writer, since Parquet has no unique constraint; `seq`
/// becomes the writer's monotonic row number.
pub trait EventStore {
    /// Stores new events and reports, per input, whether it was new.
    fn insert_events(&mut self, events: &[Event]) -> Result<InsertOutcome>;

    /// Events matching `query`, ordered by event time then seq.
    fn query_events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>>;

    fn count_events(&self) -> Result<u64>;

    /// The stored events with these (source, id) pairs, in the order asked.
    fn events_by_ids(&self, ids: &[(EventSource, String)]) -> Result<Vec<StoredEvent>>;

    /// Streams every event at or after `since` in event-time order; returns how many `f` saw.
    fn for_each_event_in_time_order(
        &self,
        since: Option<Timestamp>,
        f: &mut dyn FnMut(StoredEvent) -> ControlFlow<()>,
    ) -> Result<u64>;
}

impl EventStore for crate::Store {
    fn insert_events(&mut self, events: &[Event]) -> Result<InsertOutcome> {
        crate::Store::insert_events(self, events)
    }

    fn query_events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>> {
        crate::Store::query_events(self, query)
    }

    fn count_events(&self) -> Result<u64> {
        crate::Store::count_events(self)
    }

    fn events_by_ids(&self, ids: &[(EventSource, String)]) -> Result<Vec<StoredEvent>> {
        crate::Store::events_by_ids(self, ids)
    }

    fn for_each_event_in_time_order(
        &self,
        since: Option<Timestamp>,
        f: &mut dyn FnMut(StoredEvent) -> ControlFlow<()>,
    ) -> Result<u64> {
        crate::Store::for_each_event_in_time_order(self, since, f)
    }
}

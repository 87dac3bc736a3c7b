//! Counts for summaries (`vigil status`, the console header). Event figures come from the
//! per-source totals kept at insert time, so this never scans the events.

use crate::Store;
use crate::error::{Result, StoreError};
use std::collections::BTreeMap;
use vigil_model::{EventSource, Timestamp};

/// Events from one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceStats {
    pub events: u64,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// How much the store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub events: u64,
    pub events_by_source: BTreeMap<EventSource, SourceStats>,
    /// Earliest and latest event time, if there are events.
    pub event_time_range: Option<(Timestamp, Timestamp)>,
    pub alerts: u64,
    /// Alerts per status (`new`, `investigating`, ...).
    pub alerts_by_status: BTreeMap<String, u64>,
    pub entities: u64,
    pub state_entries: u64,
    pub file_checkpoints: u64,
    pub audit_entries: u64,
}

impl Store {
    pub fn stats(&self) -> Result<StoreStats> {
        let mut stats = StoreStats::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT source, events, min_time_ms, max_time_ms FROM event_counts")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let source = EventSource::parse(&name).ok_or_else(|| StoreError::BadValue {
                what: "event source in",
                key: "event_counts".to_string(),
                value: name.clone(),
            })?;
            let s = SourceStats {
                events: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                first: Timestamp::from_millis(row.get(2)?),
                last: Timestamp::from_millis(row.get(3)?),
            };
            stats.events += s.events;
            stats.event_time_range = Some(match stats.event_time_range {
                None => (s.first, s.last),
                Some((a, b)) => (a.min(s.first), b.max(s.last)),
            });
            stats.events_by_source.insert(source, s);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, count(*) FROM alerts GROUP BY status")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let n = u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0);
            stats.alerts += n;
            stats.alerts_by_status.insert(row.get(0)?, n);
        }
        stats.entities = self.count("entities")?;
        stats.state_entries = self.count("engine_state")?;
        stats.file_checkpoints = self.count("file_checkpoints")?;
        stats.audit_entries = self.count("audit_log")?;
        Ok(stats)
    }

    fn count(&self, table: &'static str) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM {table}"))?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

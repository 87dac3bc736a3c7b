//! Events by entity and time range, and one event by source and id.

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::query::Params;
use crate::server::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;
use vigil_model::{Event, EventSource, Timestamp};
use vigil_store::{EventQuery, Store};

pub const DEFAULT_EVENTS: usize = 100;
pub const MAX_EVENTS: usize = 1_000;

/// The query of `entity`, `since`, `until`, `source`, `action`, `limit`, `after_seq`.
pub fn event_query(p: &Params) -> Result<EventQuery, ApiError> {
    let source = p
        .get("source")
        .map(|s| {
            EventSource::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("`{s}` is not an event source")))
        })
        .transpose()?;
    let after_seq = p
        .get("after_seq")
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::BadRequest(format!("`after_seq` must be a number, not `{v}`"))
            })
        })
        .transpose()?;
    Ok(EventQuery {
        entity: p.entity("entity"),
        since: p.time("since")?,
        until: p.time("until")?,
        source,
        action: p.get("action").map(str::to_string),
        limit: Some(p.usize_or("limit", DEFAULT_EVENTS, MAX_EVENTS)?.max(1)),
        after_seq,
    })
}

pub async fn list(
    State(st): State<Arc<AppState>>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let query = event_query(&Params::parse(q.as_deref())?)?;
    let limit = query.limit.unwrap_or(DEFAULT_EVENTS);
    let events = st.db.run(move |s| Ok(s.query_events(&query)?)).await?;
    let next = (events.len() >= limit)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    let list: Vec<Value> = events
        .into_iter()
        .map(|s| json!({"seq": s.seq, "event": s.event}))
        .collect();
    Ok(Json(json!({"events": list, "next_after_seq": next})))
}

/// The event `id` from `source`. `at`, the event's own time when the caller knows it (links
/// carry it), finds it with one lookup; without it, or when it is not the event's time, every
/// hour that holds events is searched.
pub fn load_event(
    store: &Store,
    source: &str,
    id: &str,
    at: Option<Timestamp>,
) -> Result<Event, ApiError> {
    let src = EventSource::parse(source)
        .ok_or_else(|| ApiError::NotFound(format!("`{source}` is not an event source")))?;
    let exact = match at {
        Some(t) => store.events_by_ids_at(&[(src, id.to_string(), t)])?,
        None => Vec::new(),
    };
    let found = match exact.into_iter().next() {
        Some(s) => Some(s),
        None => store
            .events_by_ids(&[(src, id.to_string())])?
            .into_iter()
            .next(),
    };
    found
        .map(|s| s.event)
        .ok_or_else(|| ApiError::NotFound(format!("no {source} event `{id}`")))
}

/// The `?at=` of an event link: the event's time, which makes its lookup exact.
pub fn event_at(q: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    Params::parse(q)?.time("at")
}

pub async fn one(
    State(st): State<Arc<AppState>>,
    p: Principal,
    Path((source, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let at = event_at(q.as_deref())?;
    let event = st.db.run(move |s| load_event(s, &source, &id, at)).await?;
    let summary = event.summary();
    Ok(Json(json!({"event": event, "summary": summary})))
}

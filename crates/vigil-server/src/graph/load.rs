//! Gathering a graph's events from the store: the events of an alert's entities around its
//! time (following role sessions the stolen key opened), or of one entity in a window, plus
//! the same entities' earlier events as the baseline.

use super::build::{Baseline, build};
use super::{BaselineInfo, Graph, GraphLimits};
use std::collections::{BTreeSet, HashSet};
use vigil_model::{Alert, EntityKind, EntityRef, Event, Timestamp};
use vigil_store::{EventQuery, Store};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// How far before the drawn window the baseline looks.
pub const BASELINE_DAYS: i64 = 30;
/// Margin drawn around an alert's first/last seen.
const ALERT_MARGIN_MS: i64 = HOUR_MS;
/// Window drawn for an entity when none is given: the week up to its newest event.
const DEFAULT_ENTITY_WINDOW_MS: i64 = 7 * DAY_MS;

/// What to draw.
#[derive(Debug, Clone)]
pub enum GraphRequest {
    /// An alert (with its children's entities and evidence).
    Alert {
        alert: Box<Alert>,
        children: Vec<Alert>,
    },
    Entity {
        entity: EntityRef,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        /// Mark what is new compared with the entity's earlier behaviour.
        highlight_new: bool,
    },
}

/// Entity kinds whose events make up behaviour. Accounts and regions are too broad to follow.
fn followable(kind: EntityKind) -> bool {
    !matches!(kind, EntityKind::Account | EntityKind::Region)
}

pub fn load(
    store: &Store,
    request: &GraphRequest,
    limits: &GraphLimits,
) -> vigil_store::Result<Graph> {
    let (entities, from, until, highlight, evidence) = match request {
        GraphRequest::Alert { alert, children } => {
            let mut entities: BTreeSet<EntityRef> = BTreeSet::new();
            let mut evidence = HashSet::new();
            for a in std::iter::once(alert.as_ref()).chain(children.iter()) {
                entities.extend(a.entities.iter().filter(|e| followable(e.kind)).cloned());
                evidence.extend(a.evidence.iter().map(|e| e.event_id.clone()));
            }
            let first = children
                .iter()
                .map(|c| c.first_seen)
                .chain([alert.first_seen])
                .min()
                .unwrap_or(alert.first_seen);
            let last = children
                .iter()
                .map(|c| c.last_seen)
                .chain([alert.last_seen])
                .max()
                .unwrap_or(alert.last_seen);
            // Behaviour alerts are about what is new; others only draw what happened.
            let highlight = matches!(
                alert.kind,
                vigil_model::AlertKind::Anomaly | vigil_model::AlertKind::Composite
            );
            (
                entities,
                first.plus_millis(-ALERT_MARGIN_MS),
                last.plus_millis(ALERT_MARGIN_MS),
                highlight,
                evidence,
            )
        }
        GraphRequest::Entity {
            entity,
            since,
            until,
            highlight_new,
        } => {
            let (from, to) = match (since, until) {
                (Some(s), Some(u)) => (*s, *u),
                (Some(s), None) => (*s, Timestamp::from_millis(i64::MAX)),
                (None, Some(u)) => (u.plus_millis(-DEFAULT_ENTITY_WINDOW_MS), *u),
                (None, None) => {
                    let newest = newest_event_time(store, entity)?;
                    (
                        newest.plus_millis(-DEFAULT_ENTITY_WINDOW_MS),
                        newest.plus_millis(1),
                    )
                }
            };
            (
                BTreeSet::from([entity.clone()]),
                from,
                to,
                *highlight_new,
                HashSet::new(),
            )
        }
    };
    let mut events = events_of(store, &entities, from, until, limits.max_events)?;
    // Follow role sessions opened in the window: the session key's calls belong to the story.
    let session_keys: BTreeSet<EntityRef> = events
        .iter()
        .filter_map(|e| e.cloud())
        .filter(|c| c.service_short() == "sts" && c.action.starts_with("AssumeRole"))
        .filter_map(|c| {
            c.response_elements
                .as_ref()?
                .get("/credentials/accessKeyId")
        })
        .filter_map(|v| v.as_str().map(|k| EntityRef::new(EntityKind::AccessKey, k)))
        .filter(|k| !entities.contains(k))
        .collect();
    if !session_keys.is_empty() {
        let more = events_of(
            store,
            &session_keys,
            from,
            until,
            limits.max_events.saturating_sub(events.len()),
        )?;
        merge(&mut events, more);
    }
    let mut info = None;
    let baseline = if highlight {
        let b_from = from.plus_millis(-BASELINE_DAYS * DAY_MS);
        let all: BTreeSet<EntityRef> = entities.union(&session_keys).cloned().collect();
        let before = events_of(store, &all, b_from, from, limits.max_events)?;
        info = Some(BaselineInfo {
            from: b_from,
            until: from,
            events: before.len() as u64,
        });
        Some(Baseline::from_events(&before))
    } else {
        None
    };
    let mut graph = build(&events, baseline.as_ref(), &evidence, limits);
    graph.baseline = info;
    Ok(graph)
}

/// The newest event time in the store (kept per source at insert, so no scan).
fn newest_event_time(store: &Store, _entity: &EntityRef) -> vigil_store::Result<Timestamp> {
    Ok(store
        .stats()?
        .event_time_range
        .map_or(Timestamp::from_millis(0), |(_, last)| last))
}

/// Events of any of `entities` in `[from, until)`, deduplicated, in time order.
fn events_of(
    store: &Store,
    entities: &BTreeSet<EntityRef>,
    from: Timestamp,
    until: Timestamp,
    cap: usize,
) -> vigil_store::Result<Vec<Event>> {
    let mut out: Vec<(i64, Event)> = Vec::new();
    let mut seen = HashSet::new();
    for entity in entities {
        if out.len() >= cap {
            break;
        }
        let found = store.query_events(&EventQuery {
            entity: Some(entity.clone()),
            since: Some(from),
            until: Some(until),
            limit: Some(cap - out.len()),
            ..EventQuery::default()
        })?;
        for s in found {
            if seen.insert(s.seq) {
                out.push((s.seq, s.event));
            }
        }
    }
    out.sort_by(|a, b| a.1.time.cmp(&b.1.time).then(a.0.cmp(&b.0)));
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

fn merge(events: &mut Vec<Event>, more: Vec<Event>) {
    let known: HashSet<(vigil_model::EventSource, String)> =
        events.iter().map(|e| (e.source, e.id.clone())).collect();
    events.extend(
        more.into_iter()
            .filter(|e| !known.contains(&(e.source, e.id.clone()))),
    );
    vigil_model::sort_by_time(events);
}

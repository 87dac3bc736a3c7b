//! Everything one alert's page shows, gathered once for the API and the console: the alert,
//! its children, every evidence event resolved from the store, the merged timeline in event
//! order and the tactics in the order they appear.

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use vigil_model::{Alert, Event, EventSource, MitreRef, Timestamp};
use vigil_store::Store;

/// Evidence ids resolved per alert page at most (an alert with more still lists them; only
/// the first ones are looked up).
pub const MAX_RESOLVED_EVIDENCE: usize = 2_000;

#[derive(Debug, Serialize)]
pub struct AlertDetail {
    pub alert: Alert,
    /// The alerts this composite merges, in `first_seen` order; ids not found are in
    /// `missing_children`.
    pub children: Vec<Alert>,
    pub missing_children: Vec<String>,
    /// Evidence of the alert and its children, deduplicated, in event-time order.
    pub timeline: Vec<TimelineEntry>,
    /// Tactics in the order of the first timeline entry that carries them.
    pub tactics: Vec<MitreRef>,
}

#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    pub time: Timestamp,
    pub event_id: String,
    pub summary: String,
    /// The alert (this one or a child) whose evidence it is.
    pub alert_id: String,
    pub alert_title: String,
    /// Where the event is stored, when it is.
    pub source: Option<EventSource>,
    /// The stored event, when it is in the store.
    pub event: Option<Event>,
}

pub fn load(store: &Store, id: &str) -> vigil_store::Result<Option<AlertDetail>> {
    let Some(alert) = store.get_alert(id)? else {
        return Ok(None);
    };
    let mut children = Vec::new();
    let mut missing_children = Vec::new();
    for child in &alert.children {
        match store.get_alert(child)? {
            Some(a) => children.push(a),
            None => missing_children.push(child.clone()),
        }
    }
    children.sort_by(|a, b| a.first_seen.cmp(&b.first_seen).then(a.id.cmp(&b.id)));

    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    for a in std::iter::once(&alert).chain(children.iter()) {
        for ev in &a.evidence {
            if seen.insert(ev.event_id.clone()) {
                entries.push(TimelineEntry {
                    time: ev.time,
                    event_id: ev.event_id.clone(),
                    summary: ev.summary.clone(),
                    alert_id: a.id.clone(),
                    alert_title: a.title.clone(),
                    source: None,
                    event: None,
                });
            }
        }
    }
    resolve_events(store, &mut entries)?;
    entries.sort_by(|a, b| a.time.cmp(&b.time).then(a.event_id.cmp(&b.event_id)));

    let first_time: BTreeMap<&str, Timestamp> = {
        let mut m = BTreeMap::new();
        for e in &entries {
            m.entry(e.alert_id.as_str()).or_insert(e.time);
        }
        m
    };
    let mut tactic_alerts: Vec<&Alert> = children.iter().collect();
    tactic_alerts.sort_by_key(|a| {
        first_time
            .get(a.id.as_str())
            .copied()
            .unwrap_or(a.first_seen)
    });
    tactic_alerts.push(&alert);
    let mut tactics: Vec<MitreRef> = Vec::new();
    for a in tactic_alerts {
        for m in &a.mitre {
            if !tactics.contains(m) {
                tactics.push(m.clone());
            }
        }
    }
    Ok(Some(AlertDetail {
        alert,
        children,
        missing_children,
        timeline: entries,
        tactics,
    }))
}

/// Looks the evidence ids up in every source (evidence names the event id, not its source).
fn resolve_events(store: &Store, entries: &mut [TimelineEntry]) -> vigil_store::Result<()> {
    let sources = [
        EventSource::Cloudtrail,
        EventSource::Agent,
        EventSource::Falco,
        EventSource::Auditd,
    ];
    let ids: Vec<(EventSource, String, Timestamp)> = entries
        .iter()
        .take(MAX_RESOLVED_EVIDENCE)
        .flat_map(|e| sources.iter().map(|s| (*s, e.event_id.clone(), e.time)))
        .collect();
    let found = store.events_by_ids_at(&ids)?;
    let mut by_id: BTreeMap<String, Event> = BTreeMap::new();
    for s in found {
        by_id.entry(s.event.id.clone()).or_insert(s.event);
    }
    for e in entries.iter_mut() {
        if let Some(ev) = by_id.remove(&e.event_id) {
            e.source = Some(ev.source);
            e.event = Some(ev);
        }
    }
    Ok(())
}

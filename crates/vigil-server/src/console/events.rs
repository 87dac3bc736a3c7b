//! Events of an entity in a time range, and one event in full.

use super::PageError;
use super::alerts::urlencode;
use super::layout::{page, path_segment};
use crate::api::{event_at, event_query, load_event};
use crate::auth::{Permission, Principal};
use crate::query::Params;
use crate::server::AppState;
use axum::extract::{Path, RawQuery, State};
use maud::{Markup, html};
use std::sync::Arc;
use vigil_model::EventBody;

pub async fn list(
    State(st): State<Arc<AppState>>,
    who: Principal,
    RawQuery(q): RawQuery,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let query = event_query(&params)?;
    let limit = query.limit.unwrap_or(100);
    let events = st.db.run(move |s| Ok(s.query_events(&query)?)).await?;
    let next = (events.len() >= limit)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    let next_link = next.map(|seq| {
        let pairs: Vec<(&str, String)> = ["entity", "since", "until", "source", "action", "limit"]
            .iter()
            .filter_map(|k| params.get(k).map(|v| (*k, v.to_string())))
            .chain([("after_seq", seq.to_string())])
            .collect();
        format!(
            "/events?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let entity = params.get("entity").unwrap_or("");
    let body = html! {
        h1 { "Events" }
        form.filters method="get" action="/events" {
            label { "Entity " input type="text" name="entity" value=(entity) placeholder="AKIA…, ARN, i-…, IP"; }
            label { "Since " input type="text" name="since" value=(params.get("since").unwrap_or("")); }
            label { "Until " input type="text" name="until" value=(params.get("until").unwrap_or("")); }
            label { "Action " input type="text" name="action" value=(params.get("action").unwrap_or("")) placeholder="ec2:DescribeInstances"; }
            button type="submit" { "Search" }
        }
        @if !entity.is_empty() {
            p { a href={"/graph?entity=" (urlencode(entity))} { "Polygraph of this entity" } }
        }
        table #events {
            thead { tr { th { "Time" } th { "Source" } th { "Action" } th { "Summary" } th {} } }
            tbody {
                @for s in &events {
                    tr {
                        td.time { (s.event.time) }
                        td { (s.event.source.as_str()) }
                        td { (s.event.action()) }
                        td.summary { (s.event.summary()) }
                        td { a href={"/events/" (s.event.source.as_str()) "/" (path_segment(&s.event.id)) "?at=" (urlencode(&s.event.time.to_string()))} { "open" } }
                    }
                }
            }
        }
        @if let Some(link) = next_link { nav.paging { a rel="next" href=(link) { "Later →" } } }
    };
    Ok(page("Events", &who, "/events", body))
}

pub async fn one(
    State(st): State<Arc<AppState>>,
    who: Principal,
    Path((source, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let at = event_at(q.as_deref())?;
    let event = st.db.run(move |s| load_event(s, &source, &id, at)).await?;
    let pretty = serde_json::to_string_pretty(&event).unwrap_or_default();
    let entities = event.entities();
    let body = html! {
        h1 { (event.action()) }
        p.summary #event-summary { (event.summary()) }
        dl.facts {
            dt { "Time" } dd { (event.time) }
            dt { "Source" } dd { (event.source.as_str()) }
            dt { "Event id" } dd { code { (event.id) } }
            @if let EventBody::Cloud(c) = &event.body {
                dt { "Actor" } dd { (c.actor.display_name()) }
                @if let Some(ip) = &c.source_ip { dt { "Source IP" } dd { (ip) } }
                @if let Some(ua) = &c.user_agent { dt { "User agent" } dd #user-agent { (ua) } }
                @if let Some(e) = &c.error_code { dt { "Error" } dd { (e) } }
            }
        }
        h2 { "Entities" }
        ul {
            @for e in &entities {
                li { a href={"/events?entity=" (urlencode(&e.to_string()))} { (e) } }
            }
        }
        h2 { "Event" }
        pre #event-json { (pretty) }
    };
    Ok(page("Event", &who, "/events", body))
}

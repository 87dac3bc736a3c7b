//! The alert list and one alert's page.

use super::PageError;
use super::layout::{can_write, page, path_segment, severity_badge, status_badge};
use crate::api::{StatusChange, apply_status_change};
use crate::auth::{Permission, Principal};
use crate::detail::{self, AlertDetail};
use crate::error::ApiError;
use crate::query::{Params, alert_filter};
use crate::server::AppState;
use crate::suppression::{self, SuppressionProposal};
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use std::sync::Arc;
use vigil_model::{Alert, AlertStatus, EntityRef, Severity};

/// Entities shown per row in the list.
const ROW_ENTITIES: usize = 3;

fn entity_link(e: &EntityRef) -> Markup {
    let key = e.to_string();
    html! {
        a.entity href={"/events?entity=" (urlencode(&key))} title=(key) {
            span.kind { (e.kind.as_str()) } " " (e.id)
        }
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

pub async fn list(
    State(st): State<Arc<AppState>>,
    who: Principal,
    RawQuery(q): RawQuery,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let filter = alert_filter(&params)?;
    let f = filter.clone();
    let (alerts, total) = st.db.run(move |s| Ok(s.list_alerts(&f)?)).await?;
    let limit = filter.limit.unwrap_or(crate::query::DEFAULT_PAGE);
    let offset = filter.offset;
    let keep = |name: &str| params.all(name).join(",");
    let page_link = |off: usize| {
        let pairs: Vec<(&str, String)> = [
            "severity", "type", "kind", "entity", "status", "since", "until",
        ]
        .iter()
        .map(|k| (*k, keep(k)))
        .filter(|(_, v)| !v.is_empty())
        .chain([("limit", limit.to_string()), ("offset", off.to_string())])
        .collect();
        format!(
            "/alerts?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let status_sel = keep("status");
    let body = html! {
        h1 { "Alerts" }
        form.filters method="get" action="/alerts" {
            label { "Severity ≥ "
                select name="severity" {
                    option value="" { "any" }
                    @for s in Severity::ALL.iter().rev() {
                        option value=(s.as_str()) selected[filter.severity_at_least == Some(*s)] { (s.as_str()) }
                    }
                }
            }
            label { "Type " input type="text" name="type" value=(keep("type")) placeholder="compromised_aws_keys"; }
            label { "Entity " input type="text" name="entity" value=(params.get("entity").unwrap_or("")) placeholder="AKIA…, ARN, i-…"; }
            label { "Status "
                select name="status" {
                    option value="" { "any" }
                    @for s in ["new", "investigating", "resolved", "false_positive"] {
                        option value=(s) selected[status_sel == s] { (s.replace('_', " ")) }
                    }
                }
            }
            label { "Since " input type="text" name="since" value=(params.get("since").unwrap_or("")) placeholder="2026-10-31"; }
            label { "Until " input type="text" name="until" value=(params.get("until").unwrap_or("")) placeholder="RFC 3339"; }
            button type="submit" { "Filter" }
        }
        p.count { (total) " alerts" @if total > 0 { ", " (offset + 1) "–" (offset + alerts.len()) " shown" } }
        table.alerts {
            thead { tr { th { "Severity" } th { "Alert" } th { "Kind" } th { "Entities" } th { "First seen" } th { "Last seen" } th { "Status" } th { "Score" } } }
            tbody {
                @for a in &alerts {
                    tr {
                        td { (severity_badge(a.severity)) }
                        td { a.alert-link href={"/alerts/" (path_segment(&a.id))} { (a.title) } br; span.type { (a.alert_type) } }
                        td { (a.kind.as_str()) }
                        td.entities {
                            @for e in a.entities.iter().take(ROW_ENTITIES) { (entity_link(e)) " " }
                            @if a.entities.len() > ROW_ENTITIES { span.more { "+" (a.entities.len() - ROW_ENTITIES) } }
                        }
                        td.time { (a.first_seen) }
                        td.time { (a.last_seen) }
                        td { (status_badge(a.status)) }
                        td { (format!("{:.0}", a.score)) }
                    }
                }
            }
        }
        nav.paging {
            @if offset > 0 { a rel="prev" href=(page_link(offset.saturating_sub(limit))) { "← Newer" } }
            @if (offset + alerts.len()) < usize::try_from(total).unwrap_or(usize::MAX) {
                a rel="next" href=(page_link(offset + limit)) { "Older →" }
            }
        }
    };
    Ok(page("Alerts", &who, "/alerts", body))
}

pub async fn detail(
    State(st): State<Arc<AppState>>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let lookup = id.clone();
    let (d, proposal) = st
        .db
        .run(move |s| {
            let d = detail::load(s, &lookup)?
                .ok_or_else(|| ApiError::NotFound(format!("no alert `{lookup}`")))?;
            let p: Option<SuppressionProposal> = s.get_state(suppression::NAMESPACE, &lookup)?;
            Ok((d, p))
        })
        .await?;
    Ok(page(
        &d.alert.title,
        &who,
        "/alerts",
        detail_body(&d, proposal.as_ref(), &who),
    ))
}

fn next_statuses(s: AlertStatus) -> &'static [AlertStatus] {
    use AlertStatus::*;
    match s {
        New => &[Investigating, Resolved, FalsePositive],
        Investigating => &[Resolved, FalsePositive, New],
        Resolved | FalsePositive => &[Investigating],
    }
}

fn detail_body(d: &AlertDetail, proposal: Option<&SuppressionProposal>, who: &Principal) -> Markup {
    let a: &Alert = &d.alert;
    let graph_url = format!("/api/v1/graph?alert={}", urlencode(&a.id));
    html! {
        p.crumbs { a href="/alerts" { "Alerts" } " / " span.type { (a.alert_type) } }
        h1.alert-title { (severity_badge(a.severity)) " " (a.title) }
        dl.facts {
            dt { "Status" } dd #alert-status { (status_badge(a.status)) }
            dt { "Kind" } dd { (a.kind.as_str()) }
            dt { "Score" } dd { (format!("{:.0}", a.score)) " / 100" }
            dt { "First seen" } dd { (a.first_seen) }
            dt { "Last seen" } dd { (a.last_seen) }
            dt { "Id" } dd { code { (a.id) } }
        }
        @if !a.description.is_empty() { p.description { (a.description) } }
        @if !d.tactics.is_empty() {
            section.tactics {
                h2 { "Tactics" }
                ol #tactics {
                    @for m in &d.tactics {
                        li { (m.tactic) @if let Some(t) = &m.technique { " · " (t) } }
                    }
                }
            }
        }
        section.entities {
            h2 { "Entities" }
            ul {
                @for e in &a.entities {
                    li {
                        (entity_link(e))
                        " · " a href={"/graph?entity=" (urlencode(&e.to_string()))} { "graph" }
                    }
                }
            }
        }
        @if can_write(who) {
            section.workflow {
                h2 { "Status" }
                form #status-form method="post" action={"/alerts/" (path_segment(&a.id)) "/status"} {
                    @if let Some(csrf) = &who.csrf { input type="hidden" name="csrf" value=(csrf); }
                    select name="status" {
                        @for s in next_statuses(a.status) {
                            option value=(s.as_str()) { (s.as_str().replace('_', " ")) }
                        }
                    }
                    input type="text" name="reason" placeholder="reason (required for a false positive)" maxlength="2000";
                    button type="submit" { "Change status" }
                }
            }
        }
        @if let Some(p) = proposal {
            section #suppression .proposal {
                h2 { "Proposed suppression" }
                p { "Alerts of type " code { (p.alert_type) } " about "
                    @for e in &p.entities { code { (e) } " " }
                    "would be suppressed. Reason: " (p.reason) " (proposed by " (p.proposed_by) ", " (p.state) ")." }
            }
        }
        section.polygraph {
            h2 { "Polygraph" a.more href={"/graph?alert=" (urlencode(&a.id))} { "full screen" } }
            div #graph .graph data-graph-url=(graph_url) {}
            div #graph-status .graph-status {}
            div #graph-detail .graph-detail {}
        }
        @if !a.related.is_empty() {
            section.related {
                h2 { "Related alerts" }
                ul #related {
                    @for r in &a.related {
                        li {
                            a href={"/alerts/" (path_segment(&r.id))} { (r.alert_type) }
                            ": " (r.reason)
                        }
                    }
                }
            }
        }
        @if !d.children.is_empty() || !d.missing_children.is_empty() {
            section.children {
                h2 { "Findings merged into this alert" }
                table #children {
                    thead { tr { th { "Severity" } th { "Finding" } th { "Kind" } th { "First seen" } th { "Tactics" } } }
                    tbody {
                        @for c in &d.children {
                            tr {
                                td { (severity_badge(c.severity)) }
                                td { a href={"/alerts/" (path_segment(&c.id))} { (c.title) } }
                                td { (c.kind.as_str()) }
                                td.time { (c.first_seen) }
                                td { @for m in &c.mitre { (m.tactic) " " } }
                            }
                        }
                        @for m in &d.missing_children { tr { td colspan="5" { "not in the store: " code { (m) } } } }
                    }
                }
            }
        }
        section.timeline {
            h2 { "Timeline" }
            table #timeline {
                thead { tr { th { "Time" } th { "What happened" } th { "Finding" } th { "Event" } } }
                tbody {
                    @for t in &d.timeline {
                        tr {
                            td.time { (t.time) }
                            td.summary { (t.summary) }
                            td { (t.alert_title) }
                            td {
                                @if let Some(src) = t.source {
                                    a.event-link href={"/events/" (src.as_str()) "/" (path_segment(&t.event_id)) "?at=" (urlencode(&t.time.to_string()))} { "open" }
                                } @else {
                                    span.missing title="not in the store" { (t.event_id) }
                                }
                            }
                        }
                    }
                }
            }
        }
        script src="/assets/vendor/cytoscape/cytoscape.min.js" {}
        script src="/assets/graph.js" {}
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
}

pub async fn set_status(
    State(st): State<Arc<AppState>>,
    who: Principal,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    who.require(Permission::Write)?;
    let actor = who.actor();
    let target = id.clone();
    st.db
        .run(move |s| {
            let change = StatusChange {
                status: form.status,
                reason: form.reason,
            };
            apply_status_change(s, &target, &change, &actor, crate::api::now()).map(|_| ())
        })
        .await?;
    Ok(Redirect::to(&format!("/alerts/{}", path_segment(&id))).into_response())
}

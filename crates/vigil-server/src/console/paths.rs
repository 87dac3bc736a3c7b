//! Attack paths and top risks from the stored path analysis. Each ranked path is drawn as a
//! small graph by `paths.js` (its nodes and edges ride in a `data-path` attribute, which maud
//! escapes; the script reads it as JSON and cytoscape draws labels on a canvas), with its
//! steps, score factors and fix beside it.

use super::PageError;
use super::alerts::urlencode;
use super::identities::identity_href;
use super::layout::page;
use super::layout::path_segment;
use crate::api::paths::load_paths;
use crate::auth::{Permission, Principal};
use crate::posture::paths::{AttackPath, Fix, PathsReport};
use crate::query::Params;
use crate::server::AppState;
use axum::extract::{RawQuery, State};
use maud::{Markup, html};
use serde_json::json;
use std::sync::Arc;

/// Paths drawn per page unless `?limit=` asks for more (each is a canvas).
const DEFAULT_DRAWN: usize = 10;
const MAX_DRAWN: usize = 100;
/// Lines of a top risk's explanation shown (the API has them all).
const RISK_DETAIL: usize = 8;

fn empty_paths() -> Markup {
    html! {
        p.empty #empty {
            "No attack-path analysis is stored yet. Run " code { "vigil paths --inventory DIR" }
            " (AWS describe outputs) or " code { "vigil demo" } ", then reload."
        }
    }
}

/// What the drawing needs, as JSON for the `data-path` attribute.
fn drawing(p: &AttackPath) -> String {
    let doc = json!({
        "nodes": p.nodes.iter().map(|n| json!({"type": n.kind, "id": n.id, "label": n.label})).collect::<Vec<_>>(),
        "edges": p.edges.iter().map(|e| json!({"from": e.from, "to": e.to, "type": e.kind})).collect::<Vec<_>>(),
    });
    doc.to_string()
}

fn node_link(kind: &str, id: &str, label: &str) -> Markup {
    let text = if label.is_empty() || label == id {
        id.to_string()
    } else {
        format!("{label} ({id})")
    };
    html! {
        span.kind { (kind) } " "
        @match kind {
            "user" | "role" => a href=(identity_href(id)) { (text) },
            "instance" => a href={"/scans/" (path_segment(&format!("host:{id}")))} { (text) },
            "access_key" => a href={"/events?entity=" (urlencode(id))} { (text) },
            _ => span { (text) },
        }
    }
}

fn path_section(p: &AttackPath) -> Markup {
    html! {
        section.attack-path id=(p.id) data-rank=(p.rank) {
            h2 {
                "#" (p.rank) " · score " (format!("{:.1}", p.score))
                @if p.walked { " " span.walked { "being walked" } }
                " " span.type { (p.id) }
            }
            div.path-graph id={"graph-" (p.rank)} data-path=(drawing(p)) {}
            ol.steps {
                @for (i, n) in p.nodes.iter().enumerate() {
                    li {
                        (node_link(&n.kind, &n.id, &n.label))
                        @if let Some(e) = p.edges.iter().find(|e| e.from == i) {
                            div.meaning { "↓ " (e.meaning) }
                        }
                    }
                }
            }
            @if let Some(fix) = &p.fix {
                p.fix { strong { "Fix: " } (fix.description) " " span.type { (fix.kind) } }
            }
            details {
                summary { "Why this score" }
                table.factors {
                    tbody {
                        @for f in &p.factors {
                            tr { td { (f.name) } td { (format!("{:.3}", f.value)) } td.summary { (f.explanation) } }
                        }
                    }
                }
                @if !p.alerts.is_empty() {
                    p { "Alerts on this path: " @for a in &p.alerts { a href={"/alerts/" (path_segment(a))} { (a) } " " } }
                }
            }
        }
    }
}

fn fix_first(fixes: &[Fix]) -> Markup {
    html! {
        @if !fixes.is_empty() {
            section.fix-first {
                h2 { "Fix first" }
                table #fix-first {
                    thead { tr { th { "#" } th { "Change" } th { "Breaks" } th { "Weakens" } th { "Weight removed" } th { "Share" } } }
                    tbody {
                        @for (i, f) in fixes.iter().enumerate() {
                            tr {
                                td { (i + 1) }
                                td.summary { (f.description) br; span.type { (f.kind) } }
                                td { (f.breaks) }
                                td { (f.weakens) }
                                td { (format!("{:.1}", f.weight_removed)) }
                                td { (format!("{:.0}%", f.share * 100.0)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn summary(r: &PathsReport) -> Markup {
    html! {
        p.count #paths-summary {
            (r.paths.len()) " attack paths over a graph of " (r.graph.nodes) " nodes and " (r.graph.edges) " edges"
            @let walked = r.paths.iter().filter(|p| p.walked).count();
            @if walked > 0 { "; " strong { (walked) " being walked" } " (an alert names one of their nodes)" }
            "."
        }
    }
}

pub async fn paths(
    State(st): State<Arc<AppState>>,
    who: Principal,
    RawQuery(q): RawQuery,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let drawn = params.usize_or("limit", DEFAULT_DRAWN, MAX_DRAWN)?;
    let stored = st.db.run(|s| load_paths(s)).await?;
    let body = html! {
        h1 { "Attack paths" }
        @match &stored {
            None => (empty_paths()),
            Some(stored) => {
                @let r = &stored.report;
                (summary(r))
                p.muted { "Stored by " (stored.source) " at " (stored.stored_at) ". " a href="/risks" { "Top risks" } }
                @if r.paths.is_empty() { p.empty { "No attack path reaches a data store or admin power." } }
                (fix_first(&r.fix_first))
                @for p in r.paths.iter().take(drawn) { (path_section(p)) }
                @if r.paths.len() > drawn {
                    p.more { (r.paths.len() - drawn) " more paths: " a href={"/paths?limit=" (MAX_DRAWN)} { "show up to " (MAX_DRAWN) } " or read " a href="/api/v1/paths?limit=2000" { "the API" } "." }
                }
                @if !r.notes.is_empty() {
                    section.notes { h2 { "Notes" } ul { @for n in &r.notes { li { (n) } } } }
                }
                script src="/assets/vendor/cytoscape/cytoscape.min.js" {}
                script src="/assets/paths.js" {}
            }
        }
    };
    Ok(page("Attack paths", &who, "/paths", body))
}

pub async fn risks(State(st): State<Arc<AppState>>, who: Principal) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let stored = st.db.run(|s| load_paths(s)).await?;
    let body = html! {
        h1 { "Top risks" }
        @match &stored {
            None => (empty_paths()),
            Some(stored) => {
                @let r = &stored.report;
                @if r.risks.is_empty() { p.empty { "No risks found." } }
                @else {
                    table #risks {
                        thead { tr { th { "#" } th { "Score" } th { "Risk" } th { "Subject" } th { "Why" } th { "Paths" } } }
                        tbody {
                            @for x in &r.risks {
                                tr data-category=(x.category) {
                                    td { (x.rank) }
                                    td.score { strong { (format!("{:.1}", x.score)) } }
                                    td { (x.title) br; span.type { (x.category) } }
                                    td.summary { (node_link(&x.subject_type, &x.subject, "")) }
                                    td.summary {
                                        ul.plain { @for d in x.detail.iter().take(RISK_DETAIL) { li { (d) } } }
                                        @if x.detail.len() > RISK_DETAIL { span.more { "+" (x.detail.len() - RISK_DETAIL) " more" } }
                                    }
                                    td {
                                        @for (n, id) in x.paths.iter().enumerate() {
                                            @if n < 5 { a href={"/paths?limit=" (MAX_DRAWN) "#" (path_segment(id))} { (id.trim_start_matches("path-")) } " " }
                                        }
                                        @if x.paths.len() > 5 { span.more { "+" (x.paths.len() - 5) } }
                                    }
                                }
                            }
                        }
                    }
                }
                (fix_first(&r.fix_first))
            }
        }
    };
    Ok(page("Top risks", &who, "/risks", body))
}

//! Identities: the list from the stored IAM analysis (riskiest first, with filters) and one
//! identity's page — granted vs used, risks, path to admin, who it can become, remediations
//! with the least-privilege policy and the replay of the usage window against it.

use super::PageError;
use super::alerts::urlencode;
use super::layout::path_segment;
use super::layout::{page, severity_badge};
use crate::api::identities::{find, load_iam};
use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::posture::iam::{IamReport, Identity, IdentityFilter, LinkGroup, Remediation, filtered};
use crate::query::Params;
use crate::server::AppState;
use axum::extract::{Path, RawQuery, State};
use maud::{Markup, html};
use std::collections::HashSet;
use std::sync::Arc;
use vigil_model::Severity;

/// Rows shown on the list page.
const LIST_ROWS: usize = 500;
/// Risk categories shown per row.
const ROW_RISKS: usize = 3;
/// Identities shown per linked-identity group (a dense account links thousands).
const LINKS_SHOWN: usize = 50;

pub fn identity_href(arn: &str) -> String {
    format!("/identities/{}", path_segment(arn))
}

pub fn empty_iam() -> Markup {
    html! {
        p.empty #empty {
            "No identity analysis is stored yet. Run " code { "vigil iam analyze" }
            " (with the account's " code { "aws iam get-account-authorization-details" }
            " output) or " code { "vigil demo" } ", then reload."
        }
    }
}

/// Its risks, most severe first (the report keeps them in category order).
fn worst_first(i: &Identity) -> Vec<&crate::posture::iam::Risk> {
    let mut v: Vec<_> = i.risks.iter().collect();
    v.sort_by_key(|r| std::cmp::Reverse(r.severity));
    v
}

fn share(s: Option<f64>) -> String {
    s.map_or("–".to_string(), |v| format!("{:.0}%", v * 100.0))
}

fn path_to_admin(i: &Identity) -> Markup {
    html! {
        @match &i.escalation {
            None => span.muted { "–" },
            Some(e) if e.steps.is_empty() => strong { "is admin" },
            Some(e) => {
                (e.steps.iter().map(|s| s.method.as_str()).collect::<Vec<_>>().join(" → "))
                @if e.conditional { " " span.muted { "(conditional)" } }
            }
        }
    }
}

pub async fn list(
    State(st): State<Arc<AppState>>,
    who: Principal,
    RawQuery(q): RawQuery,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let filter = IdentityFilter::from_params(&params)?;
    let stored = st.db.run(|s| load_iam(s)).await?;
    let kind = params.get("type").unwrap_or("");
    let sev = params.get("severity").unwrap_or("");
    let body = html! {
        h1 { "Identities" }
        @match &stored {
            None => (empty_iam()),
            Some(stored) => {
                @let r = &stored.report;
                @let rows = filtered(r, &filter);
                p.count #iam-summary {
                    "Account " code { (r.account) } ": " (r.summary.identities) " identities, "
                    (r.summary.admins) " admin, " (r.summary.can_escalate_to_admin) " can escalate to admin, "
                    (r.summary.high_risk) " high risk. Analysed at " (r.now) " over "
                    (r.window.days) " days of CloudTrail (" (r.window.calls) " calls"
                    @if !r.window.cloudtrail { ", none given: used vs granted unknown" } ")."
                    span.muted { " Stored by " (stored.source) " at " (stored.stored_at) "." }
                }
                form.filters method="get" action="/identities" {
                    label { "Type "
                        select name="type" {
                            option value="" { "any" }
                            @for k in ["user", "role", "root"] { option value=(k) selected[kind == k] { (k) } }
                        }
                    }
                    label { "Risk ≥ " input type="text" name="min_risk" value=(params.get("min_risk").unwrap_or("")) placeholder="0–100"; }
                    label { "Severity ≥ "
                        select name="severity" {
                            option value="" { "any" }
                            @for s in Severity::ALL.iter().rev() { option value=(s.as_str()) selected[sev == s.as_str()] { (s.as_str()) } }
                        }
                    }
                    label { "Name " input type="text" name="q" value=(params.get("q").unwrap_or("")) placeholder="part of name or ARN"; }
                    button type="submit" { "Filter" }
                }
                p.count { (rows.len()) " identities match" @if rows.len() > LIST_ROWS { ", the riskiest " (LIST_ROWS) " shown" } }
                table #identities .identities {
                    thead { tr { th { "Risk" } th { "Identity" } th { "Type" } th { "Top risks" } th { "Granted" } th { "Used" } th { "Unused" } th { "Path to admin" } th { "First remediation" } } }
                    tbody {
                        @for i in rows.iter().take(LIST_ROWS) {
                            tr data-arn=(i.arn) {
                                td.score { strong { (i.risk_score) } " " @if let Some(s) = i.max_severity() { (severity_badge(s)) } }
                                td { a.identity-link href=(identity_href(&i.arn)) { (i.name) } br; span.type { (i.arn) } }
                                td { (i.kind) }
                                td.risks {
                                    @for r in worst_first(i).into_iter().take(ROW_RISKS) { span class={"tag sev-border-" (r.severity.as_str())} { (r.category) } " " }
                                    @if i.risks.len() > ROW_RISKS { span.more { "+" (i.risks.len() - ROW_RISKS) } }
                                }
                                td { (i.permissions.granted) }
                                td { (i.permissions.used.map_or("–".to_string(), |u| u.to_string())) }
                                td { (share(i.permissions.unused_share)) }
                                td { (path_to_admin(i)) }
                                td { @if let Some(rem) = i.remediations.first() { (rem.title) " " span.muted { "(−" (rem.risk_reduction) ")" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Identities", &who, "/identities", body))
}

pub async fn detail(
    State(st): State<Arc<AppState>>,
    who: Principal,
    Path(arn): Path<String>,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let stored = st.db.run(|s| load_iam(s)).await?.ok_or_else(|| {
        ApiError::NotFound(
            "no identity analysis is stored: run `vigil iam analyze` or `vigil demo`".into(),
        )
    })?;
    let r = &stored.report;
    let i = find(r, &arn).ok_or_else(|| ApiError::NotFound(format!("no identity `{arn}`")))?;
    let arns: HashSet<&str> = r.identities.iter().map(|x| x.arn.as_str()).collect();
    let known = |a: &str| arns.contains(a);
    let link = |a: &str| -> Markup {
        html! { @if known(a) { a href=(identity_href(a)) { (a) } } @else { code { (a) } } }
    };
    let p = &i.permissions;
    let body = html! {
        p.crumbs { a href="/identities" { "Identities" } " / " span.type { (i.kind) } }
        h1 { (i.name) " " span.muted { "risk " } span #risk-score .risk-score { (i.risk_score) } span.muted { " / 100" } }
        dl.facts {
            dt { "ARN" } dd { code { (i.arn) } }
            dt { "Type" } dd { (i.kind) }
            dt { "Account" } dd { (r.account) }
            dt { "Analysed at" } dd { (r.now) " (" (r.window.days) "-day CloudTrail window, " (r.window.calls) " calls)" }
            dt { "Activity" } dd {
                a href={"/events?entity=" (urlencode(&i.arn))} { "events" } " · "
                a href={"/alerts?entity=" (urlencode(&i.arn))} { "alerts" } " · "
                a href={"/graph?entity=" (urlencode(&i.arn))} { "polygraph" }
            }
        }
        section #granted-used .granted-used {
            h2 { "Granted vs used" }
            dl.facts {
                dt { "Granted actions" } dd #granted { (p.granted) }
                dt { "Used in the window" } dd #used { (p.used.map_or("unknown (no CloudTrail analysed)".to_string(), |u| u.to_string())) }
                dt { "Unused" } dd #unused { (p.unused.map_or("–".to_string(), |u| u.to_string())) " (" (share(p.unused_share)) ")" }
                dt { "Conditional grants" } dd { (p.conditional) }
                dt { "On every resource" } dd { (p.on_all_resources) }
            }
            @if !p.used_actions.is_empty() {
                h3 { "Used actions" }
                ul #used-actions .inline { @for a in &p.used_actions { li { code { (a) } } } }
            }
            @if !p.unused_services.is_empty() {
                h3 { "Services granted but never used" }
                ul #unused-services .inline { @for s in &p.unused_services { li { code { (s) } } } }
            }
        }
        section.risks {
            h2 { "Risks" }
            @if i.risks.is_empty() { p.muted { "None found." } }
            @else {
                table #risks {
                    thead { tr { th { "Severity" } th { "Category" } th { "Detail" } } }
                    tbody {
                        @for risk in worst_first(i) {
                            tr data-category=(risk.category) {
                                td { (severity_badge(risk.severity)) }
                                td { code { (risk.category) } }
                                td.summary { (risk.detail) }
                            }
                        }
                    }
                }
            }
        }
        section.escalation {
            h2 { "Path to admin" }
            @match &i.escalation {
                None => p.muted { "No path to full administrator power found." },
                Some(e) if e.steps.is_empty() => p { strong { "This identity is an administrator already." } },
                Some(e) => {
                    @if e.conditional { p.note { "Some step holds only under conditions, or needs a workload the inventory does not list." } }
                    ol #escalation {
                        @for s in &e.steps {
                            li {
                                (link(&s.from)) " → " @if s.to == "admin" { strong { "admin" } } @else { (link(&s.to)) }
                                " by " code { (s.method) } " " (s.method_name)
                                @if let Some(v) = &s.via { " via " code { (v) } }
                                @if s.conditional { " " span.muted { "(conditional)" } }
                                @if s.needs_existing_resource { " " span.muted { "(needs an existing resource)" } }
                            }
                        }
                    }
                }
            }
        }
        section.linked {
            h2 { "Linked identities" }
            h3 { "Can become" }
            (link_groups("can-become", &i.arn, r, &i.linked.can_become, &link))
            h3 { "Who can become it" }
            (link_groups("can-be-become-by", &i.arn, r, &i.linked.can_be_become_by, &link))
        }
        section.remediations {
            h2 { "Remediations" }
            @if i.remediations.is_empty() { p.muted { "None proposed." } }
            @for (n, rem) in i.remediations.iter().enumerate() { (remediation(n, rem)) }
        }
    };
    Ok(page(&i.name, &who, "/identities", body))
}

/// One direction of linked identities: a line per (method, condition) group with its count,
/// then its first [`LINKS_SHOWN`] identities; the API lists them all.
fn link_groups(
    id: &str,
    arn: &str,
    r: &IamReport,
    groups: &[LinkGroup],
    link: &dyn Fn(&str) -> Markup,
) -> Markup {
    html! {
        @if groups.is_empty() { p.muted { "none" } }
        div id=(id) .link-groups {
            @for g in groups {
                @let set = r.link_set(g);
                div.link-group data-method=(g.method) {
                    p {
                        code { (g.method) } @if g.conditional { " " span.muted { "(conditional)" } }
                        ": " strong.count { (g.count) } @if g.count == 1 { " identity" } @else { " identities" }
                    }
                    ul.inline { @for a in set.iter().take(LINKS_SHOWN) { li { (link(a)) } } }
                    @if set.len() > LINKS_SHOWN {
                        p.muted.more {
                            "… and " (set.len() - LINKS_SHOWN) " more: "
                            a href={"/api/v1/identities/" (path_segment(arn))} { "all of them in the API" }
                        }
                    }
                }
            }
        }
    }
}

fn remediation(n: usize, rem: &Remediation) -> Markup {
    html! {
        article.remediation id={"remediation-" (n)} data-kind=(rem.kind) {
            h3 { (rem.title) " " span.reduction { "risk −" (rem.risk_reduction) } }
            @if !rem.detail.is_empty() { p.summary { (rem.detail) } }
            @if !rem.removes.is_empty() {
                p { "Removes: " @for c in &rem.removes { code { (c) } " " } }
            }
            @if !rem.benefits.is_empty() {
                p { "Also lowers the risk of: " @for b in &rem.benefits { a href=(identity_href(b)) { (b) } " " } }
            }
            @if let Some(replay) = &rem.replay {
                p.replay {
                    "Replayed " (replay.calls) " calls of the window (" (replay.checks) " checks) against the proposed policy: "
                    @if replay.predicted_denials.is_empty() { strong { "nothing would have been denied." } }
                    @else { strong { (replay.predicted_denials.len()) " call(s) would have been denied." } }
                }
                @if !replay.predicted_denials.is_empty() {
                    table.denials {
                        thead { tr { th { "Time" } th { "Action" } th { "Resource" } th { "Event" } } }
                        tbody {
                            @for d in &replay.predicted_denials {
                                tr { td.time { (d.time) } td { code { (d.action) } } td { (d.resource.as_deref().unwrap_or("–")) } td { a href={"/events/cloudtrail/" (path_segment(&d.event_id)) "?at=" (urlencode(&d.time.to_string()))} { (d.event_id) } } }
                            }
                        }
                    }
                }
            }
            @if let Some(policy) = &rem.policy {
                details open[rem.kind == "least_privilege_policy"] {
                    summary { "Proposed policy" }
                    pre.policy { (serde_json::to_string_pretty(policy).unwrap_or_default()) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dense_group_shows_its_count_and_the_first_links_only() {
        let arns: Vec<String> = (0..120)
            .map(|i| format!("arn:aws:iam::1:role/r{i:03}"))
            .collect();
        let r: IamReport = serde_json::from_value(serde_json::json!({
            "now": "2026-01-01T00:00:00Z",
            "identities": [],
            "link_sets": [["arn:aws:iam::1:user/one"], arns],
        }))
        .unwrap();
        let groups = [
            LinkGroup {
                method: "lambda-001".into(),
                conditional: true,
                count: 120,
                set: 1,
                arns: Vec::new(),
            },
            LinkGroup {
                method: "sts-001".into(),
                conditional: false,
                count: 1,
                set: 0,
                arns: Vec::new(),
            },
        ];
        let html = link_groups(
            "can-become",
            "arn:aws:iam::1:user/me",
            &r,
            &groups,
            &|a| html! { code { (a) } },
        )
        .into_string();
        assert_eq!(html.matches("<li>").count(), LINKS_SHOWN + 1, "{html}");
        assert!(html.contains("r049") && !html.contains("r050"), "{html}");
        assert!(html.contains("… and 70 more"), "{html}");
        assert!(html.contains("<strong class=\"count\">120</strong> identities"));
        assert!(html.contains("<strong class=\"count\">1</strong> identity"));
        assert!(html.contains("(conditional)"));
        let api = format!(
            "href=\"/api/v1/identities/{}\"",
            path_segment("arn:aws:iam::1:user/me")
        );
        assert!(html.contains(&api), "{html}");
    }
}

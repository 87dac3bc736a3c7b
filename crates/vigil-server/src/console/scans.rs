//! Scans: one row per stored scan report (hosts, filesystems, images), and one report's page —
//! vulnerabilities by severity, secrets by fingerprint and masked preview (never the secret),
//! packages and the problems met on the way.

use super::PageError;
use super::alerts::urlencode;
use super::layout::path_segment;
use super::layout::{page, severity_badge};
use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::posture::{self, scan::ScanReport};
use crate::server::AppState;
use axum::extract::{Path, State};
use maud::{Markup, html};
use std::sync::Arc;
use vigil_model::Severity;

/// Packages listed on a scan page (the API has them all).
const PAGE_PACKAGES: usize = 2_000;

fn counts(r: &ScanReport) -> Markup {
    let by = r.vulns_by_severity();
    html! {
        span.sev-counts {
            @for s in Severity::ALL.iter().rev() {
                @let n = by.get(s).copied().unwrap_or(0);
                span class={"count sev-border-" (s.as_str()) @if n == 0 { " zero" }} title=(s.as_str()) data-severity=(s.as_str()) {
                    (s.as_str()) " " (n)
                }
                " "
            }
        }
    }
}

pub async fn list(State(st): State<Arc<AppState>>, who: Principal) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let (reports, unreadable) = st.db.run(|s| posture::scans(s)).await?;
    let body = html! {
        h1 { "Scans" }
        @if reports.is_empty() {
            p.empty #empty {
                "No scan is stored yet. Run " code { "vigil scan fs DIR" } ", " code { "vigil scan disk IMAGE" }
                ", " code { "vigil scan image IMAGE.tar" } " or " code { "vigil demo" } ", then reload."
            }
        } @else {
            table #scans {
                thead { tr { th { "Worst" } th { "Target" } th { "OS" } th { "Packages" } th { "Vulnerabilities by severity" } th { "Secrets" } th { "Problems" } } }
                tbody {
                    @for r in &reports {
                        tr data-target=(r.target) {
                            td { @if let Some(s) = r.max_severity() { (severity_badge(s)) } @else { span.muted { "clean" } } }
                            td { a.scan-link href={"/scans/" (path_segment(&r.target))} { (r.target) } }
                            td { (r.os.as_ref().map_or("", |o| o.pretty_name.as_str())) }
                            td { (r.packages.len()) }
                            td { (counts(r)) }
                            td.secrets { (r.secrets.len()) }
                            td { (r.problems.len()) }
                        }
                    }
                }
            }
        }
        @if !unreadable.is_empty() {
            p.error { "Stored scans that could not be read: " @for u in &unreadable { code { (u) } " " } }
        }
    };
    Ok(page("Scans", &who, "/scans", body))
}

pub async fn detail(
    State(st): State<Arc<AppState>>,
    who: Principal,
    Path(target): Path<String>,
) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let lookup = target.clone();
    let r = st
        .db
        .run(move |s| posture::scan(s, &lookup))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no scan of `{target}`")))?;
    let mut vulns: Vec<_> = r.vulnerabilities.iter().collect();
    vulns.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    let body = html! {
        p.crumbs { a href="/scans" { "Scans" } }
        h1 { "Scan of " (r.target) }
        dl.facts {
            dt { "OS" } dd { (r.os.as_ref().map_or("unknown", |o| o.pretty_name.as_str())) }
            dt { "Files read" } dd { (r.stats.files) " (" (r.stats.bytes) " bytes; " (r.stats.skipped) " skipped)" }
            dt { "Packages" } dd { (r.packages.len()) }
            dt { "Vulnerabilities" } dd #vuln-counts { (r.vulnerabilities.len()) " — " (counts(&r)) }
            dt { "Secrets" } dd { (r.secrets.len()) }
        }
        section.secrets {
            h2 { "Secrets" }
            p.muted { "Hard-coded secrets are shown by fingerprint and a masked preview; the secret itself is never stored." }
            @if r.secrets.is_empty() { p.muted { "None found." } }
            @else {
                table #secrets {
                    thead { tr { th { "Severity" } th { "Kind" } th { "Where" } th { "Preview" } th { "Fingerprint" } th { "Key id" } th { "Rule" } } }
                    tbody {
                        @for s in &r.secrets {
                            tr {
                                td { (severity_badge(s.severity)) }
                                td { (s.kind) }
                                td.summary { code { (s.path) ":" (s.line) } }
                                td { code.preview { (s.preview) } }
                                td { code.fingerprint { (s.fingerprint) } }
                                td { @if let Some(k) = &s.aws_access_key_id { a href={"/events?entity=" (urlencode(k))} { (k) } } }
                                td { (s.rule) }
                            }
                        }
                    }
                }
            }
        }
        section.vulnerabilities {
            h2 { "Vulnerabilities" }
            @if vulns.is_empty() { p.muted { "None found." } }
            @else {
                table #vulnerabilities {
                    thead { tr { th { "Severity" } th { "Advisory" } th { "Package" } th { "Installed" } th { "Fixed in" } th { "Where" } th { "In use" } } }
                    tbody {
                        @for v in &vulns {
                            tr {
                                td { (severity_badge(v.severity)) }
                                td { (v.id) @if !v.title.is_empty() { br; span.type { (v.title) } } }
                                td { (v.package) " " span.type { (v.kind) } }
                                td { (v.version) }
                                td { (v.fixed_version.as_deref().unwrap_or("–")) }
                                td.summary { (v.path) }
                                td { @if v.active { "running" } }
                            }
                        }
                    }
                }
            }
        }
        section.packages {
            h2 { "Packages" }
            table #packages {
                thead { tr { th { "Name" } th { "Version" } th { "Kind" } th { "Where" } } }
                tbody {
                    @for p in r.packages.iter().take(PAGE_PACKAGES) {
                        tr { td { (p.name) } td { (p.version) } td { (p.kind) } td.summary { (p.path) } }
                    }
                }
            }
            @if r.packages.len() > PAGE_PACKAGES {
                p.more { (r.packages.len() - PAGE_PACKAGES) " more in " a href={"/api/v1/scans/" (path_segment(&r.target))} { "the API" } }
            }
        }
        @if !r.problems.is_empty() {
            section.problems {
                h2 { "Problems" }
                table #problems {
                    thead { tr { th { "Kind" } th { "Path" } th { "Detail" } } }
                    tbody { @for p in &r.problems { tr { td { code { (p.kind) } } td.summary { (p.path) } td.summary { (p.detail) } } } }
                }
            }
        }
    };
    Ok(page(&format!("Scan of {}", r.target), &who, "/scans", body))
}

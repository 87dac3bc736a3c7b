//! Stored scan reports: one row per target, and one report with packages, vulnerabilities by
//! severity, secrets (fingerprint and masked preview only) and problems.

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::posture::{self, scan::ScanReport};
use crate::server::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn summary(r: &ScanReport) -> Value {
    json!({
        "target": r.target,
        "os": r.os.as_ref().map(|o| &o.pretty_name),
        "packages": r.packages.len(),
        "vulnerabilities": r.vulnerabilities.len(),
        "vulnerabilities_by_severity": by_severity(r),
        "secrets": r.secrets.len(),
        "problems": r.problems.len(),
        "max_severity": r.max_severity(),
    })
}

fn by_severity(r: &ScanReport) -> Value {
    r.vulns_by_severity()
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

pub async fn list(State(st): State<Arc<AppState>>, p: Principal) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let (reports, unreadable) = st.db.run(|s| posture::scans(s)).await?;
    Ok(Json(json!({
        "total": reports.len(),
        "scans": reports.iter().map(summary).collect::<Vec<_>>(),
        "unreadable": unreadable,
    })))
}

pub async fn detail(
    State(st): State<Arc<AppState>>,
    p: Principal,
    Path(target): Path<String>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let lookup = target.clone();
    let r = st
        .db
        .run(move |s| posture::scan(s, &lookup))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no scan of `{target}`")))?;
    let mut vulns = r.vulnerabilities.clone();
    vulns.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(Json(json!({
        "target": r.target,
        "os": r.os,
        "stats": r.stats,
        "vulnerabilities_by_severity": by_severity(&r),
        "packages": r.packages,
        "vulnerabilities": vulns,
        "secrets": r.secrets,
        "problems": r.problems,
    })))
}

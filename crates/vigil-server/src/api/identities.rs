//! Identities from the stored IAM analysis: a filtered list with risk, and one identity with
//! granted vs used, risks, escalation path, linked identities and remediations.

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::posture::iam::{IamReport, Identity, IdentityFilter, filtered};
use crate::posture::{self, IAM_KEY, Stored};
use crate::query::Params;
use crate::server::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;
use vigil_store::Store;

/// Identities per page when none is asked for, and the most one page may hold.
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1_000;

pub fn load_iam(store: &Store) -> Result<Option<Stored<IamReport>>, ApiError> {
    posture::load(store, IAM_KEY)
}

/// One identity by ARN, or by name when the name is unique.
pub fn find<'a>(report: &'a IamReport, key: &str) -> Option<&'a Identity> {
    if let Some(i) = report.identities.iter().find(|i| i.arn == key) {
        return Some(i);
    }
    let mut by_name = report.identities.iter().filter(|i| i.name == key);
    match (by_name.next(), by_name.next()) {
        (Some(i), None) => Some(i),
        _ => None,
    }
}

fn row(i: &Identity) -> Value {
    json!({
        "arn": i.arn,
        "name": i.name,
        "type": i.kind,
        "risk_score": i.risk_score,
        "max_severity": i.max_severity(),
        "risks": i.risks.iter().map(|r| json!({"category": r.category, "severity": r.severity})).collect::<Vec<_>>(),
        "granted": i.permissions.granted,
        "used": i.permissions.used,
        "unused_share": i.permissions.unused_share,
        "escalates_to_admin": i.escalation.as_ref().is_some_and(|e| !e.steps.is_empty()),
        "can_become": i.linked.can_become_count(),
        "remediations": i.remediations.len(),
    })
}

pub async fn list(
    State(st): State<Arc<AppState>>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let filter = IdentityFilter::from_params(&params)?;
    let limit = params.usize_or("limit", DEFAULT_PAGE, MAX_PAGE)?.max(1);
    let offset = params.usize_or("offset", 0, usize::MAX)?;
    let Some(stored) = st.db.run(|s| load_iam(s)).await? else {
        return Ok(Json(
            json!({"stored": false, "total": 0, "offset": offset, "limit": limit, "identities": []}),
        ));
    };
    let r = &stored.report;
    let all = filtered(r, &filter);
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|i| row(i))
        .collect();
    Ok(Json(json!({
        "stored": true,
        "source": stored.source,
        "stored_at": stored.stored_at,
        "account": r.account,
        "now": r.now,
        "window": r.window,
        "summary": r.summary,
        "total": all.len(),
        "offset": offset,
        "limit": limit,
        "identities": page,
    })))
}

pub async fn detail(
    State(st): State<Arc<AppState>>,
    p: Principal,
    Path(arn): Path<String>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let stored = st.db.run(|s| load_iam(s)).await?.ok_or_else(|| {
        ApiError::NotFound(
            "no identity analysis is stored: run `vigil iam analyze` or `vigil demo`".into(),
        )
    })?;
    let r = &stored.report;
    let i = find(r, &arn).ok_or_else(|| ApiError::NotFound(format!("no identity `{arn}`")))?;
    Ok(Json(json!({
        "account": r.account,
        "now": r.now,
        "window": r.window,
        "stored_at": stored.stored_at,
        "identity": r.resolved(i),
    })))
}

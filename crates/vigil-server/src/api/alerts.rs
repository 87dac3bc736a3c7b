//! Alerts: filtered pages, one alert with everything behind it, and the status workflow.

use crate::auth::{Permission, Principal};
use crate::detail::{self, AlertDetail};
use crate::error::ApiError;
use crate::query::{Params, alert_filter};
use crate::server::AppState;
use crate::suppression::{self, SuppressionProposal};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use vigil_model::{Alert, AlertStatus, Timestamp};
use vigil_store::Store;

pub async fn list(
    State(st): State<Arc<AppState>>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let filter = alert_filter(&Params::parse(q.as_deref())?)?;
    let (limit, offset) = (filter.limit, filter.offset);
    let (alerts, total) = st.db.run(move |s| Ok(s.list_alerts(&filter)?)).await?;
    Ok(Json(json!({
        "total": total,
        "offset": offset,
        "limit": limit,
        "alerts": alerts,
    })))
}

pub async fn detail(
    State(st): State<Arc<AppState>>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    p.require(Permission::Read)?;
    let d = st
        .db
        .run(move |s| {
            detail::load(s, &id)?.ok_or_else(|| ApiError::NotFound(format!("no alert `{id}`")))
        })
        .await?;
    Ok(Json(d))
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusChange {
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

/// The workflow: new → investigating → resolved or false positive; a closed alert can be
/// reopened to investigating. Staying in the same status is refused as a no-op.
fn allowed(from: AlertStatus, to: AlertStatus) -> bool {
    use AlertStatus::*;
    matches!(
        (from, to),
        (New, Investigating | Resolved | FalsePositive)
            | (Investigating, Resolved | FalsePositive | New)
            | (Resolved | FalsePositive, Investigating)
    )
}

/// Longest reason kept.
const MAX_REASON_CHARS: usize = 2_000;

/// Applies a status change for `actor` at `now`: checks the workflow, writes the status and
/// the audit entry, and for a false positive stores and returns a suppression proposal.
pub fn apply_status_change(
    store: &mut Store,
    id: &str,
    change: &StatusChange,
    actor: &str,
    now: Timestamp,
) -> Result<(Alert, Option<SuppressionProposal>), ApiError> {
    let to = AlertStatus::parse(change.status.trim()).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "`{}` is not a status (new, investigating, resolved, false_positive)",
            change.status
        ))
    })?;
    let reason = change.reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::BadRequest(
            "the reason is longer than 2000 characters".into(),
        ));
    }
    if to == AlertStatus::FalsePositive && reason.is_empty() {
        return Err(ApiError::BadRequest(
            "marking a false positive needs a reason".into(),
        ));
    }
    let alert = store
        .get_alert(id)?
        .ok_or_else(|| ApiError::NotFound(format!("no alert `{id}`")))?;
    if !allowed(alert.status, to) {
        return Err(ApiError::Conflict(format!(
            "an alert cannot go from `{}` to `{}`",
            alert.status.as_str(),
            to.as_str()
        )));
    }
    store.set_alert_status(id, to, reason, actor, now)?;
    let proposal = if to == AlertStatus::FalsePositive {
        let p = suppression::propose(&alert, reason, actor, now);
        store.put_state(suppression::NAMESPACE, id, &p)?;
        Some(p)
    } else {
        None
    };
    let updated = store
        .get_alert(id)?
        .ok_or_else(|| ApiError::NotFound(format!("no alert `{id}`")))?;
    Ok((updated, proposal))
}

pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(ms)
}

pub async fn set_status(
    State(st): State<Arc<AppState>>,
    p: Principal,
    Path(id): Path<String>,
    Json(change): Json<StatusChange>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Write)?;
    let actor = p.actor();
    let (alert, proposal) = st
        .db
        .run(move |s| apply_status_change(s, &id, &change, &actor, now()))
        .await?;
    Ok(Json(
        json!({"alert": alert, "suppression_proposal": proposal}),
    ))
}

pub async fn suppressions(
    State(st): State<Arc<AppState>>,
    p: Principal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let list = st
        .db
        .run(|s| {
            let mut out = Vec::new();
            for key in s.state_keys(suppression::NAMESPACE)? {
                if let Some(p) = s.get_state::<SuppressionProposal>(suppression::NAMESPACE, &key)? {
                    out.push(p);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(json!({"proposals": list})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow() {
        use AlertStatus::*;
        assert!(allowed(New, Investigating));
        assert!(allowed(Investigating, FalsePositive));
        assert!(allowed(Resolved, Investigating));
        assert!(!allowed(Resolved, FalsePositive));
        assert!(!allowed(New, New));
    }
}

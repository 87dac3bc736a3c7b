//! Who am I, and what does the store hold.

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn me(p: Principal) -> Json<Value> {
    Json(json!({"name": p.name, "role": p.role.as_str(), "actor": p.actor()}))
}

pub async fn status(
    State(st): State<Arc<AppState>>,
    p: Principal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let s = st.db.run(|store| Ok(store.stats()?)).await?;
    let by_source: serde_json::Map<String, Value> = s
        .events_by_source
        .iter()
        .map(|(src, st)| {
            (
                src.as_str().to_string(),
                json!({"events": st.events, "first": st.first, "last": st.last}),
            )
        })
        .collect();
    Ok(Json(json!({
        "events": {
            "total": s.events,
            "by_source": by_source,
            "first": s.event_time_range.map(|r| r.0),
            "last": s.event_time_range.map(|r| r.1),
        },
        "alerts": {"total": s.alerts, "by_status": s.alerts_by_status},
        "entities": s.entities,
        "audit_entries": s.audit_entries,
        "version": env!("CARGO_PKG_VERSION"),
    })))
}

//! The stored attack-path analysis: ranked paths with their steps, factors and fix, the
//! fix-first list, and the top risks.

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::posture::paths::PathsReport;
use crate::posture::{self, PATHS_KEY, Stored};
use crate::query::Params;
use crate::server::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;
use vigil_store::Store;

pub const DEFAULT_PATHS: usize = 20;
pub const MAX_PATHS: usize = 2_000;

pub fn load_paths(store: &Store) -> Result<Option<Stored<PathsReport>>, ApiError> {
    posture::load(store, PATHS_KEY)
}

pub async fn paths(
    State(st): State<Arc<AppState>>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let limit = params.usize_or("limit", DEFAULT_PATHS, MAX_PATHS)?;
    let walked_only = params.get("walked") == Some("true");
    let Some(stored) = st.db.run(|s| load_paths(s)).await? else {
        return Ok(Json(
            json!({"stored": false, "paths_total": 0, "paths": [], "fix_first": [], "notes": []}),
        ));
    };
    let r = stored.report;
    let shown: Vec<_> = r
        .paths
        .iter()
        .filter(|p| !walked_only || p.walked)
        .take(limit)
        .collect();
    Ok(Json(json!({
        "stored": true,
        "source": stored.source,
        "stored_at": stored.stored_at,
        "graph": r.graph,
        "paths_total": r.paths.len(),
        "paths": shown,
        "fix_first": r.fix_first,
        "notes": r.notes,
    })))
}

pub async fn risks(
    State(st): State<Arc<AppState>>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let limit = params.usize_or("limit", MAX_PATHS, MAX_PATHS)?;
    let categories = params.all("category");
    let Some(stored) = st.db.run(|s| load_paths(s)).await? else {
        return Ok(Json(
            json!({"stored": false, "total": 0, "risks": [], "fix_first": []}),
        ));
    };
    let r = stored.report;
    let risks: Vec<_> = r
        .risks
        .iter()
        .filter(|x| categories.is_empty() || categories.contains(&x.category))
        .collect();
    Ok(Json(json!({
        "stored": true,
        "source": stored.source,
        "stored_at": stored.stored_at,
        "total": risks.len(),
        "risks": risks.into_iter().take(limit).collect::<Vec<_>>(),
        "fix_first": r.fix_first,
    })))
}

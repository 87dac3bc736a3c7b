//! The polygraph's data: `?alert=ID`, or `?entity=X&since=&until=&baseline=false`.

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::graph::{GraphLimits, GraphRequest, load};
use crate::query::Params;
use crate::server::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use std::sync::Arc;
use vigil_store::Store;

/// Nodes a caller may ask for at most.
const MAX_NODES: usize = 5_000;

/// Reads the request and, for an alert, loads it and its children.
pub fn graph_request(store: &Store, p: &Params) -> Result<GraphRequest, ApiError> {
    if let Some(id) = p.get("alert") {
        let alert = store
            .get_alert(id)?
            .ok_or_else(|| ApiError::NotFound(format!("no alert `{id}`")))?;
        let mut children = Vec::new();
        for c in &alert.children {
            if let Some(a) = store.get_alert(c)? {
                children.push(a);
            }
        }
        return Ok(GraphRequest::Alert {
            alert: Box::new(alert),
            children,
        });
    }
    let entity = p
        .entity("entity")
        .ok_or_else(|| ApiError::BadRequest("give `alert` or `entity`".into()))?;
    Ok(GraphRequest::Entity {
        entity,
        since: p.time("since")?,
        until: p.time("until")?,
        highlight_new: p.get("baseline") != Some("false"),
    })
}

pub async fn graph(
    State(st): State<Arc<AppState>>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<crate::graph::Graph>, ApiError> {
    p.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let limits = GraphLimits {
        max_nodes: params.usize_or("max_nodes", GraphLimits::default().max_nodes, MAX_NODES)?,
        ..GraphLimits::default()
    };
    let g = st
        .db
        .run(move |s| {
            let req = graph_request(s, &params)?;
            Ok(load(s, &req, &limits)?)
        })
        .await?;
    Ok(Json(g))
}

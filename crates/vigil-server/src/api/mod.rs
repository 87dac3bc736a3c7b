//! The JSON API under `/api/v1`. Every route is listed here and described in
//! [`openapi::document`]; a test checks the two agree.

mod alerts;
mod events;
mod graph;
pub mod identities;
mod ingest;
pub mod openapi;
pub mod paths;
pub mod scans;
mod status;

use crate::server::AppState;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

pub use alerts::{StatusChange, apply_status_change, now};
pub use events::{event_at, event_query, load_event};

/// Routes behind authentication, as (method, path) for the OpenAPI check.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/me"),
    ("get", "/api/v1/status"),
    ("get", "/api/v1/alerts"),
    ("get", "/api/v1/alerts/{id}"),
    ("post", "/api/v1/alerts/{id}/status"),
    ("get", "/api/v1/suppressions"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/events/{source}/{id}"),
    ("get", "/api/v1/graph"),
    ("post", "/api/v1/agent/events"),
    ("get", "/api/v1/identities"),
    ("get", "/api/v1/identities/{arn}"),
    ("get", "/api/v1/scans"),
    ("get", "/api/v1/scans/{target}"),
    ("get", "/api/v1/paths"),
    ("get", "/api/v1/risks"),
    ("get", "/api/v1/openapi.json"),
];

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/me", get(status::me))
        .route("/api/v1/status", get(status::status))
        .route("/api/v1/alerts", get(alerts::list))
        .route("/api/v1/alerts/{id}", get(alerts::detail))
        .route("/api/v1/alerts/{id}/status", post(alerts::set_status))
        .route("/api/v1/suppressions", get(alerts::suppressions))
        .route("/api/v1/events", get(events::list))
        .route("/api/v1/events/{source}/{id}", get(events::one))
        .route("/api/v1/graph", get(graph::graph))
        .route("/api/v1/agent/events", post(ingest::agent_events))
        .route("/api/v1/identities", get(identities::list))
        .route("/api/v1/identities/{arn}", get(identities::detail))
        .route("/api/v1/scans", get(scans::list))
        .route("/api/v1/scans/{target}", get(scans::detail))
        .route("/api/v1/paths", get(paths::paths))
        .route("/api/v1/risks", get(paths::risks))
}

/// Routes open to anyone: the API description.
pub fn public_routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/openapi.json", get(openapi::serve))
}

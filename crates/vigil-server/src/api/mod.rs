//! The JSON API under `/api/v1`. Every route is listed here and described in
//! [`openapi::document`]; a test checks the two agree.

mod alerts;
mod events;
mod graph;
mod ingest;
pub mod openapi;
mod status;

use crate::server::AppState;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

pub use alerts::{StatusChange, apply_status_change, now};
pub use events::{event_query, load_event};

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
}

/// Routes open to anyone: the API description.
pub fn public_routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/openapi.json", get(openapi::serve))
}

//! The console: server-rendered HTML (maud escapes every splice, so attacker-controlled
//! strings are text by construction), a stylesheet, and two small scripts: the polygraph
//! (cytoscape) and the attack paths (cytoscape). Each view is a module with its routes plus an
//! entry in [`layout::NAV`].

mod alerts;
mod assets;
mod events;
mod graph;
mod identities;
mod layout;
mod login;
mod paths;
mod scans;

use crate::error::ApiError;
use crate::server::AppState;
use axum::Router;
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/alerts") }))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::detail))
        .route("/alerts/{id}/status", post(alerts::set_status))
        .route("/events", get(events::list))
        .route("/events/{source}/{id}", get(events::one))
        .route("/graph", get(graph::page))
        .route("/identities", get(identities::list))
        .route("/identities/{arn}", get(identities::detail))
        .route("/scans", get(scans::list))
        .route("/scans/{target}", get(scans::detail))
        .route("/paths", get(paths::paths))
        .route("/risks", get(paths::risks))
        .route("/logout", post(login::logout))
}

pub fn public_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login::page).post(login::submit))
        .route("/assets/{*path}", get(assets::serve))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
}

/// A console handler's error: the API error, shown as a page.
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<vigil_store::StoreError> for PageError {
    fn from(e: vigil_store::StoreError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        (
            status,
            layout::error_page(status.as_u16(), &self.0.to_string()),
        )
            .into_response()
    }
}

pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        let body = serde_json::json!({"error": {"code": "no_route", "message": format!("no route `{}`", uri.path())}});
        return (axum::http::StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    (
        axum::http::StatusCode::NOT_FOUND,
        layout::error_page(404, "no such page"),
    )
        .into_response()
}

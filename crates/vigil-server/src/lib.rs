//! REST API and web console served by the vigil binary.
//!
//! One port serves three things: the JSON API under `/api/v1` (described by
//! `/api/v1/openapi.json`), the console (server-rendered HTML, assets embedded in the binary),
//! and the agent ingest endpoint. The HTTP stack (axum, tokio) stays inside this crate:
//! callers hand over a [`ServerConfig`] and call [`serve`] (blocking) or [`Server::bind`].
//!
//! Architecture invariants:
//! - Every attacker-controlled string reaches HTML through maud's escaping (pages) or
//!   `textContent` (scripts); no handler builds HTML by string concatenation.
//! - State-changing requests need an authenticated principal with the right role, and cookie
//!   sessions also need the CSRF token bound to the session and a same-origin `Origin`.
//! - SQLite is only touched on blocking threads ([`db::Db::run`]).

mod api;
mod auth;
mod config;
mod console;
mod db;
mod detail;
mod error;
mod graph;
mod headers;
mod posture;
mod query;
mod server;
mod suppression;

pub use api::ROUTES as API_ROUTES;
pub use auth::{Role, TokenError};
pub use config::{ServerConfig, TOKENS_FILE};
pub use graph::{Baseline, Graph, GraphEdge, GraphLimits, GraphNode, build as build_graph};
pub use posture::{
    FORMAT_VERSION as POSTURE_FORMAT_VERSION, IAM_KEY, NAMESPACE as POSTURE_NAMESPACE, PATHS_KEY,
    SCAN_NAMESPACE, Stored, save as save_posture,
};
pub use server::{Server, ServerError, serve};

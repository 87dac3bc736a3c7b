//! The server end to end: API, auth and CSRF, the console in headless Chromium, and XSS
//! payloads through ingest. One binary, so the seeded demo store is built once.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[path = "server/api.rs"]
mod api;
#[path = "server/auth.rs"]
mod auth;
#[path = "server/browser.rs"]
mod browser;
#[path = "server/posture.rs"]
mod posture;

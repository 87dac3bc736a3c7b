//! Who is asking, and may they.
//!
//! - API clients and agents send `Authorization: Bearer TOKEN`. Tokens come from `VIGIL_TOKEN`
//!   (admin) and the data directory's `tokens` file (`ROLE NAME TOKEN` per line).
//! - The console logs in once with a token and then carries an opaque session id in an
//!   `HttpOnly; SameSite=Strict` cookie. The session also holds a random CSRF token that pages
//!   embed; a state-changing request on a cookie must present it (header `X-CSRF-Token` or form
//!   field `csrf`) and come from the same origin. Bearer requests need neither: a browser never
//!   attaches that header across sites on its own.
//! - Demo mode (`allow_anonymous_loopback`) lets loopback clients in as admin without a token,
//!   still behind the CSRF and origin checks, and only when the Host header is a loopback name
//!   (against DNS rebinding).

mod guard;
mod session;
mod tokens;

pub use guard::{Principal, authenticate, same_origin};
pub use session::{SESSION_COOKIE, SESSION_TTL, Sessions, random_token};
pub use tokens::{Role, TokenError, Tokens};

use crate::error::ApiError;

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See alerts, events, graphs.
    Read,
    /// Change alert status and other investigation state.
    Write,
    /// Send agent events.
    Ingest,
}

impl Role {
    pub fn allows(self, p: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::ReadOnly => p == Permission::Read,
            Role::Agent => p == Permission::Ingest,
        }
    }
}

impl Principal {
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "the `{}` role may not {}",
                self.role.as_str(),
                match p {
                    Permission::Read => "read",
                    Permission::Write => "change state",
                    Permission::Ingest => "ingest events",
                }
            )))
        }
    }
}

/// The session id in the request's cookie, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    guard::cookie(headers, SESSION_COOKIE)
}

//! The middleware in front of every protected route: find the principal, and for
//! state-changing requests on a cookie check origin and CSRF token.

use super::session::SESSION_COOKIE;
use super::tokens::{Role, constant_time_eq};
use crate::error::ApiError;
use crate::server::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

/// Form bodies read to find the CSRF field are capped at this size.
const MAX_FORM_BYTES: usize = 256 * 1024;
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the principal proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Session,
    /// Demo mode on loopback.
    Anonymous,
}

/// The authenticated caller, put in the request's extensions by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub via: Via,
    /// The token pages must send back with forms (cookie and anonymous callers).
    pub csrf: Option<String>,
}

impl Principal {
    /// Who the audit log names: `api:NAME`, `console:NAME`, `anonymous`.
    pub fn actor(&self) -> String {
        match self.via {
            Via::Bearer => format!("api:{}", self.name),
            Via::Session => format!("console:{}", self.name),
            Via::Anonymous => "anonymous".to_string(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}

pub async fn authenticate(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let principal = match identify(&st, req.headers()) {
        Ok(Some(p)) => p,
        Ok(None) if is_api => return ApiError::Unauthenticated.into_response(),
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return e.into_response(),
    };
    let mut req = req;
    if !is_safe(req.method()) && principal.via != Via::Bearer {
        req = match check_csrf(&principal, req).await {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        };
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn identify(st: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthenticated)?;
        let (name, role) = st
            .auth
            .tokens
            .check(token.trim())
            .ok_or(ApiError::Unauthenticated)?;
        return Ok(Some(Principal {
            name,
            role,
            via: Via::Bearer,
            csrf: None,
        }));
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE)
        && let Some(s) = st.auth.sessions.get(id)
    {
        return Ok(Some(Principal {
            name: s.name,
            role: s.role,
            via: Via::Session,
            csrf: Some(s.csrf),
        }));
    }
    if st.auth.anonymous && host_is_loopback(headers) {
        return Ok(Some(Principal {
            name: "anonymous".to_string(),
            role: Role::Admin,
            via: Via::Anonymous,
            csrf: Some(st.auth.anonymous_csrf.clone()),
        }));
    }
    Ok(None)
}

/// The value of cookie `name` in the `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A browser's cross-site request is refused by origin; a forged one without the session's
/// token is refused by the token.
pub fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let ok = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|o| !host.is_empty() && o.eq_ignore_ascii_case(host));
        if !ok {
            return Err(ApiError::Forbidden("cross-origin request refused".into()));
        }
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(ApiError::Forbidden("cross-site request refused".into()));
    }
    Ok(())
}

async fn check_csrf(p: &Principal, req: Request) -> Result<Request, ApiError> {
    same_origin(req.headers())?;
    let expected = p.csrf.as_deref().unwrap_or_default().as_bytes().to_vec();
    let refused = || ApiError::Forbidden("missing or wrong CSRF token".into());
    if let Some(sent) = req.headers().get(CSRF_HEADER) {
        return if !expected.is_empty() && constant_time_eq(&expected, sent.as_bytes()) {
            Ok(req)
        } else {
            Err(refused())
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(refused());
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| ApiError::BadRequest("form body too large".into()))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("bad form body: {e}")))?;
    let sent = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_bytes());
    match sent {
        Some(s) if !expected.is_empty() && constant_time_eq(&expected, s) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(refused()),
    }
}

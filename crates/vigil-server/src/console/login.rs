//! Logging in with a token (it becomes a session cookie) and out.

use crate::auth::{Principal, SESSION_COOKIE, SESSION_TTL, same_origin};
use crate::server::AppState;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Slows down guessing: every failed login waits this long.
const FAILED_LOGIN_DELAY: Duration = Duration::from_millis(300);

fn login_page(message: Option<&str>, anonymous: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Log in · Vigil" }
                link rel="stylesheet" href="/assets/console.css";
            }
            body {
                main.login {
                    h1 { "Vigil" }
                    @if anonymous {
                        p.note { "Demo mode: loopback access needs no token. " a href="/alerts" { "Open the console" } }
                    }
                    @if let Some(m) = message { p.error { (m) } }
                    form method="post" action="/login" {
                        label for="token" { "API token" }
                        input id="token" type="password" name="token" autocomplete="current-password" required;
                        button type="submit" { "Log in" }
                    }
                }
            }
        }
    }
}

pub async fn page(State(st): State<Arc<AppState>>) -> Markup {
    login_page(None, st.auth.anonymous)
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

pub async fn submit(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // A cross-site form could log the victim into the attacker's account (login CSRF).
    if let Err(e) = same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            login_page(Some(&e.to_string()), false),
        )
            .into_response();
    }
    let Some((name, role)) = st.auth.tokens.check(form.token.trim()) else {
        tokio::time::sleep(FAILED_LOGIN_DELAY).await;
        return (
            StatusCode::UNAUTHORIZED,
            login_page(Some("That token is not valid."), st.auth.anonymous),
        )
            .into_response();
    };
    let id = st.auth.sessions.create(&name, role);
    let cookie = format!(
        "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_TTL.as_secs()
    );
    let mut resp = Redirect::to("/alerts").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

pub async fn logout(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    _who: Principal,
) -> Response {
    if let Some(id) = crate::auth::session_cookie(&headers) {
        st.auth.sessions.remove(id);
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("vigil_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    resp
}

//! Authentication, roles, CSRF and origin checks, security headers, demo mode.

use crate::common::http::{Answer, Client, bearer};
use crate::common::{ADMIN, READER, start};
use std::io::{Read, Write};
use std::path::Path;
use vigil_model::{Alert, AlertKind, AlertStatus, Severity, Timestamp};
use vigil_server::{Server, ServerConfig};

fn one_alert(data: &Path) {
    let mut store = vigil_store::Store::open(data).unwrap();
    store
        .upsert_alert(&Alert {
            id: "a-1".into(),
            alert_type: "test_alert".into(),
            kind: AlertKind::Rule,
            severity: Severity::High,
            title: "A test alert".into(),
            description: String::new(),
            first_seen: Timestamp::from_secs(1_700_000_000),
            last_seen: Timestamp::from_secs(1_700_000_100),
            entities: vec![],
            evidence: vec![],
            mitre: vec![],
            children: vec![],
            status: AlertStatus::New,
            score: 50.0,
            related: Vec::new(),
        })
        .unwrap();
}

fn csrf_of(page: &Answer) -> String {
    let at = page
        .body
        .find(r#"name="csrf" value=""#)
        .expect("a csrf field");
    let rest = &page.body[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn login(c: &Client, token: &str) -> String {
    let origin = c.base.clone();
    let r = c.post(
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
        ],
        &format!("token={token}"),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/alerts"));
    let cookie = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    cookie.split(';').next().unwrap().to_string()
}

#[test]
fn no_token_no_entry() {
    let dir = tempfile::tempdir().unwrap();
    one_alert(dir.path());
    let server = start(dir.path());
    let c = Client::new(server.addr());
    let r = c.get("/api/v1/alerts", &[]);
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert_eq!(
        c.get(
            "/api/v1/alerts",
            &[("Authorization", "Bearer wrong-token-0123456789")]
        )
        .status,
        401
    );
    assert_eq!(
        c.get("/api/v1/alerts", &[("Authorization", ADMIN)]).status,
        401,
        "scheme required"
    );
    let page = c.get("/alerts/a-1", &[]);
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login"));
    let bad = c.post(
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "token=nope",
    );
    assert_eq!(bad.status, 401);
    assert!(bad.header("set-cookie").is_none());
    // Public: the login page, assets, the API description.
    assert_eq!(c.get("/login", &[]).status, 200);
    assert_eq!(c.get("/assets/graph.js", &[]).status, 200);
    assert_eq!(c.get("/api/v1/openapi.json", &[]).status, 200);
}

#[test]
fn console_session_needs_csrf_token_and_same_origin() {
    let dir = tempfile::tempdir().unwrap();
    one_alert(dir.path());
    let server = start(dir.path());
    let c = Client::new(server.addr());
    let cookie = login(&c, ADMIN);
    let page = c.get("/alerts/a-1", &[("Cookie", &cookie)]);
    assert_eq!(page.status, 200);
    let csrf = csrf_of(&page);
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let origin = c.base.clone();
    // No token: refused, even from the same origin.
    let r = c.post(
        "/alerts/a-1/status",
        &[("Cookie", &cookie), form, ("Origin", &origin)],
        "status=investigating",
    );
    assert_eq!(r.status, 403);
    // The right token from another site: refused.
    let body = format!("status=investigating&csrf={csrf}");
    let r = c.post(
        "/alerts/a-1/status",
        &[("Cookie", &cookie), form, ("Origin", "http://evil.example")],
        &body,
    );
    assert_eq!(r.status, 403);
    let r = c.post(
        "/alerts/a-1/status",
        &[("Cookie", &cookie), form, ("Sec-Fetch-Site", "cross-site")],
        &body,
    );
    assert_eq!(r.status, 403);
    // A wrong token: refused.
    let r = c.post(
        "/alerts/a-1/status",
        &[("Cookie", &cookie), form, ("Origin", &origin)],
        "status=investigating&csrf=00",
    );
    assert_eq!(r.status, 403);
    // JSON API on a cookie needs the header token.
    let json = ("Content-Type", "application/json");
    let r = c.post(
        "/api/v1/alerts/a-1/status",
        &[("Cookie", &cookie), json],
        r#"{"status":"investigating"}"#,
    );
    assert_eq!(r.status, 403);
    let still = c
        .get("/api/v1/alerts/a-1", &[("Authorization", &bearer(ADMIN))])
        .json();
    assert_eq!(
        still["alert"]["status"], "new",
        "nothing refused changed anything"
    );
    // Token and origin right: done, and audited under the console user.
    let r = c.post(
        "/alerts/a-1/status",
        &[("Cookie", &cookie), form, ("Origin", &origin)],
        &body,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.post(
        "/api/v1/alerts/a-1/status",
        &[("Cookie", &cookie), json, ("X-CSRF-Token", &csrf)],
        r#"{"status":"resolved","reason":"done"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    drop(server);
    let audit = vigil_store::Store::open(dir.path())
        .unwrap()
        .list_audit(5)
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|a| a.actor == "console:admin"));
}

#[test]
fn login_csrf_logout_and_read_only_sessions() {
    let dir = tempfile::tempdir().unwrap();
    one_alert(dir.path());
    let server = start(dir.path());
    let c = Client::new(server.addr());
    let r = c.post(
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        &format!("token={ADMIN}"),
    );
    assert_eq!(r.status, 403, "a cross-site login is refused");
    assert!(r.header("set-cookie").is_none());
    let cookie = login(&c, READER);
    let page = c.get("/alerts/a-1", &[("Cookie", &cookie)]);
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("status-form"),
        "no status form for a read-only user"
    );
    let csrf = csrf_of(&page); // the logout form
    let origin = c.base.clone();
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let r = c.post(
        "/alerts/a-1/status",
        &[("Cookie", &cookie), form, ("Origin", &origin)],
        &format!("status=investigating&csrf={csrf}"),
    );
    assert_eq!(r.status, 403);
    let r = c.post(
        "/logout",
        &[("Cookie", &cookie), form, ("Origin", &origin)],
        &format!("csrf={csrf}"),
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        c.get("/alerts", &[("Cookie", &cookie)]).status,
        303,
        "the session is gone"
    );
}

#[test]
fn every_response_carries_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    one_alert(dir.path());
    let server = start(dir.path());
    let c = Client::new(server.addr());
    let auth = bearer(ADMIN);
    for a in [
        c.get("/login", &[]),
        c.get("/alerts", &[("Authorization", &auth)]),
        c.get("/api/v1/alerts", &[("Authorization", &auth)]),
        c.get("/api/v1/alerts", &[]),
        c.get("/assets/vendor/cytoscape/cytoscape.min.js", &[]),
        c.get("/no/such/page", &[]),
    ] {
        let csp = a.header("content-security-policy").expect("a CSP");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(a.header("x-frame-options"), Some("DENY"));
        assert_eq!(a.header("referrer-policy"), Some("same-origin"));
    }
    assert_eq!(
        c.get("/api/v1/alerts", &[("Authorization", &auth)])
            .header("cache-control"),
        Some("no-store")
    );
}

/// Sends a raw request so the Host header is exactly what the test says.
fn raw_get(addr: std::net::SocketAddr, path: &str, host: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    // Bounded: the server closes the connection after one small answer.
    #[allow(clippy::disallowed_methods)]
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn demo_mode_is_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    one_alert(dir.path());
    let config = |listen: &str, anonymous: bool| ServerConfig {
        listen: listen.parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        admin_token: None,
        allow_anonymous_loopback: anonymous,
    };
    let err = Server::start(config("127.0.0.1:0", false))
        .err()
        .expect("no token, no server");
    assert!(err.to_string().contains("VIGIL_TOKEN"), "{err}");
    let err = Server::start(config("0.0.0.0:0", true))
        .err()
        .expect("anonymous only on loopback");
    assert!(err.to_string().contains("loopback"), "{err}");
    let server = Server::start(config("127.0.0.1:0", true)).unwrap();
    assert!(server.auth_summary().contains("ANONYMOUS"));
    let addr = server.addr();
    assert!(raw_get(addr, "/api/v1/alerts", &addr.to_string()).starts_with("HTTP/1.1 200"));
    assert!(
        raw_get(
            addr,
            "/api/v1/alerts",
            &format!("localhost:{}", addr.port())
        )
        .starts_with("HTTP/1.1 200")
    );
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 gets nothing.
    assert!(raw_get(addr, "/api/v1/alerts", "evil.example").starts_with("HTTP/1.1 401"));
    // State changes still need the page's CSRF token.
    let c = Client::new(addr);
    let r = c.post(
        "/api/v1/alerts/a-1/status",
        &[("Content-Type", "application/json")],
        r#"{"status":"investigating"}"#,
    );
    assert_eq!(r.status, 403);
}

//! The REST API against a real server on 127.0.0.1 with a real HTTP client, over the demo
//! story stored by the real ingest path.

use crate::common::http::{Client, bearer};
use crate::common::{ADMIN, AGENT, READER, fixture, start};
use serde_json::{Value, json};

fn admin(c: &Client, path: &str) -> Value {
    let a = c.get(path, &[("Authorization", &bearer(ADMIN))]);
    assert_eq!(a.status, 200, "{path}: {}", a.body);
    a.json()
}

#[test]
fn alert_list_filters_and_pages() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let all = admin(&c, "/api/v1/alerts?limit=500");
    let total = all["total"].as_u64().unwrap();
    assert_eq!(total as usize, 5 + f.seeded.background_alerts);
    let critical = admin(&c, "/api/v1/alerts?severity=critical");
    let ids: Vec<&str> = critical["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(critical["total"], 3, "{ids:?}");
    assert!(ids.contains(&"alert-compromised-aws-keys"));
    let by_type = admin(
        &c,
        "/api/v1/alerts?type=compromised_aws_keys,compromised_host",
    );
    assert_eq!(by_type["total"], 2);
    let key = &f.seeded.manifest.contractor_access_key_id;
    let by_entity = admin(&c, &format!("/api/v1/alerts?entity={key}"));
    let mut got: Vec<&str> = by_entity["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "alert-compromised-aws-keys",
            "alert-key-new-ip-discovery",
            "alert-privileged-role-assumed"
        ]
    );
    // Paging: two pages of 7 do not overlap and follow the list order.
    let p1 = admin(&c, "/api/v1/alerts?limit=7");
    let p2 = admin(&c, "/api/v1/alerts?limit=7&offset=7");
    let first: Vec<&Value> = p1["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    let second: Vec<&Value> = p2["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(first.len(), 7);
    assert!(first.iter().all(|id| !second.contains(id)));
    let whole: Vec<&Value> = all["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .take(14)
        .collect();
    assert_eq!([first, second].concat(), whole);
    // Time: the story's alerts are on the attack day, the background ones before it.
    let since = f.seeded.manifest.baseline_end.to_string();
    assert_eq!(
        admin(&c, &format!("/api/v1/alerts?since={since}"))["total"],
        5
    );
    assert_eq!(
        admin(&c, &format!("/api/v1/alerts?until={since}"))["total"]
            .as_u64()
            .unwrap() as usize,
        f.seeded.background_alerts
    );
    let bad = c.get(
        "/api/v1/alerts?severity=urgent",
        &[("Authorization", &bearer(READER))],
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], "bad_request");
    assert!(bad.body.contains("urgent"));
}

#[test]
fn composite_detail_resolves_children_timeline_and_evidence() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let d = admin(&c, "/api/v1/alerts/alert-compromised-aws-keys");
    assert_eq!(d["alert"]["type"], "compromised_aws_keys");
    assert_eq!(d["children"].as_array().unwrap().len(), 3);
    let timeline = d["timeline"].as_array().unwrap();
    let attack_ids = &f.seeded.manifest.attack_event_ids;
    assert_eq!(
        timeline.len(),
        attack_ids.len(),
        "every attacker call is in the timeline once"
    );
    let times: Vec<&str> = timeline
        .iter()
        .map(|t| t["time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted, "timeline in event order");
    for t in timeline {
        assert_eq!(t["source"], "cloudtrail", "{t}");
        assert_eq!(t["event"]["id"], t["event_id"]);
    }
    let tactics: Vec<&str> = d["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["tactic"].as_str().unwrap())
        .collect();
    assert_eq!(tactics, ["TA0007", "TA0004", "TA0010"]);
    let missing = c.get("/api/v1/alerts/nope", &[("Authorization", &bearer(ADMIN))]);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "not_found");
}

#[test]
fn events_by_entity_and_time_page_through() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let m = &f.seeded.manifest;
    let key = &m.session_access_key_id;
    let all = admin(&c, &format!("/api/v1/events?entity={key}&limit=1000"));
    let n = all["events"].as_array().unwrap().len();
    assert!(n >= 2, "{n}");
    let first = admin(&c, &format!("/api/v1/events?entity={key}&limit=1"));
    let after = first["next_after_seq"].as_i64().unwrap();
    let rest = admin(
        &c,
        &format!("/api/v1/events?entity={key}&limit=1000&after_seq={after}"),
    );
    assert_eq!(rest["events"].as_array().unwrap().len(), n - 1);
    let since = m.attack.snapshot_created.to_string();
    let late = admin(
        &c,
        &format!("/api/v1/events?entity={key}&since={since}&limit=1000"),
    );
    assert!(
        late["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["event"]["time"].as_str().unwrap() >= since.as_str())
    );
    let one = &all["events"][0]["event"];
    let path = format!("/api/v1/events/cloudtrail/{}", one["id"].as_str().unwrap());
    let got = admin(&c, &path);
    assert_eq!(&got["event"], one);
    // With the event's time (as links carry it), and with a time that is not the event's
    // (then every hour is searched): the same event.
    let time = one["time"].as_str().unwrap();
    assert_eq!(&admin(&c, &format!("{path}?at={time}"))["event"], one);
    assert_eq!(
        &admin(&c, &format!("{path}?at=2001-01-01T00:00:00Z"))["event"],
        one
    );
    let bad = c.get(
        &format!("{path}?at=yesterday"),
        &[("Authorization", &bearer(ADMIN))],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    let none = c.get(
        "/api/v1/events/cloudtrail/no-such-event?at=2001-01-01T00:00:00Z",
        &[("Authorization", &bearer(ADMIN))],
    );
    assert_eq!(none.status, 404, "{}", none.body);
}

#[test]
fn polygraph_of_the_composite_draws_key_session_and_snapshot_calls() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let m = &f.seeded.manifest;
    let g = admin(&c, "/api/v1/graph?alert=alert-compromised-aws-keys");
    let nodes = g["nodes"].as_array().unwrap();
    let node = |id: &str| {
        nodes
            .iter()
            .find(|n| n["id"] == id)
            .unwrap_or_else(|| panic!("no node {id}"))
    };
    let key = node(&format!("key:{}", m.contractor_access_key_id));
    assert!(key["evidence"].as_bool().unwrap());
    node(&format!("session:{}", m.role_session_arn));
    let snapshot = nodes
        .iter()
        .find(|n| {
            n["kind"] == "call"
                && n["label"]
                    .as_str()
                    .unwrap()
                    .starts_with("rds:CreateDBClusterSnapshot")
        })
        .expect("a snapshot call node");
    assert!(snapshot["evidence"].as_bool().unwrap());
    // New vs baseline: the attacker's IP never used the key before; the key itself did exist.
    let ip = node(&format!("ip:{}", m.attacker_ip));
    assert_eq!(ip["new"], true);
    assert!(g["baseline"]["events"].as_u64().unwrap() > 0);
    // key → AssumeRole → session, and session → snapshot call: the chain is connected.
    let edges = g["edges"].as_array().unwrap();
    let has = |s: &str, t: &str| edges.iter().any(|e| e["source"] == s && e["target"] == t);
    let assume = format!("call:key:{}:sts:AssumeRole", m.contractor_access_key_id);
    assert!(has(&format!("key:{}", m.contractor_access_key_id), &assume));
    assert!(has(&assume, &format!("session:{}", m.role_session_arn)));
    assert!(has(
        &format!("session:{}", m.role_session_arn),
        snapshot["id"].as_str().unwrap()
    ));

    let h = admin(&c, &format!("/api/v1/graph?alert={}", f.seeded.host_alert));
    let hn = h["nodes"].as_array().unwrap();
    assert!(hn.iter().any(|n| n["kind"] == "process"));
    let shell = format!("{}:{}", m.reverse_shell_ip, m.reverse_shell_port);
    assert!(
        hn.iter()
            .any(|n| n["kind"] == "connection" && n["label"] == shell.as_str()),
        "reverse shell drawn"
    );

    let e = admin(
        &c,
        &format!("/api/v1/graph?entity={}", m.contractor_access_key_id),
    );
    assert!(!e["nodes"].as_array().unwrap().is_empty());
    assert_eq!(
        c.get("/api/v1/graph", &[("Authorization", &bearer(ADMIN))])
            .status,
        400
    );
}

#[test]
fn status_and_me_and_roles() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let s = admin(&c, "/api/v1/status");
    assert!(s["events"]["total"].as_u64().unwrap() > 1000);
    let me = c
        .get("/api/v1/me", &[("Authorization", &bearer(READER))])
        .json();
    assert_eq!(me["role"], "read_only");
    // The agent token ingests and nothing else.
    let a = c.get("/api/v1/alerts", &[("Authorization", &bearer(AGENT))]);
    assert_eq!(a.status, 403);
    let r = c.post(
        "/api/v1/alerts/alert-bg-000/status",
        &[
            ("Authorization", &bearer(READER)),
            ("Content-Type", "application/json"),
        ],
        r#"{"status":"investigating"}"#,
    );
    assert_eq!(r.status, 403, "{}", r.body);
}

#[test]
fn every_described_route_is_served() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let doc = c.get("/api/v1/openapi.json", &[]).json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in vigil_server::API_ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} undocumented"
        );
        let concrete = path
            .replace("{id}", "x")
            .replace("{source}", "agent")
            .replace("{arn}", "x")
            .replace("{target}", "x");
        let auth = bearer(ADMIN);
        let h = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        let a = if *method == "get" {
            c.get(&concrete, &h)
        } else {
            c.post(&concrete, &h, "{}")
        };
        let code = serde_json::from_str::<Value>(&a.body)
            .ok()
            .map(|v| v["error"]["code"].clone());
        assert_ne!(code, Some(json!("no_route")), "{method} {path} not served");
        assert_ne!(a.status, 405, "{method} {path}");
    }
}

#[test]
fn status_workflow_is_audited_and_false_positive_proposes_suppression() {
    // Only this test changes state in the shared store, and only on the host alert.
    let f = fixture();
    let c = Client::new(f.server.addr());
    let auth = bearer(ADMIN);
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let id = &f.seeded.host_alert;
    let path = format!("/api/v1/alerts/{id}/status");
    let r = c.post(
        &path,
        &h,
        r#"{"status":"investigating","reason":"looking"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["alert"]["status"], "investigating");
    assert!(r.json()["suppression_proposal"].is_null());
    let r = c.post(&path, &h, r#"{"status":"false_positive"}"#);
    assert_eq!(r.status, 400, "a false positive needs a reason");
    let r = c.post(
        &path,
        &h,
        r#"{"status":"false_positive","reason":"red team exercise <b>42</b>"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.json()["suppression_proposal"];
    assert_eq!(p["alert_type"], "compromised_host");
    let ents: Vec<String> = p["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["type"].as_str().unwrap(),
                e["id"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        ents.contains(&format!(
            "host:{}",
            f.seeded.manifest.compromised_instance_id
        )),
        "{ents:?}"
    );
    let r = c.post(&path, &h, r#"{"status":"resolved"}"#);
    assert_eq!(
        r.status, 409,
        "a false positive reopens to investigating only"
    );
    let list = admin(&c, "/api/v1/suppressions");
    assert_eq!(list["proposals"][0]["from_alert"], id.as_str());
    assert_eq!(
        admin(&c, "/api/v1/alerts?status=false_positive")["total"],
        1
    );
    let store = vigil_store::Store::open(&f.data).unwrap();
    let audit = store.list_audit(10).unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].actor, "api:admin");
    assert_eq!(audit[0].details["to"], "false_positive");
    assert_eq!(audit[0].details["reason"], "red team exercise <b>42</b>");
    assert_eq!(audit[1].details["from"], "new");
}

fn agent_line(id: &str, argv: &str) -> String {
    json!({"id": id, "time": "2026-10-31T10:00:00Z", "source": "agent",
           "host": {"host_id": "i-0feed", "kind": "process_start",
                    "process": {"pid": 7, "ppid": 1, "uid": 0, "euid": 0, "exe": "/bin/sh", "argv": ["sh", "-c", argv]}}})
    .to_string()
}

#[test]
fn agent_ingest_is_idempotent_and_reports_skips() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let c = Client::new(server.addr());
    let auth = bearer(AGENT);
    let body = format!(
        "{}\n{}\nnot json\n{{\"time\":\"2026-10-31T10:00:00Z\"}}\n",
        agent_line("a-1", "id"),
        agent_line("a-2", "whoami")
    );
    let h = [
        ("Authorization", auth.as_str()),
        ("X-Vigil-Batch", "web-1:0001"),
    ];
    let first = c.post("/api/v1/agent/events", &h, &body);
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    assert_eq!(
        (first["accepted"].as_u64(), first["skipped"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(first["skips"][0]["reason"], "invalid_json");
    assert_eq!(first["skips"][0]["line"], 3);
    assert_eq!(first["skips"][1]["reason"], "missing_field:host");
    let again = c.post("/api/v1/agent/events", &h, &body).json();
    assert_eq!(again["replayed"], true);
    assert_eq!(again["accepted"], 2, "the first answer is returned again");
    let no_batch = c
        .post(
            "/api/v1/agent/events",
            &[("Authorization", auth.as_str())],
            &body,
        )
        .json();
    assert_eq!(
        (
            no_batch["accepted"].as_u64(),
            no_batch["duplicates"].as_u64()
        ),
        (Some(0), Some(2))
    );
    let reader = bearer(READER);
    assert_eq!(
        c.post(
            "/api/v1/agent/events",
            &[("Authorization", reader.as_str())],
            &body
        )
        .status,
        403
    );
    assert_eq!(c.post("/api/v1/agent/events", &h, "  \n").status, 400);
    let bad_batch = [("Authorization", auth.as_str()), ("X-Vigil-Batch", "a b")];
    assert_eq!(
        c.post("/api/v1/agent/events", &bad_batch, &body).status,
        400
    );
    let stored = admin(&c, "/api/v1/events?entity=i-0feed");
    assert_eq!(stored["events"].as_array().unwrap().len(), 2);
}

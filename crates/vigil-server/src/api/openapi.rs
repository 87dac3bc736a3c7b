//! The OpenAPI 3.1 description of `/api/v1`, written by hand (it is short, and a test checks
//! that it names exactly the routes the router serves).

use axum::Json;
use serde_json::{Value, json};

fn param(name: &str, location: &str, description: &str) -> Value {
    json!({"name": name, "in": location, "required": location == "path",
           "description": description, "schema": {"type": "string"}})
}

fn ok(description: &str, schema: Value) -> Value {
    json!({
        "200": {"description": description, "content": {"application/json": {"schema": schema}}},
        "400": {"$ref": "#/components/responses/Error"},
        "401": {"$ref": "#/components/responses/Error"},
        "403": {"$ref": "#/components/responses/Error"},
    })
}

pub fn document() -> Value {
    let mut doc = base_document();
    for (path, item) in posture_paths() {
        doc["paths"][path] = item;
    }
    for (name, schema) in posture_schemas() {
        doc["components"]["schemas"][name] = schema;
    }
    doc
}

fn base_document() -> Value {
    let alert_filters = vec![
        param(
            "severity",
            "query",
            "at or above: critical, high, medium, low, info",
        ),
        param("type", "query", "alert types, repeated or comma-separated"),
        param("kind", "query", "composite, anomaly, rule or violation"),
        param("entity", "query", "AKIA…, an ARN, i-…, an IP, or kind:id"),
        param(
            "status",
            "query",
            "new, investigating, resolved, false_positive; repeated or comma-separated",
        ),
        param(
            "since",
            "query",
            "alerts active at or after (RFC 3339 or YYYY-MM-DD)",
        ),
        param("until", "query", "alerts that started before"),
        param("limit", "query", "page size (default 50, at most 500)"),
        param("offset", "query", "matches to skip"),
    ];
    let event_filters = vec![
        param("entity", "query", "AKIA…, an ARN, i-…, an IP, or kind:id"),
        param("since", "query", "at or after (RFC 3339 or YYYY-MM-DD)"),
        param("until", "query", "before"),
        param("source", "query", "cloudtrail, agent, falco, auditd"),
        param("action", "query", "iam:CreateAccessKey, process_start, ..."),
        param("limit", "query", "default 100, at most 1000"),
        param(
            "after_seq",
            "query",
            "the next_after_seq of the previous page",
        ),
    ];
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Vigil API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Alerts with their evidence, events, the behaviour graph, agent ingest, and the posture views: identities, scans, attack paths and top risks. Authenticate with `Authorization: Bearer TOKEN`.",
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/me": {"get": {"summary": "The caller's name and role", "responses": ok("who", json!({"type": "object"}))}},
            "/api/v1/status": {"get": {"summary": "What the store holds", "responses": ok("counts", json!({"type": "object"}))}},
            "/api/v1/alerts": {"get": {
                "summary": "A filtered page of alerts, most recently seen first",
                "parameters": alert_filters,
                "responses": ok("page", json!({"type": "object", "properties": {
                    "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
                    "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}}}})),
            }},
            "/api/v1/alerts/{id}": {"get": {
                "summary": "One alert with its children, timeline (evidence events resolved) and tactics",
                "parameters": [param("id", "path", "alert id")],
                "responses": ok("alert detail", json!({"type": "object"})),
            }},
            "/api/v1/alerts/{id}/status": {"post": {
                "summary": "Move an alert through new → investigating → resolved / false_positive (audited). A false positive needs a reason and returns a suppression proposal.",
                "parameters": [param("id", "path", "alert id")],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string"}, "reason": {"type": "string"}}}}}},
                "responses": ok("the updated alert and, for a false positive, the proposal", json!({"type": "object"})),
            }},
            "/api/v1/suppressions": {"get": {"summary": "Suppression rules proposed by false positives", "responses": ok("proposals", json!({"type": "object"}))}},
            "/api/v1/events": {"get": {
                "summary": "Events by entity and time range, oldest first",
                "parameters": event_filters,
                "responses": ok("events", json!({"type": "object"})),
            }},
            "/api/v1/events/{source}/{id}": {"get": {
                "summary": "One event",
                "parameters": [param("source", "path", "cloudtrail, agent, falco, auditd"), param("id", "path", "the source's event id"), param("at", "query", "the event's time, when known: one lookup instead of a search of every hour")],
                "responses": ok("event", json!({"type": "object"})),
            }},
            "/api/v1/graph": {"get": {
                "summary": "The behaviour graph (polygraph) of an alert or an entity",
                "parameters": [
                    param("alert", "query", "alert id"),
                    param("entity", "query", "an entity instead of an alert"),
                    param("since", "query", "window start for an entity"),
                    param("until", "query", "window end for an entity"),
                    param("baseline", "query", "false to skip new-vs-baseline marking"),
                    param("max_nodes", "query", "node cap (default 1500, at most 5000)"),
                ],
                "responses": ok("graph", json!({"type": "object", "properties": {
                    "nodes": {"type": "array"}, "edges": {"type": "array"},
                    "clustered": {"type": "boolean"}, "truncated_nodes": {"type": "integer"}}})),
            }},
            "/api/v1/agent/events": {"post": {
                "summary": "Agent host events as JSON lines (one vigil Event per line). Needs an admin or agent token.",
                "parameters": [param("X-Vigil-Batch", "header", "batch id; a retried batch returns the first answer")],
                "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                "responses": ok("what was stored and skipped", json!({"type": "object", "properties": {
                    "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                    "skipped": {"type": "integer"}, "replayed": {"type": "boolean"}}})),
            }},
            "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI"}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "an error", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}}}}}}}}},
            "schemas": {"Alert": {"type": "object", "required": ["id", "type", "kind", "severity", "title", "first_seen", "last_seen", "entities", "evidence"],
                "properties": {
                    "id": {"type": "string"}, "type": {"type": "string"}, "kind": {"type": "string"},
                    "severity": {"type": "string"}, "title": {"type": "string"},
                    "first_seen": {"type": "string", "format": "date-time"}, "last_seen": {"type": "string", "format": "date-time"},
                    "entities": {"type": "array"}, "evidence": {"type": "array"}, "mitre": {"type": "array"},
                    "children": {"type": "array", "items": {"type": "string"}}, "status": {"type": "string"}, "score": {"type": "number"}}}},
        },
    })
}

/// The posture views' paths (identities, scans, attack paths, risks), one `json!` per path
/// (a single literal this size exceeds the macro recursion limit).
fn posture_paths() -> Vec<(&'static str, Value)> {
    let identity_filters = vec![
        param(
            "type",
            "query",
            "user, role, root; repeated or comma-separated",
        ),
        param("min_risk", "query", "risk score at least (0–100)"),
        param(
            "severity",
            "query",
            "some risk at or above: critical, high, medium, low, info",
        ),
        param(
            "category",
            "query",
            "some risk of these categories (full_admin, hardcoded_key_exposed, key_older_than_180_days, …)",
        ),
        param("q", "query", "part of the name or ARN"),
        param("limit", "query", "page size (default 100, at most 1000)"),
        param("offset", "query", "matches to skip"),
    ];
    vec![
        (
            "/api/v1/identities",
            json!({"get": {
                "summary": "Identities of the stored IAM analysis, riskiest first, with risk score, risk categories and granted vs used counts",
                "parameters": identity_filters,
                "responses": ok("page", json!({"type": "object", "properties": {
                    "stored": {"type": "boolean", "description": "false when no analysis is stored (run `vigil iam analyze` or `vigil demo`)"},
                    "account": {"type": "string"}, "now": {"type": "string", "format": "date-time"},
                    "window": {"type": "object"}, "summary": {"type": "object"},
                    "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
                    "identities": {"type": "array", "items": {"$ref": "#/components/schemas/IdentityRow"}}}})),
            }}),
        ),
        (
            "/api/v1/identities/{arn}",
            json!({"get": {
                "summary": "One identity: granted vs used (unused services), risks with severity, escalation path, linked identities, remediations with the least-privilege policy and its replay",
                "parameters": [param("arn", "path", "the identity's ARN (percent-encode `/` as %2F), or its name when unique")],
                "responses": ok("identity", json!({"type": "object", "properties": {
                    "account": {"type": "string"}, "now": {"type": "string"}, "window": {"type": "object"},
                    "identity": {"$ref": "#/components/schemas/Identity"}}})),
            }}),
        ),
        (
            "/api/v1/scans",
            json!({"get": {
                "summary": "Stored scan reports, one row per target (host, filesystem, image)",
                "responses": ok("scans", json!({"type": "object", "properties": {
                    "total": {"type": "integer"},
                    "scans": {"type": "array", "items": {"type": "object", "properties": {
                        "target": {"type": "string"}, "os": {"type": ["string", "null"]},
                        "packages": {"type": "integer"}, "vulnerabilities": {"type": "integer"},
                        "vulnerabilities_by_severity": {"type": "object"}, "secrets": {"type": "integer"},
                        "problems": {"type": "integer"}, "max_severity": {"type": ["string", "null"]}}}},
                    "unreadable": {"type": "array", "items": {"type": "string"}}}})),
            }}),
        ),
        (
            "/api/v1/scans/{target}",
            json!({"get": {
                "summary": "One scan report: packages, vulnerabilities (by severity, worst first), secrets with path, kind, fingerprint and masked preview (never the secret), problems",
                "parameters": [param("target", "path", "the scan target, e.g. host:i-0abc (percent-encoded)")],
                "responses": ok("scan", json!({"type": "object", "properties": {
                    "target": {"type": "string"}, "os": {"type": ["object", "null"]}, "stats": {"type": "object"},
                    "vulnerabilities_by_severity": {"type": "object"},
                    "packages": {"type": "array"}, "vulnerabilities": {"type": "array"},
                    "secrets": {"type": "array", "items": {"$ref": "#/components/schemas/Secret"}},
                    "problems": {"type": "array"}}})),
            }}),
        ),
        (
            "/api/v1/paths",
            json!({"get": {
                "summary": "Attack paths of the stored analysis, best first, each with its steps, score factors and fix; and the fix-first list",
                "parameters": [
                    param("limit", "query", "paths returned (default 20, at most 2000)"),
                    param("walked", "query", "true: only paths an alert shows being walked"),
                ],
                "responses": ok("paths", json!({"type": "object", "properties": {
                    "stored": {"type": "boolean"}, "graph": {"type": "object"}, "paths_total": {"type": "integer"},
                    "paths": {"type": "array", "items": {"$ref": "#/components/schemas/AttackPath"}},
                    "fix_first": {"type": "array", "items": {"$ref": "#/components/schemas/Fix"}},
                    "notes": {"type": "array", "items": {"type": "string"}}}})),
            }}),
        ),
        (
            "/api/v1/risks",
            json!({"get": {
                "summary": "Top risks of the stored analysis (exposed vulnerable hosts, risky images, exposed secrets, data assets, identities), each with the paths behind it",
                "parameters": [
                    param("category", "query", "exposed_vulnerable_host, risky_image, exposed_secret, risky_data_asset, risky_identity; repeated or comma-separated"),
                    param("limit", "query", "risks returned"),
                ],
                "responses": ok("risks", json!({"type": "object", "properties": {
                    "stored": {"type": "boolean"}, "total": {"type": "integer"},
                    "risks": {"type": "array", "items": {"type": "object", "properties": {
                        "rank": {"type": "integer"}, "category": {"type": "string"}, "title": {"type": "string"},
                        "score": {"type": "number"}, "subject_type": {"type": "string"}, "subject": {"type": "string"},
                        "detail": {"type": "array", "items": {"type": "string"}}, "paths": {"type": "array", "items": {"type": "string"}}}}},
                    "fix_first": {"type": "array", "items": {"$ref": "#/components/schemas/Fix"}}}})),
            }}),
        ),
    ]
}

/// Schemas of the posture views, one `json!` each.
fn posture_schemas() -> Vec<(&'static str, Value)> {
    vec![
        (
            "IdentityRow",
            json!({"type": "object", "properties": {
                    "arn": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"},
                    "risk_score": {"type": "integer"}, "max_severity": {"type": ["string", "null"]},
                    "risks": {"type": "array", "items": {"type": "object", "properties": {"category": {"type": "string"}, "severity": {"type": "string"}}}},
                    "granted": {"type": "integer"}, "used": {"type": ["integer", "null"]}, "unused_share": {"type": ["number", "null"]},
                    "escalates_to_admin": {"type": "boolean"}, "can_become": {"type": "integer", "description": "how many identities it can become"}, "remediations": {"type": "integer"}}}),
        ),
        (
            "LinkGroup",
            json!({"type": "object", "required": ["method", "conditional", "count", "set", "arns"], "properties": {
                    "method": {"type": "string", "description": "escalation method id (`sts-001` is sts:AssumeRole; ids from pathfinding.cloud)"},
                    "conditional": {"type": "boolean", "description": "holds only under conditions, or needs a workload that may not exist"},
                    "count": {"type": "integer"},
                    "set": {"type": "integer", "description": "index of the list in the stored report's `link_sets` (as `vigil iam analyze --format json` prints it)"},
                    "arns": {"type": "array", "items": {"type": "string"}, "description": "the identities, sorted: ARNs, or `service:NAME` for a service that can run as the role"}}}),
        ),
        (
            "Identity",
            json!({"type": "object", "required": ["arn", "name", "type", "risk_score", "risks", "remediations", "linked", "permissions"], "properties": {
                    "arn": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"}, "risk_score": {"type": "integer"},
                    "risks": {"type": "array", "items": {"type": "object", "properties": {
                        "category": {"type": "string"}, "severity": {"type": "string"}, "detail": {"type": "string"}}}},
                    "escalation": {"type": ["object", "null"], "properties": {"conditional": {"type": "boolean"}, "steps": {"type": "array"}}},
                    "remediations": {"type": "array", "items": {"type": "object", "properties": {
                        "kind": {"type": "string"}, "title": {"type": "string"}, "detail": {"type": "string"},
                        "risk_reduction": {"type": "integer"}, "removes": {"type": "array", "items": {"type": "string"}},
                        "policy": {"type": "object", "description": "the proposed policy document (least privilege, narrowed trust)"},
                        "replay": {"type": "object", "properties": {"calls": {"type": "integer"}, "checks": {"type": "integer"}, "predicted_denials": {"type": "array"}}}}}},
                    "linked": {"type": "object", "description": "who it can become and who can become it, grouped by method and condition; each identity appears once per direction, in its least conditional link",
                        "properties": {
                            "can_become": {"type": "array", "items": {"$ref": "#/components/schemas/LinkGroup"}},
                            "can_be_become_by": {"type": "array", "items": {"$ref": "#/components/schemas/LinkGroup"}}}},
                    "permissions": {"type": "object", "properties": {
                        "granted": {"type": "integer"}, "conditional": {"type": "integer"}, "on_all_resources": {"type": "integer"},
                        "used": {"type": ["integer", "null"]}, "unused": {"type": ["integer", "null"]}, "unused_share": {"type": ["number", "null"]},
                        "used_actions": {"type": "array", "items": {"type": "string"}}, "unused_services": {"type": "array", "items": {"type": "string"}}}}}}),
        ),
        (
            "Secret",
            json!({"type": "object", "description": "a hard-coded secret: never the secret itself", "properties": {
                    "rule": {"type": "string"}, "kind": {"type": "string"}, "path": {"type": "string"}, "line": {"type": "integer"},
                    "severity": {"type": "string"}, "fingerprint": {"type": "string"}, "preview": {"type": "string", "description": "at most 4 characters, then a mask"},
                    "aws_access_key_id": {"type": ["string", "null"]}}}),
        ),
        (
            "AttackPath",
            json!({"type": "object", "properties": {
                    "id": {"type": "string"}, "rank": {"type": "integer"}, "score": {"type": "number"}, "walked": {"type": "boolean"},
                    "alerts": {"type": "array", "items": {"type": "string"}},
                    "nodes": {"type": "array", "items": {"type": "object", "properties": {"type": {"type": "string"}, "id": {"type": "string"}, "label": {"type": "string"}}}},
                    "edges": {"type": "array", "items": {"type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "type": {"type": "string"}, "meaning": {"type": "string"}, "evidence": {"type": "array"}}}},
                    "factors": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "number"}, "explanation": {"type": "string"}}}},
                    "fix": {"type": ["object", "null"], "properties": {"key": {"type": "string"}, "kind": {"type": "string"}, "description": {"type": "string"}}}}}),
        ),
        (
            "Fix",
            json!({"type": "object", "properties": {
                    "key": {"type": "string"}, "kind": {"type": "string"}, "description": {"type": "string"},
                    "breaks": {"type": "integer"}, "weakens": {"type": "integer"}, "weight_removed": {"type": "number"},
                    "share": {"type": "number"}, "paths": {"type": "array", "items": {"type": "string"}}}}),
        ),
    ]
}

pub async fn serve() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_every_route_and_no_other() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut described: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.clone(), p.clone()))
            })
            .collect();
        let mut served: Vec<(String, String)> = crate::api::ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        described.sort();
        served.sort();
        assert_eq!(described, served);
    }
}

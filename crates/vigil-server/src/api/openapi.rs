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
            "description": "Alerts with their evidence, events, the behaviour graph, and agent ingest. Authenticate with `Authorization: Bearer TOKEN`.",
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
                "parameters": [param("source", "path", "cloudtrail, agent, falco, auditd"), param("id", "path", "the source's event id")],
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

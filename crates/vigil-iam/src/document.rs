//! Policy documents as they arrive: a decoded JSON object (what the AWS CLI prints) or a
//! string holding URL-encoded JSON (what the IAM API returns), `Statement` as one object or a
//! list, values as a string or a list. Every defect is reported and the rest of the document
//! is kept; nothing here panics on hostile input.

use crate::arn::validate_resource_pattern;
use crate::condition::Condition;
use crate::glob::Glob;
use crate::policy::{
    ActionSpec, Effect, Policy, PolicyKind, PrincipalSpec, Principals, ResourceSpec, Statement,
};
use serde_json::Value;
use std::borrow::Cow;

/// Documents larger than this are refused (AWS's own limit for any policy is far smaller).
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Decodes `%XX` escapes and `+`; `None` on a malformed escape or invalid UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let h = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Turns a document field into a JSON object, decoding a URL-encoded or plain JSON string.
pub fn document_value(raw: &Value) -> Result<Cow<'_, Value>, String> {
    match raw {
        Value::Object(_) => Ok(Cow::Borrowed(raw)),
        Value::String(s) => {
            if s.len() > MAX_DOCUMENT_BYTES {
                return Err(format!(
                    "document is larger than {MAX_DOCUMENT_BYTES} bytes"
                ));
            }
            let trimmed = s.trim_start();
            let text: Cow<'_, str> = if trimmed.starts_with('{') {
                Cow::Borrowed(s)
            } else {
                Cow::Owned(percent_decode(s).ok_or_else(|| "malformed URL encoding".to_string())?)
            };
            let v: Value =
                serde_json::from_str(&text).map_err(|e| format!("document is not JSON: {e}"))?;
            if v.is_object() {
                Ok(Cow::Owned(v))
            } else {
                Err("document is not a JSON object".to_string())
            }
        }
        Value::Null => Err("document is missing".to_string()),
        _ => Err("document is neither an object nor a string".to_string()),
    }
}

fn strings(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err("expected a string".to_string()),
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        _ => Err("expected a string or a list of strings".to_string()),
    }
}

fn principals(v: &Value) -> Result<Principals, String> {
    let mut p = Principals::default();
    match v {
        Value::String(s) if s == "*" => p.any = true,
        Value::Object(map) => {
            for (k, val) in map {
                let list = strings(val)?;
                match k.as_str() {
                    "AWS" => {
                        if list.iter().any(|s| s == "*") {
                            p.any = true;
                        }
                        p.aws.extend(list.into_iter().filter(|s| s != "*"));
                    }
                    "Service" => p.service.extend(list),
                    "Federated" => p.federated.extend(list),
                    "CanonicalUser" => p.canonical_user.extend(list),
                    other => return Err(format!("unknown principal type `{other}`")),
                }
            }
        }
        _ => return Err("principal must be `*` or an object".to_string()),
    }
    Ok(p)
}

/// Compiles one document. Problems come back as messages; the policy keeps every statement
/// that could be read.
pub fn compile(name: &str, kind: PolicyKind, raw: &Value) -> (Policy, Vec<String>) {
    let mut problems = Vec::new();
    let mut policy = Policy {
        name: name.to_string(),
        kind,
        via: String::new(),
        statements: Vec::new(),
    };
    let doc = match document_value(raw) {
        Ok(d) => d,
        Err(e) => {
            problems.push(e);
            return (policy, problems);
        }
    };
    let stmts: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        Some(_) => {
            problems.push("`Statement` is neither an object nor a list".to_string());
            Vec::new()
        }
        None => {
            problems.push("no `Statement`".to_string());
            Vec::new()
        }
    };
    for (index, s) in stmts.into_iter().enumerate() {
        match statement(index, s, kind, &mut problems) {
            Ok(st) => policy.statements.push(st),
            Err(e) => problems.push(format!("statement {index}: {e}; statement ignored")),
        }
    }
    (policy, problems)
}

fn statement(
    index: usize,
    v: &Value,
    kind: PolicyKind,
    problems: &mut Vec<String>,
) -> Result<Statement, String> {
    let obj = v.as_object().ok_or("not an object")?;
    let sid = obj.get("Sid").and_then(Value::as_str).map(str::to_string);
    let label = sid.clone().unwrap_or_else(|| format!("#{index}"));
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return Err(format!("unknown effect `{other}`")),
        None => return Err("no `Effect`".to_string()),
    };
    let actions = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(a), None) => ActionSpec::Action(Glob::actions(&strings(a)?)),
        (None, Some(a)) => ActionSpec::NotAction(Glob::actions(&strings(a)?)),
        (Some(_), Some(_)) => return Err("both `Action` and `NotAction`".to_string()),
        (None, None) => return Err("no `Action` or `NotAction`".to_string()),
    };
    let check = |list: &[String], problems: &mut Vec<String>| {
        for r in list {
            if let Err(e) = validate_resource_pattern(r) {
                problems.push(format!("statement {label}: {e}"));
            }
        }
    };
    let resources = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(r), None) => {
            let l = strings(r)?;
            check(&l, problems);
            ResourceSpec::Resource(l)
        }
        (None, Some(r)) => {
            let l = strings(r)?;
            check(&l, problems);
            ResourceSpec::NotResource(l)
        }
        (Some(_), Some(_)) => return Err("both `Resource` and `NotResource`".to_string()),
        (None, None) => {
            if matches!(kind, PolicyKind::Trust | PolicyKind::Resource) {
                ResourceSpec::Absent
            } else {
                return Err("no `Resource` or `NotResource`".to_string());
            }
        }
    };
    let principals = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(p), None) => PrincipalSpec::Principal(principals(p)?),
        (None, Some(p)) => PrincipalSpec::NotPrincipal(principals(p)?),
        (Some(_), Some(_)) => return Err("both `Principal` and `NotPrincipal`".to_string()),
        (None, None) => PrincipalSpec::Absent,
    };
    let mut conditions = Vec::new();
    if let Some(c) = obj.get("Condition") {
        let map = c.as_object().ok_or("`Condition` is not an object")?;
        for (op, block) in map {
            let block = block
                .as_object()
                .ok_or_else(|| format!("condition `{op}` is not an object"))?;
            for (key, vals) in block {
                let (cond, problem) = Condition::new(op, key, strings(vals)?);
                if let Some(p) = problem {
                    problems.push(format!("statement {label}: {p} (treated as undecidable)"));
                }
                conditions.push(cond);
            }
        }
    }
    Ok(Statement {
        index,
        sid,
        effect,
        actions,
        resources,
        principals,
        conditions,
        source: serde_json::to_string(v).unwrap_or_default().into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_encoded_and_single_statement() {
        let raw = Value::String(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%7D".into(),
        );
        let (p, problems) = compile("p", PolicyKind::Identity, &raw);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(p.statements.len(), 1);
        assert!(p.statements[0].matches_action("s3:getobject"));
    }

    #[test]
    fn defects_are_reported_not_fatal() {
        let raw = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket/*"},
            {"Effect": "Maybe", "Action": "*", "Resource": "*"},
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}
        ]});
        let (p, problems) = compile("p", PolicyKind::Identity, &raw);
        assert_eq!(p.statements.len(), 2);
        assert_eq!(problems.len(), 3, "{problems:?}");
        let (_, problems) = compile("p", PolicyKind::Identity, &Value::String("%ZZ".into()));
        assert_eq!(problems.len(), 1);
    }
}

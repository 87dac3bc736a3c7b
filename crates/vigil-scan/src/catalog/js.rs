//! JavaScript: `package-lock.json` (v1 `dependencies` tree, v2/v3 `packages` map),
//! `node_modules/*/package.json`, `yarn.lock` (classic and berry), `pnpm-lock.yaml` (v5–v9),
//! `bun.lock` (JSON with trailing commas).

use super::package;
use crate::report::{Package, Problem, ProblemKind};
use serde_json::Value;

fn bad(problems: &mut Vec<Problem>, path: &str, e: impl std::fmt::Display) -> Vec<Package> {
    problems.push(Problem::new(
        ProblemKind::BadPackageData,
        path,
        e.to_string(),
    ));
    Vec::new()
}

pub fn parse_package_lock(text: &str, path: &str, problems: &mut Vec<Problem>) -> Vec<Package> {
    let doc: Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => return bad(problems, path, e),
    };
    let mut out = Vec::new();
    if let Some(pkgs) = doc.get("packages").and_then(Value::as_object) {
        for (key, spec) in pkgs {
            let Some(idx) = key.rfind("node_modules/") else {
                continue;
            };
            if spec.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = spec
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_else(|| key.get(idx + "node_modules/".len()..).unwrap_or_default());
            let Some(version) = spec.get("version").and_then(Value::as_str) else {
                continue;
            };
            let mut p = package("npm", name, version, path, None);
            p.dev = spec.get("dev").and_then(Value::as_bool) == Some(true);
            out.push(p);
        }
        return out;
    }
    // lockfileVersion 1: a nested `dependencies` tree.
    let mut stack: Vec<&Value> = doc.get("dependencies").into_iter().collect();
    while let Some(deps) = stack.pop() {
        let Some(map) = deps.as_object() else {
            continue;
        };
        for (name, spec) in map {
            if let Some(version) = spec.get("version").and_then(Value::as_str)
                && !version.starts_with("file:")
            {
                let mut p = package("npm", name, version, path, None);
                p.dev = spec.get("dev").and_then(Value::as_bool) == Some(true);
                out.push(p);
            }
            if let Some(inner) = spec.get("dependencies") {
                stack.push(inner);
            }
        }
    }
    out
}

pub fn parse_package_json(text: &str, path: &str) -> Vec<Package> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    match (
        doc.get("name").and_then(Value::as_str),
        doc.get("version").and_then(Value::as_str),
    ) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => {
            vec![package("npm", n, v, path, None)]
        }
        _ => Vec::new(),
    }
}

/// `name@range` → `name` (scoped names keep their leading `@`).
fn spec_name(spec: &str) -> &str {
    let spec = spec.trim().trim_matches('"');
    match spec.get(1..).and_then(|rest| rest.find('@')) {
        Some(i) => spec.get(..i + 1).unwrap_or(spec),
        None => spec,
    }
}

pub fn parse_yarn_lock(text: &str, path: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            current = line
                .trim_end_matches(':')
                .split(',')
                .next()
                .map(|s| spec_name(s).to_string());
            if current.as_deref() == Some("__metadata") {
                current = None;
            }
            continue;
        }
        let t = line.trim();
        if let Some(v) = t.strip_prefix("version") {
            let v = v.trim_start_matches(':').trim().trim_matches('"');
            if let Some(name) = current.take()
                && !v.is_empty()
            {
                out.push(package("npm", &name, v, path, None));
            }
        }
    }
    out
}

/// `/name@1.0.0(peer)`, `/name/1.0.0_peer`, `name@1.0.0` → (name, version).
fn pnpm_key(key: &str) -> Option<(String, String)> {
    let k = key.trim_start_matches('/');
    let k = k.split('(').next().unwrap_or(k);
    if let Some(i) = k.get(1..).and_then(|r| r.rfind('@')).map(|i| i + 1) {
        let (n, v) = (k.get(..i)?, k.get(i + 1..)?);
        if !n.contains('/') || n.starts_with('@') {
            return Some((n.to_string(), v.split('_').next().unwrap_or(v).to_string()));
        }
    }
    // v5: name/version (scoped: @scope/name/version)
    let (n, v) = k.rsplit_once('/')?;
    Some((n.to_string(), v.split('_').next().unwrap_or(v).to_string()))
}

pub fn parse_pnpm_lock(text: &str, path: &str, problems: &mut Vec<Problem>) -> Vec<Package> {
    let doc: serde_norway::Value = match serde_norway::from_str(text) {
        Ok(d) => d,
        Err(e) => return bad(problems, path, e),
    };
    let mut out = Vec::new();
    let Some(pkgs) = doc.get("packages").and_then(|p| p.as_mapping()) else {
        return out;
    };
    for (key, spec) in pkgs {
        let Some(key) = key.as_str() else { continue };
        let Some((name, version)) = pnpm_key(key) else {
            continue;
        };
        let version = spec
            .get("version")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or(version);
        if version.is_empty() {
            continue;
        }
        let mut p = package("npm", &name, &version, path, None);
        p.dev = spec.get("dev").and_then(serde_norway::Value::as_bool) == Some(true);
        out.push(p);
    }
    out
}

/// Removes trailing commas before `}` / `]` outside strings (bun writes JSONC-ish JSON).
fn strip_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut esc) = (false, false);
    let mut pending_comma: Option<String> = None;
    for c in text.chars() {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if let Some(buf) = pending_comma.as_mut() {
            if c.is_whitespace() {
                buf.push(c);
                continue;
            }
            let buf = pending_comma.take().unwrap_or_default();
            if c == '}' || c == ']' {
                out.push_str(buf.get(1..).unwrap_or_default());
            } else {
                out.push_str(&buf);
            }
        }
        match c {
            ',' => pending_comma = Some(",".to_string()),
            '"' => {
                in_str = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if let Some(buf) = pending_comma {
        out.push_str(&buf);
    }
    out
}

pub fn parse_bun_lock(text: &str, path: &str, problems: &mut Vec<Problem>) -> Vec<Package> {
    let doc: Value = match serde_json::from_str(&strip_trailing_commas(text)) {
        Ok(d) => d,
        Err(e) => return bad(problems, path, e),
    };
    let mut out = Vec::new();
    let Some(pkgs) = doc.get("packages").and_then(Value::as_object) else {
        return out;
    };
    for spec in pkgs.values() {
        let Some(id) = spec.get(0).and_then(Value::as_str) else {
            continue;
        };
        let name = spec_name(id);
        let Some(version) = id.get(name.len() + 1..) else {
            continue;
        };
        if version.starts_with("workspace:")
            || version.starts_with("file:")
            || version.starts_with("link:")
        {
            continue;
        }
        out.push(package("npm", name, version, path, None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_specs() {
        assert_eq!(spec_name("@babel/core@^7.0.0"), "@babel/core");
        assert_eq!(spec_name("\"jquery@^3.2.1\""), "jquery");
        assert_eq!(
            pnpm_key("/jquery@3.3.9"),
            Some(("jquery".into(), "3.3.9".into()))
        );
        assert_eq!(
            pnpm_key("/@types/node@20.1.0(x@1)"),
            Some(("@types/node".into(), "20.1.0".into()))
        );
        assert_eq!(
            pnpm_key("/lodash/4.17.4"),
            Some(("lodash".into(), "4.17.4".into()))
        );
        assert_eq!(
            strip_trailing_commas("{\"a\": [1, 2,],\n}"),
            "{\"a\": [1, 2]\n}"
        );
        assert_eq!(strip_trailing_commas("{\"a\": \",}\"}"), "{\"a\": \",}\"}");
    }

    #[test]
    fn yarn_classic() {
        let p = parse_yarn_lock(
            "# yarn lockfile v1\n\njquery@^3.2.1, jquery@^3.0:\n  version \"3.2.1\"\n  resolved \"x\"\n",
            "y",
        );
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("jquery", "3.2.1")
        );
    }
}

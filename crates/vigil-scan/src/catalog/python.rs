//! Python: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`) and the
//! lockfiles people commit (`requirements.txt` pins, `Pipfile.lock`, `poetry.lock`, `uv.lock`,
//! `pylock.toml`).

use super::package;
use crate::report::{Package, Problem, ProblemKind};

/// PEP 503 name normalisation: lowercase, runs of `-_.` become `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The `Name:`/`Version:` headers of core metadata (stop at the first blank line: the body is
/// the long description).
pub fn parse_metadata(text: &str, path: &str) -> Vec<Package> {
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Name:") {
            name = Some(v.trim());
        } else if let Some(v) = line.strip_prefix("Version:") {
            version = Some(v.trim());
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => {
            vec![package("pypi", n, v, path, None)]
        }
        _ => Vec::new(),
    }
}

/// Exact pins (`name==1.2.3`, extras and markers ignored); ranges say nothing installed.
pub fn parse_requirements(text: &str, path: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or("").trim();
        if line.starts_with(['#', '-']) || line.is_empty() {
            continue;
        }
        let line = line.split(';').next().unwrap_or("").trim();
        let Some((name, version)) = line.split_once("==") else {
            continue;
        };
        let name = name.split('[').next().unwrap_or("").trim();
        let version = version.split([',', ' ']).next().unwrap_or("").trim();
        if !name.is_empty() && !version.is_empty() && !version.contains('*') {
            out.push(package("pypi", name, version, path, None));
        }
    }
    out
}

pub fn parse_pipfile_lock(text: &str, path: &str, problems: &mut Vec<Problem>) -> Vec<Package> {
    let doc: serde_json::Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            problems.push(Problem::new(
                ProblemKind::BadPackageData,
                path,
                e.to_string(),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (section, dev) in [("default", false), ("develop", true)] {
        let Some(map) = doc.get(section).and_then(|v| v.as_object()) else {
            continue;
        };
        for (name, spec) in map {
            let Some(v) = spec.get("version").and_then(|v| v.as_str()) else {
                continue;
            };
            let v = v.trim_start_matches("==");
            let mut p = package("pypi", name, v, path, None);
            p.dev = dev;
            out.push(p);
        }
    }
    out
}

/// `poetry.lock` and `uv.lock` (`[[package]]`), `pylock.toml` (`[[packages]]`).
pub fn parse_toml_lock(text: &str, path: &str, problems: &mut Vec<Problem>) -> Vec<Package> {
    let doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            problems.push(Problem::new(
                ProblemKind::BadPackageData,
                path,
                e.to_string(),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let list = doc
        .get("package")
        .or_else(|| doc.get("packages"))
        .and_then(|v| v.as_array());
    for item in list.into_iter().flatten() {
        let name = item.get("name").and_then(|v| v.as_str());
        let version = item.get("version").and_then(|v| v.as_str());
        let (Some(name), Some(version)) = (name, version) else {
            continue;
        };
        // uv lists the project itself as an editable/virtual source: not an installed dependency.
        let local = item
            .get("source")
            .and_then(|s| s.as_table())
            .is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual"));
        if local {
            continue;
        }
        let mut p = package("pypi", name, version, path, None);
        p.dev = item.get("category").and_then(|c| c.as_str()) == Some("dev");
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_pins() {
        assert_eq!(normalize_name("Foo_Bar.baz"), "foo-bar-baz");
        let p = parse_requirements(
            "Werkzeug==0.11\nMarkupSafe>2.0.0\n# c\nreq[extra]==1.0 ; python_version<'3'\n",
            "r",
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].name, "req");
        let m = parse_metadata(
            "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3.1\n\nName: not-this\n",
            "m",
        );
        assert_eq!(
            (m[0].name.as_str(), m[0].version.as_str()),
            ("PyYAML", "5.3.1")
        );
    }
}

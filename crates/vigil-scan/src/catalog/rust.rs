//! Cargo: `Cargo.lock` packages from a registry (path and git dependencies are local code).

use super::package;
use crate::report::{Package, Problem, ProblemKind};

pub fn parse_cargo_lock(text: &str, path: &str, problems: &mut Vec<Problem>) -> Vec<Package> {
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
    for item in doc
        .get("package")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(version)) = (
            item.get("name").and_then(|v| v.as_str()),
            item.get("version").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        out.push(package("cargo", name, version, path, None));
    }
    out
}

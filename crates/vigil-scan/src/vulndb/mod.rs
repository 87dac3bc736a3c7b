//! The local advisory database and the matcher. Advisories from every source are normalised
//! into [`Advisory`] (OSV's shape: affected packages with event ranges, explicit versions, or
//! constraint strings), indexed by (ecosystem family, package name), and matched with each
//! ecosystem's own version rules.

mod cvss;
mod import;
mod matcher;
mod ubuntu;

pub use import::{ImportReport, import_path, parse_osv_document};
pub use matcher::match_packages;

use crate::version::Scheme;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use vigil_model::Severity;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// OSV ecosystem (`Ubuntu:22.04`, `PyPI`, `npm`, `Alpine:v3.10`).
    pub ecosystem: String,
    pub package: String,
    /// OSV `ECOSYSTEM`/`SEMVER` ranges, each a list of events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Vec<Event>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Constraint strings (GHSA / Trivy style): vulnerable when one matches…
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerable: Vec<String>,
    /// …and none of these (patched or unaffected) does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patched: Vec<String>,
    /// The CVEs this advisory fixes in this ecosystem release, when the record says so per
    /// release (Ubuntu's `cves_map`): a notice often covers CVEs that concern other releases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    /// The distribution's own rating for this release (Ubuntu's priority), which outranks the
    /// advisory-wide severity for packages of that release, as distro scanners do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
    pub severity: Option<Severity>,
    pub affected: Vec<Affected>,
    /// Where it came from (`osv`, `pypa`, `rustsec`, `alpine-secdb`, `trivy-fixture`).
    #[serde(default)]
    pub source: String,
}

/// The ecosystem family of an OSV ecosystem name, lowercased (`ubuntu`, `pypi`, `crates.io`).
pub fn family(ecosystem: &str) -> String {
    let f = ecosystem
        .split(':')
        .next()
        .unwrap_or(ecosystem)
        .trim()
        .to_ascii_lowercase();
    match f.as_str() {
        "pip" => "pypi".into(),
        "cargo" => "crates.io".into(),
        "golang" => "go".into(),
        _ => f,
    }
}

/// Package names as each ecosystem compares them.
pub fn normalize_package(family: &str, name: &str) -> String {
    match family {
        "pypi" => crate::catalog::python_name(name),
        "go" => name.to_string(),
        _ => name.to_ascii_lowercase(),
    }
}

/// Advisories with an index by (family, package).
#[derive(Debug, Default, Clone)]
pub struct VulnDb {
    pub advisories: Vec<Advisory>,
    index: HashMap<(String, String), Vec<(usize, usize)>>,
}

impl VulnDb {
    /// Indexes `advisories`, first rating Ubuntu notices that carry no rating from the Ubuntu
    /// CVE records among them (see [`ubuntu`]), whichever import each came from.
    pub fn new(mut advisories: Vec<Advisory>) -> Self {
        ubuntu::rate_notices_from_cve_records(&mut advisories);
        let mut db = VulnDb {
            advisories,
            index: HashMap::new(),
        };
        for (ai, a) in db.advisories.iter().enumerate() {
            for (fi, f) in a.affected.iter().enumerate() {
                let fam = family(&f.ecosystem);
                let key = (fam.clone(), normalize_package(&fam, &f.package));
                db.index.entry(key).or_default().push((ai, fi));
            }
        }
        db
    }

    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// Every (advisory, affected entry) for a package of `family`.
    pub fn lookup(&self, family: &str, name: &str) -> impl Iterator<Item = (&Advisory, &Affected)> {
        self.index
            .get(&(family.to_string(), normalize_package(family, name)))
            .into_iter()
            .flatten()
            .filter_map(|&(ai, fi)| {
                let a = self.advisories.get(ai)?;
                Some((a, a.affected.get(fi)?))
            })
    }
}

/// Does `version` fall in `affected`? `None` when the versions cannot be compared.
pub fn is_affected(aff: &Affected, version: &str) -> Option<bool> {
    let scheme = Scheme::for_ecosystem(&aff.ecosystem);
    if aff.versions.iter().any(|v| v == version) {
        return Some(true);
    }
    if !aff.vulnerable.is_empty() || !aff.patched.is_empty() {
        // Trivy / GHSA semantics: in a vulnerable range and in no patched one.
        if !aff.vulnerable.is_empty()
            && !crate::version::satisfies_any(scheme, version, &aff.vulnerable)?
        {
            return Some(false);
        }
        if aff.patched.is_empty() {
            return Some(!aff.vulnerable.is_empty());
        }
        return Some(!crate::version::satisfies_any(
            scheme,
            version,
            &aff.patched,
        )?);
    }
    for events in &aff.ranges {
        if in_range(scheme, events, version)? {
            return Some(true);
        }
    }
    Some(false)
}

/// OSV's evaluation: events sorted by version; introduced opens, fixed / last_affected close.
fn in_range(scheme: Scheme, events: &[Event], version: &str) -> Option<bool> {
    use std::cmp::Ordering;
    let key = |e: &Event| {
        e.introduced
            .clone()
            .or_else(|| e.fixed.clone())
            .or_else(|| e.last_affected.clone())
            .unwrap_or_default()
    };
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        if ka == "0" {
            return Ordering::Less;
        }
        if kb == "0" {
            return Ordering::Greater;
        }
        crate::version::compare(scheme, &ka, &kb).unwrap_or(Ordering::Equal)
    });
    let mut affected = false;
    for e in sorted {
        if let Some(i) = &e.introduced {
            if i == "0" || crate::version::compare(scheme, version, i)? != Ordering::Less {
                affected = true;
            }
        } else if let Some(f) = &e.fixed {
            if crate::version::compare(scheme, version, f)? != Ordering::Less {
                affected = false;
            }
        } else if let Some(l) = &e.last_affected
            && crate::version::compare(scheme, version, l)? == Ordering::Greater
        {
            affected = false;
        }
    }
    Some(affected)
}

/// The first fixed version of the range that holds `version`, for the report.
pub fn fixed_version(aff: &Affected, version: &str) -> Option<String> {
    if !aff.patched.is_empty() {
        return Some(aff.patched.join(", "));
    }
    let scheme = Scheme::for_ecosystem(&aff.ecosystem);
    let mut best: Option<String> = None;
    for e in aff.ranges.iter().flatten() {
        if let Some(f) = &e.fixed
            && crate::version::compare(scheme, version, f) == Some(std::cmp::Ordering::Less)
            && best.as_ref().is_none_or(|b| {
                crate::version::compare(scheme, f, b) == Some(std::cmp::Ordering::Less)
            })
        {
            best = Some(f.clone());
        }
    }
    best
}

/// The small, labelled OSV set shipped for the demo host (see `data/advisories/demo/README.md`).
pub fn demo_advisories() -> Vec<Advisory> {
    const FILES: [&str; 3] = [
        include_str!("../../data/advisories/demo/pypa-demo-packages.json"),
        include_str!("../../data/advisories/demo/ubuntu-jammy-demo.json"),
        include_str!("../../data/advisories/demo/npm-demo.json"),
    ];
    let mut out = Vec::new();
    for text in FILES {
        if let Ok(serde_json::Value::Array(docs)) = serde_json::from_str::<serde_json::Value>(text)
        {
            out.extend(
                docs.iter()
                    .filter_map(|d| parse_osv_document(d, "vigil-demo")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: Option<&str>, f: Option<&str>) -> Event {
        Event {
            introduced: i.map(String::from),
            fixed: f.map(String::from),
            last_affected: None,
        }
    }

    #[test]
    fn osv_ranges() {
        let aff = Affected {
            ecosystem: "Go".into(),
            package: "x".into(),
            ranges: vec![vec![
                ev(Some("2.3.1"), None),
                ev(None, Some("2.14.4")),
                ev(Some("2.15.0"), None),
                ev(None, Some("2.15.3")),
            ]],
            versions: vec![],
            vulnerable: vec![],
            patched: vec![],
            cves: vec![],
            severity: None,
        };
        assert_eq!(is_affected(&aff, "v2.3.0"), Some(false));
        assert_eq!(is_affected(&aff, "v2.10.0"), Some(true));
        assert_eq!(is_affected(&aff, "v2.14.4"), Some(false));
        assert_eq!(is_affected(&aff, "v2.15.1"), Some(true));
        assert_eq!(fixed_version(&aff, "v2.15.1").as_deref(), Some("2.15.3"));
    }
}

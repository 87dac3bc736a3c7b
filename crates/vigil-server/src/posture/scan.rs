//! A scan report as the server reads it: the shape `vigil_scan::ScanReport` is stored in.
//! Secrets carry a fingerprint and a masked preview only; the secret itself is never stored,
//! and this type has no field that could hold it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::Severity;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScanReport {
    /// What was scanned (`host:i-…`, `fs:/srv/rootfs`, `image:app.tar`).
    pub target: String,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    pub vulnerabilities: Vec<Vulnerability>,
    pub secrets: Vec<Secret>,
    pub problems: Vec<Problem>,
    pub stats: Stats,
}

impl ScanReport {
    /// Vulnerabilities per severity, every severity present (zero when none).
    pub fn vulns_by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut m: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
        for v in &self.vulnerabilities {
            *m.entry(v.severity).or_default() += 1;
        }
        m
    }

    /// The highest severity among vulnerabilities and secrets.
    pub fn max_severity(&self) -> Option<Severity> {
        self.vulnerabilities
            .iter()
            .map(|v| v.severity)
            .chain(self.secrets.iter().map(|s| s.severity))
            .max()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OsInfo {
    pub id: String,
    pub version_id: String,
    pub pretty_name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// `deb`, `apk`, `rpm`, `pypi`, `npm`, `cargo`, `golang`.
    pub kind: String,
    pub path: String,
    pub purl: String,
    /// A running process uses it.
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vulnerability {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub package: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub fixed_version: Option<String>,
    pub severity: Severity,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub active: bool,
}

/// A hard-coded secret: where, what kind, and how to recognise it again — never the secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    #[serde(default)]
    pub rule: String,
    pub kind: String,
    pub path: String,
    #[serde(default)]
    pub line: u32,
    pub severity: Severity,
    /// `xxh3:…` of the secret's bytes.
    pub fingerprint: String,
    /// The first four characters and a mask.
    pub preview: String,
    /// For AWS keys: the access key id (an identifier, not a secret).
    #[serde(default)]
    pub aws_access_key_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    pub kind: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub skipped: u64,
}

/// Characters of a secret's preview kept in view; the rest is masked whatever the report says.
pub const PREVIEW_KEEP: usize = 4;

/// A preview with at most [`PREVIEW_KEEP`] characters shown. Scanners already mask; this makes
/// sure a report written by anything else cannot put a whole secret on a page.
pub fn mask_preview(preview: &str) -> String {
    preview
        .chars()
        .enumerate()
        .map(|(i, c)| if i < PREVIEW_KEEP || c == '*' { c } else { '*' })
        .collect()
}

impl ScanReport {
    /// Masks every secret preview (see [`mask_preview`]).
    pub fn masked(mut self) -> Self {
        for s in &mut self.secrets {
            s.preview = mask_preview(&s.preview);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_never_show_more_than_four_characters() {
        assert_eq!(mask_preview("AKIA****"), "AKIA****");
        assert_eq!(
            mask_preview("wJalrXUtnFEMI/K7MDENG"),
            "wJal*****************"
        );
        assert_eq!(mask_preview("ab"), "ab");
        assert_eq!(mask_preview("é€😀xyz"), "é€😀x**");
    }
}

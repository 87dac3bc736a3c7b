//! Ubuntu's OSV records (Canonical's `ubuntu-security-notices`, `osv/usn` and `osv/cve`) keep
//! their CVE ids and ratings outside OSV's usual fields, so a reader of `aliases` and `severity`
//! alone sees notices with no CVE and no rating:
//!
//! - a notice (`USN-…`) has `aliases: []` and names its CVEs in `upstream` as `UBUNTU-CVE-…`;
//!   newer notice files rate each release's CVEs in `affected[].database_specific.cves_map`
//!   (per CVE: CVSS vectors plus an `Ubuntu` priority) and list there only the CVEs the notice
//!   fixes in that release;
//! - a CVE record (`UBUNTU-CVE-…`) rates each release in
//!   `affected[].ecosystem_specific.ubuntu_priority`.
//!
//! Ubuntu's priority is the distribution's judgement for its own build (often lower than the
//! upstream CVSS score, sometimes higher), so it rates Ubuntu packages ahead of CVSS, as
//! distro-aware scanners do with vendor severities.

use super::Advisory;
use super::cvss::{base_score_v3, severity_of_score, severity_of_word};
use serde_json::Value;
use std::collections::HashMap;
use vigil_model::Severity;

/// `UBUNTU-CVE-2023-4911` → `CVE-2023-4911`; any other id is returned unchanged.
pub(super) fn cve_of(id: &str) -> &str {
    match id.strip_prefix("UBUNTU-") {
        Some(rest) if rest.starts_with("CVE-") => rest,
        _ => id,
    }
}

/// The record's aliases; when it lists none (as Canonical's records do), its `upstream` ids
/// (Ubuntu's as plain CVE ids); then, for a `UBUNTU-CVE-…` record, the CVE it describes.
/// `upstream` is only a fallback because a notice's `upstream` also names CVEs it fixed in other
/// releases only, while a publisher who fills `aliases` has chosen them.
pub(super) fn aliases_of(doc: &Value, id: &str) -> Vec<String> {
    let listed = |k: &str| {
        doc.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| cve_of(s.trim()).to_string())
            .collect::<Vec<_>>()
    };
    let mut named = listed("aliases");
    if named.is_empty() {
        named = listed("upstream");
    }
    let own = (cve_of(id) != id).then(|| cve_of(id).to_string());
    let mut out: Vec<String> = Vec::new();
    for a in named.into_iter().chain(own) {
        if !a.is_empty() && a != id && !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// One `affected` entry's per-release facts: the CVEs of its `cves_map` and its rating —
/// `ubuntu_priority` when given, else the highest `Ubuntu` priority among the `cves_map` CVEs,
/// else the highest CVSS v3 score among them.
pub(super) fn release_rating(aff: &Value) -> (Vec<String>, Option<Severity>) {
    let specific = ["ecosystem_specific", "database_specific"].map(|k| aff.get(k));
    let cves_map = specific
        .iter()
        .flatten()
        .find_map(|s| s.get("cves_map"))
        .and_then(|m| m.get("cves"))
        .and_then(Value::as_array);
    let mut cves = Vec::new();
    let (mut priority, mut cvss): (Option<Severity>, Option<Severity>) = (None, None);
    for entry in cves_map.into_iter().flatten() {
        let id = entry
            .as_str()
            .or_else(|| entry.get("id").and_then(Value::as_str));
        if let Some(id) = id.map(|i| cve_of(i.trim()).to_string())
            && !id.is_empty()
            && !cves.contains(&id)
        {
            cves.push(id);
        }
        for rating in entry
            .get("severity")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let score = rating.get("score").and_then(Value::as_str).unwrap_or("");
            if rating.get("type").and_then(Value::as_str) == Some("Ubuntu") {
                priority = priority.max(severity_of_word(score));
            } else if let Some(b) = base_score_v3(score) {
                cvss = cvss.max(Some(severity_of_score(b)));
            }
        }
    }
    let stated = specific
        .iter()
        .flatten()
        .find_map(|s| s.get("ubuntu_priority"))
        .and_then(Value::as_str)
        .and_then(severity_of_word);
    (cves, stated.or(priority).or(cvss))
}

/// Rates notice entries that carry no rating of their own (notice files written before
/// `cves_map`) from the `UBUNTU-CVE-…` records imported beside them: the highest priority
/// those records give the notice's CVEs in the same release. A CVE with no entry for that
/// release (one the notice fixed only elsewhere) does not count.
pub(super) fn rate_notices_from_cve_records(advisories: &mut [Advisory]) {
    let mut rated: HashMap<(&str, &str), Severity> = HashMap::new();
    for a in advisories.iter() {
        let Some(cve) = a.id.strip_prefix("UBUNTU-") else {
            continue;
        };
        for f in &a.affected {
            if let Some(s) = f.severity {
                let e = rated.entry((cve, f.ecosystem.as_str())).or_insert(s);
                *e = (*e).max(s);
            }
        }
    }
    if rated.is_empty() {
        return;
    }
    let mut fills = Vec::new();
    for (ai, a) in advisories.iter().enumerate() {
        for (fi, f) in a.affected.iter().enumerate() {
            if f.severity.is_some() || super::family(&f.ecosystem) != "ubuntu" {
                continue;
            }
            let cves = if f.cves.is_empty() {
                &a.aliases
            } else {
                &f.cves
            };
            let best = cves
                .iter()
                .filter_map(|c| rated.get(&(c.as_str(), f.ecosystem.as_str())))
                .max();
            if let Some(&s) = best {
                fills.push((ai, fi, s));
            }
        }
    }
    for (ai, fi, s) in fills {
        if let Some(f) = advisories.get_mut(ai).and_then(|a| a.affected.get_mut(fi)) {
            f.severity = Some(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubuntu_ids_become_cve_ids() {
        assert_eq!(cve_of("UBUNTU-CVE-2024-6387"), "CVE-2024-6387");
        assert_eq!(cve_of("CVE-2024-6387"), "CVE-2024-6387");
        assert_eq!(cve_of("UBUNTU-USN-1"), "UBUNTU-USN-1");
        let upstream = serde_json::json!({
            "aliases": [],
            "upstream": ["UBUNTU-CVE-2022-1", "UBUNTU-CVE-2022-2", "GHSA-x", "UBUNTU-CVE-2022-1"],
        });
        assert_eq!(
            aliases_of(&upstream, "USN-1-1"),
            ["CVE-2022-1", "CVE-2022-2", "GHSA-x"]
        );
        let chosen = serde_json::json!({
            "aliases": ["CVE-2022-2"],
            "upstream": ["UBUNTU-CVE-2022-1", "UBUNTU-CVE-2022-2"],
        });
        assert_eq!(aliases_of(&chosen, "USN-1-1"), ["CVE-2022-2"]);
        assert_eq!(
            aliases_of(&serde_json::json!({"aliases": []}), "UBUNTU-CVE-2022-3"),
            ["CVE-2022-3"]
        );
    }

    #[test]
    fn stated_priority_beats_cves_map_and_cvss_is_the_last_resort() {
        let aff = serde_json::json!({
            "ecosystem_specific": {"ubuntu_priority": "low"},
            "database_specific": {"cves_map": {"cves": [
                {"id": "CVE-1", "severity": [{"type": "Ubuntu", "score": "high"}]}
            ]}}
        });
        assert_eq!(
            release_rating(&aff),
            (vec!["CVE-1".into()], Some(Severity::Low))
        );
        let cvss_only = serde_json::json!({"database_specific": {"cves_map": {"cves": [
            {"id": "CVE-1", "severity": [{"type": "CVSS_V3",
                "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]},
            {"id": "CVE-2", "severity": [{"type": "Ubuntu", "score": "untriaged"}]},
            "CVE-3"
        ]}}});
        assert_eq!(
            release_rating(&cvss_only),
            (
                vec!["CVE-1".into(), "CVE-2".into(), "CVE-3".into()],
                Some(Severity::Critical)
            )
        );
        assert_eq!(
            release_rating(&serde_json::json!({"cves_map": 3})),
            (vec![], None)
        );
    }
}

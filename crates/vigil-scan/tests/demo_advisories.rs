//! The advisory set shipped for the demo (`data/advisories/demo`): every Ubuntu and npm record
//! names its source, and the versions Canonical lists as affected on 22.04 sort below the fixed
//! version under dpkg rules — real jammy version strings exercising epochs, `~` and
//! `buildN`/`ubuntuN` revisions.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::Value;
use std::cmp::Ordering;
use vigil_model::Severity;
use vigil_scan::version::{Scheme, compare};
use vigil_scan::vulndb::{Advisory, demo_advisories, fixed_version, is_affected};

const UBUNTU: &str = include_str!("../data/advisories/demo/ubuntu-jammy-demo.json");
const NPM: &str = include_str!("../data/advisories/demo/npm-demo.json");

fn records(text: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn by_ecosystem<'a>(all: &'a [Advisory], prefix: &str) -> Vec<&'a Advisory> {
    all.iter()
        .filter(|a| a.affected.iter().any(|f| f.ecosystem.starts_with(prefix)))
        .collect()
}

#[test]
fn every_record_names_where_it_was_copied_from() {
    for (file, text) in [("ubuntu", UBUNTU), ("npm", NPM)] {
        for r in records(text) {
            let id = r["id"].as_str().unwrap();
            let source = r["database_specific"]["vigil_source"]
                .as_str()
                .unwrap_or("");
            assert!(
                source.starts_with("https://github.com/") && source.ends_with(".json"),
                "{file} {id}: no source link"
            );
            assert!(
                source.contains(id),
                "{file} {id}: source {source} is another record"
            );
        }
    }
    for r in records(UBUNTU) {
        let id = r["id"].as_str().unwrap();
        assert!(
            r["references"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["url"] == format!("https://ubuntu.com/security/notices/{id}").as_str()),
            "{id}: no link to the notice"
        );
    }
}

#[test]
fn ubuntu_records_are_jammy_notices_with_cves_and_a_priority() {
    let all = demo_advisories();
    let ubuntu = by_ecosystem(&all, "Ubuntu");
    assert_eq!(ubuntu.len(), 12);
    for a in ubuntu {
        assert!(a.id.starts_with("USN-"), "{}", a.id);
        assert!(!a.aliases.is_empty(), "{}: no CVE", a.id);
        assert!(a.aliases.iter().all(|c| c.starts_with("CVE-")), "{}", a.id);
        assert!(
            matches!(a.severity, Some(Severity::High | Severity::Medium)),
            "{}: {:?}",
            a.id,
            a.severity
        );
        assert_eq!(
            a.affected.len(),
            1,
            "{}: only the 22.04 entry is kept",
            a.id
        );
        assert_eq!(a.affected[0].ecosystem, "Ubuntu:22.04:LTS");
    }
}

/// The hand-filled `aliases` narrow `upstream` to the CVEs fixed in 22.04: each is one of the
/// record's `upstream` ids, and the records where `upstream` also names other releases' CVEs
/// (which the importer would show were `aliases` left empty) keep fewer.
#[test]
fn ubuntu_aliases_are_the_jammy_part_of_upstream() {
    let mut narrowed = Vec::new();
    for r in records(UBUNTU) {
        let id = r["id"].as_str().unwrap();
        let upstream: Vec<String> = r["upstream"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                u.as_str()
                    .unwrap()
                    .trim_start_matches("UBUNTU-")
                    .to_string()
            })
            .collect();
        let aliases = r["aliases"].as_array().unwrap();
        for a in aliases {
            assert!(
                upstream.iter().any(|u| u == a.as_str().unwrap()),
                "{id}: {a}"
            );
        }
        if aliases.len() < upstream.len() {
            narrowed.push(id.to_string());
        }
    }
    assert_eq!(narrowed, ["USN-6409-1", "USN-5702-1", "USN-5638-2"]);
}

/// Canonical lists every jammy version before the fix as affected: each must sort below the
/// fixed version, and the fixed version itself must not match.
#[test]
fn listed_jammy_versions_sort_below_the_fix() {
    let all = demo_advisories();
    let mut checked = 0;
    for a in by_ecosystem(&all, "Ubuntu") {
        let aff = &a.affected[0];
        let fixed = aff.ranges[0]
            .iter()
            .find_map(|e| e.fixed.clone())
            .expect("a fixed version");
        assert_eq!(is_affected(aff, &fixed), Some(false), "{} {fixed}", a.id);
        assert!(!aff.versions.is_empty(), "{}", a.id);
        for v in &aff.versions {
            assert_eq!(
                compare(Scheme::Dpkg, v, &fixed),
                Some(Ordering::Less),
                "{}: {v} vs {fixed}",
                a.id
            );
            // Affected by the range too, not only because it is listed.
            let range_only = vigil_scan::vulndb::Affected {
                versions: Vec::new(),
                ..aff.clone()
            };
            assert_eq!(is_affected(&range_only, v), Some(true), "{} {v}", a.id);
            assert_eq!(fixed_version(aff, v).as_deref(), Some(fixed.as_str()));
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked}");
}

/// The demo host's versions against the fixes, and the traps around them (each pair also
/// checked with `dpkg --compare-versions` when the data was written).
#[test]
fn dpkg_order_of_the_demo_hosts_versions() {
    let less = [
        ("2.35-0ubuntu3", "2.35-0ubuntu3.4"),
        ("1.1.0-0ubuntu1", "1.1.7-0ubuntu1~22.04.2"),
        ("1.1.4-0ubuntu1~22.04.3", "1.1.7-0ubuntu1~22.04.2"),
        ("1:8.9p1-3", "1:8.9p1-3ubuntu0.3"),
        ("1:8.9p1-3ubuntu0.7", "1:8.9p1-3ubuntu0.10"),
        ("3.0.2-0ubuntu1", "3.0.2-0ubuntu1.1"),
        ("7.81.0-1ubuntu1.4", "7.81.0-1ubuntu1.6"),
        ("1:1.2.11.dfsg-2ubuntu9", "1:1.2.11.dfsg-2ubuntu9.2"),
        ("2.4.7-1", "2.4.7-1ubuntu0.1"),
        ("0.9.6-2build1", "0.9.6-2ubuntu0.22.04.1"),
        ("1.9.9-1ubuntu2", "1.9.9-1ubuntu2.2"),
        ("1.21.1ubuntu2", "1.21.1ubuntu2.1"),
        ("2.37.2-4ubuntu3", "2.37.2-4ubuntu3.3"),
        // A tilde sorts before everything, even the end of the string.
        ("1.1.7-0ubuntu1~22.04.2", "1.1.7-0ubuntu1"),
    ];
    for (a, b) in less {
        assert_eq!(
            compare(Scheme::Dpkg, a, b),
            Some(Ordering::Less),
            "{a} < {b}"
        );
        assert_eq!(
            compare(Scheme::Dpkg, b, a),
            Some(Ordering::Greater),
            "{b} > {a}"
        );
    }
    // bsdutils is 1:2.37.2-4ubuntu3 but its source util-linux has no epoch: comparing the
    // binary's version with a util-linux fix would wrongly call it fixed.
    assert_eq!(
        compare(Scheme::Dpkg, "1:2.37.2-4ubuntu3", "2.37.2-4ubuntu3.3"),
        Some(Ordering::Greater)
    );
}

#[test]
fn npm_records_match_the_demo_lockfile_versions() {
    let all = demo_advisories();
    let npm = by_ecosystem(&all, "npm");
    let ids: Vec<&str> = npm.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "GHSA-p6mc-m468-83gw",
            "GHSA-35jh-r3h4-6jhm",
            "GHSA-29mw-wpgm-hmr9",
            "GHSA-xvch-5gv4-984h"
        ]
    );
    let find = |id: &str, pkg: &str| -> Vec<&vigil_scan::vulndb::Affected> {
        all.iter()
            .filter(|a| a.id == id)
            .flat_map(|a| a.affected.iter())
            .filter(|f| f.package == pkg)
            .collect()
    };
    let hit = |id: &str, pkg: &str, v: &str| {
        find(id, pkg)
            .iter()
            .any(|f| is_affected(f, v) == Some(true))
    };
    assert!(hit("GHSA-p6mc-m468-83gw", "lodash", "4.17.15"));
    assert!(!hit("GHSA-p6mc-m468-83gw", "lodash", "4.17.19"));
    assert!(
        !hit("GHSA-p6mc-m468-83gw", "lodash", "3.6.0"),
        "introduced in 3.7.0"
    );
    assert!(hit("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.15"));
    assert!(hit("GHSA-29mw-wpgm-hmr9", "lodash", "4.17.20"));
    assert!(!hit("GHSA-29mw-wpgm-hmr9", "lodash", "4.17.21"));
    assert!(hit("GHSA-xvch-5gv4-984h", "minimist", "1.2.5"));
    assert!(!hit("GHSA-xvch-5gv4-984h", "minimist", "1.2.6"));
    assert!(hit("GHSA-xvch-5gv4-984h", "minimist", "0.2.3"));
    assert!(
        !hit("GHSA-xvch-5gv4-984h", "minimist", "0.2.4"),
        "0.2.4 is a fix"
    );
}

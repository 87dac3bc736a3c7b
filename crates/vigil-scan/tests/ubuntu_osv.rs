//! Real Ubuntu OSV records (`fixtures/ubuntu-osv`, copied unchanged from Canonical's
//! `ubuntu-security-notices`): notices carry `aliases: []` and no top-level severity, so the CVE
//! ids must come from `upstream` / `cves_map` and the rating from Ubuntu's priority — per
//! release — or, for notice files without `cves_map`, from the `UBUNTU-CVE-…` records.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use vigil_model::Severity;
use vigil_scan::report::{OsInfo, Package, VulnFinding};
use vigil_scan::vulndb::{Advisory, VulnDb, import_path, match_packages};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ubuntu-osv")
}

fn imported() -> Vec<Advisory> {
    let (advisories, report) = import_path(&fixtures()).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.files, 4, "the README is not read as an advisory");
    advisories
}

fn get<'a>(all: &'a [Advisory], id: &str) -> &'a Advisory {
    all.iter().find(|a| a.id == id).expect(id)
}

fn ubuntu(version_id: &str) -> OsInfo {
    OsInfo {
        id: "ubuntu".into(),
        version_id: version_id.into(),
        pretty_name: format!("Ubuntu {version_id}"),
    }
}

fn deb(name: &str, version: &str, source: Option<(&str, &str)>) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        kind: "deb".into(),
        path: "var/lib/dpkg/status".into(),
        source: source.map(|(s, _)| s.to_string()),
        source_version: source.map(|(_, v)| v.to_string()),
        purl: format!("pkg:deb/ubuntu/{name}@{version}"),
        active: false,
        dev: false,
    }
}

fn finding<'a>(found: &'a [VulnFinding], id: &str) -> &'a VulnFinding {
    found.iter().find(|f| f.id == id).expect(id)
}

#[test]
fn notice_cves_come_from_upstream_and_cves_map() {
    let all = imported();
    let sudo = get(&all, "USN-5811-1");
    assert_eq!(sudo.aliases, ["CVE-2022-33070", "CVE-2023-22809"]);
    assert_eq!(sudo.severity, None, "the notice has no record-wide rating");
    let by_release = |eco: &str| {
        sudo.affected
            .iter()
            .find(|f| f.ecosystem == eco)
            .expect(eco)
    };
    // CVE-2022-33070 was fixed by this notice in 22.04 only.
    assert_eq!(
        by_release("Ubuntu:22.04:LTS").cves,
        ["CVE-2022-33070", "CVE-2023-22809"]
    );
    assert_eq!(by_release("Ubuntu:18.04:LTS").cves, ["CVE-2023-22809"]);
    // CVSS says 7.8 (high); Ubuntu rates both CVEs medium.
    for f in &sudo.affected {
        assert_eq!(f.severity, Some(Severity::Medium), "{}", f.ecosystem);
    }

    // CVSS 9.8 would be critical; Ubuntu's priority is medium.
    let ssh = get(&all, "USN-6242-1");
    assert_eq!(ssh.aliases, ["CVE-2023-38408"]);
    assert!(
        ssh.affected
            .iter()
            .all(|f| f.severity == Some(Severity::Medium))
    );

    // The old notice file: CVE ids from `upstream` only, no rating anywhere in it.
    let glibc = get(&all, "USN-6409-1");
    assert_eq!(glibc.aliases, ["CVE-2023-4527", "CVE-2023-4911"]);
    assert_eq!(glibc.affected[0].cves, Vec::<String>::new());
    assert_eq!(glibc.affected[0].severity, None);

    // The CVE record: its own CVE as an alias, Ubuntu's priority per release.
    let cve = get(&all, "UBUNTU-CVE-2023-4911");
    assert_eq!(cve.aliases, ["CVE-2023-4911"]);
    assert_eq!(cve.severity, Some(Severity::High), "CVSS 7.8");
    assert!(
        cve.affected
            .iter()
            .all(|f| f.severity == Some(Severity::High))
    );
}

#[test]
fn a_jammy_host_gets_cve_ids_and_ubuntus_ratings() {
    let db = VulnDb::new(imported());
    let packages = [
        deb("sudo", "1.9.9-1ubuntu2", None),
        deb(
            "openssh-server",
            "1:8.9p1-3",
            Some(("openssh", "1:8.9p1-3")),
        ),
        deb("libc6", "2.35-0ubuntu3", Some(("glibc", "2.35-0ubuntu3"))),
    ];
    let found = match_packages(&db, &packages, Some(&ubuntu("22.04")));
    let mut ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "UBUNTU-CVE-2023-4911",
            "USN-5811-1",
            "USN-6242-1",
            "USN-6409-1"
        ]
    );

    let sudo = finding(&found, "USN-5811-1");
    assert_eq!(sudo.aliases, ["CVE-2022-33070", "CVE-2023-22809"]);
    assert_eq!(sudo.severity, Severity::Medium);
    assert_eq!(sudo.fixed_version.as_deref(), Some("1.9.9-1ubuntu2.2"));

    let ssh = finding(&found, "USN-6242-1");
    assert_eq!(ssh.aliases, ["CVE-2023-38408"]);
    assert_eq!(ssh.severity, Severity::Medium);

    // No rating in the notice: Ubuntu's 22.04 priority of CVE-2023-4911 from its CVE record.
    let glibc = finding(&found, "USN-6409-1");
    assert_eq!(glibc.severity, Severity::High);
    assert_eq!(glibc.aliases, ["CVE-2023-4527", "CVE-2023-4911"]);
    assert_eq!(
        finding(&found, "UBUNTU-CVE-2023-4911").aliases,
        ["CVE-2023-4911"]
    );
}

#[test]
fn each_release_sees_only_its_own_cves() {
    let db = VulnDb::new(imported());
    let found = match_packages(
        &db,
        &[deb("sudo", "1.8.31-1ubuntu1", None)],
        Some(&ubuntu("20.04")),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "USN-5811-1");
    assert_eq!(found[0].aliases, ["CVE-2023-22809"]);
    assert_eq!(found[0].fixed_version.as_deref(), Some("1.8.31-1ubuntu1.4"));
}

#[test]
fn a_notice_without_its_cve_records_falls_back_to_medium() {
    let notices_only: Vec<Advisory> = imported()
        .into_iter()
        .filter(|a| a.id.starts_with("USN-"))
        .collect();
    let db = VulnDb::new(notices_only);
    let found = match_packages(
        &db,
        &[deb(
            "libc6",
            "2.35-0ubuntu3",
            Some(("glibc", "2.35-0ubuntu3")),
        )],
        Some(&ubuntu("22.04")),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Medium, "nothing rates it");
    // A CVE record for another release does not rate the 22.04 entry.
    let mut noble_only = imported();
    for a in &mut noble_only {
        if a.id.starts_with("UBUNTU-CVE") {
            a.affected.retain(|f| f.ecosystem == "Ubuntu:24.04:LTS");
        }
    }
    let db = VulnDb::new(noble_only);
    let glibc = db.advisories.iter().find(|a| a.id == "USN-6409-1").unwrap();
    assert_eq!(glibc.affected[0].severity, None);
}

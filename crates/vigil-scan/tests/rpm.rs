//! The rpm cataloguer on a real SQLite rpmdb written by rpm 4.18 (`fixtures/rpm/rpmdb.sqlite`,
//! made by `fixtures/rpm/make-rpmdb.sh`), and matching against OSV records of the Red Hat family
//! (Red Hat, Rocky Linux, AlmaLinux) by rpm's version rules.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use vigil_scan::catalog::rpm::file_owners;
use vigil_scan::catalog::rpmdb_sqlite;
use vigil_scan::fs::DirFs;
use vigil_scan::vulndb::{VulnDb, parse_osv_document};
use vigil_scan::{ScanOptions, scan};

fn fixture() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rpm/rpmdb.sqlite"))
        .unwrap()
}

/// A root filesystem with `os-release` saying `id` `version` and the fixture rpmdb.
fn rootfs(id: &str, version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::create_dir_all(dir.path().join("var/lib/rpm")).unwrap();
    std::fs::write(
        dir.path().join("etc/os-release"),
        format!("ID=\"{id}\"\nVERSION_ID=\"{version}\"\nNAME=\"test\"\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("var/lib/rpm/rpmdb.sqlite"), fixture()).unwrap();
    dir
}

fn advisory(id: &str, ecosystem: &str, package: &str, fixed: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "summary": "test advisory",
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    })
}

fn db(docs: &[serde_json::Value]) -> VulnDb {
    VulnDb::new(
        docs.iter()
            .map(|d| parse_osv_document(d, "test").expect("advisory parses"))
            .collect(),
    )
}

#[test]
fn catalogue_reads_the_real_rpmdb() {
    let dir = rootfs("rocky", "9.3");
    let r = scan(
        &DirFs::new(dir.path()),
        "t",
        &VulnDb::default(),
        None,
        &ScanOptions::default(),
        &mut |_| {},
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let mut pkgs: Vec<_> = r.packages.iter().filter(|p| p.kind == "rpm").collect();
    pkgs.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(pkgs.len(), 2, "{pkgs:?}");
    let (curl, ssl) = (pkgs[0], pkgs[1]);
    assert_eq!(ssl.name, "vigil-demo-ssl");
    assert_eq!(ssl.version, "1:3.0.7-24.el9");
    assert_eq!(ssl.path, "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(ssl.source.as_deref(), Some("vigil-demo-ssl"));
    assert_eq!(
        ssl.purl,
        "pkg:rpm/rocky/vigil-demo-ssl@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=1"
    );
    assert_eq!(curl.version, "7.76.1-29.el9_4");
    assert_eq!(
        curl.purl,
        "pkg:rpm/rocky/vigil-demo-curl@7.76.1-29.el9_4?arch=noarch&distro=rocky-9.3"
    );
}

#[test]
fn headers_carry_license_and_files() {
    let blobs = rpmdb_sqlite::header_blobs(&fixture(), None).unwrap();
    let mut problems = Vec::new();
    let headers = rpmdb_sqlite::decode(&blobs, "rpmdb.sqlite", &mut problems);
    assert!(problems.is_empty());
    let ssl = headers.iter().find(|h| h.name == "vigil-demo-ssl").unwrap();
    assert_eq!(ssl.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(ssl.epoch, Some(1));
    let owners = file_owners(&headers);
    assert_eq!(
        owners
            .get("/usr/lib64/libvigilssl.so.3")
            .map(String::as_str),
        Some("vigil-demo-ssl")
    );
    assert_eq!(
        owners
            .get("/usr/share/vigil-demo-curl/README")
            .map(String::as_str),
        Some("vigil-demo-curl")
    );
}

#[test]
fn matches_red_hat_family_advisories_by_rpm_rules() {
    let cases = [
        ("rocky", "9.3", "Rocky Linux:9"),
        ("almalinux", "9.4", "AlmaLinux:9"),
        ("rhel", "9.4", "Red Hat:enterprise_linux:9::baseos"),
    ];
    for (id, version, ecosystem) in cases {
        let dir = rootfs(id, version);
        let db = db(&[
            // Fixed at a later release: affected (epoch 1 kept on both sides).
            advisory("TEST-SSL", ecosystem, "vigil-demo-ssl", "1:3.0.7-27.el9"),
            // Fixed without the epoch: 0 < 1, so the installed 1:… is newer, not affected.
            advisory(
                "TEST-SSL-NOEPOCH",
                ecosystem,
                "vigil-demo-ssl",
                "3.9.9-1.el9",
            ),
            // el9_4 sorts before el9_10 under rpmvercmp (4 < 10): affected.
            advisory(
                "TEST-CURL",
                ecosystem,
                "vigil-demo-curl",
                "7.76.1-29.el9_10",
            ),
            // Already fixed.
            advisory(
                "TEST-CURL-OLD",
                ecosystem,
                "vigil-demo-curl",
                "7.76.1-29.el9_3",
            ),
            // Another release of the family: ignored.
            advisory(
                "TEST-OTHER-RELEASE",
                &ecosystem.replace('9', "8"),
                "vigil-demo-curl",
                "9.0",
            ),
        ]);
        let r = scan(
            &DirFs::new(dir.path()),
            "t",
            &db,
            None,
            &ScanOptions::default(),
            &mut |_| {},
        );
        let mut ids: Vec<&str> = r.vulnerabilities.iter().map(|v| v.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["TEST-CURL", "TEST-SSL"], "{ecosystem}");
        let ssl = r
            .vulnerabilities
            .iter()
            .find(|v| v.id == "TEST-SSL")
            .unwrap();
        assert_eq!(ssl.fixed_version.as_deref(), Some("1:3.0.7-27.el9"));
    }
}

#[test]
fn a_corrupt_rpmdb_is_a_problem_not_a_panic() {
    let dir = rootfs("rocky", "9.3");
    std::fs::write(
        dir.path().join("var/lib/rpm/rpmdb.sqlite"),
        b"SQLite format 3\0 but not really",
    )
    .unwrap();
    let r = scan(
        &DirFs::new(dir.path()),
        "t",
        &VulnDb::default(),
        None,
        &ScanOptions::default(),
        &mut |_| {},
    );
    assert!(r.packages.iter().all(|p| p.kind != "rpm"));
    assert!(
        r.problems.iter().any(|p| p.path.ends_with("rpmdb.sqlite")),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_mapped_library_makes_its_rpm_package_active() {
    let dir = rootfs("rocky", "9.3");
    let fs = DirFs::new(dir.path());
    let db = db(&[advisory(
        "TEST-SSL",
        "Rocky Linux:9",
        "vigil-demo-ssl",
        "1:3.0.7-27.el9",
    )]);
    let mut r = scan(&fs, "t", &db, None, &ScanOptions::default(), &mut |_| {});
    // Merged /usr: the process maps /lib64/…, the package lists /usr/lib64/….
    let used = ["/lib64/libvigilssl.so.3".to_string()]
        .into_iter()
        .collect();
    assert_eq!(vigil_scan::active::mark_active(&fs, &mut r, &used), 1);
    let active: Vec<&str> = r
        .packages
        .iter()
        .filter(|p| p.active)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(active, ["vigil-demo-ssl"]);
    assert!(r.vulnerabilities.iter().all(|v| v.active));
}

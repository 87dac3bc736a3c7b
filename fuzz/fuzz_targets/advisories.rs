//! Advisory files and version rules. The first byte picks what the rest is:
//! - an advisory file (`.json` OSV or a JSON array of them, `.yaml` OSV / Alpine secdb /
//!   Trivy buckets, `.md` RustSec, `.zip` of those) read by `vulndb::import_path`, then
//!   matched against a few packages of every kind. Checks: import and matching are
//!   deterministic, the report counts what was returned, every finding names an advisory and
//!   one of the packages it was given;
//! - three versions and a scheme (NUL-separated): `version::compare` is reflexive and
//!   antisymmetric, and a constraint string parses and evaluates without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;
use vigil_fuzz::scratch_path;
use vigil_scan::catalog::package;
use vigil_scan::report::{OsInfo, Package};
use vigil_scan::version::{Constraint, Scheme, compare, satisfies_any};
use vigil_scan::vulndb::{VulnDb, import_path, match_packages};

const EXTS: &[&str] = &["json", "yaml", "md", "zip", "pysec.yaml"];
const SCHEMES: &[Scheme] = &[
    Scheme::Dpkg,
    Scheme::Apk,
    Scheme::Rpm,
    Scheme::Pep440,
    Scheme::Semver,
    Scheme::Go,
    Scheme::Generic,
];

fn packages() -> Vec<Package> {
    [
        ("deb", "openssl", "3.0.2-0ubuntu1.10"),
        ("apk", "musl", "1.2.3-r4"),
        ("rpm", "glibc", "2.34-60.el9"),
        ("pypi", "requests", "2.19.0"),
        ("npm", "lodash", "4.17.15"),
        ("cargo", "smallvec", "1.6.0"),
        ("golang", "golang.org/x/net", "v0.7.0"),
    ]
    .iter()
    .map(|(kind, name, version)| package(kind, name, version, "/pkgs", None))
    .collect()
}

fn advisories(ext: &str, body: &[u8]) {
    let dir = scratch_path("advisories");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let file = dir.join(format!("advisory.{ext}"));
    if std::fs::write(&file, body).is_err() {
        return;
    }
    let Ok((advs, report)) = import_path(&file) else {
        return;
    };
    assert_eq!(report.advisories, advs.len() as u64, "report miscounts");
    let again = import_path(&file).map(|(a, _)| a).ok();
    assert_eq!(Some(&advs), again.as_ref(), "import not deterministic");
    let pkgs = packages();
    let os = OsInfo {
        id: "ubuntu".into(),
        version_id: "22.04".into(),
        ..OsInfo::default()
    };
    let db = VulnDb::new(advs);
    for os in [None, Some(&os)] {
        let found = match_packages(&db, &pkgs, os);
        assert_eq!(
            found,
            match_packages(&db, &pkgs, os),
            "matching not deterministic"
        );
        for f in &found {
            assert!(!f.id.is_empty(), "finding without an advisory id");
            assert!(
                pkgs.iter()
                    .any(|p| p.name == f.package && p.version == f.version),
                "finding for a package not given: {f:?}"
            );
        }
    }
}

fn versions(body: &[u8]) {
    let Some((&s, rest)) = body.split_first() else {
        return;
    };
    let scheme = SCHEMES[usize::from(s) % SCHEMES.len()];
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\0');
    let a = parts.next().unwrap_or("");
    let b = parts.next().unwrap_or("");
    let c = parts.next().unwrap_or("");
    for v in [a, b, c] {
        let own = compare(scheme, v, v);
        assert!(
            matches!(own, None | Some(Ordering::Equal)),
            "{scheme:?}: {v:?} is {own:?} itself"
        );
    }
    for (x, y) in [(a, b), (b, c), (a, c)] {
        let xy = compare(scheme, x, y);
        let yx = compare(scheme, y, x);
        assert_eq!(
            xy,
            yx.map(Ordering::reverse),
            "{scheme:?}: {x:?} vs {y:?} not antisymmetric"
        );
    }
    if let Some(con) = Constraint::parse(c) {
        let _ = con.matches(scheme, a);
    }
    let _ = satisfies_any(scheme, a, &[c.to_string()]);
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    match EXTS.get(usize::from(pick) % (EXTS.len() + 1)) {
        Some(ext) => advisories(ext, body),
        None => versions(body),
    }
});

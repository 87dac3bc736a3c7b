//! Ground truth: Trivy's integration fixtures. Its fixture advisory DB is imported, its real
//! lockfiles catalogued, and the vulnerabilities found must equal Trivy's golden results for
//! every lockfile case of an ecosystem Vigil catalogues. Differences are listed (and
//! explained) in `docs/trivy-comparison.md`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use vigil_scan::catalog::catalog;
use vigil_scan::fs::{DirFs, walk};
use vigil_scan::vulndb::{VulnDb, import_path, match_packages};

/// (golden file, include dev dependencies)
const CASES: [(&str, bool); 12] = [
    ("pip.json.golden", false),
    ("pipenv.json.golden", false),
    ("poetry.json.golden", false),
    ("uv.json.golden", false),
    ("pylock.json.golden", false),
    ("npm.json.golden", false),
    ("npm-with-dev.json.golden", true),
    ("yarn.json.golden", false),
    ("pnpm.json.golden", false),
    ("bun.json.golden", false),
    ("cargo.lock.json.golden", false),
    ("gomod.json.golden", false),
];

type Row = (String, String, String, String, String, String);

#[test]
fn lockfile_cases_match_trivy_golden_results() {
    let base = common::shared_data().join("vulndb/trivy-integration/integration");
    let (advisories, report) = import_path(&base.join("testdata/fixtures/db")).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let db = VulnDb::new(advisories);
    let mut total = 0;
    for (golden, with_dev) in CASES {
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(base.join("testdata").join(golden)).unwrap())
                .unwrap();
        let artifact = doc["ArtifactName"].as_str().unwrap();
        let dir = base.join(artifact);
        let mut expected: BTreeSet<Row> = BTreeSet::new();
        let mut targets = BTreeSet::new();
        for r in doc["Results"].as_array().unwrap() {
            let target = r["Target"].as_str().unwrap().to_string();
            targets.insert(format!("/{target}"));
            for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
                expected.insert((
                    target.clone(),
                    v["PkgName"].as_str().unwrap().to_string(),
                    v["InstalledVersion"].as_str().unwrap().to_string(),
                    v["VulnerabilityID"].as_str().unwrap().to_string(),
                    v["FixedVersion"].as_str().unwrap_or("").to_string(),
                    // Vigil rates an advisory without a severity as medium (Trivy: UNKNOWN).
                    match v["Severity"]
                        .as_str()
                        .unwrap()
                        .to_ascii_lowercase()
                        .as_str()
                    {
                        "unknown" => "medium".to_string(),
                        s => s.to_string(),
                    },
                ));
            }
        }
        let fs = DirFs::new(&dir);
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        walk(&fs, &mut problems, |e| entries.push(e.clone()));
        let packages: Vec<_> = catalog(&fs, &entries, None, &mut problems)
            .into_iter()
            .filter(|p| targets.contains(&p.path) && (with_dev || !p.dev))
            .collect();
        assert!(
            !packages.is_empty(),
            "{golden}: no packages from {targets:?}"
        );
        let got: BTreeSet<Row> = match_packages(&db, &packages, None)
            .into_iter()
            .map(|v| {
                (
                    v.path.trim_start_matches('/').to_string(),
                    v.package,
                    v.version,
                    v.id,
                    v.fixed_version.unwrap_or_default(),
                    v.severity.as_str().to_string(),
                )
            })
            .collect();
        assert_eq!(
            got, expected,
            "{golden}: Vigil (left) vs Trivy golden (right)"
        );
        total += expected.len();
    }
    println!(
        "trivy golden: {} lockfile cases, {total} vulnerabilities, all equal",
        CASES.len()
    );
}

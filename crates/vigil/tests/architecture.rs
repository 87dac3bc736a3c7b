//! Checks the crate dependency edges that ARCHITECTURE.md promises: engines depend only on the
//! model, only the store speaks SQL, and heavy SDKs stay in the one crate that needs them.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers: a panic is a failed assertion

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Which workspace crates each crate may depend on. A crate missing from this table fails the
/// test: adding a crate means deciding where it sits.
const ALLOWED_EDGES: &[(&str, &[&str])] = &[
    ("vigil-model", &[]),
    // engines: pure, model only
    ("vigil-sigma", &["vigil-model"]),
    ("vigil-detect", &["vigil-model", "vigil-sigma"]),
    ("vigil-iam", &["vigil-model"]),
    ("vigil-scan", &["vigil-model"]),
    ("vigil-graph", &["vigil-model"]),
    // adapters
    ("vigil-ingest", &["vigil-model"]),
    ("vigil-store", &["vigil-model"]),
    ("vigil-demo", &["vigil-model"]),
    ("vigil-agent", &["vigil-model"]),
    // glue: the posture join (scan → identity → graph over the store), shared by the CLI
    // and the server's tests
    (
        "vigil-posture",
        &[
            "vigil-model",
            "vigil-store",
            "vigil-iam",
            "vigil-scan",
            "vigil-graph",
        ],
    ),
    (
        "vigil-server",
        &[
            "vigil-model",
            "vigil-store",
            "vigil-ingest",
            "vigil-detect",
            "vigil-sigma",
            "vigil-iam",
            "vigil-scan",
            "vigil-graph",
        ],
    ),
    // interfaces
    (
        "vigil",
        &[
            "vigil-model",
            "vigil-ingest",
            "vigil-store",
            "vigil-demo",
            "vigil-sigma",
            "vigil-detect",
            "vigil-iam",
            "vigil-scan",
            "vigil-graph",
            "vigil-server",
            "vigil-agent",
            "vigil-posture",
        ],
    ),
];

/// External crates that only one workspace crate may use (prefix match on the package name;
/// `a|b` names more than one owner).
const CONFINED: &[(&str, &str)] = &[
    // vigil-scan reads a scanned system's rpmdb.sqlite (a private read-only copy, no SQL of
    // ours is stored there); all of Vigil's own SQL stays in vigil-store.
    ("rusqlite", "vigil-store|vigil-scan"),
    ("aws-sdk-", "vigil-aws"),
    ("aws-config", "vigil-aws"),
    ("datafusion", "vigil-lake"),
    ("aya", "vigil-agent"),
    ("axum", "vigil-server"),
    ("tokio", "vigil-server"),
];

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn workspace_deps() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let meta = metadata();
    let mut out = BTreeMap::new();
    for pkg in meta["packages"].as_array().expect("packages") {
        let name = pkg["name"].as_str().expect("name").to_string();
        let deps = pkg["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .map(|d| {
                let kind = d["kind"].as_str().unwrap_or("normal").to_string();
                (d["name"].as_str().expect("dep name").to_string(), kind)
            })
            .collect();
        out.insert(name, deps);
    }
    out
}

#[test]
fn crate_edges_follow_the_architecture() {
    let deps = workspace_deps();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED_EDGES.iter().copied().collect();
    let mut problems = Vec::new();
    for (krate, krate_deps) in &deps {
        let Some(ok) = allowed.get(krate.as_str()) else {
            problems.push(format!(
                "`{krate}` is not placed in ARCHITECTURE.md's dependency table"
            ));
            continue;
        };
        for (dep, kind) in krate_deps {
            if dep.starts_with("vigil") && kind != "dev" && !ok.contains(&dep.as_str()) {
                problems.push(format!("`{krate}` must not depend on `{dep}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        deps.contains_key("vigil-model") && deps.contains_key("vigil"),
        "workspace looks incomplete"
    );
}

#[test]
fn heavy_dependencies_stay_confined() {
    let deps = workspace_deps();
    let mut problems = Vec::new();
    for (krate, krate_deps) in &deps {
        for (dep, _) in krate_deps {
            for (prefix, owner) in CONFINED {
                if dep.starts_with(prefix) && !owner.split('|').any(|o| o == krate) {
                    problems.push(format!(
                        "`{krate}` uses `{dep}`, which only `{owner}` may use"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_model_does_no_io() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-model/src");
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(&src).expect("model sources") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable source");
        for banned in [
            "std::fs",
            "std::net::TcpStream",
            "SystemTime::now",
            "Utc::now",
            "Timestamp::now",
            "std::process",
        ] {
            if text.contains(banned) {
                offenders.push(format!("{} uses {banned}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

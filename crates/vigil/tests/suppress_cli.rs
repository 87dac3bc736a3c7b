//! End-to-end tests of `vigil suppress` (add, list, remove, accept a console proposal), of
//! suppressions applied by the next ingest and counted, of the audit trail, and of the
//! detection settings file (`--detect-config`, `DATA_DIR/detect.toml`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers: a panic is a failed assertion

mod common;

use common::{ok_json, vigil};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn audit_actions(data: &Path) -> Vec<(String, String, String)> {
    let store = vigil_store::Store::open(data).unwrap();
    store
        .list_audit(100)
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.target, e.actor))
        .collect()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-ingest/tests/fixtures/good/records.json")
}

#[test]
fn a_suppression_holds_back_the_stolen_key_composite_counts_it_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (demo_data, data) = (dir.path().join("demo"), dir.path().join("data"));
    let input = dir.path().join("input");
    ok_json(&vigil(
        &demo_data,
        &[
            "demo",
            "--out",
            input.to_str().unwrap(),
            "--no-serve",
            "--format",
            "json",
        ],
    ));
    let composites = ok_json(&vigil(
        &demo_data,
        &[
            "alerts",
            "--type",
            "compromised_aws_keys",
            "--format",
            "json",
        ],
    ));
    let key = composites[0]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "access_key")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let added = ok_json(&vigil(
        &data,
        &[
            "suppress",
            "add",
            "--type",
            "compromised_aws_keys",
            "--entity",
            &key,
            "--reason",
            "red-team exercise",
            "--expires",
            "30d",
            "--author",
            "alice",
            "--format",
            "json",
        ],
    ));
    assert_eq!(added["id"], "sup-1");
    assert_eq!(
        added["entities"][0],
        json!({"type": "access_key", "id": key})
    );

    let ingest = ok_json(&vigil(
        &data,
        &[
            "ingest",
            "cloudtrail",
            input.join("cloudtrail").to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert!(
        ingest["detection"]["stats"]["correlation"]["suppressed"]
            .as_u64()
            .unwrap()
            >= 1,
        "{}",
        ingest["detection"]
    );
    let alerts = ok_json(&vigil(
        &data,
        &["alerts", "--format", "json", "--limit", "1000"],
    ));
    let types: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert!(!types.contains(&"compromised_aws_keys"), "{types:?}");
    assert!(
        types.contains(&"data_exfiltration"),
        "other stories stay: {types:?}"
    );

    let listed = ok_json(&vigil(&data, &["suppress", "list", "--format", "json"]));
    let s = &listed[0];
    assert_eq!(s["status"], "active");
    assert!(s["hits"].as_u64().unwrap() >= 1, "{s}");
    assert!(!s["held_back"].as_array().unwrap().is_empty(), "{s}");
    let table = vigil(&data, &["suppress", "list"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("red-team exercise"));

    let removed = ok_json(&vigil(
        &data,
        &[
            "suppress", "remove", "sup-1", "--author", "bob", "--format", "json",
        ],
    ));
    assert_eq!(removed["id"], "sup-1");
    let listed = ok_json(&vigil(
        &data,
        &["suppress", "list", "--all", "--format", "json"],
    ));
    assert_eq!(listed, json!([]));
    let missing = vigil(&data, &["suppress", "remove", "sup-1"]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));

    let audit = audit_actions(&data);
    assert!(audit.contains(&("suppression.add".into(), "sup-1".into(), "alice".into())));
    assert!(audit.contains(&("suppression.remove".into(), "sup-1".into(), "bob".into())));
}

#[test]
fn bad_suppressions_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (args, says) in [
        (
            vec!["--type", "x", "--reason", " ", "--expires", "1d"],
            "needs a reason",
        ),
        (
            vec!["--reason", "r", "--expires", "1d"],
            "would hide everything",
        ),
        (
            vec!["--type", "x", "--reason", "r", "--expires", "2001-01-01"],
            "already past",
        ),
        (
            vec!["--type", "x", "--reason", "r", "--expires", "soon"],
            "neither a duration",
        ),
        (
            vec![
                "--type",
                "x",
                "--rule",
                "y",
                "--reason",
                "r",
                "--expires",
                "1d",
            ],
            "cannot be used with",
        ),
    ] {
        let mut full = vec!["suppress", "add"];
        full.extend(args);
        let out = vigil(&data, &full);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{full:?}: {}", stderr(&out));
    }
    assert!(
        audit_actions(&data).is_empty(),
        "nothing refused is audited"
    );
}

/// The console stores a proposal (as `vigil-server`'s `SuppressionProposal`, keyed by the
/// alert id) when someone marks an alert a false positive; `accept` makes it a suppression.
#[test]
fn accepting_a_console_proposal_makes_an_active_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let mut store = vigil_store::Store::open(&data).unwrap();
        store
            .put_state(
                "suppression_proposals",
                "vd-00000000000000aa",
                &json!({
                    "id": "suppress-new_source_network-vd-00000000000000aa",
                    "alert_type": "new_source_network",
                    "entities": [{"type": "access_key", "id": "AKIAEXAMPLE000000001"}],
                    "reason": "office moved to a new ISP",
                    "proposed_by": "api:console",
                    "proposed_at": "2026-10-20T10:00:00Z",
                    "from_alert": "vd-00000000000000aa",
                    "state": "proposed"
                }),
            )
            .unwrap();
    }
    let missing = vigil(&data, &["suppress", "accept", "suppress-nope"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no suppression proposal"));

    let accepted = ok_json(&vigil(
        &data,
        &[
            "suppress",
            "accept",
            "suppress-new_source_network-vd-00000000000000aa",
            "--expires",
            "2w",
            "--author",
            "carol",
            "--format",
            "json",
        ],
    ));
    assert_eq!(accepted["alert_type"], "new_source_network");
    assert_eq!(accepted["reason"], "office moved to a new ISP");
    assert_eq!(
        accepted["from_proposal"],
        "suppress-new_source_network-vd-00000000000000aa"
    );
    let id = accepted["id"].as_str().unwrap().to_string();
    let listed = ok_json(&vigil(&data, &["suppress", "list", "--format", "json"]));
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["entities"][0]["id"], "AKIAEXAMPLE000000001");

    // The proposal is marked, so it cannot be accepted twice (also not by its alert id).
    let store = vigil_store::Store::open(&data).unwrap();
    let p: Value = store
        .get_state("suppression_proposals", "vd-00000000000000aa")
        .unwrap()
        .unwrap();
    assert_eq!(p["state"], "accepted");
    assert_eq!(p["suppression_id"], id.as_str());
    drop(store);
    let again = vigil(&data, &["suppress", "accept", "vd-00000000000000aa"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already accepted"),
        "{}",
        stderr(&again)
    );
    assert!(audit_actions(&data).contains(&("suppression.accept".into(), id, "carol".into())));
}

#[test]
fn detection_settings_come_from_a_file_and_unknown_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let input = fixture();
    let input = input.to_str().unwrap();

    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[learning]\nperiod = \"1h\"\n[caps]\nmax_app_values = 32\n",
    )
    .unwrap();
    let out = ok_json(&vigil(
        &data,
        &[
            "--detect-config",
            good.to_str().unwrap(),
            "ingest",
            "cloudtrail",
            input,
            "--format",
            "json",
        ],
    ));
    assert_eq!(out["detection"]["config"]["learning_period_ms"], 3_600_000);
    assert_eq!(out["detection"]["config"]["max_app_values"], 32);
    let hunt = ok_json(&vigil(
        &data,
        &[
            "--detect-config",
            good.to_str().unwrap(),
            "rules",
            "hunt",
            input,
            "--format",
            "json",
        ],
    ));
    assert!(hunt["events"].as_u64().unwrap() > 0, "{hunt}");

    // DATA_DIR/detect.toml is read when no file is named; a typo is exit 2 naming the key.
    std::fs::write(data.join("detect.toml"), "[learning]\nperoid = \"3d\"\n").unwrap();
    let bad = vigil(&data, &["ingest", "cloudtrail", input, "--reread"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("unknown field `peroid`"),
        "{}",
        stderr(&bad)
    );
    assert!(stderr(&bad).contains("detect.toml"), "{}", stderr(&bad));
    std::fs::write(
        data.join("detect.toml"),
        "[correlation]\nincident_window = \"6 hours\"\n",
    )
    .unwrap();
    let bad = vigil(&data, &["ingest", "cloudtrail", input, "--reread"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("correlation.incident_window"),
        "{}",
        stderr(&bad)
    );

    let nope = dir.path().join("nope.toml");
    let missing = vigil(
        &data,
        &[
            "--detect-config",
            nope.to_str().unwrap(),
            "ingest",
            "cloudtrail",
            input,
        ],
    );
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("nope.toml"));
}

//! End-to-end tests of the `vigil` binary: the demo story, idempotent ingest, the bad-input
//! corpus, exit codes, and the JSON contract. Each test uses its own data directory.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers: a panic is a failed assertion

mod common;

use common::{ok_json as stdout_json, vigil};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn event_count(data_dir: &Path) -> u64 {
    let status = stdout_json(&vigil(data_dir, &["status", "--format", "json"]));
    status["events"]["total"]
        .as_u64()
        .expect("status has events.total")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigil-ingest/tests/fixtures")
}

#[test]
fn demo_story_ingests_and_reingest_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let input = dir.path().join("input");
    let demo = vigil(
        &data,
        &["demo", "--out", input.to_str().unwrap(), "--format", "json"],
    );
    let summary = stdout_json(&demo);
    let stored = event_count(&data);
    assert!(stored > 1000, "the demo stores its story: {stored} events");
    assert_eq!(
        summary["cloudtrail"]["events_new"].as_u64().unwrap()
            + summary["host"]["events_new"].as_u64().unwrap(),
        stored
    );
    assert_eq!(
        summary["cloudtrail"]["skipped_total"].as_u64(),
        Some(0),
        "the demo writes no bad records"
    );
    assert!(
        summary["cloudtrail"]["files_ignored"].as_u64().unwrap() > 0,
        "digest files are ignored"
    );

    // The same tree again, forced to re-read every file: nothing new.
    let again = stdout_json(&vigil(
        &data,
        &[
            "ingest",
            "cloudtrail",
            input.join("cloudtrail").to_str().unwrap(),
            "--reread",
            "--format",
            "json",
        ],
    ));
    assert_eq!(again["events_new"].as_u64(), Some(0));
    assert!(again["duplicates"].as_u64().unwrap() > 1000);
    let again_host = stdout_json(&vigil(
        &data,
        &[
            "ingest",
            "host",
            input.join("agent").to_str().unwrap(),
            "--reread",
            "--format",
            "json",
        ],
    ));
    assert_eq!(again_host["events_new"].as_u64(), Some(0));
    // And without --reread, unchanged files are not even opened.
    let cached = stdout_json(&vigil(
        &data,
        &[
            "ingest",
            "cloudtrail",
            input.join("cloudtrail").to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(cached["events_new"].as_u64(), Some(0));
    assert!(cached["files_unchanged"].as_u64().unwrap() > 0);
    assert_eq!(event_count(&data), stored);

    // The investigation query: every event of the stolen key, and the attacker's IP among them.
    let key = summary["story"]["contractor_access_key_id"]
        .as_str()
        .expect("manifest names the key")
        .to_string();
    let attacker = summary["story"]["attacker_ip"]
        .as_str()
        .expect("manifest names the attacker ip")
        .to_string();
    let events = stdout_json(&vigil(
        &data,
        &["events", "--entity", &key, "--format", "json"],
    ));
    let events = events.as_array().expect("events is a list");
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| e["cloud"]["access_key_id"] == key.as_str())
    );
    assert!(
        events
            .iter()
            .any(|e| e["cloud"]["source_ip"] == attacker.as_str())
    );
    let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "events come back in time order");

    // Both composites of the story: the host and the key.
    let host = summary["story"]["compromised_instance_id"]
        .as_str()
        .unwrap();
    let alerts = stdout_json(&vigil(&data, &["alerts", "--format", "json"]));
    let alerts = alerts.as_array().expect("alerts is a list");
    let of_type = |t: &str| alerts.iter().filter(|a| a["type"] == t).collect::<Vec<_>>();
    let hosts = of_type("compromised_host");
    assert_eq!(hosts.len(), 1, "one compromised_host composite");
    assert!(
        hosts[0]["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == host)
    );
    let keys = of_type("compromised_aws_keys");
    assert_eq!(keys.len(), 1, "one compromised_aws_keys composite");
    // The key was read on the host: the two composites name each other.
    assert_eq!(hosts[0]["related"][0]["id"], keys[0]["id"]);
    assert_eq!(keys[0]["related"][0]["id"], hosts[0]["id"]);
    assert!(
        keys[0]["related"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("/opt/app/config/settings.py")
    );

    // The same link outside the demo: a fresh store, the demo's files ingested as a user would,
    // then the host's filesystem scanned and named with `--host`.
    let fresh = dir.path().join("fresh");
    for (kind, sub) in [("cloudtrail", "cloudtrail"), ("host", "agent")] {
        let out = vigil(&fresh, &["ingest", kind, input.join(sub).to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let unlinked = stdout_json(&vigil(&fresh, &["alerts", "--format", "json"]));
    assert!(
        unlinked
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.get("related").is_none()),
        "no link before the scan"
    );
    let scan = vigil(
        &fresh,
        &[
            "scan",
            "fs",
            input.join("rootfs").to_str().unwrap(),
            "--host",
            host,
            "--format",
            "json",
        ],
    );
    assert!(
        String::from_utf8_lossy(&scan.stderr).contains("linked 2 alert(s)"),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let linked = stdout_json(&vigil(&fresh, &["alerts", "--format", "json"]));
    let linked = linked.as_array().unwrap();
    let key_alert = linked
        .iter()
        .find(|a| a["type"] == "compromised_aws_keys")
        .unwrap();
    let host_alert = linked
        .iter()
        .find(|a| a["type"] == "compromised_host")
        .unwrap();
    assert_eq!(key_alert["related"][0]["id"], host_alert["id"]);
    assert_eq!(host_alert["related"][0]["id"], key_alert["id"]);
    assert!(
        keys[0]["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == key.as_str())
    );

    // The posture half of the story, from the same run.
    let posture = &summary["posture"];
    let role = summary["story"]["privileged_role_arn"].as_str().unwrap();
    let secrets = posture["scan"]["secrets"].as_array().unwrap();
    let hard_coded = secrets
        .iter()
        .find(|s| s["aws_access_key_id"] == key.as_str())
        .expect("the scan finds the contractor's hard-coded key");
    assert!(
        hard_coded["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("xxh3:")
    );
    assert!(
        hard_coded["preview"].as_str().unwrap().ends_with("****"),
        "the secret is shown redacted"
    );
    assert!(posture["scan"]["vulnerabilities"].as_u64().unwrap() > 0);
    // The upgrades to make first, as the table lists them: the worst advisory of each, worst
    // severity first and the host's own packages (regreSSHion, Looney Tunables, the runc
    // container escape) ahead of application dependencies of equal severity.
    let first: Vec<(&str, &str)> = posture["scan"]["first_upgrades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["advisories"][0].as_str().unwrap(),
                u["packages"][0].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        first,
        [
            ("GHSA-xvch-5gv4-984h", "minimist"),
            ("USN-6859-1", "openssh-client"),
            ("USN-6409-1", "libc-bin"),
            ("USN-6619-1", "runc"),
            ("PYSEC-2023-192", "urllib3"),
        ]
    );
    let glibc = &posture["scan"]["first_upgrades"][2];
    assert_eq!(glibc["packages"], json!(["libc-bin", "libc6"]));
    assert_eq!(glibc["aliases"], json!(["CVE-2023-4911"]));
    assert_eq!(glibc["fixed_version"], "2.35-0ubuntu3.4");
    assert_eq!(
        posture["scan"]["first_upgrades"][4]["fixed_version"], "1.26.18",
        "the version that clears all five urllib3 advisories"
    );
    let identities = posture["identities"].as_array().unwrap();
    let contractor = identities
        .iter()
        .find(|i| i["name"].as_str().unwrap().starts_with("contractor"))
        .expect("the contractor is among the identities shown");
    let categories: Vec<&str> = contractor["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert!(
        categories.contains(&"key_older_than_180_days"),
        "the key was not rotated in six months: {categories:?}"
    );
    assert!(
        identities
            .iter()
            .any(|i| i["arn"] == role && !i["remediations"].as_array().unwrap().is_empty()),
        "the privileged role comes with its remediation"
    );
    // The path the attacker walked is ranked first: internet → host → key → user → role → RDS.
    let top = &posture["paths"][0];
    let kinds: Vec<&str> = top["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "internet",
            "instance",
            "access_key",
            "user",
            "role",
            "data_store"
        ],
        "top path: {top}"
    );
    assert!(top["nodes"][2]["id"] == key.as_str());
    assert!(
        top["nodes"][5]["id"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:rds:")
    );
    assert!(
        !posture["fix_first"].as_array().unwrap().is_empty(),
        "a fix is proposed"
    );

    // The console's posture views read what the demo kept in the store: the identity and path
    // analyses (versioned) and the scan, none holding the planted secret.
    let settings =
        std::fs::read_to_string(input.join("rootfs/opt/app/config/settings.py")).unwrap();
    let secret = settings
        .lines()
        .find_map(|l| l.strip_prefix("AWS_SECRET_ACCESS_KEY = \""))
        .unwrap()
        .trim_end_matches('"');
    assert_eq!(secret.len(), 40, "the planted secret access key");
    let store = vigil_store::Store::open(&data).unwrap();
    for key in [vigil_server::IAM_KEY, vigil_server::PATHS_KEY] {
        let doc: Value = store
            .get_state(vigil_server::POSTURE_NAMESPACE, key)
            .unwrap()
            .unwrap_or_else(|| panic!("posture/{key} not stored"));
        assert_eq!(doc["version"], vigil_server::POSTURE_FORMAT_VERSION);
        assert_eq!(doc["source"], "vigil demo");
        assert!(
            !doc.to_string().contains(secret),
            "posture/{key} holds the secret"
        );
    }
    let paths: Value = store
        .get_state(vigil_server::POSTURE_NAMESPACE, vigil_server::PATHS_KEY)
        .unwrap()
        .unwrap();
    assert_eq!(paths["report"]["paths"][0]["id"], top["id"]);
    let scans = store.state_keys(vigil_server::SCAN_NAMESPACE).unwrap();
    assert_eq!(scans.len(), 1, "{scans:?}");
    let scan: Value = store
        .get_state(vigil_server::SCAN_NAMESPACE, &scans[0])
        .unwrap()
        .unwrap();
    assert!(
        !scan.to_string().contains(secret),
        "the scan holds the secret"
    );
}

#[test]
fn events_json_lists_every_stored_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = vigil(
        dir.path(),
        &[
            "ingest",
            "cloudtrail",
            fixtures().join("good").to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let summary = stdout_json(&out);
    let all = stdout_json(&vigil(dir.path(), &["events", "--format", "json"]));
    assert_eq!(
        all.as_array().unwrap().len() as u64,
        event_count(dir.path())
    );
    assert_eq!(
        summary["events_new"].as_u64(),
        Some(event_count(dir.path()))
    );
}

#[test]
fn bad_input_is_reported_and_skipped_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let bad = fixtures().join("bad");
    assert!(
        bad.is_dir(),
        "missing bad-input corpus at {}",
        bad.display()
    );
    let out = vigil(
        dir.path(),
        &[
            "ingest",
            "cloudtrail",
            bad.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let summary = stdout_json(&out);
    assert!(summary["skipped_total"].as_u64().unwrap() >= 5, "{summary}");
    assert!(
        summary["events_new"].as_u64().unwrap() > 0,
        "valid records around bad ones are kept: {summary}"
    );
    let reasons = summary["skipped"].as_object().expect("skips by reason");
    for reason in ["invalid_json", "empty_file"] {
        assert!(
            reasons.contains_key(reason),
            "expected a `{reason}` skip in {summary}"
        );
    }
    // The table summary says the same for people, on stdout.
    let table = vigil(
        dir.path(),
        &["ingest", "cloudtrail", bad.to_str().unwrap(), "--reread"],
    );
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("skipped"), "{text}");
}

#[test]
fn exit_codes_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let missing = vigil(
        dir.path(),
        &["ingest", "cloudtrail", "/definitely/not/here.json"],
    );
    assert_eq!(
        missing.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    let usage = vigil(dir.path(), &["ingest", "cloudtrail"]);
    assert_eq!(usage.status.code(), Some(2));
    let bad_time = vigil(dir.path(), &["events", "--since", "last tuesday"]);
    assert_eq!(bad_time.status.code(), Some(2));
    let none = vigil(
        dir.path(),
        &["alerts", "--fail-on", "low", "--format", "json"],
    );
    assert_eq!(none.status.code(), Some(0));
    assert_eq!(stdout_json(&none), json!([]));
}

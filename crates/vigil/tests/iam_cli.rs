#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `vigil iam`: explain on three tricky cases (with the deciding statements), who-can, and
//! analyze on the demo (the contractor's key, the over-privileged role, its remediation).

mod common;

use common::vigil;
use serde_json::Value;
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigil-iam/tests/fixtures/tricky-authz.json")
}

fn explain_json(args: &[&str]) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let authz = fixture();
    let mut all = vec![
        "iam",
        "explain",
        "--authz",
        authz.to_str().unwrap(),
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    let out = vigil(tmp.path(), &all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn explain_explicit_deny_in_another_policy() {
    let d = explain_json(&["alice", "s3:DeleteBucket", "arn:aws:s3:::prod-data"]);
    assert_eq!(d["outcome"], "explicit_deny");
    assert_eq!(d["statements"][0]["sid"], "NoProdBucketDeletes");
    assert_eq!(d["statements"][0]["policy"], "DenyProdDeletes");
}

#[test]
fn explain_not_action() {
    let d = explain_json(&["bob", "ec2:RunInstances", "*"]);
    assert_eq!(d["outcome"], "allowed");
    assert_eq!(d["statements"][0]["sid"], "AllButIdentity");
    let d = explain_json(&["bob", "iam:CreateUser", "*"]);
    assert_eq!(d["outcome"], "implicit_deny");
}

#[test]
fn explain_in_a_session_limited_by_a_session_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("session.json");
    std::fs::write(
        &session,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}}"#,
    )
    .unwrap();
    let s = session.to_str().unwrap();
    // Allowed by bob's NotAction policy, but not by the session policy.
    let d = explain_json(&["bob", "ec2:RunInstances", "*", "--session-policy", s]);
    assert_eq!(d["outcome"], "implicit_deny");
    assert!(
        d["reason"].as_str().unwrap().contains("session policy"),
        "{d}"
    );
    let d = explain_json(&["bob", "ec2:DescribeInstances", "*", "--session-policy", s]);
    assert_eq!(d["outcome"], "allowed");
    // A session policy that is not JSON is refused, naming the file.
    std::fs::write(&session, "not json").unwrap();
    let out = vigil(
        tmp.path(),
        &[
            "iam",
            "explain",
            "--authz",
            fixture().to_str().unwrap(),
            "bob",
            "ec2:RunInstances",
            "*",
            "--session-policy",
            s,
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not JSON"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn explain_undecidable_condition_in_table_form() {
    let tmp = tempfile::tempdir().unwrap();
    let authz = fixture();
    let out = vigil(
        tmp.path(),
        &[
            "iam",
            "explain",
            "--authz",
            authz.to_str().unwrap(),
            "carol",
            "s3:GetObject",
            "arn:aws:s3:::reports/q3.pdf",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ConditionallyAllowed"), "{text}");
    assert!(
        text.contains("aws:SourceIp") && text.contains("ReadFromOfficeWithMfa"),
        "{text}"
    );
    // The malformed policy of the same file is reported on stderr, not fatal.
    assert!(String::from_utf8_lossy(&out.stderr).contains("StringEqualz"));
    let d = explain_json(&[
        "carol",
        "s3:GetObject",
        "arn:aws:s3:::reports/q3.pdf",
        "--context",
        "aws:SourceIp=198.51.100.1",
        "--context",
        "aws:MultiFactorAuthPresent=true",
    ]);
    assert_eq!(d["outcome"], "implicit_deny");
}

#[test]
fn who_can_and_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let authz = fixture();
    let out = vigil(
        tmp.path(),
        &[
            "iam",
            "who-can",
            "--authz",
            authz.to_str().unwrap(),
            "--format",
            "json",
            "s3:DeleteBucket",
            "arn:aws:s3:::prod-data",
        ],
    );
    assert!(out.status.success());
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arns: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["arn"].as_str().unwrap())
        .collect();
    assert!(
        arns.contains(&"arn:aws:iam::111122223333:user/bob"),
        "{arns:?}"
    );
    assert!(
        !arns.contains(&"arn:aws:iam::111122223333:user/alice"),
        "{arns:?}"
    );
    let out = vigil(
        tmp.path(),
        &[
            "iam",
            "explain",
            "--authz",
            authz.to_str().unwrap(),
            "nobody",
            "s3:GetObject",
            "*",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = vigil(
        tmp.path(),
        &["iam", "analyze", "--authz", "/nonexistent/authz.json"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn analyze_the_demo() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = vigil(&data, &["demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vigil(&data, &["iam", "analyze", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = r["identities"].as_array().unwrap();
    let find = |name: &str| ids.iter().find(|i| i["name"] == name).unwrap();
    let contractor = find("contractor-dmitri");
    assert!(
        contractor["risks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["category"] == "key_older_than_180_days")
    );
    let role = find("InterlaceOpsAdmin");
    assert_eq!(role["type"], "role");
    let lp = role["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "least_privilege_policy")
        .unwrap();
    assert_eq!(
        lp["replay"]["predicted_denials"].as_array().unwrap().len(),
        0
    );
    assert!(lp["risk_reduction"].as_u64().unwrap() > 0);
    // The attacker's calls (tied to the open alerts) are left out of the policy: the role
    // never shares snapshots itself, so the policy must not allow it; counting those calls as
    // use would.
    let actions = |lp: &Value| -> Vec<String> {
        lp["policy"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap().clone())
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    let share = "rds:ModifyDBClusterSnapshotAttribute".to_string();
    assert!(r["window"]["excluded_calls"].as_u64().unwrap() > 0);
    assert!(lp["replay"]["excluded_calls_denied"].as_u64().unwrap() > 0);
    assert!(!actions(lp).contains(&share), "{}", lp["policy"]);
    let out = vigil(
        &data,
        &["iam", "analyze", "--keep-alerted-calls", "--format", "json"],
    );
    let kept: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kept_lp = kept["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "InterlaceOpsAdmin")
        .and_then(|i| {
            i["remediations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["kind"] == "least_privilege_policy")
        })
        .unwrap()
        .clone();
    assert!(actions(&kept_lp).contains(&share), "{}", kept_lp["policy"]);
    // Linked identities come grouped, each group naming a list of the report's `link_sets`:
    // the contractor can become the role.
    let sets = r["link_sets"].as_array().unwrap();
    let set_of = |g: &Value| {
        sets[g["set"].as_u64().unwrap() as usize]
            .as_array()
            .unwrap()
    };
    let assume = contractor["linked"]["can_become"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["method"] == "sts-001")
        .unwrap();
    assert_eq!(assume["count"].as_u64(), Some(set_of(assume).len() as u64));
    assert!(set_of(assume).iter().any(|a| *a == role["arn"]), "{assume}");
    // A selection keeps only the lists its identities name.
    let out = vigil(
        &data,
        &[
            "iam",
            "analyze",
            "--identity",
            "contractor-dmitri",
            "--format",
            "json",
        ],
    );
    let one: Value = serde_json::from_slice(&out.stdout).unwrap();
    let only = &one["identities"][0];
    assert_eq!(only["name"], "contractor-dmitri");
    let groups: Vec<&Value> = ["can_become", "can_be_become_by"]
        .iter()
        .flat_map(|k| only["linked"][*k].as_array().unwrap())
        .collect();
    let one_sets = one["link_sets"].as_array().unwrap();
    assert!(one_sets.len() <= groups.len() && one_sets.len() < sets.len());
    for g in groups {
        assert_eq!(
            one_sets[g["set"].as_u64().unwrap() as usize]
                .as_array()
                .unwrap()
                .len() as u64,
            g["count"].as_u64().unwrap()
        );
    }
    // And the people view.
    let out = vigil(&data, &["iam", "analyze"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("InterlaceOpsAdmin") && text.contains("contractor-dmitri"),
        "{text}"
    );
}

#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The Interlace Labs story's identity findings: the contractor's key was never rotated in six
//! months and he can assume the over-privileged InterlaceOpsAdmin role, which used a sliver of
//! what it holds; the remediations say what to change and what it buys.

use std::path::PathBuf;
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;
use vigil_iam::credential_report;
use vigil_iam::remediation::RemediationKind;
use vigil_iam::risk::Category;
use vigil_iam::usage::ApiCall;
use vigil_ingest::{Limits, discover, read_cloudtrail_file};

fn demo_calls(dir: &std::path::Path) -> Vec<ApiCall> {
    let found = discover(&[dir.join("cloudtrail")]);
    let limits = Limits::default();
    let mut calls = Vec::new();
    for f in &found.files {
        for e in read_cloudtrail_file(f, &limits).events {
            if let Some(c) = e.cloud() {
                calls.extend(ApiCall::from_cloud_event(&e.id, e.time, c));
            }
        }
    }
    calls
}

#[test]
fn demo_shows_the_contractor_key_and_the_over_privileged_role() {
    let tmp = tempfile::tempdir().unwrap();
    let out: PathBuf = tmp.path().join("demo");
    vigil_demo::generate(&out, &vigil_demo::DemoConfig::default()).unwrap();
    let inv = out.join("inventory");
    let acct = Account::from_authorization_details(
        &std::fs::read(inv.join("iam-authorization-details.json")).unwrap(),
    )
    .unwrap();
    let creds =
        credential_report::parse(&std::fs::read(inv.join("credential-report.csv")).unwrap())
            .unwrap();
    let calls = demo_calls(&out);
    assert!(calls.len() > 1000, "{}", calls.len());
    let a = Analysis::run(&acct, Some(&creds), &calls, &Options::default());
    let report = &a.report;

    let contractor = report
        .identities
        .iter()
        .find(|i| i.name == "contractor-dmitri")
        .unwrap();
    let key = contractor
        .risks
        .iter()
        .find(|r| r.category == Category::KeyOlderThan180Days)
        .expect("the contractor's key is older than 180 days");
    eprintln!(
        "contractor: score {} — {}",
        contractor.risk_score, key.detail
    );
    assert!(
        contractor
            .risks
            .iter()
            .any(|r| r.category == Category::LinkedPrivilegedIdentity
                && r.detail.contains("InterlaceOpsAdmin"))
    );
    assert!(
        contractor
            .remediations
            .iter()
            .any(|r| r.kind == RemediationKind::RotateKey)
    );
    let revoke = contractor
        .remediations
        .iter()
        .find(|r| r.kind == RemediationKind::RemoveAssumePermission)
        .expect("revoke the contractor's ability to assume the role");
    assert!(
        revoke
            .statements
            .iter()
            .any(|s| s.sid == "DebugDatabaseAsOps")
    );
    assert!(revoke.risk_reduction > 0);

    let role = report
        .identities
        .iter()
        .find(|i| i.name == "InterlaceOpsAdmin")
        .unwrap();
    let unused = role.permissions.unused_share.unwrap();
    eprintln!(
        "InterlaceOpsAdmin: score {}, granted {}, used {:?}, unused share {unused}",
        role.risk_score, role.permissions.granted, role.permissions.used
    );
    assert!(unused > 0.9, "{unused}");
    assert!(
        role.risks
            .iter()
            .any(|r| r.category == Category::UnusedPermissions)
    );
    let lp = role
        .remediations
        .iter()
        .find(|r| r.kind == RemediationKind::LeastPrivilegePolicy)
        .expect("a least-privilege policy for the role");
    let replay = lp.replay.as_ref().unwrap();
    assert!(replay.calls > 0);
    assert!(
        replay.predicted_denials.is_empty(),
        "{:?}",
        replay.predicted_denials
    );
    assert!(lp.risk_reduction > 0);
    eprintln!(
        "least privilege: {} (reduction {})",
        lp.detail, lp.risk_reduction
    );
    let narrow = role
        .remediations
        .iter()
        .find(|r| r.kind == RemediationKind::NarrowTrustPolicy)
        .expect("narrow the role's trust");
    assert!(
        narrow
            .benefits
            .iter()
            .any(|b| b.ends_with("user/contractor-dmitri"))
    );
    // The JSON contract.
    let json = serde_json::to_value(report).unwrap();
    let first = &json["identities"][0];
    for k in [
        "arn",
        "name",
        "type",
        "risk_score",
        "risks",
        "escalation",
        "remediations",
    ] {
        assert!(first.get(k).is_some(), "missing {k}");
    }
}

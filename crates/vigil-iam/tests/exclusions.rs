#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The least-privilege policy built from usage must not grant what an attacker did with the
//! identity: calls tied to open alerts stay out of "used" and out of the policy, and the
//! replay says how many of them the policy would deny.

use serde_json::json;
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;
use vigil_iam::exclusion::CallExclusions;
use vigil_iam::remediation::RemediationKind;
use vigil_iam::report::IdentityReport;
use vigil_iam::risk::Category;
use vigil_iam::usage::ApiCall;
use vigil_model::Timestamp;

const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const DAY: i64 = 86_400_000;

fn account() -> Account {
    let doc = json!({
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{
            "Path": "/", "RoleName": "app", "RoleId": "AROAAPP", "Arn": ROLE,
            "CreateDate": "2024-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [
                { "Effect": "Allow", "Principal": { "Service": "ec2.amazonaws.com" },
                  "Action": "sts:AssumeRole" }]},
            "InstanceProfileList": [], "AttachedManagedPolicies": [], "Tags": [],
            "RolePolicyList": [{ "PolicyName": "broad", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [
                    { "Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*" }]}}],
            "RoleLastUsed": {}
        }]
    });
    Account::from_authorization_details(&serde_json::to_vec(&doc).unwrap()).unwrap()
}

fn call(id: &str, day: i64, source: &str, name: &str, key: &str) -> ApiCall {
    ApiCall {
        time: Timestamp::from_millis(1_750_000_000_000 + day * DAY),
        principal_arn: ROLE.to_string(),
        event_source: source.to_string(),
        event_name: name.to_string(),
        succeeded: true,
        event_id: id.to_string(),
        resources: Vec::new(),
        access_key_id: Some(key.to_string()),
    }
}

/// The workload reads objects for weeks; on day 40 an attacker with a stolen session key
/// creates a user and gives it admin.
fn calls() -> Vec<ApiCall> {
    let mut v: Vec<ApiCall> = (0..30)
        .map(|d| {
            call(
                &format!("own-{d}"),
                d,
                "s3.amazonaws.com",
                "GetObject",
                "ASIAWORKLOAD00001",
            )
        })
        .collect();
    v.push(call(
        "evil-1",
        40,
        "iam.amazonaws.com",
        "CreateUser",
        "ASIASTOLEN0000001",
    ));
    v.push(call(
        "evil-2",
        40,
        "iam.amazonaws.com",
        "AttachUserPolicy",
        "ASIASTOLEN0000001",
    ));
    // Later the attacker lists buckets, with the same key, after the alert's evidence ends.
    v.push(call(
        "evil-3",
        41,
        "s3.amazonaws.com",
        "ListBuckets",
        "ASIASTOLEN0000001",
    ));
    v
}

fn app(report: &vigil_iam::report::Report) -> &IdentityReport {
    report.identities.iter().find(|i| i.arn == ROLE).unwrap()
}

fn policy_actions(i: &IdentityReport) -> Vec<String> {
    let r = i
        .remediations
        .iter()
        .find(|r| r.kind == RemediationKind::LeastPrivilegePolicy)
        .expect("a least-privilege remediation");
    let mut out = Vec::new();
    for st in r.policy.as_ref().unwrap()["Statement"].as_array().unwrap() {
        for a in st["Action"].as_array().unwrap() {
            out.push(a.as_str().unwrap().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn without_exclusions_the_attackers_calls_shape_the_policy() {
    let acct = account();
    let calls = calls();
    let a = Analysis::run(&acct, None, &calls, &Options::default());
    let actions = policy_actions(app(&a.report));
    assert!(
        actions.contains(&"iam:CreateUser".to_string()),
        "{actions:?}"
    );
    assert!(actions.contains(&"iam:AttachUserPolicy".to_string()));
    assert_eq!(a.report.window.excluded_calls, 0);
}

#[test]
fn calls_tied_to_open_alerts_stay_out_of_usage_and_the_policy() {
    let acct = account();
    let calls = calls();
    let mut x = CallExclusions::default();
    // Evidence names two events; the alert names the stolen key for its whole span.
    x.exclude_event("evil-1").exclude_event("evil-2");
    let t40 = calls[30].time;
    x.exclude_key("ASIASTOLEN0000001", t40, t40.plus_millis(2 * DAY));
    let a = Analysis::run_excluding(&acct, None, &calls, &Options::default(), &x);
    let id = app(&a.report);
    assert_eq!(policy_actions(id), vec!["s3:GetObject".to_string()]);
    assert_eq!(id.permissions.used, Some(1));
    assert_eq!(a.report.window.excluded_calls, 3);
    assert_eq!(a.report.window.calls, 33);
    let lp = id
        .remediations
        .iter()
        .find(|r| r.kind == RemediationKind::LeastPrivilegePolicy)
        .unwrap();
    let replay = lp.replay.as_ref().unwrap();
    // The workload's own calls still pass; every attacker call would now be denied.
    assert!(replay.predicted_denials.is_empty());
    assert_eq!(replay.calls, 30);
    assert_eq!(replay.excluded_calls, 3);
    assert_eq!(replay.excluded_calls_denied, 3);
    assert!(
        lp.detail.contains("3 calls tied to open alerts"),
        "{}",
        lp.detail
    );
}

#[test]
fn an_attackers_use_still_counts_as_activity() {
    let acct = account();
    // Only attacker calls: nothing is "used", but the identity is not idle.
    let calls: Vec<ApiCall> = calls()
        .into_iter()
        .filter(|c| c.event_id.starts_with("evil"))
        .collect();
    let mut x = CallExclusions::default();
    for c in &calls {
        x.exclude_event(c.event_id.clone());
    }
    let with = Analysis::run_excluding(&acct, None, &calls, &Options::default(), &x);
    let id = app(&with.report);
    assert_eq!(id.permissions.used, Some(0));
    // Created long before the window, used by the attacker inside it: not an idle identity.
    assert!(
        !id.risks
            .iter()
            .any(|r| r.category == Category::IdentityUnused180Days),
        "{:?}",
        id.risks
    );
}

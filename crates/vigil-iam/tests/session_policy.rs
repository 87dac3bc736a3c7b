#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Session policies (AssumeRole's `Policy`, GetFederationToken's …) limit a session to what
//! they and the identity policies both allow. `explain` shows the session policy deciding;
//! `who-can` counts an escalation only when its first step is allowed in the session.

use serde_json::{Value, json};
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;
use vigil_iam::document::compile;
use vigil_iam::eval::Outcome;
use vigil_iam::policy::{Policy, PolicyKind};

const ACCT: &str = "111122223333";

fn user(name: &str, doc: Value) -> Value {
    json!({
        "Path": "/", "UserName": name, "UserId": format!("AIDA{}", name.to_uppercase()),
        "Arn": format!("arn:aws:iam::{ACCT}:user/{name}"),
        "CreateDate": "2024-01-01T00:00:00Z", "GroupList": [], "AttachedManagedPolicies": [],
        "UserPolicyList": [{ "PolicyName": "inline", "PolicyDocument": doc }], "Tags": []
    })
}

fn allow(actions: &[&str]) -> Value {
    json!({ "Version": "2012-10-17", "Statement": [
        { "Effect": "Allow", "Action": actions, "Resource": "*" }]})
}

fn account() -> Account {
    let doc = json!({
        "UserDetailList": [
            user("reader", allow(&["s3:GetObject", "s3:ListBucket"])),
            // Can make keys for the admin: escalation to another identity.
            user("keymaker", allow(&["iam:CreateAccessKey"])),
            // Can give itself anything: escalation that keeps the same session.
            user("selfadmin", allow(&["iam:PutUserPolicy"])),
            user("admin", allow(&["*"])),
        ],
        "GroupDetailList": [], "RoleDetailList": [], "Policies": []
    });
    Account::from_authorization_details(&serde_json::to_vec(&doc).unwrap()).unwrap()
}

fn session(actions: &[&str]) -> Vec<Policy> {
    let (p, problems) = compile("session:test", PolicyKind::Session, &allow(actions));
    assert!(problems.is_empty(), "{problems:?}");
    vec![p]
}

const OBJ: &str = "arn:aws:s3:::reports/q3.pdf";

#[test]
fn explain_shows_the_session_policy_deciding() {
    let acct = account();
    let a = Analysis::run(&acct, None, &[], &Options::default());
    let p = a.principal("reader").unwrap();
    let plain = a.explain(p, "s3:GetObject", OBJ, &[], false);
    assert_eq!(plain.outcome, Outcome::Allowed);
    let limited = a.explain_in_session(p, "s3:GetObject", OBJ, &[], false, &session(&["ec2:*"]));
    assert_eq!(limited.outcome, Outcome::ImplicitDeny);
    assert!(
        limited.reason.contains("session policy"),
        "{}",
        limited.reason
    );
    let ok = a.explain_in_session(p, "s3:GetObject", OBJ, &[], false, &session(&["s3:Get*"]));
    assert_eq!(ok.outcome, Outcome::Allowed);
    assert!(ok.statements.iter().any(|s| s.policy == "session:test"));
    // A session policy never adds to what the identity holds.
    let more = a.explain_in_session(p, "s3:DeleteObject", OBJ, &[], false, &session(&["s3:*"]));
    assert_eq!(more.outcome, Outcome::ImplicitDeny);
}

fn names(rows: &[vigil_iam::WhoCan]) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| r.arn.rsplit('/').next().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn who_can_counts_escalation_only_when_the_session_allows_its_first_step() {
    let acct = account();
    let a = Analysis::run(&acct, None, &[], &Options::default());
    let all = a.who_can("s3:DeleteObject", OBJ);
    assert_eq!(names(&all), ["admin", "keymaker", "selfadmin"]);
    // Only S3 in the session: nobody's first step is allowed; admin itself is limited to S3.
    let s3 = a.who_can_in_session("s3:DeleteObject", OBJ, &session(&["s3:*"]));
    assert_eq!(names(&s3), ["admin"]);
    // Keys for another user leave the session behind; a policy on oneself does not, and the
    // session still does not allow S3 deletes.
    let iam = a.who_can_in_session(
        "s3:DeleteObject",
        OBJ,
        &session(&["iam:CreateAccessKey", "iam:PutUserPolicy"]),
    );
    assert_eq!(names(&iam), ["keymaker"]);
    // With S3 deletes in the session too, rewriting one's own policy is enough.
    let both = a.who_can_in_session(
        "s3:DeleteObject",
        OBJ,
        &session(&[
            "iam:CreateAccessKey",
            "iam:PutUserPolicy",
            "s3:DeleteObject",
        ]),
    );
    assert_eq!(names(&both), ["admin", "keymaker", "selfadmin"]);
}

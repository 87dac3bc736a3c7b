#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Three tricky decisions, with the statements that decide them: an explicit deny in another
//! policy (URL-encoded, as the IAM API returns it), a NotAction allow, and a condition the
//! inventory cannot settle. Plus: malformed policies are reported with principal and policy.

use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;
use vigil_iam::eval::Outcome;

fn analysis(acct: &Account) -> Analysis<'_> {
    Analysis::run(acct, None, &[], &Options::default())
}

fn account() -> Account {
    Account::from_authorization_details(include_bytes!("fixtures/tricky-authz.json")).unwrap()
}

#[test]
fn explicit_deny_in_another_policy_wins() {
    let acct = account();
    let a = analysis(&acct);
    let p = a.principal("alice").unwrap();
    let d = a.explain(p, "s3:DeleteBucket", "arn:aws:s3:::prod-data", &[], false);
    assert_eq!(d.outcome, Outcome::ExplicitDeny);
    assert_eq!(d.statements.len(), 1);
    assert_eq!(d.statements[0].sid, "NoProdBucketDeletes");
    assert_eq!(d.statements[0].policy, "DenyProdDeletes");
    // The same action elsewhere is allowed by the other policy.
    let ok = a.explain(p, "s3:DeleteBucket", "arn:aws:s3:::dev-data", &[], false);
    assert_eq!(ok.outcome, Outcome::Allowed);
    assert_eq!(ok.statements[0].sid, "AllS3");
}

#[test]
fn not_action_allows_everything_but_what_it_lists() {
    let acct = account();
    let a = analysis(&acct);
    let p = a.principal("user/bob").unwrap();
    let d = a.explain(
        p,
        "iam:CreateUser",
        "arn:aws:iam::111122223333:user/mallory",
        &[],
        false,
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    let ok = a.explain(p, "ec2:RunInstances", "*", &[], false);
    assert_eq!(ok.outcome, Outcome::Allowed);
    assert_eq!(ok.statements[0].sid, "AllButIdentity");
    assert!(ok.statements[0].statement.contains("NotAction"));
}

#[test]
fn undecidable_condition_gives_allowed_if() {
    let acct = account();
    let a = analysis(&acct);
    let p = a.principal("carol").unwrap();
    let d = a.explain(p, "s3:GetObject", "arn:aws:s3:::reports/q3.pdf", &[], false);
    assert_eq!(d.outcome, Outcome::ConditionallyAllowed);
    let conds = d.conditions.join(" ");
    assert!(conds.contains("aws:SourceIp"), "{conds}");
    assert!(conds.contains("aws:MultiFactorAuthPresent"), "{conds}");
    assert_eq!(d.statements[0].sid, "ReadFromOfficeWithMfa");
    // Known context settles it either way.
    let ctx = |ip: &str| {
        vec![
            ("aws:SourceIp".to_string(), ip.to_string()),
            ("aws:MultiFactorAuthPresent".to_string(), "true".to_string()),
        ]
    };
    assert_eq!(
        a.explain(
            p,
            "s3:GetObject",
            "arn:aws:s3:::reports/q3.pdf",
            &ctx("203.0.113.7"),
            false
        )
        .outcome,
        Outcome::Allowed
    );
    assert_eq!(
        a.explain(
            p,
            "s3:GetObject",
            "arn:aws:s3:::reports/q3.pdf",
            &ctx("198.51.100.7"),
            false
        )
        .outcome,
        Outcome::ImplicitDeny
    );
    // A complete context without the keys: the conditions are false.
    assert_eq!(
        a.explain(p, "s3:GetObject", "arn:aws:s3:::reports/q3.pdf", &[], true)
            .outcome,
        Outcome::ImplicitDeny
    );
    // An unknown operator is undecidable, never a guess.
    assert_eq!(
        a.explain(
            p,
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111122223333:q",
            &[],
            true
        )
        .outcome,
        Outcome::ConditionallyAllowed
    );
}

#[test]
fn malformed_policies_are_reported_with_principal_and_policy() {
    let acct = account();
    let typo = acct
        .problems
        .iter()
        .find(|p| p.policy == "Broken" && p.message.contains("StringEqualz"))
        .expect("unknown operator reported");
    assert_eq!(typo.attached_to, ["arn:aws:iam::111122223333:user/carol"]);
    assert!(
        acct.problems
            .iter()
            .any(|p| p.policy == "Broken" && p.message.contains("`topic/x` is not an ARN"))
    );
    // Inline-policy problems name the principal.
    let mut doc: serde_json::Value =
        serde_json::from_slice(include_bytes!("fixtures/tricky-authz.json")).unwrap();
    doc["UserDetailList"][1]["UserPolicyList"][0]["PolicyDocument"] =
        serde_json::Value::String("%7Bnot json".into());
    let acct = Account::from_authorization_details(&serde_json::to_vec(&doc).unwrap()).unwrap();
    let p = acct
        .problems
        .iter()
        .find(|p| p.policy == "inline:everything-but-iam")
        .unwrap();
    assert_eq!(
        p.principal.as_deref(),
        Some("arn:aws:iam::111122223333:user/bob")
    );
    // The rest of the account is still analysed.
    let a = analysis(&acct);
    assert_eq!(
        a.report.identities.len(),
        3,
        "{:?}",
        a.report
            .identities
            .iter()
            .map(|i| &i.name)
            .collect::<Vec<_>>()
    );
}

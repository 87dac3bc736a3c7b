#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Role assumption in one account, as AWS decides it. A trust policy that names a principal's
//! own ARN is a resource-based policy granting it directly: no identity policy is needed (STS
//! API Reference, AssumeRole). A trust policy that names only the account delegates to the
//! identity side, which must then allow sts:AssumeRole. A permissions boundary still has to
//! allow sts:AssumeRole even when the trust policy names the user (IAM User Guide, "Update a
//! role trust policy").

use serde_json::json;
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;
use vigil_iam::eval::Outcome;

const ACCT: &str = "111122223333";

fn user(name: &str, boundary: Option<&str>) -> serde_json::Value {
    let mut u = json!({
        "Path": "/", "UserName": name, "UserId": format!("AIDA{}", name.to_uppercase()),
        "Arn": format!("arn:aws:iam::{ACCT}:user/{name}"),
        "CreateDate": "2024-01-01T00:00:00Z",
        "GroupList": [], "AttachedManagedPolicies": [], "UserPolicyList": [], "Tags": []
    });
    if let Some(b) = boundary {
        u["PermissionsBoundary"] = json!({
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": format!("arn:aws:iam::{ACCT}:policy/{b}")
        });
    }
    u
}

fn role(name: &str, trusted: &str, admin: bool) -> serde_json::Value {
    let attached = if admin {
        json!([{ "PolicyName": "AdministratorAccess",
                 "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess" }])
    } else {
        json!([])
    };
    json!({
        "Path": "/", "RoleName": name, "RoleId": format!("AROA{}", name.to_uppercase()),
        "Arn": format!("arn:aws:iam::{ACCT}:role/{name}"),
        "CreateDate": "2024-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [
            { "Effect": "Allow", "Principal": { "AWS": trusted }, "Action": "sts:AssumeRole" }
        ]},
        "InstanceProfileList": [], "RolePolicyList": [], "AttachedManagedPolicies": attached,
        "Tags": [], "RoleLastUsed": {}
    })
}

fn managed(name: &str, arn: &str, doc: serde_json::Value) -> serde_json::Value {
    json!({
        "PolicyName": name, "PolicyId": format!("ANPA{}", name.len()), "Arn": arn,
        "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1,
        "IsAttachable": true, "CreateDate": "2024-01-01T00:00:00Z",
        "UpdateDate": "2024-01-01T00:00:00Z",
        "PolicyVersionList": [{ "Document": doc, "VersionId": "v1", "IsDefaultVersion": true,
                                "CreateDate": "2024-01-01T00:00:00Z" }]
    })
}

fn account() -> Account {
    let u = |n: &str| format!("arn:aws:iam::{ACCT}:user/{n}");
    let doc = json!({
        "UserDetailList": [
            user("dana", None),
            user("erin", None),
            user("frank", Some("OnlyS3")),
        ],
        "GroupDetailList": [],
        "RoleDetailList": [
            // Names dana's ARN: she needs nothing else.
            role("names-dana", &u("dana"), true),
            // Names the account: erin would need sts:AssumeRole in an identity policy.
            role("names-account", &format!("arn:aws:iam::{ACCT}:root"), true),
            // Names frank, but his boundary does not allow sts:AssumeRole.
            role("names-frank", &u("frank"), true),
            // A chain of roles with no policies of their own, the last one admin.
            role("chain-start", &u("dana"), false),
            role("chain-end", &format!("arn:aws:iam::{ACCT}:role/chain-start"), true),
        ],
        "Policies": [
            managed("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess",
                json!({ "Version": "2012-10-17", "Statement": [
                    { "Effect": "Allow", "Action": "*", "Resource": "*" }]})),
            managed("OnlyS3", &format!("arn:aws:iam::{ACCT}:policy/OnlyS3"),
                json!({ "Version": "2012-10-17", "Statement": [
                    { "Effect": "Allow", "Action": "s3:*", "Resource": "*" }]})),
        ]
    });
    Account::from_authorization_details(&serde_json::to_vec(&doc).unwrap()).unwrap()
}

fn role_arn(n: &str) -> String {
    format!("arn:aws:iam::{ACCT}:role/{n}")
}

#[test]
fn trust_naming_the_user_needs_no_identity_policy() {
    let acct = account();
    let a = Analysis::run(&acct, None, &[], &Options::default());
    let dana = a.principal("dana").unwrap();
    let d = a.explain(dana, "sts:AssumeRole", &role_arn("names-dana"), &[], false);
    assert_eq!(d.outcome, Outcome::Allowed, "{}", d.reason);
    assert!(d.statements.iter().any(|s| s.policy.starts_with("trust:")));
    // The same user through a trust policy naming only the account: no identity allow, denied.
    let d = a.explain(
        dana,
        "sts:AssumeRole",
        &role_arn("names-account"),
        &[],
        false,
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    let erin = a.principal("erin").unwrap();
    let d = a.explain(
        erin,
        "sts:AssumeRole",
        &role_arn("names-account"),
        &[],
        false,
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    // dana's path to admin is one assumption; erin has none.
    let path = a.graph.path_to_admin(dana).unwrap();
    assert_eq!(path.len(), 1);
    assert_eq!(path[0].method, "sts-001");
    assert!(a.graph.path_to_admin(erin).is_none());
}

#[test]
fn a_boundary_still_limits_assuming_a_role_that_names_the_user() {
    let acct = account();
    let a = Analysis::run(&acct, None, &[], &Options::default());
    let frank = a.principal("frank").unwrap();
    let d = a.explain(
        frank,
        "sts:AssumeRole",
        &role_arn("names-frank"),
        &[],
        false,
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny, "{}", d.reason);
    assert!(d.reason.contains("boundary"), "{}", d.reason);
    assert!(a.graph.path_to_admin(frank).is_none());
}

#[test]
fn a_role_named_by_the_next_roles_trust_can_chain_without_policies() {
    let acct = account();
    let a = Analysis::run(&acct, None, &[], &Options::default());
    let start = a.principal("chain-start").unwrap();
    let d = a.explain(start, "sts:AssumeRole", &role_arn("chain-end"), &[], false);
    assert_eq!(d.outcome, Outcome::Allowed, "{}", d.reason);
    assert_eq!(a.graph.path_to_admin(start).unwrap().len(), 1);
}

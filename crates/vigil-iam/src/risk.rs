//! Risk per identity: named categories, each with a severity and points; the score is their
//! sum capped at 100. Categories come from three places: what the identity can do (effective
//! permissions and escalation paths), how its credentials are kept (credential report,
//! hard-coded keys found by scans), and who can become it (trust policies).

use crate::catalog::{AccessLevel, Catalog};
use crate::effective::Effective;
use serde::Serialize;
use vigil_model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    FullAdmin,
    CanEscalateToAdmin,
    LinkedPrivilegedIdentity,
    IamWrite,
    PrivilegePassing,
    SecretsRead,
    StorageRead,
    StorageWrite,
    UnusedPermissions,
    #[serde(rename = "key_older_than_90_days")]
    KeyOlderThan90Days,
    #[serde(rename = "key_older_than_180_days")]
    KeyOlderThan180Days,
    #[serde(rename = "key_unused_180_days")]
    KeyUnused180Days,
    #[serde(rename = "identity_unused_180_days")]
    IdentityUnused180Days,
    RootAccessKeys,
    ConsoleWithoutMfa,
    HardcodedKeyExposed,
    WildcardTrust,
    CrossAccountTrust,
    DisabledIdentityWithPower,
}

impl Category {
    pub fn severity(self) -> Severity {
        use Category::*;
        match self {
            FullAdmin | CanEscalateToAdmin | RootAccessKeys | HardcodedKeyExposed
            | WildcardTrust => Severity::Critical,
            LinkedPrivilegedIdentity
            | IamWrite
            | PrivilegePassing
            | SecretsRead
            | KeyOlderThan180Days
            | ConsoleWithoutMfa => Severity::High,
            StorageRead
            | StorageWrite
            | UnusedPermissions
            | KeyOlderThan90Days
            | KeyUnused180Days
            | IdentityUnused180Days
            | CrossAccountTrust
            | DisabledIdentityWithPower => Severity::Medium,
        }
    }

    /// Points toward the 0–100 score.
    pub fn points(self) -> u32 {
        use Category::*;
        match self {
            FullAdmin => 40,
            RootAccessKeys => 40,
            CanEscalateToAdmin => 30,
            HardcodedKeyExposed => 30,
            WildcardTrust => 30,
            LinkedPrivilegedIdentity => 20,
            KeyOlderThan180Days => 20,
            IamWrite => 15,
            ConsoleWithoutMfa => 15,
            PrivilegePassing => 10,
            SecretsRead => 10,
            KeyOlderThan90Days => 10,
            KeyUnused180Days => 10,
            IdentityUnused180Days => 10,
            CrossAccountTrust => 10,
            DisabledIdentityWithPower => 10,
            UnusedPermissions => 10,
            StorageRead => 5,
            StorageWrite => 5,
        }
    }

    /// Categories about what an identity can do (as opposed to how it is kept).
    pub fn is_power(self) -> bool {
        use Category::*;
        matches!(
            self,
            FullAdmin
                | CanEscalateToAdmin
                | IamWrite
                | PrivilegePassing
                | SecretsRead
                | StorageRead
                | StorageWrite
        )
    }
}

/// One finding about an identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub category: Category,
    pub severity: Severity,
    pub detail: String,
}

impl Risk {
    pub fn new(category: Category, detail: impl Into<String>) -> Risk {
        Risk {
            category,
            severity: category.severity(),
            detail: detail.into(),
        }
    }
}

/// Score of a set of risks: the sum of points, capped at 100.
pub fn score(risks: &[Risk]) -> u32 {
    let mut cats: Vec<Category> = risks.iter().map(|r| r.category).collect();
    cats.sort();
    cats.dedup();
    cats.iter().map(|c| c.points()).sum::<u32>().min(100)
}

const SELF_SERVICE: &[&str] = &[
    "iam:changepassword",
    "iam:createvirtualmfadevice",
    "iam:enablemfadevice",
    "iam:resyncmfadevice",
    "iam:deactivatemfadevice",
    "iam:deletevirtualmfadevice",
    "iam:uploadsshpublickey",
    "iam:updatesshpublickey",
    "iam:deletesshpublickey",
];
const SECRETS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
];
const STORAGE_READ: &[&str] = &[
    "s3:GetObject",
    "dynamodb:Scan",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "rds:CreateDBSnapshot",
    "rds:CreateDBClusterSnapshot",
    "rds:ModifyDBSnapshotAttribute",
    "rds:ModifyDBClusterSnapshotAttribute",
    "ec2:CreateSnapshot",
    "ec2:ModifySnapshotAttribute",
];
const STORAGE_WRITE: &[&str] = &[
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteBucket",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:DeleteTable",
    "rds:DeleteDBCluster",
    "rds:DeleteDBInstance",
];

fn held<'a>(cat: &Catalog, eff: &Effective, list: &[&'a str]) -> (Vec<&'a str>, bool) {
    let got: Vec<&str> = list
        .iter()
        .copied()
        .filter(|a| eff.allows_somewhere(cat, a))
        .collect();
    let everywhere = got.iter().any(|a| eff.allows_everywhere(cat, a));
    (got, everywhere)
}

fn scope(everywhere: bool) -> &'static str {
    if everywhere {
        "on every resource"
    } else {
        "on some resources"
    }
}

/// The permission categories of one effective set (without escalation, which needs the graph).
pub fn permission_risks(cat: &Catalog, eff: &Effective, admin: bool) -> Vec<Risk> {
    let mut out = Vec::new();
    if admin {
        out.push(Risk::new(
            Category::FullAdmin,
            format!(
                "allowed {} of {} catalogue actions on every resource, all of IAM included",
                eff.on_all.count(),
                cat.len()
            ),
        ));
    }
    if let Some(iam) = cat.service_index("iam") {
        let writes: Vec<&str> = cat
            .service_actions(iam)
            .filter(|&i| eff.granted.contains(i))
            .filter_map(|i| cat.action(i))
            .filter(|a| {
                matches!(
                    a.level,
                    AccessLevel::Write | AccessLevel::PermissionsManagement
                ) && !SELF_SERVICE.contains(&a.lower.as_str())
            })
            .map(|a| a.name.as_str())
            .collect();
        if !writes.is_empty() && !admin {
            let sample: Vec<&str> = writes.iter().take(5).copied().collect();
            out.push(Risk::new(
                Category::IamWrite,
                format!(
                    "{} IAM write actions, e.g. {}",
                    writes.len(),
                    sample.join(", ")
                ),
            ));
        }
    }
    let (pass, everywhere) = held(cat, eff, &["iam:PassRole"]);
    if !pass.is_empty() && !admin {
        out.push(Risk::new(
            Category::PrivilegePassing,
            format!("iam:PassRole {}", scope(everywhere)),
        ));
    }
    for (category, list) in [
        (Category::SecretsRead, SECRETS),
        (Category::StorageRead, STORAGE_READ),
        (Category::StorageWrite, STORAGE_WRITE),
    ] {
        let (got, everywhere) = held(cat, eff, list);
        if !got.is_empty() && !admin {
            out.push(Risk::new(
                category,
                format!("{} {}", got.join(", "), scope(everywhere)),
            ));
        }
    }
    out
}

//! What the other engines tell the graph, as plain data: the identity engine (vigil-iam) says
//! who can become whom and who can touch which data; the scanner (vigil-scan) says what is on
//! each host. The graph trusts these facts and keeps their justifications as edge evidence.

use serde::{Deserialize, Serialize};
use vigil_model::{Alert, Severity};

/// Everything besides the inventory that the graph joins in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    pub identity: IdentityFacts,
    pub hosts: Vec<HostFindings>,
    /// Secrets known to be outside the estate (a public repository, a paste): entry points.
    pub leaked_secrets: Vec<LeakedSecret>,
    /// How much the data in a store matters, when the inventory's tags do not say.
    pub sensitivity: Vec<DataSensitivity>,
    /// Live alerts; a path through a node an alert names is being walked.
    pub alerts: Vec<Alert>,
}

/// From the identity engine: net-effective permissions turned into edges.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityFacts {
    pub access_keys: Vec<AccessKeyFact>,
    /// `principal` can call `sts:AssumeRole` on `role` and the role's trust policy lets it.
    pub can_assume: Vec<AssumeFact>,
    /// `principal` can make itself (or act as) `target` by a privilege-escalation method.
    pub can_escalate: Vec<EscalationFact>,
    pub data_access: Vec<DataAccessFact>,
    /// Principals whose effective permissions amount to full administrator.
    pub admins: Vec<AdminFact>,
}

/// An IAM access key and the user it authenticates as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessKeyFact {
    pub key_id: String,
    pub user_arn: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssumeFact {
    pub principal: String,
    pub role: String,
    /// Which statements allow it (identity policy and trust policy), in words.
    pub justification: String,
    /// Conditions that must hold (`aws:MultiFactorAuthPresent`, `sts:ExternalId`, …); each
    /// makes the step harder for an attacker.
    #[serde(default)]
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationFact {
    pub principal: String,
    pub target: String,
    /// The method's name (`iam:PassRole+ec2:RunInstances`, `iam:CreateAccessKey`, …).
    pub method: String,
    pub justification: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataAccess {
    Read,
    Write,
    /// Copy the whole store out: RDS snapshots, sharing them, exporting.
    Snapshot,
}

impl DataAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            DataAccess::Read => "read",
            DataAccess::Write => "write",
            DataAccess::Snapshot => "snapshot",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataAccessFact {
    pub principal: String,
    /// The data store's ARN (an RDS cluster, instance or snapshot; `arn:aws:s3:::NAME` or the
    /// bucket name).
    pub resource: String,
    pub access: DataAccess,
    pub justification: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminFact {
    pub principal: String,
    pub justification: String,
}

/// From the scanner: what one host (by EC2 instance id) runs and holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostFindings {
    pub host: String,
    pub containers: Vec<ContainerFact>,
    pub vulnerabilities: Vec<VulnFact>,
    pub secrets: Vec<SecretFact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerFact {
    pub id: String,
    pub image: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnFact {
    /// `CVE-…`, `GHSA-…`.
    pub id: String,
    pub severity: Severity,
    pub package: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub fixed_version: Option<String>,
    /// A public exploit exists.
    #[serde(default)]
    pub exploit_available: bool,
    /// Exploited in the wild (CISA KEV).
    #[serde(default)]
    pub known_exploited: bool,
    /// The container it was found in, when not the host itself.
    #[serde(default)]
    pub container: Option<String>,
    /// The image it was found in, when known.
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretFact {
    /// `aws_access_key`, `private_key`, `github_token`, …
    pub kind: String,
    /// For AWS keys: the access key id it unlocks.
    #[serde(default)]
    pub aws_access_key_id: Option<String>,
    /// `<first chars>…xxh3:<hex>`: never the secret.
    pub fingerprint: String,
    pub path: String,
    /// Checked to work (e.g. `sts:GetCallerIdentity` answered, or the key id is active).
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub container: Option<String>,
}

/// A secret found outside the estate: whoever found it can use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakedSecret {
    pub fingerprint: String,
    #[serde(default)]
    pub aws_access_key_id: Option<String>,
    /// Where it was found (`https://github.com/…`, `pastebin`).
    pub location: String,
    #[serde(default)]
    pub verified: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    Public,
    Internal,
    Confidential,
    Restricted,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Internal => "internal",
            Sensitivity::Confidential => "confidential",
            Sensitivity::Restricted => "restricted",
        }
    }

    /// Parses the values people put in `data-classification`-style tags.
    pub fn from_tag(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "public" => Some(Sensitivity::Public),
            "internal" | "low" => Some(Sensitivity::Internal),
            "confidential" | "sensitive" | "medium" | "high" | "pii" => {
                Some(Sensitivity::Confidential)
            }
            "restricted" | "secret" | "critical" | "phi" | "pci" => Some(Sensitivity::Restricted),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSensitivity {
    /// ARN or bucket name.
    pub resource: String,
    pub level: Sensitivity,
    #[serde(default)]
    pub reason: String,
}

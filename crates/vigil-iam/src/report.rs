//! What `vigil iam analyze --format json` prints: the report types, plain serde data.

use crate::authz::Problem;
use crate::escalation::Edge;
use crate::eval::StatementRef;
use crate::remediation::Remediation;
use crate::risk::Risk;
use serde::Serialize;
use vigil_model::Timestamp;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub account: String,
    /// The analysis time, taken from the data.
    pub now: Timestamp,
    pub window: Window,
    pub summary: Summary,
    pub identities: Vec<IdentityReport>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub days: i64,
    pub start: Timestamp,
    pub end: Timestamp,
    /// CloudTrail calls inside the window (0 when none were given).
    pub calls: u64,
    /// Whether CloudTrail was given at all (used-vs-granted needs it).
    pub cloudtrail: bool,
    /// `source:name` of calls that mapped to no known action.
    pub unmapped_calls: Vec<String>,
    /// Calls of the window left out of usage because open alerts tie them to an attacker
    /// (counted in `calls`, not in anyone's "used").
    #[serde(skip_serializing_if = "is_zero")]
    pub excluded_calls: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub identities: usize,
    pub admins: usize,
    pub can_escalate_to_admin: usize,
    pub escalation_edges: usize,
    pub high_risk: usize,
    pub problems: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdentityReport {
    pub arn: String,
    pub name: String,
    /// `user`, `role` or `root`.
    #[serde(rename = "type")]
    pub kind: String,
    pub risk_score: u32,
    pub risks: Vec<Risk>,
    /// The shortest path to full admin, or null.
    pub escalation: Option<EscalationPath>,
    pub remediations: Vec<Remediation>,
    pub linked: Linked,
    pub permissions: PermissionSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct EscalationPath {
    /// True when some step holds only under conditions, or needs a workload the inventory
    /// does not list.
    pub conditional: bool,
    /// Empty when the identity is admin already.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub from: String,
    /// An ARN, or `admin`.
    pub to: String,
    pub method: String,
    pub method_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub conditional: bool,
    pub needs_existing_resource: bool,
    pub statements: Vec<StatementRef>,
}

impl Step {
    /// A step for people: ARNs for principals, `service:NAME` for service workloads.
    pub fn from_edge(
        e: &Edge,
        graph: &crate::escalation::EscalationGraph,
        arn_of: impl Fn(usize) -> String,
    ) -> Step {
        let service =
            |s: usize| format!("service:{}", graph.services.get(s).copied().unwrap_or(""));
        Step {
            from: if e.from_service {
                service(e.from)
            } else {
                arn_of(e.from)
            },
            to: match e.to {
                crate::escalation::Node::Admin => "admin".to_string(),
                crate::escalation::Node::Principal(q) => arn_of(q),
                crate::escalation::Node::Service(s) => service(s),
            },
            method: e.method.to_string(),
            method_name: e.method_name.clone(),
            via: e.via.clone(),
            conditional: e.conditional,
            needs_existing_resource: e.needs_existing_resource,
            statements: e.statements.clone(),
        }
    }
}

/// Who this identity can become, and who can become it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Linked {
    pub can_become: Vec<Link>,
    pub can_be_become_by: Vec<Link>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub arn: String,
    pub method: String,
    pub conditional: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PermissionSummary {
    pub granted: usize,
    pub conditional: usize,
    pub on_all_resources: usize,
    /// Present when CloudTrail was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused: Option<usize>,
    /// Unused share of the granted actions, 0–1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_share: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_actions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_services: Vec<String>,
}

//! The numbers behind a path's rank, each with the sentence that explains it. A path's score
//! is `100 × entry × steps × damage`, raised by live evidence: every factor is at most 1, so a
//! partial path's product bounds every completion of it (what lets the search prune).

use crate::facts::{DataAccess, Sensitivity, VulnFact};
use crate::graph::{EdgeKind, Graph, NodeId, NodeKind};
use serde::Serialize;
use vigil_model::Severity;

/// One factor of a score, shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub name: &'static str,
    pub value: f64,
    pub explanation: String,
}

/// Exposed, with nothing known to exploit: weak passwords, unknown bugs, misconfiguration.
pub const EXPOSED_NO_KNOWN_VULN: f64 = 0.45;
/// Raise for a path an alert shows being walked.
pub const LIVE_BOOST: f64 = 1.5;

pub fn vuln_ease(v: &VulnFact) -> f64 {
    let base = match v.severity {
        Severity::Critical => 0.95,
        Severity::High => 0.8,
        Severity::Medium => 0.55,
        Severity::Low => 0.3,
        Severity::Info => 0.1,
    };
    let exploit = if v.known_exploited {
        1.0
    } else if v.exploit_available {
        0.95
    } else {
        0.85
    };
    base * exploit
}

/// The vulnerability that makes a host easiest to take, among `vulns`.
pub fn worst_vuln(vulns: &[VulnFact]) -> Option<&VulnFact> {
    vulns.iter().max_by(|a, b| {
        vuln_ease(a)
            .total_cmp(&vuln_ease(b))
            .then_with(|| b.id.cmp(&a.id))
    })
}

/// How easily an exposed workload falls, and why.
pub fn host_entry(g: &Graph, host: NodeId, vulns: Option<&[VulnFact]>) -> (f64, String) {
    let vulns = vulns.unwrap_or_else(|| g.host_vulns.get(&host).map_or(&[], Vec::as_slice));
    let name = &g.node(host).id;
    match worst_vuln(vulns) {
        Some(v) if vuln_ease(v) > EXPOSED_NO_KNOWN_VULN => {
            let how = if v.known_exploited {
                "exploited in the wild"
            } else if v.exploit_available {
                "public exploit"
            } else {
                "no public exploit known"
            };
            (
                vuln_ease(v),
                format!(
                    "{name} is exposed and has {} ({}, {how}) in {} {}",
                    v.id,
                    v.severity,
                    v.package,
                    v.version.as_deref().unwrap_or("")
                ),
            )
        }
        _ => (
            EXPOSED_NO_KNOWN_VULN,
            format!("{name} is exposed; no exploitable vulnerability is known on it"),
        ),
    }
}

/// How hard one step is for an attacker already at its source (1 = no obstacle).
pub fn step_ease(kind: &EdgeKind) -> (f64, Option<String>) {
    match kind {
        EdgeKind::HoldsSecretForKey {
            verified: false, ..
        } => (
            0.9,
            Some("the key on the host was not verified to work".to_string()),
        ),
        EdgeKind::CanAssume { conditions } if !conditions.is_empty() => {
            let mfa = conditions.iter().any(|c| c.contains("MultiFactorAuth"));
            let v = if mfa { 0.3 } else { 0.6 };
            (
                v,
                Some(format!("assuming the role needs {}", conditions.join(", "))),
            )
        }
        EdgeKind::CanEscalateTo { method } => (
            0.8,
            Some(format!("escalation by {method} takes several calls")),
        ),
        EdgeKind::NetworkCanReach { .. } => (
            0.6,
            Some("reaching the database still needs its credentials".to_string()),
        ),
        _ => (1.0, None),
    }
}

pub fn sensitivity_weight(s: Sensitivity) -> f64 {
    match s {
        Sensitivity::Public => 0.1,
        Sensitivity::Internal => 0.4,
        Sensitivity::Confidential => 0.8,
        Sensitivity::Restricted => 1.0,
    }
}

/// What reaching `target` over `last` lets an attacker do.
pub fn damage(g: &Graph, target: NodeId, last: &EdgeKind) -> (f64, String) {
    let n = g.node(target);
    if n.kind == NodeKind::Admin {
        return (1.0, format!("{}: full control of the account", n.label));
    }
    let (sens, why) = n
        .sensitivity
        .clone()
        .unwrap_or((Sensitivity::Confidential, "unclassified".to_string()));
    let (access, verb) = match last {
        EdgeKind::CanAccessData {
            access: DataAccess::Snapshot,
        } => (1.0, "copy out whole (snapshot)"),
        EdgeKind::CanAccessData {
            access: DataAccess::Read,
        } => (0.9, "read"),
        EdgeKind::CanAccessData {
            access: DataAccess::Write,
        } => (0.75, "write or destroy"),
        EdgeKind::PubliclyAccessible { .. } => (1.0, "use, with no credentials,"),
        EdgeKind::NetworkCanReach { .. } => (0.9, "connect to"),
        _ => (0.5, "touch"),
    };
    let w = sensitivity_weight(sens);
    (
        w * access,
        format!("{verb} {} ({} data: {why})", n.label, sens.as_str()),
    )
}

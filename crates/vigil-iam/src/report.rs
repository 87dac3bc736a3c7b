//! What `vigil iam analyze --format json` prints: the report types, plain serde data.
//!
//! Linked identities (who can become whom) are kept compact, because in a real account they
//! are dense: every person allowed `sts:AssumeRole` on `*` can become every role that trusts
//! the account, so listing each pair expands to millions of entries (a 958 MB report for a
//! generated 10,000-principal account). Instead each identity lists its links grouped by
//! `(method, conditional)`, and each group names its identities through `set`, an index into
//! the report-level `link_sets` table that holds every distinct, ARN-sorted list once:
//!
//! ```json
//! "identities": [{"arn": "arn:aws:iam::1:user/ana", …,
//!   "linked": {"can_become": [{"method": "sts-001", "conditional": true, "count": 2, "set": 0}],
//!              "can_be_become_by": []}}],
//! "link_sets": [["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]]
//! ```
//!
//! With jq, `.link_sets[GROUP.set]` is a group's list; [`Report::expand`] does the same in
//! Rust. Each identity appears at most once per direction, in its least conditional link.

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
    /// Every distinct list of identities a [`LinkGroup`] names, each sorted by ARN; a group's
    /// `set` is its index here. Numbered in order of first use down `identities`.
    pub link_sets: Vec<Vec<String>>,
    pub problems: Vec<Problem>,
}

impl Report {
    /// The ARNs (or `service:NAME`) a group names; empty when `set` is out of range.
    pub fn link_set(&self, g: &LinkGroup) -> &[String] {
        self.link_sets.get(g.set).map_or(&[], Vec::as_slice)
    }

    /// Groups expanded into one link per identity, sorted by ARN: one entry per pair.
    pub fn expand(&self, groups: &[LinkGroup]) -> Vec<Link> {
        let mut out: Vec<Link> = groups
            .iter()
            .flat_map(|g| {
                self.link_set(g).iter().map(|arn| Link {
                    arn: arn.clone(),
                    method: g.method.clone(),
                    conditional: g.conditional,
                })
            })
            .collect();
        out.sort_by(|a, b| a.arn.cmp(&b.arn));
        out
    }

    /// Keeps the identities `keep` accepts, and only the link sets they still use (renumbered
    /// in order of first use), so a selection stays self-contained and small.
    pub fn retain_identities(&mut self, keep: impl FnMut(&IdentityReport) -> bool) {
        self.identities.retain(keep);
        self.renumber_link_sets();
    }

    /// Numbers the link sets in order of first use down `identities` and drops unused ones.
    pub(crate) fn renumber_link_sets(&mut self) {
        let mut old = std::mem::take(&mut self.link_sets);
        let mut new_id: Vec<Option<usize>> = vec![None; old.len()];
        for i in &mut self.identities {
            let groups = i
                .linked
                .can_become
                .iter_mut()
                .chain(i.linked.can_be_become_by.iter_mut());
            for g in groups {
                let Some(slot) = new_id.get_mut(g.set) else {
                    continue;
                };
                g.set = *slot.get_or_insert_with(|| {
                    let set = old.get_mut(g.set).map(std::mem::take).unwrap_or_default();
                    self.link_sets.push(set);
                    self.link_sets.len() - 1
                });
            }
        }
    }
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

/// Who this identity can become, and who can become it, grouped by how.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Linked {
    pub can_become: Vec<LinkGroup>,
    /// ARNs, or `service:NAME` for a service that can run as this role.
    pub can_be_become_by: Vec<LinkGroup>,
}

/// The identities one identity is linked to by one method, all conditional or all not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkGroup {
    /// The escalation method's id (`sts-001` is sts:AssumeRole; ids from pathfinding.cloud).
    pub method: String,
    /// True when the link holds only under conditions, or needs a workload that may not exist.
    pub conditional: bool,
    /// How many identities the group names (the length of its set).
    pub count: usize,
    /// Index into [`Report::link_sets`].
    pub set: usize,
}

/// One linked identity, as [`Report::expand`] gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

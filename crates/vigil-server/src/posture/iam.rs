//! The identity analysis as the server reads it: the shape `vigil iam analyze --format json`
//! prints (`vigil_iam::report::Report`), fields the console uses, everything defaulted.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_model::{Severity, Timestamp};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IamReport {
    #[serde(default)]
    pub account: String,
    /// The analysis time, taken from the data.
    pub now: Timestamp,
    #[serde(default)]
    pub window: Window,
    #[serde(default)]
    pub summary: Summary,
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// The lists linked-identity groups name: a group's `set` indexes this table.
    #[serde(default)]
    pub link_sets: Vec<Vec<String>>,
    #[serde(default)]
    pub problems: Vec<Problem>,
}

impl IamReport {
    /// The ARNs (or `service:NAME`) a group names; empty when its set is not in the table.
    pub fn link_set(&self, g: &LinkGroup) -> &[String] {
        self.link_sets.get(g.set).map_or(&[], Vec::as_slice)
    }

    /// A copy of `i` with each link group's list written into the group (`arns`), so the
    /// identity reads on its own, without the report's table.
    pub fn resolved(&self, i: &Identity) -> Identity {
        let mut out = i.clone();
        for g in out
            .linked
            .can_become
            .iter_mut()
            .chain(out.linked.can_be_become_by.iter_mut())
        {
            g.arns = self.link_set(g).to_vec();
        }
        out
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Window {
    pub days: i64,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub calls: u64,
    pub cloudtrail: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub identities: usize,
    pub admins: usize,
    pub can_escalate_to_admin: usize,
    pub escalation_edges: usize,
    pub high_risk: usize,
    pub problems: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub arn: String,
    #[serde(default)]
    pub name: String,
    /// `user`, `role` or `root`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub risk_score: u32,
    #[serde(default)]
    pub risks: Vec<Risk>,
    /// The shortest path to full admin, when there is one.
    #[serde(default)]
    pub escalation: Option<Escalation>,
    #[serde(default)]
    pub remediations: Vec<Remediation>,
    #[serde(default)]
    pub linked: Linked,
    #[serde(default)]
    pub permissions: Permissions,
}

impl Identity {
    /// The highest severity among its risks.
    pub fn max_severity(&self) -> Option<Severity> {
        self.risks.iter().map(|r| r.severity).max()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Risk {
    /// A snake_case category (`full_admin`, `key_older_than_180_days`, …).
    pub category: String,
    pub severity: Severity,
    #[serde(default)]
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Escalation {
    #[serde(default)]
    pub conditional: bool,
    /// Empty when the identity is admin already.
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub method_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(default)]
    pub conditional: bool,
    #[serde(default)]
    pub needs_existing_resource: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Remediation {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    /// Expected drop of the identity's risk score.
    #[serde(default)]
    pub risk_reduction: u32,
    /// Risk categories the change removes.
    #[serde(default)]
    pub removes: Vec<String>,
    /// A proposed policy document (least privilege, narrowed trust).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
    /// The usage window replayed against the proposed policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// Statements to remove or change, as the engine describes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<Value>,
    /// Other identities whose risk the change lowers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Replay {
    #[serde(default)]
    pub calls: u64,
    #[serde(default)]
    pub checks: u64,
    #[serde(default)]
    pub predicted_denials: Vec<Denial>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Denial {
    pub event_id: String,
    pub time: Timestamp,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// Who the identity can become and who can become it, grouped by method and condition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Linked {
    pub can_become: Vec<LinkGroup>,
    pub can_be_become_by: Vec<LinkGroup>,
}

impl Linked {
    /// How many identities it can become (each counted once).
    pub fn can_become_count(&self) -> usize {
        self.can_become.iter().map(|g| g.count).sum()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkGroup {
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub conditional: bool,
    #[serde(default)]
    pub count: usize,
    /// Index into [`IamReport::link_sets`].
    pub set: usize,
    /// The group's ARNs, filled in by [`IamReport::resolved`] for the API (not stored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arns: Vec<String>,
}

/// Granted vs used. `used`/`unused` are absent when no CloudTrail was analysed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Permissions {
    pub granted: usize,
    pub conditional: usize,
    pub on_all_resources: usize,
    pub used: Option<usize>,
    pub unused: Option<usize>,
    /// Unused share of the granted actions, 0–1.
    pub unused_share: Option<f64>,
    pub used_actions: Vec<String>,
    pub unused_services: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub principal: Option<String>,
    #[serde(default)]
    pub policy: String,
    #[serde(default)]
    pub message: String,
}

/// The identity list's filters, shared by the API and the console.
#[derive(Debug, Clone, Default)]
pub struct IdentityFilter {
    /// `user`, `role`, `root`.
    pub kinds: Vec<String>,
    pub min_risk: u32,
    /// Some risk at or above this severity.
    pub severity_at_least: Option<Severity>,
    /// Some risk of one of these categories.
    pub categories: Vec<String>,
    /// A case-insensitive part of the name or ARN.
    pub text: Option<String>,
}

impl IdentityFilter {
    pub fn from_params(p: &crate::query::Params) -> Result<Self, crate::error::ApiError> {
        let bad = crate::error::ApiError::BadRequest;
        Ok(IdentityFilter {
            kinds: p.all("type"),
            min_risk: match p.get("min_risk") {
                None => 0,
                Some(v) => v
                    .parse()
                    .map_err(|_| bad(format!("`min_risk` must be 0–100, not `{v}`")))?,
            },
            severity_at_least: p
                .get("severity")
                .map(|s| s.parse::<Severity>().map_err(|e| bad(e.to_string())))
                .transpose()?,
            categories: p.all("category"),
            text: p.get("q").map(str::to_lowercase),
        })
    }

    pub fn matches(&self, i: &Identity) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&i.kind))
            && i.risk_score >= self.min_risk
            && self
                .severity_at_least
                .is_none_or(|floor| i.max_severity().is_some_and(|s| s >= floor))
            && (self.categories.is_empty()
                || i.risks
                    .iter()
                    .any(|r| self.categories.contains(&r.category)))
            && self.text.as_ref().is_none_or(|t| {
                i.name.to_lowercase().contains(t) || i.arn.to_lowercase().contains(t)
            })
    }
}

/// The identities that pass `filter`, riskiest first (then by name).
pub fn filtered<'a>(report: &'a IamReport, filter: &IdentityFilter) -> Vec<&'a Identity> {
    let mut out: Vec<&Identity> = report
        .identities
        .iter()
        .filter(|i| filter.matches(i))
        .collect();
    out.sort_by(|a, b| {
        b.risk_score
            .cmp(&a.risk_score)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.arn.cmp(&b.arn))
    });
    out
}

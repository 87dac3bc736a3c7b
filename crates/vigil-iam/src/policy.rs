//! A policy document, compiled: statements with their action, resource and principal patterns
//! ready to match, and their conditions parsed. Built by [`crate::document`].

use crate::condition::Condition;
use crate::glob::Glob;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction` (patterns lower-cased).
#[derive(Debug, Clone)]
pub enum ActionSpec {
    Action(Vec<Glob>),
    NotAction(Vec<Glob>),
}

/// `Resource`, `NotResource`, or neither (trust policies have no resource element).
#[derive(Debug, Clone)]
pub enum ResourceSpec {
    Resource(Vec<String>),
    NotResource(Vec<String>),
    Absent,
}

/// `Principal` or `NotPrincipal` of a resource-based policy.
#[derive(Debug, Clone, Default)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`.
    pub any: bool,
    /// ARNs, account ids, `arn:…:root`.
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum PrincipalSpec {
    Principal(Principals),
    NotPrincipal(Principals),
    Absent,
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Position in the policy (0-based), for explanations when there is no Sid.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: ActionSpec,
    pub resources: ResourceSpec,
    pub principals: PrincipalSpec,
    pub conditions: Vec<Condition>,
    /// The statement as written, compact JSON, for explanations (shared: statements are
    /// copied when the evaluator narrows a policy to one service).
    pub source: std::sync::Arc<str>,
}

impl Statement {
    /// Does the statement's action element cover this lower-cased action?
    pub fn matches_action(&self, action_lower: &str) -> bool {
        match &self.actions {
            ActionSpec::Action(g) => g.iter().any(|g| g.matches(action_lower)),
            ActionSpec::NotAction(g) => !g.iter().any(|g| g.matches(action_lower)),
        }
    }

    /// Can the statement cover any action of a service (`iam:` prefix, lower-case)?
    pub fn may_touch_service(&self, service_prefix: &str) -> bool {
        match &self.actions {
            ActionSpec::Action(g) => g.iter().any(|g| g.may_match_prefix(service_prefix)),
            ActionSpec::NotAction(_) => true,
        }
    }

    /// How the action element treats a whole service (`prefix` like `iam:`, lower-case):
    /// `Some(true)` it covers every action of it, `Some(false)` none, `None` some but not all.
    pub fn service_coverage(&self, prefix: &str) -> Option<bool> {
        let whole = |g: &Glob| match g {
            Glob::Any => true,
            Glob::Prefix(p) => prefix.starts_with(p.as_str()),
            _ => false,
        };
        match &self.actions {
            ActionSpec::Action(gs) => {
                if gs.iter().any(whole) {
                    Some(true)
                } else if !gs.iter().any(|g| g.may_match_prefix(prefix)) {
                    Some(false)
                } else {
                    None
                }
            }
            ActionSpec::NotAction(gs) => {
                if gs.iter().any(whole) {
                    Some(false)
                } else if !gs.iter().any(|g| g.may_match_prefix(prefix)) {
                    Some(true)
                } else {
                    None
                }
            }
        }
    }

    /// A copy keeping only the action patterns that can touch the service `prefix`
    /// (`None` when the statement cannot touch it at all).
    pub fn narrowed(&self, prefix: &str) -> Option<Statement> {
        let keep = |gs: &Vec<Glob>| -> Vec<Glob> {
            gs.iter().filter_map(|g| g.restricted(prefix)).collect()
        };
        let actions = match &self.actions {
            ActionSpec::Action(gs) => {
                let k = keep(gs);
                if k.is_empty() {
                    return None;
                }
                ActionSpec::Action(k)
            }
            ActionSpec::NotAction(gs) => ActionSpec::NotAction(keep(gs)),
        };
        Some(Statement {
            actions,
            ..self.clone_without_actions()
        })
    }

    fn clone_without_actions(&self) -> Statement {
        Statement {
            index: self.index,
            sid: self.sid.clone(),
            effect: self.effect,
            actions: ActionSpec::Action(Vec::new()),
            resources: self.resources.clone(),
            principals: self.principals.clone(),
            conditions: self.conditions.clone(),
            source: self.source.clone(),
        }
    }

    /// A short label: `Sid` or `#index`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => s.clone(),
            _ => format!("#{}", self.index),
        }
    }
}

/// What kind of policy a document is, which decides its place in the evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Inline or managed policy attached to a user, group or role.
    Identity,
    /// A permissions boundary.
    Boundary,
    /// A service control policy from AWS Organizations.
    Scp,
    /// A resource-based policy (bucket, key, queue …).
    Resource,
    /// A role's trust policy.
    Trust,
    /// A session policy passed to AssumeRole / GetFederationToken.
    Session,
}

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// A name people recognise: the managed policy ARN or name, `inline:NAME`, `trust:ROLE`.
    pub name: String,
    pub kind: PolicyKind,
    /// Where it came from: the attachment (`group:ops`), empty when direct.
    pub via: String,
    pub statements: Vec<Statement>,
}

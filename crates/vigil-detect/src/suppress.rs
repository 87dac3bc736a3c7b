//! Suppression rules: exceptions a person writes down ("the backup job shares snapshots with the
//! DR account"), each with a reason and an expiry, so an exception never outlives its cause.
//!
//! A suppression is scoped by an alert type, a rule, entities, or a mix: it covers an alert
//! when every scope it names matches. A rule scope goes further than hiding the rule's own
//! alerts: the rule's hits on the named entities stop counting as evidence for composites too
//! (the rule is noise there). What is held back is counted per suppression (`hits`, the last
//! few alert ids) and in the correlator's statistics, so nothing disappears without a trace.

use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use vigil_model::{Alert, EntityRef, Timestamp};

/// Alert ids remembered per suppression (newest last).
const HELD_BACK_KEPT: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub id: String,
    pub reason: String,
    /// Who wrote it (free text).
    #[serde(default)]
    pub author: String,
    pub created: Timestamp,
    /// After this (event time) the suppression no longer applies.
    pub expires: Timestamp,
    /// Only alerts of this type (any type when `None`).
    #[serde(default)]
    pub alert_type: Option<String>,
    /// Only this rule's alerts, and its hits as composite evidence (any rule when `None`).
    #[serde(default)]
    pub rule: Option<String>,
    /// Only alerts naming every one of these entities (any when empty).
    #[serde(default)]
    pub entities: Vec<EntityRef>,
    /// The console proposal it was accepted from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_proposal: Option<String>,
    /// Alerts (and rule findings) it has held back.
    #[serde(default)]
    pub hits: u64,
    /// Event time of the latest hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_hit: Option<Timestamp>,
    /// Ids of the latest alerts held back (at most [`HELD_BACK_KEPT`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_back: Vec<String>,
}

impl Suppression {
    /// A suppression with no scope yet; set `alert_type`, `rule` or `entities` before use.
    pub fn new(id: &str, reason: &str, created: Timestamp, expires: Timestamp) -> Suppression {
        Suppression {
            id: id.to_string(),
            reason: reason.to_string(),
            author: String::new(),
            created,
            expires,
            alert_type: None,
            rule: None,
            entities: Vec::new(),
            from_proposal: None,
            hits: 0,
            last_hit: None,
            held_back: Vec::new(),
        }
    }

    fn scoped(&self) -> bool {
        self.alert_type.is_some() || self.rule.is_some() || !self.entities.is_empty()
    }

    fn names_all(&self, entities: &[EntityRef]) -> bool {
        self.entities.iter().all(|e| entities.contains(e))
    }

    /// Whether this exception covers `alert` at event time `now`.
    pub fn covers(&self, alert: &Alert, now: Timestamp) -> bool {
        now < self.expires
            && self.scoped()
            && self
                .alert_type
                .as_deref()
                .is_none_or(|t| t == alert.alert_type)
            && self
                .rule
                .as_deref()
                .is_none_or(|r| alert.kind == vigil_model::AlertKind::Rule && r == alert.alert_type)
            && self.names_all(&alert.entities)
    }

    /// Whether this exception drops a rule finding before correlation (rule-scoped only).
    /// Whether it holds back rule findings (it names a rule), not only alerts.
    pub fn scopes_rules(&self) -> bool {
        self.rule.is_some()
    }

    pub fn covers_finding(&self, f: &Finding, now: Timestamp) -> bool {
        let Some(rule) = self.rule.as_deref() else {
            return false;
        };
        now < self.expires
            && crate::finding::rule_of_key(&f.key) == Some(rule)
            && self.alert_type.as_deref().is_none_or(|t| t == f.alert_type)
            && self.names_all(&f.entities)
    }

    /// Records that `alert_id` was held back at `now`; an alert already held back (a composite
    /// that grew) is not counted twice. Returns whether it was new.
    pub fn record(&mut self, alert_id: &str, now: Timestamp) -> bool {
        self.last_hit = Some(self.last_hit.map_or(now, |t| t.max(now)));
        if self.held_back.iter().any(|id| id == alert_id) {
            return false;
        }
        self.hits += 1;
        if self.held_back.len() >= HELD_BACK_KEPT {
            self.held_back.remove(0);
        }
        self.held_back.push(alert_id.to_string());
        true
    }

    /// Still in force at `now`.
    pub fn active(&self, now: Timestamp) -> bool {
        now < self.expires
    }
}

/// A suppression that cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppressionError {
    MissingReason,
    MatchesEverything,
    AlreadyExpired,
}

impl std::fmt::Display for SuppressionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SuppressionError::MissingReason => "a suppression needs a reason",
            SuppressionError::MatchesEverything => {
                "a suppression needs an alert type, a rule or an entity (it would hide everything)"
            }
            SuppressionError::AlreadyExpired => "the suppression's expiry is already past",
        })
    }
}

impl std::error::Error for SuppressionError {}

/// Checks a new suppression against the engine's current time.
pub fn validate(s: &Suppression, now: Timestamp) -> Result<(), SuppressionError> {
    if s.reason.trim().is_empty() {
        return Err(SuppressionError::MissingReason);
    }
    if !s.scoped() {
        return Err(SuppressionError::MatchesEverything);
    }
    if s.expires <= now {
        return Err(SuppressionError::AlreadyExpired);
    }
    Ok(())
}

/// Replaces `current` with `wanted` (the list a person manages), keeping what the engine
/// counted for suppressions that stay.
pub fn reconcile(current: &mut Vec<Suppression>, wanted: Vec<Suppression>) {
    let mut out = Vec::with_capacity(wanted.len());
    for mut s in wanted {
        if let Some(old) = current.iter().find(|o| o.id == s.id) {
            s.hits = s.hits.max(old.hits);
            s.last_hit = s.last_hit.max(old.last_hit);
            if s.held_back.is_empty() {
                s.held_back = old.held_back.clone();
            }
        }
        out.push(s);
    }
    *current = out;
}

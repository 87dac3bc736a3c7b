//! Suppression rules: exceptions a person writes down ("the backup job shares snapshots with the
//! DR account"), each with a reason and an expiry, so an exception never outlives its cause.

use serde::{Deserialize, Serialize};
use vigil_model::{Alert, EntityRef, Timestamp};

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
    /// Only alerts naming this entity (any when `None`).
    #[serde(default)]
    pub entity: Option<EntityRef>,
    /// Alerts it has held back.
    #[serde(default)]
    pub hits: u64,
}

impl Suppression {
    /// Whether this exception covers `alert` at event time `now`.
    pub fn covers(&self, alert: &Alert, now: Timestamp) -> bool {
        now < self.expires
            && self
                .alert_type
                .as_deref()
                .is_none_or(|t| t == alert.alert_type)
            && self
                .entity
                .as_ref()
                .is_none_or(|e| alert.entities.contains(e))
            && (self.alert_type.is_some() || self.entity.is_some())
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
                "a suppression needs an alert type or an entity (it would hide everything)"
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
    if s.alert_type.is_none() && s.entity.is_none() {
        return Err(SuppressionError::MatchesEverything);
    }
    if s.expires <= now {
        return Err(SuppressionError::AlreadyExpired);
    }
    Ok(())
}

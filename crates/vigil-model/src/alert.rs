//! The alert contract of PRODUCT.md: what `vigil alerts --format json` prints and what the
//! console and API serve. Field names here are a public interface; change them only with care.

use crate::entity::EntityRef;
use crate::severity::Severity;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Several findings on one entity chain merged into one story.
    Composite,
    /// Behaviour that breaks an entity's baseline.
    Anomaly,
    /// A detection rule matched.
    Rule,
    /// A custom violation policy matched.
    Violation,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Composite => "composite",
            AlertKind::Anomaly => "anomaly",
            AlertKind::Rule => "rule",
            AlertKind::Violation => "violation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    #[default]
    New,
    Investigating,
    Resolved,
    FalsePositive,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::New => "new",
            AlertStatus::Investigating => "investigating",
            AlertStatus::Resolved => "resolved",
            AlertStatus::FalsePositive => "false_positive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AlertStatus::New,
            AlertStatus::Investigating,
            AlertStatus::Resolved,
            AlertStatus::FalsePositive,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One event that supports an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The source event id (CloudTrail's `eventID`).
    pub event_id: String,
    pub time: Timestamp,
    pub summary: String,
}

/// A MITRE ATT&CK reference: tactic id (`TA0006`) and technique id (`T1552.005`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MitreRef {
    pub tactic: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technique: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    /// Stable snake_case name, e.g. `compromised_aws_keys`.
    #[serde(rename = "type")]
    pub alert_type: String,
    pub kind: AlertKind,
    pub severity: Severity,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub entities: Vec<EntityRef>,
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub mitre: Vec<MitreRef>,
    /// For composites: the ids of the alerts merged into this one.
    #[serde(default)]
    pub children: Vec<String>,
    #[serde(default)]
    pub status: AlertStatus,
    /// 0–100: how much this alert deserves attention.
    #[serde(default)]
    pub score: f64,
    /// Other alerts about the same attack seen from another side (a host whose credentials
    /// were read, and the key those credentials hold used from elsewhere), each with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedAlert>,
}

/// A link from one alert to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedAlert {
    pub id: String,
    #[serde(rename = "type")]
    pub alert_type: String,
    /// Why they belong together, in words.
    pub reason: String,
}

//! Marking an alert a false positive proposes a suppression rule: "alerts of this type about
//! these entities are expected". The proposal is stored for review (the detection engine owns
//! applying suppressions); nothing is silenced until someone accepts it.

use serde::{Deserialize, Serialize};
use vigil_model::{Alert, EntityKind, EntityRef, Timestamp};

/// The engine-state namespace proposals are kept under, keyed by alert id.
pub const NAMESPACE: &str = "suppression_proposals";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionProposal {
    /// `suppress-<alert type>-<alert id>`.
    pub id: String,
    pub alert_type: String,
    /// Alerts of `alert_type` naming all of these entities would be suppressed.
    pub entities: Vec<EntityRef>,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_at: Timestamp,
    pub from_alert: String,
    /// `proposed` until someone accepts or rejects it.
    pub state: String,
}

/// Entities that identify who or what behaved: narrow enough that a suppression does not hide
/// other actors. Accounts, regions and resources touched are left out.
fn identifying(kind: EntityKind) -> bool {
    matches!(
        kind,
        EntityKind::AccessKey
            | EntityKind::Principal
            | EntityKind::RoleSession
            | EntityKind::Host
            | EntityKind::Container
            | EntityKind::Image
            | EntityKind::Ip
    )
}

pub fn propose(alert: &Alert, reason: &str, actor: &str, now: Timestamp) -> SuppressionProposal {
    let mut entities: Vec<EntityRef> = alert
        .entities
        .iter()
        .filter(|e| identifying(e.kind))
        .cloned()
        .collect();
    entities.sort();
    entities.dedup();
    SuppressionProposal {
        id: format!("suppress-{}-{}", alert.alert_type, alert.id),
        alert_type: alert.alert_type.clone(),
        entities,
        reason: reason.to_string(),
        proposed_by: actor.to_string(),
        proposed_at: now,
        from_alert: alert.id.clone(),
        state: "proposed".to_string(),
    }
}

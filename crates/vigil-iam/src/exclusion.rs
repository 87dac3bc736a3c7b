//! Calls that are not an identity's own work and must not shape what it is said to need: an
//! attacker's calls, tied to open alerts. They stay out of "used", out of the least-privilege
//! policy built from usage and out of the evidence for keeping someone in a trust policy; they
//! still count as activity (a key an attacker used is not an unused key) and still tell whose
//! key is whose.

use crate::usage::ApiCall;
use std::collections::{HashMap, HashSet};
use vigil_model::{Alert, AlertStatus, EntityKind, Timestamp};

/// Which calls to leave out of usage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallExclusions {
    /// Event ids (the stored event id, as alert evidence names it).
    pub event_ids: HashSet<String>,
    /// Access key id → the time spans in which its calls are left out (inclusive).
    pub key_spans: HashMap<String, Vec<(Timestamp, Timestamp)>>,
}

impl CallExclusions {
    pub fn is_empty(&self) -> bool {
        self.event_ids.is_empty() && self.key_spans.is_empty()
    }

    /// Leaves out one event.
    pub fn exclude_event(&mut self, id: impl Into<String>) -> &mut Self {
        self.event_ids.insert(id.into());
        self
    }

    /// Leaves out every call signed by `key` from `start` to `end`, both included.
    pub fn exclude_key(
        &mut self,
        key: impl Into<String>,
        start: Timestamp,
        end: Timestamp,
    ) -> &mut Self {
        let (a, b) = if start <= end {
            (start, end)
        } else {
            (end, start)
        };
        self.key_spans.entry(key.into()).or_default().push((a, b));
        self
    }

    /// The exclusions of the open alerts (new or being investigated): every evidence event,
    /// and, for an alert that names an access key, every call of that key while the alert was
    /// active. The key span matters because evidence lists are capped (a long compromise has
    /// more events than an alert keeps); it also leaves out the owner's own calls with that key
    /// in the span, which errs towards a tighter policy, never a looser one.
    pub fn from_open_alerts<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> CallExclusions {
        let mut x = CallExclusions::default();
        for a in alerts {
            if !matches!(a.status, AlertStatus::New | AlertStatus::Investigating) {
                continue;
            }
            for e in &a.evidence {
                x.exclude_event(e.event_id.clone());
            }
            for ent in a
                .entities
                .iter()
                .filter(|e| e.kind == EntityKind::AccessKey)
            {
                x.exclude_key(ent.id.clone(), a.first_seen, a.last_seen);
            }
        }
        x
    }

    /// Is this call left out?
    pub fn excludes(&self, c: &ApiCall) -> bool {
        if self.event_ids.contains(&c.event_id) {
            return true;
        }
        c.access_key_id
            .as_ref()
            .and_then(|k| self.key_spans.get(k))
            .is_some_and(|spans| spans.iter().any(|&(a, b)| c.time >= a && c.time <= b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{AlertKind, EntityRef, Evidence, Severity};

    fn call(id: &str, key: Option<&str>, secs: i64) -> ApiCall {
        ApiCall {
            time: Timestamp::from_millis(secs * 1000),
            principal_arn: "arn:aws:iam::1:role/r".into(),
            event_source: "s3.amazonaws.com".into(),
            event_name: "GetObject".into(),
            succeeded: true,
            event_id: id.into(),
            resources: Vec::new(),
            access_key_id: key.map(str::to_string),
        }
    }

    fn alert(status: AlertStatus, evidence: &[&str], key: Option<&str>) -> Alert {
        let mut a = Alert {
            id: "a1".into(),
            alert_type: "compromised_aws_keys".into(),
            kind: AlertKind::Composite,
            severity: Severity::High,
            title: String::new(),
            description: String::new(),
            first_seen: Timestamp::from_millis(100_000),
            last_seen: Timestamp::from_millis(200_000),
            entities: Vec::new(),
            evidence: evidence
                .iter()
                .map(|id| Evidence {
                    event_id: (*id).into(),
                    time: Timestamp::from_millis(150_000),
                    summary: String::new(),
                })
                .collect(),
            mitre: Vec::new(),
            children: Vec::new(),
            status,
            score: 0.0,
            related: Vec::new(),
        };
        if let Some(k) = key {
            a.entities.push(EntityRef::new(EntityKind::AccessKey, k));
        }
        a
    }

    #[test]
    fn open_alerts_exclude_their_evidence_and_their_keys_span() {
        let alerts = [
            alert(AlertStatus::New, &["e1"], Some("ASIAATTACKER0001")),
            alert(AlertStatus::Resolved, &["e2"], Some("AKIARESOLVED0001")),
            alert(AlertStatus::FalsePositive, &["e3"], None),
            alert(AlertStatus::Investigating, &["e4"], None),
        ];
        let x = CallExclusions::from_open_alerts(&alerts);
        assert!(x.excludes(&call("e1", None, 0)));
        assert!(x.excludes(&call("e4", None, 0)));
        // Closed alerts leave their events in.
        assert!(!x.excludes(&call("e2", Some("AKIARESOLVED0001"), 150)));
        assert!(!x.excludes(&call("e3", None, 150)));
        // The open alert's key: in the span out, before or after it in.
        assert!(x.excludes(&call("zz", Some("ASIAATTACKER0001"), 100)));
        assert!(x.excludes(&call("zz", Some("ASIAATTACKER0001"), 200)));
        assert!(!x.excludes(&call("zz", Some("ASIAATTACKER0001"), 99)));
        assert!(!x.excludes(&call("zz", Some("ASIAATTACKER0001"), 201)));
        assert!(!x.excludes(&call("zz", Some("AKIAOTHER0000001"), 150)));
        assert!(CallExclusions::default().is_empty());
        assert!(!x.is_empty());
    }
}

//! Links a compromised host to the compromised key its files held: when a `compromised_host`
//! alert's evidence reads a file in which a scan of that host found an AWS access key, and a
//! `compromised_aws_keys` alert is about that key, each alert names the other under `related`,
//! with the file and the key as the reason. This is how the host half and the cloud half of one
//! attack meet: the credentials were taken on the host and used from elsewhere.
//!
//! Pure: the caller reads the alerts, the file paths each host alert's evidence touched, and
//! the scan findings; this decides the links.

use std::collections::BTreeMap;
use vigil_model::{Alert, EntityKind, RelatedAlert};

/// An AWS access key a scan found in a file on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCredential {
    pub host_id: String,
    /// Absolute path on the host (`/opt/app/config/settings.py`).
    pub path: String,
    pub key_id: String,
}

/// Adds the links to `alerts` and returns the indexes of the alerts that changed.
/// `reads` maps a host alert's id to the paths its evidence read.
pub fn link_host_and_key_alerts(
    alerts: &mut [Alert],
    reads: &BTreeMap<String, Vec<String>>,
    credentials: &[HostCredential],
) -> Vec<usize> {
    let mut links: Vec<(usize, usize, String)> = Vec::new();
    for (h, host_alert) in alerts.iter().enumerate() {
        if host_alert.alert_type != "compromised_host" {
            continue;
        }
        let Some(paths) = reads.get(&host_alert.id) else {
            continue;
        };
        let hosts: Vec<&str> = entity_ids(host_alert, EntityKind::Host).collect();
        for cred in credentials {
            let read = paths.iter().any(|p| same_path(p, &cred.path));
            if !read || !hosts.contains(&cred.host_id.as_str()) {
                continue;
            }
            for (k, key_alert) in alerts.iter().enumerate() {
                if key_alert.alert_type == "compromised_aws_keys"
                    && entity_ids(key_alert, EntityKind::AccessKey).any(|id| id == cred.key_id)
                {
                    let reason = format!(
                        "{} was read on {} and holds access key {}",
                        cred.path, cred.host_id, cred.key_id
                    );
                    links.push((h, k, reason));
                }
            }
        }
    }
    let mut changed = Vec::new();
    for (h, k, reason) in links {
        for (from, to) in [(h, k), (k, h)] {
            let Some(target) = alerts.get(to).map(|a| (a.id.clone(), a.alert_type.clone())) else {
                continue;
            };
            let Some(alert) = alerts.get_mut(from) else {
                continue;
            };
            if alert.related.iter().any(|r| r.id == target.0) {
                continue;
            }
            alert.related.push(RelatedAlert {
                id: target.0,
                alert_type: target.1,
                reason: reason.clone(),
            });
            if !changed.contains(&from) {
                changed.push(from);
            }
        }
    }
    changed
}

fn entity_ids(alert: &Alert, kind: EntityKind) -> impl Iterator<Item = &str> {
    alert
        .entities
        .iter()
        .filter(move |e| e.kind == kind)
        .map(|e| e.id.as_str())
}

/// Paths compare without a leading `/` (scans report paths relative to the scanned root).
fn same_path(a: &str, b: &str) -> bool {
    a.trim_start_matches('/') == b.trim_start_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::{AlertKind, AlertStatus, EntityRef, Severity, Timestamp};

    fn alert(id: &str, alert_type: &str, entity: EntityRef) -> Alert {
        Alert {
            id: id.into(),
            alert_type: alert_type.into(),
            kind: AlertKind::Composite,
            severity: Severity::Critical,
            title: String::new(),
            description: String::new(),
            first_seen: Timestamp::from_millis(0),
            last_seen: Timestamp::from_millis(0),
            entities: vec![entity],
            evidence: Vec::new(),
            mitre: Vec::new(),
            children: Vec::new(),
            status: AlertStatus::New,
            score: 99.0,
            related: Vec::new(),
        }
    }

    fn setup() -> (
        Vec<Alert>,
        BTreeMap<String, Vec<String>>,
        Vec<HostCredential>,
    ) {
        let alerts = vec![
            alert(
                "h1",
                "compromised_host",
                EntityRef::new(EntityKind::Host, "i-1"),
            ),
            alert(
                "k1",
                "compromised_aws_keys",
                EntityRef::new(EntityKind::AccessKey, "AKIA1"),
            ),
            alert(
                "k2",
                "compromised_aws_keys",
                EntityRef::new(EntityKind::AccessKey, "AKIA2"),
            ),
        ];
        let reads = BTreeMap::from([(
            "h1".to_string(),
            vec!["/opt/app/config/settings.py".to_string()],
        )]);
        let creds = vec![HostCredential {
            host_id: "i-1".into(),
            path: "opt/app/config/settings.py".into(),
            key_id: "AKIA1".into(),
        }];
        (alerts, reads, creds)
    }

    #[test]
    fn the_host_that_leaked_a_key_and_the_key_link_both_ways_once() {
        let (mut alerts, reads, creds) = setup();
        assert_eq!(
            link_host_and_key_alerts(&mut alerts, &reads, &creds),
            vec![0, 1]
        );
        assert_eq!(alerts[0].related[0].id, "k1");
        assert_eq!(alerts[1].related[0].id, "h1");
        assert!(alerts[1].related[0].reason.contains("settings.py"));
        assert!(alerts[2].related.is_empty(), "another key stays apart");
        assert!(link_host_and_key_alerts(&mut alerts, &reads, &creds).is_empty());
    }

    #[test]
    fn no_link_without_the_read_or_on_another_host() {
        let (mut alerts, _, creds) = setup();
        let unread = BTreeMap::from([("h1".to_string(), vec!["/etc/passwd".to_string()])]);
        assert!(link_host_and_key_alerts(&mut alerts, &unread, &creds).is_empty());
        let (mut alerts, reads, mut creds) = setup();
        creds[0].host_id = "i-2".into();
        assert!(link_host_and_key_alerts(&mut alerts, &reads, &creds).is_empty());
    }
}

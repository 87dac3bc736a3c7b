//! The store side of `alert_links.rs`: reads the scans stored for hosts (`scan/host:<id>`, by
//! `vigil scan … --host ID` and the demo), the `compromised_host` and `compromised_aws_keys`
//! alerts and the files their evidence read, and writes back the alerts that gain a link.
//! Run after every scan, ingest and demo, so a link made once is made again when detection
//! rewrites an alert.

use crate::alert_links::{HostCredential, link_host_and_key_alerts};
use anyhow::Result;
use std::collections::BTreeMap;
use vigil_model::{EventBody, EventSource, HostEventKind};
use vigil_scan::ScanReport;
use vigil_store::{AlertFilter, Store};

/// Where scans of a known host are stored: `host:<id>` in the `scan` namespace.
pub const HOST_SCAN_PREFIX: &str = "host:";

/// Links what can be linked; returns how many alerts changed.
pub fn link_hosts_and_keys(store: &mut Store) -> Result<usize> {
    let credentials = host_credentials(store)?;
    if credentials.is_empty() {
        return Ok(0);
    }
    let (mut alerts, _) = store.list_alerts(&AlertFilter {
        types: vec!["compromised_host".into(), "compromised_aws_keys".into()],
        ..AlertFilter::default()
    })?;
    let mut reads: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for alert in alerts.iter().filter(|a| a.alert_type == "compromised_host") {
        let ids: Vec<_> = alert
            .evidence
            .iter()
            .flat_map(|e| {
                [EventSource::Agent, EventSource::Falco, EventSource::Auditd]
                    .map(|s| (s, e.event_id.clone(), e.time))
            })
            .collect();
        let paths = reads.entry(alert.id.clone()).or_default();
        for stored in store.events_by_ids_at(&ids)? {
            let EventBody::Host(h) = &stored.event.body else {
                continue;
            };
            match &h.kind {
                HostEventKind::FileAccess { path, .. } => paths.push(path.clone()),
                // `cat /path`: the file named on the command line.
                HostEventKind::ProcessStart { process } => {
                    paths.extend(process.argv.iter().filter(|a| a.starts_with('/')).cloned())
                }
                _ => {}
            }
        }
    }
    let changed = link_host_and_key_alerts(&mut alerts, &reads, &credentials);
    for &i in &changed {
        if let Some(alert) = alerts.get(i) {
            store.upsert_alert(alert)?;
        }
    }
    Ok(changed.len())
}

/// Every AWS key a stored host scan found, with its host and path.
fn host_credentials(store: &Store) -> Result<Vec<HostCredential>> {
    let mut out = Vec::new();
    for key in store.state_keys(crate::cmd::scan::SCANS)? {
        let Some(host_id) = key.strip_prefix(HOST_SCAN_PREFIX) else {
            continue;
        };
        let Some(report) = store.get_state::<ScanReport>(crate::cmd::scan::SCANS, &key)? else {
            continue;
        };
        out.extend(report.secrets.iter().filter_map(|s| {
            Some(HostCredential {
                host_id: host_id.to_string(),
                path: format!("/{}", s.path.trim_start_matches('/')),
                key_id: s.aws_access_key_id.clone()?,
            })
        }));
    }
    Ok(out)
}

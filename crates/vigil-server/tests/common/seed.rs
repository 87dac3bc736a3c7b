//! The demo story in a store, and the alerts the detection engine raises on it, built here
//! from the stored events (until the engine lands) so every id, time and summary is real.

use std::collections::BTreeSet;
use std::path::Path;
use vigil_demo::{DemoConfig, DemoManifest};
use vigil_ingest::{Limits, discover, read_cloudtrail_file, read_host_file};
use vigil_model::{
    Alert, AlertKind, AlertStatus, EntityKind, EntityRef, Event, Evidence, MitreRef, Severity,
};
use vigil_store::{EventQuery, Store};

pub struct Seeded {
    pub manifest: DemoManifest,
    /// The `compromised_aws_keys` composite.
    pub keys_alert: String,
    /// The `compromised_host` composite.
    pub host_alert: String,
    pub child_alerts: Vec<String>,
    /// Ordinary low-severity alerts beside the story.
    pub background_alerts: usize,
}

/// Generates the demo under `work`, ingests it into `data_dir`'s store and upserts the alerts.
pub fn seed_demo(work: &Path, data_dir: &Path) -> Seeded {
    let input = work.join("demo-input");
    let manifest = vigil_demo::generate(&input, &DemoConfig::default()).unwrap();
    let mut store = Store::open(data_dir).unwrap();
    ingest_dir(&mut store, &input.join("cloudtrail"), true);
    ingest_dir(&mut store, &input.join("agent"), false);
    let mut alerts = story_alerts(&store, &manifest);
    let background = background_alerts(&store, &manifest);
    let background_alerts = background.len();
    alerts.extend(background);
    store.upsert_alerts(&alerts).unwrap();
    let child_alerts = alerts
        .iter()
        .filter(|a| a.kind != AlertKind::Composite && a.severity >= Severity::High)
        .map(|a| a.id.clone())
        .collect();
    Seeded {
        manifest,
        keys_alert: "alert-compromised-aws-keys".into(),
        host_alert: "alert-compromised-host".into(),
        child_alerts,
        background_alerts,
    }
}

pub fn ingest_dir(store: &mut Store, dir: &Path, cloudtrail: bool) {
    let found = discover(&[dir.to_path_buf()]);
    assert!(!found.files.is_empty(), "no files in {}", dir.display());
    let limits = Limits::default();
    for f in &found.files {
        let out = if cloudtrail {
            read_cloudtrail_file(f, &limits)
        } else {
            read_host_file(f, &limits)
        };
        store.insert_events(&out.events).unwrap();
    }
}

fn evidence(events: &[Event]) -> Vec<Evidence> {
    events
        .iter()
        .map(|e| Evidence {
            event_id: e.id.clone(),
            time: e.time,
            summary: e.summary(),
        })
        .collect()
}

fn mitre(tactic: &str, technique: &str) -> MitreRef {
    MitreRef {
        tactic: tactic.into(),
        technique: Some(technique.into()),
    }
}

#[allow(clippy::too_many_arguments)]
fn alert(
    id: &str,
    alert_type: &str,
    kind: AlertKind,
    severity: Severity,
    title: &str,
    events: &[Event],
    entities: Vec<EntityRef>,
    mitre: Vec<MitreRef>,
    score: f64,
) -> Alert {
    Alert {
        id: id.into(),
        alert_type: alert_type.into(),
        kind,
        severity,
        title: title.into(),
        description: String::new(),
        first_seen: events.first().map(|e| e.time).unwrap(),
        last_seen: events.last().map(|e| e.time).unwrap(),
        entities,
        evidence: evidence(events),
        mitre,
        children: Vec::new(),
        status: AlertStatus::New,
        score,
        related: Vec::new(),
    }
}

fn events_of(store: &Store, entity: EntityRef) -> Vec<Event> {
    store
        .query_events(&EventQuery {
            entity: Some(entity),
            ..EventQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|s| s.event)
        .collect()
}

fn story_alerts(store: &Store, m: &DemoManifest) -> Vec<Alert> {
    let key = EntityRef::new(EntityKind::AccessKey, &m.contractor_access_key_id);
    let attacker: Vec<Event> = events_of(store, key.clone())
        .into_iter()
        .filter(|e| {
            e.cloud()
                .is_some_and(|c| c.source_ip.as_deref() == Some(m.attacker_ip.as_str()))
        })
        .collect();
    assert!(!attacker.is_empty(), "the demo's attacker calls are stored");
    let (assume, discovery): (Vec<Event>, Vec<Event>) = attacker
        .into_iter()
        .partition(|e| e.action() == "sts:AssumeRole");
    let session_key = EntityRef::new(EntityKind::AccessKey, &m.session_access_key_id);
    let exfil: Vec<Event> = events_of(store, session_key.clone())
        .into_iter()
        .filter(|e| e.action().starts_with("rds:"))
        .collect();
    assert!(
        !assume.is_empty() && !exfil.is_empty(),
        "role session and snapshots stored"
    );
    let regions: BTreeSet<&str> = discovery
        .iter()
        .filter_map(|e| e.cloud().map(|c| c.region.as_str()))
        .collect();
    let user = EntityRef::new(EntityKind::Principal, &m.contractor_user_arn);
    let ip = EntityRef::new(EntityKind::Ip, &m.attacker_ip);
    let role = EntityRef::new(EntityKind::Principal, &m.privileged_role_arn);
    let session = EntityRef::new(EntityKind::RoleSession, &m.role_session_arn);
    let cluster = EntityRef::new(EntityKind::DbCluster, &m.rds_cluster_arn);
    let c1 = alert(
        "alert-key-new-ip-discovery",
        "access_key_discovery_from_new_ip",
        AlertKind::Anomaly,
        Severity::High,
        &format!(
            "Access key used from a new IP for discovery across {} regions",
            regions.len()
        ),
        &discovery,
        vec![key.clone(), user.clone(), ip.clone()],
        vec![mitre("TA0007", "T1580")],
        70.0,
    );
    let c2 = alert(
        "alert-privileged-role-assumed",
        "privileged_role_assumed_from_new_ip",
        AlertKind::Rule,
        Severity::High,
        "Privileged role assumed with a key from a new IP",
        &assume,
        vec![key.clone(), role.clone(), session.clone(), ip.clone()],
        vec![mitre("TA0004", "T1078.004")],
        75.0,
    );
    let c3 = alert(
        "alert-rds-snapshot-shared",
        "rds_snapshot_shared_outside",
        AlertKind::Rule,
        Severity::Critical,
        "RDS cluster snapshot created and shared with another account",
        &exfil,
        vec![session.clone(), role.clone(), cluster.clone()],
        vec![mitre("TA0010", "T1537")],
        90.0,
    );
    let mut all: Vec<Event> = discovery
        .iter()
        .chain(&assume)
        .chain(&exfil)
        .cloned()
        .collect();
    all.sort_by_key(|e| e.time);
    let mut composite = alert(
        "alert-compromised-aws-keys",
        "compromised_aws_keys",
        AlertKind::Composite,
        Severity::Critical,
        "Potentially compromised AWS keys",
        &all[..1],
        vec![key, user, ip, role, session, cluster],
        Vec::new(),
        95.0,
    );
    composite.last_seen = all.last().unwrap().time;
    composite.description = "The contractor's key was used from an IP never seen before, swept regions, assumed a privileged role and shared an RDS snapshot out.".into();
    composite.children = vec![c1.id.clone(), c2.id.clone(), c3.id.clone()];

    let host = EntityRef::new(EntityKind::Host, &m.compromised_instance_id);
    let host_events: Vec<Event> = store
        .query_events(&EventQuery {
            entity: Some(host.clone()),
            since: Some(m.attack.host_exploit),
            until: Some(m.attack.reverse_shell.plus_millis(60_000)),
            ..EventQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|s| s.event)
        .collect();
    assert!(!host_events.is_empty(), "the host attack is stored");
    let host_alert = alert(
        "alert-compromised-host",
        "compromised_host",
        AlertKind::Composite,
        Severity::Critical,
        "Potentially compromised host",
        &host_events,
        vec![host, EntityRef::new(EntityKind::Container, &m.container_id)],
        vec![
            mitre("TA0004", "T1611"),
            mitre("TA0007", "T1082"),
            mitre("TA0011", "T1059.004"),
        ],
        93.0,
    );
    vec![c1, c2, c3, composite, host_alert]
}

/// One low-severity rule alert per ordinary (non-attacker) console sign-in or IAM change,
/// up to 60, so lists have pages and filters have something to leave out.
fn background_alerts(store: &Store, m: &DemoManifest) -> Vec<Alert> {
    let events = store
        .query_events(&EventQuery {
            until: Some(m.baseline_end),
            limit: Some(20_000),
            ..EventQuery::default()
        })
        .unwrap();
    events
        .into_iter()
        .filter(|s| s.event.action().starts_with("iam:") || s.event.action().starts_with("signin:"))
        .take(60)
        .enumerate()
        .map(|(i, s)| {
            let e = s.event;
            let entities = e.entities();
            alert(
                &format!("alert-bg-{i:03}"),
                "iam_change",
                AlertKind::Rule,
                if i.is_multiple_of(2) {
                    Severity::Low
                } else {
                    Severity::Medium
                },
                &format!("IAM activity: {}", e.action()),
                std::slice::from_ref(&e),
                entities,
                vec![mitre("TA0003", "T1098")],
                20.0,
            )
        })
        .collect()
}

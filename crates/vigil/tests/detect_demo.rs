#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `vigil demo`'s acceptance outcome through the real pipeline: the demo's files are ingested
//! into a store with detection as the pipeline's feed; the stolen key is one composite with the
//! discovery sweep and the role session's snapshot calls as evidence, the shared snapshot is a
//! data_exfiltration alert, and the benign month stays quiet.

use std::collections::BTreeSet;
use vigil::detection::DetectFeed;
use vigil::pipeline::{self, IngestOptions, InputKind, Silent};
use vigil_model::{Alert, AlertKind, EntityKind, Severity};
use vigil_store::{AlertFilter, EventQuery, Store};

#[test]
fn demo_raises_one_compromised_key_composite_and_stays_quiet_on_benign_identities() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let m = vigil_demo::generate(&input, &vigil_demo::DemoConfig::default()).unwrap();
    let mut store = Store::open(&data).unwrap();
    let mut feed = DetectFeed::load(&store, &data).unwrap();
    let summary = pipeline::ingest(
        &mut store,
        &[input.join("cloudtrail")],
        &IngestOptions::new(InputKind::Cloudtrail),
        &Silent,
        &mut feed,
    )
    .unwrap();
    assert_eq!(feed.timeline().out_of_order, 0);
    let detect = feed.finish(&mut store).unwrap();
    assert!(detect.stats.counters.cloud_events > 20_000);

    let (alerts, _) = store.list_alerts(&AlertFilter::default()).unwrap();
    let keys: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.alert_type == "compromised_aws_keys")
        .collect();
    assert_eq!(keys.len(), 1, "exactly one compromised_aws_keys composite");
    let c = keys[0];
    assert_eq!(c.kind, AlertKind::Composite);
    assert!(
        c.entities
            .iter()
            .any(|e| e.kind == EntityKind::AccessKey && e.id == m.contractor_access_key_id)
    );

    // The evidence holds the multi-region discovery and the role session's snapshot calls.
    // Evidence carries each event's own time, so it is looked up in that event's hour.
    let ids: Vec<(vigil_model::EventSource, String, vigil_model::Timestamp)> = c
        .evidence
        .iter()
        .map(|e| {
            (
                vigil_model::EventSource::Cloudtrail,
                e.event_id.clone(),
                e.time,
            )
        })
        .collect();
    let evidence = store.events_by_ids_at(&ids).unwrap();
    assert_eq!(
        evidence.len(),
        ids.len(),
        "every piece of evidence is stored"
    );
    let sweep: BTreeSet<&str> = evidence
        .iter()
        .filter_map(|s| s.event.cloud())
        .filter(|c| c.access_key_id.as_deref() == Some(m.contractor_access_key_id.as_str()))
        .filter(|c| c.action.starts_with("Describe") || c.action.starts_with("List"))
        .map(|c| c.region.as_str())
        .collect();
    assert!(sweep.len() >= m.attack_regions.len().min(10), "{sweep:?}");
    for action in [
        "CreateDBClusterSnapshot",
        "ModifyDBClusterSnapshotAttribute",
    ] {
        assert!(
            evidence
                .iter()
                .filter_map(|s| s.event.cloud())
                .any(|c| c.action == action
                    && c.access_key_id.as_deref() == Some(m.session_access_key_id.as_str())),
            "{action} by the role session is evidence"
        );
    }
    for child in &c.children {
        assert!(
            store.get_alert(child).unwrap().is_some(),
            "child {child} is stored"
        );
    }

    // The shared snapshot.
    assert!(alerts.iter().any(|a| a.alert_type == "data_exfiltration"
        && a.entities.iter().any(|e| e.kind == EntityKind::DbSnapshot
            && m.snapshot_ids.iter().any(|s| e.id.ends_with(s.as_str())))));

    // Benign identities: nothing high, at most 20 alerts per million benign events.
    let attack: BTreeSet<&str> = m.attack_event_ids.iter().map(String::as_str).collect();
    let on_attack = |a: &Alert| {
        a.entities
            .iter()
            .any(|e| e.id == m.contractor_access_key_id || e.id == m.session_access_key_id)
            || a.evidence
                .iter()
                .any(|e| attack.contains(e.event_id.as_str()))
    };
    let benign: Vec<&Alert> = alerts.iter().filter(|a| !on_attack(a)).collect();
    assert!(
        benign.iter().all(|a| a.severity < Severity::High),
        "{benign:#?}"
    );
    let benign_events = summary.events_new as f64 - m.attack_event_ids.len() as f64;
    assert!(
        benign.len() as f64 * 1e6 / benign_events <= 20.0,
        "{} benign alerts",
        benign.len()
    );

    // The engine's state was saved; ingesting the same tree again adds nothing and raises
    // nothing new.
    let mut again = DetectFeed::load(&store, &data).unwrap();
    let s2 = pipeline::ingest(
        &mut store,
        &[input.join("cloudtrail")],
        &IngestOptions::new(InputKind::Cloudtrail),
        &Silent,
        &mut again,
    )
    .unwrap();
    assert_eq!(s2.events_new, 0);
    let d2 = again.finish(&mut store).unwrap();
    assert_eq!(d2.alerts_written, 0);
    assert!(
        d2.stats.identities > 10,
        "baselines restored from the store"
    );
    let _ = store.query_events(&EventQuery::default());
}

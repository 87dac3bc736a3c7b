#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The acceptance story of PRODUCT.md through the engine: the demo's CloudTrail, parsed by
//! the real ingest adapters, in event-time order, with the SigmaHQ CloudTrail rules loaded.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use vigil_detect::{DetectConfig, Engine, NoRules, RuleMatcher, SigmaRules};
use vigil_model::{Alert, AlertKind, EntityKind, Event, Severity};

fn demo_events(dir: &Path) -> (vigil_demo::DemoManifest, Vec<Event>) {
    let manifest = vigil_demo::generate(dir, &vigil_demo::DemoConfig::default()).unwrap();
    let found = vigil_ingest::discover(&[dir.join("cloudtrail")]);
    let mut events = Vec::new();
    for f in &found.files {
        let out = vigil_ingest::read_cloudtrail_file(f, &vigil_ingest::Limits::default());
        events.extend(out.events);
    }
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    events.dedup_by(|a, b| a.id == b.id);
    (manifest, events)
}

fn rules() -> Box<dyn RuleMatcher> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut paths: Vec<PathBuf> =
        vec![root.join("../shared/data/sigma/rules/cloud/aws/cloudtrail")];
    if root.join("rules").is_dir() {
        paths.push(root.join("rules"));
    }
    paths.retain(|p| p.is_dir());
    if paths.is_empty() {
        return Box::new(NoRules);
    }
    let (set, _problems) = vigil_sigma::RuleSet::load_paths(&paths);
    Box::new(SigmaRules::new(set))
}

fn is_attack(a: &Alert, m: &vigil_demo::DemoManifest) -> bool {
    let attack_ids: BTreeSet<&str> = m.attack_event_ids.iter().map(String::as_str).collect();
    a.entities
        .iter()
        .any(|e| e.id == m.contractor_access_key_id || e.id == m.session_access_key_id)
        || a.evidence
            .iter()
            .any(|e| attack_ids.contains(e.event_id.as_str()))
}

#[test]
fn the_stolen_key_story_is_one_composite_and_benign_days_are_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let (m, events) = demo_events(dir.path());
    let mut engine = Engine::new(DetectConfig::default(), rules());
    let mut alerts: std::collections::BTreeMap<String, Alert> = Default::default();
    for e in &events {
        engine.process(e);
    }
    engine.flush();
    for a in engine.take_alerts() {
        alerts.insert(a.id.clone(), a);
    }
    let stats = engine.stats();
    eprintln!("{}", serde_json::to_string_pretty(&stats).unwrap());
    for a in alerts.values() {
        eprintln!(
            "{} {:?} {} {} [{}] ev={} children={} attack={}",
            a.id,
            a.kind,
            a.alert_type,
            a.severity,
            a.title,
            a.evidence.len(),
            a.children.len(),
            is_attack(a, &m)
        );
    }
    let composites: Vec<&Alert> = alerts
        .values()
        .filter(|a| a.alert_type == "compromised_aws_keys")
        .collect();
    assert_eq!(composites.len(), 1, "one compromised_aws_keys composite");
    let c = composites[0];
    assert_eq!(c.kind, AlertKind::Composite);
    assert!(
        c.entities
            .iter()
            .any(|e| e.kind == EntityKind::AccessKey && e.id == m.contractor_access_key_id)
    );
    // Evidence: the multi-region discovery calls and the role session's snapshot calls.
    let ev: BTreeSet<&str> = c.evidence.iter().map(|e| e.event_id.as_str()).collect();
    let by_id: std::collections::HashMap<&str, &Event> =
        events.iter().map(|e| (e.id.as_str(), e)).collect();
    let discovery_regions: BTreeSet<&str> = c
        .evidence
        .iter()
        .filter_map(|e| by_id.get(e.event_id.as_str())?.cloud())
        .filter(|c| c.action.starts_with("Describe") || c.action.starts_with("List"))
        .map(|c| c.region.as_str())
        .collect();
    assert!(discovery_regions.len() >= 10, "{discovery_regions:?}");
    for action in [
        "CreateDBClusterSnapshot",
        "ModifyDBClusterSnapshotAttribute",
    ] {
        assert!(
            c.evidence.iter().any(|e| by_id
                .get(e.event_id.as_str())
                .and_then(|e| e.cloud())
                .is_some_and(|c| c.action == action
                    && c.access_key_id.as_deref() == Some(m.session_access_key_id.as_str()))),
            "{action} by the role session is evidence"
        );
    }
    assert!(
        m.attack_event_ids
            .iter()
            .filter(|id| ev.contains(id.as_str()))
            .count()
            * 10
            >= m.attack_event_ids.len() * 9
    );
    // Children are stored and reachable.
    for child in &c.children {
        assert!(alerts.contains_key(child), "child {child} is stored");
    }
    // A data_exfiltration alert for the shared snapshot.
    assert!(alerts.values().any(|a| a.alert_type == "data_exfiltration"
        && a.entities.iter().any(|e| e.kind == EntityKind::DbSnapshot
            && m.snapshot_ids.iter().any(|s| e.id.ends_with(s.as_str())))));
    // Quiet on benign identities.
    let benign: Vec<&Alert> = alerts.values().filter(|a| !is_attack(a, &m)).collect();
    for a in &benign {
        assert!(
            a.severity < Severity::High,
            "high alert on a benign identity: {a:?}"
        );
    }
    let benign_events = events.len() - m.attack_event_ids.len();
    let per_million = benign.len() as f64 * 1e6 / benign_events as f64;
    eprintln!(
        "benign alerts: {} over {benign_events} benign events = {per_million:.1} per million",
        benign.len()
    );
    assert!(
        per_million <= 20.0,
        "{per_million} benign alerts per million events"
    );
}

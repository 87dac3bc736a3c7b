#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The host half of the PRODUCT.md story through the engine: the demo's agent files, read by
//! the real ingest adapter, in event-time order, with and without the SigmaHQ Linux rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vigil_detect::{DetectConfig, Engine, NoRules, RuleMatcher, SigmaRules};
use vigil_model::{Alert, AlertKind, EntityKind, Event, Severity};

fn agent_events(dir: &Path) -> (vigil_demo::DemoManifest, Vec<Event>) {
    let manifest = vigil_demo::generate(dir, &vigil_demo::DemoConfig::default()).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("agent"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "the demo writes several agent files");
    let mut events = Vec::new();
    for f in &files {
        let out = vigil_ingest::read_host_file(f, &vigil_ingest::Limits::default());
        assert!(out.skips.is_empty(), "{f:?}: {:?}", out.skips);
        events.extend(out.events);
    }
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    (manifest, events)
}

fn linux_rules() -> Box<dyn RuleMatcher> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigma/rules/linux");
    if !root.is_dir() {
        return Box::new(NoRules);
    }
    let (set, _problems) = vigil_sigma::RuleSet::load_paths(&[root]);
    Box::new(SigmaRules::new(set))
}

fn run(events: &[Event], rules: Box<dyn RuleMatcher>) -> BTreeMap<String, Alert> {
    let mut engine = Engine::new(DetectConfig::default(), rules);
    let mut alerts = BTreeMap::new();
    for e in events {
        engine.process(e);
    }
    engine.flush();
    for a in engine.take_alerts() {
        alerts.insert(a.id.clone(), a);
    }
    alerts
}

/// The story stage of a child alert, in story order.
fn stage(alert_type: &str) -> Option<usize> {
    match alert_type {
        "container_escape" | "docker_socket_access" => Some(0),
        "privilege_escalation" => Some(1),
        "host_discovery" => Some(2),
        "reverse_shell" => Some(3),
        _ => None,
    }
}

fn check_story(m: &vigil_demo::DemoManifest, events: &[Event], alerts: &BTreeMap<String, Alert>) {
    for a in alerts.values() {
        eprintln!(
            "{} {:?} {} {} [{}] ev={} children={}",
            a.id,
            a.kind,
            a.alert_type,
            a.severity,
            a.title,
            a.evidence.len(),
            a.children.len()
        );
    }
    let composites: Vec<&Alert> = alerts
        .values()
        .filter(|a| a.alert_type == "compromised_host")
        .collect();
    assert_eq!(composites.len(), 1, "one compromised_host composite");
    let c = composites[0];
    for e in &c.evidence {
        eprintln!("  {} {}", e.time, e.summary);
    }
    let ids: std::collections::BTreeSet<&str> =
        c.evidence.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(
        ids.len(),
        c.evidence.len(),
        "each event once in the evidence"
    );
    assert_eq!(c.kind, AlertKind::Composite);
    assert!(c.severity >= Severity::High);
    assert!(
        c.entities
            .iter()
            .any(|e| e.kind == EntityKind::Host && e.id == m.compromised_instance_id),
        "{:?}",
        c.entities
    );
    assert!(
        c.entities
            .iter()
            .any(|e| e.kind == EntityKind::Container && e.id == m.container_id)
    );
    // Children: stored, and the stages appear in story order.
    let mut first: [Option<usize>; 4] = [None; 4];
    for (i, id) in c.children.iter().enumerate() {
        let child = alerts
            .get(id)
            .unwrap_or_else(|| panic!("child {id} is stored"));
        if let Some(s) = stage(&child.alert_type) {
            first[s].get_or_insert(i);
        }
    }
    let order: Vec<usize> = first
        .iter()
        .map(|f| f.expect("every stage is a child"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // Evidence: in time order, and it holds the process tree from the container shell to
    // the reverse shell, with the pid/ppid chain in the summaries.
    assert!(c.evidence.windows(2).all(|w| w[0].time <= w[1].time));
    let by_id: BTreeMap<&str, &Event> = events.iter().map(|e| (e.id.as_str(), e)).collect();
    let started: Vec<(u32, u32, String)> = c
        .evidence
        .iter()
        .filter_map(|e| match &by_id.get(e.event_id.as_str())?.host()?.kind {
            vigil_model::HostEventKind::ProcessStart { process } => {
                Some((process.pid, process.ppid, process.exe.clone()))
            }
            _ => None,
        })
        .collect();
    for exe in ["/usr/bin/nsenter", "/usr/bin/sudo", "/usr/bin/whoami"] {
        assert!(
            started.iter().any(|(_, _, e)| e == exe),
            "{exe} in evidence"
        );
    }
    let reverse = c
        .evidence
        .iter()
        .find(|e| e.summary.contains("bash -i") && e.summary.contains("started"))
        .expect("the reverse shell's start is evidence");
    assert!(reverse.summary.contains("ppid"), "{}", reverse.summary);
    // Walk from the reverse shell up to the escaped shell through evidence only.
    let pids: BTreeMap<u32, u32> = started.iter().map(|(p, pp, _)| (*p, *pp)).collect();
    let (rs_pid, _, _) = started
        .iter()
        .rev()
        .find(|(_, _, e)| e == "/usr/bin/bash")
        .unwrap();
    let mut cur = *rs_pid;
    let mut depth = 0;
    while let Some(pp) = pids.get(&cur) {
        cur = *pp;
        depth += 1;
        if depth > 20 {
            break;
        }
    }
    assert!(
        depth >= 5,
        "the tree is evidence: {depth} levels above the reverse shell"
    );
    // Nothing high on the other hosts.
    for a in alerts.values() {
        let on_compromised = a
            .entities
            .iter()
            .any(|e| e.kind == EntityKind::Host && e.id == m.compromised_instance_id);
        if !on_compromised {
            assert!(a.severity < Severity::High, "benign host alert: {a:?}");
        }
    }
}

#[test]
fn demo_host_attack_is_one_compromised_host_composite_in_story_order() {
    let dir = tempfile::tempdir().unwrap();
    let (m, events) = agent_events(dir.path());
    let alerts = run(&events, Box::new(NoRules));
    check_story(&m, &events, &alerts);
}

#[test]
fn demo_host_story_holds_with_the_sigma_linux_rules_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let (m, events) = agent_events(dir.path());
    let alerts = run(&events, linux_rules());
    check_story(&m, &events, &alerts);
}

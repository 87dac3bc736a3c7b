#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Repeated rule findings are folded into the incident that holds them without being built
//! (`Correlator::repeat_rule`). The short way must change nothing: the same alerts, byte for
//! byte, and the same counters as building every finding and merging it. Held to that over
//! Panther's CloudTrail rule-test events (rule tests: most events fire rules, many the same
//! ones on the same identity), several times over and in time order, as `vigil rules hunt`
//! detects them, with the SigmaHQ rules and Vigil's own pack.

use std::path::{Path, PathBuf};
use vigil_detect::{DetectConfig, Engine, SigmaRules};
use vigil_model::Event;

fn rules() -> SigmaRules {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let paths: Vec<PathBuf> = vec![
        root.join("../shared/data/sigma/rules/cloud/aws/cloudtrail"),
        root.join("rules"),
    ];
    for p in &paths {
        assert!(p.is_dir(), "{} is missing", p.display());
    }
    let (set, _problems) = vigil_sigma::RuleSet::load_paths(&paths);
    SigmaRules::new(set)
}

fn panther_events(copies: usize) -> Vec<Event> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sample = root.join("../shared/peers/samples/cloudtrail_panther.jsonl");
    let text = std::fs::read_to_string(&sample).expect("the peers' Panther sample");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("panther.jsonl");
    // Each copy's events get ids of their own, as distinct events would have (copies with
    // one id would be deduplicated out of every timeline and evidence list).
    let mut all = String::new();
    for k in 0..copies {
        all.push_str(&text.replace("\"eventID\": \"", &format!("\"eventID\": \"c{k}-")));
    }
    std::fs::write(&path, all).unwrap();
    let out = vigil_ingest::read_cloudtrail_file(&path, &vigil_ingest::Limits::default());
    let mut events = out.events;
    vigil_model::sort_by_time(&mut events);
    events
}

fn run(events: &[Event], shortcut: bool) -> (String, String, u64) {
    // Room for every piece of evidence, so that each one the short way adds or leaves out
    // shows in the alerts.
    let config = DetectConfig {
        max_evidence: 100_000,
        ..DetectConfig::default()
    };
    let mut engine = Engine::new(config, Box::new(rules()));
    engine.set_repeat_shortcut(shortcut);
    let mut alerts = Vec::new();
    for (i, e) in events.iter().enumerate() {
        engine.process(e);
        // Alerts are taken now and then as well as at the end, as ingest does per batch.
        if i % 7 == 0 {
            alerts.extend(engine.take_alerts());
        }
    }
    engine.flush();
    alerts.extend(engine.take_alerts());
    let stats = serde_json::to_string(&engine.stats()).unwrap();
    let folded = engine.repeats_folded();
    (serde_json::to_string(&alerts).unwrap(), stats, folded)
}

#[test]
fn folding_repeats_gives_the_alerts_building_them_gives() {
    let events = panther_events(6);
    assert!(events.len() > 2_500, "{}", events.len());
    let (short_alerts, short_stats, folded) = run(&events, true);
    let (long_alerts, long_stats, none) = run(&events, false);
    eprintln!(
        "{} events, {folded} repeats folded, {} bytes of alerts",
        events.len(),
        short_alerts.len()
    );
    assert_eq!(none, 0);
    // The short way was taken, and often: otherwise this test shows nothing.
    assert!(folded > 1_000, "only {folded} repeats folded");
    assert_eq!(short_stats, long_stats);
    assert!(short_alerts.len() > 10_000, "{}", short_alerts.len());
    assert_eq!(short_alerts, long_alerts);
}

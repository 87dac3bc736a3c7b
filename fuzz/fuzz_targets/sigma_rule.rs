//! A Sigma rule file's text → compiled, indexed rules. Checks:
//! - loading is deterministic (same rule ids, same problems);
//! - every problem names the file, every loaded rule has an id and its file's path;
//! - the indexed matcher (eventName/eventSource and image-name index, other cloud fields,
//!   literal prefilters) finds exactly the rules the exhaustive reference finds, over sample
//!   cloud and host events (the ingest fixtures: CloudTrail records, agent lines, Falco
//!   alerts, an auditd log).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vigil_ingest::{FileContext, Limits, parse_cloudtrail, parse_host_any};
use vigil_model::Event;
use vigil_sigma::{RuleRef, RuleSet, RuleSource};

const CLOUD: &[&[u8]] = &[
    include_bytes!("../../crates/vigil-ingest/tests/fixtures/good/records.json"),
    include_bytes!("../../crates/vigil-ingest/tests/fixtures/good/lookup_events.json"),
    include_bytes!("../../crates/vigil-ingest/tests/fixtures/good/eventbridge.jsonl"),
];
const HOST: &[&[u8]] = &[
    include_bytes!("../../crates/vigil-detect/tests/data/agent_reverse_shell.jsonl"),
    include_bytes!("../../crates/vigil-ingest/tests/fixtures/falco/alerts.jsonl"),
    include_bytes!("../../crates/vigil-ingest/tests/fixtures/auditd/host-story.log"),
];

fn sample_events() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let ctx = FileContext::new(&Limits::default());
        let mut all = Vec::new();
        for bytes in CLOUD {
            all.extend(parse_cloudtrail(bytes, &ctx).events);
        }
        for bytes in HOST {
            all.extend(parse_host_any(bytes, &ctx).events);
        }
        assert!(
            all.len() > 20,
            "the sample events did not parse: {}",
            all.len()
        );
        all
    })
}

fn load(text: &str) -> (RuleSet, Vec<vigil_sigma::LoadProblem>) {
    RuleSet::from_sources([RuleSource {
        path: PathBuf::from("fuzz.yml"),
        text: text.to_string(),
    }])
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (set, problems) = load(&text);
    let (again, problems_again) = load(&text);
    assert_eq!(problems, problems_again, "problems not deterministic");
    let ids: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    let ids_again: Vec<&str> = again.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ids_again, "rules not deterministic");
    for p in &problems {
        assert_eq!(p.path, Path::new("fuzz.yml"), "problem without its file");
    }
    for r in set.rules() {
        assert!(!r.id.is_empty(), "rule without an id");
        assert_eq!(r.path, Path::new("fuzz.yml"));
    }
    if set.is_empty() {
        return;
    }
    let (mut fast, mut slow): (Vec<RuleRef>, Vec<RuleRef>) = (Vec::new(), Vec::new());
    for event in sample_events() {
        fast.clear();
        slow.clear();
        set.matches(event, &mut fast);
        set.matches_exhaustive(event, &mut slow);
        assert_eq!(
            fast, slow,
            "index and exhaustive matching differ on {}",
            event.id
        );
    }
});

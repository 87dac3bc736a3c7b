//! The agent JSON-lines format, checked against its own documentation.

use vigil_ingest::{FileContext, Limits, SkipReason, parse_host_bytes};
use vigil_model::EventSource;

fn doc_examples() -> String {
    let md = include_str!("../AGENT_EVENTS.md");
    md.lines()
        .filter(|l| l.starts_with("{\"id\":\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn documented_examples_parse_and_round_trip() {
    let text = doc_examples();
    let out = parse_host_bytes(text.as_bytes(), &FileContext::new(&Limits::default()));
    assert!(out.skips.is_empty(), "{:?}", out.skips);
    let kinds: Vec<_> = out
        .events
        .iter()
        .map(|e| e.host().unwrap().kind.name())
        .collect();
    assert_eq!(
        kinds,
        [
            "process_start",
            "process_exit",
            "network",
            "login",
            "file_access",
            "privilege_change"
        ]
    );
    // Each documented line is exactly the serialisation of the event it parses to.
    for (line, ev) in text.lines().zip(&out.events) {
        assert_eq!(ev.source, EventSource::Agent);
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        let b = serde_json::to_value(ev).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn missing_ids_are_derived_and_bad_lines_skipped() {
    let text = doc_examples();
    let first = text
        .lines()
        .next()
        .unwrap()
        .replacen("\"id\":\"h-1\",", "", 1);
    let input = format!(
        "{first}\nnot json\n\n{{\"id\":\"x\",\"source\":\"agent\"}}\n[1]\n{}\n",
        text.lines().nth(3).unwrap()
    );
    let ctx = FileContext::new(&Limits::default());
    let out = parse_host_bytes(input.as_bytes(), &ctx);
    assert_eq!(out.events.len(), 2);
    assert!(out.events[0].id.starts_with("vigil-"));
    assert_eq!(
        out.events[0].id,
        parse_host_bytes(input.as_bytes(), &ctx).events[0].id
    );
    let skips: Vec<_> = out
        .skips
        .iter()
        .map(|s| (s.reason, s.location.line))
        .collect();
    assert_eq!(
        skips,
        [
            (SkipReason::InvalidJson, Some(2)),
            (SkipReason::MissingField("time"), Some(4)),
            (SkipReason::InvalidRecord, Some(5)),
        ]
    );
    let empty = parse_host_bytes(b"  \n", &ctx);
    assert_eq!(empty.skips[0].reason, SkipReason::EmptyFile);
}

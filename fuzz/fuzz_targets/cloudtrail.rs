//! CloudTrail bytes in any shape → events. Checks, for two record-size limits:
//! - the one-pass fast path gives exactly what the general path gives (events, skips with
//!   reasons and places, record counts);
//! - parsing is deterministic;
//! - every event has a non-empty id (ingest dedups on it);
//! - every record counted became one event or one skip: `events + located skips <= records
//!   <= events + skips` (file-level skips such as `empty_file` count no record; a lone
//!   record's skip has no place).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_ingest::{FileContext, Limits, parse_cloudtrail, parse_cloudtrail_general};

fuzz_target!(|data: &[u8]| {
    for max_record_bytes in [Limits::DEFAULT_MAX_RECORD_BYTES, 300] {
        let ctx = FileContext {
            max_record_bytes,
            account: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            ..FileContext::new(&Limits::default())
        };
        let fast = parse_cloudtrail(data, &ctx);
        let general = parse_cloudtrail_general(data, &ctx);
        assert_eq!(fast, general, "fast path and general path differ");
        assert_eq!(fast, parse_cloudtrail(data, &ctx), "not deterministic");
        for e in &fast.events {
            assert!(!e.id.is_empty(), "event without an id");
        }
        let events = fast.events.len() as u64;
        let skips = fast.skips.len() as u64;
        let located = fast
            .skips
            .iter()
            .filter(|s| s.location.record.is_some() || s.location.line.is_some())
            .count() as u64;
        assert!(
            events + located <= fast.records && fast.records <= events + skips,
            "records {} vs events {events}, skips {skips} ({located} located)",
            fast.records
        );
    }
});

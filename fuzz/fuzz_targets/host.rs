//! Host events in any format `vigil ingest host` takes (agent JSON lines, Falco alerts,
//! auditd logs; sniffed). Checks, for two record-size limits:
//! - parsing is deterministic, and `parse_host_any` is the parser its sniffed format names;
//! - every event is a host event with a non-empty id;
//! - every record counted became exactly one event or one skip with a place
//!   (`records == events + located skips`); a skip without a place is a whole-file one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_ingest::{
    FileContext, HostFormat, Limits, UNKNOWN_HOST, parse_auditd_bytes, parse_falco_bytes,
    parse_host_any, parse_host_bytes, sniff_host_format,
};
use vigil_model::EventBody;

fuzz_target!(|data: &[u8]| {
    for max_record_bytes in [Limits::DEFAULT_MAX_RECORD_BYTES, 200] {
        let ctx = FileContext {
            max_record_bytes,
            ..FileContext::new(&Limits::default())
        };
        let out = parse_host_any(data, &ctx);
        assert_eq!(out, parse_host_any(data, &ctx), "not deterministic");
        let direct = match sniff_host_format(data) {
            HostFormat::Agent => parse_host_bytes(data, &ctx),
            HostFormat::Falco => parse_falco_bytes(data, &ctx),
            HostFormat::Auditd => parse_auditd_bytes(data, &ctx, UNKNOWN_HOST),
        };
        assert_eq!(out, direct, "parse_host_any is not the sniffed parser");
        for e in &out.events {
            assert!(!e.id.is_empty(), "event without an id");
            assert!(
                matches!(e.body, EventBody::Host(_)),
                "a host parser made a cloud event"
            );
        }
        let located = out
            .skips
            .iter()
            .filter(|s| s.location.record.is_some() || s.location.line.is_some())
            .count() as u64;
        assert_eq!(
            out.records,
            out.events.len() as u64 + located,
            "records vs events {} + located skips {located}",
            out.events.len()
        );
    }
});

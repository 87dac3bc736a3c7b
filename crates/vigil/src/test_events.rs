//! CloudTrail events for unit tests, parsed by the real ingest path.

#![allow(clippy::unwrap_used)]

use vigil_ingest::{FileContext, Limits, parse_cloudtrail_bytes};
use vigil_model::{Event, Timestamp};

/// One line of CloudTrail: event `e{id}` at `time`.
fn line(id: usize, time: Timestamp) -> String {
    format!(
        r#"{{"eventID":"e{id}","eventTime":"{}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","recipientAccountId":"111122223333","userIdentity":{{"type":"Root","accountId":"111122223333"}}}}"#,
        time.to_rfc3339()
    )
}

/// Events `e{id}` at the given times (milliseconds), in that order.
pub fn events_at(times: impl IntoIterator<Item = (usize, i64)>) -> Vec<Event> {
    let lines: Vec<String> = times
        .into_iter()
        .map(|(id, ms)| line(id, Timestamp::from_millis(ms)))
        .collect();
    if lines.is_empty() {
        return Vec::new();
    }
    let (events, skips) = parse_cloudtrail_bytes(
        lines.join("\n").as_bytes(),
        &FileContext::new(&Limits::default()),
    );
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(events.len(), lines.len());
    events
}

/// `n` events `e0`, `e1`, ... all at 2026-01-01T00:00:00Z.
pub fn events(n: usize) -> Vec<Event> {
    let t = Timestamp::parse("2026-01-01T00:00:00Z")
        .unwrap()
        .as_millis();
    events_at((0..n).map(|i| (i, t)))
}

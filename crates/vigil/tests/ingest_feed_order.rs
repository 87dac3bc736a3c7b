#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The pipeline feeds detection the new events in event-time order, the same whether it held
//! them in memory or read them back from the store (on a second thread beside the feed when
//! there is a core for it): the demo's CloudTrail ingested into two fresh stores, once with
//! every event held and once with none, gives one sequence.

use vigil::pipeline::{self, EventFeed, IngestOptions, InputKind, Silent};
use vigil_model::{Event, Timestamp};
use vigil_store::Store;

/// Remembers every event it was fed: its time and id.
#[derive(Default)]
struct Seen(Vec<(Timestamp, String)>);

impl EventFeed for Seen {
    fn feed(&mut self, event: &Event) {
        self.0.push((event.time, event.id.clone()));
    }
}

fn ingest(
    input: &std::path::Path,
    data: &std::path::Path,
    held_events: usize,
) -> Vec<(Timestamp, String)> {
    let mut store = Store::open(data).unwrap();
    let mut seen = Seen::default();
    let options = IngestOptions {
        held_events,
        ..IngestOptions::new(InputKind::Cloudtrail)
    };
    let summary = pipeline::ingest(
        &mut store,
        &[input.to_path_buf()],
        &options,
        &Silent,
        &mut seen,
    )
    .unwrap();
    assert_eq!(seen.0.len() as u64, summary.events_new);
    seen.0
}

#[test]
fn held_and_read_back_events_reach_the_feed_in_the_same_time_order() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    vigil_demo::generate(&input, &vigil_demo::DemoConfig::default()).unwrap();
    let cloudtrail = input.join("cloudtrail");
    let held = ingest(&cloudtrail, &tmp.path().join("held"), usize::MAX);
    let read_back = ingest(&cloudtrail, &tmp.path().join("read-back"), 0);
    assert!(held.len() > 20_000, "{} events", held.len());
    assert!(
        held.windows(2).all(|w| w[0].0 <= w[1].0),
        "held events come in time order"
    );
    // (time, store sequence) orders both: the same events in the same order.
    assert_eq!(held, read_back);
}

//! `query_events` against a naive in-memory filter over the same events.

use crate::fixtures::{T0, mixed_events};
use proptest::prelude::*;
use std::sync::OnceLock;
use vigil_model::{EntityRef, Event, EventSource, Timestamp};
use vigil_store::{EventQuery, Store};

const N: usize = 400;

fn events() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| mixed_events(N))
}

/// Every entity the events involve, to pick query entities from.
fn entities() -> Vec<EntityRef> {
    let mut all: Vec<_> = events().iter().flat_map(Event::entities).collect();
    all.sort();
    all.dedup();
    all
}

fn naive(q: &EventQuery) -> Vec<String> {
    // insertion order is seq order, so a stable sort by time gives (time, seq)
    let mut hits: Vec<&Event> = events()
        .iter()
        .filter(|e| q.entity.as_ref().is_none_or(|x| e.entities().contains(x)))
        .filter(|e| q.since.is_none_or(|t| e.time >= t))
        .filter(|e| q.until.is_none_or(|t| e.time < t))
        .filter(|e| q.source.is_none_or(|s| e.source == s))
        .filter(|e| q.action.as_ref().is_none_or(|a| &e.action() == a))
        .collect();
    hits.sort_by_key(|e| e.time);
    hits.truncate(q.limit.unwrap_or(usize::MAX));
    hits.into_iter().map(|e| e.id.clone()).collect()
}

fn query() -> impl Strategy<Value = EventQuery> {
    let entities = entities();
    let n = entities.len();
    (
        proptest::option::weighted(0.7, 0..n),
        proptest::option::of(0i64..300),
        proptest::option::of(0i64..300),
        proptest::option::of(prop_oneof![
            Just(EventSource::Cloudtrail),
            Just(EventSource::Agent)
        ]),
        proptest::option::weighted(
            0.2,
            prop_oneof![
                Just("process_start"),
                Just("ec2:RunInstances"),
                Just("iam:ListUsers")
            ],
        ),
        proptest::option::of(0usize..30),
    )
        .prop_map(
            move |(entity, since, until, source, action, limit)| EventQuery {
                entity: entity.map(|i| entities[i].clone()),
                since: since.map(|m| Timestamp::from_millis(T0 + m * 60_000)),
                until: until.map(|m| Timestamp::from_millis(T0 + m * 60_000)),
                source,
                action: action.map(str::to_string),
                limit,
                after_seq: None,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn query_events_equals_a_naive_filter(q in query()) {
        thread_local! {
            static STORE: Store = {
                // Several segments, so lookups that go segment by segment are exercised.
                let mut s = Store::open_in_memory().unwrap();
                for batch in events().chunks(60) {
                    s.insert_events(batch).unwrap();
                }
                s
            };
        }
        let got: Vec<String> = STORE.with(|s| s.query_events(&q).unwrap())
            .into_iter()
            .map(|s| s.event.id)
            .collect();
        prop_assert_eq!(got, naive(&q));
    }
}

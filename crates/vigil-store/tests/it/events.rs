use crate::fixtures::{T0, cloud_event, host_event, ip, key, mixed_events};
use std::ops::ControlFlow;
use vigil_model::{EntityKind, EntityRef, EventSource, Timestamp};
use vigil_store::{EventQuery, EventStore, Store};

#[test]
fn events_round_trip_exactly() {
    let mut store = Store::open_in_memory().unwrap();
    let events = vec![
        cloud_event("a", T0, 1, true),
        cloud_event("b", T0 + 1, 2, false),
        host_event("c", T0 + 2, 3),
    ];
    let outcome = store.insert_events(&events).unwrap();
    assert_eq!(outcome.new_count(), 3);
    let got: Vec<_> = store
        .query_events(&EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|s| s.event)
        .collect();
    assert_eq!(got, events);
}

#[test]
fn reinserting_a_batch_adds_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let events = mixed_events(300);
    let first = store.insert_events(&events).unwrap();
    assert_eq!(first.new_count(), 300);
    assert!(first.is_new(0) && first.is_new(299));
    let second = store.insert_events(&events).unwrap();
    assert_eq!(second.new_count(), 0);
    assert_eq!(second.duplicate_count(), 300);
    assert_eq!(second.new_events(&events).count(), 0);
    assert_eq!(store.count_events().unwrap(), 300);
    assert_eq!(store.stats().unwrap().events, 300);
}

#[test]
fn duplicates_inside_one_batch_count_once_and_new_events_are_reported() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .insert_events(&[cloud_event("x", T0, 0, false)])
        .unwrap();
    let batch = vec![
        cloud_event("x", T0, 0, false),
        cloud_event("y", T0, 1, false),
        cloud_event("y", T0, 1, false),
        // same id, other source: a different event
        {
            let mut e = host_event("x", T0, 2);
            e.source = EventSource::Agent;
            e
        },
    ];
    let outcome = store.insert_events(&batch).unwrap();
    assert_eq!(
        outcome.seqs.iter().map(Option::is_some).collect::<Vec<_>>(),
        [false, true, false, true]
    );
    let new: Vec<_> = outcome.new_events(&batch).map(|e| e.id.as_str()).collect();
    assert_eq!(new, ["y", "x"]);
    assert_eq!(store.count_events().unwrap(), 3);
}

#[test]
fn entity_and_time_window_queries_return_exactly_the_right_events() {
    let mut store = Store::open_in_memory().unwrap();
    let events: Vec<_> = (0..100)
        .map(|i| cloud_event(&format!("e{i}"), T0 + i as i64 * 1000, i, false))
        .collect();
    store.insert_events(&events).unwrap();
    let k = EntityRef::new(EntityKind::AccessKey, key(3));
    let q = EventQuery {
        entity: Some(k.clone()),
        since: Some(Timestamp::from_millis(T0 + 10_000)),
        until: Some(Timestamp::from_millis(T0 + 80_000)),
        ..EventQuery::default()
    };
    let got: Vec<_> = store
        .query_events(&q)
        .unwrap()
        .into_iter()
        .map(|s| s.event.id)
        .collect();
    // keys cycle every 11 events: 14, 25, ... 69 are in [10, 80)
    assert_eq!(got, ["e14", "e25", "e36", "e47", "e58", "e69"]);

    let by_ip = store
        .query_events(&EventQuery {
            entity: Some(EntityRef::new(EntityKind::Ip, ip(5))),
            limit: Some(2),
            ..EventQuery::default()
        })
        .unwrap();
    assert_eq!(
        by_ip
            .iter()
            .map(|s| s.event.id.as_str())
            .collect::<Vec<_>>(),
        ["e5", "e22"]
    );
    let by_action = store
        .query_events(&EventQuery {
            action: Some("sts:GetCallerIdentity".to_string()),
            until: Some(Timestamp::from_millis(T0 + 20_000)),
            ..EventQuery::default()
        })
        .unwrap();
    assert_eq!(
        by_action
            .iter()
            .map(|s| s.event.id.as_str())
            .collect::<Vec<_>>(),
        ["e2", "e8", "e14"]
    );
}

#[test]
fn after_seq_pages_through_results_in_time_order() {
    let mut store = Store::open_in_memory().unwrap();
    store.insert_events(&mixed_events(250)).unwrap();
    let all = store.query_events(&EventQuery::default()).unwrap();
    assert!(
        all.windows(2)
            .all(|w| (w[0].event.time, w[0].seq) < (w[1].event.time, w[1].seq))
    );
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .query_events(&EventQuery {
                limit: Some(40),
                after_seq: cursor,
                ..EventQuery::default()
            })
            .unwrap();
        let Some(last) = page.last() else { break };
        cursor = Some(last.seq);
        paged.extend(page);
    }
    assert_eq!(paged, all);
}

#[test]
fn events_by_ids_and_streaming() {
    let mut store = Store::open_in_memory().unwrap();
    let events = mixed_events(50);
    store.insert_events(&events).unwrap();
    let got = store
        .events_by_ids(&[
            (EventSource::Agent, "h-3".to_string()),
            (EventSource::Cloudtrail, "missing".to_string()),
            (EventSource::Cloudtrail, "ev-00000001".to_string()),
        ])
        .unwrap();
    let ids: Vec<_> = got.iter().map(|s| s.event.id.as_str()).collect();
    assert_eq!(ids, ["h-3", "ev-00000001"]);

    let since = Timestamp::from_millis(T0 + 150 * 60_000);
    let mut seen = Vec::new();
    let n = EventStore::for_each_event_in_time_order(&store, Some(since), &mut |e| {
        seen.push(e);
        ControlFlow::Continue(())
    })
    .unwrap();
    let expected = store
        .query_events(&EventQuery {
            since: Some(since),
            ..EventQuery::default()
        })
        .unwrap();
    assert_eq!(n as usize, expected.len());
    assert_eq!(seen, expected);

    let mut taken = 0;
    let n = store
        .for_each_event_in_time_order(None, &mut |_| {
            taken += 1;
            if taken == 5 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!((n, taken), (5, 5));
}

#[test]
fn stats_count_per_source_and_time_range() {
    let mut store = Store::open_in_memory().unwrap();
    let events = mixed_events(40);
    store.insert_events(&events).unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(stats.events, 40);
    assert_eq!(stats.events_by_source[&EventSource::Agent].events, 10);
    assert_eq!(stats.events_by_source[&EventSource::Cloudtrail].events, 30);
    let min = events.iter().map(|e| e.time).min().unwrap();
    let max = events.iter().map(|e| e.time).max().unwrap();
    assert_eq!(stats.event_time_range, Some((min, max)));
}

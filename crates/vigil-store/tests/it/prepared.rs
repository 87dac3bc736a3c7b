//! Events prepared ahead of the write (`PreparedEvents`, as the ingest pipeline's parser threads
//! do) store exactly as `insert_events` stores them; batches that overlap stored events keep
//! their seqs dense and every stored id findable under the seq its event got.

use crate::fixtures::{T0, cloud_event, mixed_events};
use vigil_model::{Event, EventSource};
use vigil_store::{EventQuery, PreparedEvents, Store, StoredEvent};

fn all(store: &Store) -> Vec<StoredEvent> {
    store.query_events(&EventQuery::default()).unwrap()
}

#[test]
fn prepared_parts_store_as_one_batch_of_their_events() {
    let events = mixed_events(400);
    let mut plain = Store::open_in_memory().unwrap();
    let want = plain.insert_events(&events).unwrap();

    let mut prepared = Store::open_in_memory().unwrap();
    let parts: Vec<PreparedEvents> = [&events[..7], &events[7..7], &events[7..250], &events[250..]]
        .iter()
        .map(|run| PreparedEvents::prepare(run).unwrap())
        .collect();
    assert_eq!(parts.iter().map(PreparedEvents::len).sum::<usize>(), 400);
    let got = prepared.insert_prepared(&parts).unwrap();
    assert_eq!(got, want);
    assert_eq!(all(&prepared), all(&plain));
    // Entity postings merged from several parts answer as those of one.
    let mut entities: Vec<_> = events.iter().flat_map(|e| e.entities()).collect();
    entities.sort_by_key(|e| e.to_string());
    entities.dedup();
    assert!(entities.len() > 20, "{}", entities.len());
    for entity in entities {
        let q = EventQuery {
            entity: Some(entity.clone()),
            ..EventQuery::default()
        };
        let want = plain.query_events(&q).unwrap();
        assert!(!want.is_empty(), "{entity}");
        assert_eq!(prepared.query_events(&q).unwrap(), want, "{entity}");
    }
}

/// A deterministic shuffle (xorshift), so a failure reproduces.
fn shuffled(mut v: Vec<Event>, mut seed: u64) -> Vec<Event> {
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    v
}

#[test]
fn overlapping_batches_keep_seqs_dense_and_every_id_findable() {
    let mut store = Store::open_in_memory().unwrap();
    let events = mixed_events(600);
    store.insert_events(&events[100..250]).unwrap();
    // Old and new events interleaved in time, and repeats inside the batch.
    let mut batch: Vec<Event> = events[..400].to_vec();
    batch.extend_from_slice(&events[300..350]);
    let batch = shuffled(batch, 0x9e37_79b9_7f4a_7c15);
    let outcome = store.insert_events(&batch).unwrap();
    assert_eq!(outcome.new_count(), 250);
    let mut new_seqs: Vec<i64> = outcome.seqs.iter().flatten().copied().collect();
    new_seqs.sort_unstable();
    assert_eq!(
        new_seqs,
        (151..401).collect::<Vec<_>>(),
        "dense after 150 stored"
    );
    // Inside the batch, seqs follow event time.
    let mut by_seq: Vec<(i64, i64)> = batch
        .iter()
        .zip(&outcome.seqs)
        .filter_map(|(e, s)| s.map(|s| (s, e.time.as_millis())))
        .collect();
    by_seq.sort_unstable();
    assert!(by_seq.windows(2).all(|w| w[0].1 <= w[1].1));

    let stored = all(&store);
    assert_eq!(stored.len(), 400);
    let ids: Vec<(EventSource, String)> = stored
        .iter()
        .map(|s| (s.event.source, s.event.id.clone()))
        .collect();
    assert_eq!(
        store.events_by_ids(&ids).unwrap(),
        stored,
        "each id's key points at its own seq"
    );
    for event in &events[..400] {
        for entity in event.entities() {
            let found = store
                .query_events(&EventQuery {
                    entity: Some(entity.clone()),
                    ..EventQuery::default()
                })
                .unwrap();
            assert!(found.iter().any(|s| s.event == *event), "{entity}");
            assert!(found.iter().all(|s| s.event.entities().contains(&entity)));
        }
    }
    assert_eq!(store.insert_events(&events[..400]).unwrap().new_count(), 0);
}

#[test]
fn batches_larger_than_one_key_statement_and_reingested_in_parts() {
    let mut store = Store::open_in_memory().unwrap();
    let events: Vec<Event> = (0..1000)
        .map(|i| cloud_event(&format!("k-{i}"), T0 + (i as i64 % 37), i, false))
        .collect();
    let parts: Vec<PreparedEvents> = events
        .chunks(333)
        .map(|c| PreparedEvents::prepare(c).unwrap())
        .collect();
    assert_eq!(store.insert_prepared(&parts).unwrap().new_count(), 1000);
    assert_eq!(store.insert_prepared(&parts[1..]).unwrap().new_count(), 0);
    assert_eq!(store.count_events().unwrap(), 1000);
}

#[test]
fn buffers_prepared_again_hold_nothing_of_their_last_run() {
    let events = mixed_events(300);
    let spent = PreparedEvents::prepare(&events[..200]).unwrap();
    let again = spent.prepare_again(&events[200..]).unwrap();
    assert_eq!(again.len(), 100);
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(store.insert_prepared(&[again]).unwrap().new_count(), 100);
    let mut plain = Store::open_in_memory().unwrap();
    plain.insert_events(&events[200..]).unwrap();
    assert_eq!(all(&store), all(&plain));
    let entity = events[0].entities().remove(0);
    let q = EventQuery {
        entity: Some(entity),
        ..EventQuery::default()
    };
    assert_eq!(
        store.query_events(&q).unwrap(),
        plain.query_events(&q).unwrap()
    );
}

/// A segment naming more entities than one multi-row insert carries (object-level S3 events:
/// an object each): every entity's events are found, and only those.
#[test]
fn segments_with_thousands_of_entities() {
    let events: Vec<Event> = (0..1000)
        .map(|n| {
            let mut e = cloud_event(&format!("obj-{n:05}"), T0 + n as i64 * 1000, n, false);
            if let vigil_model::EventBody::Cloud(c) = &mut e.body {
                c.resources = vec![vigil_model::ResourceRef {
                    id: format!("arn:aws:s3:::exports/part-{:05}.parquet", n / 2).into(),
                    kind: Some("AWS::S3::Object".into()),
                    account: None,
                }]
                .into();
            }
            e
        })
        .collect();
    let mut store = Store::open_in_memory().unwrap();
    let parts = [
        PreparedEvents::prepare(&events[..333]).unwrap(),
        PreparedEvents::prepare(&events[333..]).unwrap(),
    ];
    assert_eq!(store.insert_prepared(&parts).unwrap().new_count(), 1000);
    for pair in events.chunks(2) {
        let object = pair[0].entities().pop().unwrap();
        assert!(object.id.contains("part-"), "{object}");
        let found = store
            .query_events(&EventQuery {
                entity: Some(object.clone()),
                ..EventQuery::default()
            })
            .unwrap();
        let ids: Vec<&str> = found.iter().map(|s| s.event.id.as_str()).collect();
        let want: Vec<&str> = pair.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, want, "{object}");
    }
}

/// Documents of one run spread over several chunks, with some larger than a chunk's headroom
/// and one larger than a whole chunk: each reads back as exactly the event stored.
#[test]
fn documents_across_chunks_read_back_whole() {
    use crate::fixtures::cloud_event;
    use vigil_model::{EventBody, RawJson};
    let mut events: Vec<Event> = (0..3000)
        .map(|i| cloud_event(&format!("big-{i:05}"), T0 + i as i64 * 1000, i, true))
        .collect();
    for (at, size) in [(5usize, 300 << 10), (1500, 5 << 20), (1501, 200 << 10)] {
        if let EventBody::Cloud(c) = &mut events[at].body {
            let text = serde_json::json!({ "blob": "x".repeat(size) }).to_string();
            c.request_parameters = Some(RawJson::parse(text).unwrap());
        }
    }
    let prepared = PreparedEvents::prepare(&events).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    assert_eq!(
        store.insert_prepared(&[prepared]).unwrap().new_count(),
        3000
    );
    let stored = all(&store);
    assert_eq!(stored.len(), 3000);
    for s in stored {
        let i: usize = s.event.id.trim_start_matches("big-").parse().unwrap();
        assert!(s.event == events[i], "event {i} changed in the store");
    }
}

//! Event segments on disk: they outlive the process, a damaged one gives an error (never a
//! panic or a wrong event), and a failed write leaves the store as it was.

use crate::fixtures::{T0, cloud_event, mixed_events};
use std::ops::ControlFlow;
use vigil_model::EventSource;
use vigil_store::{EVENTS_DIR, EventQuery, Store};

fn segment_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join(EVENTS_DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "vseg"))
        .collect();
    files.sort();
    files
}

#[test]
fn events_survive_reopening_and_dedup_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let events = mixed_events(500);
    {
        let mut store = Store::open(dir.path()).unwrap();
        store.insert_events(&events[..300]).unwrap();
        store.insert_events(&events[200..]).unwrap();
    }
    assert_eq!(
        segment_files(dir.path()).len(),
        2,
        "one segment per batch with new events"
    );
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.count_events().unwrap(), 500);
    assert_eq!(store.insert_events(&events).unwrap().new_count(), 0);
    assert_eq!(
        segment_files(dir.path()).len(),
        2,
        "a batch of duplicates writes nothing"
    );
    let mut ids: Vec<String> = Vec::new();
    store
        .for_each_event_in_time_order(None, &mut |e| {
            ids.push(e.event.id);
            ControlFlow::Continue(())
        })
        .unwrap();
    let mut want = events.clone();
    want.sort_by_key(|e| e.time);
    assert_eq!(ids.len(), 500);
    let stored = store.events_by_ids(&[(EventSource::Cloudtrail, events[0].id.clone())]);
    assert_eq!(
        stored.unwrap().len(),
        usize::from(events[0].source == EventSource::Cloudtrail)
    );
}

#[test]
fn a_truncated_segment_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        let events: Vec<_> = (0..50)
            .map(|i| cloud_event(&format!("e{i}"), T0 + i, i as usize, true))
            .collect();
        store.insert_events(&events).unwrap();
    }
    let file = segment_files(dir.path()).remove(0);
    let len = std::fs::metadata(&file).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let store = Store::open(dir.path()).unwrap();
    let err = store.query_events(&EventQuery::default()).unwrap_err();
    assert!(err.to_string().contains("seg-"), "{err}");
    // The first events are whole and still readable one by one.
    let first = store
        .events_by_ids(&[(EventSource::Cloudtrail, "e0".to_string())])
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].event.id, "e0");
}

#[test]
fn a_failed_segment_write_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // A file where the segment directory should be makes the write fail.
    std::fs::write(dir.path().join(EVENTS_DIR), b"not a directory").unwrap();
    let events = mixed_events(20);
    assert!(store.insert_events(&events).is_err());
    assert_eq!(store.count_events().unwrap(), 0);
    std::fs::remove_file(dir.path().join(EVENTS_DIR)).unwrap();
    assert_eq!(
        store.insert_events(&events).unwrap().new_count(),
        20,
        "keys were rolled back"
    );
}

/// A store from schema V4 kept S3 objects' postings with every other entity's; opening it
/// moves them to their own table, and queries for objects and buckets answer as before.
#[test]
fn object_postings_of_a_v4_store_move_to_their_own_table() {
    let dir = tempfile::tempdir().unwrap();
    let events: Vec<_> = (0..200)
        .map(|n| cloud_event(&format!("e{n}"), T0 + n as i64 * 1_000, n, false))
        .collect();
    let object = vigil_model::EntityRef::new(
        vigil_model::EntityKind::Bucket,
        "arn:aws:s3:::data-1/exports/part-1.parquet",
    );
    let bucket =
        vigil_model::EntityRef::new(vigil_model::EntityKind::Bucket, "arn:aws:s3:::data-1");
    let ids = |store: &Store, e: &vigil_model::EntityRef| -> Vec<String> {
        let q = EventQuery {
            entity: Some(e.clone()),
            ..EventQuery::default()
        };
        store
            .query_events(&q)
            .unwrap()
            .into_iter()
            .map(|s| s.event.id)
            .collect()
    };
    let (objects_before, bucket_before) = {
        let mut store = Store::open(dir.path()).unwrap();
        for batch in events.chunks(50) {
            store.insert_events(batch).unwrap();
        }
        (ids(&store, &object), ids(&store, &bucket))
    };
    // n % 5 == 1 and n % 2 == 1 and n % 11 == 1: e1, e111, ...
    assert_eq!(objects_before, ["e1", "e111"]);
    assert!(bucket_before.len() > objects_before.len());
    // Back to V4's layout: object rows among the others, no object table.
    let conn = rusqlite::Connection::open(dir.path().join("vigil.db")).unwrap();
    let moved = conn
        .execute(
            "INSERT INTO segment_entities SELECT entity, base_seq, min_time_ms, max_time_ms, \
             ordinals FROM segment_objects",
            [],
        )
        .unwrap();
    assert!(moved > 0);
    conn.execute_batch("DROP TABLE segment_objects; PRAGMA user_version = 4;")
        .unwrap();
    drop(conn);

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(ids(&store, &object), objects_before);
    assert_eq!(ids(&store, &bucket), bucket_before);
    let conn = rusqlite::Connection::open(dir.path().join("vigil.db")).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT count(*) FROM segment_entities WHERE entity LIKE 'bucket:arn:aws:s3:::%/%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "no object postings left among the entities");
}

//! Storage throughput: inserting realistic ~2 KB CloudTrail events into a fresh on-disk store,
//! and a filtered alert page over 100k alerts.
//!
//! Run: `cargo bench -p vigil-store --bench store_insert -- --measurement-time 5`

// A bench is not a test to clippy, but a failed unwrap here is a failed run, not a crash on
// user input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/fixtures.rs"]
mod fixtures;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fixtures::{T0, alert, cloud_event, key};
use std::hint::black_box;
use vigil_model::{EntityKind, EntityRef, Severity};
use vigil_store::{AlertFilter, Store};

const EVENTS: usize = 100_000;
const BATCH: usize = 10_000;
const ALERTS: usize = 100_000;

fn events() -> Vec<vigil_model::Event> {
    (0..EVENTS)
        .map(|i| {
            // ids like CloudTrail's: random-looking UUIDs, so the dedup index sees random keys
            let h = (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
            let id = format!(
                "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                (h >> 96) as u32,
                (h >> 80) as u16,
                (h >> 64) as u16,
                (h >> 48) as u16,
                h as u64 & 0xffff_ffff_ffff
            );
            cloud_event(&id, T0 + i as i64 * 50, i, true)
        })
        .collect()
}

fn insert(c: &mut Criterion) {
    let events = events();
    let bytes: usize = events
        .iter()
        .map(|e| serde_json::to_string(&e.body).unwrap().len())
        .sum();
    eprintln!("average stored document: {} bytes", bytes / EVENTS);
    let mut g = c.benchmark_group("store_insert");
    g.sample_size(10);
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.bench_function("100k_cloudtrail_events_batches_of_10k", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let mut store = Store::open(dir.path()).unwrap();
                for batch in events.chunks(BATCH) {
                    black_box(store.insert_events(batch).unwrap());
                }
                drop(store);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn alerts(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let all: Vec<_> = (0..ALERTS).map(alert).collect();
    for chunk in all.chunks(10_000) {
        store.upsert_alerts(chunk).unwrap();
    }
    store.optimize().unwrap();
    let filters = [
        (
            "severity_high_page_50",
            AlertFilter {
                severity_at_least: Some(Severity::High),
                limit: Some(50),
                ..AlertFilter::default()
            },
        ),
        (
            "type_and_kind_page_50_offset_1000",
            AlertFilter {
                types: vec!["compromised_aws_keys".into()],
                kind: Some(vigil_model::AlertKind::Composite),
                limit: Some(50),
                offset: 1000,
                ..AlertFilter::default()
            },
        ),
        (
            "entity_page_50",
            AlertFilter {
                entity: Some(EntityRef::new(EntityKind::AccessKey, key(7))),
                limit: Some(50),
                ..AlertFilter::default()
            },
        ),
        (
            "unfiltered_page_50",
            AlertFilter {
                limit: Some(50),
                ..AlertFilter::default()
            },
        ),
    ];
    let mut g = c.benchmark_group("list_alerts_100k");
    for (name, filter) in filters {
        g.bench_function(name, |b| {
            b.iter(|| black_box(store.list_alerts(&filter).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, insert, alerts);
criterion_main!(benches);

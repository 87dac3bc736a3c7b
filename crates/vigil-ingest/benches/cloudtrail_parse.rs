//! Parse + normalise throughput against sonic-rs parsing the same bytes into its DOM.
//! Target: `parse_cloudtrail_bytes` at ≥ 50 % of the DOM rate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use vigil_ingest::{FileContext, Limits, parse_cloudtrail_bytes};

// The allocator the `vigil` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/synthetic.rs"]
mod synthetic;
use synthetic::records_document;

const RECORDS: usize = 20_000;

/// Runs `f` `iters` times on a parser thread (the stack `vigil ingest`'s parser threads have,
/// and where the events are made and freed), timing the loop.
fn timed(iters: u64, f: impl Fn() + Sync) -> Duration {
    std::thread::scope(|s| {
        vigil_ingest::spawn_parser(s, "bench", || {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed()
        })
        .expect("parser thread")
        .join()
        .expect("bench loop")
    })
}

fn bench(c: &mut Criterion) {
    let doc = records_document(RECORDS);
    let ctx = FileContext::new(&Limits::default());
    let (events, skips) = parse_cloudtrail_bytes(&doc, &ctx);
    assert_eq!(
        (events.len(), skips.len()),
        (RECORDS, 0),
        "{:?}",
        skips.first()
    );
    eprintln!(
        "{} records, {} bytes ({} bytes/record)",
        RECORDS,
        doc.len(),
        doc.len() / RECORDS
    );

    let mut group = c.benchmark_group("cloudtrail_bytes");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function("sonic_rs_value", |b| {
        b.iter(|| black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(&doc)).is_ok()))
    });
    group.bench_function("parse_cloudtrail_bytes", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(parse_cloudtrail_bytes(black_box(&doc), &ctx).0.len());
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("cloudtrail_records");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("sonic_rs_value", |b| {
        b.iter(|| black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(&doc)).is_ok()))
    });
    group.bench_function("parse_cloudtrail_bytes", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                black_box(parse_cloudtrail_bytes(black_box(&doc), &ctx).0.len());
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);

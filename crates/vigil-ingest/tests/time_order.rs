#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A large JSON-lines file read through its time index ([`TimeIndex`]) gives exactly what
//! reading it whole and sorting its events by time (stably) gives: the same events in the same
//! order, the same skips at the same lines, the same record count. Where the index's guess at
//! a line's time is wrong, the reading says so instead of handing events out of order.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use vigil_ingest::{
    Limits, NotInTimeOrder, TimeIndex, TimeOrderOutcome, plainly_shuffled, read_cloudtrail_file,
};
use vigil_model::Event;

/// A CloudTrail record of about 1.2 KB whose time is `second` seconds into 2024.
fn record(i: usize, time: &str) -> String {
    let pad = "k".repeat(900 + i % 50);
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDA{u}","arn":"arn:aws:iam::123456789012:user/u{u}","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE{k}","userName":"u{u}"}},"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.{ip}","userAgent":"aws-cli/2.15","requestParameters":{{"bucketName":"b{b}","key":"{pad}"}},"responseElements":null,"eventID":"id-{i}","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"123456789012"}}"#,
        u = i % 7,
        k = i % 5,
        ip = i % 250,
        b = i % 3,
    )
}

/// A time among 3,000 seconds, in a scrambled order (so many lines share one).
fn time_of(i: usize) -> String {
    let s = (i.wrapping_mul(2_654_435_761) >> 7) % 3_000;
    format!(
        "2024-01-01T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// About 10 MB of records out of time order, with what real files hold now and then: a
/// byte-order mark, blank lines, CRLF, indented lines, junk, a bad time, a line over the
/// record limit, bytes that are not UTF-8.
fn messy_file(dir: &Path) -> PathBuf {
    let mut text: Vec<u8> = b"\xEF\xBB\xBF".to_vec();
    for i in 0..8_500 {
        let line = match i {
            _ if i % 101 == 50 => "\n\n".to_string(),
            _ if i % 103 == 7 => "not json {".to_string(),
            _ if i % 107 == 9 => record(i, "yesterday"),
            _ if i % 113 == 3 => format!(" \t {}  ", record(i, &time_of(i))),
            _ if i == 4_000 => format!(
                "{{\"eventTime\":\"2024-01-01T00:00:00Z\",\"pad\":\"{}\"}}",
                "x".repeat((1 << 20) + 10)
            ),
            _ => record(i, &time_of(i)),
        };
        text.extend_from_slice(line.as_bytes());
        if i % 211 == 5 {
            // Not UTF-8: the whole block is then read line by line.
            text.extend_from_slice(b"{\"eventTime\":\"2024-01-01T00:00:00Z\",\"x\":\"\xFF\"}");
        }
        text.extend_from_slice(if i % 109 == 1 { b"\r\n" } else { b"\n" });
    }
    let path = dir.join("messy.jsonl");
    std::fs::write(&path, text).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 9 << 20);
    path
}

type Seen = Vec<(String, i64)>;

fn read_indexed(
    files: &[PathBuf],
    threads: usize,
) -> (Result<TimeOrderOutcome, NotInTimeOrder>, Seen) {
    let index = TimeIndex::new(files, &Limits::default()).expect("indexed");
    let mut seen = Vec::new();
    let out = index.read(threads, &mut |part: &mut Vec<Event>| {
        seen.extend(part.drain(..).map(|e| (e.id, e.time.as_millis())));
        ControlFlow::Continue(())
    });
    (out, seen)
}

fn skips_of(skips: &[vigil_ingest::Skip]) -> Vec<(String, Option<usize>, Option<PathBuf>)> {
    skips
        .iter()
        .map(|s| (s.reason.code(), s.location.line, s.location.path.clone()))
        .collect()
}

#[test]
fn the_index_reads_what_a_stable_sort_of_the_whole_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let a = messy_file(dir.path());
    // A second file whose times overlap the first's: ties go to the first file.
    let b = dir.path().join("second.jsonl");
    let mut f = std::fs::File::create(&b).unwrap();
    for i in 0..8_000 {
        writeln!(f, "{}", record(100_000 + i, &time_of(i * 3))).unwrap();
    }
    drop(f);
    let files = vec![a.clone(), b.clone()];

    let whole: Vec<_> = files
        .iter()
        .map(|p| read_cloudtrail_file(p, &Limits::default()))
        .collect();
    let mut expected: Vec<(String, i64)> = whole
        .iter()
        .flat_map(|o| o.events.iter().map(|e| (e.id.clone(), e.time.as_millis())))
        .collect();
    expected.sort_by_key(|(_, t)| *t);
    let expected_skips: Vec<_> = whole.iter().flat_map(|o| skips_of(&o.skips)).collect();

    for threads in [1, 2] {
        let (out, seen) = read_indexed(&files, threads);
        let out = out.unwrap();
        assert_eq!(seen.len(), out.events);
        assert_eq!(seen, expected, "{threads} thread(s)");
        assert_eq!(skips_of(&out.skips), expected_skips);
        assert_eq!(out.records, whole.iter().map(|o| o.records).sum::<u64>());
    }
    // What the file holds: junk and bytes that are not UTF-8, a bad time, a line too long.
    let reasons: std::collections::BTreeSet<_> =
        expected_skips.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "invalid_field:eventTime",
            "invalid_json",
            "record_too_large"
        ]
        .into(),
    );
    assert!(expected_skips.len() > 150, "{}", expected_skips.len());
    assert!(expected.len() > 16_000, "{}", expected.len());
}

#[test]
fn a_wrong_guess_stops_the_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guess.jsonl");
    let mut lines: Vec<String> = (0..8_000).map(|i| record(i, &time_of(i))).collect();
    // The record's own time comes after a nested one: the index sorts the line by the nested
    // time, the parser reads the record's.
    lines[5_000] = record(5_000, &time_of(5_000)).replacen(
        "\"userIdentity\":{",
        "\"userIdentity\":{\"eventTime\":\"2023-01-01T00:00:00Z\",",
        1,
    );
    std::fs::write(&path, lines.join("\n")).unwrap();
    for threads in [1, 2] {
        let (out, _) = read_indexed(std::slice::from_ref(&path), threads);
        assert_eq!(out.unwrap_err(), NotInTimeOrder);
    }

    // An escaped time is not guessed at all: the line goes first, and its event stops it.
    lines[5_000] = record(5_000, "2024\\u002d01-01T00:00:00Z");
    std::fs::write(&path, lines.join("\n")).unwrap();
    for threads in [1, 2] {
        let (out, seen) = read_indexed(std::slice::from_ref(&path), threads);
        assert_eq!(out.unwrap_err(), NotInTimeOrder);
        assert!(seen.is_empty());
    }
}

#[test]
fn only_large_plain_json_lines_files_are_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.jsonl");
    std::fs::write(&small, record(1, &time_of(1))).unwrap();
    let big = messy_file(dir.path());
    let gz = dir.path().join("big.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::none(),
    );
    enc.write_all(&std::fs::read(&big).unwrap()).unwrap();
    enc.finish().unwrap();
    let document = dir.path().join("records.json");
    let records: Vec<String> = (0..8_000).map(|i| record(i, &time_of(i))).collect();
    std::fs::write(
        &document,
        format!("{{\"Records\":[{}]}}", records.join(",")),
    )
    .unwrap();
    let limits = Limits::default();
    assert!(TimeIndex::new(std::slice::from_ref(&big), &limits).is_some());
    for other in [&small, &gz, &document, &dir.path().join("missing.jsonl")] {
        assert!(
            TimeIndex::new(&[big.clone(), other.clone()], &limits).is_none(),
            "{}",
            other.display()
        );
    }
}

/// 8,500 records (about 10 MB) whose times rise one second a line, except every `late`-th
/// line, which is an hour early.
fn file_in_order(dir: &Path, name: &str, late: usize) -> PathBuf {
    let mut text = String::new();
    for i in 0..8_500 {
        let s = if i % late == late - 1 { i } else { 3_600 + i };
        let time = format!(
            "2024-01-01T{:02}:{:02}:{:02}Z",
            s / 3600,
            (s / 60) % 60,
            s % 60
        );
        text.push_str(&record(i, &time));
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn only_one_large_file_out_of_order_from_its_first_lines_is_plainly_shuffled() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let shuffled = messy_file(dir.path());
    assert!(plainly_shuffled(std::slice::from_ref(&shuffled), &limits));
    // In order, or nearly (one line in ten late: fewer than one in eight): read in order first.
    let sorted = file_in_order(dir.path(), "sorted.jsonl", usize::MAX);
    let nearly = file_in_order(dir.path(), "nearly.jsonl", 10);
    let mostly_late = file_in_order(dir.path(), "late.jsonl", 4);
    assert!(!plainly_shuffled(std::slice::from_ref(&sorted), &limits));
    assert!(!plainly_shuffled(std::slice::from_ref(&nearly), &limits));
    assert!(plainly_shuffled(
        std::slice::from_ref(&mostly_late),
        &limits
    ));
    // Several files stream with a window; a small file is read whole and sorted anyway.
    assert!(!plainly_shuffled(&[shuffled.clone(), sorted], &limits));
    let small = dir.path().join("small.jsonl");
    let head: Vec<u8> = std::fs::read(&shuffled).unwrap()[..1 << 20].to_vec();
    std::fs::write(&small, head).unwrap();
    assert!(!plainly_shuffled(&[small], &limits));
    // Times the index cannot guess say nothing.
    let unguessed = dir.path().join("unguessed.jsonl");
    let text = String::from_utf8_lossy(&std::fs::read(&shuffled).unwrap()).into_owned();
    std::fs::write(&unguessed, text.replace("\"eventTime\"", "\"eventTimes\"")).unwrap();
    assert!(!plainly_shuffled(&[unguessed], &limits));
}

#[test]
fn a_consumer_that_stops_or_keeps_events_is_obeyed_on_both_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = messy_file(dir.path());
    let index = TimeIndex::new(std::slice::from_ref(&path), &Limits::default()).unwrap();
    for threads in [1, 2] {
        // Stops after the third part: nothing more is handed over.
        let mut parts = 0;
        let out = index
            .read(threads, &mut |part: &mut Vec<Event>| {
                parts += 1;
                part.clear();
                if parts == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!(parts, 3);
        assert!(out.events > 0 && out.events <= 3 * vigil_ingest::TIME_ORDER_PART_LINES);
        // Takes one event per part: the rest come again, first, with the next part.
        let mut taken: Seen = Vec::new();
        index
            .read(threads, &mut |part: &mut Vec<Event>| {
                if let Some(e) = part.first() {
                    taken.push((e.id.clone(), e.time.as_millis()));
                    part.remove(0);
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        let (_, expected) = read_indexed(std::slice::from_ref(&path), 1);
        assert_eq!(
            taken,
            expected[..taken.len()].to_vec(),
            "{threads} thread(s)"
        );
        assert!(taken.len() > 30, "{}", taken.len());
    }
}

#[test]
fn a_consumer_that_panics_stops_both_threads_and_the_panic_comes_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = messy_file(dir.path());
    let index = TimeIndex::new(std::slice::from_ref(&path), &Limits::default()).unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut parts = 0;
        let _ = index.read(2, &mut |part: &mut Vec<Event>| {
            parts += 1;
            part.clear();
            assert!(parts < 5, "the consumer gives up");
            ControlFlow::Continue(())
        });
    }));
    assert!(result.is_err());
}

#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `vigil rules hunt` finds the same whether its input comes in event-time order (events go to
//! detection part by part as they are parsed, on one thread or parsed on two and detected in turn)
//! or nearly (files late by minutes: a window puts them back in order as they stream), or not
//! (a large JSON-lines file read through its time index; else everything read, on one thread
//! or two, then sorted): the same story's records, written once sorted, once with neighbours
//! swapped (and once more with a line that misleads the index), and split over seven files
//! read in order and backwards, give one report.

mod common;

use common::{ok_json, vigil};
use std::io::Read;
use std::path::Path;

/// The last `n` CloudTrail records of the demo story (its attack day), sorted by event time.
fn story_records(input: &Path, n: usize) -> Vec<(String, String)> {
    let mut records = Vec::new();
    let mut dirs = vec![input.join("cloudtrail")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.to_string_lossy().ends_with(".json.gz") {
                let mut text = String::new();
                // The demo's own files, just written: trusted and small.
                #[allow(clippy::disallowed_methods)]
                flate2::read::GzDecoder::new(std::fs::File::open(&p).unwrap())
                    .read_to_string(&mut text)
                    .unwrap();
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                // Digest files are gzipped JSON too, with no records.
                for r in doc["Records"].as_array().into_iter().flatten() {
                    let time = r["eventTime"].as_str().unwrap().to_string();
                    records.push((time, r.to_string()));
                }
            }
        }
    }
    records.sort();
    let from = records.len().saturating_sub(n);
    records.split_off(from)
}

fn hunt(data: &Path, file: &Path, threads: &str) -> serde_json::Value {
    ok_json(&vigil(
        data,
        &[
            "rules",
            "hunt",
            file.to_str().unwrap(),
            "--threads",
            threads,
            "--limit",
            "1000",
            "--format",
            "json",
        ],
    ))
}

#[test]
fn in_order_and_shuffled_input_find_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    vigil_demo::generate(&input, &vigil_demo::DemoConfig::default()).unwrap();
    let records = story_records(&input, 20_000);
    let write = |name: &str, lines: &[&str]| {
        let path = tmp.path().join(name);
        std::fs::write(&path, lines.join("\n")).unwrap();
        path
    };
    let sorted: Vec<&str> = records.iter().map(|(_, r)| r.as_str()).collect();
    // Neighbours swapped wherever their times differ: out of order all through the file.
    let mut swapped = sorted.clone();
    for i in (0..swapped.len() - 1).step_by(2) {
        if records[i].0 != records[i + 1].0 {
            swapped.swap(i, i + 1);
        }
    }
    let in_order = write("sorted.jsonl", &sorted);
    let out_of_order = write("swapped.jsonl", &swapped);
    // One record with a vendor's field holding an `eventTime` before the record's own: the
    // time index guesses that line's time wrong, notices when it parses it, and the hunt reads
    // everything and sorts it instead.
    let mut misleading: Vec<String> = swapped.iter().map(|r| r.to_string()).collect();
    misleading[1000] = misleading[1000].replacen(
        '{',
        "{\"aVendorField\":{\"eventTime\":\"2001-01-01T00:00:00Z\"},",
        1,
    );
    let misleading: Vec<&str> = misleading.iter().map(String::as_str).collect();
    let misleading = write("misleading.jsonl", &misleading);
    assert!(
        std::fs::metadata(&in_order).unwrap().len() > 8 << 20,
        "several parts"
    );

    // The shuffled records again as seven files of a directory: read in name order they are
    // late by seconds at most, and stream; named the other way round, the first file read
    // holds the last day, so they are read whole, several at a time, and sorted.
    let parts = tmp.path().join("parts");
    let backwards = tmp.path().join("backwards");
    std::fs::create_dir(&parts).unwrap();
    std::fs::create_dir(&backwards).unwrap();
    for (i, chunk) in swapped.chunks(swapped.len() / 7 + 1).enumerate() {
        std::fs::write(parts.join(format!("part-{i}.jsonl")), chunk.join("\n")).unwrap();
        std::fs::write(
            backwards.join(format!("part-{}.jsonl", 9 - i)),
            chunk.join("\n"),
        )
        .unwrap();
    }

    let data = tmp.path().join("data");
    let a = hunt(&data, &in_order, "1");
    let on_two = hunt(&data, &in_order, "2");
    let b = hunt(&data, &out_of_order, "2");
    let b_one = hunt(&data, &out_of_order, "1");
    let guessed_wrong = hunt(&data, &misleading, "1");
    let files_two = hunt(&data, &parts, "2");
    let files_one = hunt(&data, &parts, "1");
    let back_two = hunt(&data, &backwards, "2");
    let back_one = hunt(&data, &backwards, "1");
    assert_eq!(files_two["files"], 7, "{files_two}");
    assert_eq!(files_two["in_order"], true, "{files_two}");
    assert_eq!(files_one["in_order"], true, "{files_one}");
    assert_eq!(back_two["in_order"], false, "{back_two}");
    assert_eq!(back_one["in_order"], false, "{back_one}");
    assert_eq!(a["in_order"], true, "{a}");
    assert_eq!(on_two["in_order"], true, "{on_two}");
    assert_eq!(b["in_order"], false, "{b}");
    assert_eq!(a["reading"], "in_order", "{a}");
    assert_eq!(files_two["reading"], "in_order", "{files_two}");
    // Out of order, one large JSON-lines file is read through its time index...
    assert_eq!(b["reading"], "time_index", "{b}");
    assert_eq!(b_one["reading"], "time_index", "{b_one}");
    // ...unless a guess was wrong; small files (the seven parts) are read whole and sorted.
    assert_eq!(guessed_wrong["reading"], "sorted", "{guessed_wrong}");
    assert_eq!(back_one["reading"], "sorted", "{back_one}");
    assert_eq!(a["threads"], 1, "{a}");
    assert_eq!(on_two["threads"], 2, "{on_two}");
    assert_eq!(b["threads"], 2, "{b}");
    assert_eq!(a["events"], 20_000);
    assert!(
        a["alerts"].as_u64().unwrap() > 0,
        "the attack day raises alerts: {a}"
    );
    for k in [
        "events",
        "skipped",
        "rule_hits",
        "hits_by_rule",
        "alerts",
        "composites",
        "by_type",
        "top",
    ] {
        assert_eq!(a[k], b[k], "{k}");
        assert_eq!(a[k], b_one[k], "{k}");
        assert_eq!(a[k], guessed_wrong[k], "{k}");
        assert_eq!(a[k], on_two[k], "{k}");
        assert_eq!(a[k], files_two[k], "{k}");
        assert_eq!(a[k], files_one[k], "{k}");
        assert_eq!(a[k], back_two[k], "{k}");
        assert_eq!(a[k], back_one[k], "{k}");
    }
    // Starting over (after the in-order attempt, and again after the misleading line) forgets
    // what the rules saw: the same decisions looked up and remembered as in one pass.
    for k in ["rule_memo_lookups", "rule_memo_answered"] {
        assert_eq!(a[k], b[k], "{k}");
        assert_eq!(a[k], b_one[k], "{k}");
        assert_eq!(a[k], guessed_wrong[k], "{k}");
    }
    // The story's daily traffic repeats itself: most cloud events meet rules already decided
    // for an earlier event with the same values in every field those rules read.
    let lookups = a["rule_memo_lookups"].as_u64().unwrap();
    assert!(lookups > 10_000 && lookups <= 20_000, "{a}");
    assert!(a["rule_memo_answered"].as_f64().unwrap() > 0.5, "{a}");
    // Hits per rule: they add up to the total, most first, and the attack's snapshot sharing
    // is among them.
    let per_rule = a["hits_by_rule"].as_array().unwrap();
    let hits = |r: &serde_json::Value| r["hits"].as_u64().unwrap();
    assert_eq!(
        per_rule.iter().map(hits).sum::<u64>(),
        a["rule_hits"].as_u64().unwrap(),
        "{a}"
    );
    assert!(
        per_rule.windows(2).all(|w| hits(&w[0]) >= hits(&w[1])),
        "{a}"
    );
    assert!(per_rule.iter().all(|r| hits(r) > 0), "{a}");
    assert!(
        per_rule
            .iter()
            .any(|r| r["title"] == "RDS snapshot shared with another account"
                && r["severity"] == "high"),
        "{a}"
    );
}

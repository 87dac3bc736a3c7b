//! Losses become events: with a one-event queue, a burst of process starts overflows it, and
//! the agent writes `lost_coverage` events whose counts add up to what its counters say.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::Duration;
use vigil_model::HostEventKind;

#[test]
fn a_full_queue_is_reported_as_lost_coverage() {
    if !common::is_root() {
        return;
    }
    let collector = common::collectors()[0];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let stats_file = dir.path().join("stats.json");
    let agent = common::start(&[
        "--output",
        out.to_str().unwrap(),
        "--spool-dir",
        dir.path().join("spool").to_str().unwrap(),
        "--stats-file",
        stats_file.to_str().unwrap(),
        "--queue",
        "1",
        "--batch-ms",
        "2000",
        "--disable",
        "network",
        "--disable",
        "files",
        "--disable",
        "logins",
        "--collector",
        collector,
    ]);
    // One shell starting processes back to back: far faster than a one-event queue drains.
    let status = Command::new("bash")
        .arg("-c")
        .arg("for i in $(seq 300); do /bin/true; done")
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(300));
    let log = agent.stop();
    common::assert_path(&log, collector);
    let events = common::read_events(&out);
    let reported: u64 = events
        .iter()
        .filter_map(|e| match &e.host()?.kind {
            HostEventKind::LostCoverage {
                count,
                reason,
                window_start,
                window_end,
                ..
            } if reason == "queue_full" => {
                assert!(window_start <= window_end);
                Some(*count)
            }
            _ => None,
        })
        .sum();
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_file).unwrap()).unwrap();
    let lost = stats["lost_queue_full"].as_u64().unwrap();
    assert!(lost > 0, "the burst overflowed the queue: {stats}");
    assert_eq!(
        reported, lost,
        "every counted loss is in a lost_coverage event"
    );
}

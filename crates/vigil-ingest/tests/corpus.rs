//! Data-driven tests over the committed fixture corpora and the shared real-world samples.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vigil_ingest::{
    FileOutcome, IgnoreReason, IngestReport, Limits, SkipReason, discover, read_cloudtrail_file,
};
use vigil_model::{Actor, Event};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(rel: &str) -> FileOutcome {
    read_cloudtrail_file(&fixtures().join(rel), &Limits::default())
}

fn reasons(o: &FileOutcome) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in &o.skips {
        *m.entry(s.reason.code()).or_default() += 1;
    }
    m
}

fn ids(o: &FileOutcome) -> Vec<&str> {
    o.events.iter().map(|e| e.id.as_str()).collect()
}

fn map(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
}

#[test]
fn good_corpus_counts() {
    let d = discover(&[fixtures().join("good")]);
    assert!(d.missing.is_empty() && d.skipped.is_empty());
    let ignored: Vec<_> = d.ignored.iter().map(|(_, r)| *r).collect();
    assert_eq!(ignored, [IgnoreReason::DigestFile, IgnoreReason::NotJson]);
    let mut report = IngestReport::new();
    report.add_discovery(&d);
    let mut per_file = BTreeMap::new();
    for f in &d.files {
        let o = read_cloudtrail_file(f, &Limits::default());
        assert!(o.skips.is_empty(), "{}: {:?}", f.display(), o.skips);
        report.add_file(&o);
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        per_file.insert(name, o.events.len());
    }
    let expected = map(&[
        (
            "111122223333_CloudTrail_eu-west-1_20240501T1200Z_Ab12Cd34.json.gz",
            5,
        ),
        ("array.json", 2),
        ("eventbridge.jsonl", 2),
        ("eventbridge_array.json", 1),
        ("lake.json", 2),
        ("lines.jsonl", 3),
        ("lookup_events.json", 2),
        ("records.json", 7),
        ("single.json", 1),
    ]);
    assert_eq!(per_file, expected);
    assert_eq!(report.events, 25);
    assert_eq!(report.skipped_total(), 0);
    let summary = report.to_string();
    assert!(summary.contains("25 event(s)"), "{summary}");
}

/// Normalised events of the whole good corpus, in discovery order.
#[test]
fn good_corpus_snapshot() {
    let d = discover(&[fixtures().join("good")]);
    let mut events: Vec<Event> = Vec::new();
    for f in &d.files {
        events.extend(read_cloudtrail_file(f, &Limits::default()).events);
    }
    insta::assert_json_snapshot!("good_corpus_events", events);
}

#[test]
fn actors_and_fallbacks() {
    let o = read(
        "good/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1200Z_Ab12Cd34.json.gz",
    );
    let c: Vec<_> = o.events.iter().map(|e| e.cloud().unwrap()).collect();
    assert!(matches!(*c[0].actor, Actor::Root { .. }));
    assert!(matches!(&*c[1].actor, Actor::IamUser { name, .. } if name == "alice"));
    match &*c[2].actor {
        Actor::AssumedRole {
            role_arn,
            role_name,
            session_name,
            mfa,
            source_identity,
            ..
        } => {
            assert_eq!(role_arn, "arn:aws:iam::111122223333:role/ops/Admin");
            assert_eq!(
                (role_name.as_str(), session_name.as_str(), *mfa),
                ("Admin", "bob", true)
            );
            assert_eq!(source_identity.as_deref(), Some("bob@example.com"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c[2].resources.len(), 2);
    assert!(
        matches!(&*c[3].actor, Actor::AwsService { service } if service == "cloudtrail.amazonaws.com")
    );
    // No awsRegion / recipientAccountId: the S3 path supplies them.
    assert_eq!(
        (c[4].region.as_str(), c[4].account.as_str()),
        ("eu-west-1", "111122223333")
    );

    let o = read("good/records.json");
    let c: Vec<_> = o.events.iter().map(|e| e.cloud().unwrap()).collect();
    assert!(matches!(*c[0].actor, Actor::FederatedUser { .. }));
    assert!(
        matches!(&*c[1].actor, Actor::FederatedIdentity { user, .. } if user == "dave@example.com")
    );
    assert_eq!(c[1].read_only, Some(true));
    assert_eq!(c[2].read_only, Some(false));
    assert!(
        matches!(&*c[2].actor, Actor::FederatedIdentity { provider, .. } if provider == "accounts.google.com")
    );
    assert!(
        matches!(&*c[3].actor, Actor::FederatedIdentity { provider, .. } if provider.contains("identitystore"))
    );
    assert!(matches!(&*c[4].actor, Actor::AwsAccount { account, .. } if account == "999988887777"));
    assert_eq!(c[4].error_code.as_deref(), Some("AccessDenied"));
    assert!(matches!(*c[5].actor, Actor::Unknown { raw_type: None }));
    assert!(matches!(&*c[6].actor, Actor::Unknown { raw_type: Some(t) } if t == "Directory"));
    assert!(o.events[6].id.starts_with("vigil-") && o.events[6].id.len() == 38);
    // Re-reading gives the same derived id.
    assert_eq!(read("good/records.json").events[6].id, o.events[6].id);

    let lake = read("good/lake.json");
    assert_eq!(lake.events[0].time.to_string(), "2024-05-01T12:05:00Z");
    let lc = lake.events[0].cloud().unwrap();
    assert!(matches!(&*lc.actor, Actor::IamUser { name, .. } if name == "alice"));
    assert_eq!(
        lc.request_parameters.as_ref().unwrap().as_str(),
        r#"{"userName":"mallory"}"#
    );
    let eb = read("good/eventbridge.jsonl");
    assert_eq!(eb.events[0].cloud().unwrap().region, "ap-southeast-2");
}

/// A fixture, the event ids it must yield, and its skips by reason.
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, usize)],
);

#[test]
fn bad_corpus_counts() {
    let cases: &[Case] = &[
        ("bad/invalid.json", &[], &[("invalid_json", 1)]),
        ("bad/empty.json", &[], &[("empty_file", 1)]),
        ("bad/records_not_array.json", &[], &[("not_an_array", 1)]),
        (
            "bad/missing_fields.json",
            &[
                "99999999-0000-0000-0000-000000000001",
                "99999999-0000-0000-0000-000000000002",
                "99999999-0000-0000-0000-000000000003",
            ],
            &[
                ("invalid_field:eventTime", 1),
                ("invalid_record", 1),
                ("missing_field:eventName", 1),
                ("missing_field:eventSource", 1),
                ("missing_field:eventTime", 1),
            ],
        ),
        (
            "bad/corrupt_middle.json",
            &[
                "99999999-0000-0000-0000-000000000001",
                "99999999-0000-0000-0000-000000000003",
            ],
            // The corrupt region holds two record starts, so it counts as two bad records.
            &[("invalid_json", 2)],
        ),
        (
            "bad/truncated.json",
            &[
                "99999999-0000-0000-0000-000000000001",
                "99999999-0000-0000-0000-000000000002",
            ],
            &[("truncated_json", 1)],
        ),
        (
            "bad/bad_lines.jsonl",
            &[
                "99999999-0000-0000-0000-000000000001",
                "99999999-0000-0000-0000-000000000002",
                "99999999-0000-0000-0000-000000000003",
            ],
            &[
                ("invalid_json", 1),
                ("invalid_record", 1),
                ("truncated_json", 1),
            ],
        ),
        (
            "bad/eventbridge_other.json",
            &["99999999-0000-0000-0000-000000000001"],
            &[("not_cloudtrail", 1)],
        ),
    ];
    for (file, want_ids, want_skips) in cases {
        let o = read(file);
        assert_eq!(ids(&o), *want_ids, "{file}: {:?}", o.skips);
        assert_eq!(reasons(&o), map(want_skips), "{file}: {:?}", o.skips);
        for s in &o.skips {
            assert!(
                s.location
                    .path
                    .as_deref()
                    .is_some_and(|p| p.ends_with(file)),
                "{s}"
            );
        }
    }
    let lines = read("bad/bad_lines.jsonl");
    let at: Vec<_> = lines.skips.iter().map(|s| s.location.line).collect();
    assert_eq!(at, [Some(2), Some(4), Some(7)]);
    let fields = read("bad/missing_fields.json");
    let at: Vec<_> = fields.skips.iter().map(|s| s.location.record).collect();
    assert_eq!(at, [Some(1), Some(2), Some(3), Some(4), Some(6)]);
}

#[test]
fn truncated_gzip_keeps_what_inflated() {
    let o = read("bad/truncated.json.gz");
    let r = reasons(&o);
    assert_eq!(r.get("truncated_gzip"), Some(&1), "{:?}", o.skips);
    assert_eq!(r.get("truncated_json"), Some(&1), "{:?}", o.skips);
    assert_eq!(o.skips.len(), 2);
    // 120 records in the original; what survived is a clean prefix.
    assert!(
        o.events.len() > 20 && o.events.len() < 120,
        "{}",
        o.events.len()
    );
    for (i, e) in o.events.iter().enumerate() {
        assert_eq!(
            e.id,
            format!("99999999-0000-0000-0000-00000000000{}", i % 3 + 1)
        );
    }
}

#[test]
fn hostile_strings_are_kept_verbatim() {
    let o = read("bad/hostile.jsonl");
    assert!(o.skips.is_empty(), "{:?}", o.skips);
    assert_eq!(o.events.len(), 3);
    let c: Vec<_> = o.events.iter().map(|e| e.cloud().unwrap()).collect();
    assert_eq!(c[0].action, "<script>alert(1)</script>");
    assert_eq!(
        c[0].user_agent.as_deref(),
        Some("<img src=x onerror=alert(1)>\"'&")
    );
    assert_eq!(
        c[1].user_agent.as_deref(),
        Some("ctl:\u{0}\u{7}\u{1b}[31mred\u{1b}[0m\r\n\t\u{2028}\u{2029}\u{202e}")
    );
    assert_eq!(
        c[2].user_agent.as_deref().map(|s| s.chars().count()),
        Some(80_000)
    );
}

fn record(id: &str, extra: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","eventTime":"2024-05-01T12:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"{id}","awsRegion":"us-east-1","recipientAccountId":"111122223333"{extra}}}"#
    )
}

#[test]
fn ten_megabyte_field_is_skipped_neighbours_kept() {
    let big = format!(r#","userAgent":"{}""#, "A".repeat(10 << 20));
    let doc = format!(
        r#"{{"Records":[{},{},{}]}}"#,
        record("a", ""),
        record("big", &big),
        record("b", "")
    );
    let dir = tempfile::tempdir().unwrap();
    for name in ["big.json", "big.jsonl"] {
        let path = dir.path().join(name);
        let body = if name.ends_with("jsonl") {
            format!(
                "{}\n{}\n{}\n",
                record("a", ""),
                record("big", &big),
                record("b", "")
            )
        } else {
            doc.clone()
        };
        std::fs::write(&path, body).unwrap();
        let o = read_cloudtrail_file(&path, &Limits::default());
        assert_eq!(ids(&o), ["a", "b"], "{name}");
        assert_eq!(reasons(&o), map(&[("record_too_large", 1)]), "{name}");
        // A larger cap lets it through.
        let roomy = Limits {
            max_record_bytes: 16 << 20,
            ..Limits::default()
        };
        assert_eq!(read_cloudtrail_file(&path, &roomy).events.len(), 3);
    }
}

/// `[[[[…` tens of thousands of levels deep aborted the process (sonic-rs skips values by
/// recursing without a limit): now a kept value nested that deep costs its record, an ignored
/// one costs nothing, and the neighbours are kept, in every shape.
#[test]
fn deeply_nested_values_cost_only_their_record() {
    let n = if cfg!(debug_assertions) {
        20_000
    } else {
        400_000
    };
    let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let kept = format!(r#","requestParameters":{{"x":{deep}}}"#);
    let ignored = format!(r#","somethingNew":{deep}"#);
    let shallow = format!(
        r#","requestParameters":{}1{}"#,
        "[".repeat(50),
        "]".repeat(50)
    );
    let recs = [
        record("a", ""),
        record("deep", &kept),
        record("ignored", &ignored),
        record("shallow", &shallow),
        record("b", ""),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        (
            "deep.json",
            format!(r#"{{"Records":[{}]}}"#, recs.join(",")),
        ),
        ("deep.jsonl", recs.join("\n")),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let o = read_cloudtrail_file(&path, &Limits::default());
        assert_eq!(ids(&o), ["a", "ignored", "shallow", "b"], "{name}");
        assert_eq!(
            reasons(&o),
            map(&[("invalid_field:requestParameters", 1)]),
            "{name}"
        );
    }
}

#[test]
fn decompression_bomb_is_capped() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..8 {
        gz.write_all(&zeros).unwrap();
    }
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let limits = Limits {
        max_decompressed_bytes: 1 << 20,
        ..Limits::default()
    };
    let o = read_cloudtrail_file(&path, &limits);
    assert_eq!(reasons(&o), map(&[("decompression_limit", 1)]));
    assert!(o.events.is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_missing_paths() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("logs");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("a.json"), record("a", "")).unwrap();
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
    let missing = dir.path().join("nope");
    let d = discover(&[dir.path().to_path_buf(), missing.clone()]);
    assert_eq!(d.files, [sub.join("a.json")]);
    assert_eq!(d.skipped.len(), 1);
    assert_eq!(d.skipped[0].reason, SkipReason::SymlinkLoop);
    assert_eq!(d.missing.len(), 1);
    assert_eq!(d.missing[0].0, missing);
    let mut report = IngestReport::new();
    report.add_discovery(&d);
    assert_eq!(report.skipped("symlink_loop"), 1);
}

#[test]
fn unreadable_file_is_a_skip() {
    let o = read_cloudtrail_file(Path::new("/nonexistent/vigil/x.json"), &Limits::default());
    assert_eq!(reasons(&o), map(&[("unreadable", 1)]));
}

const PANTHER: &str = "/work/shared/peers/samples/cloudtrail_panther.jsonl";
const TRAILDISCOVER: &str = "/work/shared/data/cloudtrail-catalog/traildiscover";

#[test]
fn real_corpus_panther() {
    let path = Path::new(PANTHER);
    assert!(
        path.is_file(),
        "real corpus missing: {PANTHER} — this test needs the shared samples"
    );
    let o = read_cloudtrail_file(path, &Limits::default());
    assert_eq!(o.records, 431);
    assert_eq!(o.events.len(), 431, "{:?}", o.skips.first());
    assert!(o.skips.is_empty());
    let derived = o
        .events
        .iter()
        .filter(|e| e.id.starts_with("vigil-"))
        .count();
    assert_eq!(derived, 49);
}

#[test]
fn real_corpus_traildiscover() {
    let root = Path::new(TRAILDISCOVER);
    assert!(
        root.is_dir(),
        "real corpus missing: {TRAILDISCOVER} — this test needs the shared data"
    );
    // The log examples: 584 files, 543 one-record arrays, 20 bare records, 21 empty arrays.
    let d = discover(&[root.join("docs/logExamples")]);
    assert_eq!(d.files.len(), 584);
    assert_eq!(d.ignored.len(), 2, "index.html and script.js");
    let mut report = IngestReport::new();
    for f in &d.files {
        report.add_file(&read_cloudtrail_file(f, &Limits::default()));
    }
    assert_eq!(report.events, 563, "{report}");
    assert_eq!(report.skipped_total(), 0, "{report}");
    // The catalogue entries (events/**/*.json) describe events but are not records: each lacks
    // eventTime and is reported, not parsed into nonsense.
    let d = discover(&[root.join("events")]);
    let catalogue: Vec<_> = d
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(catalogue.len(), 380);
    let mut report = IngestReport::new();
    for f in catalogue {
        report.add_file(&read_cloudtrail_file(f, &Limits::default()));
    }
    assert_eq!(report.events, 0);
    assert_eq!(report.skipped("missing_field:eventTime"), 380, "{report}");
}

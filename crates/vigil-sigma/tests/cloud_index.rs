#![allow(clippy::expect_used, clippy::unwrap_used)]
//! CloudTrail rules that name no `eventName` or `eventSource` are filed under another field:
//! an error code, a user agent, a rare field being there, a literal the ARN or user agent must
//! contain, the identity type, `readOnly`. Generated events over the fields those keys read
//! (values in other cases, empty, null, missing) must meet exactly the rules that evaluating
//! every rule finds: SigmaHQ's 57, Vigil's own pack, and rules written to sit on each edge of
//! the filing (an `or` that does not pin, a `null` value, a case-sensitive regex).

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vigil_model::Event;
use vigil_sigma::{RuleSet, RuleSource, Scratch};

fn data(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

/// Rules on the edges of the filing, each with what it should be filed under.
const EDGE_RULES: &[(&str, &str)] = &[
    // An `or` of a presence test and something else pins nothing: evaluated on every event.
    (
        "vpce-or-get",
        "sel: {vpcEndpointId|exists: true}\n  get: {eventName|startswith: Get}\n  condition: sel or get",
    ),
    // Any string value needs the field there.
    (
        "vpce-prefix",
        "sel: {vpcEndpointId|startswith: 'VPCE-'}\n  condition: sel",
    ),
    // `null` matches a missing field: never filed under presence.
    (
        "vpce-null-or-value",
        "sel: {vpcEndpointId: [null, 'vpce-123']}\n  condition: sel",
    ),
    ("write", "sel: {readOnly: false}\n  condition: sel"),
    (
        "write-string",
        "sel: {readOnly: 'False', awsRegion: eu-west-1}\n  condition: sel",
    ),
    // A case-sensitive regex: its literal is searched ignoring case, the regex decides.
    (
        "arn-re",
        "sel: {userIdentity.arn|re: 'Role/I-[0-9]+'}\n  condition: sel",
    ),
    (
        "ua-contains",
        "sel: {userAgent|contains: 'TRUFFLE'}\n  condition: sel",
    ),
    (
        "ua-contains-all",
        "sel: {userAgent|contains|all: ['aws', 'ssm-agent']}\n  condition: sel",
    ),
    (
        "invoked",
        "sel: {userIdentity.invokedBy|exists: true}\n  condition: sel",
    ),
    (
        "invoked-not",
        "sel: {userIdentity.invokedBy|exists: true}\n  f: {sourceIPAddress: 'AWS Internal'}\n  condition: sel and not f",
    ),
    (
        "error-or-null",
        "sel: {errorCode: [AccessDenied, null], readOnly: true}\n  condition: sel",
    ),
    (
        "error-exact",
        "sel: {errorCode: throttlingexception}\n  condition: sel",
    ),
    (
        "type-and-arn",
        "sel: {userIdentity.type: AssumedRole, userIdentity.arn|contains: '/i-'}\n  condition: sel",
    ),
];

fn rules() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut sources = Vec::new();
        for dir in [
            data("sigma/rules/cloud/aws/cloudtrail"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/cloudtrail"),
        ] {
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "yml"))
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap();
                sources.push(RuleSource { path: f, text });
            }
        }
        for (id, detection) in EDGE_RULES {
            sources.push(RuleSource {
                path: PathBuf::from(format!("{id}.yml")),
                text: format!(
                    "title: {id}\nid: edge-{id}\nlevel: low\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n  {detection}\n"
                ),
            });
        }
        let (set, problems) = RuleSet::from_sources(sources);
        let errors: Vec<_> = problems
            .iter()
            .filter(|p| p.level == vigil_sigma::ProblemLevel::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        set
    })
}

/// A field: missing (`None`), or this JSON value.
fn field(values: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![Just(None), proptest::sample::select(values).prop_map(Some)]
}

fn record() -> impl Strategy<Value = Value> {
    let top = (
        proptest::sample::select(vec![
            "GetObject",
            "ListBuckets",
            "AssumeRole",
            "ConsoleLogin",
            "StopLogging",
            "DescribeInstances",
            "PutBucketPolicy",
        ]),
        proptest::sample::select(vec![
            "s3.amazonaws.com",
            "sts.amazonaws.com",
            "signin.amazonaws.com",
            "cloudtrail.amazonaws.com",
            "ec2.amazonaws.com",
        ]),
        field(vec![
            Value::Null,
            json!(""),
            json!("TruffleHog"),
            json!("trufflehog"),
            json!("aws-cli/2.15"),
            json!("Mozilla TRUFFLEhog x"),
            json!("aws-internal/3"),
            json!("aws-sdk-go amazon-SSM-agent/3.1"),
        ]),
        field(vec![
            Value::Null,
            json!(""),
            json!("vpce-123"),
            json!("vpce-0abc"),
        ]),
        field(vec![
            Value::Null,
            json!(true),
            json!(false),
            json!("true"),
            json!("False"),
        ]),
        field(vec![
            Value::Null,
            json!("AccessDenied"),
            json!("accessdenied"),
            json!("VpceAccessDenied"),
            json!("UnauthorizedOperation"),
            json!("ThrottlingException"),
        ]),
        field(vec![
            json!("203.0.113.9"),
            json!("10.1.2.3"),
            json!("AWS Internal"),
            json!("ec2.amazonaws.com"),
        ]),
        proptest::sample::select(vec!["us-east-1", "eu-west-1", "ap-south-1"]),
        proptest::sample::select(vec!["111122223333", "444455556666"]),
    );
    let identity = (
        field(vec![
            json!("IAMUser"),
            json!("AssumedRole"),
            json!("Root"),
            json!("AWSService"),
            json!("FederatedUser"),
            json!(""),
        ]),
        field(vec![
            json!("arn:aws:sts::111122223333:assumed-role/web/i-0abc123def4567890"),
            json!("arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-1"),
            json!("arn:aws:sts::111122223333:assumed-role/ROLE/I-12"),
            json!("arn:aws:sts::111122223333:assumed-role/role/i-12"),
            json!("arn:aws:iam::111122223333:user/bob"),
            json!(""),
        ]),
        field(vec![
            json!("AKIAIOSFODNN7EXAMPLE"),
            json!("ASIAIOSFODNN7EXAMPLE"),
        ]),
        field(vec![Value::Null, json!("ec2.amazonaws.com"), json!("")]),
        field(vec![json!("111122223333"), json!("444455556666")]),
        any::<bool>(),
    );
    (top, identity).prop_map(|(top, id)| {
        let (name, source, ua, vpce, read_only, error, ip, region, recipient) = top;
        let (kind, arn, key, invoked, account, has_identity) = id;
        let mut r = Map::new();
        r.insert("eventVersion".into(), json!("1.09"));
        r.insert("eventTime".into(), json!("2026-10-06T02:27:11Z"));
        r.insert(
            "eventID".into(),
            json!("6106b473-6139-4382-b3b6-eaff423ce7c8"),
        );
        r.insert("eventName".into(), json!(name));
        r.insert("eventSource".into(), json!(source));
        r.insert("awsRegion".into(), json!(region));
        r.insert("recipientAccountId".into(), json!(recipient));
        for (k, v) in [
            ("userAgent", ua),
            ("vpcEndpointId", vpce),
            ("readOnly", read_only),
            ("errorCode", error),
            ("sourceIPAddress", ip),
        ] {
            if let Some(v) = v {
                r.insert(k.into(), v);
            }
        }
        if has_identity {
            let mut i = Map::new();
            for (k, v) in [
                ("type", kind),
                ("arn", arn),
                ("accessKeyId", key),
                ("invokedBy", invoked),
                ("accountId", account),
            ] {
                if let Some(v) = v {
                    i.insert(k.into(), v);
                }
            }
            r.insert("userIdentity".into(), Value::Object(i));
        }
        Value::Object(r)
    })
}

fn parse(record: &Value) -> Vec<Event> {
    let ctx = vigil_ingest::FileContext::new(&vigil_ingest::Limits::default());
    let (events, _) = vigil_ingest::parse_cloudtrail_bytes(record.to_string().as_bytes(), &ctx);
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn filed_rules_meet_the_events_evaluating_every_rule_finds(r in record()) {
        let set = rules();
        let events = parse(&r);
        prop_assert_eq!(events.len(), 1, "{}", r);
        let (mut indexed, mut every) = (Vec::new(), Vec::new());
        set.matches(&events[0], &mut indexed);
        set.matches_exhaustive(&events[0], &mut every);
        prop_assert_eq!(indexed, every, "{}", r);
    }

    /// Through one kept scratch, events that repeat, and events one field apart from each
    /// other, are answered from the decision memo where they can be, and get exactly what
    /// evaluating every rule gives.
    #[test]
    fn remembered_decisions_are_the_rules_own(
        base in record(),
        donors in proptest::collection::vec((record(), 0usize..64), 1..7),
        order in proptest::collection::vec(0usize..8, 10..40),
    ) {
        let set = rules();
        // The base record, and copies of it with one field taken from (or, where the donor
        // lacks it, removed as in) another record.
        let mut pool = vec![base.clone()];
        for (donor, pick) in &donors {
            let mut near = base.clone();
            if let (Some(near), Some(donor)) = (near.as_object_mut(), donor.as_object()) {
                let mut keys: Vec<&String> = donor.keys().chain(near.keys()).collect();
                keys.sort();
                keys.dedup();
                let key = keys[pick % keys.len()].clone();
                match donor.get(&key) {
                    Some(v) => near.insert(key, v.clone()),
                    None => near.remove(&key),
                };
            }
            pool.push(near);
        }
        let events: Vec<Event> = pool.iter().flat_map(parse).collect();
        prop_assert_eq!(events.len(), pool.len());
        let mut scratch = Scratch::default();
        for &i in &order {
            let ev = &events[i % events.len()];
            let (mut kept, mut every) = (Vec::new(), Vec::new());
            set.matches_with(ev, &mut scratch, &mut kept);
            set.matches_exhaustive(ev, &mut every);
            prop_assert_eq!(kept, every, "{}", pool[i % pool.len()]);
        }
        // With fewer distinct events than matches, some were answered from the memo.
        let stats = scratch.memo_stats();
        prop_assert!(stats.hits > 0 && stats.lookups <= order.len() as u64, "{:?}", stats);
    }
}

/// Panther's labelled CloudTrail cases come in near pairs (one that should fire, one that
/// should not, often apart only in a request parameter or an error code). All 464, twice over
/// through one kept scratch: every answer, remembered or not, is what evaluating every rule
/// gives, and the second pass is answered from the memo.
#[test]
fn remembered_decisions_hold_over_the_panther_cases() {
    let set = rules();
    let text = std::fs::read_to_string(data("panther/cloudtrail_rule_tests.jsonl")).unwrap();
    let events: Vec<Event> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|case| case.get("log").cloned())
        .flat_map(|log| parse(&log))
        .collect();
    assert!(events.len() > 400, "{} events", events.len());
    let mut scratch = Scratch::default();
    let mut first_pass = None;
    for pass in 0..2 {
        for ev in &events {
            let (mut kept, mut every) = (Vec::new(), Vec::new());
            set.matches_with(ev, &mut scratch, &mut kept);
            set.matches_exhaustive(ev, &mut every);
            assert_eq!(kept, every, "pass {pass}: {}", ev.id);
        }
        first_pass.get_or_insert(scratch.memo_stats());
    }
    let (first, both) = (first_pass.unwrap(), scratch.memo_stats());
    let second_hits = both.hits - first.hits;
    let second_lookups = both.lookups - first.lookups;
    assert!(second_lookups > 400, "{both:?}");
    // Every key the first pass left is still there unless a later key took its slot.
    assert!(second_hits * 10 >= second_lookups * 9, "{first:?} {both:?}");
}

/// Each edge rule fires on an event made for it, through the index, and only the rules whose
/// filing pins nothing are left to every event.
#[test]
fn edge_rules_fire_through_the_index() {
    let set = rules();
    let fired = |record: Value| -> Vec<String> {
        let events = parse(&record);
        let mut hits = Vec::new();
        set.matches(&events[0], &mut hits);
        hits.iter()
            .map(|h| set.rule(*h).id.clone())
            .filter(|id| id.starts_with("edge-"))
            .collect()
    };
    let base = |extra: Value| {
        let mut r = json!({
            "eventVersion": "1.09", "eventTime": "2026-10-06T02:27:11Z",
            "eventID": "e", "eventName": "PutBucketPolicy", "eventSource": "s3.amazonaws.com",
            "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
            "sourceIPAddress": "203.0.113.9"
        });
        if let (Some(r), Value::Object(extra)) = (r.as_object_mut(), extra) {
            r.extend(extra);
        }
        r
    };
    let cases = [
        (
            json!({"vpcEndpointId": "vpce-0abc"}),
            vec!["edge-vpce-or-get", "edge-vpce-prefix"],
        ),
        (
            json!({"eventName": "GetObject"}),
            vec!["edge-vpce-null-or-value", "edge-vpce-or-get"],
        ),
        (
            json!({"readOnly": false}),
            vec!["edge-vpce-null-or-value", "edge-write"],
        ),
        (
            json!({"readOnly": "false", "awsRegion": "eu-west-1"}),
            vec!["edge-vpce-null-or-value", "edge-write", "edge-write-string"],
        ),
        (
            json!({"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Role/I-12"}}),
            // `|contains` ignores case; the regex does not.
            vec![
                "edge-arn-re",
                "edge-type-and-arn",
                "edge-vpce-null-or-value",
            ],
        ),
        (
            json!({"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/role/i-12"}}),
            vec!["edge-type-and-arn", "edge-vpce-null-or-value"],
        ),
        (
            json!({"userAgent": "x TruFFle y"}),
            vec!["edge-ua-contains", "edge-vpce-null-or-value"],
        ),
        (
            json!({"userAgent": "AWS-sdk amazon-ssm-agent"}),
            vec!["edge-ua-contains-all", "edge-vpce-null-or-value"],
        ),
        (
            json!({"userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}}),
            vec![
                "edge-invoked",
                "edge-invoked-not",
                "edge-vpce-null-or-value",
            ],
        ),
        (
            json!({"readOnly": true, "errorCode": "AccessDenied"}),
            vec!["edge-error-or-null", "edge-vpce-null-or-value"],
        ),
        (
            json!({"errorCode": "ThrottlingException"}),
            vec!["edge-error-exact", "edge-vpce-null-or-value"],
        ),
    ];
    let mut wrong = Vec::new();
    for (extra, want) in cases {
        let record = base(extra);
        let mut got = fired(record.clone());
        got.sort();
        if got != want {
            wrong.push(format!("{record}\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let cloud = set
        .index_stats()
        .into_iter()
        .find(|s| s.target == vigil_sigma::Target::CloudTrail)
        .unwrap();
    // Evaluated on every event: the `or` that pins nothing and the `null` rule; every
    // published and own rule is filed somewhere.
    assert_eq!(cloud.always, 2, "{cloud:?}");
    assert!(cloud.prefiltered >= 5, "{cloud:?}");
}

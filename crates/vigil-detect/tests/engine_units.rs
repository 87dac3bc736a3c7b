#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Identity chains, bad input, suppression and persistence, on hand-made events.

use vigil_detect::identity::{IdentityResolver, Origin};
use vigil_detect::{DetectConfig, Engine, NoRules, Suppression};
use vigil_model::{
    Actor, CloudEvent, EntityKind, EntityRef, Event, EventBody, EventSource, RawJson, Timestamp,
};

const ACCT: &str = "111122223333";
const OTHER: &str = "444455556666";
const DAY: i64 = 86_400_000;

fn user(name: &str) -> Actor {
    Actor::IamUser {
        account: ACCT.into(),
        arn: format!("arn:aws:iam::{ACCT}:user/{name}").into(),
        name: name.into(),
    }
}

fn session(account: &str, role: &str, name: &str) -> Actor {
    Actor::AssumedRole {
        account: account.into(),
        session_arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{name}").into(),
        role_arn: format!("arn:aws:iam::{account}:role/{role}").into(),
        role_name: role.into(),
        session_name: name.into(),
        mfa: false,
        source_identity: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn call(
    id: &str,
    t: i64,
    account: &str,
    region: &str,
    service: &str,
    action: &str,
    actor: Actor,
    key: &str,
    ip: &str,
) -> Event {
    Event {
        id: id.into(),
        time: Timestamp::from_millis(t),
        source: EventSource::Cloudtrail,
        body: EventBody::Cloud(CloudEvent {
            account: account.into(),
            region: region.into(),
            service: format!("{service}.amazonaws.com").into(),
            action: action.into(),
            event_type: "AwsApiCall".into(),
            actor: actor.into(),
            access_key_id: (!key.is_empty()).then(|| key.to_string()).map(Into::into),
            source_ip: Some(ip.into()),
            user_agent: Some("aws-cli/2.15.0 Python/3.11".into()),
            error_code: None,
            error_message: None,
            read_only: None,
            request_parameters: None,
            response_elements: None,
            additional_event_data: None,
            resources: Default::default(),
            invoked_by: None,
            vpc_endpoint_id: None,
        }),
    }
}

/// An `AssumeRole` whose credentials expire at 2023-11-14T23:13:20Z, an hour after the
/// tests' `t`, as CloudTrail prints it; the request asks for twelve hours, so sessions that end
/// within the hour show the response's expiration was read.
fn assume(mut e: Event, role_arn: &str, new_key: &str) -> Event {
    if let EventBody::Cloud(c) = &mut e.body {
        c.request_parameters = Some(
            RawJson::parse(format!(
                r#"{{"roleArn":"{role_arn}","roleSessionName":"s","durationSeconds":43200}}"#
            ))
            .unwrap(),
        );
        c.response_elements = Some(
            RawJson::parse(format!(
                r#"{{"credentials":{{"accessKeyId":"{new_key}","sessionToken":"x","expiration":"Nov 14, 2023, 11:13:20 PM"}},"assumedRoleUser":{{"arn":"arn:aws:sts::1:assumed-role/r/s"}}}}"#
            ))
            .unwrap(),
        );
    }
    e
}

#[test]
fn role_chaining_across_accounts_resolves_to_the_first_key() {
    let mut r = IdentityResolver::default();
    let t = 1_700_000_000_000;
    let a = assume(
        call(
            "1",
            t,
            ACCT,
            "us-east-1",
            "sts",
            "AssumeRole",
            user("dev"),
            "AKIAAAAAAAAAAAAAAAA1",
            "192.0.2.1",
        ),
        &format!("arn:aws:iam::{ACCT}:role/Hop1"),
        "ASIAHOP1000000000001",
    );
    let b = assume(
        call(
            "2",
            t + 1000,
            ACCT,
            "us-east-1",
            "sts",
            "AssumeRole",
            session(ACCT, "Hop1", "s"),
            "ASIAHOP1000000000001",
            "192.0.2.1",
        ),
        &format!("arn:aws:iam::{OTHER}:role/Hop2"),
        "ASIAHOP2000000000002",
    );
    // The second account's trail records the chained session's work.
    let c = call(
        "3",
        t + 2000,
        OTHER,
        "eu-west-1",
        "rds",
        "DescribeDBClusters",
        session(OTHER, "Hop2", "s"),
        "ASIAHOP2000000000002",
        "192.0.2.1",
    );
    for e in [&a, &b] {
        let cl = e.cloud().unwrap();
        let chain = r.resolve(cl);
        r.learn(cl, &chain, e.time);
    }
    let chain = r.resolve(c.cloud().unwrap());
    assert_eq!(
        chain.origin,
        Origin::AccessKey {
            key: "AKIAAAAAAAAAAAAAAAA1".into(),
            principal: Some(format!("arn:aws:iam::{ACCT}:user/dev"))
        }
    );
    assert_eq!(chain.hops.len(), 2);
    assert_eq!(chain.hops[1].account, OTHER);
    assert_eq!(chain.root, "key:AKIAAAAAAAAAAAAAAAA1");
    // Sessions expire (when the response said, an hour in) and are forgotten.
    let late = call(
        "4",
        t + 2 * 3_600_000,
        ACCT,
        "us-east-1",
        "sts",
        "GetCallerIdentity",
        user("dev"),
        "AKIAAAAAAAAAAAAAAAA1",
        "192.0.2.1",
    );
    let lc = late.cloud().unwrap();
    let ch = r.resolve(lc);
    r.learn(lc, &ch, late.time);
    assert_eq!(r.live_sessions(), 0);
    assert!(r.expired_sessions >= 2);
}

/// A temporary key whose session was not seen starting resolves to its role, one hop. The
/// chain is reused for that key's later events, but only while they come from the same role
/// session: the same key under another session (forged or mangled input) gets its own chain,
/// and a session learnt later from an STS response wins over the reused one.
#[test]
fn unseen_sessions_resolve_to_their_role_and_reuse_only_for_the_same_session() {
    let mut r = IdentityResolver::default();
    let t = 1_700_000_000_000;
    let key = "ASIAUNSEEN0000000001";
    let ev = |id: &str, at: i64, actor: Actor| {
        call(
            id,
            at,
            ACCT,
            "us-east-1",
            "s3",
            "ListBuckets",
            actor,
            key,
            "192.0.2.7",
        )
    };
    let first = ev("1", t, session(ACCT, "Ops", "alice"));
    let again = ev("2", t + 1000, session(ACCT, "Ops", "alice"));
    let forged = ev("3", t + 2000, session(ACCT, "Admin", "mallory"));
    let a = r.resolve(first.cloud().unwrap());
    assert_eq!(
        a.origin,
        Origin::Role {
            arn: format!("arn:aws:iam::{ACCT}:role/Ops")
        }
    );
    assert_eq!(a.hops.len(), 1);
    assert_eq!(a.hops[0].session_key, key);
    assert_eq!(*r.resolve(again.cloud().unwrap()), *a);
    let f = r.resolve(forged.cloud().unwrap());
    assert_eq!(
        f.origin,
        Origin::Role {
            arn: format!("arn:aws:iam::{ACCT}:role/Admin")
        }
    );
    assert_eq!(
        f.hops[0].session_arn.as_deref(),
        Some(format!("arn:aws:sts::{ACCT}:assumed-role/Admin/mallory").as_str())
    );
    // Now the key's session is seen starting: a user's AssumeRole hands it out.
    let start = assume(
        call(
            "4",
            t + 3000,
            ACCT,
            "us-east-1",
            "sts",
            "AssumeRole",
            user("dev"),
            "AKIAAAAAAAAAAAAAAAA9",
            "192.0.2.1",
        ),
        &format!("arn:aws:iam::{ACCT}:role/Ops"),
        key,
    );
    let sc = start.cloud().unwrap();
    let chain = r.resolve(sc);
    r.learn(sc, &chain, start.time);
    let later = r.resolve(
        ev("5", t + 4000, session(ACCT, "Ops", "alice"))
            .cloud()
            .unwrap(),
    );
    assert_eq!(later.root, "key:AKIAAAAAAAAAAAAAAAA9");
}

#[test]
fn odd_events_do_not_break_or_poison_baselines() {
    let mut engine = Engine::new(DetectConfig::default(), Box::new(NoRules));
    let t = 1_700_000_000_000;
    let mut events = Vec::new();
    for d in 0..10 {
        events.push(call(
            &format!("n{d}"),
            t + d * DAY,
            ACCT,
            "us-east-1",
            "ec2",
            "DescribeInstances",
            user("dev"),
            "AKIAAAAAAAAAAAAAAAA1",
            "192.0.2.1",
        ));
        // No identity at all, an AWS service caller, an unknown region, an empty account.
        events.push(call(
            &format!("u{d}"),
            t + d * DAY + 1,
            ACCT,
            "us-east-1",
            "kms",
            "Decrypt",
            Actor::Unknown { raw_type: None },
            "",
            "kms.amazonaws.com",
        ));
        events.push(call(
            &format!("s{d}"),
            t + d * DAY + 2,
            ACCT,
            "??",
            "s3",
            "GetObject",
            Actor::AwsService {
                service: "s3.amazonaws.com".into(),
            },
            "",
            "s3.amazonaws.com",
        ));
        events.push(call(
            &format!("x{d}"),
            t + d * DAY + 3,
            "",
            "mars-1",
            "",
            "",
            user("dev"),
            "AKIAAAAAAAAAAAAAAAA1",
            "not an ip",
        ));
    }
    for e in &events {
        engine.process(e);
    }
    let stats = engine.stats();
    assert_eq!(stats.counters.unattributed, 20);
    assert_eq!(stats.counters.odd_region, 20);
    let report = engine.baseline_report();
    let key = report
        .iter()
        .find(|p| p.name == "AKIAAAAAAAAAAAAAAAA1")
        .expect("the key is baselined");
    assert_eq!(key.regions, 1, "unknown regions are not learned");
    assert_eq!(key.networks, 1, "non-IP sources are not learned");
    assert!(engine.take_alerts().is_empty());
}

/// A key that worked quietly for two weeks is used from a new network with a new tool to sweep
/// many regions and then shares a snapshot: one composite, found again after a save/restore.
#[test]
fn a_stolen_key_after_restore_makes_one_composite_and_suppression_holds_it_back() {
    let t = 1_700_000_000_000;
    let key = "AKIAVICTIM0000000001";
    let mut history = Vec::new();
    for d in 0..14 {
        history.push(call(
            &format!("h{d}"),
            t + d * DAY,
            ACCT,
            "us-east-1",
            "ec2",
            "DescribeInstances",
            user("victim"),
            key,
            "192.0.2.1",
        ));
    }
    let mut attack = Vec::new();
    let t0 = t + 20 * DAY;
    let regions = [
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-south-1",
        "sa-east-1",
        "ca-central-1",
    ];
    for (i, r) in regions.iter().enumerate() {
        let mut e = call(
            &format!("a{i}"),
            t0 + i as i64 * 10_000,
            ACCT,
            r,
            "ec2",
            "DescribeSnapshots",
            user("victim"),
            key,
            "203.0.113.50",
        );
        if let EventBody::Cloud(c) = &mut e.body {
            c.user_agent = Some("Boto3/1.35.10".into());
        }
        attack.push(e);
    }
    let mut share = call(
        "share",
        t0 + 200_000,
        ACCT,
        "us-east-1",
        "ec2",
        "ModifySnapshotAttribute",
        user("victim"),
        key,
        "203.0.113.50",
    );
    if let EventBody::Cloud(c) = &mut share.body {
        c.request_parameters = Some(RawJson::parse(format!(r#"{{"snapshotId":"snap-0abc","createVolumePermission":{{"add":{{"items":[{{"userId":"{OTHER}"}}]}}}}}}"#)).unwrap());
    }
    attack.push(share);

    let run = |suppress: bool| {
        let mut engine = Engine::new(DetectConfig::default(), Box::new(NoRules));
        for e in &history {
            engine.process(e);
        }
        // Persist and restore through JSON, as the CLI does through the store.
        let saved = serde_json::to_string(&engine.state()).unwrap();
        let mut engine = Engine::restore(
            DetectConfig::default(),
            Box::new(NoRules),
            serde_json::from_str(&saved).unwrap(),
        );
        if suppress {
            engine
                .add_suppression(Suppression {
                    author: "lead".into(),
                    alert_type: Some("compromised_aws_keys".into()),
                    entities: vec![EntityRef::new(EntityKind::AccessKey, key)],
                    ..Suppression::new(
                        "s1",
                        "red-team exercise",
                        Timestamp::from_millis(t0),
                        Timestamp::from_millis(t0 + DAY),
                    )
                })
                .unwrap();
        }
        for e in &attack {
            engine.process(e);
        }
        engine.flush();
        (engine.take_alerts(), engine)
    };
    let (alerts, _) = run(false);
    let composites: Vec<_> = alerts
        .iter()
        .filter(|a| a.alert_type == "compromised_aws_keys")
        .collect();
    assert_eq!(composites.len(), 1, "{alerts:#?}");
    let c = composites[0];
    assert!(c.evidence.iter().any(|e| e.event_id == "share"));
    assert!(
        c.evidence
            .iter()
            .filter(|e| e.event_id.starts_with('a'))
            .count()
            >= 6
    );
    assert!(c.mitre.iter().any(|m| m.tactic == "TA0010"));
    for child in &c.children {
        assert!(alerts.iter().any(|a| &a.id == child));
    }
    assert!(alerts.iter().any(|a| a.alert_type == "data_exfiltration"));

    let (alerts, engine) = run(true);
    assert!(
        !alerts
            .iter()
            .any(|a| a.alert_type == "compromised_aws_keys")
    );
    assert_eq!(engine.suppressions()[0].hits, 1);
    // An exception without a reason is refused.
    let mut e2 = Engine::new(DetectConfig::default(), Box::new(NoRules));
    assert!(
        e2.add_suppression(Suppression {
            alert_type: Some("x".into()),
            ..Suppression::new(
                "s2",
                " ",
                Timestamp::from_millis(t0),
                Timestamp::from_millis(t0 + DAY),
            )
        })
        .is_err()
    );
}

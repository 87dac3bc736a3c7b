#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Suppressions scoped by rule, type and entities: what they hold back, what they leave, and
//! that everything held back is counted.

use std::sync::Arc;
use vigil_detect::{DetectConfig, Engine, RuleHit, RuleInfo, RuleMatcher, Suppression};
use vigil_model::{
    Actor, CloudEvent, EntityKind, EntityRef, Event, EventBody, EventSource, Severity, Timestamp,
};

const T0: i64 = 1_767_000_000_000;
const DAY: i64 = 86_400_000;

/// A critical rule that matches every `DeleteTrail`.
struct DeleteTrailRule(Arc<RuleInfo>);

impl DeleteTrailRule {
    fn boxed() -> Box<dyn RuleMatcher> {
        Box::new(DeleteTrailRule(Arc::new(RuleInfo::new(
            "trail_deleted".into(),
            "CloudTrail trail deleted".into(),
            Severity::Critical,
            vec![],
        ))))
    }
}

impl RuleMatcher for DeleteTrailRule {
    fn match_event(&mut self, event: &Event, hits: &mut Vec<RuleHit>) {
        if event.cloud().is_some_and(|c| c.action == "DeleteTrail") {
            hits.push(RuleHit {
                rule: self.0.clone(),
            });
        }
    }
    fn rule_count(&self) -> usize {
        1
    }
}

fn delete_trail(id: &str, t: i64, key: &str, user: &str) -> Event {
    Event {
        id: id.into(),
        time: Timestamp::from_millis(t),
        source: EventSource::Cloudtrail,
        body: EventBody::Cloud(CloudEvent {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            service: "cloudtrail.amazonaws.com".into(),
            action: "DeleteTrail".into(),
            event_type: "AwsApiCall".into(),
            actor: Actor::IamUser {
                account: "111122223333".into(),
                arn: format!("arn:aws:iam::111122223333:user/{user}").into(),
                name: user.into(),
            }
            .into(),
            access_key_id: Some(key.into()),
            source_ip: Some("198.51.100.7".into()),
            user_agent: Some("aws-cli/2.15.0".into()),
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

const CI_KEY: &str = "AKIACIPIPELINE000001";
const OTHER_KEY: &str = "AKIAOTHERPERSON00001";

fn events() -> Vec<Event> {
    vec![
        delete_trail("e1", T0, CI_KEY, "ci"),
        delete_trail("e2", T0 + 2 * DAY, CI_KEY, "ci"),
        delete_trail("e3", T0 + 2 * DAY + 1, OTHER_KEY, "mallory"),
    ]
}

fn run(suppressions: Vec<Suppression>) -> (Vec<vigil_model::Alert>, Engine) {
    let mut engine = Engine::new(DetectConfig::default(), DeleteTrailRule::boxed());
    engine.set_suppressions(suppressions);
    for e in &events() {
        engine.process(e);
    }
    engine.flush();
    (engine.take_alerts(), engine)
}

/// Keys with a standalone `trail_deleted` alert (a composite's children stay with their
/// composite: a type-scoped suppression hides the alert, not the story it is part of).
fn keys_alerted(alerts: &[vigil_model::Alert]) -> Vec<String> {
    let mut out: Vec<String> = alerts
        .iter()
        .filter(|a| a.alert_type == "trail_deleted" && !a.description.contains("Part of composite"))
        .flat_map(|a| a.entities.iter())
        .filter(|e| e.kind == EntityKind::AccessKey)
        .map(|e| e.id.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn rule_scoped(expires: i64) -> Suppression {
    Suppression {
        rule: Some("trail_deleted".into()),
        entities: vec![EntityRef::new(EntityKind::AccessKey, CI_KEY)],
        ..Suppression::new(
            "sup-1",
            "the CI pipeline rebuilds its test trail",
            Timestamp::from_millis(T0),
            Timestamp::from_millis(expires),
        )
    }
}

#[test]
fn without_suppression_both_keys_alert() {
    let (alerts, _) = run(vec![]);
    assert_eq!(keys_alerted(&alerts), [CI_KEY, OTHER_KEY]);
}

#[test]
fn a_rule_scoped_suppression_drops_only_that_rules_hits_on_that_entity_and_counts_them() {
    let (alerts, engine) = run(vec![rule_scoped(T0 + 30 * DAY)]);
    assert_eq!(keys_alerted(&alerts), [OTHER_KEY]);
    // Not even as a composite's child: the rule's hits on the CI key are gone everywhere
    // (the contextual DeleteTrail detector still speaks; it is not the rule).
    let ci = EntityRef::new(EntityKind::AccessKey, CI_KEY);
    assert!(
        !alerts
            .iter()
            .any(|a| a.alert_type == "trail_deleted" && a.entities.contains(&ci)),
        "{alerts:#?}"
    );
    let s = &engine.suppressions()[0];
    assert_eq!(s.hits, 1, "one rule finding key on one chain: {s:?}");
    assert_eq!(s.last_hit, Some(Timestamp::from_millis(T0 + 2 * DAY)));
    let stats = engine.stats();
    assert_eq!(stats.correlation.suppressed_findings, 2);
    // Saved and restored, the counts stay.
    let saved = serde_json::to_string(&engine.state()).unwrap();
    let state: vigil_detect::EngineState = serde_json::from_str(&saved).unwrap();
    assert_eq!(state.suppressions[0].hits, 1);
}

#[test]
fn an_expired_suppression_stops_applying() {
    // Expires between the two CI deletions: the first is held back, the second alerts.
    let (alerts, engine) = run(vec![rule_scoped(T0 + DAY)]);
    assert_eq!(keys_alerted(&alerts), [CI_KEY, OTHER_KEY]);
    assert_eq!(engine.stats().correlation.suppressed_findings, 1);
}

#[test]
fn a_type_scoped_suppression_holds_back_the_alert_and_remembers_its_id() {
    let s = Suppression {
        alert_type: Some("trail_deleted".into()),
        entities: vec![EntityRef::new(EntityKind::AccessKey, OTHER_KEY)],
        ..Suppression::new(
            "sup-2",
            "mallory is the red team",
            Timestamp::from_millis(T0),
            Timestamp::from_millis(T0 + 30 * DAY),
        )
    };
    let (alerts, engine) = run(vec![s]);
    assert_eq!(keys_alerted(&alerts), [CI_KEY]);
    let s = &engine.suppressions()[0];
    assert_eq!(s.hits, 1);
    assert_eq!(s.held_back.len(), 1);
    assert!(
        !alerts.iter().any(|a| a.id == s.held_back[0]),
        "the held-back id is not among the alerts"
    );
    assert_eq!(engine.stats().correlation.suppressed, 1);
}

#[test]
fn replacing_the_list_keeps_counts_of_those_that_stay() {
    let (_, mut engine) = run(vec![rule_scoped(T0 + 30 * DAY)]);
    assert_eq!(engine.suppressions()[0].hits, 1);
    let mut fresh = rule_scoped(T0 + 60 * DAY);
    fresh.reason = "extended".into();
    engine.set_suppressions(vec![fresh]);
    assert_eq!(engine.suppressions()[0].hits, 1);
    assert_eq!(engine.suppressions()[0].reason, "extended");
    engine.set_suppressions(vec![]);
    assert!(engine.suppressions().is_empty());
}

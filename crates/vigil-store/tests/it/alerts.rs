use crate::fixtures::{T0, alert, key};
use vigil_model::{AlertKind, AlertStatus, EntityKind, EntityRef, Severity, Timestamp};
use vigil_store::{AlertFilter, Store, StoreError};

fn store_with(n: usize) -> (Store, Vec<vigil_model::Alert>) {
    let mut store = Store::open_in_memory().unwrap();
    let alerts: Vec<_> = (0..n).map(alert).collect();
    store.upsert_alerts(&alerts).unwrap();
    (store, alerts)
}

/// The reference: filter and order in memory.
fn naive(alerts: &[vigil_model::Alert], f: &AlertFilter) -> Vec<String> {
    let mut hits: Vec<_> = alerts
        .iter()
        .filter(|a| f.severity_at_least.is_none_or(|s| a.severity >= s))
        .filter(|a| f.types.is_empty() || f.types.contains(&a.alert_type))
        .filter(|a| f.kind.is_none_or(|k| a.kind == k))
        .filter(|a| f.statuses.is_empty() || f.statuses.contains(&a.status))
        .filter(|a| f.entity.as_ref().is_none_or(|e| a.entities.contains(e)))
        .filter(|a| f.since.is_none_or(|t| a.last_seen >= t))
        .filter(|a| f.until.is_none_or(|t| a.first_seen < t))
        .collect();
    hits.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(b.id.cmp(&a.id)));
    hits.into_iter().map(|a| a.id.clone()).collect()
}

#[test]
fn alerts_round_trip_and_upsert_replaces() {
    let (mut store, alerts) = store_with(3);
    assert_eq!(
        store.get_alert(&alerts[1].id).unwrap().as_ref(),
        Some(&alerts[1])
    );
    assert_eq!(store.get_alert("nope").unwrap(), None);
    let mut changed = alerts[1].clone();
    changed.title = "Renamed".to_string();
    changed.entities = vec![EntityRef::new(EntityKind::Host, "i-1")];
    store.upsert_alert(&changed).unwrap();
    assert_eq!(store.get_alert(&changed.id).unwrap(), Some(changed.clone()));
    // the old entities no longer find it
    let (page, total) = store
        .list_alerts(&AlertFilter {
            entity: Some(alerts[1].entities[0].clone()),
            ..AlertFilter::default()
        })
        .unwrap();
    assert!(page.iter().all(|a| a.id != changed.id));
    assert_eq!(total as usize, page.len());
}

#[test]
fn filters_and_pages_match_a_naive_filter() {
    let (store, alerts) = store_with(500);
    let filters = [
        AlertFilter::default(),
        AlertFilter {
            severity_at_least: Some(Severity::High),
            ..AlertFilter::default()
        },
        AlertFilter {
            types: vec!["compromised_host".into(), "data_exfiltration".into()],
            kind: Some(AlertKind::Rule),
            ..AlertFilter::default()
        },
        AlertFilter {
            entity: Some(EntityRef::new(EntityKind::AccessKey, key(7))),
            ..AlertFilter::default()
        },
        AlertFilter {
            since: Some(Timestamp::from_millis(T0 + 200_000)),
            until: Some(Timestamp::from_millis(T0 + 300_000)),
            statuses: vec![AlertStatus::New],
            ..AlertFilter::default()
        },
    ];
    for filter in filters {
        let expected = naive(&alerts, &filter);
        let (all, total) = store.list_alerts(&filter).unwrap();
        assert_eq!(total as usize, expected.len(), "{filter:?}");
        assert_eq!(
            all.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            expected
        );
        let mut paged = Vec::new();
        for page in 0.. {
            let (items, t) = store
                .list_alerts(&AlertFilter {
                    limit: Some(37),
                    offset: page * 37,
                    ..filter.clone()
                })
                .unwrap();
            assert_eq!(t as usize, expected.len());
            if items.is_empty() {
                break;
            }
            paged.extend(items.into_iter().map(|a| a.id));
        }
        assert_eq!(paged, expected, "{filter:?}");
    }
}

#[test]
fn status_changes_are_audited_and_survive_redetection() {
    let (mut store, alerts) = store_with(2);
    let id = alerts[0].id.clone();
    let t = Timestamp::from_millis(T0 + 5_000);
    store
        .set_alert_status(&id, AlertStatus::FalsePositive, "test traffic", "alice", t)
        .unwrap();
    assert_eq!(
        store.get_alert(&id).unwrap().map(|a| a.status),
        Some(AlertStatus::FalsePositive)
    );
    // detection raises it again with status `new` and a later last_seen
    let mut again = alerts[0].clone();
    again.last_seen = again.last_seen.plus_millis(60_000);
    store.upsert_alert(&again).unwrap();
    let stored = store.get_alert(&id).unwrap().unwrap();
    assert_eq!(stored.status, AlertStatus::FalsePositive);
    assert_eq!(stored.last_seen, again.last_seen);

    let audit = store.list_audit(10).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "alice");
    assert_eq!(audit[0].action, "alert.set_status");
    assert_eq!(audit[0].target, id);
    assert_eq!(audit[0].time, t);
    assert_eq!(audit[0].details["from"], "new");
    assert_eq!(audit[0].details["to"], "false_positive");
    assert_eq!(audit[0].details["reason"], "test traffic");

    let missing = store.set_alert_status("nope", AlertStatus::Resolved, "", "bob", t);
    assert!(matches!(missing, Err(StoreError::AlertNotFound(ref s)) if s == "nope"));
    assert_eq!(store.list_audit(10).unwrap().len(), 1);
    let stats = store.stats().unwrap();
    assert_eq!(stats.alerts, 2);
    assert_eq!(stats.alerts_by_status["false_positive"], 1);
}

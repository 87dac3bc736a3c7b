//! Inventory, engine state, checkpoints, audit log and migrations.

use crate::fixtures::{T0, mixed_events};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::entity::{IngressRule, InventoryEntity};
use vigil_model::{EntityKind, EntityRef, Timestamp};
use vigil_store::{AuditEntry, FileCheckpoint, SCHEMA_VERSION, Store, StoreError};

fn inventory() -> Vec<InventoryEntity> {
    vec![
        InventoryEntity::IamUser {
            arn: "arn:aws:iam::111111111111:user/alice".into(),
            name: "alice".into(),
            created: Some(Timestamp::from_millis(T0)),
            has_console_password: true,
            mfa_active: false,
        },
        InventoryEntity::IamRole {
            arn: "arn:aws:iam::111111111111:role/Admin".into(),
            name: "Admin".into(),
            created: None,
            trust_policy: Some(serde_json::json!({"Version": "2012-10-17", "Statement": []})),
        },
        InventoryEntity::SecurityGroup {
            id: "sg-1".into(),
            vpc_id: Some("vpc-1".into()),
            name: "web".into(),
            ingress: vec![IngressRule {
                protocol: "tcp".into(),
                from_port: Some(22),
                to_port: Some(22),
                source: "0.0.0.0/0".into(),
            }],
        },
        InventoryEntity::Bucket {
            name: "logs".into(),
            region: None,
            created: None,
        },
    ]
}

#[test]
fn inventory_round_trips_and_keeps_first_and_last_seen() {
    let mut store = Store::open_in_memory().unwrap();
    let items = inventory();
    let t1 = Timestamp::from_millis(T0);
    let t2 = Timestamp::from_millis(T0 + 86_400_000);
    store.upsert_entities(t1, &items).unwrap();
    let mut renamed = items[0].clone();
    if let InventoryEntity::IamUser { mfa_active, .. } = &mut renamed {
        *mfa_active = true;
    }
    store
        .upsert_entities(t2, std::slice::from_ref(&renamed))
        .unwrap();
    // a late, older snapshot widens the window but does not roll details back
    store
        .upsert_entities(Timestamp::from_millis(T0 - 1000), &items[..1])
        .unwrap();

    let alice = store
        .get_entity(&EntityRef::new(
            EntityKind::Principal,
            "arn:aws:iam::111111111111:user/alice",
        ))
        .unwrap()
        .unwrap();
    assert_eq!(alice.entity, renamed);
    assert_eq!(alice.first_seen, Timestamp::from_millis(T0 - 1000));
    assert_eq!(alice.last_seen, t2);

    let principals = store.list_entities(Some(EntityKind::Principal)).unwrap();
    assert_eq!(principals.len(), 2);
    assert_eq!(principals[0].entity, items[1]); // the role, trust policy verbatim
    let all = store.list_entities(None).unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().any(|e| e.entity == items[2]));
    assert_eq!(
        store
            .get_entity(&EntityRef::new(EntityKind::Bucket, "nope"))
            .unwrap(),
        None
    );
    assert_eq!(store.stats().unwrap().entities, 4);
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Baseline {
    regions: BTreeMap<String, u32>,
    learning_until: Timestamp,
}

#[test]
fn engine_state_round_trips_plain_serde_data() {
    let mut store = Store::open_in_memory().unwrap();
    let b = Baseline {
        regions: [("us-east-1".to_string(), 40)].into_iter().collect(),
        learning_until: Timestamp::from_millis(T0),
    };
    assert_eq!(
        store
            .get_state::<Baseline>("baseline", "key:AKIA1")
            .unwrap(),
        None
    );
    store.put_state("baseline", "key:AKIA1", &b).unwrap();
    store.put_state("baseline", "key:AKIA2", &b).unwrap();
    store.put_state("windows", "x", &vec![1, 2, 3]).unwrap();
    assert_eq!(store.get_state("baseline", "key:AKIA1").unwrap(), Some(b));
    assert_eq!(
        store.state_keys("baseline").unwrap(),
        ["key:AKIA1", "key:AKIA2"]
    );
    store.put_state("windows", "x", &vec![4]).unwrap();
    assert_eq!(
        store.get_state::<Vec<i32>>("windows", "x").unwrap(),
        Some(vec![4])
    );
    assert!(store.delete_state("windows", "x").unwrap());
    assert!(!store.delete_state("windows", "x").unwrap());
    // a value of the wrong shape is an error that names the key, not a panic
    let err = store
        .get_state::<Vec<i32>>("baseline", "key:AKIA2")
        .unwrap_err();
    assert!(err.to_string().contains("`baseline/key:AKIA2`"), "{err}");
}

#[test]
fn checkpoints_round_trip() {
    let mut store = Store::open_in_memory().unwrap();
    let cp = FileCheckpoint {
        size: 12_345,
        mtime_ms: T0,
        content_hash: "0123456789abcdef0123456789abcdef".into(),
        events: 42,
        ingested_at: Timestamp::from_millis(T0 + 1),
    };
    assert_eq!(store.file_checkpoint("a/b.json.gz").unwrap(), None);
    store.put_file_checkpoint("a/b.json.gz", &cp).unwrap();
    assert_eq!(
        store.file_checkpoint("a/b.json.gz").unwrap(),
        Some(cp.clone())
    );
    let newer = FileCheckpoint { size: 99, ..cp };
    store.put_file_checkpoint("a/b.json.gz", &newer).unwrap();
    assert_eq!(store.file_checkpoint("a/b.json.gz").unwrap(), Some(newer));
    store.put_checkpoint("sqs", "cursor-1").unwrap();
    store.put_checkpoint("sqs", "cursor-2").unwrap();
    assert_eq!(
        store.checkpoint("sqs").unwrap().as_deref(),
        Some("cursor-2")
    );
    assert_eq!(store.checkpoint("none").unwrap(), None);
    assert_eq!(store.stats().unwrap().file_checkpoints, 1);
}

#[test]
fn audit_log_is_newest_first_and_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for i in 0..3 {
        store
            .append_audit(&AuditEntry {
                time: Timestamp::from_millis(T0 + i),
                actor: "alice".into(),
                action: "key.disable".into(),
                target: format!("AKIA{i}"),
                details: serde_json::json!({"dry_run": i == 0}),
            })
            .unwrap();
    }
    let log = store.list_audit(2).unwrap();
    assert_eq!(
        log.iter().map(|e| e.target.as_str()).collect::<Vec<_>>(),
        ["AKIA2", "AKIA1"]
    );
    assert_eq!(store.list_audit(10).unwrap()[2].details["dry_run"], true);
    drop(store);
    // not even raw SQL can rewrite history
    let conn = rusqlite_conn(dir.path());
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    assert!(
        conn.execute("UPDATE audit_log SET actor = 'mallory'", [])
            .is_err()
    );
}

fn rusqlite_conn(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(vigil_store::DB_FILE)).unwrap()
}

#[test]
fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let events = mixed_events(20);
    {
        let mut store = Store::open(dir.path().join("nested/data").as_path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        store.insert_events(&events).unwrap();
    }
    // a second process (the CLI while the server runs) opens the same directory
    let mut a = Store::open(dir.path().join("nested/data").as_path()).unwrap();
    let b = Store::open(dir.path().join("nested/data").as_path()).unwrap();
    assert_eq!(b.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(a.insert_events(&events).unwrap().new_count(), 0);
    assert_eq!(b.count_events().unwrap(), 20);
    let conn = rusqlite_conn(&dir.path().join("nested/data"));
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    rusqlite_conn(dir.path())
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = Store::open(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err}");
    assert!(err.to_string().contains("upgrade vigil"));
}

//! Paths over identity edges alone (leaked keys as entry points): cycles, bounds, scoring
//! factors, and the fix that cuts the most.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use vigil_graph::facts::*;
use vigil_graph::fix::FixKind;
use vigil_graph::inventory::{DataStore, DataStoreKind, Inventory};
use vigil_graph::{AnalysisOptions, NodeKind, PathOptions, analyze, build, find_paths};

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::111122223333:{kind}/{name}")
}

fn store(name: &str, tags: &[(&str, &str)]) -> DataStore {
    DataStore {
        id: format!("arn:aws:s3:::{name}"),
        name: name.into(),
        kind: DataStoreKind::Bucket,
        vpc_id: None,
        subnet_ids: vec![],
        security_groups: vec![],
        port: None,
        publicly_accessible: false,
        public_access: vec![],
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        encrypted: None,
        cluster: None,
    }
}

fn assume(from: &str, to: &str, conditions: &[&str]) -> AssumeFact {
    AssumeFact {
        principal: from.into(),
        role: to.into(),
        justification: "test".into(),
        conditions: conditions.iter().map(|c| c.to_string()).collect(),
    }
}

/// Two leaked keys → two users → both can assume `hub` (one needs MFA) → `hub` reads two
/// buckets; `hub` and `spoke` can assume each other (a cycle).
fn setup() -> (Inventory, Facts) {
    let inv = Inventory {
        data_stores: vec![
            store("pii", &[("data-classification", "restricted")]),
            store("logs", &[]),
        ],
        ..Inventory::default()
    };
    let (a, b, hub, spoke) = (
        arn("user", "a"),
        arn("user", "b"),
        arn("role", "hub"),
        arn("role", "spoke"),
    );
    let mut f = Facts::default();
    for (key, user, verified) in [
        ("AKIAAAAAAAAAAAAAAAAA", &a, true),
        ("AKIABBBBBBBBBBBBBBBB", &b, false),
    ] {
        f.leaked_secrets.push(LeakedSecret {
            fingerprint: format!("{key}-fp"),
            aws_access_key_id: Some(key.into()),
            location: "paste".into(),
            verified,
        });
        f.identity.access_keys.push(AccessKeyFact {
            key_id: key.into(),
            user_arn: user.clone(),
            active: true,
        });
    }
    f.identity.can_assume = vec![
        assume(&a, &hub, &[]),
        assume(&b, &hub, &["aws:MultiFactorAuthPresent"]),
        assume(&hub, &spoke, &[]),
        assume(&spoke, &hub, &[]),
    ];
    for s in ["pii", "logs"] {
        f.identity.data_access.push(DataAccessFact {
            principal: hub.clone(),
            resource: s.into(),
            access: DataAccess::Read,
            justification: "s3:GetObject".into(),
        });
    }
    (inv, f)
}

#[test]
fn cycles_terminate_and_paths_are_simple() {
    let (inv, f) = setup();
    let g = build(&inv, &f);
    let paths = find_paths(&g, &PathOptions::default());
    // Two keys × two buckets; the hub↔spoke cycle adds nothing useful and never repeats a node.
    assert_eq!(paths.len(), 4, "{paths:#?}");
    for p in &paths {
        let mut ids: Vec<&str> = p.nodes.iter().map(|n| n.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), p.nodes.len());
        assert_eq!(p.nodes[0].kind, NodeKind::Secret);
    }
}

#[test]
fn scores_follow_the_factors() {
    let (inv, f) = setup();
    let a = analyze(&inv, &f, &AnalysisOptions::default());
    let top = &a.paths[0];
    // Verified key, no condition, restricted data read: 1 × 1 × (1.0 × 0.9).
    assert_eq!(top.nodes.last().unwrap().id, "arn:aws:s3:::pii");
    assert_eq!(top.nodes[1].id, "AKIAAAAAAAAAAAAAAAAA");
    assert!((top.score - 90.0).abs() < 1e-9, "{}", top.score);
    // The unverified key behind an MFA condition: 0.8 × 0.3 × 0.9.
    let mfa = a
        .paths
        .iter()
        .find(|p| {
            p.nodes[1].id == "AKIABBBBBBBBBBBBBBBB" && p.nodes.last().unwrap().id.ends_with("pii")
        })
        .unwrap();
    assert!((mfa.score - 21.6).abs() < 1e-9, "{}", mfa.score);
    assert!(
        mfa.factors[1]
            .explanation
            .contains("aws:MultiFactorAuthPresent")
    );
    // An untagged bucket is internal: 0.4 × 0.9.
    let logs = a
        .paths
        .iter()
        .find(|p| {
            p.nodes[1].id == "AKIAAAAAAAAAAAAAAAAA" && p.nodes.last().unwrap().id.ends_with("logs")
        })
        .unwrap();
    assert!((logs.score - 36.0).abs() < 1e-9);
}

#[test]
fn fix_first_is_the_cut_shared_by_most_weight() {
    let (inv, f) = setup();
    let a = analyze(&inv, &f, &AnalysisOptions::default());
    // Paths: a→pii 90, a→logs 36, b→pii 21.6, b→logs 8.64. Cutting user a off (its key, or
    // its assume of hub: tied, the key order decides) removes 126; revoking hub's read of pii
    // only 111.6.
    let first = &a.fix_first[0];
    assert_eq!(first.kind, FixKind::NarrowTrustPolicy, "{:#?}", a.fix_first);
    assert!(first.description.contains("stop a assuming hub"));
    assert_eq!(first.breaks, 2);
    assert!((first.weight_removed - 126.0).abs() < 1e-6);
    // The greedy second choice works on what is left: b's two paths (30.24) beat pii's read
    // (now only 21.6).
    let second = &a.fix_first[1];
    assert_eq!(second.breaks, 2, "{:#?}", a.fix_first);
    assert!((second.weight_removed - 30.24).abs() < 1e-6);
    assert_eq!(second.share, 1.0);
    assert!(a.fix_first.iter().map(|f| f.breaks).sum::<usize>() <= a.paths.len());
}

#[test]
fn bounds_cap_the_enumeration() {
    let (inv, f) = setup();
    let g = build(&inv, &f);
    let opts = PathOptions {
        paths_per_target: 1,
        ..PathOptions::default()
    };
    let paths = find_paths(&g, &opts);
    assert_eq!(paths.len(), 2);
    let opts = PathOptions {
        max_depth: 3,
        ..PathOptions::default()
    };
    assert!(find_paths(&g, &opts).is_empty());
}

#[test]
fn an_inactive_key_authenticates_as_nobody() {
    let (inv, mut f) = setup();
    for k in &mut f.identity.access_keys {
        k.active = false;
    }
    assert!(find_paths(&build(&inv, &f), &PathOptions::default()).is_empty());
}

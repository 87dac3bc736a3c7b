//! The acceptance story on the Vigil demo's inventory: the path the attacker walked is found
//! before the attack and ranked first; closing the port removes it; an alert raises it.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;
use vigil_graph::facts::*;
use vigil_graph::fix::FixKind;
use vigil_graph::net::is_world;
use vigil_graph::{AnalysisOptions, NodeKind, analyze};

fn kinds(p: &vigil_graph::AttackPath) -> Vec<NodeKind> {
    p.nodes.iter().map(|n| n.kind).collect()
}

#[test]
fn the_story_path_is_found_and_ranked_first() {
    let (dir, m) = demo();
    let (inv, report) = load_dir(&dir.path().join("inventory"));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let a = analyze(&inv, &story_facts(m), &AnalysisOptions::default());
    let top = &a.paths[0];
    assert_eq!(
        kinds(top),
        [
            NodeKind::Internet,
            NodeKind::Instance,
            NodeKind::AccessKey,
            NodeKind::User,
            NodeKind::Role,
            NodeKind::DataStore
        ],
        "{:#?}",
        a.paths.iter().take(3).collect::<Vec<_>>()
    );
    let ids: Vec<&str> = top.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        ids[1..],
        [
            m.compromised_instance_id.as_str(),
            m.contractor_access_key_id.as_str(),
            m.contractor_user_arn.as_str(),
            m.privileged_role_arn.as_str(),
            m.rds_cluster_arn.as_str()
        ]
    );
    // The exposure was computed: route to the IGW, the SG rules open to the world.
    let reach = &top.edges[0];
    assert_eq!(reach.kind, "reachable_from_internet");
    assert!(reach.meaning.contains("tcp/22,80,443"), "{}", reach.meaning);
    assert!(
        reach
            .evidence
            .iter()
            .any(|e| e.contains("routes 0.0.0.0/0 to igw-")),
        "{:?}",
        reach.evidence
    );
    // Every factor is shown with its reason.
    let names: Vec<&str> = top.factors.iter().map(|f| f.name).collect();
    assert_eq!(names, ["entry", "steps", "damage"]);
    assert!(top.factors[0].explanation.contains("CVE-2024-53677"));
    assert!(!top.walked);
    // Other hosts have public IPs but only internal rules: none is reachable.
    assert_eq!(a.graph.edges_by_type["reachable_from_internet"], 1);
    // Fix first: closing the web group's world-open rules breaks every path through the host.
    let fix = &a.fix_first[0];
    assert_eq!(
        fix.kind,
        FixKind::CloseSecurityGroupRule,
        "{:#?}",
        a.fix_first
    );
    assert!(fix.description.contains(&m.security_group_id));
    assert_eq!(
        fix.breaks,
        a.paths
            .iter()
            .filter(|p| p.nodes[1].id == m.compromised_instance_id)
            .count()
    );
    assert!(top.fix.is_some());
    // The top risks name the host and the exposed key.
    assert!(
        a.risks
            .iter()
            .any(|r| r.subject == m.compromised_instance_id)
    );
    assert!(
        a.risks
            .iter()
            .any(|r| r.subject == m.contractor_access_key_id)
    );
}

#[test]
fn closing_the_port_removes_the_path() {
    let (dir, m) = demo();
    let (mut inv, _) = load_dir(&dir.path().join("inventory"));
    let facts = story_facts(m);
    let through_host = |inv: &vigil_graph::Inventory| {
        analyze(inv, &facts, &AnalysisOptions::default())
            .paths
            .iter()
            .filter(|p| p.nodes.iter().any(|n| n.id == m.compromised_instance_id))
            .count()
    };
    assert!(through_host(&inv) > 0);
    let sg = inv
        .security_groups
        .iter_mut()
        .find(|g| g.id == m.security_group_id)
        .unwrap();
    // Closing SSH alone leaves 80 and 443 open: the path stays.
    sg.ingress.retain(|r| r.ports != Some((22, 22)));
    assert!(through_host(&inv) > 0);
    // Closing every world-open rule removes it.
    let sg = inv
        .security_groups
        .iter_mut()
        .find(|g| g.id == m.security_group_id)
        .unwrap();
    sg.ingress.retain(|r| !r.cidrs.iter().any(|c| is_world(c)));
    assert_eq!(through_host(&inv), 0);
}

#[test]
fn a_route_change_removes_it_too() {
    let (dir, m) = demo();
    let (mut inv, _) = load_dir(&dir.path().join("inventory"));
    for t in &mut inv.route_tables {
        t.routes.retain(|r| !r.target.starts_with("igw-"));
    }
    let a = analyze(&inv, &story_facts(m), &AnalysisOptions::default());
    assert!(
        a.paths
            .iter()
            .all(|p| p.nodes[1].id != m.compromised_instance_id)
    );
}

#[test]
fn an_alert_on_the_key_marks_the_path_walked() {
    let (dir, m) = demo();
    let (inv, _) = load_dir(&dir.path().join("inventory"));
    let mut facts = story_facts(m);
    // A leaked, verified key of someone else that leads straight to the same role: on its own
    // it outranks the story's path.
    facts.leaked_secrets.push(LeakedSecret {
        fingerprint: "AKIA…xxh3:00".into(),
        aws_access_key_id: Some("AKIAEXAMPLELEAKED001".into()),
        location: "https://github.com/example/repo".into(),
        verified: true,
    });
    let other = format!("arn:aws:iam::{}:user/ci-bot", m.account_id);
    facts.identity.access_keys.push(AccessKeyFact {
        key_id: "AKIAEXAMPLELEAKED001".into(),
        user_arn: other.clone(),
        active: true,
    });
    facts.identity.data_access.push(DataAccessFact {
        principal: other,
        resource: m.rds_cluster_arn.clone(),
        access: DataAccess::Snapshot,
        justification: "test".into(),
    });
    let calm = analyze(&inv, &facts, &AnalysisOptions::default());
    assert_eq!(calm.paths[0].nodes[0].kind, NodeKind::Secret);
    facts.alerts.push(alert_on("alert-1", key_ref(m)));
    let live = analyze(&inv, &facts, &AnalysisOptions::default());
    let top = &live.paths[0];
    assert!(top.walked);
    assert_eq!(top.alerts, ["alert-1"]);
    assert_eq!(top.nodes[1].id, m.compromised_instance_id);
    assert_eq!(top.nodes.last().unwrap().id, m.rds_cluster_arn);
    assert!(top.factors.iter().any(|f| f.name == "live"));
}

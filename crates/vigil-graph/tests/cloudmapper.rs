//! The graph of CloudMapper's demo account, checked against expectations worked out by hand
//! from its describe outputs (cartography-style: sets of nodes and of (from, edge, to)).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use vigil_graph::{AnalysisOptions, Facts, NodeKind, analyze_graph, build};

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cloudmapper-demo")
}

const ALB: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo/qwerty";
const DB: &str = "arn:aws:rds:us-east-1:123456789012:db:securitymonkey";
const BUCKET: &str = "arn:aws:s3:::cloudmapper_demo";

#[test]
fn nodes_and_edges_match_the_hand_checked_sets() {
    let (inv, report) = common::load_dir(&fixture());
    // The sample reuses one interface id for three instances: reported, kept apart.
    assert_eq!(report.problems.len(), 3, "{:?}", report.problems);
    assert!(report.missing.iter().any(|m| m.starts_with("route tables")));
    assert!(report.missing.iter().any(|m| m.starts_with("network ACLs")));
    let g = build(&inv, &Facts::default());

    let i0 = "i-00000000000000000";
    let i1 = "i-00000000000000001";
    let i2 = "i-00000000000000002";
    let (e0, e1, e2) = (
        "eni-00000000@i-00000000000000000",
        "eni-00000000@i-00000000000000001",
        "eni-00000000@i-00000000000000002",
    );
    let sg = |n: u8| format!("sg-0000000{n}");
    let subnet = |n: u8| format!("subnet-0000000{n}");
    let mut nodes: BTreeSet<(NodeKind, String)> = BTreeSet::new();
    let mut add = |k: NodeKind, id: &str| {
        nodes.insert((k, id.to_string()));
    };
    add(NodeKind::Internet, "internet");
    add(NodeKind::Vpc, "vpc-12345678");
    for n in 1..=4 {
        add(NodeKind::Subnet, &subnet(n));
    }
    for n in 1..=8 {
        add(NodeKind::SecurityGroup, &sg(n));
    }
    for e in ["eni-00000001", e0, e1, e2] {
        add(NodeKind::NetworkInterface, e);
    }
    add(NodeKind::PublicIp, "1.2.3.4");
    add(NodeKind::PublicIp, "3.80.3.41");
    for i in [i0, i1, i2] {
        add(NodeKind::Instance, i);
    }
    add(NodeKind::LoadBalancer, ALB);
    add(NodeKind::LoadBalancer, "weblb");
    add(NodeKind::DataStore, DB);
    add(NodeKind::DataStore, BUCKET);
    for u in ["USER_WITH_BAD_INLINE_POLICY", "USER"] {
        add(NodeKind::User, &format!("arn:aws:iam::aws:user/{u}"));
    }
    for r in ["exfiller", "bad_role", "service-role/level1", "level3"] {
        add(
            NodeKind::Role,
            &format!("arn:aws:iam::123456789012:role/{r}"),
        );
    }
    assert_eq!(g.node_set(), nodes);

    let mut edges: BTreeSet<(String, &'static str, String)> = BTreeSet::new();
    let mut e = |a: &str, k: &'static str, b: &str| {
        edges.insert((a.to_string(), k, b.to_string()));
    };
    for n in 1..=4 {
        e(&subnet(n), "in_vpc", "vpc-12345678");
    }
    for n in 1..=8 {
        e(&sg(n), "in_vpc", "vpc-12345678");
    }
    // The ECS task's interface: public, port 443 open to the world in sg-8.
    e("eni-00000001", "in_subnet", &subnet(1));
    e("eni-00000001", "protected_by", &sg(8));
    e("eni-00000001", "has_public_ip", "3.80.3.41");
    e("internet", "reachable_from_internet", "eni-00000001");
    // The bastion: public address, but SSH only from two office ranges: not reachable.
    e(e0, "in_subnet", &subnet(1));
    e(e0, "protected_by", &sg(2));
    e(e0, "attached_to", i0);
    e(e0, "has_public_ip", "1.2.3.4");
    e(i0, "in_subnet", &subnet(1));
    // Two private web servers.
    e(e1, "in_subnet", &subnet(3));
    e(e1, "protected_by", &sg(4));
    e(e1, "attached_to", i1);
    e(i1, "in_subnet", &subnet(3));
    e(e2, "in_subnet", &subnet(4));
    e(e2, "protected_by", &sg(4));
    e(e2, "attached_to", i2);
    e(i2, "in_subnet", &subnet(4));
    // The ALB: 443 open to the world, no listeners collected → reachable on 443.
    e(ALB, "protected_by", &sg(3));
    e(ALB, "in_subnet", &subnet(2));
    e("internet", "reachable_from_internet", ALB);
    // The classic ELB listens on 8000 but its group opens only 443: not reachable. It forwards
    // to i-2 on 8000 (sg-4 allows 8000 from sg-3); i-3 is not in the inventory.
    e("weblb", "protected_by", &sg(3));
    e("weblb", "in_subnet", &subnet(1));
    e("weblb", "in_subnet", &subnet(2));
    e("weblb", "forwards_to", i2);
    // The database allows 5432 from sg-4: both web servers can connect.
    e(DB, "protected_by", &sg(5));
    e(i1, "network_can_reach", DB);
    e(i2, "network_can_reach", DB);
    // The bucket policy grants s3:GetObject to everyone.
    e("internet", "publicly_accessible", BUCKET);
    assert_eq!(g.edge_set(), edges);

    let reach: Vec<String> = g
        .edges
        .iter()
        .filter_map(|x| match &x.kind {
            vigil_graph::EdgeKind::ReachableFromInternet { open, .. } => Some(format!(
                "{} {}",
                g.node(x.to).label,
                open.iter()
                    .map(|o| format!("{}/{}", o.protocol.as_str(), o.ports))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        reach,
        [
            "arn:aws:ecs:us-east-1:653711331788:attachment/ed8fed01-82d0-4bf6-86cf-fe3115c23ab8 tcp/443",
            "webalb tcp/443"
        ]
    );
    assert!(g.notes.iter().any(|n| n.contains("i-00000000000000003")));

    // One path: the public bucket. The ALB leads nowhere known; the ELB is closed.
    let a = analyze_graph(&g, &AnalysisOptions::default());
    assert_eq!(a.paths.len(), 1, "{:#?}", a.paths);
    assert_eq!(a.paths[0].nodes.last().unwrap().id, BUCKET);
    assert_eq!(
        a.fix_first[0].kind,
        vigil_graph::fix::FixKind::RemovePublicAccess
    );
}

#[test]
fn bad_and_unknown_files_are_reported_not_fatal() {
    let mut files = common::read_dir(&fixture());
    files.push(vigil_graph::InputFile {
        path: "broken.json".into(),
        bytes: b"{\"Reservations\": [".to_vec(),
    });
    files.push(vigil_graph::InputFile {
        path: "weird.json".into(),
        bytes: b"[1,2]".to_vec(),
    });
    files.push(vigil_graph::InputFile {
        path: "sg.json".into(),
        bytes: br#"{"SecurityGroups": [{"GroupName": "no id"}]}"#.to_vec(),
    });
    let (inv, report) = vigil_graph::load(&files);
    assert_eq!(inv.instances.len(), 3);
    let reasons: Vec<&str> = report.problems.iter().map(|p| p.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("not JSON")),
        "{reasons:?}"
    );
    assert!(reasons.contains(&"not a JSON object"));
    assert!(reasons.contains(&"security group without GroupId skipped"));
}

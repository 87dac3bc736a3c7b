//! Top risks: the findings a team should look at first, each linked to the paths or findings
//! behind it — exposed vulnerable hosts, risky images, paths through exposed secrets, data
//! stores at the end of paths, and the identities most paths run through.

use crate::graph::{EdgeKind, Graph, NodeId, NodeKind};
use crate::paths::AttackPath;
use crate::score;
use serde::Serialize;
use std::collections::BTreeMap;
use vigil_model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskCategory {
    ExposedVulnerableHost,
    RiskyImage,
    ExposedSecret,
    RiskyDataAsset,
    RiskyIdentity,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    pub rank: usize,
    pub category: RiskCategory,
    pub title: String,
    /// 0–100.
    pub score: f64,
    #[serde(rename = "subject_type")]
    pub subject_kind: NodeKind,
    pub subject: String,
    pub detail: Vec<String>,
    /// Ids of the paths behind it, best first.
    pub paths: Vec<String>,
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Paths through each node, best first (paths are already ranked).
fn paths_through(paths: &[AttackPath]) -> BTreeMap<(NodeKind, String), Vec<&AttackPath>> {
    let mut m: BTreeMap<(NodeKind, String), Vec<&AttackPath>> = BTreeMap::new();
    for p in paths {
        for n in &p.nodes {
            let v = m.entry((n.kind, n.id.clone())).or_default();
            if !v.iter().any(|x| x.id == p.id) {
                v.push(p);
            }
        }
    }
    m
}

pub fn top_risks(g: &Graph, paths: &[AttackPath], limit: usize) -> Vec<Risk> {
    let through = paths_through(paths);
    let ids = |k: NodeKind, id: &str| -> Vec<String> {
        through
            .get(&(k, id.to_string()))
            .map(|v| v.iter().map(|p| p.id.clone()).collect())
            .unwrap_or_default()
    };
    let best = |k: NodeKind, id: &str| -> f64 {
        through
            .get(&(k, id.to_string()))
            .and_then(|v| v.first())
            .map_or(0.0, |p| p.score)
    };
    let mut out = Vec::new();
    // Exposed hosts with serious vulnerabilities.
    // Directly, or behind a load balancer that is itself reachable.
    let reachable: Vec<NodeId> = g
        .edges
        .iter()
        .filter(|e| matches!(e.kind, EdgeKind::ReachableFromInternet { .. }))
        .map(|e| e.to)
        .collect();
    let exposed: Vec<NodeId> = g
        .edges
        .iter()
        .filter(|e| match e.kind {
            EdgeKind::ReachableFromInternet { .. } => true,
            EdgeKind::ForwardsTo { .. } => reachable.contains(&e.from),
            _ => false,
        })
        .map(|e| e.to)
        .filter(|&n| g.node(n).kind == NodeKind::Instance)
        .collect();
    let mut seen = Vec::new();
    for h in exposed {
        if seen.contains(&h) {
            continue;
        }
        seen.push(h);
        let Some(vulns) = g.host_vulns.get(&h) else {
            continue;
        };
        let serious: Vec<_> = vulns
            .iter()
            .filter(|v| v.severity >= Severity::High)
            .collect();
        if serious.is_empty() {
            continue;
        }
        let n = g.node(h);
        let (ease, why) = score::host_entry(g, h, None);
        out.push(Risk {
            rank: 0,
            category: RiskCategory::ExposedVulnerableHost,
            title: format!(
                "{} is reachable from the internet with {}",
                n.label,
                plural(serious.len(), "high or critical vulnerability")
                    .replace("vulnerabilitys", "vulnerabilities")
            ),
            score: r3((100.0 * ease).max(best(NodeKind::Instance, &n.id))),
            subject_kind: n.kind,
            subject: n.id.clone(),
            detail: std::iter::once(why)
                .chain(
                    serious
                        .iter()
                        .map(|v| format!("{} {} in {}", v.id, v.severity, v.package)),
                )
                .collect(),
            paths: ids(NodeKind::Instance, &n.id),
        });
    }
    // Images carrying serious vulnerabilities, by how many hosts run them.
    for (i, n) in g.nodes.iter().enumerate() {
        if n.kind != NodeKind::Image {
            continue;
        }
        let vulns: Vec<&crate::facts::VulnFact> = g
            .host_vulns
            .values()
            .flatten()
            .filter(|v| v.image.as_deref() == Some(n.id.as_str()) && v.severity >= Severity::High)
            .collect();
        if vulns.is_empty() {
            continue;
        }
        let running = g
            .edges
            .iter()
            .filter(|e| e.to == i as NodeId && matches!(e.kind, EdgeKind::RunsImage))
            .count();
        let worst = vulns
            .iter()
            .map(|v| score::vuln_ease(v))
            .fold(0.0, f64::max);
        let mut ids: Vec<&str> = vulns.iter().map(|v| v.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        out.push(Risk {
            rank: 0,
            category: RiskCategory::RiskyImage,
            title: format!(
                "image {} has {} high or critical vulnerabilities and runs in {running} containers",
                n.label,
                ids.len()
            ),
            score: r3(100.0 * worst * (0.6 + 0.4 * (running.min(10) as f64 / 10.0))),
            subject_kind: n.kind,
            subject: n.id.clone(),
            detail: ids.iter().map(|s| s.to_string()).collect(),
            paths: Vec::new(),
        });
    }
    // Secrets that open paths.
    let mut by_secret: BTreeMap<String, (NodeKind, String, Vec<&AttackPath>, String)> =
        BTreeMap::new();
    for p in paths {
        for (i, e) in p.edges.iter().enumerate() {
            if e.kind == "holds_secret_for_key" || e.kind == "unlocks" {
                let key = &p.nodes[i + 1];
                let entry = by_secret
                    .entry(key.id.clone())
                    .or_insert_with(|| (key.kind, key.id.clone(), Vec::new(), e.meaning.clone()));
                entry.2.push(p);
            }
        }
    }
    for (_, (kind, id, ps, meaning)) in by_secret {
        out.push(Risk {
            rank: 0,
            category: RiskCategory::ExposedSecret,
            title: format!(
                "exposed secret of access key {id} opens {}",
                plural(ps.len(), "attack path")
            ),
            score: ps.first().map_or(0.0, |p| p.score),
            subject_kind: kind,
            subject: id,
            detail: vec![meaning],
            paths: ps.iter().map(|p| p.id.clone()).collect(),
        });
    }
    // Data stores and identities on paths.
    for ((kind, id), ps) in &through {
        let Some(top) = ps.first() else { continue };
        let (category, title) = match kind {
            NodeKind::DataStore => (
                RiskCategory::RiskyDataAsset,
                format!(
                    "{} is the end of {}",
                    top.nodes
                        .iter()
                        .find(|n| &n.id == id)
                        .map_or(id.as_str(), |n| n.label.as_str()),
                    plural(ps.len(), "attack path")
                ),
            ),
            NodeKind::User | NodeKind::Role => (
                RiskCategory::RiskyIdentity,
                format!(
                    "{} is on {}",
                    top.nodes
                        .iter()
                        .find(|n| &n.id == id)
                        .map_or(id.as_str(), |n| n.label.as_str()),
                    plural(ps.len(), "attack path")
                ),
            ),
            _ => continue,
        };
        out.push(Risk {
            rank: 0,
            category,
            title,
            score: top.score,
            subject_kind: *kind,
            subject: id.clone(),
            detail: vec![format!(
                "best path: {}",
                top.edges
                    .iter()
                    .map(|e| e.meaning.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            )],
            paths: ps.iter().map(|p| p.id.clone()).collect(),
        });
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.category.cmp(&b.category))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    out.truncate(limit);
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    out
}

//! Attack paths: from each entry point (the internet, every leaked secret) to every crown
//! jewel (data stores, administrator power), across network and identity edges.
//!
//! The search is best-first over simple paths, ordered by the score of the partial path —
//! every factor is at most 1, so that score bounds all of its completions. Two bounds keep it
//! tractable on large estates: each node is expanded at most `visits_per_node` times per entry
//! (the k best ways to stand on it, as in k-shortest-path search), and each crown jewel keeps
//! at most `paths_per_target` paths. The paths reported are the best ones, not all of them.

use crate::graph::{EdgeKind, Graph, NodeId, NodeKind};
use crate::score::{self, Factor};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// Bounds of the enumeration.
#[derive(Debug, Clone, Copy)]
pub struct PathOptions {
    /// Longest path, in edges.
    pub max_depth: usize,
    pub visits_per_node: u32,
    pub paths_per_target: usize,
    pub max_paths: usize,
    /// Paths scoring below this (0–100) are dropped.
    pub min_score: f64,
}

impl Default for PathOptions {
    fn default() -> Self {
        PathOptions {
            max_depth: 10,
            visits_per_node: 4,
            paths_per_target: 5,
            max_paths: 2000,
            min_score: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathNode {
    #[serde(rename = "type")]
    pub kind: NodeKind,
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathEdge {
    /// Index into the path's `nodes`.
    pub from: usize,
    pub to: usize,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub meaning: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttackPath {
    /// Stable across runs for the same path: a hash of its node ids.
    pub id: String,
    pub rank: usize,
    /// 0–100.
    pub score: f64,
    /// An alert names a node of this path: someone may be walking it now.
    pub walked: bool,
    pub alerts: Vec<String>,
    pub nodes: Vec<PathNode>,
    pub edges: Vec<PathEdge>,
    pub factors: Vec<Factor>,
    /// The change that cuts the most path weight among those that break this path.
    pub fix: Option<crate::fix::FixRef>,
    /// Graph edge indices, for fix computation.
    #[serde(skip)]
    pub edge_ids: Vec<u32>,
    /// The workload whose compromise the entry factor scores, with the exposure multiplier.
    #[serde(skip)]
    pub entry_host: Option<(NodeId, f64)>,
    #[serde(skip)]
    pub base_score: f64,
}

#[derive(Clone, Copy)]
struct State {
    node: NodeId,
    parent: u32,
    edge: u32,
    depth: u16,
    /// entry × steps so far (the entry is 1 until the workload is known).
    partial: f64,
    entry_set: bool,
}

#[derive(PartialEq)]
struct Item(f64, u32);
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then_with(|| o.1.cmp(&self.1))
    }
}

const NO_PARENT: u32 = u32::MAX;

/// The ease of taking the first step out of an entry point, or `None` when it is decided later
/// (a load balancer: the workload behind it decides).
fn entry_of(g: &Graph, kind: &EdgeKind, to: NodeId) -> Option<f64> {
    match kind {
        EdgeKind::ReachableFromInternet { .. } => match g.node(to).kind {
            NodeKind::Instance => Some(score::host_entry(g, to, None).0),
            NodeKind::LoadBalancer => None,
            _ => Some(score::EXPOSED_NO_KNOWN_VULN),
        },
        EdgeKind::PubliclyAccessible { .. } => Some(match g.node(to).store_kind {
            Some(crate::inventory::DataStoreKind::Bucket) => 1.0,
            _ => 0.5,
        }),
        EdgeKind::Unlocks { verified, .. } => Some(if *verified { 1.0 } else { 0.8 }),
        _ => Some(1.0),
    }
}

fn is_jewel(g: &Graph, n: NodeId) -> bool {
    matches!(g.node(n).kind, NodeKind::DataStore | NodeKind::Admin)
}

/// Entry points: the internet and every leaked secret.
pub fn entries(g: &Graph) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = g.find(NodeKind::Internet, "internet").into_iter().collect();
    for (i, n) in g.nodes.iter().enumerate() {
        if n.kind == NodeKind::Secret
            && g.steps_from(i as NodeId)
                .any(|(_, e)| matches!(e.kind, EdgeKind::Unlocks { .. }))
        {
            out.push(i as NodeId);
        }
    }
    out
}

/// Finds the best paths, scores and ranks them (walked paths first, then by score).
pub fn find_paths(g: &Graph, opts: &PathOptions) -> Vec<AttackPath> {
    let mut found: Vec<Vec<u32>> = Vec::new();
    let mut per_target: HashMap<NodeId, usize> = HashMap::new();
    for src in entries(g) {
        search(g, src, opts, &mut found, &mut per_target);
        if found.len() >= opts.max_paths {
            break;
        }
    }
    let mut paths: Vec<AttackPath> = found
        .into_iter()
        .filter_map(|edges| describe(g, edges))
        .collect();
    paths.retain(|p| p.score >= opts.min_score);
    rank(&mut paths);
    paths
}

pub(crate) fn rank(paths: &mut [AttackPath]) {
    paths.sort_by(|a, b| {
        b.walked
            .cmp(&a.walked)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.id.cmp(&b.id))
    });
    for (i, p) in paths.iter_mut().enumerate() {
        p.rank = i + 1;
    }
}

fn search(
    g: &Graph,
    src: NodeId,
    opts: &PathOptions,
    found: &mut Vec<Vec<u32>>,
    per_target: &mut HashMap<NodeId, usize>,
) {
    let mut arena: Vec<State> = vec![State {
        node: src,
        parent: NO_PARENT,
        edge: u32::MAX,
        depth: 0,
        partial: 1.0,
        entry_set: false,
    }];
    let mut heap = BinaryHeap::new();
    heap.push(Item(1.0, 0));
    let mut visits: HashMap<NodeId, u32> = HashMap::new();
    let floor = opts.min_score / 100.0;
    while let Some(Item(_, idx)) = heap.pop() {
        let st = arena[idx as usize];
        let v = visits.entry(st.node).or_insert(0);
        if *v >= opts.visits_per_node {
            continue;
        }
        *v += 1;
        if st.depth as usize >= opts.max_depth {
            continue;
        }
        for (e, edge) in g.steps_from(st.node) {
            let to = edge.to;
            if to == src || on_path(&arena, idx, to) {
                continue;
            }
            let (mut partial, mut entry_set) = (st.partial, st.entry_set);
            if st.depth == 0 {
                if let Some(x) = entry_of(g, &edge.kind, to) {
                    partial *= x;
                    entry_set = true;
                }
            } else if !entry_set {
                // Behind a load balancer: the workload it forwards to decides the entry.
                partial *= match edge.kind {
                    EdgeKind::ForwardsTo { .. } => 0.9 * score::host_entry(g, to, None).0,
                    _ => score::EXPOSED_NO_KNOWN_VULN,
                };
                entry_set = true;
            }
            partial *= score::step_ease(&edge.kind).0;
            if partial < floor {
                continue;
            }
            let next = State {
                node: to,
                parent: idx,
                edge: e,
                depth: st.depth + 1,
                partial,
                entry_set,
            };
            if is_jewel(g, to) {
                let count = per_target.entry(to).or_insert(0);
                if *count < opts.paths_per_target {
                    *count += 1;
                    arena.push(next);
                    found.push(edges_of(&arena, arena.len() as u32 - 1));
                    if found.len() >= opts.max_paths {
                        return;
                    }
                }
                continue;
            }
            arena.push(next);
            heap.push(Item(partial, arena.len() as u32 - 1));
        }
    }
}

fn on_path(arena: &[State], mut idx: u32, n: NodeId) -> bool {
    while idx != NO_PARENT {
        let s = &arena[idx as usize];
        if s.node == n {
            return true;
        }
        idx = s.parent;
    }
    false
}

fn edges_of(arena: &[State], mut idx: u32) -> Vec<u32> {
    let mut out = Vec::new();
    while idx != NO_PARENT {
        let s = &arena[idx as usize];
        if s.parent != NO_PARENT {
            out.push(s.edge);
        }
        idx = s.parent;
    }
    out.reverse();
    out
}

fn fnv(parts: impl Iterator<Item = String>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("path-{h:016x}")
}

/// What an edge means, in one sentence.
pub fn meaning(g: &Graph, kind: &EdgeKind, from: NodeId, to: NodeId) -> String {
    let (f, t) = (&g.node(from).label, &g.node(to).label);
    match kind {
        EdgeKind::ReachableFromInternet { open, .. } => {
            let ports: Vec<String> = open
                .iter()
                .map(|o| format!("{}/{}", o.protocol.as_str(), o.ports))
                .collect();
            format!("the internet reaches {t} on {}", ports.join(" "))
        }
        EdgeKind::PubliclyAccessible { .. } => format!("anyone on the internet can use {t}"),
        EdgeKind::ForwardsTo { port, .. } => format!("{f} forwards traffic to {t} on port {port}"),
        EdgeKind::NetworkCanReach { port, .. } => format!("{f} can connect to {t} on tcp/{port}"),
        EdgeKind::HoldsSecretForKey { path, .. } => {
            format!("{f} holds the secret of access key {t} in {path}")
        }
        EdgeKind::Unlocks { location, .. } => {
            format!("a secret leaked at {location} unlocks access key {t}")
        }
        EdgeKind::AuthenticatesAs => format!("access key {f} authenticates as {t}"),
        EdgeKind::UsesInstanceProfile => format!("{f} gets credentials of instance profile {t}"),
        EdgeKind::ProfileGrantsRole => format!("instance profile {f} grants role {t}"),
        EdgeKind::CanAssume { .. } => format!("{f} can assume {t}"),
        EdgeKind::CanEscalateTo { method } => format!("{f} can escalate to {t} ({method})"),
        EdgeKind::CanAccessData { access } => format!("{f} can {} {t}", access.as_str()),
        EdgeKind::IsAdmin => format!("{f} is an administrator"),
        other => format!("{f} {} {t}", other.name()),
    }
}

/// Turns an edge list into a scored, explained path.
pub(crate) fn describe(g: &Graph, edge_ids: Vec<u32>) -> Option<AttackPath> {
    let first = g.edges.get(*edge_ids.first()? as usize)?;
    let last = g.edges.get(*edge_ids.last()? as usize)?;
    let mut nodes = vec![first.from];
    for &e in &edge_ids {
        nodes.push(g.edges[e as usize].to);
    }
    // Entry: the exposure of the first workload, or the leaked secret, or the public store.
    let mut entry_host = None;
    let (entry, entry_text) = match &first.kind {
        EdgeKind::ReachableFromInternet { .. } => {
            let (host, mult) = match g.node(first.to).kind {
                NodeKind::LoadBalancer => match edge_ids.get(1).map(|&e| &g.edges[e as usize]) {
                    Some(x) if matches!(x.kind, EdgeKind::ForwardsTo { .. }) => (Some(x.to), 0.9),
                    _ => (None, 1.0),
                },
                NodeKind::Instance => (Some(first.to), 1.0),
                _ => (None, 1.0),
            };
            match host {
                Some(h) => {
                    entry_host = Some((h, mult));
                    let (v, t) = score::host_entry(g, h, None);
                    let via = if mult < 1.0 {
                        format!(" (behind {})", g.node(first.to).label)
                    } else {
                        String::new()
                    };
                    (v * mult, format!("{t}{via}"))
                }
                None => (
                    score::EXPOSED_NO_KNOWN_VULN,
                    format!(
                        "{} is exposed; what runs there is unknown",
                        g.node(first.to).label
                    ),
                ),
            }
        }
        EdgeKind::PubliclyAccessible { .. } => {
            let v = entry_of(g, &first.kind, first.to).unwrap_or(1.0);
            (
                v,
                format!(
                    "{} needs no credentials{}",
                    g.node(first.to).label,
                    if v < 1.0 {
                        " to connect (a login is still needed)"
                    } else {
                        ""
                    }
                ),
            )
        }
        EdgeKind::Unlocks { verified, location } => (
            if *verified { 1.0 } else { 0.8 },
            format!(
                "a secret leaked at {location}{}",
                if *verified {
                    ", verified to work"
                } else {
                    ", not verified"
                }
            ),
        ),
        _ => (1.0, "entry".to_string()),
    };
    let mut steps = 1.0;
    let mut step_text = Vec::new();
    for &e in &edge_ids {
        let (x, why) = score::step_ease(&g.edges[e as usize].kind);
        steps *= x;
        step_text.extend(why);
    }
    let (damage, damage_text) = score::damage(g, last.to, &last.kind);
    let mut alerts: Vec<String> = Vec::new();
    for n in &nodes {
        for a in g.alerts.get(n).into_iter().flatten() {
            if !alerts.contains(a) {
                alerts.push(a.clone());
            }
        }
    }
    let walked = !alerts.is_empty();
    let live = if walked { score::LIVE_BOOST } else { 1.0 };
    let base = 100.0 * entry * steps * damage;
    let score = (base * live).min(100.0);
    let mut factors = vec![
        Factor {
            name: "entry",
            value: round3(entry),
            explanation: entry_text,
        },
        Factor {
            name: "steps",
            value: round3(steps),
            explanation: if step_text.is_empty() {
                format!(
                    "{} {}, none needing more than the step before gave",
                    edge_ids.len(),
                    if edge_ids.len() == 1 { "step" } else { "steps" }
                )
            } else {
                step_text.join("; ")
            },
        },
        Factor {
            name: "damage",
            value: round3(damage),
            explanation: damage_text,
        },
    ];
    if walked {
        factors.push(Factor {
            name: "live",
            value: live,
            explanation: format!("alerts on this path: {}", alerts.join(", ")),
        });
    }
    let path_nodes: Vec<PathNode> = nodes
        .iter()
        .map(|&n| {
            let x = g.node(n);
            PathNode {
                kind: x.kind,
                id: x.id.clone(),
                label: x.label.clone(),
            }
        })
        .collect();
    let edges = edge_ids
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let x = &g.edges[e as usize];
            PathEdge {
                from: i,
                to: i + 1,
                kind: x.kind.name(),
                meaning: meaning(g, &x.kind, x.from, x.to),
                evidence: x.evidence.clone(),
            }
        })
        .collect();
    Some(AttackPath {
        id: fnv(nodes
            .iter()
            .map(|&n| format!("{}:{}", g.node(n).kind.as_str(), g.node(n).id))),
        rank: 0,
        score: round3(score),
        walked,
        alerts,
        nodes: path_nodes,
        edges,
        factors,
        fix: None,
        edge_ids,
        entry_host,
        base_score: base,
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

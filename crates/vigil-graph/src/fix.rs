//! Fix first: among the changes that would break or weaken the found paths, the one that removes
//! the most path weight — a minimum cut of size one over the path set — then the next one on
//! what remains (greedy, the usual approximation of a minimum weighted cut).
//!
//! A change breaks a path when it removes one of its edges: closing the world-open rules of a
//! security group removes an exposure whose every opening rule is in that group; removing a
//! secret removes "holds secret for key"; narrowing a trust policy removes "can assume"; and so
//! on. Patching a package does not remove an edge: it lowers the entry factor of the paths that
//! start at that host, and the weight removed is the difference.

use crate::graph::{EdgeKind, Graph, NodeKind, RuleRef};
use crate::paths::AttackPath;
use crate::score;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    CloseSecurityGroupRule,
    RemovePublicAccess,
    RemoveSecret,
    DeactivateAccessKey,
    DetachInstanceProfile,
    NarrowTrustPolicy,
    RemoveEscalation,
    RevokeDataAccess,
    RemoveAdmin,
    PatchPackage,
}

/// A change, as shown beside a path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixRef {
    pub key: String,
    pub kind: FixKind,
    pub description: String,
}

/// A change with what it achieves over the path set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub key: String,
    pub kind: FixKind,
    pub description: String,
    /// Paths it removes entirely.
    pub breaks: usize,
    /// Paths it makes harder without removing them (patches).
    pub weakens: usize,
    /// Sum of the path score it removes (0–100 per path).
    pub weight_removed: f64,
    /// That weight as a share of all path weight still standing when it was chosen.
    pub share: f64,
    pub paths: Vec<String>,
}

fn rules_text(rules: &[RuleRef]) -> String {
    rules
        .iter()
        .map(|r| format!("{}/{} from {}", r.protocol, r.ports, r.source))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The changes that would remove edge `e`, as `(key, kind, description)`.
fn edge_fixes(g: &Graph, e: u32) -> Vec<FixRef> {
    let edge = &g.edges[e as usize];
    let (from, to) = (g.node(edge.from), g.node(edge.to));
    let one = |key: String, kind, description: String| {
        vec![FixRef {
            key,
            kind,
            description,
        }]
    };
    // Edges opened by rules: a change to one security group removes it only when every rule
    // behind the edge is in that group.
    let by_group = |rules: &[RuleRef], what: &str| -> Vec<FixRef> {
        let mut groups: BTreeMap<&str, Vec<RuleRef>> = BTreeMap::new();
        for r in rules {
            groups.entry(&r.security_group).or_default().push(r.clone());
        }
        if groups.len() != 1 {
            return Vec::new();
        }
        groups
            .into_iter()
            .map(|(sg, rs)| FixRef {
                key: format!(
                    "sg:{sg}:{}",
                    rs.iter()
                        .map(|r| format!("{}/{}/{}", r.protocol, r.ports, r.source))
                        .collect::<Vec<_>>()
                        .join("+")
                ),
                kind: FixKind::CloseSecurityGroupRule,
                description: format!("in {sg}, remove ingress {} ({what})", rules_text(&rs)),
            })
            .collect()
    };
    match &edge.kind {
        EdgeKind::ReachableFromInternet { rules, .. } => {
            by_group(rules, &format!("exposes {} to the internet", to.label))
        }
        EdgeKind::ForwardsTo { rules, .. } => {
            by_group(rules, &format!("lets {} reach {}", from.label, to.label))
        }
        EdgeKind::NetworkCanReach { rules, .. } => {
            by_group(rules, &format!("lets {} reach {}", from.label, to.label))
        }
        EdgeKind::PubliclyAccessible { .. } => one(
            format!("public:{}", to.id),
            FixKind::RemovePublicAccess,
            format!("make {} private (block public access)", to.label),
        ),
        EdgeKind::HoldsSecretForKey { path, .. } => one(
            format!("secret:{}:{path}", from.id),
            FixKind::RemoveSecret,
            format!(
                "remove the hard-coded key {} from {path} on {}",
                to.id, from.label
            ),
        ),
        EdgeKind::Unlocks { .. } | EdgeKind::AuthenticatesAs => {
            let key = if from.kind == NodeKind::AccessKey {
                from
            } else {
                to
            };
            one(
                format!("key:{}", key.id),
                FixKind::DeactivateAccessKey,
                format!("deactivate access key {} (and rotate it)", key.id),
            )
        }
        EdgeKind::UsesInstanceProfile => one(
            format!("profile:{}", from.id),
            FixKind::DetachInstanceProfile,
            format!("detach instance profile {} from {}", to.label, from.label),
        ),
        EdgeKind::ProfileGrantsRole => one(
            format!("profile-role:{}:{}", from.id, to.id),
            FixKind::DetachInstanceProfile,
            format!(
                "remove role {} from instance profile {}",
                to.label, from.label
            ),
        ),
        EdgeKind::CanAssume { .. } => one(
            format!("assume:{}:{}", from.id, to.id),
            FixKind::NarrowTrustPolicy,
            format!(
                "stop {} assuming {} (narrow the trust policy or its sts:AssumeRole grant)",
                from.label, to.label
            ),
        ),
        EdgeKind::CanEscalateTo { method } => one(
            format!("escalate:{}:{}:{method}", from.id, to.id),
            FixKind::RemoveEscalation,
            format!("remove {method} from {}", from.label),
        ),
        EdgeKind::CanAccessData { access } => one(
            format!("data:{}:{}:{}", from.id, to.id, access.as_str()),
            FixKind::RevokeDataAccess,
            format!(
                "revoke {}'s {} access to {}",
                from.label,
                access.as_str(),
                to.label
            ),
        ),
        EdgeKind::IsAdmin => one(
            format!("admin:{}", from.id),
            FixKind::RemoveAdmin,
            format!("take administrator rights away from {}", from.label),
        ),
        _ => Vec::new(),
    }
}

/// The patch of the worst package on a path's entry host, and the path's score after it.
fn patch(g: &Graph, p: &AttackPath) -> Option<(FixRef, f64)> {
    // The path's base score already carries the exposure multiplier; the patch scales it.
    let (host, _) = p.entry_host?;
    let vulns = g.host_vulns.get(&host)?;
    let worst = score::worst_vuln(vulns)?;
    let (before, _) = score::host_entry(g, host, Some(vulns));
    let rest: Vec<_> = vulns
        .iter()
        .filter(|v| v.package != worst.package)
        .cloned()
        .collect();
    let (after, _) = score::host_entry(g, host, Some(&rest));
    if after >= before {
        return None;
    }
    let h = g.node(host);
    let to = worst
        .fixed_version
        .as_deref()
        .map(|v| format!(" to {v}"))
        .unwrap_or_default();
    let fix = FixRef {
        key: format!("patch:{}:{}", h.id, worst.package),
        kind: FixKind::PatchPackage,
        description: format!("patch {}{to} on {} ({})", worst.package, h.label, worst.id),
    };
    let live = if p.walked { score::LIVE_BOOST } else { 1.0 };
    Some((fix, (p.base_score * after / before * live).min(100.0)))
}

/// For every candidate change: the paths it breaks, and `(path, weight removed)` it weakens.
struct Effect {
    fix: FixRef,
    breaks: Vec<usize>,
    weakens: Vec<(usize, f64)>,
}

fn effects(g: &Graph, paths: &[AttackPath]) -> Vec<Effect> {
    let mut by_key: HashMap<String, Effect> = HashMap::new();
    for (i, p) in paths.iter().enumerate() {
        let mut seen: Vec<String> = Vec::new();
        for &e in &p.edge_ids {
            for f in edge_fixes(g, e) {
                if seen.contains(&f.key) {
                    continue;
                }
                seen.push(f.key.clone());
                by_key
                    .entry(f.key.clone())
                    .or_insert_with(|| Effect {
                        fix: f,
                        breaks: vec![],
                        weakens: vec![],
                    })
                    .breaks
                    .push(i);
            }
        }
        if let Some((f, after)) = patch(g, p) {
            by_key
                .entry(f.key.clone())
                .or_insert_with(|| Effect {
                    fix: f,
                    breaks: vec![],
                    weakens: vec![],
                })
                .weakens
                .push((i, p.score - after));
        }
    }
    let mut v: Vec<Effect> = by_key.into_values().collect();
    v.sort_by(|a, b| a.fix.key.cmp(&b.fix.key));
    v
}

/// Chooses up to `n` changes greedily over the `top` best paths, and marks each path with the
/// best change that breaks it.
pub fn fix_first(g: &Graph, paths: &mut [AttackPath], top: usize, n: usize) -> Vec<Fix> {
    let considered = paths.len().min(top);
    let all = effects(g, &paths[..considered]);
    // Each path's own fix: the breaking change with the most weight over the whole set.
    let weight = |e: &Effect, alive: &[bool], remaining: &[f64]| -> f64 {
        e.breaks
            .iter()
            .filter(|&&i| alive[i])
            .map(|&i| remaining[i])
            .sum::<f64>()
            + e.weakens
                .iter()
                .filter(|(i, _)| alive[*i])
                .map(|(i, w)| w.min(remaining[*i]))
                .sum::<f64>()
    };
    let alive0 = vec![true; considered];
    let remaining0: Vec<f64> = paths[..considered].iter().map(|p| p.score).collect();
    for (i, p) in paths[..considered].iter_mut().enumerate() {
        p.fix = all
            .iter()
            .filter(|e| e.breaks.contains(&i))
            .max_by(|a, b| {
                weight(a, &alive0, &remaining0)
                    .total_cmp(&weight(b, &alive0, &remaining0))
                    .then_with(|| b.fix.key.cmp(&a.fix.key))
            })
            .map(|e| e.fix.clone());
    }
    let mut alive = alive0;
    let mut remaining = remaining0;
    let mut chosen = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for _ in 0..n {
        let total: f64 = (0..considered)
            .filter(|&i| alive[i])
            .map(|i| remaining[i])
            .sum();
        let best = all
            .iter()
            .filter(|e| !used.contains(&e.fix.key))
            .map(|e| (weight(e, &alive, &remaining), e))
            .filter(|(w, _)| *w > 0.0)
            .max_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then_with(|| b.1.fix.key.cmp(&a.1.fix.key))
            });
        let Some((w, e)) = best else { break };
        used.push(e.fix.key.clone());
        let breaks: Vec<usize> = e.breaks.iter().copied().filter(|&i| alive[i]).collect();
        let weakens: Vec<(usize, f64)> = e
            .weakens
            .iter()
            .copied()
            .filter(|(i, _)| alive[*i])
            .collect();
        let mut ids: Vec<String> = breaks.iter().map(|&i| paths[i].id.clone()).collect();
        ids.extend(weakens.iter().map(|(i, _)| paths[*i].id.clone()));
        for &i in &breaks {
            alive[i] = false;
        }
        for &(i, d) in &weakens {
            remaining[i] = (remaining[i] - d).max(0.0);
        }
        chosen.push(Fix {
            key: e.fix.key.clone(),
            kind: e.fix.kind,
            description: e.fix.description.clone(),
            breaks: breaks.len(),
            weakens: weakens.len(),
            weight_removed: (w * 1000.0).round() / 1000.0,
            share: if total > 0.0 {
                ((w / total) * 1000.0).round() / 1000.0
            } else {
                0.0
            },
            paths: ids,
        });
    }
    chosen
}

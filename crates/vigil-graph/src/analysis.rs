//! One call from inventory and facts to everything the CLI and console show: the graph's
//! shape, ranked paths with their fixes, fix-first, top risks.

use crate::facts::Facts;
use crate::fix::{Fix, fix_first};
use crate::graph::{Graph, build};
use crate::inventory::Inventory;
use crate::paths::{AttackPath, PathOptions, find_paths};
use crate::risks::{Risk, top_risks};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
pub struct AnalysisOptions {
    pub paths: PathOptions,
    /// Fix-first looks at this many of the best paths.
    pub fix_over_top: usize,
    pub fixes: usize,
    pub risks: usize,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            paths: PathOptions::default(),
            fix_over_top: 100,
            fixes: 5,
            risks: 20,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GraphSummary {
    pub nodes: usize,
    pub edges: usize,
    pub nodes_by_type: BTreeMap<&'static str, usize>,
    pub edges_by_type: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub graph: GraphSummary,
    pub paths: Vec<AttackPath>,
    pub fix_first: Vec<Fix>,
    pub risks: Vec<Risk>,
    /// What the graph had to assume or could not join.
    pub notes: Vec<String>,
}

pub fn summarize(g: &Graph) -> GraphSummary {
    let mut s = GraphSummary {
        nodes: g.nodes.len(),
        edges: g.edges.len(),
        ..GraphSummary::default()
    };
    for n in &g.nodes {
        *s.nodes_by_type.entry(n.kind.as_str()).or_default() += 1;
    }
    for e in &g.edges {
        *s.edges_by_type.entry(e.kind.name()).or_default() += 1;
    }
    s
}

/// Paths, fixes and risks of an already built graph.
pub fn analyze_graph(g: &Graph, opts: &AnalysisOptions) -> Analysis {
    let mut paths = find_paths(g, &opts.paths);
    let fixes = fix_first(g, &mut paths, opts.fix_over_top, opts.fixes);
    let risks = top_risks(g, &paths, opts.risks);
    Analysis {
        graph: summarize(g),
        paths,
        fix_first: fixes,
        risks,
        notes: g.notes.clone(),
    }
}

/// Builds the graph of a snapshot and analyses it.
pub fn analyze(inv: &Inventory, facts: &Facts, opts: &AnalysisOptions) -> Analysis {
    analyze_graph(&build(inv, facts), opts)
}

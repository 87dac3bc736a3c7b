//! The attack-path analysis as the server reads it: the shape of `vigil_graph::Analysis`
//! (ranked paths with their steps, factors and fix; fix first; top risks; notes).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PathsReport {
    pub graph: GraphSummary,
    /// Best first.
    pub paths: Vec<AttackPath>,
    pub fix_first: Vec<Fix>,
    pub risks: Vec<TopRisk>,
    /// What the graph had to assume or could not join.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphSummary {
    pub nodes: usize,
    pub edges: usize,
    pub nodes_by_type: BTreeMap<String, usize>,
    pub edges_by_type: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttackPath {
    pub id: String,
    #[serde(default)]
    pub rank: usize,
    /// 0–100.
    #[serde(default)]
    pub score: f64,
    /// An alert names a node of this path: someone may be walking it now.
    #[serde(default)]
    pub walked: bool,
    #[serde(default)]
    pub alerts: Vec<String>,
    #[serde(default)]
    pub nodes: Vec<PathNode>,
    #[serde(default)]
    pub edges: Vec<PathEdge>,
    #[serde(default)]
    pub factors: Vec<Factor>,
    #[serde(default)]
    pub fix: Option<FixRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PathNode {
    /// `internet`, `instance`, `access_key`, `user`, `role`, `data_store`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PathEdge {
    /// Indices into the path's `nodes`.
    pub from: usize,
    pub to: usize,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub meaning: String,
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    pub value: f64,
    #[serde(default)]
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FixRef {
    pub key: String,
    pub kind: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fix {
    pub key: String,
    pub kind: String,
    pub description: String,
    /// Paths it removes entirely.
    #[serde(default)]
    pub breaks: usize,
    /// Paths it makes harder without removing them (patches).
    #[serde(default)]
    pub weakens: usize,
    #[serde(default)]
    pub weight_removed: f64,
    /// Share of the path weight still standing when it was chosen, 0–1.
    #[serde(default)]
    pub share: f64,
    #[serde(default)]
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopRisk {
    pub rank: usize,
    /// `exposed_vulnerable_host`, `risky_image`, `exposed_secret`, `risky_data_asset`,
    /// `risky_identity`.
    pub category: String,
    pub title: String,
    /// 0–100.
    #[serde(default)]
    pub score: f64,
    #[serde(default)]
    pub subject_type: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub detail: Vec<String>,
    /// Ids of the paths behind it, best first.
    #[serde(default)]
    pub paths: Vec<String>,
}

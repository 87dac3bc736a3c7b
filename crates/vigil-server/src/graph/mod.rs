//! The polygraph: who did what, as a graph. Cloud events become key → role session → API
//! calls → resources (with source IPs feeding the identity that used them); host events
//! become host → process tree → connections and files. Nodes whose behaviour the baseline
//! never showed are marked `new`; nodes that carry an alert's evidence are marked `evidence`.
//!
//! Large graphs are clustered so the browser stays usable: past a number of distinct API
//! calls they are grouped per service, past a number of processes they are grouped per
//! executable, resources per call are capped, and the whole graph has a node cap (what did not
//! fit is counted in `truncated_nodes`).
//!
//! Building is pure (events in, graph out); [`load`] gathers the events from the store.

mod build;
mod load;

pub use build::{Baseline, build};

pub use load::{GraphRequest, load};

use serde::Serialize;
use vigil_model::{EventSource, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GraphLimits {
    /// Nodes drawn at most.
    pub max_nodes: usize,
    /// Distinct (identity, API call) pairs above which calls are grouped per service.
    pub max_call_nodes: usize,
    /// Distinct processes per graph above which processes are grouped per executable.
    pub max_process_nodes: usize,
    /// Resources linked from one call node at most.
    pub max_resources_per_call: usize,
    /// Events read into one graph at most (and as many again for the baseline).
    pub max_events: usize,
}

impl Default for GraphLimits {
    fn default() -> Self {
        GraphLimits {
            max_nodes: 1_500,
            max_call_nodes: 150,
            max_process_nodes: 300,
            max_resources_per_call: 12,
            max_events: 20_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphNode {
    pub id: String,
    pub label: String,
    /// `principal`, `key`, `session`, `ip`, `call`, `service`, `resource`, `host`, `process`,
    /// `connection`, `file`, `privilege`, `login`.
    pub kind: &'static str,
    /// Full text for the details panel (labels are shortened).
    pub detail: String,
    /// Events folded into this node.
    pub count: u64,
    /// Not seen in the baseline.
    pub new: bool,
    /// Carries evidence of the alert.
    pub evidence: bool,
    /// The first events of this node, to open them.
    pub events: Vec<EventLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventLink {
    pub source: EventSource,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphEdge {
    pub id: String,
    pub source: String,
    pub target: String,
    pub label: String,
    pub new: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineInfo {
    pub from: Timestamp,
    pub until: Timestamp,
    pub events: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    /// Events the graph was built from.
    pub events: u64,
    /// API calls were grouped per service, or processes per executable.
    pub clustered: bool,
    /// Nodes left out by the node cap.
    pub truncated_nodes: u64,
    /// The event window drawn.
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// What `new` was computed against; `None` when not highlighted.
    pub baseline: Option<BaselineInfo>,
}

//! The security graph and attack paths. Pure: the caller reads files and hands over bytes
//! and facts; nothing here touches the disk, the network or the clock.
//!
//! - [`inventory`]: the AWS CLI's describe outputs → an [`inventory::Inventory`].
//! - [`facts`]: what the identity engine and the scanner tell the graph (the input types).
//! - [`graph`]: nodes and typed edges; internet exposure is computed, not read from a flag.
//! - [`paths`], [`score`]: ranked multi-hop paths, every factor explained.
//! - [`fix`]: the change that cuts the most path weight; [`risks`]: the top-risks list.
//! - [`analysis`]: all of it in one call.

pub mod analysis;
pub mod facts;
pub mod fix;
pub mod graph;
pub mod inventory;
pub mod net;
pub mod paths;
pub mod risks;
pub mod score;

pub use analysis::{Analysis, AnalysisOptions, analyze, analyze_graph};
pub use facts::*;
pub use graph::{Edge, EdgeKind, Graph, Node, NodeId, NodeKind, build};
pub use inventory::{InputFile, Inventory, LoadReport, load};
pub use paths::{AttackPath, PathOptions, find_paths};

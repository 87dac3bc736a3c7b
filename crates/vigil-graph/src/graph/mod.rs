//! The security graph: typed nodes and typed edges, each edge carrying its meaning and the
//! evidence for it. Some edges only describe the estate (a subnet is in a VPC); the others are
//! steps an attacker can take (the internet reaches a host on port 22; a key authenticates as a
//! user) and are the only ones paths walk.

mod build;
mod network;

pub use build::build;

use crate::facts::{Sensitivity, VulnFact};
use crate::inventory::DataStoreKind;
use crate::net::{PortSet, Protocol};
use serde::Serialize;
use std::collections::HashMap;

pub type NodeId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Internet,
    Vpc,
    InternetGateway,
    RouteTable,
    Subnet,
    NetworkAcl,
    SecurityGroup,
    NetworkInterface,
    PublicIp,
    Instance,
    Container,
    Image,
    LoadBalancer,
    User,
    Role,
    InstanceProfile,
    AccessKey,
    DataStore,
    Vulnerability,
    Secret,
    /// Full administrator power over an account: a crown jewel of its own.
    Admin,
    Alert,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Internet => "internet",
            NodeKind::Vpc => "vpc",
            NodeKind::InternetGateway => "internet_gateway",
            NodeKind::RouteTable => "route_table",
            NodeKind::Subnet => "subnet",
            NodeKind::NetworkAcl => "network_acl",
            NodeKind::SecurityGroup => "security_group",
            NodeKind::NetworkInterface => "network_interface",
            NodeKind::PublicIp => "public_ip",
            NodeKind::Instance => "instance",
            NodeKind::Container => "container",
            NodeKind::Image => "image",
            NodeKind::LoadBalancer => "load_balancer",
            NodeKind::User => "user",
            NodeKind::Role => "role",
            NodeKind::InstanceProfile => "instance_profile",
            NodeKind::AccessKey => "access_key",
            NodeKind::DataStore => "data_store",
            NodeKind::Vulnerability => "vulnerability",
            NodeKind::Secret => "secret",
            NodeKind::Admin => "admin",
            NodeKind::Alert => "alert",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub kind: NodeKind,
    /// The AWS identifier (instance id, ARN, key id, …), unique within its kind.
    pub id: String,
    /// A short name for people (the `Name` tag, a role name).
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_kind: Option<DataStoreKind>,
    /// For data stores: how much their data matters, and why we think so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<(Sensitivity, String)>,
}

/// One security group rule that lets traffic in, named so a person can find and change it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RuleRef {
    pub security_group: String,
    pub protocol: String,
    pub ports: String,
    /// A CIDR or a source security group id.
    pub source: String,
}

impl std::fmt::Display for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ingress {}/{} from {}",
            self.security_group, self.protocol, self.ports, self.source
        )
    }
}

/// Ports open on one protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenPorts {
    pub protocol: Protocol,
    pub ports: PortSet,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EdgeKind {
    // ── structure ──
    InVpc,
    InSubnet,
    /// Subnet → its route table (explicit association or the VPC's main table).
    UsesRouteTable,
    /// Route table → internet gateway, for a default route.
    RoutesToGateway {
        destination: String,
    },
    AttachedToVpc,
    /// Subnet → its network ACL.
    FilteredBy,
    ProtectedBy,
    /// Network interface → instance.
    AttachedTo,
    HasPublicIp,
    Runs,
    RunsImage,
    HasVulnerability,
    HasSecret,
    SecretForKey,
    AlertOn,
    // ── attack steps ──
    /// Computed from routes, network ACLs, security groups and a public address.
    ReachableFromInternet {
        open: Vec<OpenPorts>,
        rules: Vec<RuleRef>,
    },
    /// A data store anyone can use without credentials.
    PubliclyAccessible {
        reasons: Vec<String>,
    },
    /// Load balancer → target, on the instance port.
    ForwardsTo {
        port: u16,
        rules: Vec<RuleRef>,
    },
    /// Workload → data store: security groups let it connect.
    NetworkCanReach {
        port: String,
        rules: Vec<RuleRef>,
    },
    HoldsSecretForKey {
        fingerprint: String,
        path: String,
        verified: bool,
    },
    /// A leaked secret → the key it unlocks.
    Unlocks {
        location: String,
        verified: bool,
    },
    AuthenticatesAs,
    UsesInstanceProfile,
    ProfileGrantsRole,
    CanAssume {
        conditions: Vec<String>,
    },
    CanEscalateTo {
        method: String,
    },
    CanAccessData {
        access: crate::facts::DataAccess,
    },
    IsAdmin,
}

impl EdgeKind {
    pub fn name(&self) -> &'static str {
        match self {
            EdgeKind::InVpc => "in_vpc",
            EdgeKind::InSubnet => "in_subnet",
            EdgeKind::UsesRouteTable => "uses_route_table",
            EdgeKind::RoutesToGateway { .. } => "routes_to_gateway",
            EdgeKind::AttachedToVpc => "attached_to_vpc",
            EdgeKind::FilteredBy => "filtered_by",
            EdgeKind::ProtectedBy => "protected_by",
            EdgeKind::AttachedTo => "attached_to",
            EdgeKind::HasPublicIp => "has_public_ip",
            EdgeKind::Runs => "runs",
            EdgeKind::RunsImage => "runs_image",
            EdgeKind::HasVulnerability => "has_vulnerability",
            EdgeKind::HasSecret => "has_secret",
            EdgeKind::SecretForKey => "secret_for_key",
            EdgeKind::AlertOn => "alert_on",
            EdgeKind::ReachableFromInternet { .. } => "reachable_from_internet",
            EdgeKind::PubliclyAccessible { .. } => "publicly_accessible",
            EdgeKind::ForwardsTo { .. } => "forwards_to",
            EdgeKind::NetworkCanReach { .. } => "network_can_reach",
            EdgeKind::HoldsSecretForKey { .. } => "holds_secret_for_key",
            EdgeKind::Unlocks { .. } => "unlocks",
            EdgeKind::AuthenticatesAs => "authenticates_as",
            EdgeKind::UsesInstanceProfile => "uses_instance_profile",
            EdgeKind::ProfileGrantsRole => "instance_profile_grants_role",
            EdgeKind::CanAssume { .. } => "can_assume",
            EdgeKind::CanEscalateTo { .. } => "can_escalate_to",
            EdgeKind::CanAccessData { .. } => "can_access_data",
            EdgeKind::IsAdmin => "is_admin",
        }
    }

    /// Whether an attacker standing on the source can move to the target.
    pub fn is_attack_step(&self) -> bool {
        matches!(
            self,
            EdgeKind::ReachableFromInternet { .. }
                | EdgeKind::PubliclyAccessible { .. }
                | EdgeKind::ForwardsTo { .. }
                | EdgeKind::NetworkCanReach { .. }
                | EdgeKind::HoldsSecretForKey { .. }
                | EdgeKind::Unlocks { .. }
                | EdgeKind::AuthenticatesAs
                | EdgeKind::UsesInstanceProfile
                | EdgeKind::ProfileGrantsRole
                | EdgeKind::CanAssume { .. }
                | EdgeKind::CanEscalateTo { .. }
                | EdgeKind::CanAccessData { .. }
                | EdgeKind::IsAdmin
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    #[serde(flatten)]
    pub kind: EdgeKind,
    /// Why this edge exists, one line per fact (a route, a rule, a policy statement).
    pub evidence: Vec<String>,
}

/// The graph of one snapshot.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    index: HashMap<(NodeKind, String), NodeId>,
    /// Attack-step edges leaving each node (indices into `edges`).
    out: Vec<Vec<u32>>,
    /// Vulnerabilities found on each instance (its containers' included), for entry scoring
    /// and patch fixes.
    pub host_vulns: HashMap<NodeId, Vec<VulnFact>>,
    /// Alert ids naming each node.
    pub alerts: HashMap<NodeId, Vec<String>>,
    /// Things the facts named that the inventory did not have, and similar notes.
    pub notes: Vec<String>,
}

impl Graph {
    pub fn find(&self, kind: NodeKind, id: &str) -> Option<NodeId> {
        self.index.get(&(kind, id.to_string())).copied()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Attack-step edges leaving `n`.
    pub fn steps_from(&self, n: NodeId) -> impl Iterator<Item = (u32, &Edge)> {
        self.out
            .get(n as usize)
            .into_iter()
            .flatten()
            .map(|&e| (e, &self.edges[e as usize]))
    }

    /// The node, added when absent. Later calls keep the first label.
    pub fn add_node(&mut self, kind: NodeKind, id: &str, label: &str) -> NodeId {
        if let Some(&n) = self.index.get(&(kind, id.to_string())) {
            return n;
        }
        let n = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            kind,
            id: id.to_string(),
            label: if label.is_empty() {
                id.to_string()
            } else {
                label.to_string()
            },
            store_kind: None,
            sensitivity: None,
        });
        self.index.insert((kind, id.to_string()), n);
        self.out.push(Vec::new());
        n
    }

    pub fn add_edge(&mut self, from: NodeId, to: NodeId, kind: EdgeKind, evidence: Vec<String>) {
        let e = self.edges.len() as u32;
        if kind.is_attack_step() {
            self.out[from as usize].push(e);
        }
        self.edges.push(Edge {
            from,
            to,
            kind,
            evidence,
        });
    }

    /// `(kind, id)` of every node, for tests and summaries.
    pub fn node_set(&self) -> std::collections::BTreeSet<(NodeKind, String)> {
        self.nodes.iter().map(|n| (n.kind, n.id.clone())).collect()
    }

    /// `(from id, edge name, to id)` of every edge, cartography-style.
    pub fn edge_set(&self) -> std::collections::BTreeSet<(String, &'static str, String)> {
        self.edges
            .iter()
            .map(|e| {
                (
                    self.node(e.from).id.clone(),
                    e.kind.name(),
                    self.node(e.to).id.clone(),
                )
            })
            .collect()
    }

    pub fn count(&self, kind: NodeKind) -> usize {
        self.nodes.iter().filter(|n| n.kind == kind).count()
    }
}

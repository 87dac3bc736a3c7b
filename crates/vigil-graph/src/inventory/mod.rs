//! The inventory the graph is built from: what the EC2/VPC/ELB/RDS/S3/IAM describe calls
//! return, reduced to the fields exposure and paths depend on. [`load`] turns the AWS CLI's
//! JSON documents into an [`Inventory`]; the caller does the reading so this stays pure.

mod aws;

pub use aws::{InputFile, LoadReport, Problem, load};

/// Everything one snapshot knows about the estate's network, workloads and data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub account_id: Option<String>,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub network_acls: Vec<NetworkAcl>,
    pub internet_gateways: Vec<InternetGateway>,
    pub security_groups: Vec<SecurityGroup>,
    pub network_interfaces: Vec<NetworkInterface>,
    pub instances: Vec<Instance>,
    pub load_balancers: Vec<LoadBalancer>,
    pub data_stores: Vec<DataStore>,
    pub instance_profiles: Vec<InstanceProfile>,
    pub principals: Vec<Principal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vpc {
    pub id: String,
    pub cidrs: Vec<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr: Option<String>,
    pub name: Option<String>,
}

/// One route: a destination CIDR (IPv4 or IPv6) and its target (`igw-…`, `nat-…`, `local`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub destination: String,
    pub target: String,
    /// `State: blackhole`: the target is gone and traffic is dropped.
    pub blackhole: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    /// The VPC's main table: used by every subnet without an explicit association.
    pub main: bool,
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
}

/// One network ACL entry. Entries are evaluated in `rule_number` order; the first match decides.
#[derive(Debug, Clone, PartialEq)]
pub struct AclEntry {
    pub rule_number: i64,
    pub egress: bool,
    /// `-1` (all), `6` (tcp), `17` (udp), or another protocol number.
    pub protocol: String,
    pub allow: bool,
    pub cidr: String,
    /// Inclusive port range; `None` means every port.
    pub ports: Option<(u16, u16)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: String,
    pub is_default: bool,
    pub subnet_ids: Vec<String>,
    pub entries: Vec<AclEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InternetGateway {
    pub id: String,
    pub vpc_ids: Vec<String>,
}

/// One security group ingress permission.
#[derive(Debug, Clone, PartialEq)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp`, `-1` (all) or a number.
    pub protocol: String,
    /// Inclusive port range; `None` means every port.
    pub ports: Option<(u16, u16)>,
    pub cidrs: Vec<String>,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroup {
    pub id: String,
    pub vpc_id: Option<String>,
    pub name: String,
    pub ingress: Vec<SgRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkInterface {
    pub id: String,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub groups: Vec<String>,
    pub private_ips: Vec<String>,
    /// Public IPv4 addresses associated with the interface (auto-assigned or Elastic IPs).
    pub public_ips: Vec<String>,
    pub ipv6: Vec<String>,
    pub instance_id: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: String,
    pub name: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub groups: Vec<String>,
    pub profile_arn: Option<String>,
    pub image_id: Option<String>,
    pub state: Option<String>,
    pub eni_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadBalancerKind {
    Classic,
    Application,
    Network,
    Gateway,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    pub protocol: String,
    pub port: u16,
    /// Classic load balancers: the port on the instances.
    pub instance_port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    /// The ARN (v2) or the name (classic).
    pub id: String,
    pub name: String,
    pub kind: LoadBalancerKind,
    pub internet_facing: bool,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_groups: Vec<String>,
    /// Empty when the listeners were not collected.
    pub listeners: Vec<Listener>,
    /// Registered instances (classic load balancers).
    pub instances: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataStoreKind {
    RdsCluster,
    RdsInstance,
    DbSnapshot,
    Bucket,
}

impl DataStoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DataStoreKind::RdsCluster => "rds_cluster",
            DataStoreKind::RdsInstance => "rds_instance",
            DataStoreKind::DbSnapshot => "db_snapshot",
            DataStoreKind::Bucket => "bucket",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataStore {
    /// The ARN (`arn:aws:s3:::NAME` for buckets).
    pub id: String,
    pub name: String,
    pub kind: DataStoreKind,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_groups: Vec<String>,
    pub port: Option<u16>,
    pub publicly_accessible: bool,
    /// Why anyone on the internet may read or write it without credentials (bucket policy
    /// statements, ACL grants, snapshot restore attributes), one line each.
    pub public_access: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub encrypted: Option<bool>,
    /// For instances and snapshots: the cluster they belong to.
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceProfile {
    pub arn: String,
    pub name: String,
    pub role_arns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub arn: String,
    pub name: String,
    pub kind: PrincipalKind,
}

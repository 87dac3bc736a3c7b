//! Builds the graph of one snapshot: inventory first (structure, then computed exposure and
//! network reach), then the engines' facts (scan findings, identity edges), then live alerts.
//! The graph is rebuilt whole per snapshot, so nothing stale survives.

use super::network::Net;
use super::*;
use crate::facts::{Facts, Sensitivity};
use crate::inventory::*;
use vigil_model::EntityKind;

/// `0.0.0.0` of `10.0.1.0/24`: stands for the addresses of a subnet in CIDR checks.
fn network_address(cidr: &str) -> String {
    cidr.split('/').next().unwrap_or_default().to_string()
}

fn principal_kind(arn: &str) -> NodeKind {
    if arn.contains(":user/") || arn.ends_with(":root") {
        NodeKind::User
    } else {
        NodeKind::Role
    }
}

fn account_of(arn: &str) -> &str {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or("unknown")
}

fn short_name(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

/// How much a store's data matters: the facts, then its tags, then its kind and name.
fn sensitivity(store: &DataStore, facts: &Facts) -> (Sensitivity, String) {
    if let Some(s) = facts
        .sensitivity
        .iter()
        .find(|s| s.resource == store.id || s.resource == store.name)
    {
        return (
            s.level,
            if s.reason.is_empty() {
                "classified by the user".to_string()
            } else {
                s.reason.clone()
            },
        );
    }
    const KEYS: [&str; 5] = [
        "data-classification",
        "dataclassification",
        "classification",
        "sensitivity",
        "data_classification",
    ];
    for (k, v) in &store.tags {
        if KEYS.contains(&k.to_ascii_lowercase().as_str())
            && let Some(level) = Sensitivity::from_tag(v)
        {
            return (level, format!("tag {k}={v}"));
        }
    }
    match store.kind {
        DataStoreKind::RdsCluster | DataStoreKind::RdsInstance => (
            Sensitivity::Confidential,
            "a relational database: assumed to hold confidential records (no classification tag)"
                .to_string(),
        ),
        DataStoreKind::DbSnapshot => (
            Sensitivity::Confidential,
            "a database snapshot: a full copy of a database".to_string(),
        ),
        DataStoreKind::Bucket => {
            let n = store.name.to_ascii_lowercase();
            if [
                "backup", "export", "dump", "db", "customer", "pii", "upload", "data",
            ]
            .iter()
            .any(|h| n.contains(h))
            {
                (
                    Sensitivity::Confidential,
                    "bucket name suggests business data".to_string(),
                )
            } else if ["static", "assets", "public", "website", "cdn"]
                .iter()
                .any(|h| n.contains(h))
            {
                (
                    Sensitivity::Public,
                    "bucket name suggests published content".to_string(),
                )
            } else {
                (
                    Sensitivity::Internal,
                    "a bucket without a classification tag".to_string(),
                )
            }
        }
    }
}

struct Builder<'a> {
    g: Graph,
    inv: &'a Inventory,
    facts: &'a Facts,
    net: Net<'a>,
    internet: NodeId,
}

impl Builder<'_> {
    fn principal(&mut self, arn: &str) -> NodeId {
        if let Some(n) = self
            .g
            .find(NodeKind::User, arn)
            .or_else(|| self.g.find(NodeKind::Role, arn))
        {
            return n;
        }
        self.g.add_node(principal_kind(arn), arn, short_name(arn))
    }

    fn structure(&mut self) {
        let inv = self.inv;
        for v in &inv.vpcs {
            self.g
                .add_node(NodeKind::Vpc, &v.id, v.name.as_deref().unwrap_or(""));
        }
        for s in &inv.subnets {
            let n = self
                .g
                .add_node(NodeKind::Subnet, &s.id, s.name.as_deref().unwrap_or(""));
            let v = self.g.add_node(NodeKind::Vpc, &s.vpc_id, "");
            self.g.add_edge(n, v, EdgeKind::InVpc, vec![]);
        }
        for i in &inv.internet_gateways {
            let n = self.g.add_node(NodeKind::InternetGateway, &i.id, "");
            for v in &i.vpc_ids {
                let v = self.g.add_node(NodeKind::Vpc, v, "");
                self.g.add_edge(n, v, EdgeKind::AttachedToVpc, vec![]);
            }
        }
        for t in &inv.route_tables {
            let n = self.g.add_node(NodeKind::RouteTable, &t.id, "");
            for r in &t.routes {
                if r.target.starts_with("igw-")
                    && !r.blackhole
                    && crate::net::is_world(&r.destination)
                {
                    let igw = self.g.add_node(NodeKind::InternetGateway, &r.target, "");
                    self.g.add_edge(
                        n,
                        igw,
                        EdgeKind::RoutesToGateway {
                            destination: r.destination.clone(),
                        },
                        vec![],
                    );
                }
            }
        }
        for a in &inv.network_acls {
            self.g.add_node(NodeKind::NetworkAcl, &a.id, "");
        }
        for s in &inv.subnets {
            let sn = self.g.find(NodeKind::Subnet, &s.id).unwrap_or(0);
            if let Some(t) = self.net.route_table(&s.id, &s.vpc_id)
                && let Some(tn) = self.g.find(NodeKind::RouteTable, &t.id)
            {
                let how = if t.main && !t.subnet_ids.contains(&s.id) {
                    "main table of the VPC"
                } else {
                    "explicit association"
                };
                self.g
                    .add_edge(sn, tn, EdgeKind::UsesRouteTable, vec![how.to_string()]);
            }
            if let Some(a) = self.net.network_acl(&s.id, &s.vpc_id)
                && let Some(an) = self.g.find(NodeKind::NetworkAcl, &a.id)
            {
                self.g.add_edge(sn, an, EdgeKind::FilteredBy, vec![]);
            }
        }
        for sg in &inv.security_groups {
            let n = self.g.add_node(NodeKind::SecurityGroup, &sg.id, &sg.name);
            if let Some(v) = &sg.vpc_id {
                let v = self.g.add_node(NodeKind::Vpc, v, "");
                self.g.add_edge(n, v, EdgeKind::InVpc, vec![]);
            }
        }
        for p in &inv.principals {
            let kind = match p.kind {
                PrincipalKind::User => NodeKind::User,
                PrincipalKind::Role => NodeKind::Role,
            };
            self.g.add_node(kind, &p.arn, &p.name);
        }
        for ip in &inv.instance_profiles {
            let n = self
                .g
                .add_node(NodeKind::InstanceProfile, &ip.arn, &ip.name);
            for r in &ip.role_arns {
                let rn = self.principal(r);
                self.g.add_edge(n, rn, EdgeKind::ProfileGrantsRole, vec![format!(
                    "instance profile {} holds role {}; code on the instance gets its credentials from the metadata service",
                    ip.name, short_name(r)
                )]);
            }
        }
    }

    fn subnet_vpc(&self, subnet: Option<&str>, vpc: Option<&str>) -> Option<(String, String)> {
        let subnet = subnet?;
        let vpc = vpc
            .map(str::to_string)
            .or_else(|| self.net.subnet(subnet).map(|s| s.vpc_id.clone()))?;
        Some((subnet.to_string(), vpc))
    }

    fn workloads(&mut self) {
        let inv = self.inv;
        for i in inv.instances.iter() {
            let n = self
                .g
                .add_node(NodeKind::Instance, &i.id, i.name.as_deref().unwrap_or(""));
            if let Some(s) = &i.subnet_id {
                let sn = self.g.add_node(NodeKind::Subnet, s, "");
                self.g.add_edge(n, sn, EdgeKind::InSubnet, vec![]);
            }
            if let Some(p) = &i.profile_arn {
                let pn = match self.g.find(NodeKind::InstanceProfile, p) {
                    Some(pn) => pn,
                    None => {
                        self.g.notes.push(format!("instance profile {p} of {} is not in the IAM data: its role is unknown", i.id));
                        self.g.add_node(NodeKind::InstanceProfile, p, short_name(p))
                    }
                };
                self.g.add_edge(
                    n,
                    pn,
                    EdgeKind::UsesInstanceProfile,
                    vec![format!(
                        "{} runs with instance profile {}",
                        i.id,
                        short_name(p)
                    )],
                );
            }
        }
        let mut with_eni: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut enis: Vec<NetworkInterface> = inv.network_interfaces.clone();
        for e in &inv.network_interfaces {
            if let Some(i) = &e.instance_id {
                with_eni.insert(i);
            }
        }
        // Instances described without interfaces: their own fields stand for the primary one.
        for i in &inv.instances {
            if !with_eni.contains(i.id.as_str()) {
                enis.push(NetworkInterface {
                    id: format!("{}/primary-interface", i.id),
                    vpc_id: i.vpc_id.clone(),
                    subnet_id: i.subnet_id.clone(),
                    groups: i.groups.clone(),
                    private_ips: i.private_ip.iter().cloned().collect(),
                    public_ips: i.public_ip.iter().cloned().collect(),
                    ipv6: vec![],
                    instance_id: Some(i.id.clone()),
                    description: None,
                });
            }
        }
        for e in &enis {
            let synthetic = e.id.contains('/');
            let owner = e
                .instance_id
                .as_deref()
                .and_then(|i| self.g.find(NodeKind::Instance, i));
            let en = if synthetic {
                owner.unwrap_or(0)
            } else {
                let en = self.g.add_node(
                    NodeKind::NetworkInterface,
                    &e.id,
                    e.description.as_deref().unwrap_or(""),
                );
                if let Some(s) = &e.subnet_id {
                    let sn = self.g.add_node(NodeKind::Subnet, s, "");
                    self.g.add_edge(en, sn, EdgeKind::InSubnet, vec![]);
                }
                for sg in &e.groups {
                    let gn = self.g.add_node(NodeKind::SecurityGroup, sg, "");
                    self.g.add_edge(en, gn, EdgeKind::ProtectedBy, vec![]);
                }
                if let Some(o) = owner {
                    self.g.add_edge(en, o, EdgeKind::AttachedTo, vec![]);
                }
                for ip in &e.public_ips {
                    let ipn = self.g.add_node(NodeKind::PublicIp, ip, "");
                    self.g.add_edge(en, ipn, EdgeKind::HasPublicIp, vec![]);
                }
                en
            };
            if synthetic {
                for ip in &e.public_ips {
                    let ipn = self.g.add_node(NodeKind::PublicIp, ip, "");
                    self.g.add_edge(en, ipn, EdgeKind::HasPublicIp, vec![]);
                }
                for sg in &e.groups {
                    let gn = self.g.add_node(NodeKind::SecurityGroup, sg, "");
                    self.g.add_edge(en, gn, EdgeKind::ProtectedBy, vec![]);
                }
            }
            let mut families = Vec::new();
            if !e.public_ips.is_empty() {
                families.push(false);
            }
            if !e.ipv6.is_empty() {
                families.push(true);
            }
            let Some(sv) = self.subnet_vpc(e.subnet_id.as_deref(), e.vpc_id.as_deref()) else {
                continue;
            };
            if families.is_empty() {
                continue;
            }
            if let Some(x) = self.net.exposure(&[sv], Some(&e.groups), &families, None) {
                let target = owner.unwrap_or(en);
                let mut evidence = vec![format!(
                    "{} has public address {}",
                    if synthetic {
                        "the instance"
                    } else {
                        e.id.as_str()
                    },
                    e.public_ips
                        .iter()
                        .chain(&e.ipv6)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )];
                evidence.extend(x.evidence);
                self.g.add_edge(
                    self.internet,
                    target,
                    EdgeKind::ReachableFromInternet {
                        open: x.open,
                        rules: x.rules,
                    },
                    evidence,
                );
            }
        }
        self.load_balancers();
    }

    fn load_balancers(&mut self) {
        for lb in &self.inv.load_balancers {
            let n = self.g.add_node(NodeKind::LoadBalancer, &lb.id, &lb.name);
            for sg in &lb.security_groups {
                let gn = self.g.add_node(NodeKind::SecurityGroup, sg, "");
                self.g.add_edge(n, gn, EdgeKind::ProtectedBy, vec![]);
            }
            let subnets: Vec<(String, String)> = lb
                .subnet_ids
                .iter()
                .filter_map(|s| self.subnet_vpc(Some(s), lb.vpc_id.as_deref()))
                .collect();
            for (s, _) in &subnets {
                let sn = self.g.add_node(NodeKind::Subnet, s, "");
                self.g.add_edge(n, sn, EdgeKind::InSubnet, vec![]);
            }
            if lb.internet_facing {
                let listen = (!lb.listeners.is_empty()).then(|| {
                    lb.listeners
                        .iter()
                        .fold(crate::net::PortSet::default(), |a, l| {
                            a.union(&crate::net::PortSet::range(l.port, l.port))
                        })
                });
                let groups =
                    (!lb.security_groups.is_empty()).then_some(lb.security_groups.as_slice());
                if let Some(x) = self
                    .net
                    .exposure(&subnets, groups, &[false], listen.as_ref())
                {
                    let mut evidence = vec![format!("{} is internet-facing", lb.name)];
                    if listen.is_none() {
                        evidence.push("listeners not in the inventory: every port its security groups open is assumed served".to_string());
                    }
                    evidence.extend(x.evidence);
                    self.g.add_edge(
                        self.internet,
                        n,
                        EdgeKind::ReachableFromInternet {
                            open: x.open,
                            rules: x.rules,
                        },
                        evidence,
                    );
                }
            }
            let lb_ips: Vec<String> = subnets
                .iter()
                .filter_map(|(s, _)| {
                    self.net
                        .subnet(s)
                        .and_then(|x| x.cidr.as_deref())
                        .map(network_address)
                })
                .collect();
            for target in &lb.instances {
                let Some(inst) = self.inv.instances.iter().find(|i| &i.id == target) else {
                    self.g.notes.push(format!(
                        "{} forwards to {target}, which is not in the inventory",
                        lb.name
                    ));
                    continue;
                };
                let tn = self.g.add_node(NodeKind::Instance, &inst.id, "");
                for l in &lb.listeners {
                    let port = l.instance_port.unwrap_or(l.port);
                    let rules =
                        self.net
                            .allowed_from(&inst.groups, port, &lb.security_groups, &lb_ips);
                    if rules.is_empty() {
                        continue;
                    }
                    let mut evidence = vec![format!(
                        "{} listener {}/{} forwards to {} port {port}",
                        lb.name, l.protocol, l.port, inst.id
                    )];
                    evidence.extend(rules.iter().map(|r| format!("security group rule: {r}")));
                    self.g
                        .add_edge(n, tn, EdgeKind::ForwardsTo { port, rules }, evidence);
                }
            }
        }
    }

    fn data_stores(&mut self) {
        let inv = self.inv;
        // Which instances sit in which groups and VPCs, to answer "who can connect".
        let mut by_group: HashMap<&str, Vec<&Instance>> = HashMap::new();
        let mut by_vpc: HashMap<&str, Vec<&Instance>> = HashMap::new();
        for i in &inv.instances {
            for g in &i.groups {
                by_group.entry(g).or_default().push(i);
            }
            if let Some(v) = &i.vpc_id {
                by_vpc.entry(v).or_default().push(i);
            }
        }
        for d in &inv.data_stores {
            let n = self.g.add_node(NodeKind::DataStore, &d.id, &d.name);
            let sens = sensitivity(d, self.facts);
            {
                let node = &mut self.g.nodes[n as usize];
                node.store_kind = Some(d.kind);
                node.sensitivity = Some(sens);
            }
            for sg in &d.security_groups {
                let gn = self.g.add_node(NodeKind::SecurityGroup, sg, "");
                self.g.add_edge(n, gn, EdgeKind::ProtectedBy, vec![]);
            }
            let vpc = d.vpc_id.clone().or_else(|| {
                d.security_groups
                    .iter()
                    .find_map(|g| self.net.security_group(g).and_then(|s| s.vpc_id.clone()))
            });
            if !d.public_access.is_empty() {
                self.g.add_edge(
                    self.internet,
                    n,
                    EdgeKind::PubliclyAccessible {
                        reasons: d.public_access.clone(),
                    },
                    d.public_access.clone(),
                );
            }
            let Some(port) = d.port else { continue };
            if d.publicly_accessible {
                let subnets: Vec<(String, String)> = if d.subnet_ids.is_empty() {
                    inv.subnets
                        .iter()
                        .filter(|s| Some(&s.vpc_id) == vpc.as_ref())
                        .map(|s| (s.id.clone(), s.vpc_id.clone()))
                        .collect()
                } else {
                    d.subnet_ids
                        .iter()
                        .filter_map(|s| self.subnet_vpc(Some(s), vpc.as_deref()))
                        .collect()
                };
                let listen = crate::net::PortSet::range(port, port);
                if let Some(x) =
                    self.net
                        .exposure(&subnets, Some(&d.security_groups), &[false], Some(&listen))
                {
                    let mut reasons = vec![format!(
                        "{} is PubliclyAccessible: it has a public address",
                        d.name
                    )];
                    reasons.extend(x.evidence);
                    self.g.add_edge(
                        self.internet,
                        n,
                        EdgeKind::PubliclyAccessible {
                            reasons: reasons.clone(),
                        },
                        reasons,
                    );
                }
            }
            // Who inside can connect: instances in a source group, or in a source CIDR of the VPC.
            let mut candidates: Vec<&Instance> = Vec::new();
            let mut cidr_rules = false;
            for g in &d.security_groups {
                let Some(sg) = self.net.security_group(g) else {
                    continue;
                };
                for r in &sg.ingress {
                    if !crate::net::Protocol::Tcp.matches(&r.protocol)
                        || !crate::net::PortSet::of(r.ports).contains(port)
                    {
                        continue;
                    }
                    for src in &r.groups {
                        candidates.extend(by_group.get(src.as_str()).into_iter().flatten());
                    }
                    cidr_rules |= r.cidrs.iter().any(|c| !crate::net::is_world(c));
                }
            }
            if cidr_rules && let Some(v) = &vpc {
                candidates.extend(by_vpc.get(v.as_str()).into_iter().flatten());
            }
            candidates.sort_by(|a, b| a.id.cmp(&b.id));
            candidates.dedup_by(|a, b| a.id == b.id);
            for inst in candidates {
                if vpc.is_some() && inst.vpc_id.is_some() && inst.vpc_id != vpc {
                    continue;
                }
                let ips: Vec<String> = inst.private_ip.iter().cloned().collect();
                let rules = self
                    .net
                    .allowed_from(&d.security_groups, port, &inst.groups, &ips);
                if rules.is_empty() {
                    continue;
                }
                let from = self.g.add_node(NodeKind::Instance, &inst.id, "");
                let mut evidence = vec![format!("{} can open tcp/{port} to {}", inst.id, d.name)];
                evidence.extend(rules.iter().map(|r| format!("security group rule: {r}")));
                self.g.add_edge(
                    from,
                    n,
                    EdgeKind::NetworkCanReach {
                        port: port.to_string(),
                        rules,
                    },
                    evidence,
                );
            }
        }
    }

    fn data_store_node(&mut self, resource: &str) -> NodeId {
        let arn = if resource.starts_with("arn:") {
            resource.to_string()
        } else {
            format!("arn:aws:s3:::{resource}")
        };
        if let Some(n) = self.g.find(NodeKind::DataStore, &arn) {
            return n;
        }
        self.g.notes.push(format!(
            "identity facts name {arn}, which is not in the inventory"
        ));
        let n = self.g.add_node(NodeKind::DataStore, &arn, short_name(&arn));
        let kind = if arn.starts_with("arn:aws:s3:::") {
            DataStoreKind::Bucket
        } else if arn.contains(":cluster-snapshot:") || arn.contains(":snapshot:") {
            DataStoreKind::DbSnapshot
        } else if arn.contains(":cluster:") {
            DataStoreKind::RdsCluster
        } else {
            DataStoreKind::RdsInstance
        };
        let node = &mut self.g.nodes[n as usize];
        node.store_kind = Some(kind);
        node.sensitivity = Some((
            Sensitivity::Confidential,
            "not in the inventory: assumed confidential".to_string(),
        ));
        n
    }

    fn scans(&mut self) {
        for h in &self.facts.hosts {
            let hn = match self.g.find(NodeKind::Instance, &h.host) {
                Some(n) => n,
                None => {
                    self.g.notes.push(format!(
                        "scan findings for {}, which is not in the inventory",
                        h.host
                    ));
                    self.g.add_node(NodeKind::Instance, &h.host, "")
                }
            };
            for c in &h.containers {
                let cn = self.g.add_node(NodeKind::Container, &c.id, "");
                let im = self.g.add_node(NodeKind::Image, &c.image, "");
                self.g.add_edge(hn, cn, EdgeKind::Runs, vec![]);
                self.g.add_edge(cn, im, EdgeKind::RunsImage, vec![]);
            }
            for v in &h.vulnerabilities {
                let vn = self.g.add_node(NodeKind::Vulnerability, &v.id, "");
                let mut ev = format!(
                    "{} {} ({})",
                    v.package,
                    v.version.as_deref().unwrap_or("?"),
                    v.severity
                );
                if let Some(f) = &v.fixed_version {
                    ev.push_str(&format!(", fixed in {f}"));
                }
                if let Some(c) = &v.container {
                    ev.push_str(&format!(", in container {c}"));
                }
                self.g
                    .add_edge(hn, vn, EdgeKind::HasVulnerability, vec![ev.clone()]);
                if let Some(img) = &v.image {
                    let im = self.g.add_node(NodeKind::Image, img, "");
                    self.g
                        .add_edge(im, vn, EdgeKind::HasVulnerability, vec![ev]);
                }
                self.g.host_vulns.entry(hn).or_default().push(v.clone());
            }
            for s in &h.secrets {
                let sn = self.g.add_node(NodeKind::Secret, &s.fingerprint, &s.kind);
                self.g.add_edge(
                    hn,
                    sn,
                    EdgeKind::HasSecret,
                    vec![format!("{} at {}", s.kind, s.path)],
                );
                let Some(key) = &s.aws_access_key_id else {
                    continue;
                };
                let kn = self.g.add_node(NodeKind::AccessKey, key, "");
                self.g.add_edge(sn, kn, EdgeKind::SecretForKey, vec![]);
                self.g.add_edge(
                    hn,
                    kn,
                    EdgeKind::HoldsSecretForKey {
                        fingerprint: s.fingerprint.clone(),
                        path: s.path.clone(),
                        verified: s.verified,
                    },
                    vec![format!(
                        "the secret key of {key} is written in {}{} (fingerprint {})",
                        s.path,
                        s.container
                            .as_ref()
                            .map(|c| format!(" in container {c}"))
                            .unwrap_or_default(),
                        s.fingerprint
                    )],
                );
            }
        }
        for l in &self.facts.leaked_secrets {
            let sn = self
                .g
                .add_node(NodeKind::Secret, &l.fingerprint, "leaked secret");
            if let Some(key) = &l.aws_access_key_id {
                let kn = self.g.add_node(NodeKind::AccessKey, key, "");
                self.g.add_edge(
                    sn,
                    kn,
                    EdgeKind::Unlocks {
                        location: l.location.clone(),
                        verified: l.verified,
                    },
                    vec![format!("found at {}", l.location)],
                );
            }
        }
    }

    fn identities(&mut self) {
        let id = &self.facts.identity;
        for k in &id.access_keys {
            let kn = self.g.add_node(NodeKind::AccessKey, &k.key_id, "");
            let un = self.principal(&k.user_arn);
            if k.active {
                self.g.add_edge(
                    kn,
                    un,
                    EdgeKind::AuthenticatesAs,
                    vec![format!("active access key of {}", short_name(&k.user_arn))],
                );
            }
        }
        for a in &id.can_assume {
            let from = self.principal(&a.principal);
            let to = self.principal(&a.role);
            self.g.add_edge(
                from,
                to,
                EdgeKind::CanAssume {
                    conditions: a.conditions.clone(),
                },
                vec![a.justification.clone()],
            );
        }
        for e in &id.can_escalate {
            let from = self.principal(&e.principal);
            let to = self.principal(&e.target);
            self.g.add_edge(
                from,
                to,
                EdgeKind::CanEscalateTo {
                    method: e.method.clone(),
                },
                vec![e.justification.clone()],
            );
        }
        for d in &id.data_access {
            let from = self.principal(&d.principal);
            let to = self.data_store_node(&d.resource);
            self.g.add_edge(
                from,
                to,
                EdgeKind::CanAccessData { access: d.access },
                vec![d.justification.clone()],
            );
        }
        for a in &id.admins {
            let from = self.principal(&a.principal);
            let acct = account_of(&a.principal);
            let to = self.g.add_node(
                NodeKind::Admin,
                &format!("admin:{acct}"),
                &format!("administrator of {acct}"),
            );
            self.g
                .add_edge(from, to, EdgeKind::IsAdmin, vec![a.justification.clone()]);
        }
    }

    fn alerts(&mut self) {
        for a in &self.facts.alerts {
            let mut hit = Vec::new();
            for e in &a.entities {
                let found = match e.kind {
                    EntityKind::Host => self.g.find(NodeKind::Instance, &e.id),
                    EntityKind::AccessKey => self.g.find(NodeKind::AccessKey, &e.id),
                    EntityKind::Principal => self
                        .g
                        .find(NodeKind::User, &e.id)
                        .or_else(|| self.g.find(NodeKind::Role, &e.id)),
                    EntityKind::RoleSession => role_of_session(&e.id).and_then(|(acct, role)| {
                        self.g
                            .nodes
                            .iter()
                            .position(|n| {
                                n.kind == NodeKind::Role
                                    && account_of(&n.id) == acct
                                    && short_name(&n.id) == role
                            })
                            .map(|p| p as NodeId)
                    }),
                    EntityKind::DbCluster | EntityKind::DbSnapshot => {
                        self.g.find(NodeKind::DataStore, &e.id)
                    }
                    EntityKind::Bucket => self.g.find(
                        NodeKind::DataStore,
                        &format!("arn:aws:s3:::{}", e.id.trim_start_matches("arn:aws:s3:::")),
                    ),
                    EntityKind::Ip => self.g.find(NodeKind::PublicIp, &e.id),
                    EntityKind::SecurityGroup => self.g.find(NodeKind::SecurityGroup, &e.id),
                    EntityKind::Container => self.g.find(NodeKind::Container, &e.id),
                    EntityKind::Image => self.g.find(NodeKind::Image, &e.id),
                    _ => None,
                };
                if let Some(n) = found
                    && !hit.contains(&n)
                {
                    hit.push(n);
                }
            }
            if hit.is_empty() {
                continue;
            }
            let an = self.g.add_node(NodeKind::Alert, &a.id, &a.title);
            for n in hit {
                self.g.add_edge(
                    an,
                    n,
                    EdgeKind::AlertOn,
                    vec![format!("{} alert `{}`", a.severity, a.alert_type)],
                );
                self.g.alerts.entry(n).or_default().push(a.id.clone());
            }
        }
    }
}

/// `(account, role name)` of `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
fn role_of_session(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:sts::")?;
    let (acct, rest) = rest.split_once(":assumed-role/")?;
    let role = rest.split('/').next()?;
    Some((acct, role))
}

/// The graph of one snapshot: inventory, scan and identity facts, live alerts.
pub fn build(inv: &Inventory, facts: &Facts) -> Graph {
    let mut g = Graph::default();
    let internet = g.add_node(NodeKind::Internet, "internet", "the internet");
    let mut b = Builder {
        g,
        inv,
        facts,
        net: Net::new(inv),
        internet,
    };
    b.structure();
    b.workloads();
    b.data_stores();
    b.scans();
    b.identities();
    b.alerts();
    b.g
}

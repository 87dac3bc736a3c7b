//! Network exposure, computed the way AWS forwards a packet rather than read from a flag:
//! a public address on the interface, a default route to an attached internet gateway in the
//! subnet's route table, the subnet's network ACL both ways (ordered rules, the return traffic
//! on ephemeral ports), and a security group rule open to the world.
//!
//! "The internet" is any address on it: only `0.0.0.0/0` and `::/0` entries speak for all of it.
//! A rule for `203.0.113.0/24` neither opens a port to the world nor closes one. The attacker
//! picks their own source port, so return traffic needs only one ephemeral port (1024–65535)
//! allowed out.

use super::{OpenPorts, RuleRef};
use crate::inventory::*;
use crate::net::{Cidr, PortSet, Protocol, is_world};
use std::collections::{HashMap, HashSet};

/// How one subnet reaches the internet for one address family.
#[derive(Debug, Clone)]
pub(crate) struct Gateway {
    pub evidence: String,
}

/// A computed exposure: what is open and why.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exposure {
    pub open: Vec<OpenPorts>,
    pub rules: Vec<RuleRef>,
    pub evidence: Vec<String>,
    pub gateways: Vec<Gateway>,
    pub nacls: Vec<String>,
}

pub(crate) struct Net<'a> {
    subnets: HashMap<&'a str, &'a Subnet>,
    sgs: HashMap<&'a str, &'a SecurityGroup>,
    rtb_explicit: HashMap<&'a str, &'a RouteTable>,
    rtb_main: HashMap<&'a str, &'a RouteTable>,
    vpcs_with_rtbs: HashSet<&'a str>,
    nacl_explicit: HashMap<&'a str, &'a NetworkAcl>,
    nacl_default: HashMap<&'a str, &'a NetworkAcl>,
    vpcs_with_nacls: HashSet<&'a str>,
    igw_vpcs: Option<HashMap<&'a str, Vec<&'a str>>>,
}

fn ports_text(p: Option<(u16, u16)>) -> String {
    PortSet::of(p).to_string()
}

impl<'a> Net<'a> {
    pub fn new(inv: &'a Inventory) -> Self {
        let mut n = Net {
            subnets: inv.subnets.iter().map(|s| (s.id.as_str(), s)).collect(),
            sgs: inv
                .security_groups
                .iter()
                .map(|g| (g.id.as_str(), g))
                .collect(),
            rtb_explicit: HashMap::new(),
            rtb_main: HashMap::new(),
            vpcs_with_rtbs: HashSet::new(),
            nacl_explicit: HashMap::new(),
            nacl_default: HashMap::new(),
            vpcs_with_nacls: HashSet::new(),
            igw_vpcs: (!inv.internet_gateways.is_empty()).then(|| {
                inv.internet_gateways
                    .iter()
                    .map(|g| {
                        (
                            g.id.as_str(),
                            g.vpc_ids.iter().map(String::as_str).collect(),
                        )
                    })
                    .collect()
            }),
        };
        for t in &inv.route_tables {
            n.vpcs_with_rtbs.insert(&t.vpc_id);
            if t.main {
                n.rtb_main.insert(&t.vpc_id, t);
            }
            for s in &t.subnet_ids {
                n.rtb_explicit.insert(s, t);
            }
        }
        for a in &inv.network_acls {
            n.vpcs_with_nacls.insert(&a.vpc_id);
            if a.is_default {
                n.nacl_default.insert(&a.vpc_id, a);
            }
            for s in &a.subnet_ids {
                n.nacl_explicit.insert(s, a);
            }
        }
        n
    }

    pub fn subnet(&self, id: &str) -> Option<&'a Subnet> {
        self.subnets.get(id).copied()
    }

    pub fn security_group(&self, id: &str) -> Option<&'a SecurityGroup> {
        self.sgs.get(id).copied()
    }

    /// The route table a subnet uses: its explicit association, else its VPC's main table.
    pub fn route_table(&self, subnet: &str, vpc: &str) -> Option<&'a RouteTable> {
        self.rtb_explicit
            .get(subnet)
            .or_else(|| self.rtb_main.get(vpc))
            .copied()
    }

    pub fn network_acl(&self, subnet: &str, vpc: &str) -> Option<&'a NetworkAcl> {
        self.nacl_explicit
            .get(subnet)
            .or_else(|| self.nacl_default.get(vpc))
            .copied()
    }

    /// The default route to an internet gateway for one family, if the subnet has one.
    fn internet_route(&self, subnet: &str, vpc: &str, v6: bool) -> Option<Gateway> {
        if !self.vpcs_with_rtbs.contains(vpc) {
            return Some(Gateway {
                evidence: format!(
                    "route tables of {vpc} not in the inventory: a route to an internet gateway is assumed"
                ),
            });
        }
        let table = self.route_table(subnet, vpc)?;
        let route = table.routes.iter().find(|r| {
            !r.blackhole
                && r.target.starts_with("igw-")
                && Cidr::parse(&r.destination).is_some_and(|c| c.is_world() && c.v6 == v6)
                && self.igw_attached(&r.target, vpc)
        })?;
        let how = if self.rtb_explicit.contains_key(subnet) {
            "associated with"
        } else {
            "the main table of the VPC of"
        };
        Some(Gateway {
            evidence: format!(
                "route table {} ({how} {subnet}) routes {} to {}",
                table.id, route.destination, route.target
            ),
        })
    }

    fn igw_attached(&self, igw: &str, vpc: &str) -> bool {
        match &self.igw_vpcs {
            None => true,
            Some(m) => m.get(igw).is_some_and(|v| v.contains(&vpc)),
        }
    }

    /// Ports a network ACL lets in from the world on `proto`, and whether replies can leave.
    fn nacl(&self, subnet: &str, vpc: &str, proto: Protocol, v6: bool) -> (PortSet, bool, String) {
        if !self.vpcs_with_nacls.contains(vpc) {
            return (
                PortSet::all(),
                true,
                format!(
                    "network ACLs of {vpc} not in the inventory: the default (allow all) is assumed"
                ),
            );
        }
        let Some(acl) = self.network_acl(subnet, vpc) else {
            return (
                PortSet::all(),
                true,
                format!("no network ACL found for {subnet}: allow all assumed"),
            );
        };
        let decide = |egress: bool| -> PortSet {
            let mut entries: Vec<&AclEntry> = acl
                .entries
                .iter()
                .filter(|e| {
                    e.egress == egress
                        && proto.matches(&e.protocol)
                        && Cidr::parse(&e.cidr).is_some_and(|c| c.is_world() && c.v6 == v6)
                })
                .collect();
            entries.sort_by_key(|e| e.rule_number);
            let mut undecided = PortSet::all();
            let mut allowed = PortSet::default();
            for e in entries {
                let r = PortSet::of(e.ports);
                if e.allow {
                    allowed = allowed.union(&undecided.intersect(&r));
                }
                undecided = undecided.minus(&r);
            }
            allowed
        };
        let inbound = decide(false);
        let replies = !decide(true)
            .intersect(&PortSet::range(1024, u16::MAX))
            .is_empty();
        let text = format!(
            "network ACL {} lets {} {} in from the world{}",
            acl.id,
            proto.as_str(),
            if inbound.is_empty() {
                "nothing".to_string()
            } else {
                inbound.to_string()
            },
            if replies {
                " and replies out on ephemeral ports"
            } else {
                " but no replies out on ephemeral ports"
            }
        );
        (inbound, replies, text)
    }

    /// Ports the groups open to the world on `proto`, with the rules that open them.
    fn world_ingress(
        &self,
        groups: &[String],
        proto: Protocol,
        v6: bool,
    ) -> (PortSet, Vec<RuleRef>) {
        let mut set = PortSet::default();
        let mut rules = Vec::new();
        for g in groups {
            let Some(sg) = self.security_group(g) else {
                continue;
            };
            for r in &sg.ingress {
                if !proto.matches(&r.protocol) {
                    continue;
                }
                for c in &r.cidrs {
                    if Cidr::parse(c).is_some_and(|x| x.is_world() && x.v6 == v6) {
                        set = set.union(&PortSet::of(r.ports));
                        rules.push(RuleRef {
                            security_group: sg.id.clone(),
                            protocol: r.protocol.clone(),
                            ports: ports_text(r.ports),
                            source: c.clone(),
                        });
                    }
                }
            }
        }
        (set, rules)
    }

    /// Exposure of something with `groups` in `subnets` (the first one that routes wins per
    /// family), restricted to `listen` ports when given. `families` says which address
    /// families have a public address.
    pub fn exposure(
        &self,
        subnets: &[(String, String)],
        groups: Option<&[String]>,
        families: &[bool],
        listen: Option<&PortSet>,
    ) -> Option<Exposure> {
        let mut x = Exposure::default();
        let mut by_proto: HashMap<Protocol, PortSet> = HashMap::new();
        let mut rules: HashSet<RuleRef> = HashSet::new();
        for &v6 in families {
            for (subnet, vpc) in subnets {
                let Some(gw) = self.internet_route(subnet, vpc, v6) else {
                    continue;
                };
                let mut any = false;
                for proto in Protocol::BOTH {
                    let (sg_open, sg_rules) = match groups {
                        Some(g) => self.world_ingress(g, proto, v6),
                        None => (PortSet::all(), Vec::new()),
                    };
                    if sg_open.is_empty() {
                        continue;
                    }
                    let (acl_in, replies, acl_text) = self.nacl(subnet, vpc, proto, v6);
                    let mut open = sg_open.intersect(&acl_in);
                    if let Some(l) = listen {
                        open = open.intersect(l);
                    }
                    if open.is_empty() || !replies {
                        continue;
                    }
                    any = true;
                    for r in sg_rules {
                        let rp = PortSet::of(parse_ports(&r.ports));
                        if !rp.intersect(&open).is_empty() {
                            rules.insert(r);
                        }
                    }
                    let e = by_proto.entry(proto).or_default();
                    *e = e.union(&open);
                    if !x.nacls.contains(&acl_text) {
                        x.nacls.push(acl_text);
                    }
                }
                if any {
                    x.gateways.push(gw);
                    break;
                }
            }
        }
        if by_proto.is_empty() {
            return None;
        }
        let mut open: Vec<OpenPorts> = by_proto
            .into_iter()
            .map(|(protocol, ports)| OpenPorts { protocol, ports })
            .collect();
        open.sort_by_key(|o| o.protocol);
        let mut rules: Vec<RuleRef> = rules.into_iter().collect();
        rules.sort();
        for g in &x.gateways {
            x.evidence.push(g.evidence.clone());
        }
        x.evidence.extend(x.nacls.iter().cloned());
        for r in &rules {
            x.evidence.push(format!("security group rule: {r}"));
        }
        x.open = open;
        x.rules = rules;
        Some(x)
    }

    /// Rules of `target_groups` letting traffic on `port` in from a source: a source group
    /// among `from_groups`, or a CIDR holding one of `from_ips` (never the world: that is the
    /// internet's edge, not this one).
    pub fn allowed_from(
        &self,
        target_groups: &[String],
        port: u16,
        from_groups: &[String],
        from_ips: &[String],
    ) -> Vec<RuleRef> {
        let mut out = Vec::new();
        for g in target_groups {
            let Some(sg) = self.security_group(g) else {
                continue;
            };
            for r in &sg.ingress {
                if !Protocol::Tcp.matches(&r.protocol) || !PortSet::of(r.ports).contains(port) {
                    continue;
                }
                for src in &r.groups {
                    if from_groups.contains(src) {
                        out.push(rule_ref(sg, r, src));
                    }
                }
                for c in &r.cidrs {
                    if is_world(c) {
                        continue;
                    }
                    if let Some(cidr) = Cidr::parse(c)
                        && from_ips.iter().any(|ip| cidr.contains(ip))
                    {
                        out.push(rule_ref(sg, r, c));
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

fn rule_ref(sg: &SecurityGroup, r: &SgRule, source: &str) -> RuleRef {
    RuleRef {
        security_group: sg.id.clone(),
        protocol: r.protocol.clone(),
        ports: ports_text(r.ports),
        source: source.to_string(),
    }
}

fn parse_ports(text: &str) -> Option<(u16, u16)> {
    if text == "all" {
        return None;
    }
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(acl_entries: Vec<AclEntry>, route_target: &str) -> Inventory {
        Inventory {
            subnets: vec![Subnet {
                id: "subnet-1".into(),
                vpc_id: "vpc-1".into(),
                cidr: Some("10.0.1.0/24".into()),
                name: None,
            }],
            route_tables: vec![RouteTable {
                id: "rtb-main".into(),
                vpc_id: "vpc-1".into(),
                main: true,
                subnet_ids: vec![],
                routes: vec![Route {
                    destination: "0.0.0.0/0".into(),
                    target: route_target.into(),
                    blackhole: false,
                }],
            }],
            internet_gateways: vec![InternetGateway {
                id: "igw-1".into(),
                vpc_ids: vec!["vpc-1".into()],
            }],
            network_acls: vec![NetworkAcl {
                id: "acl-1".into(),
                vpc_id: "vpc-1".into(),
                is_default: true,
                subnet_ids: vec![],
                entries: acl_entries,
            }],
            security_groups: vec![SecurityGroup {
                id: "sg-1".into(),
                vpc_id: Some("vpc-1".into()),
                name: "web".into(),
                ingress: vec![
                    SgRule {
                        protocol: "tcp".into(),
                        ports: Some((22, 22)),
                        cidrs: vec!["0.0.0.0/0".into()],
                        groups: vec![],
                    },
                    SgRule {
                        protocol: "tcp".into(),
                        ports: Some((443, 443)),
                        cidrs: vec!["0.0.0.0/0".into()],
                        groups: vec![],
                    },
                    SgRule {
                        protocol: "tcp".into(),
                        ports: Some((5432, 5432)),
                        cidrs: vec!["198.51.100.0/24".into()],
                        groups: vec![],
                    },
                ],
            }],
            ..Inventory::default()
        }
    }

    fn acl(n: i64, egress: bool, allow: bool, ports: Option<(u16, u16)>) -> AclEntry {
        AclEntry {
            rule_number: n,
            egress,
            protocol: "6".into(),
            allow,
            cidr: "0.0.0.0/0".into(),
            ports,
        }
    }

    fn open(i: &Inventory) -> Option<String> {
        let net = Net::new(i);
        let x = net.exposure(
            &[("subnet-1".into(), "vpc-1".into())],
            Some(&["sg-1".to_string()]),
            &[false],
            None,
        )?;
        Some(
            x.open
                .iter()
                .map(|o| format!("{}/{}", o.protocol.as_str(), o.ports))
                .collect(),
        )
    }

    #[test]
    fn nacl_rules_are_ordered_and_replies_need_ephemeral_ports() {
        let allow_all_out = acl(100, true, true, None);
        // deny 22 before allow-all: only 443 remains.
        let i = inv(
            vec![
                acl(90, false, false, Some((22, 22))),
                acl(100, false, true, None),
                allow_all_out.clone(),
            ],
            "igw-1",
        );
        assert_eq!(open(&i).as_deref(), Some("tcp/443"));
        // allow-all first wins over the later deny.
        let i = inv(
            vec![
                acl(100, false, true, None),
                acl(110, false, false, Some((22, 22))),
                allow_all_out.clone(),
            ],
            "igw-1",
        );
        assert_eq!(open(&i).as_deref(), Some("tcp/22,443"));
        // replies only to port 80: no ephemeral port out, nothing reachable.
        let i = inv(
            vec![
                acl(100, false, true, None),
                acl(100, true, true, Some((80, 80))),
            ],
            "igw-1",
        );
        assert_eq!(open(&i), None);
        // replies to a slice of the ephemeral range are enough: the attacker picks the port.
        let i = inv(
            vec![
                acl(100, false, true, None),
                acl(100, true, true, Some((50000, 50010))),
            ],
            "igw-1",
        );
        assert_eq!(open(&i).as_deref(), Some("tcp/22,443"));
    }

    #[test]
    fn needs_a_route_to_an_attached_internet_gateway() {
        let allow = vec![acl(100, false, true, None), acl(100, true, true, None)];
        assert_eq!(open(&inv(allow.clone(), "nat-1")), None);
        assert_eq!(open(&inv(allow.clone(), "igw-other")), None);
        assert_eq!(open(&inv(allow, "igw-1")).as_deref(), Some("tcp/22,443"));
    }
}

//! A generated estate of ~100k resources and 10k principals: graph build, and paths + fix
//! first + top risks, on one core. Run: `cargo bench -p vigil-graph --bench paths`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_graph::facts::*;
use vigil_graph::inventory::*;
use vigil_graph::{AnalysisOptions, analyze_graph, build};
use vigil_model::Severity;

/// A small deterministic generator (xorshift64*), so every run sees the same estate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

const ACCT: &str = "111122223333";

pub fn estate() -> (Inventory, Facts, usize) {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut inv = Inventory::default();
    let vpcs = 50;
    let sgs_per_vpc = 30;
    let instances = 45_000;
    let stores = 8_000;
    for v in 0..vpcs {
        let vpc = format!("vpc-{v:08x}");
        inv.vpcs.push(Vpc {
            id: vpc.clone(),
            cidrs: vec![format!("10.{v}.0.0/16")],
            name: None,
        });
        let igw = format!("igw-{v:08x}");
        inv.internet_gateways.push(InternetGateway {
            id: igw.clone(),
            vpc_ids: vec![vpc.clone()],
        });
        let mut public = Vec::new();
        for s in 0..4 {
            let id = format!("subnet-{v:04x}{s:04x}");
            inv.subnets.push(Subnet {
                id: id.clone(),
                vpc_id: vpc.clone(),
                cidr: Some(format!("10.{v}.{s}.0/24")),
                name: None,
            });
            if s < 2 {
                public.push(id);
            }
        }
        inv.route_tables.push(RouteTable {
            id: format!("rtb-{v:08x}p"),
            vpc_id: vpc.clone(),
            main: false,
            subnet_ids: public,
            routes: vec![Route {
                destination: "0.0.0.0/0".into(),
                target: igw,
                blackhole: false,
            }],
        });
        inv.route_tables.push(RouteTable {
            id: format!("rtb-{v:08x}m"),
            vpc_id: vpc.clone(),
            main: true,
            subnet_ids: vec![],
            routes: vec![],
        });
        inv.network_acls.push(NetworkAcl {
            id: format!("acl-{v:08x}"),
            vpc_id: vpc.clone(),
            is_default: true,
            subnet_ids: vec![],
            entries: vec![
                AclEntry {
                    rule_number: 100,
                    egress: false,
                    protocol: "-1".into(),
                    allow: true,
                    cidr: "0.0.0.0/0".into(),
                    ports: None,
                },
                AclEntry {
                    rule_number: 100,
                    egress: true,
                    protocol: "-1".into(),
                    allow: true,
                    cidr: "0.0.0.0/0".into(),
                    ports: None,
                },
            ],
        });
        for g in 0..sgs_per_vpc {
            let mut ingress = vec![SgRule {
                protocol: "tcp".into(),
                ports: Some((8080, 8080)),
                cidrs: vec![format!("10.{v}.0.0/16")],
                groups: vec![],
            }];
            if g % 10 == 0 {
                ingress.push(SgRule {
                    protocol: "tcp".into(),
                    ports: Some((443, 443)),
                    cidrs: vec!["0.0.0.0/0".into()],
                    groups: vec![],
                });
            }
            if g >= sgs_per_vpc - 3 {
                // database groups: from a few web groups
                ingress = vec![SgRule {
                    protocol: "tcp".into(),
                    ports: Some((5432, 5432)),
                    cidrs: vec![],
                    groups: (0..3)
                        .map(|_| format!("sg-{v:04x}{:04x}", r.below(sgs_per_vpc - 3)))
                        .collect(),
                }];
            }
            inv.security_groups.push(SecurityGroup {
                id: format!("sg-{v:04x}{g:04x}"),
                vpc_id: Some(vpc.clone()),
                name: String::new(),
                ingress,
            });
        }
    }
    for i in 0..instances {
        let v = r.below(vpcs);
        let s = r.below(4);
        let g = r.below(sgs_per_vpc - 3);
        let id = format!("i-{i:017x}");
        let public = s < 2 && r.chance(0.5);
        let ip = format!("10.{v}.{s}.{}", 4 + i % 250);
        let eni = format!("eni-{i:017x}");
        inv.network_interfaces.push(NetworkInterface {
            id: eni.clone(),
            vpc_id: Some(format!("vpc-{v:08x}")),
            subnet_id: Some(format!("subnet-{v:04x}{s:04x}")),
            groups: vec![format!("sg-{v:04x}{g:04x}")],
            private_ips: vec![ip.clone()],
            public_ips: if public {
                vec![format!("203.0.{}.{}", i / 250 % 256, i % 250)]
            } else {
                vec![]
            },
            ipv6: vec![],
            instance_id: Some(id.clone()),
            description: None,
        });
        inv.instances.push(Instance {
            id,
            name: None,
            vpc_id: Some(format!("vpc-{v:08x}")),
            subnet_id: Some(format!("subnet-{v:04x}{s:04x}")),
            private_ip: Some(ip),
            public_ip: None,
            groups: vec![format!("sg-{v:04x}{g:04x}")],
            profile_arn: r
                .chance(0.3)
                .then(|| format!("arn:aws:iam::{ACCT}:instance-profile/app-{}", r.below(200))),
            image_id: None,
            state: Some("running".into()),
            eni_ids: vec![eni],
        });
    }
    for d in 0..stores {
        let v = r.below(vpcs);
        let rds = d % 2 == 0;
        inv.data_stores.push(DataStore {
            id: if rds {
                format!("arn:aws:rds:us-east-1:{ACCT}:cluster:db-{d}")
            } else {
                format!("arn:aws:s3:::bucket-{d}")
            },
            name: format!("store-{d}"),
            kind: if rds {
                DataStoreKind::RdsCluster
            } else {
                DataStoreKind::Bucket
            },
            vpc_id: rds.then(|| format!("vpc-{v:08x}")),
            subnet_ids: vec![],
            security_groups: if rds {
                vec![format!("sg-{v:04x}{:04x}", sgs_per_vpc - 1 - r.below(3))]
            } else {
                vec![]
            },
            port: rds.then_some(5432),
            publicly_accessible: false,
            public_access: if !rds && r.chance(0.01) {
                vec!["bucket policy allows s3:GetObject to everyone".into()]
            } else {
                vec![]
            },
            tags: vec![],
            encrypted: Some(true),
            cluster: None,
        });
    }
    let users = 7_000;
    let roles = 3_000;
    let user = |u: usize| format!("arn:aws:iam::{ACCT}:user/u{u}");
    let role = |x: usize| format!("arn:aws:iam::{ACCT}:role/r{x}");
    for u in 0..users {
        inv.principals.push(Principal {
            arn: user(u),
            name: format!("u{u}"),
            kind: PrincipalKind::User,
        });
    }
    for x in 0..roles {
        inv.principals.push(Principal {
            arn: role(x),
            name: format!("r{x}"),
            kind: PrincipalKind::Role,
        });
    }
    for p in 0..200 {
        inv.instance_profiles.push(InstanceProfile {
            arn: format!("arn:aws:iam::{ACCT}:instance-profile/app-{p}"),
            name: format!("app-{p}"),
            role_arns: vec![role(r.below(roles))],
        });
    }
    let mut f = Facts::default();
    for u in 0..users {
        f.identity.access_keys.push(AccessKeyFact {
            key_id: format!("AKIA{u:016}"),
            user_arn: user(u),
            active: true,
        });
        for _ in 0..2 {
            f.identity.can_assume.push(AssumeFact {
                principal: user(u),
                role: role(r.below(roles)),
                justification: "generated".into(),
                conditions: if r.chance(0.5) {
                    vec!["aws:MultiFactorAuthPresent".into()]
                } else {
                    vec![]
                },
            });
        }
    }
    for x in 0..roles {
        f.identity.can_assume.push(AssumeFact {
            principal: role(x),
            role: role(r.below(roles)),
            justification: "generated".into(),
            conditions: vec![],
        });
        for _ in 0..3 {
            let d = r.below(stores);
            let resource = inv.data_stores[d].id.clone();
            f.identity.data_access.push(DataAccessFact {
                principal: role(x),
                resource,
                access: [DataAccess::Read, DataAccess::Write, DataAccess::Snapshot][r.below(3)],
                justification: "generated".into(),
            });
        }
        if x % 150 == 0 {
            f.identity.admins.push(AdminFact {
                principal: role(x),
                justification: "generated".into(),
            });
        }
    }
    for i in 0..instances {
        let vulns = r.chance(0.05);
        let secret = r.chance(0.01);
        if !vulns && !secret {
            continue;
        }
        let mut h = HostFindings {
            host: format!("i-{i:017x}"),
            ..HostFindings::default()
        };
        if vulns {
            h.vulnerabilities.push(VulnFact {
                id: format!("CVE-2024-{}", r.below(5000)),
                severity: [Severity::Medium, Severity::High, Severity::Critical][r.below(3)],
                package: "openssl".into(),
                version: Some("3.0.1".into()),
                fixed_version: Some("3.0.15".into()),
                exploit_available: r.chance(0.3),
                known_exploited: r.chance(0.1),
                container: None,
                image: None,
            });
        }
        if secret {
            let u = r.below(users);
            h.secrets.push(SecretFact {
                kind: "aws_access_key".into(),
                aws_access_key_id: Some(format!("AKIA{u:016}")),
                fingerprint: format!("AKIA…xxh3:{i:x}"),
                path: "/app/.env".into(),
                verified: r.chance(0.5),
                container: None,
            });
        }
        f.hosts.push(h);
    }
    let resources = inv.vpcs.len()
        + inv.subnets.len()
        + inv.route_tables.len()
        + inv.network_acls.len()
        + inv.internet_gateways.len()
        + inv.security_groups.len()
        + inv.network_interfaces.len()
        + inv.instances.len()
        + inv.data_stores.len()
        + inv.instance_profiles.len();
    (inv, f, resources)
}

/// CPU time this thread has run, from the scheduler (Linux): wall time on a shared machine
/// counts other people's work too.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn bench(c: &mut Criterion) {
    let (inv, facts, resources) = estate();
    let t0 = cpu_ns();
    let g = build(&inv, &facts);
    let t1 = cpu_ns();
    let a = analyze_graph(&g, &AnalysisOptions::default());
    let t2 = cpu_ns();
    if let (Some(t0), Some(t1), Some(t2)) = (t0, t1, t2) {
        eprintln!(
            "cpu time: build {:.2} s, paths+fixes+risks {:.2} s",
            (t1 - t0) as f64 / 1e9,
            (t2 - t1) as f64 / 1e9
        );
    }
    eprintln!(
        "estate: {resources} resources, {} principals; graph {} nodes, {} edges; {} paths, top score {:.1}, {} fixes",
        inv.principals.len(),
        g.nodes.len(),
        g.edges.len(),
        a.paths.len(),
        a.paths.first().map_or(0.0, |p| p.score),
        a.fix_first.len()
    );
    let mut grp = c.benchmark_group("estate_100k");
    grp.sample_size(10);
    grp.bench_function("build_graph", |b| b.iter(|| black_box(build(&inv, &facts))));
    grp.bench_function("paths_fixes_risks", |b| {
        b.iter(|| black_box(analyze_graph(&g, &AnalysisOptions::default())))
    });
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

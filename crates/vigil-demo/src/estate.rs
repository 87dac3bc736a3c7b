//! The estate: the VPC, subnets, security groups, instances, the RDS cluster and the buckets.

use crate::clock::{DAY, HOUR};
use crate::identities::HOME_REGION;
use crate::ids::{self, DemoRng};
use rand::Rng;
use vigil_model::Timestamp;

#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: String,
    pub cidr: String,
    pub az: String,
    pub public: bool,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Ingress {
    pub protocol: &'static str,
    pub from: u16,
    pub to: u16,
    /// A CIDR, or a source security group id when it starts with `sg-`.
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub ingress: Vec<Ingress>,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub instance_id: String,
    pub private_ip: String,
    pub public_ip: Option<String>,
    pub subnet: usize,
    pub security_group: usize,
    pub launch: Timestamp,
    pub image_id: String,
    pub instance_type: &'static str,
    pub name: String,
    pub compromised: bool,
    /// The web app's container on this host.
    pub container_id: String,
}

impl Host {
    pub fn hostname(&self) -> String {
        format!("ip-{}", self.private_ip.replace('.', "-"))
    }
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub id: String,
    pub arn: String,
    pub resource_id: String,
    pub engine_version: &'static str,
    pub created: Timestamp,
    pub security_group: usize,
    pub writer_ip: String,
}

#[derive(Debug, Clone)]
pub struct Estate {
    pub region: &'static str,
    pub vpc_id: String,
    pub vpc_cidr: &'static str,
    pub dhcp_options_id: String,
    pub igw_id: String,
    pub public_rtb: String,
    pub private_rtb: String,
    pub subnets: Vec<Subnet>,
    pub security_groups: Vec<SecurityGroup>,
    pub hosts: Vec<Host>,
    pub compromised: usize,
    pub clusters: Vec<Cluster>,
    /// Index into `clusters` of the contractor's product database: the attacker's target.
    pub target_cluster: usize,
    pub buckets: Vec<(String, Timestamp)>,
    pub image: String,
    pub kms_key_id: String,
    /// The agent runs on the first this-many hosts (the compromised one among them).
    pub agent_hosts: usize,
}

impl Estate {
    pub fn compromised(&self) -> &Host {
        &self.hosts[self.compromised]
    }
    pub fn target(&self) -> &Cluster {
        &self.clusters[self.target_cluster]
    }
}

pub fn build(rng: &mut DemoRng, account: &str, start: Timestamp, scale: u32) -> Estate {
    let region = HOME_REGION;
    let vpc_id = ids::resource_id(rng, "vpc");
    let subnets: Vec<Subnet> = [
        ("10.20.1.0/24", "a", true, "lumen-public-1a"),
        ("10.20.2.0/24", "b", true, "lumen-public-1b"),
        ("10.20.11.0/24", "a", false, "lumen-private-1a"),
        ("10.20.12.0/24", "b", false, "lumen-private-1b"),
    ]
    .iter()
    .map(|(cidr, az, public, name)| Subnet {
        id: ids::resource_id(rng, "subnet"),
        cidr: (*cidr).to_string(),
        az: format!("{region}{az}"),
        public: *public,
        name: (*name).to_string(),
    })
    .collect();
    let sg =
        |rng: &mut DemoRng, name: &str, description: &str, ingress: Vec<Ingress>| SecurityGroup {
            id: ids::resource_id(rng, "sg"),
            name: name.to_string(),
            description: description.to_string(),
            ingress,
        };
    let anywhere = |from, to| Ingress {
        protocol: "tcp",
        from,
        to,
        source: "0.0.0.0/0".to_string(),
    };
    let web = sg(
        rng,
        "lumen-web",
        "lumen web server (temporary: open for testing)",
        vec![anywhere(22, 22), anywhere(80, 80), anywhere(443, 443)],
    );
    let internal = sg(
        rng,
        "interlace-internal",
        "Internal services",
        vec![Ingress {
            protocol: "tcp",
            from: 8080,
            to: 8080,
            source: "10.20.0.0/16".to_string(),
        }],
    );
    let db = sg(
        rng,
        "lumen-db",
        "Aurora PostgreSQL from the web tier",
        vec![Ingress {
            protocol: "tcp",
            from: 5432,
            to: 5432,
            source: web.id.clone(),
        }],
    );
    let security_groups = vec![web, internal, db];

    let image = format!("{account}.dkr.ecr.{region}.amazonaws.com/lumen-web:1.4.2");
    let host_count = 4 * scale.max(1) as usize;
    let compromised = 0;
    let hosts = (0..host_count)
        .map(|i| {
            let public = i == compromised || rng.random_bool(0.3);
            let subnet = if public { i % 2 } else { 2 + i % 2 };
            let third = if public { 1 + i % 2 } else { 11 + i % 2 };
            Host {
                instance_id: ids::instance_id(rng),
                private_ip: format!(
                    "10.20.{third}.{}",
                    10 + (i / 2) % 240 + rng.random_range(0..5usize)
                ),
                public_ip: public.then(|| format!("198.51.100.{}", 64 + i % 60)),
                subnet,
                security_group: if i == compromised { 0 } else { 1 },
                launch: start.plus_millis(-(rng.random_range(20..120) * DAY)),
                image_id: format!("ami-0{}", ids::hex(rng, 16)),
                instance_type: if i == compromised {
                    "t3.large"
                } else {
                    "m6i.large"
                },
                name: if i == compromised {
                    "lumen-dev-contractor".to_string()
                } else {
                    format!("interlace-web-{:02}", i)
                },
                compromised: i == compromised,
                container_id: ids::container_id(rng),
            }
        })
        .collect();

    let cluster = |rng: &mut DemoRng, id: &str, days: i64, ip: &str| Cluster {
        arn: format!("arn:aws:rds:{region}:{account}:cluster:{id}"),
        id: id.to_string(),
        resource_id: format!("cluster-{}", ids::alnum(rng, 26).to_uppercase()),
        engine_version: "15.4",
        created: start.plus_millis(-(days * DAY + 3 * HOUR)),
        security_group: 2,
        writer_ip: ip.to_string(),
    };
    let clusters = vec![
        cluster(rng, "interlace-core-db", 610, "10.20.11.40"),
        cluster(rng, "lumen-prod-db", 60, "10.20.12.41"),
    ];
    let buckets = [
        ("interlace-cloudtrail-logs", 1380),
        ("interlace-db-exports", 500),
        ("interlace-static-assets", 700),
        ("lumen-uploads-prod", 58),
    ]
    .iter()
    .map(|(b, d)| {
        (
            format!("{b}-{account}"),
            start.plus_millis(-(d * DAY + 7 * HOUR)),
        )
    })
    .collect();
    Estate {
        region,
        vpc_id,
        vpc_cidr: "10.20.0.0/16",
        dhcp_options_id: format!("dopt-0{}", ids::hex(rng, 16)),
        igw_id: ids::resource_id(rng, "igw"),
        public_rtb: ids::resource_id(rng, "rtb"),
        private_rtb: ids::resource_id(rng, "rtb"),
        subnets,
        security_groups,
        hosts,
        compromised,
        clusters,
        target_cluster: 1,
        buckets,
        image,
        kms_key_id: ids::uuid4(rng),
        agent_hosts: (2 + 2 * scale.max(1) as usize).min(host_count),
    }
}

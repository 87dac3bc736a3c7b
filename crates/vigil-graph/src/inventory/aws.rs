//! Reads the AWS CLI's describe outputs. A document is recognised by its top-level key
//! (`Reservations`, `SecurityGroups`, `RouteTables`, …), not by its file name, because every
//! collector names files differently. Bad documents and bad items are reported and skipped.

use super::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// One input document: where it came from (for reports, and for the bucket name of
/// `s3-get-bucket-policy/NAME` files) and its bytes.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Something in the input that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub path: String,
    pub reason: String,
}

/// What loading used and what it skipped.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LoadReport {
    /// `(path, what it held, items taken)`.
    pub used: Vec<(String, String, usize)>,
    pub problems: Vec<Problem>,
    /// Kinds of data absent from the input and what the graph assumes instead.
    pub missing: Vec<String>,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn strs(v: &Value, k: &str) -> Vec<String> {
    arr(v, k)
        .iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

fn port(v: &Value, k: &str) -> Option<u16> {
    v.get(k)
        .and_then(Value::as_i64)
        .and_then(|p| u16::try_from(p).ok())
}

fn name_tag(v: &Value) -> Option<String> {
    arr(v, "Tags")
        .iter()
        .chain(arr(v, "TagSet"))
        .find(|t| t.get("Key").and_then(Value::as_str) == Some("Name"))
        .and_then(|t| s(t, "Value"))
}

fn tags(v: &Value, key: &str) -> Vec<(String, String)> {
    arr(v, key)
        .iter()
        .filter_map(|t| Some((s(t, "Key")?, s(t, "Value")?)))
        .collect()
}

/// The SG/NACL port range: absent or `-1` (ICMP type) ports mean every port.
fn port_range(v: &Value, from: &str, to: &str) -> Option<(u16, u16)> {
    match (port(v, from), port(v, to)) {
        (Some(a), Some(b)) if a <= b => Some((a, b)),
        _ => None,
    }
}

struct Loader {
    inv: Inventory,
    report: LoadReport,
    /// Bucket name → public-access reasons, merged into buckets at the end.
    bucket_public: BTreeMap<String, Vec<String>>,
    /// ENIs seen inside describe-instances, used when describe-network-interfaces lacks them.
    instance_enis: Vec<NetworkInterface>,
    /// `(load balancer ARN, listener)` from describe-listeners.
    pending_listeners: Vec<(String, Listener)>,
}

impl Loader {
    fn problem(&mut self, path: &str, reason: impl Into<String>) {
        self.report.problems.push(Problem {
            path: path.to_string(),
            reason: reason.into(),
        });
    }

    fn used(&mut self, path: &str, what: &str, n: usize) {
        self.report
            .used
            .push((path.to_string(), what.to_string(), n));
    }

    fn file(&mut self, f: &InputFile) {
        let doc: Value = match serde_json::from_slice(&f.bytes) {
            Ok(v) => v,
            Err(e) => {
                // Licences, READMEs and CSV reports sit beside describe outputs: only what
                // claims to be JSON is a problem when it is not.
                let looks_json = f.path.ends_with(".json")
                    || matches!(
                        f.bytes.iter().find(|b| !b.is_ascii_whitespace()),
                        Some(b'{' | b'[')
                    );
                if looks_json {
                    self.problem(&f.path, format!("not JSON: {e}"));
                }
                return;
            }
        };
        let Some(obj) = doc.as_object() else {
            self.problem(&f.path, "not a JSON object");
            return;
        };
        let p = f.path.as_str();
        if obj.contains_key("Reservations") {
            self.instances(p, &doc);
        } else if obj.contains_key("Vpcs") {
            self.vpcs(p, &doc);
        } else if obj.contains_key("Subnets") {
            self.subnets(p, &doc);
        } else if obj.contains_key("SecurityGroups") {
            self.security_groups(p, &doc);
        } else if obj.contains_key("RouteTables") {
            self.route_tables(p, &doc);
        } else if obj.contains_key("NetworkAcls") {
            self.network_acls(p, &doc);
        } else if obj.contains_key("InternetGateways") {
            self.internet_gateways(p, &doc);
        } else if obj.contains_key("NetworkInterfaces") {
            self.network_interfaces(p, &doc);
        } else if obj.contains_key("LoadBalancerDescriptions") {
            self.classic_lbs(p, &doc);
        } else if obj.contains_key("LoadBalancers") {
            self.v2_lbs(p, &doc);
        } else if obj.contains_key("Listeners") {
            self.v2_listeners(p, &doc);
        } else if obj.contains_key("DBClusters") {
            self.rds(p, &doc, "DBClusters", DataStoreKind::RdsCluster);
        } else if obj.contains_key("DBInstances") {
            self.rds(p, &doc, "DBInstances", DataStoreKind::RdsInstance);
        } else if obj.contains_key("DBClusterSnapshots") {
            self.rds(p, &doc, "DBClusterSnapshots", DataStoreKind::DbSnapshot);
        } else if obj.contains_key("DBSnapshots") {
            self.rds(p, &doc, "DBSnapshots", DataStoreKind::DbSnapshot);
        } else if obj.contains_key("Buckets") {
            self.buckets(p, &doc);
        } else if obj.contains_key("Policy") && p.contains("bucket-policy") {
            self.bucket_policy(p, &doc);
        } else if obj.contains_key("Grants") && p.contains("bucket-acl") {
            self.bucket_acl(p, &doc);
        } else if obj.contains_key("RoleDetailList") || obj.contains_key("UserDetailList") {
            self.authorization_details(p, &doc);
        } else if obj.contains_key("Account") && obj.contains_key("Arn") {
            self.inv.account_id = s(&doc, "Account");
            self.used(p, "caller identity", 1);
        }
        // Anything else (availability zones, trails, queues…) is not graph input: ignored.
    }

    fn instances(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for r in arr(doc, "Reservations") {
            for i in arr(r, "Instances") {
                let Some(id) = s(i, "InstanceId") else {
                    self.problem(p, "instance without InstanceId skipped");
                    continue;
                };
                let groups: Vec<String> = arr(i, "SecurityGroups")
                    .iter()
                    .filter_map(|g| s(g, "GroupId"))
                    .collect();
                let mut eni_ids = Vec::new();
                for e in arr(i, "NetworkInterfaces") {
                    if let Some(mut eni) = eni(e) {
                        eni.instance_id = Some(id.clone());
                        eni_ids.push(eni.id.clone());
                        self.instance_enis.push(eni);
                    }
                }
                self.inv.instances.push(Instance {
                    name: name_tag(i),
                    vpc_id: s(i, "VpcId"),
                    subnet_id: s(i, "SubnetId"),
                    private_ip: s(i, "PrivateIpAddress"),
                    public_ip: s(i, "PublicIpAddress"),
                    groups,
                    profile_arn: i.get("IamInstanceProfile").and_then(|x| s(x, "Arn")),
                    image_id: s(i, "ImageId"),
                    state: i.get("State").and_then(|x| s(x, "Name")),
                    eni_ids,
                    id,
                });
                n += 1;
            }
        }
        self.used(p, "instances", n);
    }

    fn vpcs(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for v in arr(doc, "Vpcs") {
            let Some(id) = s(v, "VpcId") else {
                self.problem(p, "VPC without VpcId skipped");
                continue;
            };
            let mut cidrs: Vec<String> = arr(v, "CidrBlockAssociationSet")
                .iter()
                .filter_map(|a| s(a, "CidrBlock"))
                .collect();
            if cidrs.is_empty() {
                cidrs.extend(s(v, "CidrBlock"));
            }
            self.inv.vpcs.push(Vpc {
                id,
                cidrs,
                name: name_tag(v),
            });
            n += 1;
        }
        self.used(p, "vpcs", n);
    }

    fn subnets(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for v in arr(doc, "Subnets") {
            let (Some(id), Some(vpc_id)) = (s(v, "SubnetId"), s(v, "VpcId")) else {
                self.problem(p, "subnet without SubnetId/VpcId skipped");
                continue;
            };
            self.inv.subnets.push(Subnet {
                id,
                vpc_id,
                cidr: s(v, "CidrBlock"),
                name: name_tag(v),
            });
            n += 1;
        }
        self.used(p, "subnets", n);
    }

    fn security_groups(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for g in arr(doc, "SecurityGroups") {
            let Some(id) = s(g, "GroupId") else {
                self.problem(p, "security group without GroupId skipped");
                continue;
            };
            let ingress = arr(g, "IpPermissions")
                .iter()
                .map(|r| SgRule {
                    protocol: s(r, "IpProtocol").unwrap_or_else(|| "-1".to_string()),
                    ports: port_range(r, "FromPort", "ToPort"),
                    cidrs: arr(r, "IpRanges")
                        .iter()
                        .filter_map(|x| s(x, "CidrIp"))
                        .chain(arr(r, "Ipv6Ranges").iter().filter_map(|x| s(x, "CidrIpv6")))
                        .collect(),
                    groups: arr(r, "UserIdGroupPairs")
                        .iter()
                        .filter_map(|x| s(x, "GroupId"))
                        .collect(),
                })
                .collect();
            self.inv.security_groups.push(SecurityGroup {
                id,
                vpc_id: s(g, "VpcId"),
                name: s(g, "GroupName").unwrap_or_default(),
                ingress,
            });
            n += 1;
        }
        self.used(p, "security groups", n);
    }

    fn route_tables(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for t in arr(doc, "RouteTables") {
            let (Some(id), Some(vpc_id)) = (s(t, "RouteTableId"), s(t, "VpcId")) else {
                self.problem(p, "route table without RouteTableId/VpcId skipped");
                continue;
            };
            let assoc = arr(t, "Associations");
            let main = assoc
                .iter()
                .any(|a| a.get("Main").and_then(Value::as_bool) == Some(true));
            let subnet_ids = assoc.iter().filter_map(|a| s(a, "SubnetId")).collect();
            let routes = arr(t, "Routes")
                .iter()
                .filter_map(|r| {
                    let destination = s(r, "DestinationCidrBlock")
                        .or_else(|| s(r, "DestinationIpv6CidrBlock"))
                        .or_else(|| s(r, "DestinationPrefixListId"))?;
                    let target = [
                        "GatewayId",
                        "NatGatewayId",
                        "TransitGatewayId",
                        "VpcPeeringConnectionId",
                        "NetworkInterfaceId",
                        "InstanceId",
                        "EgressOnlyInternetGatewayId",
                        "LocalGatewayId",
                        "CarrierGatewayId",
                    ]
                    .iter()
                    .find_map(|k| s(r, k))
                    .unwrap_or_default();
                    Some(Route {
                        destination,
                        target,
                        blackhole: s(r, "State").as_deref() == Some("blackhole"),
                    })
                })
                .collect();
            self.inv.route_tables.push(RouteTable {
                id,
                vpc_id,
                main,
                subnet_ids,
                routes,
            });
            n += 1;
        }
        self.used(p, "route tables", n);
    }

    fn network_acls(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for a in arr(doc, "NetworkAcls") {
            let (Some(id), Some(vpc_id)) = (s(a, "NetworkAclId"), s(a, "VpcId")) else {
                self.problem(p, "network ACL without NetworkAclId/VpcId skipped");
                continue;
            };
            let entries = arr(a, "Entries")
                .iter()
                .filter_map(|e| {
                    Some(AclEntry {
                        rule_number: e.get("RuleNumber").and_then(Value::as_i64)?,
                        egress: e.get("Egress").and_then(Value::as_bool).unwrap_or(false),
                        protocol: s(e, "Protocol").unwrap_or_else(|| "-1".to_string()),
                        allow: s(e, "RuleAction").as_deref() == Some("allow"),
                        cidr: s(e, "CidrBlock").or_else(|| s(e, "Ipv6CidrBlock"))?,
                        ports: e.get("PortRange").and_then(|r| port_range(r, "From", "To")),
                    })
                })
                .collect();
            self.inv.network_acls.push(NetworkAcl {
                id,
                vpc_id,
                is_default: a.get("IsDefault").and_then(Value::as_bool).unwrap_or(false),
                subnet_ids: arr(a, "Associations")
                    .iter()
                    .filter_map(|x| s(x, "SubnetId"))
                    .collect(),
                entries,
            });
            n += 1;
        }
        self.used(p, "network ACLs", n);
    }

    fn internet_gateways(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for g in arr(doc, "InternetGateways") {
            let Some(id) = s(g, "InternetGatewayId") else {
                self.problem(p, "internet gateway without InternetGatewayId skipped");
                continue;
            };
            let vpc_ids = arr(g, "Attachments")
                .iter()
                .filter(|a| {
                    matches!(
                        a.get("State").and_then(Value::as_str),
                        Some("available" | "attached") | None
                    )
                })
                .filter_map(|a| s(a, "VpcId"))
                .collect();
            self.inv
                .internet_gateways
                .push(InternetGateway { id, vpc_ids });
            n += 1;
        }
        self.used(p, "internet gateways", n);
    }

    fn network_interfaces(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for e in arr(doc, "NetworkInterfaces") {
            match eni(e) {
                Some(eni) => {
                    self.inv.network_interfaces.push(eni);
                    n += 1;
                }
                None => self.problem(p, "network interface without NetworkInterfaceId skipped"),
            }
        }
        self.used(p, "network interfaces", n);
    }

    fn classic_lbs(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for l in arr(doc, "LoadBalancerDescriptions") {
            let Some(name) = s(l, "LoadBalancerName") else {
                self.problem(p, "load balancer without LoadBalancerName skipped");
                continue;
            };
            let listeners = arr(l, "ListenerDescriptions")
                .iter()
                .filter_map(|d| {
                    let x = d.get("Listener")?;
                    Some(Listener {
                        protocol: s(x, "Protocol").unwrap_or_default(),
                        port: port(x, "LoadBalancerPort")?,
                        instance_port: port(x, "InstancePort"),
                    })
                })
                .collect();
            self.inv.load_balancers.push(LoadBalancer {
                id: name.clone(),
                name,
                kind: LoadBalancerKind::Classic,
                internet_facing: s(l, "Scheme").as_deref() == Some("internet-facing"),
                vpc_id: s(l, "VPCId").or_else(|| s(l, "VpcId")),
                subnet_ids: strs(l, "Subnets"),
                security_groups: strs(l, "SecurityGroups"),
                listeners,
                instances: arr(l, "Instances")
                    .iter()
                    .filter_map(|i| s(i, "InstanceId"))
                    .collect(),
            });
            n += 1;
        }
        self.used(p, "classic load balancers", n);
    }

    fn v2_lbs(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for l in arr(doc, "LoadBalancers") {
            let Some(id) = s(l, "LoadBalancerArn") else {
                self.problem(p, "load balancer without LoadBalancerArn skipped");
                continue;
            };
            let kind = match s(l, "Type").as_deref() {
                Some("network") => LoadBalancerKind::Network,
                Some("gateway") => LoadBalancerKind::Gateway,
                _ => LoadBalancerKind::Application,
            };
            self.inv.load_balancers.push(LoadBalancer {
                name: s(l, "LoadBalancerName").unwrap_or_else(|| id.clone()),
                id,
                kind,
                internet_facing: s(l, "Scheme").as_deref() == Some("internet-facing"),
                vpc_id: s(l, "VpcId"),
                subnet_ids: arr(l, "AvailabilityZones")
                    .iter()
                    .filter_map(|z| s(z, "SubnetId"))
                    .collect(),
                security_groups: strs(l, "SecurityGroups"),
                listeners: Vec::new(),
                instances: Vec::new(),
            });
            n += 1;
        }
        self.used(p, "load balancers", n);
    }

    /// `elbv2 describe-listeners`: attached to their load balancer by ARN. Listener files may
    /// come before the load balancers, so they are applied in [`Loader::finish`].
    fn v2_listeners(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for x in arr(doc, "Listeners") {
            let (Some(lb), Some(port)) = (s(x, "LoadBalancerArn"), port(x, "Port")) else {
                self.problem(p, "listener without LoadBalancerArn/Port skipped");
                continue;
            };
            self.pending_listeners.push((
                lb,
                Listener {
                    protocol: s(x, "Protocol").unwrap_or_default(),
                    port,
                    instance_port: None,
                },
            ));
            n += 1;
        }
        self.used(p, "listeners", n);
    }

    fn rds(&mut self, p: &str, doc: &Value, key: &str, kind: DataStoreKind) {
        let mut n = 0;
        for d in arr(doc, key) {
            let id = match kind {
                DataStoreKind::RdsCluster => s(d, "DBClusterArn"),
                DataStoreKind::RdsInstance => s(d, "DBInstanceArn"),
                _ => s(d, "DBClusterSnapshotArn").or_else(|| s(d, "DBSnapshotArn")),
            };
            let name = s(d, "DBClusterIdentifier")
                .filter(|_| kind == DataStoreKind::RdsCluster)
                .or_else(|| {
                    s(d, "DBInstanceIdentifier").filter(|_| kind == DataStoreKind::RdsInstance)
                })
                .or_else(|| s(d, "DBClusterSnapshotIdentifier"))
                .or_else(|| s(d, "DBSnapshotIdentifier"));
            let (Some(id), Some(name)) = (id, name) else {
                self.problem(
                    p,
                    format!("{} entry without ARN/identifier skipped", kind.as_str()),
                );
                continue;
            };
            let sg = d.get("DBSubnetGroup");
            let port = port(d, "Port").or_else(|| d.get("Endpoint").and_then(|e| port(e, "Port")));
            self.inv.data_stores.push(DataStore {
                id,
                name,
                kind,
                vpc_id: sg.and_then(|g| s(g, "VpcId")).or_else(|| s(d, "VpcId")),
                subnet_ids: sg
                    .map(|g| {
                        arr(g, "Subnets")
                            .iter()
                            .filter_map(|x| s(x, "SubnetIdentifier"))
                            .collect()
                    })
                    .unwrap_or_default(),
                security_groups: arr(d, "VpcSecurityGroups")
                    .iter()
                    .filter_map(|g| s(g, "VpcSecurityGroupId"))
                    .collect(),
                port,
                publicly_accessible: d
                    .get("PubliclyAccessible")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                public_access: Vec::new(),
                tags: tags(d, "TagList"),
                encrypted: d
                    .get("StorageEncrypted")
                    .or_else(|| d.get("Encrypted"))
                    .and_then(Value::as_bool),
                cluster: s(d, "DBClusterIdentifier").filter(|_| kind != DataStoreKind::RdsCluster),
            });
            n += 1;
        }
        self.used(p, kind.as_str(), n);
    }

    fn buckets(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for b in arr(doc, "Buckets") {
            let Some(name) = s(b, "Name") else {
                self.problem(p, "bucket without Name skipped");
                continue;
            };
            self.inv.data_stores.push(DataStore {
                id: format!("arn:aws:s3:::{name}"),
                name,
                kind: DataStoreKind::Bucket,
                vpc_id: None,
                subnet_ids: Vec::new(),
                security_groups: Vec::new(),
                port: None,
                publicly_accessible: false,
                public_access: Vec::new(),
                tags: Vec::new(),
                encrypted: None,
                cluster: None,
            });
            n += 1;
        }
        self.used(p, "buckets", n);
    }

    /// `s3api get-bucket-policy` output saved as `…/s3-get-bucket-policy/BUCKET` (CloudMapper's
    /// layout) or `s3-get-bucket-policy-BUCKET.json`.
    fn bucket_policy(&mut self, p: &str, doc: &Value) {
        let Some(bucket) = bucket_from_path(p, "s3-get-bucket-policy") else {
            self.problem(p, "bucket policy whose bucket cannot be told from the path");
            return;
        };
        let policy: Value = match doc.get("Policy") {
            Some(Value::String(text)) => match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    self.problem(p, format!("bucket policy is not JSON: {e}"));
                    return;
                }
            },
            Some(v @ Value::Object(_)) => v.clone(),
            _ => {
                self.problem(p, "bucket policy without a Policy document");
                return;
            }
        };
        let reasons = public_statements(&policy);
        self.used(p, "bucket policy", 1);
        self.bucket_public
            .entry(bucket)
            .or_default()
            .extend(reasons);
    }

    fn bucket_acl(&mut self, p: &str, doc: &Value) {
        let Some(bucket) = bucket_from_path(p, "s3-get-bucket-acl") else {
            self.problem(p, "bucket ACL whose bucket cannot be told from the path");
            return;
        };
        let mut reasons = Vec::new();
        for g in arr(doc, "Grants") {
            let uri = g
                .get("Grantee")
                .and_then(|x| s(x, "URI"))
                .unwrap_or_default();
            if uri.ends_with("/global/AllUsers") || uri.ends_with("/global/AuthenticatedUsers") {
                let who = uri.rsplit('/').next().unwrap_or_default();
                let perm = s(g, "Permission").unwrap_or_default();
                reasons.push(format!("ACL grants {perm} to {who}"));
            }
        }
        self.used(p, "bucket ACL", 1);
        self.bucket_public
            .entry(bucket)
            .or_default()
            .extend(reasons);
    }

    fn authorization_details(&mut self, p: &str, doc: &Value) {
        let mut n = 0;
        for u in arr(doc, "UserDetailList") {
            if let (Some(arn), Some(name)) = (s(u, "Arn"), s(u, "UserName")) {
                self.inv.principals.push(Principal {
                    arn,
                    name,
                    kind: PrincipalKind::User,
                });
                n += 1;
            }
        }
        let mut profiles: BTreeMap<String, InstanceProfile> = BTreeMap::new();
        for r in arr(doc, "RoleDetailList") {
            let (Some(arn), Some(name)) = (s(r, "Arn"), s(r, "RoleName")) else {
                self.problem(p, "role without Arn/RoleName skipped");
                continue;
            };
            for ip in arr(r, "InstanceProfileList") {
                let Some(parn) = s(ip, "Arn") else { continue };
                let entry = profiles
                    .entry(parn.clone())
                    .or_insert_with(|| InstanceProfile {
                        arn: parn,
                        name: s(ip, "InstanceProfileName").unwrap_or_default(),
                        role_arns: Vec::new(),
                    });
                for role in arr(ip, "Roles").iter().filter_map(|x| s(x, "Arn")) {
                    if !entry.role_arns.contains(&role) {
                        entry.role_arns.push(role);
                    }
                }
            }
            self.inv.principals.push(Principal {
                arn,
                name,
                kind: PrincipalKind::Role,
            });
            n += 1;
        }
        self.inv.instance_profiles.extend(profiles.into_values());
        self.used(p, "IAM principals", n);
    }

    fn finish(mut self) -> (Inventory, LoadReport) {
        // ENIs described only inside describe-instances.
        let known: std::collections::HashSet<String> = self
            .inv
            .network_interfaces
            .iter()
            .map(|e| e.id.clone())
            .collect();
        let mut extra: Vec<NetworkInterface> = std::mem::take(&mut self.instance_enis)
            .into_iter()
            .filter(|e| !known.contains(&e.id))
            .collect();
        // One interface id under several instances (sanitised samples do this): keep each,
        // named after its instance, rather than wiring the instances together.
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for e in &extra {
            *count.entry(e.id.clone()).or_default() += 1;
        }
        for e in &mut extra {
            if count.get(&e.id).copied().unwrap_or(0) > 1 {
                let owner = e.instance_id.clone().unwrap_or_default();
                self.report.problems.push(Problem {
                    path: e.id.clone(),
                    reason: format!(
                        "network interface id used by several instances; kept as `{}@{owner}`",
                        e.id
                    ),
                });
                e.id = format!("{}@{owner}", e.id);
            }
        }
        for i in &mut self.inv.instances {
            for id in &mut i.eni_ids {
                if count.get(id.as_str()).copied().unwrap_or(0) > 1 {
                    *id = format!("{id}@{}", i.id);
                }
            }
        }
        self.inv.network_interfaces.extend(extra);
        for (lb, l) in std::mem::take(&mut self.pending_listeners) {
            match self.inv.load_balancers.iter_mut().find(|x| x.id == lb) {
                Some(x) => x.listeners.push(l),
                None => self.report.problems.push(Problem {
                    path: lb,
                    reason: "listener of an unknown load balancer skipped".to_string(),
                }),
            }
        }
        for (bucket, reasons) in std::mem::take(&mut self.bucket_public) {
            match self
                .inv
                .data_stores
                .iter_mut()
                .find(|d| d.kind == DataStoreKind::Bucket && d.name == bucket)
            {
                Some(d) => d.public_access.extend(reasons),
                None => self.report.problems.push(Problem {
                    path: bucket,
                    reason: "policy or ACL of a bucket missing from the bucket list skipped"
                        .to_string(),
                }),
            }
        }
        let inv = &self.inv;
        let mut missing = Vec::new();
        if !inv.instances.is_empty() || !inv.network_interfaces.is_empty() {
            if inv.route_tables.is_empty() {
                missing.push("route tables: every subnet is assumed to route 0.0.0.0/0 and ::/0 to an internet gateway".to_string());
            }
            if inv.internet_gateways.is_empty() {
                missing.push(
                    "internet gateways: routes to igw-… targets are trusted as attached"
                        .to_string(),
                );
            }
            if inv.network_acls.is_empty() {
                missing.push(
                    "network ACLs: the AWS default (allow all, both ways) is assumed".to_string(),
                );
            }
            if inv.security_groups.is_empty() {
                missing.push("security groups: nothing can be shown reachable".to_string());
            }
        }
        if inv.principals.is_empty() {
            missing.push(
                "IAM authorization details: instance profiles are not linked to roles".to_string(),
            );
        }
        self.report.missing = missing;
        (self.inv, self.report)
    }
}

fn eni(e: &Value) -> Option<NetworkInterface> {
    let id = s(e, "NetworkInterfaceId")?;
    let addrs = arr(e, "PrivateIpAddresses");
    let mut public_ips: Vec<String> = addrs
        .iter()
        .filter_map(|a| a.get("Association").and_then(|x| s(x, "PublicIp")))
        .collect();
    if let Some(ip) = e.get("Association").and_then(|x| s(x, "PublicIp"))
        && !public_ips.contains(&ip)
    {
        public_ips.push(ip);
    }
    let mut private_ips: Vec<String> = addrs
        .iter()
        .filter_map(|a| s(a, "PrivateIpAddress"))
        .collect();
    if private_ips.is_empty() {
        private_ips.extend(s(e, "PrivateIpAddress"));
    }
    Some(NetworkInterface {
        vpc_id: s(e, "VpcId"),
        subnet_id: s(e, "SubnetId"),
        groups: arr(e, "Groups")
            .iter()
            .filter_map(|g| s(g, "GroupId"))
            .collect(),
        private_ips,
        public_ips,
        ipv6: arr(e, "Ipv6Addresses")
            .iter()
            .filter_map(|a| s(a, "Ipv6Address"))
            .collect(),
        instance_id: e.get("Attachment").and_then(|a| s(a, "InstanceId")),
        description: s(e, "Description").filter(|d| !d.is_empty()),
        id,
    })
}

fn bucket_from_path(path: &str, dir: &str) -> Option<String> {
    let norm = path.replace('\\', "/");
    let mut parts = norm.rsplit('/');
    let file = parts.next()?;
    let parent = parts.next().unwrap_or_default();
    if parent == dir {
        return Some(file.trim_end_matches(".json").to_string()).filter(|b| !b.is_empty());
    }
    file.strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('-'))
        .map(|b| b.trim_end_matches(".json").to_string())
        .filter(|b| !b.is_empty())
}

fn one_or_many(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(x)) => vec![x.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Allow statements open to everyone (`"*"` or `{"AWS": "*"}`) without a condition: the
/// bucket is readable (or writable) from the internet with no credentials.
fn public_statements(policy: &Value) -> Vec<String> {
    let stmts: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for st in stmts {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow")
            || st.get("Condition").is_some()
        {
            continue;
        }
        let everyone = match st.get("Principal") {
            Some(Value::String(x)) => x == "*",
            Some(Value::Object(m)) => one_or_many(m.get("AWS")).iter().any(|x| x == "*"),
            _ => false,
        };
        if !everyone {
            continue;
        }
        let actions = one_or_many(st.get("Action"));
        let sid = s(st, "Sid").map(|x| format!(" `{x}`")).unwrap_or_default();
        out.push(format!(
            "bucket policy statement{sid} allows {} to everyone",
            actions.join(", ")
        ));
    }
    out
}

/// Reads every document; never fails. Files are applied in the order given.
pub fn load(files: &[InputFile]) -> (Inventory, LoadReport) {
    let mut l = Loader {
        inv: Inventory::default(),
        report: LoadReport::default(),
        bucket_public: BTreeMap::new(),
        instance_enis: Vec::new(),
        pending_listeners: Vec::new(),
    };
    for f in files {
        l.file(f);
    }
    l.finish()
}

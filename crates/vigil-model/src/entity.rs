//! Entities: the things events and alerts are about. An [`EntityRef`] is a typed identifier
//! (access keys by key id, principals by ARN, hosts by instance id); [`InventoryEntity`] is
//! what an inventory snapshot knows about one of them.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Account,
    AccessKey,
    /// An IAM user, role, root or federated principal, by ARN.
    Principal,
    /// An assumed-role session, by its `arn:aws:sts::...:assumed-role/ROLE/SESSION` ARN.
    RoleSession,
    Ip,
    /// A host, by EC2 instance id (or hostname when it is not in EC2).
    Host,
    Container,
    Image,
    Vpc,
    Subnet,
    SecurityGroup,
    DbCluster,
    DbSnapshot,
    Bucket,
    Region,
}

impl EntityKind {
    pub const ALL: [EntityKind; 15] = [
        EntityKind::Account,
        EntityKind::AccessKey,
        EntityKind::Principal,
        EntityKind::RoleSession,
        EntityKind::Ip,
        EntityKind::Host,
        EntityKind::Container,
        EntityKind::Image,
        EntityKind::Vpc,
        EntityKind::Subnet,
        EntityKind::SecurityGroup,
        EntityKind::DbCluster,
        EntityKind::DbSnapshot,
        EntityKind::Bucket,
        EntityKind::Region,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Account => "account",
            EntityKind::AccessKey => "access_key",
            EntityKind::Principal => "principal",
            EntityKind::RoleSession => "role_session",
            EntityKind::Ip => "ip",
            EntityKind::Host => "host",
            EntityKind::Container => "container",
            EntityKind::Image => "image",
            EntityKind::Vpc => "vpc",
            EntityKind::Subnet => "subnet",
            EntityKind::SecurityGroup => "security_group",
            EntityKind::DbCluster => "db_cluster",
            EntityKind::DbSnapshot => "db_snapshot",
            EntityKind::Bucket => "bucket",
            EntityKind::Region => "region",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed reference to an entity: `{"type": "access_key", "id": "AKIA..."}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntityRef {
    #[serde(rename = "type")]
    pub kind: EntityKind,
    pub id: String,
}

impl EntityRef {
    pub fn new(kind: EntityKind, id: impl Into<String>) -> Self {
        EntityRef {
            kind,
            id: id.into(),
        }
    }

    /// Guesses the kind of a bare identifier the way a user types it on the command line:
    /// `AKIA…`/`ASIA…` keys, ARNs, instance ids, IP addresses, account ids, and so on.
    pub fn infer(id: &str) -> EntityRef {
        let (kind, id) = EntityRef::infer_borrowed(id);
        EntityRef::new(kind, id)
    }

    /// [`EntityRef::infer`] without allocating: the kind and the id (after any `kind:` prefix).
    pub fn infer_borrowed(id: &str) -> (EntityKind, &str) {
        if let Some((kind, rest)) = id
            .split_once(':')
            .and_then(|(prefix, rest)| EntityKind::parse(prefix).map(|k| (k, rest)))
        {
            return (kind, rest);
        }
        let kind = if (id.starts_with("AKIA") || id.starts_with("ASIA")) && id.len() >= 16 {
            EntityKind::AccessKey
        } else if id.starts_with("arn:aws:sts::") && id.contains(":assumed-role/") {
            EntityKind::RoleSession
        } else if id.starts_with("arn:aws:rds:") && id.contains(":cluster-snapshot:") {
            EntityKind::DbSnapshot
        } else if id.starts_with("arn:aws:rds:") && id.contains(":cluster:") {
            EntityKind::DbCluster
        } else if id.starts_with("arn:aws:s3:::") {
            EntityKind::Bucket
        } else if id.starts_with("arn:") {
            EntityKind::Principal
        } else if id.starts_with("i-") {
            EntityKind::Host
        } else if id.starts_with("vpc-") {
            EntityKind::Vpc
        } else if id.starts_with("subnet-") {
            EntityKind::Subnet
        } else if id.starts_with("sg-") {
            EntityKind::SecurityGroup
        } else if id.parse::<std::net::IpAddr>().is_ok() {
            EntityKind::Ip
        } else if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            EntityKind::Account
        } else {
            EntityKind::Host
        };
        (kind, id)
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

/// What an inventory snapshot records about one entity. The shapes follow what the AWS APIs
/// return, reduced to what detection, CIEM and the security graph use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InventoryEntity {
    IamUser {
        arn: String,
        name: String,
        created: Option<Timestamp>,
        has_console_password: bool,
        mfa_active: bool,
    },
    IamRole {
        arn: String,
        name: String,
        created: Option<Timestamp>,
        /// The trust policy document.
        trust_policy: Option<serde_json::Value>,
    },
    AccessKey {
        id: String,
        user_arn: String,
        active: bool,
        created: Option<Timestamp>,
        last_used: Option<Timestamp>,
    },
    Instance {
        id: String,
        account: String,
        region: String,
        vpc_id: Option<String>,
        subnet_id: Option<String>,
        security_groups: Vec<String>,
        private_ip: Option<String>,
        public_ip: Option<String>,
        instance_profile_arn: Option<String>,
        image_id: Option<String>,
        state: Option<String>,
    },
    Vpc {
        id: String,
        account: String,
        region: String,
        cidr: Option<String>,
    },
    Subnet {
        id: String,
        vpc_id: String,
        cidr: Option<String>,
        availability_zone: Option<String>,
        map_public_ip: bool,
    },
    SecurityGroup {
        id: String,
        vpc_id: Option<String>,
        name: String,
        /// Ingress rules as `(protocol, from_port, to_port, cidr or group)`.
        ingress: Vec<IngressRule>,
    },
    DbCluster {
        arn: String,
        id: String,
        engine: Option<String>,
        vpc_security_groups: Vec<String>,
        storage_encrypted: bool,
    },
    Bucket {
        name: String,
        region: Option<String>,
        created: Option<Timestamp>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressRule {
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// A CIDR (`0.0.0.0/0`) or a source security group id.
    pub source: String,
}

impl InventoryEntity {
    /// The reference other records use for this entity.
    pub fn entity_ref(&self) -> EntityRef {
        match self {
            InventoryEntity::IamUser { arn, .. } | InventoryEntity::IamRole { arn, .. } => {
                EntityRef::new(EntityKind::Principal, arn)
            }
            InventoryEntity::AccessKey { id, .. } => EntityRef::new(EntityKind::AccessKey, id),
            InventoryEntity::Instance { id, .. } => EntityRef::new(EntityKind::Host, id),
            InventoryEntity::Vpc { id, .. } => EntityRef::new(EntityKind::Vpc, id),
            InventoryEntity::Subnet { id, .. } => EntityRef::new(EntityKind::Subnet, id),
            InventoryEntity::SecurityGroup { id, .. } => {
                EntityRef::new(EntityKind::SecurityGroup, id)
            }
            InventoryEntity::DbCluster { arn, .. } => EntityRef::new(EntityKind::DbCluster, arn),
            InventoryEntity::Bucket { name, .. } => EntityRef::new(EntityKind::Bucket, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_what_users_type() {
        let cases = [
            ("AKIAIOSFODNN7EXAMPLE", EntityKind::AccessKey),
            (
                "arn:aws:iam::123456789012:user/alice",
                EntityKind::Principal,
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/Admin/s1",
                EntityKind::RoleSession,
            ),
            ("i-0abc123", EntityKind::Host),
            ("203.0.113.7", EntityKind::Ip),
            ("123456789012", EntityKind::Account),
            ("bucket:logs", EntityKind::Bucket),
        ];
        for (text, kind) in cases {
            assert_eq!(EntityRef::infer(text).kind, kind, "{text}");
        }
        assert_eq!(EntityRef::infer("bucket:logs").id, "logs");
    }
}

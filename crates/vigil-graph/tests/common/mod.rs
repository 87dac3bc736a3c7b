//! Test helpers: read an inventory directory the way the CLI does, and the story's facts.

#![allow(dead_code)]

use std::path::Path;
use vigil_demo::DemoManifest;
use vigil_graph::facts::*;
use vigil_graph::{InputFile, Inventory, LoadReport};
use vigil_model::{Alert, AlertKind, AlertStatus, EntityKind, EntityRef, Severity, Timestamp};

pub fn read_dir(dir: &Path) -> Vec<InputFile> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(InputFile {
                    path: p.display().to_string(),
                    bytes: std::fs::read(&p).unwrap(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

pub fn load_dir(dir: &Path) -> (Inventory, LoadReport) {
    vigil_graph::load(&read_dir(dir))
}

/// The Interlace Labs story, generated once per test binary.
pub fn demo() -> &'static (tempfile::TempDir, DemoManifest) {
    static DEMO: std::sync::OnceLock<(tempfile::TempDir, DemoManifest)> =
        std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let m = vigil_demo::generate(dir.path(), &vigil_demo::DemoConfig::default()).unwrap();
        (dir, m)
    })
}

/// What vigil-iam and vigil-scan say about the story, written by hand from the demo's
/// inventory: the contractor's key hard-coded in the container, a critical exploitable bug in
/// the web app, the contractor's inline policy letting him assume InterlaceOpsAdmin, whose
/// AmazonRDSFullAccess lets it snapshot the cluster. Plus the ordinary rest: ops users who may
/// assume the role with MFA, the backup role's snapshot rights.
pub fn story_facts(m: &DemoManifest) -> Facts {
    let acct = &m.account_id;
    let role = &m.privileged_role_arn;
    Facts {
        hosts: vec![HostFindings {
            host: m.compromised_instance_id.clone(),
            containers: vec![ContainerFact { id: m.container_id.clone(), image: m.container_image.clone() }],
            vulnerabilities: vec![
                VulnFact {
                    id: "CVE-2024-53677".into(),
                    severity: Severity::Critical,
                    package: "struts2-core".into(),
                    version: Some("6.3.0".into()),
                    fixed_version: Some("6.4.0".into()),
                    exploit_available: true,
                    known_exploited: true,
                    container: Some(m.container_id.clone()),
                    image: Some(m.container_image.clone()),
                },
                VulnFact {
                    id: "CVE-2023-38545".into(),
                    severity: Severity::High,
                    package: "curl".into(),
                    version: Some("7.88.1".into()),
                    fixed_version: Some("8.4.0".into()),
                    exploit_available: false,
                    known_exploited: false,
                    container: None,
                    image: None,
                },
            ],
            secrets: vec![SecretFact {
                kind: "aws_access_key".into(),
                aws_access_key_id: Some(m.contractor_access_key_id.clone()),
                fingerprint: m.contractor_secret_fingerprint.clone(),
                path: m.hardcoded_key_path.clone(),
                verified: true,
                container: Some(m.container_id.clone()),
            }],
        }],
        identity: IdentityFacts {
            access_keys: vec![AccessKeyFact { key_id: m.contractor_access_key_id.clone(), user_arn: m.contractor_user_arn.clone(), active: true }],
            can_assume: vec![
                AssumeFact {
                    principal: m.contractor_user_arn.clone(),
                    role: role.clone(),
                    justification: "inline policy lumen-contractor-access statement DebugDatabaseAsOps allows sts:AssumeRole on the role; its trust policy trusts the account root".into(),
                    conditions: vec![],
                },
                AssumeFact {
                    principal: format!("arn:aws:iam::{acct}:user/ops-oncall"),
                    role: role.clone(),
                    justification: "group ops: InterlaceOpsAssumeAdmin".into(),
                    conditions: vec!["aws:MultiFactorAuthPresent".into()],
                },
            ],
            can_escalate: vec![],
            data_access: vec![
                DataAccessFact { principal: role.clone(), resource: m.rds_cluster_arn.clone(), access: DataAccess::Snapshot, justification: "AmazonRDSFullAccess: rds:* on *".into() },
                DataAccessFact { principal: role.clone(), resource: format!("arn:aws:s3:::interlace-db-exports-{acct}"), access: DataAccess::Read, justification: "InterlaceOpsAdminPolicy: s3:* on *".into() },
            ],
            admins: vec![],
        },
        ..Facts::default()
    }
}

pub fn alert_on(id: &str, entity: EntityRef) -> Alert {
    Alert {
        id: id.into(),
        alert_type: "compromised_aws_keys".into(),
        kind: AlertKind::Composite,
        severity: Severity::Critical,
        title: "potentially compromised AWS keys".into(),
        description: String::new(),
        first_seen: Timestamp::from_millis(0),
        last_seen: Timestamp::from_millis(0),
        entities: vec![entity],
        evidence: vec![],
        mitre: vec![],
        children: vec![],
        status: AlertStatus::New,
        score: 90.0,
        related: Vec::new(),
    }
}

pub fn key_ref(m: &DemoManifest) -> EntityRef {
    EntityRef::new(EntityKind::AccessKey, m.contractor_access_key_id.clone())
}

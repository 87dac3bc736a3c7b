//! Engine outputs turned into the graph's inputs: a host's scan as host findings, the identity
//! analysis as identity facts.

use std::collections::BTreeMap;
use vigil_graph::inventory::DataStoreKind;
use vigil_graph::{
    AccessKeyFact, AdminFact, AssumeFact, DataAccess, DataAccessFact, EscalationFact, Facts,
    HostFindings, SecretFact, VulnFact,
};
use vigil_iam::{Analysis, Outcome};
use vigil_scan::ScanReport;

/// The scan's vulnerabilities and secrets, for the graph's host node.
pub fn host_findings(instance_id: &str, scan: &ScanReport) -> HostFindings {
    HostFindings {
        host: instance_id.to_string(),
        containers: Vec::new(),
        vulnerabilities: scan
            .vulnerabilities
            .iter()
            .map(|v| VulnFact {
                id: v.id.clone(),
                severity: v.severity,
                package: v.package.clone(),
                version: Some(v.version.clone()),
                fixed_version: v.fixed_version.clone(),
                exploit_available: false,
                known_exploited: false,
                container: None,
                image: None,
            })
            .collect(),
        secrets: scan
            .secrets
            .iter()
            .map(|s| SecretFact {
                kind: s.kind.clone(),
                aws_access_key_id: s.aws_access_key_id.clone(),
                fingerprint: s.fingerprint.clone(),
                path: s.path.clone(),
                verified: false,
                container: None,
            })
            .collect(),
    }
}

/// What the identity engine tells the graph: keys and their users, who can become whom, who
/// is admin, and who can read, write or snapshot each data store.
pub fn identity_facts(
    analysis: &Analysis<'_>,
    inv: &vigil_graph::Inventory,
    key_owners: &BTreeMap<String, String>,
    facts: &mut Facts,
) {
    let idf = &mut facts.identity;
    for (key_id, user_arn) in key_owners {
        idf.access_keys.push(AccessKeyFact {
            key_id: key_id.clone(),
            user_arn: user_arn.clone(),
            active: true,
        });
    }
    let report = &analysis.report;
    for identity in &report.identities {
        if identity
            .risks
            .iter()
            .any(|r| r.category == vigil_iam::risk::Category::FullAdmin)
        {
            idf.admins.push(AdminFact {
                principal: identity.arn.clone(),
                justification: "holds full administrative access".to_string(),
            });
        }
        for group in &identity.linked.can_become {
            let conditions = if group.conditional {
                vec!["conditions in the granting or trust policy".to_string()]
            } else {
                Vec::new()
            };
            // `sts-001` is pathfinding.cloud's id for sts:AssumeRole (trust + permission).
            let assume = group.method == "sts-001"
                || group.method.to_ascii_lowercase().contains("assumerole");
            for target in report.link_set(group) {
                if assume {
                    idf.can_assume.push(AssumeFact {
                        principal: identity.arn.clone(),
                        role: target.clone(),
                        justification: format!(
                            "{} may call sts:AssumeRole on it and its trust policy allows it",
                            identity.name
                        ),
                        conditions: conditions.clone(),
                    });
                } else {
                    idf.can_escalate.push(EscalationFact {
                        principal: identity.arn.clone(),
                        target: target.clone(),
                        method: group.method.clone(),
                        justification: format!("{} ({})", group.method, identity.name),
                    });
                }
            }
        }
    }
    for store in &inv.data_stores {
        let asks: &[(&str, DataAccess)] = match store.kind {
            DataStoreKind::RdsCluster => &[("rds:CreateDBClusterSnapshot", DataAccess::Snapshot)],
            DataStoreKind::RdsInstance => &[("rds:CreateDBSnapshot", DataAccess::Snapshot)],
            // A snapshot's danger is its restore attribute, which the graph reads itself.
            DataStoreKind::DbSnapshot => &[],
            DataStoreKind::Bucket => &[
                ("s3:GetObject", DataAccess::Read),
                ("s3:PutObject", DataAccess::Write),
            ],
        };
        for (action, access) in asks {
            let resource = match store.kind {
                DataStoreKind::Bucket => format!("{}/*", store.id),
                _ => store.id.clone(),
            };
            for who in analysis.who_can(action, &resource) {
                // Escalation routes are drawn by their own edges; keep direct grants here.
                let allowed = matches!(
                    who.outcome,
                    Outcome::Allowed | Outcome::ConditionallyAllowed
                );
                if who.how != "direct" || !allowed {
                    continue;
                }
                facts.identity.data_access.push(DataAccessFact {
                    principal: who.arn.clone(),
                    resource: store.id.clone(),
                    access: *access,
                    justification: format!("allowed {action} on {resource}"),
                });
            }
        }
    }
}

//! The posture half of the demo in the store, through the real engines: the agentless scan of
//! the compromised host (`vigil-scan`), the identity analysis over the stored CloudTrail
//! (`vigil-iam`) and the attack paths (`vigil-graph`), joined the way `vigil demo` joins them
//! (crates/vigil/src/posture.rs), and stored the way it stores them.

use std::ops::ControlFlow;
use std::path::Path;
use vigil_graph::inventory::DataStoreKind;
use vigil_graph::{
    AccessKeyFact, AdminFact, AssumeFact, DataAccess, DataAccessFact, Facts, HostFindings,
    InputFile, SecretFact, VulnFact,
};
use vigil_iam::{Account, Analysis, ApiCall, ExposedKey, Options, Outcome};
use vigil_scan::ScanReport;
use vigil_store::Store;

pub struct Inputs<'a> {
    pub inventory: &'a Path,
    pub rootfs: &'a Path,
    pub instance_id: &'a str,
    /// The IAM user behind the access keys the scan finds (the demo reads it from CloudTrail).
    pub key_owner: &'a str,
    pub credential_report: bool,
}

/// Scans, analyses and stores; returns the scan report.
pub fn seed(store: &mut Store, inp: &Inputs<'_>) -> ScanReport {
    let secrets = vigil_scan::secrets::SecretScanner::new(&[]).unwrap();
    let db = vigil_scan::vulndb::VulnDb::new(vigil_scan::vulndb::demo_advisories());
    let target = format!("host:{}", inp.instance_id);
    let scan = vigil_scan::scan(
        &vigil_scan::fs::DirFs::new(inp.rootfs),
        &target,
        &db,
        Some(&secrets),
        &vigil_scan::ScanOptions::default(),
        &mut |_| {},
    );
    store
        .put_state(vigil_server::SCAN_NAMESPACE, &target, &scan)
        .unwrap();

    let account = Account::from_authorization_details(
        &std::fs::read(inp.inventory.join("iam-authorization-details.json")).unwrap(),
    )
    .unwrap();
    let credentials = inp.credential_report.then(|| {
        vigil_iam::credential_report::parse(
            &std::fs::read(inp.inventory.join("credential-report.csv")).unwrap(),
        )
        .unwrap()
    });
    let mut calls = Vec::new();
    store
        .for_each_event_in_time_order(None, &mut |s| {
            if let Some(c) = s.event.cloud()
                && let Some(call) = ApiCall::from_cloud_event(&s.event.id, s.event.time, c)
            {
                calls.push(call);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    let keys: Vec<&String> = scan
        .secrets
        .iter()
        .filter_map(|s| s.aws_access_key_id.as_ref())
        .collect();
    let options = Options {
        now: None,
        window_days: 90,
        exposed_keys: scan
            .secrets
            .iter()
            .filter_map(|s| {
                Some(ExposedKey {
                    key_id: s.aws_access_key_id.clone()?,
                    location: format!("{}:{}:{}", inp.instance_id, s.path, s.line),
                    principal_arn: Some(inp.key_owner.to_string()),
                })
            })
            .collect(),
    };
    let analysis = Analysis::run(&account, credentials.as_ref(), &calls, &options);

    let mut files = Vec::new();
    read_tree(inp.inventory, &mut files);
    let (inv, _) = vigil_graph::load(&files);
    let mut facts = Facts {
        hosts: vec![host_findings(inp.instance_id, &scan)],
        ..Facts::default()
    };
    for k in keys {
        facts.identity.access_keys.push(AccessKeyFact {
            key_id: k.clone(),
            user_arn: inp.key_owner.to_string(),
            active: true,
        });
    }
    for i in &analysis.report.identities {
        if i.risks
            .iter()
            .any(|r| r.category == vigil_iam::risk::Category::FullAdmin)
        {
            facts.identity.admins.push(AdminFact {
                principal: i.arn.clone(),
                justification: "holds full administrative access".into(),
            });
        }
        for l in i.linked.can_become.iter().filter(|l| l.method == "sts-001") {
            facts.identity.can_assume.push(AssumeFact {
                principal: i.arn.clone(),
                role: l.arn.clone(),
                justification: format!("{} may assume it", i.name),
                conditions: Vec::new(),
            });
        }
    }
    for ds in &inv.data_stores {
        let action = match ds.kind {
            DataStoreKind::RdsCluster => "rds:CreateDBClusterSnapshot",
            DataStoreKind::RdsInstance => "rds:CreateDBSnapshot",
            _ => continue,
        };
        for w in analysis.who_can(action, &ds.id) {
            if w.how == "direct" && matches!(w.outcome, Outcome::Allowed) {
                facts.identity.data_access.push(DataAccessFact {
                    principal: w.arn.clone(),
                    resource: ds.id.clone(),
                    access: DataAccess::Snapshot,
                    justification: format!("allowed {action}"),
                });
            }
        }
    }
    facts.alerts = store
        .list_alerts(&vigil_store::AlertFilter::default())
        .unwrap()
        .0;
    let paths = vigil_graph::analyze(&inv, &facts, &vigil_graph::AnalysisOptions::default());
    vigil_server::save_posture(store, vigil_server::IAM_KEY, "test seed", &analysis.report)
        .unwrap();
    vigil_server::save_posture(store, vigil_server::PATHS_KEY, "test seed", &paths).unwrap();
    scan
}

fn read_tree(dir: &Path, out: &mut Vec<InputFile>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_tree(&p, out);
        } else {
            out.push(InputFile {
                path: p.display().to_string(),
                bytes: std::fs::read(&p).unwrap(),
            });
        }
    }
}

fn host_findings(instance_id: &str, scan: &ScanReport) -> HostFindings {
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

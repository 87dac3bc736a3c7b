//! The posture half of the story, joined: the agentless scan of a host's filesystem, the
//! identity analysis of the account, and the attack paths that run through both.
//!
//! Each engine is pure and knows nothing of the others; this module is the glue that turns one
//! engine's output into the next one's input (scan secrets → exposed keys for the identity
//! view; identity links and data access → the graph's identity facts; the key's owner is read
//! from CloudTrail in the store, where every call made with a key names its user).
//!
//! The identity and path analyses are kept in the store (`vigil_server::POSTURE_NAMESPACE`),
//! as `vigil iam analyze`, `vigil paths` and `vigil risks` also do, so the console shows the
//! latest; the scan report is kept under `scan/<target>` as `vigil scan` does.

use crate::cmd::paths::read_inventory;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use vigil_graph::inventory::DataStoreKind;
use vigil_graph::{
    AccessKeyFact, AdminFact, AssumeFact, DataAccess, DataAccessFact, EscalationFact, Facts,
    HostFindings, LoadReport, SecretFact, VulnFact,
};
use vigil_iam::{Account, Analysis, ApiCall, ExposedKey, Options, Outcome};
use vigil_model::{Actor, EntityKind, EntityRef};
use vigil_scan::ScanReport;
use vigil_scan::fs::DirFs;
use vigil_scan::secrets::SecretScanner;
use vigil_scan::vulndb::VulnDb;
use vigil_store::{EventQuery, Store};

/// Where the state store keeps scan reports (shared with `vigil scan`).
const SCANS: &str = "scan";

/// One host's filesystem to scan, with the instance id it belongs to.
pub struct HostRoot<'a> {
    pub instance_id: &'a str,
    pub root: &'a Path,
}

/// Everything the posture views need, computed once.
pub struct Posture {
    pub scan: ScanReport,
    pub identities: vigil_iam::report::Report,
    pub paths: vigil_graph::Analysis,
    pub inventory: LoadReport,
    /// Alerts linked across the host and the cloud: (alert id, its type, the link).
    pub links: Vec<(String, String, vigil_model::RelatedAlert)>,
}

/// Scans `host`, analyses the identities in `inventory_dir` against the CloudTrail in `store`,
/// and computes the attack paths with the alerts now in the store as live evidence.
pub fn assess(
    store: &mut Store,
    inventory_dir: &Path,
    host: &HostRoot<'_>,
    advisories: Vec<vigil_scan::vulndb::Advisory>,
) -> Result<Posture> {
    let scan = scan_host(store, host, advisories)?;
    crate::relink::link_hosts_and_keys(store)?;

    let authz_path = inventory_dir.join("iam-authorization-details.json");
    let authz = std::fs::read(&authz_path)
        .with_context(|| format!("reading `{}`", authz_path.display()))?;
    let account = Account::from_authorization_details(&authz)
        .map_err(|e| anyhow::anyhow!("`{}`: {e}", authz_path.display()))?;
    let creds_path = inventory_dir.join("credential-report.csv");
    let credentials = match std::fs::read(&creds_path) {
        Ok(bytes) => Some(
            vigil_iam::credential_report::parse(&bytes)
                .map_err(|e| anyhow::anyhow!("`{}`: {e}", creds_path.display()))?,
        ),
        Err(_) => None,
    };
    let calls = cloudtrail_calls(store, 90)?;
    let key_owners = key_owners(store, &scan)?;
    let exposed_keys = scan
        .secrets
        .iter()
        .filter_map(|s| {
            let id = s.aws_access_key_id.as_ref()?;
            Some(ExposedKey {
                key_id: id.clone(),
                location: format!("{}:{}:{}", host.instance_id, s.path, s.line),
                principal_arn: key_owners.get(id).cloned(),
            })
        })
        .collect();
    let options = Options {
        now: None,
        window_days: 90,
        exposed_keys,
    };
    // The least-privilege policies are built from ordinary use: calls that open alerts hold as
    // evidence (the attacker's) are left out of used-vs-granted.
    let (alerts, _) = store.list_alerts(&vigil_store::AlertFilter::default())?;
    let links = alerts
        .iter()
        .flat_map(|a| {
            a.related
                .iter()
                .map(|r| (a.id.clone(), a.alert_type.clone(), r.clone()))
        })
        .collect();
    let excluded = vigil_iam::exclusion::CallExclusions::from_open_alerts(&alerts);
    let analysis =
        Analysis::run_excluding(&account, credentials.as_ref(), &calls, &options, &excluded);

    let mut inventory = LoadReport::default();
    let files = read_inventory(inventory_dir, &mut inventory)?;
    let (inv, loaded) = vigil_graph::load(&files);
    inventory.used = loaded.used;
    inventory.problems.extend(loaded.problems);
    inventory.missing = loaded.missing;

    let mut facts = Facts {
        hosts: vec![host_findings(host.instance_id, &scan)],
        ..Facts::default()
    };
    identity_facts(&analysis, &inv, &key_owners, &mut facts);
    facts.alerts = alerts;
    let paths = vigil_graph::analyze(&inv, &facts, &vigil_graph::AnalysisOptions::default());
    save_iam(store, &analysis.report, "vigil demo")?;
    save_paths(store, &paths, "vigil demo")?;

    Ok(Posture {
        scan,
        identities: analysis.report,
        paths,
        inventory,
        links,
    })
}

/// Keeps the identity analysis in the store, where `vigil serve` shows it (the latest wins).
pub fn save_iam(store: &mut Store, report: &vigil_iam::report::Report, source: &str) -> Result<()> {
    vigil_server::save_posture(store, vigil_server::IAM_KEY, source, report)
        .context("storing the identity analysis")
}

/// Keeps the attack-path analysis (paths, fix first, top risks) in the store for `vigil serve`.
pub fn save_paths(store: &mut Store, analysis: &vigil_graph::Analysis, source: &str) -> Result<()> {
    vigil_server::save_posture(store, vigil_server::PATHS_KEY, source, analysis)
        .context("storing the attack-path analysis")
}

/// Opens the store of `data_dir` and runs `save` on it.
pub fn save_in(data_dir: &Path, save: impl FnOnce(&mut Store) -> Result<()>) -> Result<()> {
    let mut store = crate::open_store(data_dir)?;
    save(&mut store)
}

/// Scans one host root with the given advisories and Vigil's secret rules; stores the report.
fn scan_host(
    store: &mut Store,
    host: &HostRoot<'_>,
    advisories: Vec<vigil_scan::vulndb::Advisory>,
) -> Result<ScanReport> {
    let secrets = SecretScanner::new(&[]).map_err(|e| anyhow::anyhow!("secret rules: {e}"))?;
    let db = VulnDb::new(advisories);
    let fs = DirFs::new(host.root);
    let target = format!("{}{}", crate::relink::HOST_SCAN_PREFIX, host.instance_id);
    let report = vigil_scan::scan(
        &fs,
        &target,
        &db,
        Some(&secrets),
        &vigil_scan::ScanOptions::default(),
        &mut |_| {},
    );
    store.put_state(SCANS, &target, &report)?;
    Ok(report)
}

/// The last `days` of CloudTrail in the store as IAM calls (role sessions count for the role).
fn cloudtrail_calls(store: &Store, days: i64) -> Result<Vec<ApiCall>> {
    let Some((_, last)) = store.stats()?.event_time_range else {
        return Ok(Vec::new());
    };
    let since = last.plus_millis(-days.saturating_mul(86_400_000));
    let mut calls = Vec::new();
    store.for_each_event_in_time_order(Some(since), &mut |stored| {
        let e = &stored.event;
        if let Some(c) = e.cloud()
            && let Some(call) = ApiCall::from_cloud_event(&e.id, e.time, c)
        {
            calls.push(call);
        }
        ControlFlow::Continue(())
    })?;
    Ok(calls)
}

/// Who owns each AWS key the scan found: CloudTrail names the IAM user behind every call made
/// with a long-lived key. Keys never seen in CloudTrail stay unattributed.
fn key_owners(store: &Store, scan: &ScanReport) -> Result<BTreeMap<String, String>> {
    let mut owners = BTreeMap::new();
    for id in scan
        .secrets
        .iter()
        .filter_map(|s| s.aws_access_key_id.as_ref())
    {
        if owners.contains_key(id) {
            continue;
        }
        let events = store.query_events(&EventQuery {
            entity: Some(EntityRef::new(EntityKind::AccessKey, id)),
            limit: Some(50),
            ..EventQuery::default()
        })?;
        let owner = events.iter().find_map(|s| match &s.event.cloud()?.actor {
            Actor::IamUser { arn, .. } | Actor::Root { arn, .. } => Some(arn.clone()),
            _ => None,
        });
        if let Some(arn) = owner {
            owners.insert(id.clone(), arn);
        }
    }
    Ok(owners)
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

/// What the identity engine tells the graph: keys and their users, who can become whom, who
/// is admin, and who can read, write or snapshot each data store.
fn identity_facts(
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
    for identity in &analysis.report.identities {
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
        for link in &identity.linked.can_become {
            let conditions = if link.conditional {
                vec!["conditions in the granting or trust policy".to_string()]
            } else {
                Vec::new()
            };
            // `sts-001` is pathfinding.cloud's id for sts:AssumeRole (trust + permission).
            if link.method == "sts-001" || link.method.to_ascii_lowercase().contains("assumerole") {
                idf.can_assume.push(AssumeFact {
                    principal: identity.arn.clone(),
                    role: link.arn.clone(),
                    justification: format!(
                        "{} may call sts:AssumeRole on it and its trust policy allows it",
                        identity.name
                    ),
                    conditions,
                });
            } else {
                idf.can_escalate.push(EscalationFact {
                    principal: identity.arn.clone(),
                    target: link.arn.clone(),
                    method: link.method.clone(),
                    justification: format!("{} ({})", link.method, identity.name),
                });
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

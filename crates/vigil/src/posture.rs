//! The posture half of the story, joined: the agentless scan of a host's filesystem, the
//! identity analysis of the account, and the attack paths that run through both.
//!
//! The join itself (scan → identity → graph) lives in `vigil-posture`, which the server's test
//! seed calls too; this module reads the inputs from disk, links alerts across the host and the
//! cloud, and keeps the results in the store (`vigil_server::POSTURE_NAMESPACE`), as
//! `vigil iam analyze`, `vigil paths` and `vigil risks` also do, so the console shows the
//! latest; the scan report is kept under `scan/<target>` as `vigil scan` does.

use crate::cmd::paths::read_inventory;
use anyhow::{Context, Result};
use std::path::Path;
use vigil_graph::LoadReport;
use vigil_iam::Account;
use vigil_scan::ScanReport;
use vigil_store::Store;

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
    let target = format!("{}{}", crate::relink::HOST_SCAN_PREFIX, host.instance_id);
    let scan =
        vigil_posture::scan_host(host.root, &target, advisories).map_err(anyhow::Error::msg)?;
    store.put_state(vigil_server::SCAN_NAMESPACE, &target, &scan)?;
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
    let mut inventory = LoadReport::default();
    let files = read_inventory(inventory_dir, &mut inventory)?;
    let key_owners = vigil_posture::key_owners(store, &scan)?;
    let joined = vigil_posture::join(
        store,
        &account,
        &vigil_posture::Inputs {
            credentials: credentials.as_ref(),
            inventory: &files,
            instance_id: host.instance_id,
            scan: &scan,
            key_owners: &key_owners,
        },
    )?;
    inventory.used = joined.inventory.used;
    inventory.problems.extend(joined.inventory.problems);
    inventory.missing = joined.inventory.missing;
    save_iam(store, &joined.identities.report, "vigil demo")?;
    save_paths(store, &joined.paths, "vigil demo")?;

    let (alerts, _) = store.list_alerts(&vigil_store::AlertFilter::default())?;
    let links = alerts
        .iter()
        .flat_map(|a| {
            a.related
                .iter()
                .map(|r| (a.id.clone(), a.alert_type.clone(), r.clone()))
        })
        .collect();
    Ok(Posture {
        scan,
        identities: joined.identities.report,
        paths: joined.paths,
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

//! The posture half of the story, joined: the agentless scan of a host, the identity analysis
//! of the account, and the attack paths that run through both.
//!
//! Each engine is pure and knows nothing of the others; this crate is the glue that turns one
//! engine's output into the next one's input (scan secrets → exposed keys for the identity
//! view; identity links and data access → the graph's identity facts), reading what it needs
//! from the store: the CloudTrail window (used vs granted; every call made with a key names its
//! owner) and the open alerts (live evidence for the paths; their calls are an attacker's, not
//! ordinary use). `vigil demo` and the server's test seed both call [`join`], so what the
//! console is tested on is what the CLI stores. Writing the results (`vigil_server::save_posture`)
//! stays with the caller, so this crate needs neither the server nor the CLI.

mod facts;
mod reads;

pub use facts::{host_findings, identity_facts};
pub use reads::{cloudtrail_calls, key_owners};

use std::collections::BTreeMap;
use std::path::Path;
use vigil_graph::{Facts, InputFile, LoadReport};
use vigil_iam::{Account, Analysis, CredentialReport, ExposedKey, Options};
use vigil_scan::ScanReport;
use vigil_store::Store;

/// Days of CloudTrail behind used vs granted.
pub const WINDOW_DAYS: i64 = 90;

/// What the join needs besides the store and the account.
pub struct Inputs<'a> {
    pub credentials: Option<&'a CredentialReport>,
    /// The inventory directory's files, for the graph.
    pub inventory: &'a [InputFile],
    /// The scanned host's instance id, and its scan.
    pub instance_id: &'a str,
    pub scan: &'a ScanReport,
    /// The owner (user ARN) of each access key the scan found, when known: [`key_owners`]
    /// reads it from CloudTrail.
    pub key_owners: &'a BTreeMap<String, String>,
}

/// The joined analyses.
pub struct Joined<'a> {
    /// The identity analysis; its `report` is what the console's identity pages show.
    pub identities: Analysis<'a>,
    /// Attack paths, fix first, top risks.
    pub paths: vigil_graph::Analysis,
    /// What the graph took from the inventory, and what it missed.
    pub inventory: LoadReport,
}

/// Analyses the identities of `account` (from `aws iam get-account-authorization-details`)
/// against the store's CloudTrail window (calls tied to open alerts left out of usage), then
/// computes the attack paths from the inventory, the host's findings, the identity facts and
/// the open alerts.
pub fn join<'a>(
    store: &Store,
    account: &'a Account,
    inp: &Inputs<'_>,
) -> vigil_store::Result<Joined<'a>> {
    let calls = cloudtrail_calls(store, WINDOW_DAYS)?;
    let exposed_keys = inp
        .scan
        .secrets
        .iter()
        .filter_map(|s| {
            let id = s.aws_access_key_id.as_ref()?;
            Some(ExposedKey {
                key_id: id.clone(),
                location: format!("{}:{}:{}", inp.instance_id, s.path, s.line),
                principal_arn: inp.key_owners.get(id).cloned(),
            })
        })
        .collect();
    let options = Options {
        now: None,
        window_days: WINDOW_DAYS,
        exposed_keys,
    };
    // The least-privilege policies are built from ordinary use: calls that open alerts hold as
    // evidence (the attacker's) are left out of used-vs-granted.
    let (alerts, _) = store.list_alerts(&vigil_store::AlertFilter::default())?;
    let excluded = vigil_iam::exclusion::CallExclusions::from_open_alerts(&alerts);
    let identities = Analysis::run_excluding(account, inp.credentials, &calls, &options, &excluded);

    let (inv, inventory) = vigil_graph::load(inp.inventory);
    let mut facts = Facts {
        hosts: vec![host_findings(inp.instance_id, inp.scan)],
        ..Facts::default()
    };
    identity_facts(&identities, &inv, inp.key_owners, &mut facts);
    facts.alerts = alerts;
    let paths = vigil_graph::analyze(&inv, &facts, &vigil_graph::AnalysisOptions::default());
    Ok(Joined {
        identities,
        paths,
        inventory,
    })
}

/// Scans one host's root filesystem for packages, vulnerabilities (against `advisories`) and
/// Vigil's secret rules, as `target` (`host:<instance id>`).
pub fn scan_host(
    root: &Path,
    target: &str,
    advisories: Vec<vigil_scan::vulndb::Advisory>,
) -> Result<ScanReport, String> {
    let secrets =
        vigil_scan::secrets::SecretScanner::new(&[]).map_err(|e| format!("secret rules: {e}"))?;
    let db = vigil_scan::vulndb::VulnDb::new(advisories);
    Ok(vigil_scan::scan(
        &vigil_scan::fs::DirFs::new(root),
        target,
        &db,
        Some(&secrets),
        &vigil_scan::ScanOptions::default(),
        &mut |_| {},
    ))
}

//! The posture half of the demo in the store, through the real join (`vigil_posture::join`,
//! the one `vigil demo` runs): the agentless scan of the compromised host, the identity
//! analysis over the stored CloudTrail with the open alerts' calls left out of usage, and the
//! attack paths; stored the way the CLI stores them.

use std::path::Path;
use vigil_graph::InputFile;
use vigil_iam::Account;
use vigil_scan::ScanReport;
use vigil_store::Store;

pub struct Inputs<'a> {
    pub inventory: &'a Path,
    pub rootfs: &'a Path,
    pub instance_id: &'a str,
    /// The IAM user behind the access keys the scan finds; `None` reads it from CloudTrail,
    /// as the demo does (a test that renames the user in the inventory must say).
    pub key_owner: Option<&'a str>,
    pub credential_report: bool,
}

/// Scans, analyses and stores; returns the scan report.
pub fn seed(store: &mut Store, inp: &Inputs<'_>) -> ScanReport {
    let target = format!("host:{}", inp.instance_id);
    let scan = vigil_posture::scan_host(inp.rootfs, &target, vigil_scan::vulndb::demo_advisories())
        .unwrap();
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
    let key_owners = match inp.key_owner {
        None => vigil_posture::key_owners(store, &scan).unwrap(),
        Some(owner) => scan
            .secrets
            .iter()
            .filter_map(|s| Some((s.aws_access_key_id.clone()?, owner.to_string())))
            .collect(),
    };
    let mut files = Vec::new();
    read_tree(inp.inventory, &mut files);
    let joined = vigil_posture::join(
        store,
        &account,
        &vigil_posture::Inputs {
            credentials: credentials.as_ref(),
            inventory: &files,
            instance_id: inp.instance_id,
            scan: &scan,
            key_owners: &key_owners,
        },
    )
    .unwrap();
    vigil_server::save_posture(
        store,
        vigil_server::IAM_KEY,
        "test seed",
        &joined.identities.report,
    )
    .unwrap();
    vigil_server::save_posture(store, vigil_server::PATHS_KEY, "test seed", &joined.paths).unwrap();
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

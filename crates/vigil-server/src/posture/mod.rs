//! The posture results the console shows, as kept in the store: the identity analysis
//! (`vigil-iam`), the attack-path analysis (`vigil-graph`) and agentless scan reports
//! (`vigil-scan`).
//!
//! Writers (`vigil demo`, `vigil iam analyze`, `vigil paths`, `vigil risks`) hand the engine's
//! report to [`save`], which wraps it in a versioned [`Stored`] envelope under [`NAMESPACE`].
//! Scan reports are stored bare under [`SCAN_NAMESPACE`], one per target, by `vigil scan` and
//! the demo. The server reads them back into its own view types ([`iam`], [`paths`],
//! [`scan`]): plain serde data with defaults, so the server does not link the engines and a
//! field added by an engine does not break the console.

pub mod iam;
pub mod paths;
pub mod scan;

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_model::Timestamp;
use vigil_store::Store;

/// The state namespace of the stored analyses.
pub const NAMESPACE: &str = "posture";
/// Key of the identity analysis (a `vigil_iam::report::Report`).
pub const IAM_KEY: &str = "iam";
/// Key of the attack-path analysis (a `vigil_graph::Analysis`).
pub const PATHS_KEY: &str = "paths";
/// The namespace `vigil scan` and the demo keep scan reports in, keyed by target.
pub const SCAN_NAMESPACE: &str = "scan";
/// Version of the envelope and of the report shapes it carries. A reader refuses other
/// versions with a message saying to re-run the analysis. Version 2: the identity report's
/// linked identities are groups naming lists in a report-level `link_sets` table.
pub const FORMAT_VERSION: u32 = 2;

/// Scan reports listed at most (each is read whole to count its findings).
pub const MAX_SCANS: usize = 1_000;

/// One stored analysis: the engine's report as JSON, with where and when it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored<T> {
    pub version: u32,
    /// The command that produced it (`vigil demo`, `vigil iam analyze`, …).
    pub source: String,
    /// Wall-clock time of the write (the analysis' own time is inside the report).
    pub stored_at: Timestamp,
    pub report: T,
}

/// Stores `report` (an engine's serialisable report) under `key` of [`NAMESPACE`], replacing
/// the previous one.
pub fn save<T: Serialize>(
    store: &mut Store,
    key: &str,
    source: &str,
    report: &T,
) -> vigil_store::Result<()> {
    let stored = Stored {
        version: FORMAT_VERSION,
        source: source.to_string(),
        stored_at: crate::api::now(),
        report,
    };
    store.put_state(NAMESPACE, key, &stored)
}

/// Reads the analysis under `key` as `T`; `None` when nothing is stored.
pub fn load<T: DeserializeOwned>(store: &Store, key: &str) -> Result<Option<Stored<T>>, ApiError> {
    let Some(raw) = store.get_state::<Value>(NAMESPACE, key)? else {
        return Ok(None);
    };
    let version = raw.get("version").and_then(Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(ApiError::Conflict(format!(
            "the stored `{key}` analysis has format version {}, this server reads version {FORMAT_VERSION}: re-run the analysis",
            version.map_or("none".to_string(), |v| v.to_string())
        )));
    }
    let raw: Stored<Value> = serde_json::from_value(raw).map_err(|e| {
        ApiError::Internal(format!("the stored `{key}` analysis does not parse: {e}"))
    })?;
    let report = serde_json::from_value(raw.report).map_err(|e| {
        ApiError::Internal(format!("the stored `{key}` analysis does not parse: {e}"))
    })?;
    Ok(Some(Stored {
        version: raw.version,
        source: raw.source,
        stored_at: raw.stored_at,
        report,
    }))
}

/// Every stored scan report, in target order. Reports that do not parse are returned as
/// problems, not errors, so one bad entry does not hide the others.
pub fn scans(store: &Store) -> Result<(Vec<scan::ScanReport>, Vec<String>), ApiError> {
    let mut reports = Vec::new();
    let mut bad = Vec::new();
    for key in store
        .state_keys(SCAN_NAMESPACE)?
        .into_iter()
        .take(MAX_SCANS)
    {
        match store.get_state::<scan::ScanReport>(SCAN_NAMESPACE, &key) {
            Ok(Some(r)) => reports.push(r.masked()),
            Ok(None) => {}
            Err(e) => bad.push(format!("{key}: {e}")),
        }
    }
    Ok((reports, bad))
}

/// One scan report by its target.
pub fn scan(store: &Store, target: &str) -> Result<Option<scan::ScanReport>, ApiError> {
    store
        .get_state::<scan::ScanReport>(SCAN_NAMESPACE, target)
        .map(|r| r.map(scan::ScanReport::masked))
        .map_err(|e| {
            ApiError::Internal(format!("the stored scan of `{target}` does not parse: {e}"))
        })
}

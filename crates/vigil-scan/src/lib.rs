//! Agentless scanning over a [`fs::Filesystem`] (directory, raw disk image, container image):
//! packages, vulnerabilities, secrets, SBOM. The engines (cataloguers, matcher, secret rules)
//! are pure functions over bytes; only the filesystem readers in [`fs`] (and
//! [`active::proc_paths`]) touch the machine.

pub mod active;
pub mod catalog;
pub mod fs;
pub mod output;
pub mod report;
pub mod scan;
pub mod secrets;
pub mod triage;
pub mod version;
pub mod vulndb;

pub use report::{
    OsInfo, Package, Problem, ProblemKind, ScanReport, ScanStats, SecretFinding, VulnFinding,
};
pub use scan::{ScanOptions, scan};

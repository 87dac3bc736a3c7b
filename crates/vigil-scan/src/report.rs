//! What a scan produces: packages with their locations, vulnerabilities matched to them,
//! secrets (fingerprint and redacted preview only), and every problem met on the way.
//! Plain serde data: the CLI stores it through `vigil-store` and renders it.

use serde::{Deserialize, Serialize};
use vigil_model::Severity;

/// One installed package, wherever it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// `deb`, `apk`, `rpm`, `pypi`, `npm`, `cargo`, `golang`.
    pub kind: String,
    /// The file that says the package is there (dpkg status, a lockfile, a binary).
    pub path: String,
    /// The source package (dpkg `Source:`), which distro advisories are keyed by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// A package URL (`pkg:deb/ubuntu/openssl@3.0.2?distro=ubuntu-22.04`).
    pub purl: String,
    /// True when a running process executes or maps one of its files.
    #[serde(default)]
    pub active: bool,
    /// A development-only dependency (lockfiles that say so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
}

/// A package matched by an advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnFinding {
    /// The advisory id (`CVE-…`, `GHSA-…`, `PYSEC-…`, `RUSTSEC-…`).
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub package: String,
    pub version: String,
    /// Package kind, as in [`Package::kind`].
    pub kind: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default)]
    pub active: bool,
}

/// A hard-coded secret. Never holds the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFinding {
    /// The rule that matched (`aws-access-token`, `vigil-aws-key-pair`, …).
    pub rule: String,
    /// What kind of secret (`aws_access_key`, `private_key`, `github_token`, …).
    pub kind: String,
    pub path: String,
    pub line: u32,
    pub severity: Severity,
    /// `xxh3:` and the xxh3-64 of the secret's bytes: equal secrets, equal fingerprints.
    pub fingerprint: String,
    /// The first four characters and a mask (`AKIA****************`).
    pub preview: String,
    /// For AWS keys: the access key id, which is an identifier, not a secret, so the key can
    /// be tied to its IAM user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_access_key_id: Option<String>,
}

/// Why something was skipped. Stable snake_case codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A path escaping the root (`..`, absolute tar entry names).
    UnsafePath,
    SymlinkLoop,
    /// Devices, FIFOs, sockets: never read.
    SpecialFile,
    TooLarge,
    /// Decompressed size over the limit.
    DecompressionBomb,
    CorruptPartitionTable,
    CorruptFilesystem,
    TruncatedArchive,
    Unreadable,
    /// A package database or lockfile that did not parse.
    BadPackageData,
    /// A format we know of but cannot read (e.g. the rpm sqlite database).
    Unsupported,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::UnsafePath => "unsafe_path",
            ProblemKind::SymlinkLoop => "symlink_loop",
            ProblemKind::SpecialFile => "special_file",
            ProblemKind::TooLarge => "too_large",
            ProblemKind::DecompressionBomb => "decompression_bomb",
            ProblemKind::CorruptPartitionTable => "corrupt_partition_table",
            ProblemKind::CorruptFilesystem => "corrupt_filesystem",
            ProblemKind::TruncatedArchive => "truncated_archive",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::BadPackageData => "bad_package_data",
            ProblemKind::Unsupported => "unsupported",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub path: String,
    /// Short explanation; never file content.
    pub detail: String,
}

impl Problem {
    pub fn new(kind: ProblemKind, path: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut detail: String = detail.into();
        if detail.len() > 200 {
            let mut cut = 200;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
        }
        Problem {
            kind,
            path: path.into(),
            detail,
        }
    }
}

/// The operating system the target says it is (from os-release).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// `ubuntu`, `debian`, `alpine`, …
    pub id: String,
    /// `22.04`, `12`, `3.18.4`
    pub version_id: String,
    pub pretty_name: String,
}

/// Counters that make throughput figures and skip reports possible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanStats {
    pub files: u64,
    pub bytes: u64,
    pub secret_bytes: u64,
    pub skipped: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// What was scanned (`fs:/srv/rootfs`, `disk:vol.img`, `image:app.tar`).
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    pub vulnerabilities: Vec<VulnFinding>,
    pub secrets: Vec<SecretFinding>,
    pub problems: Vec<Problem>,
    pub stats: ScanStats,
}

impl ScanReport {
    /// The highest severity among vulnerabilities and secrets.
    pub fn max_severity(&self) -> Option<Severity> {
        self.vulnerabilities
            .iter()
            .map(|v| v.severity)
            .chain(self.secrets.iter().map(|s| s.severity))
            .max()
    }

    /// Findings (vulnerabilities and secrets) at or above `floor`.
    pub fn count_at_or_above(&self, floor: Severity) -> usize {
        self.vulnerabilities
            .iter()
            .filter(|v| v.severity >= floor)
            .count()
            + self.secrets.iter().filter(|s| s.severity >= floor).count()
    }
}

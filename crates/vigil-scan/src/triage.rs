//! Vulnerability findings regrouped as the upgrades that fix them, ranked for a responder.
//!
//! A scan reports one finding per (package, location, advisory): a host with glibc behind on
//! one notice shows it twice (`libc6`, `libc-bin`), a Python package twice (its lockfile line
//! and its `dist-info`). Someone deciding what to do first wants each upgrade once, with
//! everything it clears, ordered by:
//!
//! 1. the worst severity it clears;
//! 2. whether a running process uses the package (`active`);
//! 3. whether a fix exists at all (nothing to roll out otherwise);
//! 4. host OS packages before application dependencies: a flaw in the system's own packages
//!    (libc, sshd, the container runtime) exposes every workload on the host, and its fix is
//!    one `apt`/`dnf`/`apk` upgrade away, while an application dependency needs that app's
//!    rebuild;
//! 5. how many advisories the upgrade clears;
//! 6. package name and version, so the order is the same on every run.

use crate::report::VulnFinding;
use crate::version::{Scheme, compare};
use std::cmp::{Ordering, Reverse};
use std::collections::BTreeMap;
use vigil_model::Severity;

/// One upgrade: the packages (binaries of one source, at one version) and what it clears.
#[derive(Debug, Clone, PartialEq)]
pub struct Upgrade<'a> {
    /// Sorted; more than one when several binaries share the same advisories at the same
    /// version (`libc-bin`, `libc6`).
    pub packages: Vec<&'a str>,
    pub kind: &'a str,
    pub version: &'a str,
    /// One finding per advisory, worst first (severity, then id).
    pub findings: Vec<&'a VulnFinding>,
    /// Where the package was found, sorted.
    pub paths: Vec<&'a str>,
    pub severity: Severity,
    pub active: bool,
    /// The lowest version that clears every finding: the highest of their fixed versions.
    /// `None` when some finding has no fix or the versions cannot be compared.
    pub fix_all: Option<String>,
}

impl Upgrade<'_> {
    /// True for the packages of the host's package manager.
    pub fn is_os_package(&self) -> bool {
        matches!(self.kind, "deb" | "rpm" | "apk")
    }

    fn fixable(&self) -> bool {
        self.findings.iter().any(|f| f.fixed_version.is_some())
    }
}

fn scheme_of_kind(kind: &str) -> Scheme {
    match kind {
        "deb" => Scheme::Dpkg,
        "rpm" => Scheme::Rpm,
        "apk" => Scheme::Apk,
        "pypi" => Scheme::Pep440,
        "npm" | "cargo" => Scheme::Semver,
        "golang" => Scheme::Go,
        _ => Scheme::Generic,
    }
}

fn fix_all(kind: &str, findings: &[&VulnFinding]) -> Option<String> {
    let scheme = scheme_of_kind(kind);
    let mut best: Option<&str> = None;
    for f in findings {
        let v = f.fixed_version.as_deref()?;
        best = Some(match best {
            None => v,
            Some(b) => match compare(scheme, v, b)? {
                Ordering::Greater => v,
                _ => b,
            },
        });
    }
    best.map(str::to_string)
}

/// The upgrades that fix `vulns`, in the order above.
pub fn upgrades(vulns: &[VulnFinding]) -> Vec<Upgrade<'_>> {
    // (kind, package, version) → findings by advisory id (one per advisory), paths.
    type Group<'a> = (
        BTreeMap<&'a str, &'a VulnFinding>,
        std::collections::BTreeSet<&'a str>,
    );
    let mut by_package: BTreeMap<(&str, &str, &str), Group<'_>> = BTreeMap::new();
    for v in vulns {
        let g = by_package
            .entry((v.kind.as_str(), v.package.as_str(), v.version.as_str()))
            .or_default();
        let kept = g.0.entry(v.id.as_str()).or_insert(v);
        // Keep the gravest reading of an advisory, and an active one when any is.
        if (v.severity, v.active) > (kept.severity, kept.active) {
            *kept = v;
        }
        g.1.insert(v.path.as_str());
    }
    // Binaries of one source share version and advisories: one upgrade.
    let mut merged: BTreeMap<(&str, &str, Vec<&str>), Upgrade<'_>> = BTreeMap::new();
    for ((kind, package, version), (findings, paths)) in by_package {
        let ids: Vec<&str> = findings.keys().copied().collect();
        let u = merged
            .entry((kind, version, ids))
            .or_insert_with(|| Upgrade {
                packages: Vec::new(),
                kind,
                version,
                findings: findings.values().copied().collect(),
                paths: Vec::new(),
                severity: Severity::Info,
                active: false,
                fix_all: None,
            });
        u.packages.push(package);
        u.paths.extend(paths);
        for f in findings.values() {
            u.active |= f.active;
        }
    }
    let mut out: Vec<Upgrade<'_>> = merged
        .into_values()
        .map(|mut u| {
            u.packages.sort_unstable();
            u.paths.sort_unstable();
            u.paths.dedup();
            u.findings
                .sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
            u.severity = u.findings.first().map_or(Severity::Info, |f| f.severity);
            u.fix_all = fix_all(u.kind, &u.findings);
            u
        })
        .collect();
    out.sort_by_key(|u| {
        (
            Reverse(u.severity),
            !u.active,
            !u.fixable(),
            !u.is_os_package(),
            Reverse(u.findings.len()),
            u.packages.first().map(|p| p.to_ascii_lowercase()),
            u.version,
            u.kind,
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, package: &str, kind: &str, sev: Severity, fixed: Option<&str>) -> VulnFinding {
        VulnFinding {
            id: id.into(),
            aliases: Vec::new(),
            package: package.into(),
            version: "1.0".into(),
            kind: kind.into(),
            path: format!("/{kind}"),
            fixed_version: fixed.map(String::from),
            severity: sev,
            title: String::new(),
            active: false,
        }
    }

    #[test]
    fn one_upgrade_per_source_and_location_ranked_for_a_responder() {
        use Severity::*;
        let mut dist_info = f("PYSEC-1", "urllib3", "pypi", High, Some("1.26.17"));
        dist_info.path = "/site-packages/urllib3.dist-info/METADATA".into();
        let mut active = f("PYSEC-9", "flask", "pypi", Medium, Some("2.2.5"));
        active.active = true;
        let vulns = vec![
            f("PYSEC-1", "urllib3", "pypi", High, Some("1.26.17")),
            dist_info,
            f("PYSEC-2", "urllib3", "pypi", Medium, Some("1.26.18")),
            f("USN-1", "libc6", "deb", High, Some("1.0ubuntu1")),
            f("USN-1", "libc-bin", "deb", High, Some("1.0ubuntu1")),
            f("USN-2", "runc", "deb", High, Some("1.1")),
            f("USN-3", "tar", "deb", High, None),
            f("GHSA-1", "minimist", "npm", Critical, Some("1.2.6")),
            f("USN-4", "zlib1g", "deb", Medium, Some("1.1")),
            active,
        ];
        let ranked = upgrades(&vulns);
        let order: Vec<String> = ranked.iter().map(|u| u.packages.join("+")).collect();
        assert_eq!(
            order,
            [
                "minimist",       // critical beats everything
                "libc-bin+libc6", // high, fixable, OS
                "runc",           // high, fixable, OS
                "urllib3",        // high, fixable, application
                "tar",            // high but no fix yet
                "flask",          // medium, but a running process uses it
                "zlib1g",         // medium
            ]
        );
        let urllib3 = &ranked[3];
        assert_eq!(urllib3.findings.len(), 2, "one finding per advisory");
        assert_eq!(urllib3.findings[0].id, "PYSEC-1");
        assert_eq!(urllib3.paths.len(), 2);
        assert_eq!(urllib3.fix_all.as_deref(), Some("1.26.18"));
        assert_eq!(ranked[4].fix_all, None);
        assert!(ranked[1].is_os_package() && !urllib3.is_os_package());
    }

    #[test]
    fn dpkg_fixes_compare_by_dpkg_rules() {
        let vulns = vec![
            f(
                "USN-1",
                "openssh-server",
                "deb",
                Severity::High,
                Some("1:8.9p1-3ubuntu0.10"),
            ),
            f(
                "USN-2",
                "openssh-server",
                "deb",
                Severity::Medium,
                Some("1:8.9p1-3ubuntu0.3"),
            ),
        ];
        let ranked = upgrades(&vulns);
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].fix_all.as_deref(), Some("1:8.9p1-3ubuntu0.10"));
        assert_eq!(ranked[0].severity, Severity::High);
    }
}

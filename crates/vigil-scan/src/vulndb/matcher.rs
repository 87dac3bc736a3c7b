//! Matching packages against the database: each package kind maps to an ecosystem family
//! (distro packages by the OS and by source package name), versions compared by that
//! ecosystem's rules.

use super::{VulnDb, family, fixed_version, is_affected};
use crate::report::{OsInfo, Package, VulnFinding};
use std::collections::BTreeSet;
use vigil_model::Severity;

/// OSV family and release prefix for a package kind on `os`.
fn family_of(kind: &str, os: Option<&OsInfo>) -> Option<(String, Option<String>)> {
    Some(match kind {
        "rpm" => {
            let os = os?;
            let major = os.version_id.split('.').next().unwrap_or("").to_string();
            (rpm_family(&os.id).to_string(), Some(major))
        }
        "deb" | "apk" => {
            let os = os?;
            let fam = os.id.as_str();
            let release = match fam {
                "alpine" => {
                    let mut it = os.version_id.split('.');
                    format!("v{}.{}", it.next().unwrap_or(""), it.next().unwrap_or(""))
                }
                "debian" => os.version_id.split('.').next().unwrap_or("").to_string(),
                _ => os.version_id.clone(),
            };
            (fam.to_string(), Some(release))
        }
        "pypi" => ("pypi".into(), None),
        "npm" => ("npm".into(), None),
        "cargo" => ("crates.io".into(), None),
        "golang" => ("go".into(), None),
        _ => return None,
    })
}

/// The OSV ecosystem family of an rpm-based os-release `ID`.
fn rpm_family(id: &str) -> &str {
    match id {
        "rhel" => "red hat",
        "rocky" => "rocky linux",
        "almalinux" => "almalinux",
        "ol" => "oracle",
        "amzn" => "amazon linux",
        "sles" | "sled" => "suse",
        _ if id.starts_with("opensuse") => "opensuse",
        other => other,
    }
}

/// `Ubuntu:22.04:LTS` is release `22.04`; an ecosystem without a release matches any. Red
/// Hat's name the product first (`Red Hat:enterprise_linux:9::appstream`,
/// `Red Hat:rhel_eus:9.2::baseos`): its release is the third field, matched on the major.
fn release_matches(ecosystem: &str, release: Option<&str>) -> bool {
    let Some(want) = release else { return true };
    if family(ecosystem) == "red hat" {
        return match ecosystem.split(':').nth(2) {
            None | Some("") => true,
            Some(r) => r.split('.').next() == Some(want),
        };
    }
    match ecosystem.split(':').nth(1) {
        None => true,
        Some(r) => {
            r.eq_ignore_ascii_case(want)
                || (r.starts_with('v') != want.starts_with('v')
                    && r.trim_start_matches('v') == want.trim_start_matches('v'))
        }
    }
}

/// Every vulnerability of every package, deduplicated per (package, path, advisory).
pub fn match_packages(db: &VulnDb, packages: &[Package], os: Option<&OsInfo>) -> Vec<VulnFinding> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for p in packages {
        let Some((fam, release)) = family_of(&p.kind, os) else {
            continue;
        };
        // Distro advisories are keyed by source package; language ones by the package.
        let mut names = vec![(p.name.as_str(), p.version.as_str())];
        if let Some(src) = &p.source {
            names.push((
                src.as_str(),
                p.source_version.as_deref().unwrap_or(&p.version),
            ));
        }
        for (name, version) in names {
            for (adv, aff) in db.lookup(&fam, name) {
                if family(&aff.ecosystem) != fam
                    || !release_matches(&aff.ecosystem, release.as_deref())
                {
                    continue;
                }
                if is_affected(aff, version) != Some(true) {
                    continue;
                }
                if !seen.insert((
                    p.name.clone(),
                    p.version.clone(),
                    p.path.clone(),
                    adv.id.clone(),
                )) {
                    continue;
                }
                out.push(VulnFinding {
                    id: adv.id.clone(),
                    // The release's own CVE list when the record has one: a notice's
                    // `upstream` also names CVEs it fixed only in other releases.
                    aliases: if aff.cves.is_empty() {
                        adv.aliases.clone()
                    } else {
                        aff.cves.clone()
                    },
                    package: p.name.clone(),
                    version: p.version.clone(),
                    kind: p.kind.clone(),
                    path: p.path.clone(),
                    fixed_version: fixed_version(aff, version),
                    severity: aff.severity.or(adv.severity).unwrap_or(Severity::Medium),
                    title: adv.summary.clone(),
                    active: p.active,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

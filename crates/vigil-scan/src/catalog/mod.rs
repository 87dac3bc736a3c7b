//! Cataloguers: which packages a filesystem holds, each with the file that says so. They are
//! pure parsers of bytes; [`catalog`] finds the files (from one walk) and feeds them in.

pub mod dpkg;
mod golang;
mod js;
mod misc;
mod os_release;
mod python;
pub mod rpm;
pub mod rpmdb_sqlite;
mod rust;

pub use golang::{go_binary_packages, looks_like_go_binary};
pub use os_release::{detect_os, parse_os_release};
pub use python::normalize_name as python_name;

use crate::fs::{FileKind, Filesystem, WalkEntry, read_resolved};
use crate::report::{OsInfo, Package, Problem, ProblemKind};

/// Largest package database or lockfile read.
pub const MAX_DB_BYTES: u64 = 256 << 20;

/// Builds a package with its purl.
pub fn package(kind: &str, name: &str, version: &str, path: &str, os: Option<&OsInfo>) -> Package {
    Package {
        name: name.to_string(),
        version: version.to_string(),
        kind: kind.to_string(),
        path: path.to_string(),
        source: None,
        source_version: None,
        purl: purl(kind, name, version, os),
        active: false,
        dev: false,
    }
}

fn purl_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A package URL (purl spec), e.g. `pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1?distro=ubuntu-22.04`.
pub fn purl(kind: &str, name: &str, version: &str, os: Option<&OsInfo>) -> String {
    let v = purl_escape(version);
    match kind {
        "deb" | "apk" | "rpm" => {
            let ns = os
                .map(|o| o.id.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(match kind {
                    "deb" => "debian",
                    "apk" => "alpine",
                    _ => "redhat",
                });
            let distro = os
                .map(|o| format!("?distro={}-{}", o.id, o.version_id))
                .unwrap_or_default();
            format!("pkg:{kind}/{ns}/{}@{v}{distro}", purl_escape(name))
        }
        "pypi" => format!(
            "pkg:pypi/{}@{v}",
            purl_escape(&python::normalize_name(name))
        ),
        "npm" => format!("pkg:npm/{}@{v}", purl_escape(name)),
        "cargo" => format!("pkg:cargo/{}@{v}", purl_escape(name)),
        "golang" => format!("pkg:golang/{}@{v}", purl_escape(name)),
        other => format!("pkg:generic/{other}/{}@{v}", purl_escape(name)),
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Reads `path` for a cataloguer, reporting a failure as a problem.
fn read_text(fs: &dyn Filesystem, path: &str, problems: &mut Vec<Problem>) -> Option<String> {
    match read_resolved(fs, path, MAX_DB_BYTES) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            problems.push(Problem::new(e.problem_kind(), path, e.to_string()));
            None
        }
    }
}

/// Every package the files of `entries` declare. `os` decides distro purls.
pub fn catalog(
    fs: &dyn Filesystem,
    entries: &[WalkEntry],
    os: Option<&OsInfo>,
    problems: &mut Vec<Problem>,
) -> Vec<Package> {
    let mut out = Vec::new();
    for e in entries {
        if e.kind != FileKind::File {
            continue;
        }
        let path = e.path.as_str();
        let name = file_name(path);
        let parent = path.rsplit_once('/').map_or("", |(d, _)| d);
        let parent_name = file_name(parent);
        let found: Option<Vec<Package>> =
            match name {
                "status" if path.ends_with("/var/lib/dpkg/status") => {
                    read_text(fs, path, problems).map(|t| dpkg::parse_status(&t, path, os))
                }
                _ if parent.ends_with("/var/lib/dpkg/status.d") && !name.ends_with(".md5sums") => {
                    read_text(fs, path, problems).map(|t| dpkg::parse_status(&t, path, os))
                }
                "installed" if path.ends_with("/lib/apk/db/installed") => {
                    read_text(fs, path, problems).map(|t| misc::parse_apk(&t, path, os))
                }
                "rpmdb.sqlite" if parent.ends_with("/rpm") => {
                    let headers = rpmdb_sqlite::read(fs, path, problems);
                    Some(rpm::packages(&headers, path, os))
                }
                "Packages.db" if parent.ends_with("/rpm") => {
                    problems.push(Problem::new(
                        ProblemKind::Unsupported,
                        path,
                        "rpm NDB database (SUSE): not read yet (no NDB reader)",
                    ));
                    None
                }
                "Packages" if parent.ends_with("/var/lib/rpm") => {
                    problems.push(Problem::new(
                        ProblemKind::Unsupported,
                        path,
                        "rpm Berkeley DB database (RHEL/CentOS 7, 8): not read yet",
                    ));
                    None
                }
                "METADATA" if parent_name.ends_with(".dist-info") => {
                    read_text(fs, path, problems).map(|t| python::parse_metadata(&t, path))
                }
                "PKG-INFO" if parent_name.ends_with(".egg-info") => {
                    read_text(fs, path, problems).map(|t| python::parse_metadata(&t, path))
                }
                _ if name.ends_with(".egg-info") && e.kind == FileKind::File => {
                    read_text(fs, path, problems).map(|t| python::parse_metadata(&t, path))
                }
                "requirements.txt" => {
                    read_text(fs, path, problems).map(|t| python::parse_requirements(&t, path))
                }
                "Pipfile.lock" => read_text(fs, path, problems)
                    .map(|t| python::parse_pipfile_lock(&t, path, problems)),
                "poetry.lock" | "uv.lock" | "pylock.toml" => read_text(fs, path, problems)
                    .map(|t| python::parse_toml_lock(&t, path, problems)),
                "package-lock.json" => read_text(fs, path, problems)
                    .map(|t| js::parse_package_lock(&t, path, problems)),
                "package.json" if parent.contains("/node_modules/") => {
                    read_text(fs, path, problems).map(|t| js::parse_package_json(&t, path))
                }
                "yarn.lock" => read_text(fs, path, problems).map(|t| js::parse_yarn_lock(&t, path)),
                "pnpm-lock.yaml" => {
                    read_text(fs, path, problems).map(|t| js::parse_pnpm_lock(&t, path, problems))
                }
                "bun.lock" => {
                    read_text(fs, path, problems).map(|t| js::parse_bun_lock(&t, path, problems))
                }
                "Cargo.lock" => read_text(fs, path, problems)
                    .map(|t| rust::parse_cargo_lock(&t, path, problems)),
                "go.mod" => read_text(fs, path, problems).map(|t| {
                    let mut pkgs = golang::parse_go_mod(&t, path);
                    if golang::go_minor(&t).is_some_and(|m| m < 17)
                        && let Ok(sum) =
                            read_resolved(fs, &format!("{parent}/go.sum"), MAX_DB_BYTES)
                    {
                        golang::add_go_sum(&mut pkgs, &String::from_utf8_lossy(&sum), path);
                    }
                    pkgs
                }),
                _ => None,
            };
        if let Some(pkgs) = found {
            out.extend(named(pkgs, path, problems));
        }
    }
    out
}

/// Drops entries without a name (`name = ""` in a lockfile): nothing can match or show them.
fn named(pkgs: Vec<Package>, path: &str, problems: &mut Vec<Problem>) -> Vec<Package> {
    let before = pkgs.len();
    let kept: Vec<Package> = pkgs
        .into_iter()
        .filter(|p| !p.name.trim().is_empty())
        .collect();
    if kept.len() < before {
        problems.push(Problem::new(
            ProblemKind::BadPackageData,
            path,
            format!(
                "{} package entries without a name; skipped",
                before - kept.len()
            ),
        ));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::{DirFs, walk};

    /// Found by the `scan_packages` fuzz target: `name = ""` in a poetry.lock became a package
    /// with an empty name (and a purl naming nothing).
    #[test]
    fn lockfile_entries_without_a_name_are_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("poetry.lock"),
            "[[package]]\nname = \"\"\nversion = \"2.19.0\"\n\n\
             [[package]]\nname = \" \"\nversion = \"1.0\"\n\n\
             [[package]]\nname = \"pytest\"\nversion = \"7.0.0\"\n",
        )
        .unwrap();
        let fs = DirFs::new(dir.path());
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        walk(&fs, &mut problems, |e| entries.push(e.clone()));
        let pkgs = catalog(&fs, &entries, None, &mut problems);
        let names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["pytest"]);
        assert!(
            problems
                .iter()
                .any(|p| p.kind == ProblemKind::BadPackageData && p.detail.contains("2 package")),
            "{problems:?}"
        );
    }
}

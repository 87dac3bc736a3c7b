//! Active packages: a package is active when a running process executes or maps one of its
//! files. Process paths come from the agent or from `/proc` ([`proc_paths`]); ownership from
//! dpkg's per-package file lists and rpm's package headers in the scanned filesystem.

use crate::catalog::dpkg::file_owners;
use crate::fs::{FileKind, Filesystem};
use crate::report::ScanReport;
use std::collections::{BTreeSet, HashSet};

/// Every executable and mapped file of every process under `proc_root` (normally `/proc`).
/// Processes that vanish or hide their maps are skipped.
pub fn proc_paths(proc_root: &std::path::Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return out;
    };
    for e in dir.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(exe) = std::fs::read_link(e.path().join("exe")) {
            out.insert(
                exe.to_string_lossy()
                    .trim_end_matches(" (deleted)")
                    .to_string(),
            );
        }
        let Ok(f) = std::fs::File::open(e.path().join("maps")) else {
            continue;
        };
        let Ok(Ok(bytes)) = crate::fs::read_capped(f, 16 << 20, 0) else {
            continue;
        };
        for line in String::from_utf8_lossy(&bytes).lines() {
            if let Some(i) = line.find(" /") {
                out.insert(
                    line.get(i + 1..)
                        .unwrap_or("")
                        .trim_end_matches(" (deleted)")
                        .to_string(),
                );
            }
        }
    }
    out
}

/// Merged-/usr systems list `/lib/x` in dpkg and map `/usr/lib/x` (or the reverse).
fn variants(p: &str) -> [String; 2] {
    match p.strip_prefix("/usr") {
        Some(rest) => [p.to_string(), rest.to_string()],
        None => [p.to_string(), format!("/usr{p}")],
    }
}

/// Marks packages (and their vulnerabilities) active. Returns how many packages were marked.
pub fn mark_active(fs: &dyn Filesystem, report: &mut ScanReport, used: &BTreeSet<String>) -> usize {
    let mut lists: Vec<(String, String)> = Vec::new();
    if let Ok(entries) = fs.read_dir("/var/lib/dpkg/info") {
        for e in entries {
            if e.kind == FileKind::File && e.name.ends_with(".list") {
                let path = format!("/var/lib/dpkg/info/{}", e.name);
                if let Ok(b) = fs.read(&path, 64 << 20) {
                    lists.push((e.name, String::from_utf8_lossy(&b).into_owned()));
                }
            }
        }
    }
    let mut owners = file_owners(lists.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    // rpm systems: the file list is in each package's header.
    let rpmdb = "/var/lib/rpm/rpmdb.sqlite";
    if fs.metadata(rpmdb).is_ok() {
        let headers = crate::catalog::rpmdb_sqlite::read(fs, rpmdb, &mut Vec::new());
        owners.extend(crate::catalog::rpm::file_owners(&headers));
    }
    let mut active: HashSet<String> = HashSet::new();
    for p in used {
        for v in variants(p) {
            if let Some(pkg) = owners.get(&v) {
                active.insert(pkg.clone());
            }
        }
    }
    let mut n = 0;
    let distro = |kind: &str| kind == "deb" || kind == "rpm";
    for p in report.packages.iter_mut().filter(|p| distro(&p.kind)) {
        if active.contains(&p.name) {
            p.active = true;
            n += 1;
        }
    }
    for v in report
        .vulnerabilities
        .iter_mut()
        .filter(|v| distro(&v.kind))
    {
        v.active = active.contains(&v.package);
    }
    n
}

//! Package catalogues: the first byte picks which file the rest of the input becomes (a dpkg
//! status, apk's installed db, Python metadata and lockfiles, npm/yarn/pnpm/bun lockfiles,
//! Cargo.lock, go.mod + go.sum, os-release), and `vigil_scan::catalog::catalog` reads it
//! through an in-memory filesystem, as a scan would. Two more picks feed an rpm header blob
//! and a would-be Go binary straight to their decoders. Checks:
//! - cataloguing is deterministic;
//! - every package has a name, a kind, a `pkg:` purl and the path of the file it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_fuzz::MemFs;
use vigil_scan::catalog::{self, detect_os, go_binary_packages, rpm};
use vigil_scan::fs::walk;
use vigil_scan::report::Package;

const FILES: &[&str] = &[
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/status.d/base",
    "/lib/apk/db/installed",
    "/usr/lib/python3/site-packages/pkg-1.0.dist-info/METADATA",
    "/usr/lib/python3/site-packages/pkg.egg-info/PKG-INFO",
    "/srv/app/requirements.txt",
    "/srv/app/Pipfile.lock",
    "/srv/app/poetry.lock",
    "/srv/app/uv.lock",
    "/srv/app/package-lock.json",
    "/srv/app/node_modules/left-pad/package.json",
    "/srv/app/yarn.lock",
    "/srv/app/pnpm-lock.yaml",
    "/srv/app/bun.lock",
    "/srv/app/Cargo.lock",
    "/srv/app/go.mod",
    "/etc/os-release",
];

const OS_RELEASE: &[u8] = b"ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04\"\n";

fn check(pkgs: &[Package], path: &str) {
    for p in pkgs {
        assert!(!p.name.is_empty(), "package without a name: {p:?}");
        assert!(!p.kind.is_empty(), "package without a kind: {p:?}");
        assert!(p.purl.starts_with("pkg:"), "bad purl: {p:?}");
        assert_eq!(p.path, path, "package from the wrong file: {p:?}");
    }
}

fn catalogue(fs: &MemFs) -> Vec<Package> {
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    walk(fs, &mut problems, |e| entries.push(e.clone()));
    let os = detect_os(fs);
    catalog::catalog(fs, &entries, os.as_ref(), &mut problems)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let pick = usize::from(pick) % (FILES.len() + 2);
    if pick == FILES.len() {
        if let Ok(h) = rpm::parse_header(body) {
            assert_eq!(
                Ok(&h),
                rpm::parse_header(body).as_ref(),
                "not deterministic"
            );
            check(
                &rpm::packages(&[h], "/var/lib/rpm/rpmdb.sqlite", None),
                "/var/lib/rpm/rpmdb.sqlite",
            );
        }
        return;
    }
    if pick > FILES.len() {
        let pkgs = go_binary_packages(body, "/usr/bin/app");
        assert_eq!(
            pkgs,
            go_binary_packages(body, "/usr/bin/app"),
            "not deterministic"
        );
        check(&pkgs, "/usr/bin/app");
        return;
    }
    let path = FILES[pick];
    let mut fs = MemFs::default();
    if path == "/srv/app/go.mod" {
        // go.mod, then go.sum after the first NUL (read for go < 1.17).
        let (go_mod, go_sum) = match body.iter().position(|&b| b == 0) {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &[][..]),
        };
        fs.file(path, go_mod);
        fs.file("/srv/app/go.sum", go_sum);
    } else {
        fs.file(path, body);
    }
    if path != "/etc/os-release" {
        fs.file("/etc/os-release", OS_RELEASE);
    }
    let pkgs = catalogue(&fs);
    assert_eq!(pkgs, catalogue(&fs), "not deterministic");
    check(&pkgs, path);
});

//! `vigil vulndb import` and `vigil scan fs|image|disk` end to end: the demo advisory set, a
//! small Ubuntu rootfs with a vulnerable package and a hard-coded AWS key, every output
//! format, `--fail-on`, the stored report, and the secret never printed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::vigil;
use serde_json::Value;
use std::path::Path;

const SECRET: &str = "u7Yh3Kq9Lm2Np5Rs8Tv1Wx4Za6Bc0De3Fg7Hj2Ik";
const KEY_ID: &str = "AKIAZ2X3C4V5B6N7M2QW";

fn rootfs(root: &Path) {
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "etc/os-release",
        "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.1 LTS\"\n",
    );
    w(
        "var/lib/dpkg/status",
        "Package: sudo\nStatus: install ok installed\nVersion: 1.9.9-1ubuntu2\n\nPackage: libc6\nStatus: install ok installed\nSource: glibc\nVersion: 2.35-0ubuntu3\n\n",
    );
    w(
        "opt/app/settings.py",
        &format!("AWS_ACCESS_KEY_ID = \"{KEY_ID}\"\nAWS_SECRET_ACCESS_KEY = \"{SECRET}\"\n"),
    );
    w(
        "opt/app/venv/lib/python3.10/site-packages/PyYAML-5.3.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3.1\n",
    );
}

#[test]
fn scan_fs_finds_vulnerable_packages_and_the_key_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let root = tmp.path().join("rootfs");
    rootfs(&root);
    let out = vigil(&data, &["vulndb", "import", "--demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = root.to_str().unwrap();

    let out = vigil(&data, &["scan", "fs", dir, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!text.contains(SECRET), "the secret must never be printed");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<&str> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    for want in ["USN-6409-1", "USN-5811-1", "PYSEC-2021-142"] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    let pair = doc["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"] == "vigil-aws-key-pair")
        .expect("key pair");
    assert_eq!(pair["aws_access_key_id"], KEY_ID);
    assert_eq!(pair["path"], "/opt/app/settings.py");
    assert!(pair["fingerprint"].as_str().unwrap().starts_with("xxh3:"));

    for format in ["table", "cyclonedx", "sarif"] {
        let out = vigil(
            &data,
            &["scan", "fs", dir, "--format", format, "--no-store"],
        );
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains(SECRET), "{format} leaked the secret");
        assert!(text.contains("USN-6409-1"), "{format}: {text}");
        if format != "table" {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert!(v.get("bomFormat").is_some() || v.get("runs").is_some());
        }
    }

    let out = vigil(
        &data,
        &["scan", "fs", dir, "--fail-on", "critical", "--no-store"],
    );
    assert_eq!(out.status.code(), Some(1), "a paired AWS key is critical");
    let out = vigil(&data, &["scan", "fs", "/nonexistent/rootfs"]);
    assert_eq!(out.status.code(), Some(2));

    // The stored report has no secret either.
    let db = std::fs::read(data.join("vigil.db")).unwrap();
    assert!(
        !db.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the store holds the secret"
    );
}

#[test]
fn scan_image_reports_unreadable_targets() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.tar");
    std::fs::write(&junk, b"not a tarball at all").unwrap();
    let out = vigil(
        &tmp.path().join("data"),
        &["scan", "image", junk.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vigil(
        &tmp.path().join("data"),
        &["scan", "disk", junk.to_str().unwrap(), "--format", "json"],
    );
    assert!(
        out.status.success(),
        "a disk image without ext4 is reported, not fatal"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "unsupported"),
        "{doc}"
    );
}

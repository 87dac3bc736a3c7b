//! Every target kind end to end, built in the test: a directory, a raw ext4 image made with
//! `mkfs.ext4 -d` (bare and inside an MBR partition), a `docker save` tarball and an OCI
//! layout, with hostile entries (`..`, absolute names, devices, symlink loops, a truncated
//! layer, a decompression bomb, a corrupt partition table and superblock).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use vigil_scan::fs::{DirFs, Filesystem, ImageLimits, open_disk, open_image, read_resolved};
use vigil_scan::secrets::SecretScanner;
use vigil_scan::vulndb::{VulnDb, import_path};
use vigil_scan::{ProblemKind, ScanOptions, ScanReport, scan};

const SECRET: &str = "Zq3LrT8vXw2Yb6Nc1Md5Kf9Hg4Js7Pa0Ue2Io8Rt";
const KEY_ID: &str = "AKIAQWERTYUIOPASDFGH";

fn db() -> VulnDb {
    let base =
        common::shared_data().join("vulndb/trivy-integration/integration/testdata/fixtures/db");
    VulnDb::new(import_path(&base).unwrap().0)
}

/// An Alpine 3.10 rootfs with vulnerable packages, a hard-coded key and a symlink loop.
fn write_rootfs(root: &Path) {
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("etc/alpine-release", "3.10.2\n");
    w(
        "usr/lib/os-release",
        "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.10.2\nPRETTY_NAME=\"Alpine Linux v3.10\"\n",
    );
    std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    w(
        "lib/apk/db/installed",
        "C:Q1a\nP:musl\nV:1.1.20-r4\no:musl\n\nC:Q1b\nP:libcrypto1.1\nV:1.1.1c-r0\no:openssl\n\nC:Q1c\nP:zlib\nV:1.2.11-r1\no:zlib\n",
    );
    w(
        "app/settings.py",
        &format!("AWS_ACCESS_KEY_ID = \"{KEY_ID}\"\nAWS_SECRET_ACCESS_KEY = \"{SECRET}\"\n"),
    );
    w("app/requirements.txt", "Werkzeug==0.11\n");
    std::os::unix::fs::symlink("loop-b", root.join("app/loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", root.join("app/loop-b")).unwrap();
}

fn run(fs: &dyn Filesystem, db: &VulnDb) -> ScanReport {
    let secrets = SecretScanner::new(&[]).unwrap();
    scan(
        fs,
        "test",
        db,
        Some(&secrets),
        &ScanOptions::default(),
        &mut |_| {},
    )
}

fn vuln_ids(r: &ScanReport) -> Vec<String> {
    let mut v: Vec<String> = r
        .vulnerabilities
        .iter()
        .map(|v| format!("{}:{}", v.package, v.id))
        .collect();
    v.sort();
    v
}

fn check_rootfs_findings(r: &ScanReport) {
    assert_eq!(
        r.os.as_ref().map(|o| o.id.as_str()),
        Some("alpine"),
        "{:?}",
        r.os
    );
    assert_eq!(
        vuln_ids(r),
        vec![
            "Werkzeug:CVE-2019-14806",
            "Werkzeug:CVE-2020-28724",
            "libcrypto1.1:CVE-2019-1549",
            "libcrypto1.1:CVE-2019-1551",
            "musl:CVE-2019-14697",
        ]
    );
    let pair = r
        .secrets
        .iter()
        .find(|s| s.rule == "vigil-aws-key-pair")
        .expect("the key pair is found");
    assert_eq!(pair.aws_access_key_id.as_deref(), Some(KEY_ID));
    assert_eq!(pair.path, "/app/settings.py");
    let json = serde_json::to_string(r).unwrap();
    assert!(
        !json.contains(SECRET),
        "the secret must never be in a report"
    );
}

#[test]
fn directory_scan() {
    let dir = tempfile::tempdir().unwrap();
    write_rootfs(dir.path());
    let fs = DirFs::new(dir.path());
    let r = run(&fs, &db());
    check_rootfs_findings(&r);
    let err = read_resolved(&fs, "/app/loop-a", 1 << 20).unwrap_err();
    assert!(matches!(err, vigil_scan::fs::FsError::Loop), "{err:?}");
}

fn mkfs(dir: &Path, image: &Path) {
    let out = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(dir)
        .arg(image)
        .arg("8M")
        .output()
        .expect("mkfs.ext4 (e2fsprogs) must be installed: apt-get install e2fsprogs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn raw_ext4_image_bare_and_partitioned() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    write_rootfs(&root);
    let bare = dir.path().join("bare.img");
    mkfs(&root, &bare);
    let db = db();
    let (parts, problems) = open_disk(&bare).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(parts.len(), 1);
    check_rootfs_findings(&run(&parts[0].fs, &db));

    // The same volume inside an MBR partition at 1 MiB, plus a second entry that runs past
    // the end of the disk (reported, not fatal).
    let fsbytes = std::fs::read(&bare).unwrap();
    let mut disk = vec![0u8; (1 << 20) + fsbytes.len()];
    let entry = |lba: u32, sectors: u32| {
        let mut e = [0u8; 16];
        e[4] = 0x83;
        e[8..12].copy_from_slice(&lba.to_le_bytes());
        e[12..16].copy_from_slice(&sectors.to_le_bytes());
        e
    };
    disk[446..462].copy_from_slice(&entry(2048, (fsbytes.len() / 512) as u32));
    disk[462..478].copy_from_slice(&entry(4_000_000, 100));
    disk[510] = 0x55;
    disk[511] = 0xAA;
    disk[1 << 20..].copy_from_slice(&fsbytes);
    let img = dir.path().join("disk.img");
    std::fs::write(&img, &disk).unwrap();
    let (parts, problems) = open_disk(&img).unwrap();
    assert_eq!(parts.len(), 1, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.kind == ProblemKind::CorruptPartitionTable),
        "{problems:?}"
    );
    check_rootfs_findings(&run(&parts[0].fs, &db));

    // A superblock with the magic but garbage around it.
    let mut bad = fsbytes.clone();
    for b in &mut bad[1024..1080] {
        *b = 0xff;
    }
    let badimg = dir.path().join("bad.img");
    std::fs::write(&badimg, &bad).unwrap();
    let (parts, problems) = open_disk(&badimg).unwrap();
    assert!(parts.is_empty());
    assert!(
        problems
            .iter()
            .any(|p| p.kind == ProblemKind::CorruptFilesystem),
        "{problems:?}"
    );
}

/// A tar layer from (name, data, entry type) rows; names are written raw so hostile ones
/// (`..`, absolute) can be made.
fn layer(rows: &[(&str, &[u8], tar::EntryType)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data, et) in rows {
        let mut h = tar::Header::new_gnu();
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_entry_type(*et);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn symlink_row(b: &mut tar::Builder<Vec<u8>>, name: &str, target: &str) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, name, target).unwrap();
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn base_layer() -> Vec<u8> {
    use tar::EntryType::{Directory, Regular};
    let settings =
        format!("AWS_ACCESS_KEY_ID = \"{KEY_ID}\"\nAWS_SECRET_ACCESS_KEY = \"{SECRET}\"\n");
    let mut l = layer(&[
        ("etc/", b"", Directory),
        ("etc/alpine-release", b"3.10.2\n", Regular),
        (
            "lib/apk/db/installed",
            b"P:musl\nV:1.1.20-r4\no:musl\n\nP:libcrypto1.1\nV:1.1.1c-r0\no:openssl\n",
            Regular,
        ),
        ("app/settings.py", settings.as_bytes(), Regular),
        ("app/requirements.txt", b"Werkzeug==0.11\n", Regular),
        ("opt/removed.txt", b"gone", Regular),
        ("cache/old.txt", b"old", Regular),
    ]);
    // Re-open to add a symlink the proper way (the archive end marker is rewritten).
    l.truncate(l.len() - 1024);
    let mut b = tar::Builder::new(l);
    symlink_row(&mut b, "usr/lib/os-release", "../../etc/alpine-os");
    b.into_inner().unwrap()
}

fn top_layer() -> Vec<u8> {
    use tar::EntryType::{Char, Regular};
    layer(&[
        ("opt/.wh.removed.txt", b"", Regular),
        ("cache/.wh..wh..opq", b"", Regular),
        ("cache/new.txt", b"new", Regular),
        ("../escape.txt", b"x", Regular),
        ("/abs.txt", b"x", Regular),
        ("app/console", b"", Char),
    ])
}

fn check_image(r: &ScanReport, fs: &dyn Filesystem) {
    check_rootfs_findings(r);
    assert!(
        fs.metadata("/opt/removed.txt").is_err(),
        "whiteout removes the lower file"
    );
    assert!(
        fs.metadata("/cache/old.txt").is_err(),
        "opaque dir hides lower entries"
    );
    assert_eq!(fs.read("/cache/new.txt", 100).unwrap(), b"new");
    let kinds: Vec<ProblemKind> = r.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ProblemKind::UnsafePath)
            .count(),
        2,
        "{:?}",
        r.problems
    );
    assert!(
        kinds.contains(&ProblemKind::SpecialFile),
        "{:?}",
        r.problems
    );
}

#[test]
fn docker_save_tarball() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    add("manifest.json", br#"[{"Config":"c.json","RepoTags":["lumen-web:1.4.2"],"Layers":["l1/layer.tar","l2/layer.tar"]}]"#);
    add("c.json", b"{}");
    add("l1/layer.tar", &base_layer());
    add("l2/layer.tar", &gz(&top_layer()));
    b.finish().unwrap();
    drop(b);
    let fs = open_image(&path, ImageLimits::default()).unwrap();
    assert_eq!(fs.name(), "lumen-web:1.4.2");
    let r = run(&fs, &db());
    check_image(&r, &fs);
}

fn sha(bytes: &[u8]) -> String {
    // Any unique hex name will do for the test's layout; the reader does not verify digests.
    format!(
        "{:064x}",
        u128::from(xxhash_rust::xxh3::xxh3_64(bytes)) << 32 | bytes.len() as u128
    )
}

fn oci_layout(dir: &Path, layers: &[Vec<u8>]) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut descs = Vec::new();
    for l in layers {
        let h = sha(l);
        std::fs::write(dir.join("blobs/sha256").join(&h), l).unwrap();
        descs.push(format!(r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{h}","size":{}}}"#, l.len()));
    }
    let manifest = format!(r#"{{"schemaVersion":2,"layers":[{}]}}"#, descs.join(","));
    let mh = sha(manifest.as_bytes());
    std::fs::write(dir.join("blobs/sha256").join(&mh), &manifest).unwrap();
    std::fs::write(dir.join("index.json"), format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{mh}","size":{}}}]}}"#, manifest.len())).unwrap();
}

#[test]
fn oci_layout_directory() {
    let dir = tempfile::tempdir().unwrap();
    oci_layout(dir.path(), &[gz(&base_layer()), gz(&top_layer())]);
    let fs = open_image(dir.path(), ImageLimits::default()).unwrap();
    let r = run(&fs, &db());
    check_image(&r, &fs);
}

#[test]
fn truncated_layers_and_bombs_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut truncated = base_layer();
    truncated.truncate(truncated.len() / 2 + 100);
    let bomb = gz(&vec![0u8; 8 << 20]);
    oci_layout(dir.path(), &[truncated, bomb, top_layer()]);
    let limits = ImageLimits {
        max_layer_bytes: 1 << 20,
        ..ImageLimits::default()
    };
    let fs = open_image(dir.path(), limits).unwrap();
    let problems = fs.open_problems();
    let kinds: Vec<ProblemKind> = problems.iter().map(|p| p.kind).collect();
    assert!(
        kinds.contains(&ProblemKind::TruncatedArchive),
        "{problems:?}"
    );
    assert!(
        kinds.contains(&ProblemKind::DecompressionBomb),
        "{problems:?}"
    );
    // The readable parts are still there.
    assert_eq!(fs.read("/cache/new.txt", 100).unwrap(), b"new");
    assert!(fs.read("/etc/alpine-release", 100).is_ok());
}

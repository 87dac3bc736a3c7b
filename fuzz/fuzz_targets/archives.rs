//! Container images and disk images, from hostile bytes. The first byte picks the reading:
//! 0. the rest is an image tarball (`docker save` or an OCI layout) for `open_image`;
//! 1. the rest is one layer (tar, or gzip'd tar) of a `docker save` built around it;
//! 2. the rest is two layers (a 2-byte length, then the lower layer, then the upper), so
//!    whiteouts, opaque directories and hard links across layers are reached;
//! 3. the rest is a raw disk image (GPT, MBR or a bare ext2/3/4 volume) for `open_disk`.
//!
//! Checks on every filesystem opened: walking it terminates, every path is `/`-rooted and
//! clean (no `..` ever escapes the root), every file reads back the size it was listed with
//! and never more than the read limit, and symlink resolution ends (loops are an error).
//! Layers inflate under a 2 MiB limit, so a decompression bomb (run with `-max_len`, see
//! README) must be reported as a problem, not fill memory (libFuzzer's `-rss_limit_mb`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_fuzz::{check_tree, scratch_path};
use vigil_scan::fs::{Filesystem, ImageLimits, open_disk, open_image};

const LIMITS: ImageLimits = ImageLimits {
    max_layer_bytes: 2 << 20,
    max_json_bytes: 64 << 10,
};
const READ_LIMIT: u64 = 1 << 20;

fn append(b: &mut tar::Builder<Vec<u8>>, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, name, bytes)
}

/// A `docker save` tarball holding `layers`, bottom first.
fn docker_save(layers: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let manifest = format!(
        r#"[{{"Config":"config.json","RepoTags":["fuzz:latest"],"Layers":[{}]}}]"#,
        list.join(",")
    );
    append(&mut b, "manifest.json", manifest.as_bytes())?;
    for (name, layer) in names.iter().zip(layers) {
        append(&mut b, name, layer)?;
    }
    b.into_inner()
}

fn image(tarball: &[u8]) {
    let path = scratch_path("image.tar");
    if std::fs::write(&path, tarball).is_err() {
        return;
    }
    if let Ok(fs) = open_image(&path, LIMITS) {
        check_tree(&fs, READ_LIMIT);
        let _ = fs.open_problems();
    }
}

fn disk(bytes: &[u8]) {
    let path = scratch_path("disk.img");
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    if let Ok((parts, _problems)) = open_disk(&path) {
        for p in &parts {
            check_tree(&p.fs, READ_LIMIT);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    match pick % 4 {
        0 => image(body),
        1 => {
            if let Ok(t) = docker_save(&[body]) {
                image(&t);
            }
        }
        2 => {
            let Some((len, rest)) = body.split_first_chunk::<2>() else {
                return;
            };
            let at = usize::from(u16::from_le_bytes(*len)).min(rest.len());
            let (lower, upper) = rest.split_at(at);
            if let Ok(t) = docker_save(&[lower, upper]) {
                image(&t);
            }
        }
        _ => disk(body),
    }
});

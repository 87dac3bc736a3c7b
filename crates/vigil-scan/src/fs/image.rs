//! A container image, read without extracting anything to disk: a `docker save` tarball
//! (`manifest.json` + layer tars) or an OCI image layout (a directory or a tarball with
//! `index.json` + `blobs/`). Layers are decompressed in memory under a size limit (a
//! decompression bomb is reported and its layer skipped), then merged by [`super::layers`].

use super::layers::Merged;
use super::{DirEntry, FileKind, Filesystem, FsError, Metadata, read_capped};
use crate::report::{Problem, ProblemKind};
use serde::Deserialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Limits for reading an image.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Largest decompressed layer.
    pub max_layer_bytes: u64,
    /// Largest JSON document (manifest, index, config).
    pub max_json_bytes: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_layer_bytes: 4 << 30,
            max_json_bytes: 16 << 20,
        }
    }
}

/// Where the image's named files (manifest, blobs) come from.
enum Source {
    Dir(PathBuf),
    /// A tarball indexed by entry name → (offset, size).
    Tar {
        path: PathBuf,
        index: HashMap<String, (u64, u64)>,
    },
}

impl Source {
    fn get(&self, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        if name.split('/').any(|p| p == "..") || name.starts_with('/') {
            return Err(format!("unsafe name `{name}`"));
        }
        match self {
            Source::Dir(root) => {
                let p = root.join(name);
                let m = std::fs::symlink_metadata(&p).map_err(|e| format!("`{name}`: {e}"))?;
                if !m.is_file() {
                    return Err(format!("`{name}` is not a regular file"));
                }
                let f = File::open(&p).map_err(|e| format!("`{name}`: {e}"))?;
                match read_capped(f, limit, usize::try_from(m.len()).unwrap_or(0)) {
                    Ok(Ok(b)) => Ok(b),
                    Ok(Err(_)) => Err(format!("`{name}` is larger than {limit} bytes")),
                    Err(e) => Err(format!("`{name}`: {e}")),
                }
            }
            Source::Tar { path, index } => {
                let key = name.trim_start_matches("./");
                let &(offset, size) = index
                    .get(key)
                    .ok_or_else(|| format!("`{name}` is not in the tarball"))?;
                if size > limit {
                    return Err(format!("`{name}` is larger than {limit} bytes"));
                }
                let mut f = File::open(path).map_err(|e| e.to_string())?;
                f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
                match read_capped(f.take(size), limit, usize::try_from(size).unwrap_or(0)) {
                    Ok(Ok(b)) if b.len() as u64 == size => Ok(b),
                    Ok(Ok(_)) => Err(format!("`{name}` is truncated")),
                    Ok(Err(_)) => Err(format!("`{name}` is larger than {limit} bytes")),
                    Err(e) => Err(format!("`{name}`: {e}")),
                }
            }
        }
    }

    fn has(&self, name: &str) -> bool {
        match self {
            Source::Dir(root) => root.join(name).is_file(),
            Source::Tar { index, .. } => index.contains_key(name),
        }
    }
}

fn index_tar(
    path: &Path,
    problems: &mut Vec<Problem>,
) -> std::io::Result<HashMap<String, (u64, u64)>> {
    let file = File::open(path)?;
    let mut archive = tar::Archive::new(file);
    let mut index = HashMap::new();
    for entry in archive.entries_with_seek()? {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::new(
                    ProblemKind::TruncatedArchive,
                    path.display().to_string(),
                    format!("image tarball ends early: {e}"),
                ));
                break;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Ok(name) = entry.path().map(|p| p.to_string_lossy().into_owned()) else {
            continue;
        };
        let name = name.trim_start_matches("./").to_string();
        index.insert(name, (entry.raw_file_position(), entry.size()));
    }
    Ok(index)
}

#[derive(Deserialize)]
struct DockerManifest {
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct OciDescriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    platform: Option<OciPlatform>,
}

#[derive(Deserialize)]
struct OciPlatform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

#[derive(Deserialize)]
struct OciIndex {
    #[serde(default)]
    manifests: Vec<OciDescriptor>,
}

#[derive(Deserialize)]
struct OciManifest {
    #[serde(default)]
    layers: Vec<OciDescriptor>,
}

fn blob_name(digest: &str) -> Result<String, String> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| format!("bad digest `{digest}`"))?;
    if alg.is_empty()
        || hex.is_empty()
        || !hex.bytes().all(|b| b.is_ascii_alphanumeric())
        || !alg.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(format!("bad digest `{digest}`"));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

/// The layer names, bottom first, and a name for the image.
fn layer_names(src: &Source, limits: ImageLimits) -> Result<(Vec<String>, String), String> {
    if src.has("manifest.json") {
        let bytes = src.get("manifest.json", limits.max_json_bytes)?;
        let manifests: Vec<DockerManifest> =
            serde_json::from_slice(&bytes).map_err(|e| format!("manifest.json: {e}"))?;
        let first = manifests
            .into_iter()
            .next()
            .ok_or("manifest.json lists no image")?;
        let name = first
            .repo_tags
            .and_then(|t| t.into_iter().next())
            .unwrap_or_default();
        return Ok((first.layers, name));
    }
    if src.has("index.json") {
        let bytes = src.get("index.json", limits.max_json_bytes)?;
        let mut index: OciIndex =
            serde_json::from_slice(&bytes).map_err(|e| format!("index.json: {e}"))?;
        // Follow nested indexes (multi-platform images) to one manifest, preferring linux/amd64.
        for _ in 0..4 {
            let pick = index
                .manifests
                .iter()
                .find(|d| {
                    d.platform
                        .as_ref()
                        .is_some_and(|p| p.os == "linux" && p.architecture == "amd64")
                })
                .or_else(|| index.manifests.first())
                .ok_or("index.json lists no manifest")?;
            let bytes = src.get(&blob_name(&pick.digest)?, limits.max_json_bytes)?;
            if pick.media_type.contains("index") || pick.media_type.contains("manifest.list") {
                index = serde_json::from_slice(&bytes).map_err(|e| format!("nested index: {e}"))?;
                continue;
            }
            let manifest: OciManifest =
                serde_json::from_slice(&bytes).map_err(|e| format!("manifest: {e}"))?;
            let layers = manifest
                .layers
                .iter()
                .map(|l| blob_name(&l.digest))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok((layers, pick.digest.clone()));
        }
        return Err("index.json nests too deeply".into());
    }
    Err("neither manifest.json (docker save) nor index.json (OCI layout) found".into())
}

/// Decompresses a layer blob (gzip or plain tar) under the size limit.
fn layer_bytes(blob: Vec<u8>, limit: u64, label: &str) -> Result<Vec<u8>, Problem> {
    match blob.get(..4) {
        Some([0x1f, 0x8b, ..]) => {
            let dec = flate2::read::MultiGzDecoder::new(blob.as_slice());
            match read_capped(dec, limit, blob.len().saturating_mul(3)) {
                Ok(Ok(b)) => Ok(b),
                Ok(Err(_)) => Err(Problem::new(
                    ProblemKind::DecompressionBomb,
                    label,
                    format!("layer inflates past {limit} bytes; skipped"),
                )),
                Err(e) => Err(Problem::new(
                    ProblemKind::TruncatedArchive,
                    label,
                    format!("gzip: {e}"),
                )),
            }
        }
        Some([0x28, 0xb5, 0x2f, 0xfd]) => Err(Problem::new(
            ProblemKind::Unsupported,
            label,
            "zstd-compressed layer is not read yet",
        )),
        _ => Ok(blob),
    }
}

/// A container image's merged filesystem.
pub struct ImageFs {
    name: String,
    layers: Vec<Vec<u8>>,
    merged: Merged,
    problems: Vec<Problem>,
}

/// Opens a docker-save tarball or an OCI layout (directory or tarball).
pub fn open_image(path: &Path, limits: ImageLimits) -> Result<ImageFs, String> {
    let mut problems = Vec::new();
    let src = if path.is_dir() {
        Source::Dir(path.to_path_buf())
    } else {
        let index =
            index_tar(path, &mut problems).map_err(|e| format!("`{}`: {e}", path.display()))?;
        Source::Tar {
            path: path.to_path_buf(),
            index,
        }
    };
    let (names, image_name) = layer_names(&src, limits)?;
    let mut merged = Merged::default();
    let mut layers = Vec::with_capacity(names.len());
    for name in names {
        let blob = match src.get(&name, limits.max_layer_bytes) {
            Ok(b) => b,
            Err(e) => {
                problems.push(Problem::new(ProblemKind::Unreadable, name.clone(), e));
                layers.push(Vec::new());
                continue;
            }
        };
        match layer_bytes(blob, limits.max_layer_bytes, &name) {
            Ok(bytes) => {
                merged.apply(layers.len(), &bytes, &name, &mut problems);
                layers.push(bytes);
            }
            Err(p) => {
                problems.push(p);
                layers.push(Vec::new());
            }
        }
    }
    let name = if image_name.is_empty() {
        path.display().to_string()
    } else {
        image_name
    };
    Ok(ImageFs {
        name,
        layers,
        merged,
        problems,
    })
}

impl ImageFs {
    pub fn name(&self) -> &str {
        &self.name
    }

    fn node(&self, path: &str) -> Result<&super::layers::Node, FsError> {
        self.merged.nodes.get(path).ok_or(FsError::NotFound)
    }

    fn is_implicit_dir(&self, path: &str) -> bool {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        self.merged
            .nodes
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}

impl Filesystem for ImageFs {
    fn describe(&self) -> String {
        format!("image {} ({} layers)", self.name, self.layers.len())
    }

    fn metadata(&self, path: &str) -> Result<Metadata, FsError> {
        match self.node(path) {
            Ok(n) => Ok(Metadata {
                kind: n.kind,
                size: n.size,
            }),
            Err(_) if path == "/" || self.is_implicit_dir(path) => Ok(Metadata {
                kind: FileKind::Dir,
                size: 0,
            }),
            Err(e) => Err(e),
        }
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let mut out: std::collections::BTreeMap<String, DirEntry> =
            std::collections::BTreeMap::new();
        for (k, n) in self.merged.nodes.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                None => {
                    out.insert(
                        rest.to_string(),
                        DirEntry {
                            name: rest.to_string(),
                            kind: n.kind,
                            size: n.size,
                        },
                    );
                }
                Some((child, _)) => {
                    // A directory known only through its children.
                    out.entry(child.to_string()).or_insert_with(|| DirEntry {
                        name: child.to_string(),
                        kind: FileKind::Dir,
                        size: 0,
                    });
                }
            }
        }
        if out.is_empty()
            && path != "/"
            && self
                .merged
                .nodes
                .get(path)
                .is_none_or(|n| n.kind != FileKind::Dir)
        {
            return Err(FsError::NotFound);
        }
        let out: Vec<DirEntry> = out.into_values().collect();
        Ok(out)
    }

    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let n = self.node(path)?;
        if n.kind != FileKind::File {
            return Err(FsError::NotAFile);
        }
        if n.size > limit {
            return Err(FsError::TooLarge {
                size: n.size,
                limit,
            });
        }
        let layer = self.layers.get(n.layer).ok_or(FsError::NotFound)?;
        let start = usize::try_from(n.offset).map_err(|_| FsError::NotFound)?;
        let end = start.saturating_add(usize::try_from(n.size).map_err(|_| FsError::NotFound)?);
        layer
            .get(start..end)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| FsError::Io("truncated layer".into()))
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        self.node(path)?.link.clone().ok_or(FsError::NotFound)
    }

    fn open_problems(&self) -> Vec<Problem> {
        self.problems.clone()
    }
}

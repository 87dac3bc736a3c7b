//! Helpers shared by the fuzz targets: an in-memory [`Filesystem`], a scratch file for the
//! readers that only take a path, and the invariants every filesystem view must keep.

use std::collections::BTreeMap;
use std::path::PathBuf;
use vigil_scan::fs::{DirEntry, FileKind, Filesystem, FsError, Metadata, read_resolved, walk};

/// A tiny read-only tree of files and symlinks: enough to feed the cataloguers, which only
/// read through [`Filesystem`].
#[derive(Default)]
pub struct MemFs {
    files: BTreeMap<String, Vec<u8>>,
    links: BTreeMap<String, String>,
}

impl MemFs {
    pub fn file(&mut self, path: &str, bytes: &[u8]) {
        self.files.insert(path.to_string(), bytes.to_vec());
    }

    pub fn symlink(&mut self, path: &str, target: &str) {
        self.links.insert(path.to_string(), target.to_string());
    }

    fn is_dir(&self, path: &str) -> bool {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        path == "/"
            || self.files.keys().any(|k| k.starts_with(&prefix))
            || self.links.keys().any(|k| k.starts_with(&prefix))
    }
}

impl Filesystem for MemFs {
    fn describe(&self) -> String {
        "memfs".into()
    }

    fn metadata(&self, path: &str) -> Result<Metadata, FsError> {
        if let Some(b) = self.files.get(path) {
            return Ok(Metadata {
                kind: FileKind::File,
                size: b.len() as u64,
            });
        }
        if self.links.contains_key(path) {
            return Ok(Metadata {
                kind: FileKind::Symlink,
                size: 0,
            });
        }
        if self.is_dir(path) {
            return Ok(Metadata {
                kind: FileKind::Dir,
                size: 0,
            });
        }
        Err(FsError::NotFound)
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        if !self.is_dir(path) {
            return Err(FsError::NotFound);
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        let mut out: BTreeMap<String, DirEntry> = BTreeMap::new();
        let all = self
            .files
            .iter()
            .map(|(k, v)| (k, FileKind::File, v.len() as u64))
            .chain(self.links.keys().map(|k| (k, FileKind::Symlink, 0)));
        for (k, kind, size) in all {
            let Some(rest) = k.strip_prefix(&prefix) else {
                continue;
            };
            let entry = match rest.split_once('/') {
                None => DirEntry {
                    name: rest.to_string(),
                    kind,
                    size,
                },
                Some((child, _)) => DirEntry {
                    name: child.to_string(),
                    kind: FileKind::Dir,
                    size: 0,
                },
            };
            out.entry(entry.name.clone()).or_insert(entry);
        }
        Ok(out.into_values().collect())
    }

    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let b = self.files.get(path).ok_or(FsError::NotFound)?;
        if b.len() as u64 > limit {
            return Err(FsError::TooLarge {
                size: b.len() as u64,
                limit,
            });
        }
        Ok(b.clone())
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        self.links.get(path).cloned().ok_or(FsError::NotFound)
    }
}

/// A per-process scratch file (on tmpfs when there is one) for readers that take a path.
pub fn scratch_path(name: &str) -> PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("vigil-fuzz-{}-{name}", std::process::id()))
}

/// Walks `fs` and reads every entry, checking what any view of an untrusted tree must keep:
/// paths are `/`-rooted with no `.`/`..`/empty component (nothing escapes the root), reads
/// honour their limit, and symlink resolution ends (loops are an error, not a hang).
pub fn check_tree(fs: &dyn Filesystem, read_limit: u64) {
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    walk(fs, &mut problems, |e| entries.push(e.clone()));
    assert!(
        entries.len() <= 1 << 20,
        "walk produced {} entries",
        entries.len()
    );
    for e in &entries {
        assert!(e.path.starts_with('/'), "unrooted path {:?}", e.path);
        assert!(
            e.path
                .split('/')
                .skip(1)
                .all(|c| !c.is_empty() && c != "." && c != ".."),
            "unclean path {:?}",
            e.path
        );
        match e.kind {
            FileKind::File => {
                if let Ok(b) = fs.read(&e.path, read_limit) {
                    assert!(b.len() as u64 <= read_limit, "read past its limit");
                    assert_eq!(
                        b.len() as u64,
                        e.size,
                        "size differs from the listing: {}",
                        e.path
                    );
                }
            }
            FileKind::Symlink => {
                if let Ok(b) = read_resolved(fs, &e.path, read_limit) {
                    assert!(b.len() as u64 <= read_limit, "read past its limit");
                }
            }
            FileKind::Dir | FileKind::Special => {}
        }
    }
}

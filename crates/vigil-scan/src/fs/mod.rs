//! The `Filesystem` seam: every cataloguer and the secret scanner read through it, so a
//! directory, an ext4 volume inside a raw disk image and a container image's merged layers
//! are scanned by the same code. Paths are `/`-rooted strings inside the target; symlinks are
//! resolved inside the target's namespace, never against the host's.

mod dir;
mod disk;
mod ext4;
mod image;
mod layers;
mod read;
mod walk;

pub use dir::DirFs;
pub use disk::{DiskPartition, open_disk};
pub use ext4::Ext4Fs;
pub use image::{ImageFs, ImageLimits, open_image};
pub use read::read_capped;
pub use walk::{WalkEntry, walk, walk_pruned};

use crate::report::{Problem, ProblemKind};

/// What an entry is. Devices, FIFOs and sockets are `Special` and never read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Special,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub kind: FileKind,
    /// Bytes, for files; 0 otherwise.
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub kind: FileKind,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("not found")]
    NotFound,
    #[error("{size} bytes is over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("not a regular file")]
    NotAFile,
    #[error("symlink loop or too many links")]
    Loop,
    #[error("path leaves the filesystem root")]
    UnsafePath,
    #[error("{0}")]
    Io(String),
}

impl FsError {
    pub fn problem_kind(&self) -> ProblemKind {
        match self {
            FsError::TooLarge { .. } => ProblemKind::TooLarge,
            FsError::NotAFile => ProblemKind::SpecialFile,
            FsError::Loop => ProblemKind::SymlinkLoop,
            FsError::UnsafePath => ProblemKind::UnsafePath,
            FsError::NotFound | FsError::Io(_) => ProblemKind::Unreadable,
        }
    }
}

/// A read-only view of a root filesystem. Implementations do not follow symlinks in
/// [`Filesystem::metadata`], [`Filesystem::read_dir`] or [`Filesystem::read`] of the final
/// component; [`read_resolved`] follows them inside the target.
pub trait Filesystem {
    /// A short description (`dir /srv/rootfs`, `ext4 partition 1 of vol.img`).
    fn describe(&self) -> String;
    fn metadata(&self, path: &str) -> Result<Metadata, FsError>;
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError>;
    /// The whole file, refusing files larger than `limit` bytes.
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError>;
    fn read_link(&self, path: &str) -> Result<String, FsError>;
    /// Problems met while opening the target (bad tar entries, a truncated layer).
    fn open_problems(&self) -> Vec<Problem> {
        Vec::new()
    }
}

/// Joins `base` (a `/`-rooted directory) and a relative or absolute link target, normalising
/// `.` and `..` without ever climbing above `/`.
pub fn join_normalized(base: &str, target: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        parts.extend(base.split('/').filter(|p| !p.is_empty()));
    }
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = String::with_capacity(target.len() + base.len() + 1);
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Resolves every symlink in `path` inside the target (at most 40 hops).
pub fn resolve(fs: &dyn Filesystem, path: &str) -> Result<String, FsError> {
    let mut pending: Vec<String> = path
        .split('/')
        .filter(|p| !p.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut current = String::new();
    let mut hops = 0u32;
    while let Some(part) = pending.pop() {
        if part == "." {
            continue;
        }
        if part == ".." {
            if let Some(i) = current.rfind('/') {
                current.truncate(i);
            }
            continue;
        }
        let candidate = format!("{current}/{part}");
        let meta = fs.metadata(&candidate)?;
        if meta.kind == FileKind::Symlink {
            hops += 1;
            if hops > 40 {
                return Err(FsError::Loop);
            }
            let target = fs.read_link(&candidate)?;
            if target.starts_with('/') {
                current.clear();
            }
            for p in target.split('/').filter(|p| !p.is_empty()).rev() {
                pending.push(p.to_string());
            }
        } else {
            current = candidate;
        }
    }
    if current.is_empty() {
        current.push('/');
    }
    Ok(current)
}

/// Reads `path` after resolving symlinks inside the target.
pub fn read_resolved(fs: &dyn Filesystem, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
    let real = resolve(fs, path)?;
    fs.read(&real, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_never_climb_above_root() {
        assert_eq!(
            join_normalized("/etc", "../usr/lib/os-release"),
            "/usr/lib/os-release"
        );
        assert_eq!(join_normalized("/a", "../../../../x"), "/x");
        assert_eq!(join_normalized("/a/b", "/abs/./c"), "/abs/c");
        assert_eq!(join_normalized("/", ".."), "/");
    }
}

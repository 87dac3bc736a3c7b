//! A directory on this machine read as a root filesystem (an unpacked rootfs, a mounted
//! snapshot, or `/` itself). Symlinks are never followed by the host: they are resolved inside
//! the target by [`super::resolve`], so a link to `/etc/shadow` in a rootfs means the rootfs's
//! own file.

use super::{DirEntry, FileKind, Filesystem, FsError, Metadata, read_capped};
use std::path::PathBuf;

pub struct DirFs {
    root: PathBuf,
}

impl DirFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirFs { root: root.into() }
    }

    fn host_path(&self, path: &str) -> Result<PathBuf, FsError> {
        let mut out = self.root.clone();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(FsError::UnsafePath),
                p => out.push(p),
            }
        }
        Ok(out)
    }
}

fn kind_of(ft: std::fs::FileType) -> FileKind {
    if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_file() {
        FileKind::File
    } else {
        FileKind::Special
    }
}

fn io_err(e: std::io::Error) -> FsError {
    if e.kind() == std::io::ErrorKind::NotFound {
        FsError::NotFound
    } else {
        FsError::Io(e.to_string())
    }
}

impl Filesystem for DirFs {
    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }

    fn metadata(&self, path: &str) -> Result<Metadata, FsError> {
        let m = std::fs::symlink_metadata(self.host_path(path)?).map_err(io_err)?;
        Ok(Metadata {
            kind: kind_of(m.file_type()),
            size: if m.is_file() { m.len() } else { 0 },
        })
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let dir = self.host_path(path)?;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io_err)? {
            let Ok(entry) = entry else { continue };
            let Ok(ft) = entry.file_type() else { continue };
            let kind = kind_of(ft);
            let size = if kind == FileKind::File {
                entry.metadata().map(|m| m.len()).unwrap_or(0)
            } else {
                0
            };
            out.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                kind,
                size,
            });
        }
        Ok(out)
    }

    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let p = self.host_path(path)?;
        let m = std::fs::symlink_metadata(&p).map_err(io_err)?;
        if !m.is_file() {
            return Err(FsError::NotAFile);
        }
        if m.len() > limit {
            return Err(FsError::TooLarge {
                size: m.len(),
                limit,
            });
        }
        let file = std::fs::File::open(&p).map_err(io_err)?;
        let hint = usize::try_from(m.len()).unwrap_or(0);
        match read_capped(file, limit, hint).map_err(io_err)? {
            Ok(bytes) => Ok(bytes),
            Err(size) => Err(FsError::TooLarge { size, limit }),
        }
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        let t = std::fs::read_link(self.host_path(path)?).map_err(io_err)?;
        Ok(t.to_string_lossy().into_owned())
    }
}

//! An ext2/3/4 volume read by `ext4-view` (pure Rust, read-only): the way a cloud volume
//! snapshot is scanned without mounting it or being root.

use super::{DirEntry, FileKind, Filesystem, FsError, Metadata};
use ext4_view::{Ext4, Ext4Error, Ext4Read, FileType};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// A window of a disk image: one partition.
pub(super) struct Window {
    pub file: File,
    pub start: u64,
    pub len: u64,
}

impl Ext4Read for Window {
    fn read(
        &mut self,
        start_byte: u64,
        dst: &mut [u8],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync + 'static>> {
        let end = start_byte
            .checked_add(dst.len() as u64)
            .ok_or("read past the end of the partition")?;
        if end > self.len {
            return Err("read past the end of the partition".into());
        }
        self.file.seek(SeekFrom::Start(self.start + start_byte))?;
        self.file.read_exact(dst)?;
        Ok(())
    }
}

pub struct Ext4Fs {
    fs: Ext4,
    label: String,
}

impl Ext4Fs {
    pub(super) fn load(window: Window, label: String) -> Result<Self, String> {
        let fs = Ext4::load(Box::new(window)).map_err(|e| e.to_string())?;
        Ok(Ext4Fs { fs, label })
    }
}

fn err(e: Ext4Error) -> FsError {
    match e {
        Ext4Error::NotFound => FsError::NotFound,
        Ext4Error::IsADirectory | Ext4Error::IsASpecialFile => FsError::NotAFile,
        Ext4Error::MalformedPath | Ext4Error::NotAbsolute => FsError::UnsafePath,
        other => FsError::Io(other.to_string()),
    }
}

fn kind_of(ft: FileType) -> FileKind {
    if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_regular_file() {
        FileKind::File
    } else {
        FileKind::Special
    }
}

impl Filesystem for Ext4Fs {
    fn describe(&self) -> String {
        format!("ext4 {}", self.label)
    }

    fn metadata(&self, path: &str) -> Result<Metadata, FsError> {
        let m = self.fs.symlink_metadata(path).map_err(err)?;
        let kind = kind_of(m.file_type());
        Ok(Metadata {
            kind,
            size: if kind == FileKind::File { m.len() } else { 0 },
        })
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let mut out = Vec::new();
        for entry in self.fs.read_dir(path).map_err(err)? {
            let entry = entry.map_err(err)?;
            let Ok(name) = entry.file_name().as_str().map(str::to_string) else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let kind = entry.file_type().map(kind_of).unwrap_or(FileKind::Special);
            let size = if kind == FileKind::File {
                entry.metadata().map(|m| m.len()).unwrap_or(0)
            } else {
                0
            };
            out.push(DirEntry { name, kind, size });
        }
        Ok(out)
    }

    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FsError> {
        let m = self.fs.symlink_metadata(path).map_err(err)?;
        if !m.file_type().is_regular_file() {
            return Err(FsError::NotAFile);
        }
        if m.len() > limit {
            return Err(FsError::TooLarge {
                size: m.len(),
                limit,
            });
        }
        self.fs.read(path).map_err(err)
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        let t = self.fs.read_link(path).map_err(err)?;
        t.to_str()
            .map(str::to_string)
            .map_err(|_| FsError::Io("symlink target is not UTF-8".into()))
    }
}

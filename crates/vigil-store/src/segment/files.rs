//! Where segment bytes live: files in the data directory, or memory for an in-memory store.

use crate::error::{Result, StoreError};
use crate::segment::MAGIC;
use std::collections::HashMap;
use std::fs::File;
use std::io::{IoSlice, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// The largest document a read will allocate for; anything larger is a corrupt record table.
const MAX_DOC: u64 = 256 * 1024 * 1024;

pub(crate) enum SegmentFiles {
    Dir(PathBuf),
    Memory(HashMap<i64, Vec<u8>>),
}

impl SegmentFiles {
    fn path(dir: &std::path::Path, base: i64) -> PathBuf {
        dir.join(format!("seg-{base:012}.vseg"))
    }

    /// Writes a segment (the magic header, then `docs` back to back) durably: to a temporary
    /// name, synced, then renamed over any leftover of a failed earlier write. The documents
    /// go to the file straight from where they were encoded, a thousand per system call.
    pub fn write(&mut self, base: i64, docs: &[&[u8]]) -> Result<()> {
        match self {
            SegmentFiles::Memory(map) => {
                let len = docs.iter().map(|d| d.len()).sum::<usize>();
                let mut bytes = Vec::with_capacity(MAGIC.len() + len);
                bytes.extend_from_slice(MAGIC);
                for doc in docs {
                    bytes.extend_from_slice(doc);
                }
                map.insert(base, bytes);
                Ok(())
            }
            SegmentFiles::Dir(dir) => {
                let path = Self::path(dir, base);
                let tmp = path.with_extension("vseg.tmp");
                let io = |source| StoreError::Segment {
                    path: path.clone(),
                    source,
                };
                std::fs::create_dir_all(&*dir).map_err(io)?;
                let mut f = File::create(&tmp).map_err(io)?;
                f.write_all(MAGIC).map_err(io)?;
                write_all_vectored(&mut f, docs).map_err(io)?;
                f.sync_data().map_err(io)?;
                drop_cached(&f);
                drop(f);
                std::fs::rename(&tmp, &path).map_err(io)?;
                Ok(())
            }
        }
    }

    /// A reader that keeps the files it opened for the rest of one query.
    pub fn reader(&self) -> SegmentReader<'_> {
        SegmentReader {
            files: self,
            open: HashMap::new(),
        }
    }
}

pub(crate) struct SegmentReader<'a> {
    files: &'a SegmentFiles,
    open: HashMap<i64, File>,
}

impl SegmentReader<'_> {
    /// The `len` bytes of document at `offset` (counted after the header) of segment `base`.
    pub fn read(&mut self, base: i64, offset: u64, len: u32, buf: &mut Vec<u8>) -> Result<()> {
        buf.clear();
        let start = offset.saturating_add(MAGIC.len() as u64);
        let corrupt = |what: &str| StoreError::BadValue {
            what: "segment record",
            key: format!("seg-{base:012} offset {offset}"),
            value: what.to_string(),
        };
        if u64::from(len) > MAX_DOC {
            return Err(corrupt("document length over the limit"));
        }
        match self.files {
            SegmentFiles::Memory(map) => {
                let bytes = map.get(&base).ok_or_else(|| corrupt("segment missing"))?;
                let s = usize::try_from(start).map_err(|_| corrupt("offset"))?;
                let e = s.saturating_add(len as usize);
                buf.extend_from_slice(bytes.get(s..e).ok_or_else(|| corrupt("past the end"))?);
                Ok(())
            }
            SegmentFiles::Dir(dir) => {
                let path = SegmentFiles::path(dir, base);
                let io = |source| StoreError::Segment {
                    path: path.clone(),
                    source,
                };
                let file = match self.open.entry(base) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(File::open(&path).map_err(io)?)
                    }
                };
                file.seek(SeekFrom::Start(start)).map_err(io)?;
                buf.resize(len as usize, 0);
                file.read_exact(buf).map_err(io)?;
                Ok(())
            }
        }
    }
}

/// Asks the kernel to drop a just-synced segment's pages from the page cache.
///
/// Why: a segment is written once and read back rarely (an investigation reads a few
/// documents), while a long ingest writes gigabytes of them; kept cached they only push out
/// pages that are read again, such as SQLite's. The pages dropped are reused for the next
/// segment, and that is faster too: on the 2-core VM this project is measured on, writing a
/// file into memory the kernel had not used since boot cost ten times the system time of
/// writing it into pages just freed (512 MB with `dd`: 1.38 s against 0.12 s), and the segment
/// `writev` was the largest single cost of the ingest bench's store stage. Advice only: an
/// error changes nothing.
fn drop_cached(f: &File) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::fs::fadvise(f, 0, None, rustix::fs::Advice::DontNeed);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = f;
}

/// `Write::write_all` over many buffers with `writev` (std's `write_all_vectored` is unstable).
fn write_all_vectored(f: &mut File, docs: &[&[u8]]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = docs
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| IoSlice::new(d))
        .collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match f.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

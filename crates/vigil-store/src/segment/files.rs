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
    /// The directory, and the staging buffer of direct writes kept for the next segment.
    Dir(PathBuf, Vec<u8>),
    Memory(HashMap<i64, Vec<u8>>),
}

impl SegmentFiles {
    /// Segments in the directory `dir`.
    pub fn dir(dir: PathBuf) -> SegmentFiles {
        SegmentFiles::Dir(dir, Vec::new())
    }

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
            SegmentFiles::Dir(dir, staging) => {
                let path = Self::path(dir, base);
                let tmp = path.with_extension("vseg.tmp");
                let io = |source| StoreError::Segment {
                    path: path.clone(),
                    source,
                };
                std::fs::create_dir_all(&*dir).map_err(io)?;
                match direct::write(&tmp, docs, staging) {
                    Ok(Some(f)) => f.sync_data().map_err(io)?,
                    // No direct I/O here (tmpfs, some network filesystems), or it failed part
                    // way: the same bytes through the page cache, dropped from it once synced.
                    Ok(None) | Err(_) => {
                        let f = write_buffered(&tmp, docs).map_err(io)?;
                        f.sync_data().map_err(io)?;
                        drop_cached(&f);
                    }
                }
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
            windows: 0,
        }
    }
}

pub(crate) struct SegmentReader<'a> {
    files: &'a SegmentFiles,
    open: HashMap<i64, OpenSegment>,
    /// Read-ahead windows held now (at most [`MAX_WINDOWS`]).
    windows: usize,
}

/// An open segment file and, once it is read front to back, a window of the bytes ahead.
struct OpenSegment {
    file: File,
    /// Where the last read of this segment ended (file position), if any.
    last_end: Option<u64>,
    /// File position of `window`'s first byte.
    window_start: u64,
    window: Vec<u8>,
}

/// Bytes read ahead at once when a segment is being read in order: one system call for
/// hundreds of documents instead of one each. Reading 474 MB of segments not in the page
/// cache on the project's VM: 2 KB reads cost 1.0–1.15 s of CPU, 1 MiB reads 0.11–0.17 s.
const WINDOW: usize = 1 << 20;

/// Segments that may hold a read-ahead window at once (memory: this many × [`WINDOW`]).
const MAX_WINDOWS: usize = 64;

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
            SegmentFiles::Dir(dir, _) => {
                let path = SegmentFiles::path(dir, base);
                let io = |source| StoreError::Segment {
                    path: path.clone(),
                    source,
                };
                let seg = match self.open.entry(base) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => v.insert(OpenSegment {
                        file: File::open(&path).map_err(io)?,
                        last_end: None,
                        window_start: 0,
                        window: Vec::new(),
                    }),
                };
                let end = start.saturating_add(u64::from(len));
                // In order: this read starts where the last one ended, or a little past it.
                let in_order = seg
                    .last_end
                    .is_some_and(|last| start >= last && start - last < WINDOW as u64);
                seg.last_end = Some(end);
                if let Some(bytes) = seg.windowed(start, end) {
                    buf.extend_from_slice(bytes);
                    return Ok(());
                }
                if in_order && u64::from(len) < WINDOW as u64 {
                    if seg.window.capacity() == 0 {
                        if self.windows >= MAX_WINDOWS {
                            return seg.read_exact_at(start, len, buf).map_err(io);
                        }
                        self.windows += 1;
                    }
                    seg.fill_window(start).map_err(io)?;
                    let bytes = seg
                        .windowed(start, end)
                        .ok_or_else(|| corrupt("past the end"))?;
                    buf.extend_from_slice(bytes);
                    return Ok(());
                }
                seg.read_exact_at(start, len, buf).map_err(io)
            }
        }
    }
}

impl OpenSegment {
    /// The bytes `[start, end)` if the window holds them all.
    fn windowed(&self, start: u64, end: u64) -> Option<&[u8]> {
        let from = usize::try_from(start.checked_sub(self.window_start)?).ok()?;
        let to = usize::try_from(end.checked_sub(self.window_start)?).ok()?;
        self.window.get(from..to)
    }

    /// Reads up to [`WINDOW`] bytes from `start` into the window (fewer at the file's end).
    fn fill_window(&mut self, start: u64) -> std::io::Result<()> {
        self.window.clear();
        self.window.reserve_exact(WINDOW);
        self.window_start = start;
        self.file.seek(SeekFrom::Start(start))?;
        // Bounded: at most WINDOW bytes are read.
        #[allow(clippy::disallowed_methods)]
        (&mut self.file)
            .take(WINDOW as u64)
            .read_to_end(&mut self.window)?;
        Ok(())
    }

    /// Reads exactly `len` bytes at `start` into `buf` (emptied first).
    fn read_exact_at(&mut self, start: u64, len: u32, buf: &mut Vec<u8>) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(start))?;
        buf.resize(len as usize, 0);
        self.file.read_exact(buf)
    }
}

/// Asks the kernel to drop a just-synced segment's pages from the page cache (segments
/// written through it: where direct I/O was refused).
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

/// Writes the magic header and `docs` to a new file at `path` through the page cache.
fn write_buffered(path: &std::path::Path, docs: &[&[u8]]) -> std::io::Result<File> {
    let mut f = File::create(path)?;
    f.write_all(MAGIC)?;
    write_all_vectored(&mut f, docs)?;
    Ok(f)
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

/// Writing a segment past the page cache (`O_DIRECT`).
///
/// Why: a segment is written once and read rarely, and a buffered write makes the kernel copy
/// every document into page-cache pages it must first find (on this project's VM often fresh
/// ones), then write them back, then drop them (`drop_cached`). Direct I/O hands the device
/// aligned blocks from one staging buffer the store keeps, so the only copy is ours, into
/// memory already in the cache. `dd` of 160 MB on the project's VM: 0.07–0.50 s of system time
/// buffered, 0.03–0.06 s direct.
mod direct {
    use crate::segment::MAGIC;
    use std::fs::File;
    use std::io::Write;
    use std::path::Path;

    /// Block alignment of buffer address, length and file offset: a multiple of every common
    /// logical block size (512 and 4096 bytes).
    pub(super) const ALIGN: usize = 4096;

    /// The staging buffer: large enough that each write is one long device transfer.
    const STAGING: usize = 4 << 20;

    /// Writes the magic header and `docs` to a new file at `path` with direct I/O, through
    /// `buffer` (the store's, kept for its next segment). `Ok(None)` when the file system does
    /// not take direct I/O; an error when a write failed part way (the caller then writes the
    /// file again through the page cache).
    #[cfg(target_os = "linux")]
    pub(super) fn write(
        path: &Path,
        docs: &[&[u8]],
        buffer: &mut Vec<u8>,
    ) -> std::io::Result<Option<File>> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
        let fd = match rustix::fs::open(path, flags | OFlags::DIRECT, Mode::from(0o644)) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::INVAL) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut f = File::from(fd);
        if buffer.len() < STAGING + ALIGN {
            *buffer = vec![0; STAGING + ALIGN];
        }
        // The aligned part of the buffer (its start found without pointer arithmetic of our
        // own).
        let start = buffer.as_ptr().align_offset(ALIGN).min(ALIGN);
        let staging = buffer
            .get_mut(start..start + STAGING)
            .ok_or_else(misaligned)?;
        let len = write_staged(&mut f, staging, docs)?;
        f.set_len(len)?;
        Ok(Some(f))
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn write(_: &Path, _: &[&[u8]], _: &mut Vec<u8>) -> std::io::Result<Option<File>> {
        Ok(None)
    }

    fn misaligned() -> std::io::Error {
        std::io::Error::other("no aligned staging buffer")
    }

    /// Copies the magic and `docs` through `staging` (aligned, a multiple of [`ALIGN`] long)
    /// into `f` in whole blocks, the last one padded with zeros; returns the unpadded length.
    pub(super) fn write_staged(
        f: &mut File,
        staging: &mut [u8],
        docs: &[&[u8]],
    ) -> std::io::Result<u64> {
        let mut fill = 0usize;
        let mut written = 0u64;
        for doc in std::iter::once(&MAGIC[..]).chain(docs.iter().copied()) {
            let mut rest = doc;
            while !rest.is_empty() {
                let room = staging.len() - fill;
                let n = room.min(rest.len());
                let (now, later) = rest.split_at(n);
                staging
                    .get_mut(fill..fill + n)
                    .ok_or_else(misaligned)?
                    .copy_from_slice(now);
                fill += n;
                rest = later;
                if fill == staging.len() {
                    f.write_all(staging)?;
                    written += fill as u64;
                    fill = 0;
                }
            }
        }
        if fill > 0 {
            let padded = fill.next_multiple_of(ALIGN);
            let tail = staging.get_mut(..padded).ok_or_else(misaligned)?;
            tail.get_mut(fill..).ok_or_else(misaligned)?.fill(0);
            f.write_all(tail)?;
            written += fill as u64;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents of lengths around the block and staging sizes, and empty ones.
    fn docs() -> Vec<Vec<u8>> {
        let lens = [
            0, 1, 7, 4088, 4096, 4097, 8191, 0, 12_345, 65_536, 3, 100_000,
        ];
        lens.iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
            .collect()
    }

    fn expected(docs: &[&[u8]]) -> Vec<u8> {
        let mut all = MAGIC.to_vec();
        for d in docs {
            all.extend_from_slice(d);
        }
        all
    }

    #[test]
    fn direct_and_buffered_writes_make_the_same_file() {
        let owned = docs();
        let docs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("direct"), dir.path().join("buffered"));
        // Direct I/O where the file system takes it; where not, nothing was written.
        if let Some(f) = direct::write(&a, &docs, &mut Vec::new()).unwrap() {
            f.sync_data().unwrap();
            assert_eq!(std::fs::read(&a).unwrap(), expected(&docs));
        }
        drop(write_buffered(&b, &docs).unwrap());
        assert_eq!(std::fs::read(&b).unwrap(), expected(&docs));
    }

    #[test]
    fn staging_lays_documents_end_to_end_across_block_and_buffer_edges() {
        let owned = docs();
        let dir = tempfile::tempdir().unwrap();
        // Staging buffers of one and of three blocks: documents cross both edges.
        for blocks in [1, 3] {
            for take in 0..=owned.len() {
                let docs: Vec<&[u8]> = owned.iter().take(take).map(Vec::as_slice).collect();
                let path = dir.path().join(format!("s{blocks}-{take}"));
                let mut f = File::create(&path).unwrap();
                let mut staging = vec![0xAA; blocks * direct::ALIGN];
                let len = direct::write_staged(&mut f, &mut staging, &docs).unwrap();
                let want = expected(&docs);
                assert_eq!(len, want.len() as u64);
                let got = std::fs::read(&path).unwrap();
                // Whole blocks were written: the bytes, then zeros up to the block's end.
                assert_eq!(got.len(), want.len().next_multiple_of(direct::ALIGN));
                assert_eq!(&got[..want.len()], &want[..]);
                assert!(got[want.len()..].iter().all(|&b| b == 0));
            }
        }
    }

    /// Reads `order`'s documents of segment `base` and checks each.
    fn check_reads(reader: &mut SegmentReader<'_>, base: i64, docs: &[Vec<u8>], order: &[usize]) {
        let offsets: Vec<u64> = docs
            .iter()
            .scan(0u64, |at, d| {
                let o = *at;
                *at += d.len() as u64;
                Some(o)
            })
            .collect();
        let mut buf = vec![7u8; 3];
        for &i in order {
            reader
                .read(base, offsets[i], docs[i].len() as u32, &mut buf)
                .unwrap();
            assert_eq!(buf, docs[i], "document {i} of segment {base}");
        }
    }

    #[test]
    fn reads_in_order_out_of_order_and_interleaved_agree() {
        // Enough documents for several read-ahead windows, and one larger than a window.
        let mut owned: Vec<Vec<u8>> = (0..4000)
            .map(|i: usize| (0..(i * 7919) % 1500).map(|j| (i + j) as u8).collect())
            .collect();
        owned.insert(1234, vec![5u8; WINDOW + 10]);
        let docs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let dir = tempfile::tempdir().unwrap();
        let mut files = SegmentFiles::dir(dir.path().join("events"));
        files.write(1, &docs).unwrap();
        files.write(9000, &docs[..2000]).unwrap();
        let n = owned.len();
        let forward: Vec<usize> = (0..n).collect();
        let backward: Vec<usize> = (0..n).rev().collect();
        // Skipping ahead by varying strides, and jumping back now and then.
        let strided: Vec<usize> = (0..n).map(|i| (i * 37) % n).collect();
        let mut reader = files.reader();
        check_reads(&mut reader, 1, &owned, &forward);
        check_reads(&mut reader, 1, &owned, &backward);
        check_reads(&mut reader, 1, &owned, &strided);
        check_reads(&mut files.reader(), 1, &owned, &strided);
        // Two segments read in step, as a walk in time order interleaves them.
        let mut reader = files.reader();
        for i in 0..2000 {
            check_reads(&mut reader, 1, &owned, &[i]);
            check_reads(&mut reader, 9000, &owned[..2000], &[i]);
        }
    }

    #[test]
    fn segments_read_back_document_by_document() {
        let owned = docs();
        let docs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let dir = tempfile::tempdir().unwrap();
        let mut files = SegmentFiles::dir(dir.path().join("events"));
        files.write(41, &docs).unwrap();
        let path = SegmentFiles::path(&dir.path().join("events"), 41);
        assert_eq!(std::fs::read(path).unwrap(), expected(&docs));
        let mut reader = files.reader();
        let mut buf = Vec::new();
        let mut offset = 0u64;
        for doc in &docs {
            reader.read(41, offset, doc.len() as u32, &mut buf).unwrap();
            assert_eq!(&buf[..], *doc);
            offset += doc.len() as u64;
        }
    }
}

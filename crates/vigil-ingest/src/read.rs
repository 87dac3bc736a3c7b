//! File I/O at the edge: read a file (through a cap, inflating gzip by its magic bytes) and hand
//! the bytes to the pure parsers.

use crate::cloudtrail::{ParseOutcome, parse_cloudtrail, parse_lines_into, starts_json_lines};
use crate::host_format::parse_host_any;
use crate::limits::{FileContext, Limits};
use crate::parts::{Blocks, Handover, Piece, parse_on_two};
use crate::reason::{Location, Skip, SkipReason};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, Read};
use std::ops::{ControlFlow, Range};
use std::path::Path;
use vigil_model::Event;

/// What reading one file produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FileOutcome {
    pub events: Vec<Event>,
    pub skips: Vec<Skip>,
    /// Bytes read from disk (compressed size for gzip).
    pub bytes_read: u64,
    /// Records seen, good or bad.
    pub records: u64,
    /// Time spent parsing on two threads, summed ([`read_cloudtrail_file_each`] with two
    /// threads; zero otherwise).
    pub parsing: std::time::Duration,
}

pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How a capped read ended.
#[derive(Debug)]
pub enum ReadEnd {
    Complete,
    /// More than the cap was available.
    LimitExceeded,
    /// An error after the bytes returned so far.
    Error(io::Error),
}

/// Reads at most `cap` bytes (and notices if there are more). Bytes read before an error are
/// returned with it.
pub fn read_capped(r: impl Read, cap: u64) -> (Vec<u8>, ReadEnd) {
    read_capped_sized(r, cap, 0)
}

/// [`read_capped`] into a buffer first sized for `expected` bytes (a file's length), read into
/// directly. Growing by doubling from nothing copied a 150 MB file five times over and had the
/// kernel zero every new mapping: more time than parsing it. The buffer is not zeroed first
/// either (`read_to_end` reads a file into spare capacity): that memset was 5 % of ingest.
pub fn read_capped_sized(r: impl Read, cap: u64, expected: usize) -> (Vec<u8>, ReadEnd) {
    read_capped_into(r, cap, expected, Vec::new())
}

/// [`read_capped_sized`] appending to `buf`, whose bytes count against the cap (they are the
/// input's first bytes, read before).
fn read_capped_into(
    r: impl Read,
    cap: u64,
    expected: usize,
    mut buf: Vec<u8>,
) -> (Vec<u8>, ReadEnd) {
    // One byte past the cap tells "exactly the cap" from "more than the cap".
    let limit = usize::try_from(cap).unwrap_or(usize::MAX).saturating_add(1);
    // A wrong length only costs growth later; a reservation that fails is not an error.
    let want = expected.saturating_add(1).max(64 * 1024).min(limit);
    if buf.is_empty() && buf.capacity() < want {
        // An eighth more lets the next file of about this size fit.
        buf = empty_with_room(buf, want.saturating_add(want / 8).min(limit));
    } else {
        let _ = buf.try_reserve_exact(want.saturating_sub(buf.len()));
    }
    // `read_to_end` retries interruptions and keeps what it read before an error. Bounded:
    // `take` stops it one byte past the cap.
    let left = limit.saturating_sub(buf.len()) as u64;
    #[allow(clippy::disallowed_methods)]
    let read = r.take(left).read_to_end(&mut buf);
    match read {
        Ok(_) if buf.len() >= limit => {
            buf.truncate(limit - 1);
            (buf, ReadEnd::LimitExceeded)
        }
        Ok(_) => (buf, ReadEnd::Complete),
        Err(e) => (buf, ReadEnd::Error(e)),
    }
}

/// An empty buffer with room for `want` bytes: `buf` if it has it, else a new one. A kept buffer
/// too small is replaced, not grown: growing would copy all of its old capacity (the allocator
/// cannot know none of it is in use). A reservation that fails is not an error; the buffer
/// then grows as it reads.
fn empty_with_room(buf: Vec<u8>, want: usize) -> Vec<u8> {
    if buf.capacity() >= want {
        return buf;
    }
    let mut fresh = Vec::new();
    let _ = fresh.try_reserve_exact(want);
    fresh
}

/// Largest read buffer a thread keeps for its next file.
const MAX_SPARE: usize = 256 << 20;

thread_local! {
    /// Read buffers this thread has finished with, kept for its next files.
    ///
    /// Why: memory fresh from the system is zeroed by the kernel on first touch, and a parser
    /// thread reads file after file; in the ingest bench the page faults of a new buffer per
    /// file cost 6 % of all CPU. A kept buffer is already mapped. The threads that read are an
    /// ingest's parser threads and `vigil rules hunt`'s, which end with their run, so what
    /// they keep is not held for long.
    static SPARE: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty buffer, one this thread kept if it has one (the largest).
fn spare_buffer() -> Vec<u8> {
    SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_default()
}

/// Keeps `buf` for this thread's next read (two at most: a gzip file needs two).
fn keep_buffer(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_SPARE {
        return;
    }
    buf.clear();
    SPARE.with(|s| {
        let mut s = s.borrow_mut();
        s.push(buf);
        // Smallest first, so `pop` hands out the largest; the smallest goes when over two.
        s.sort_unstable_by_key(Vec::capacity);
        if s.len() > 2 {
            s.remove(0);
        }
    });
}

/// A file's content, inflated if it is gzip, with the file-level skips that reading caused.
/// `None` content means nothing is worth parsing.
fn load(path: &Path, limits: &Limits) -> (Option<Vec<u8>>, Vec<Skip>, u64) {
    match File::open(path) {
        Ok(file) => load_rest(path, limits, file, spare_buffer()),
        Err(e) => {
            let loc = Location {
                path: Some(path.to_path_buf()),
                ..Location::default()
            };
            (
                None,
                vec![Skip::new(SkipReason::Unreadable, loc, e.to_string())],
                0,
            )
        }
    }
}

/// [`load`] of a file whose first bytes are already in `start` (the rest follows in `file`).
fn load_rest(
    path: &Path,
    limits: &Limits,
    file: File,
    start: Vec<u8>,
) -> (Option<Vec<u8>>, Vec<Skip>, u64) {
    let loc = || Location {
        path: Some(path.to_path_buf()),
        ..Location::default()
    };
    let cap = limits.max_decompressed_bytes;
    let expected = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
        .unwrap_or(0);
    // The raw bytes are capped too; gzip inflates by at most ~1000x, so this bounds both.
    let (raw, end) = read_capped_into(file, cap, expected, start);
    let size = raw.len() as u64;
    match end {
        ReadEnd::Complete => {}
        ReadEnd::LimitExceeded => {
            keep_buffer(raw);
            let s = Skip::new(SkipReason::FileTooLarge, loc(), format!("over {cap} bytes"));
            return (None, vec![s], size);
        }
        ReadEnd::Error(e) => {
            keep_buffer(raw);
            return (
                None,
                vec![Skip::new(SkipReason::Unreadable, loc(), e.to_string())],
                size,
            );
        }
    }
    if !raw.starts_with(&GZIP_MAGIC) {
        return (Some(raw), Vec::new(), size);
    }
    // CloudTrail's JSON usually inflates about tenfold.
    let (inflated, end) = read_capped_into(
        MultiGzDecoder::new(raw.as_slice()),
        cap,
        raw.len().saturating_mul(10),
        spare_buffer(),
    );
    keep_buffer(raw);
    match end {
        ReadEnd::Complete => (Some(inflated), Vec::new(), size),
        ReadEnd::LimitExceeded => {
            keep_buffer(inflated);
            let s = Skip::new(
                SkipReason::DecompressionLimit,
                loc(),
                format!("inflates past {cap} bytes"),
            );
            (None, vec![s], size)
        }
        ReadEnd::Error(e) => {
            let s = Skip::new(
                SkipReason::TruncatedGzip,
                loc(),
                format!(
                    "{e}; kept {} bytes inflated before the error",
                    inflated.len()
                ),
            );
            (Some(inflated), vec![s], size)
        }
    }
}

fn read_with(
    path: &Path,
    limits: &Limits,
    parse: impl FnOnce(&[u8], &FileContext) -> ParseOutcome,
) -> FileOutcome {
    parse_loaded(path, limits, load(path, limits), parse)
}

/// Parses what [`load`] or [`load_rest`] read, then keeps the buffer for the next file.
fn parse_loaded(
    path: &Path,
    limits: &Limits,
    (content, mut skips, bytes_read): (Option<Vec<u8>>, Vec<Skip>, u64),
    parse: impl FnOnce(&[u8], &FileContext) -> ParseOutcome,
) -> FileOutcome {
    let Some(content) = content else {
        return FileOutcome {
            skips,
            bytes_read,
            ..FileOutcome::default()
        };
    };
    let ctx = FileContext::for_path(path, limits);
    let parsed = parse(&content, &ctx);
    keep_buffer(content);
    skips.extend(parsed.skips);
    FileOutcome {
        events: parsed.events,
        skips,
        bytes_read,
        records: parsed.records,
        ..FileOutcome::default()
    }
}

/// Reads one CloudTrail file (any shape, plain or gzip).
pub fn read_cloudtrail_file(path: &Path, limits: &Limits) -> FileOutcome {
    let blocks = BlockSizes {
        block: STREAM_BLOCK,
        sub_part: SUB_PART,
        two_threads: false,
    };
    read_cloudtrail_blocks(path, limits, blocks, None)
}

/// [`read_cloudtrail_file`], handing the events to `each` as they are parsed rather than all
/// at the end: after each block of a large JSON-lines file, once for any other file. `each`
/// takes what it wants out of the vector (what it leaves is handed again with the next part),
/// and may stop the reading (`Break`: the rest of the file is not read). The outcome's `events`
/// is empty; its skips and counts are those of what was read.
///
/// Why: a caller that consumes events as they come (`vigil rules hunt` on input already in
/// time order) then holds a block's events, not a large file's, so the memory they take is
/// used again, warm, instead of fresh pages for every event.
///
/// With `threads` 2, a large JSON-lines file's parts are parsed on two threads and `each` runs
/// on the thread that parsed the part, one part at a time in file order (see
/// [`crate::parts`]); the outcome's `parsing` is then both threads' time parsing.
pub fn read_cloudtrail_file_each(
    path: &Path,
    limits: &Limits,
    threads: usize,
    each: EachPart<'_>,
) -> FileOutcome {
    let blocks = BlockSizes {
        block: if threads >= 2 {
            TWO_THREAD_BLOCK
        } else {
            PART_BLOCK
        },
        sub_part: SUB_PART,
        two_threads: threads >= 2,
    };
    read_cloudtrail_blocks(path, limits, blocks, Some(each))
}

/// Where [`read_cloudtrail_file_each`] hands each part's events (from either thread, with two).
pub type EachPart<'a> = &'a mut (dyn FnMut(&mut Vec<Event>) -> ControlFlow<()> + Send);

/// How a large JSON-lines file is read: `block` bytes at a time, handed over in parts of about
/// `sub_part` bytes, parsed on two threads or one.
#[derive(Debug, Clone, Copy)]
struct BlockSizes {
    block: usize,
    sub_part: usize,
    two_threads: bool,
}

/// Block size when events are handed over part by part: a block's bytes and its events (about
/// as many bytes again) then stay within the processor's caches while the consumer works on
/// them. Raised to twice the record limit, as any block is.
const PART_BLOCK: usize = 2 << 20;

/// Bytes of whole lines parsed before their events go to the consumer, when it takes them part
/// by part. Small enough that a part's events (about as many bytes again) stay in a core's
/// own cache until they are dropped, so the next part's allocations reuse cached memory: with
/// whole 2 MB blocks, taking a block freed by the part before was a cache miss, and the
/// allocator's fast path 6 % of a hunt.
const SUB_PART: usize = 256 << 10;

/// How much of a large JSON-lines file is held at a time.
pub(crate) const STREAM_BLOCK: usize = 8 << 20;

/// Block size when two threads parse a file's parts (see [`crate::parts`]). Smaller than
/// [`STREAM_BLOCK`]: fewer fresh pages for the kernel to zero. Measured (100k-event benchmark
/// corpus, `vigil rules hunt --threads 2`, twelve alternating runs): 8 MiB 0.274 s wall,
/// 0.489 s CPU, 58 MB peak; 4 MiB 0.262 s, 0.480 s, 48 MB; 2 MiB 0.260 s, 0.483 s, 51 MB.
const TWO_THREAD_BLOCK: usize = 4 << 20;

/// [`read_cloudtrail_file`], reading a plain JSON-lines file larger than `block` a block at a
/// time: memory stays at one block (plus the events) instead of the whole file, and fresh
/// memory is dear (the kernel zeroes every page first). Every other file is read whole.
fn read_cloudtrail_blocks(
    path: &Path,
    limits: &Limits,
    blocks: BlockSizes,
    mut each: Option<EachPart<'_>>,
) -> FileOutcome {
    let BlockSizes {
        block,
        sub_part,
        two_threads,
    } = blocks;
    let mut whole = || {
        let mut out = read_with(path, limits, parse_cloudtrail);
        hand_over(&mut out, each.as_deref_mut());
        out
    };
    let Ok(mut file) = File::open(path) else {
        return whole();
    };
    let size = file.metadata().map_or(0, |m| m.len());
    let block = block.max(limits.max_record_bytes.saturating_mul(2).saturating_add(2));
    if size <= block as u64 || size > limits.max_decompressed_bytes {
        return whole();
    }
    let ctx = FileContext::for_path(path, limits);
    // Room for the whole file when it may be read whole (a large `Records` document; that is
    // only known after the first block): going on from a block-sized buffer copied the block
    // into a new, fresh one. Reserved but untouched memory costs nothing, so a JSON-lines file
    // still only touches a block and a half. Past what a thread keeps, blocks it is.
    let want = match usize::try_from(size) {
        Ok(s) if s < MAX_SPARE => s + 1,
        _ => 0,
    }
    .max(block.saturating_add(block / 2));
    let mut buf = empty_with_room(spare_buffer(), want);
    let Ok(eof) = fill(&mut file, &mut buf, block) else {
        keep_buffer(buf);
        return whole();
    };
    if eof || buf.starts_with(&GZIP_MAGIC) || !starts_json_lines(&buf, &ctx) {
        // Read whole after all, going on from the block already read.
        let loaded = load_rest(path, limits, file, buf);
        let mut out = parse_loaded(path, limits, loaded, parse_cloudtrail);
        hand_over(&mut out, each);
        return out;
    }
    let mut out = FileOutcome {
        bytes_read: size,
        ..FileOutcome::default()
    };
    if two_threads && let Some(each) = each {
        return on_two_threads(file, path, &ctx, blocks, buf, out, each);
    }
    let mut parsed = ParseOutcome::default();
    // Room for as many events as the file could hold (records are rarely under 512 bytes),
    // so the vector never moves while it fills: reserved memory costs nothing until used.
    let room = if each.is_some() { block as u64 } else { size };
    parsed
        .events
        .reserve(usize::try_from(room / 512).unwrap_or(0));
    let mut lines_before = 0usize;
    let mut eof = false;
    loop {
        match memchr::memrchr(b'\n', &buf) {
            None if !eof => {
                // No line ends within a whole block: this line is longer than any record may be.
                match skip_line(&mut file, &mut buf) {
                    Ok((len, ended)) => {
                        lines_before += 1;
                        parsed.records += 1;
                        parsed.skips.push(too_long(path, &ctx, len, lines_before));
                        eof = ended;
                    }
                    Err(e) => {
                        out.skips.push(unreadable(path, &e));
                        break;
                    }
                }
            }
            last_newline => {
                // Whole lines now; a cut-off last line waits for the next block.
                let cut = match (eof, last_newline) {
                    (false, Some(i)) => i + 1,
                    _ => buf.len(),
                };
                let whole_lines = buf.get(..cut).unwrap_or_default();
                let mut stopped = false;
                match each.as_mut() {
                    None => {
                        lines_before +=
                            parse_lines_into(whole_lines, lines_before, &ctx, &mut parsed);
                    }
                    Some(each) => {
                        for range in sub_parts(whole_lines, sub_part) {
                            let lines = whole_lines.get(range).unwrap_or_default();
                            // The consumer may have traded the vector for another (an empty
                            // one, perhaps new): room for the part's events before it fills
                            // (records are rarely under 512 bytes), so it does not grow by
                            // doubling, copying what it holds each time.
                            parsed.events.reserve(lines.len() / 512);
                            lines_before +=
                                parse_lines_into(lines, lines_before, &ctx, &mut parsed);
                            if each(&mut parsed.events).is_break() {
                                stopped = true;
                                break;
                            }
                        }
                    }
                }
                buf.drain(..cut);
                if stopped {
                    break;
                }
                if eof {
                    break;
                }
            }
        }
        if !eof {
            match fill(&mut file, &mut buf, block) {
                Ok(ended) => eof = ended,
                Err(e) => {
                    out.skips.push(unreadable(path, &e));
                    eof = true;
                }
            }
        }
    }
    keep_buffer(buf);
    if each.is_none() {
        out.events = parsed.events;
    }
    out.skips.splice(0..0, parsed.skips);
    out.records = parsed.records;
    out
}

/// A large JSON-lines file read a block at a time for [`parse_on_two`]: each block whole
/// lines (a cut-off last line starts the next), or a line too long to read.
struct FileBlocks<'r> {
    file: File,
    path: &'r Path,
    ctx: &'r FileContext,
    block: usize,
    /// The block already read (the first, read to sniff the file).
    pending: Option<Vec<u8>>,
    /// The cut-off last line of the block before.
    tail: Vec<u8>,
    eof: bool,
    done: bool,
    /// Why the file could not be read to its end.
    unreadable: Vec<Skip>,
}

impl Blocks for FileBlocks<'_> {
    fn next_block(&mut self, spare: Vec<u8>) -> Option<Piece> {
        if self.done {
            keep_buffer(spare);
            return None;
        }
        let mut buf = match self.pending.take() {
            Some(first) => {
                keep_buffer(spare);
                first
            }
            None => {
                let mut buf = empty_with_room(spare, self.block.saturating_add(self.block / 2));
                buf.clear();
                buf.append(&mut self.tail);
                if !self.eof {
                    match fill(&mut self.file, &mut buf, self.block) {
                        Ok(ended) => self.eof = ended,
                        Err(e) => {
                            self.unreadable.push(unreadable(self.path, &e));
                            self.eof = true;
                        }
                    }
                }
                buf
            }
        };
        match memchr::memrchr(b'\n', &buf) {
            None if !self.eof => {
                // No line ends within a whole block: this line is longer than any record may
                // be. Its line number is set when it is handed over.
                match skip_line(&mut self.file, &mut buf) {
                    Ok((len, ended)) => {
                        self.eof = ended;
                        self.tail.extend_from_slice(&buf);
                        keep_buffer(buf);
                        // Line 2 of a part read as if one line came before it (see
                        // `crate::parts`): renumbered when handed over.
                        Some(Piece::TooLong(too_long(self.path, self.ctx, len, 2)))
                    }
                    Err(e) => {
                        self.unreadable.push(unreadable(self.path, &e));
                        self.done = true;
                        keep_buffer(buf);
                        None
                    }
                }
            }
            last_newline => {
                // Whole lines; a cut-off last line starts the next block.
                let cut = match (self.eof, last_newline) {
                    (false, Some(i)) => i + 1,
                    _ => buf.len(),
                };
                self.tail
                    .extend_from_slice(buf.get(cut..).unwrap_or_default());
                buf.truncate(cut);
                self.done = self.eof;
                if buf.is_empty() {
                    keep_buffer(buf);
                    return None;
                }
                Some(Piece::Lines(buf))
            }
        }
    }

    fn give_back(&mut self, buf: Vec<u8>) {
        keep_buffer(buf);
    }
}

/// The rest of a JSON-lines file (its first block in `buf`), its parts parsed on two threads
/// and handed to `each` in order while this thread also reads the blocks (see
/// [`crate::parts`]). Lines, skips and counts as the one-thread reading has them.
#[allow(clippy::too_many_arguments)]
fn on_two_threads(
    file: File,
    path: &Path,
    ctx: &FileContext,
    blocks: BlockSizes,
    buf: Vec<u8>,
    mut out: FileOutcome,
    each: EachPart<'_>,
) -> FileOutcome {
    let mut h = Handover::new(each);
    let mut reader = FileBlocks {
        file,
        path,
        ctx,
        block: blocks.block,
        pending: Some(buf),
        tail: Vec::new(),
        eof: false,
        done: false,
        unreadable: Vec::new(),
    };
    parse_on_two(&mut reader, blocks.sub_part, ctx, &mut h);
    out.skips = std::mem::take(&mut h.skips);
    out.skips.append(&mut reader.unreadable);
    out.records = h.records;
    out.parsing = h.parsing;
    out
}

/// `lines` (whole lines) cut into runs of whole lines of about `size` bytes, as ranges of
/// `lines`: each ends at the first line end at or after `size` bytes from its start. (The
/// two-thread reading, [`crate::parts`], cuts its blocks the same way.)
pub(crate) fn sub_parts(lines: &[u8], size: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= lines.len() {
            return None;
        }
        let end = match lines
            .get(start.saturating_add(size)..)
            .and_then(|t| memchr::memchr(b'\n', t))
        {
            Some(i) => start + size + i + 1,
            None => lines.len(),
        };
        let part = start..end;
        start = end;
        Some(part)
    })
}

/// The skip of a line longer than any record may be: `len` bytes, line `line` of the file.
fn too_long(path: &Path, ctx: &FileContext, len: usize, line: usize) -> Skip {
    let loc = Location {
        path: Some(path.to_path_buf()),
        record: None,
        line: Some(line),
    };
    let detail = format!("{len} bytes, limit {}", ctx.max_record_bytes);
    Skip::new(SkipReason::RecordTooLarge, loc, detail)
}

/// A file read whole: its events go to `each` in one part, when there is one (the outcome then
/// holds none). Whether `each` would have stopped the reading does not matter: it is all read.
fn hand_over<F>(out: &mut FileOutcome, each: Option<&mut F>)
where
    F: FnMut(&mut Vec<Event>) -> ControlFlow<()> + ?Sized,
{
    if let Some(each) = each {
        let _ = each(&mut out.events);
        out.events.clear();
    }
}

fn unreadable(path: &Path, e: &io::Error) -> Skip {
    let loc = Location {
        path: Some(path.to_path_buf()),
        ..Location::default()
    };
    Skip::new(SkipReason::Unreadable, loc, e.to_string())
}

/// Reads until `buf` holds `target` bytes or the input ends; `true` if it ended. Straight into
/// `buf`'s spare room (no bounce buffer: every byte of a big file would be copied twice).
fn fill(r: &mut impl Read, buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    let want = target.saturating_sub(buf.len());
    buf.reserve(want);
    // `read_to_end` retries interruptions; `take` bounds it.
    #[allow(clippy::disallowed_methods)]
    r.take(want as u64).read_to_end(buf)?;
    Ok(buf.len() < target)
}

/// Discards the line `buf` starts (it holds no newline yet) up to and including its newline,
/// keeping what follows in `buf`. Returns the line's length as the whole-file reader measures
/// it (without surrounding whitespace) and whether the input ended.
fn skip_line(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<(usize, bool)> {
    let mut len = buf.trim_ascii_start().len();
    loop {
        buf.clear();
        let ended = fill(r, buf, 64 * 1024)?;
        if let Some(i) = memchr::memchr(b'\n', buf) {
            len += i;
            // Trailing whitespace (a `\r`) is not part of the line.
            let tail = buf.get(..i).unwrap_or_default();
            len -= tail.len() - tail.trim_ascii_end().len();
            buf.drain(..=i);
            return Ok((len, false));
        }
        len += buf.len();
        if ended {
            len -= buf.len() - buf.trim_ascii_end().len();
            buf.clear();
            return Ok((len, true));
        }
    }
}

/// Reads one file of host events, plain or gzip: the agent's JSON lines, Falco JSON alerts or
/// an audit log (the format is sniffed from the content, see [`crate::sniff_host_format`]).
pub fn read_host_file(path: &Path, limits: &Limits) -> FileOutcome {
    read_with(path, limits, parse_host_any)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most three bytes per call, then fails if told to.
    struct Trickle<'a>(&'a [u8], bool);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() && self.1 {
                return Err(io::Error::other("gone"));
            }
            let n = self.0.len().min(3).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn capped_reads_whatever_the_size_hint() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for expected in [0, 10, data.len() - 1, data.len(), data.len() * 4] {
            let (got, end) = read_capped_sized(data.as_slice(), 1 << 20, expected);
            assert!(matches!(end, ReadEnd::Complete));
            assert_eq!(got, data, "hint {expected}");
            // Exactly the cap is complete; one byte more is not.
            let (got, end) = read_capped_sized(data.as_slice(), data.len() as u64, expected);
            assert!(matches!(end, ReadEnd::Complete) && got.len() == data.len());
            let (got, end) = read_capped_sized(data.as_slice(), data.len() as u64 - 1, expected);
            assert!(matches!(end, ReadEnd::LimitExceeded));
            assert_eq!(got, data[..data.len() - 1]);
        }
        let (got, end) = read_capped(Trickle(b"hello world", false), 100);
        assert!(matches!(end, ReadEnd::Complete));
        assert_eq!(got, b"hello world");
        let (got, end) = read_capped(Trickle(b"hello world", true), 100);
        assert!(matches!(end, ReadEnd::Error(_)));
        assert_eq!(got, b"hello world");
        let (got, end) = read_capped(Trickle(b"hello world", false), 4);
        assert!(matches!(end, ReadEnd::LimitExceeded));
        assert_eq!(got, b"hell");
    }

    /// A file that is not JSON lines but larger than a block is read whole from the block
    /// already read (not read again): a `Records` document, the same gzipped, a damaged one,
    /// and one over the size cap, each exactly as reading it whole from the start.
    #[test]
    fn large_documents_read_on_from_the_first_block() {
        use std::io::Write as _;
        let records: Vec<String> = (0..40).map(|n| line(0, n)).collect();
        let doc = format!(r#"{{"Records":[{}]}}"#, records.join(","));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(doc.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let damaged = doc.replacen("GetObject", "Get\u{1}Object", 3);
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_record_bytes: 200,
            ..Limits::default()
        };
        let tight = Limits {
            max_decompressed_bytes: doc.len() as u64 - 1,
            ..limits
        };
        for (name, bytes, limits) in [
            ("doc.json", doc.as_bytes(), &limits),
            ("doc.json.gz", gz.as_slice(), &limits),
            ("damaged.json", damaged.as_bytes(), &limits),
            ("capped.json", doc.as_bytes(), &tight),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let block = 402.max(bytes.len() / 3);
            assert!(bytes.len() > block, "{name}");
            let blocks = read_cloudtrail_blocks(&path, limits, one(block, SUB_PART), None);
            let whole = read_with(&path, limits, parse_cloudtrail);
            assert_eq!(blocks, whole, "{name}");
            // The damaged document loses its three damaged records, the capped one everything.
            let kept = match name {
                "capped.json" => 0,
                "damaged.json" => 37,
                _ => 40,
            };
            assert_eq!(blocks.events.len(), kept, "{name}: {:?}", blocks.skips);
        }
    }

    fn line(kind: u8, n: usize) -> String {
        let rec = format!(
            r#"{{"eventTime":"2024-05-01T12:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e{n}","awsRegion":"eu-west-1"}}"#,
            n % 60
        );
        match kind % 8 {
            0..=2 => rec,
            3 => String::new(),
            4 => format!("  {rec}\r"),
            5 => format!(r#"{{"eventID":"bad{n}","#),
            6 => format!(
                r#"{{"eventID":"big{n}","pad":"{}"}}"#,
                "x".repeat(300 + n % 700)
            ),
            _ => format!(
                r#"{{"eventID":"huge{n}","pad":"{}"}}"#,
                "y".repeat(2000 + n)
            ),
        }
    }

    /// Blocks of `block` bytes in parts of `sub_part`, on one thread.
    fn one(block: usize, sub_part: usize) -> BlockSizes {
        BlockSizes {
            block,
            sub_part,
            two_threads: false,
        }
    }

    #[test]
    fn sub_parts_end_at_line_ends() {
        let text = b"aaaa\nbb\ncccccc\nd\n\neeee";
        for size in 0..text.len() + 2 {
            let parts: Vec<&[u8]> = sub_parts(text, size).map(|r| &text[r]).collect();
            assert_eq!(parts.concat(), text.to_vec(), "size {size}");
            let (last, rest) = parts.split_last().unwrap();
            for p in rest {
                assert!(p.ends_with(b"\n") && p.len() > size, "size {size}: {p:?}");
                // The first line end at or after `size` bytes, not a later one.
                assert!(!p[size..p.len() - 1].contains(&b'\n'), "size {size}: {p:?}");
            }
            assert!(!last.is_empty());
        }
        assert_eq!(sub_parts(b"", 4).count(), 0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Reading a JSON-lines file block by block gives what reading it whole gives: the
        /// same events, skips (reasons, line numbers, details) and record count, whatever
        /// falls on a block boundary, including lines longer than a block, and however the
        /// blocks are cut into parts for the consumer.
        #[test]
        fn block_reading_equals_whole_reading(
            kinds in proptest::collection::vec(0u8..8, 2..60),
            lead in proptest::prelude::prop_oneof![
                proptest::prelude::Just(""),
                proptest::prelude::Just("\n\n"),
                proptest::prelude::Just("\u{feff}"),
            ],
            final_newline in proptest::prelude::any::<bool>(),
            block in 402usize..1500,
            sub_part in 1usize..700,
        ) {
            // The first two lines are records, so the file reads as JSON lines.
            let mut text = String::from(lead);
            let lines: Vec<String> = [0u8, 0].iter().chain(&kinds).enumerate().map(|(n, k)| line(*k, n)).collect();
            text.push_str(&lines.join("\n"));
            if final_newline {
                text.push('\n');
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("trail.jsonl");
            std::fs::write(&path, &text).unwrap();
            let limits = Limits { max_record_bytes: 200, ..Limits::default() };
            let blocks = read_cloudtrail_blocks(&path, &limits, one(block, SUB_PART), None);
            let whole = read_with(&path, &limits, parse_cloudtrail);
            // Handed over part by part, the events are the same, in the same order.
            let mut parts: Vec<Event> = Vec::new();
            let mut take = |part: &mut Vec<Event>| {
                parts.append(part);
                ControlFlow::Continue(())
            };
            let streamed = read_cloudtrail_blocks(&path, &limits, one(block, sub_part), Some(&mut take));
            proptest::prop_assert!(streamed.events.is_empty());
            proptest::prop_assert_eq!(&parts, &whole.events);
            proptest::prop_assert_eq!(&streamed.skips, &whole.skips);
            proptest::prop_assert_eq!(streamed.records, whole.records);
            // On two threads too: the same parts in the same order, lines numbered alike.
            let mut two: Vec<Event> = Vec::new();
            let mut take_two = |part: &mut Vec<Event>| {
                two.append(part);
                ControlFlow::Continue(())
            };
            let on_two = BlockSizes { block, sub_part, two_threads: true };
            let streamed = read_cloudtrail_blocks(&path, &limits, on_two, Some(&mut take_two));
            proptest::prop_assert!(streamed.events.is_empty());
            proptest::prop_assert_eq!(&two, &whole.events);
            proptest::prop_assert_eq!(&streamed.skips, &whole.skips);
            proptest::prop_assert_eq!(streamed.records, whole.records);
            proptest::prop_assert_eq!(blocks, whole);
        }
    }
}

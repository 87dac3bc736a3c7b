//! Large CloudTrail JSON-lines files read in time order without holding their events.
//!
//! Detection needs events in time order. Input that is not in order used to be read whole,
//! every event held, then sorted: for 100k events some 140 MB of fresh memory, which the kernel
//! zeroes page by page before use (a fifth of a hunt's CPU time on this project's VM), and a
//! cache miss on every field when detection finally reads them.
//!
//! [`TimeIndex`] reads such files twice instead:
//! 1. **Index.** The files are mapped into memory (page-cache pages, nothing to zero) and each
//!    line's `eventTime` is found by a substring search, a few dozen instructions a line
//!    against several thousand to parse it. The `(time, file, offset)` keys are sorted.
//! 2. **Read.** Line after line in key order is parsed by the same code the block reader uses
//!    ([`parse_lines_into`], one line at a time with its true line number) and its event handed
//!    over and dropped, so memory is a few keys per line plus one event.
//!
//! The index is only a guess at each event's time, made without parsing the record. Each event
//! parsed is checked against its key: if any event's time is not the time its line was sorted
//! by (an envelope whose inner record holds the time, a duplicate `eventTime`, a line the index
//! could not read that still makes an event), [`TimeIndex::read`] stops with
//! [`NotInTimeOrder`] and the caller must read the files the other way. When every event
//! matches its key, events went out exactly as a stable sort of everything by time orders them:
//! the keys sort by time, then file, then place in the file, and a line makes at most one event.

use crate::cloudtrail::{ParseOutcome, parse_lines_into, starts_json_lines};
use crate::limits::{FileContext, Limits};
use crate::read::{EachPart, STREAM_BLOCK};
use crate::reason::Skip;
use memmap2::Mmap;
use std::fs::File;
use std::path::{Path, PathBuf};
use vigil_model::Timestamp;

/// Where to find one line, and the time it is sorted by. Field order is sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// `None` when the index could not read one: such lines go first (they are parsed for
    /// their skips; one that makes an event stops the reading at once).
    time: Option<Timestamp>,
    file: u32,
    start: usize,
    end: usize,
    /// 1-based, counting every line feed before it, as the block reader counts.
    line: usize,
}

/// One mapped file and what its records need to know of it.
struct Mapped {
    map: Mmap,
    ctx: FileContext,
}

/// Files indexed by time, ready to be read in time order ([module docs](self)).
pub struct TimeIndex {
    files: Vec<Mapped>,
    keys: Vec<Key>,
}

/// An event's time was not the time its line was indexed by: the files must be read whole and
/// sorted instead. Events already handed over were in order, but not all events were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotInTimeOrder;

/// What [`TimeIndex::read`] saw.
#[derive(Debug, Default)]
pub struct TimeOrderOutcome {
    /// Events handed over.
    pub events: usize,
    /// Skips, in file order.
    pub skips: Vec<Skip>,
    /// Records (lines) seen, good or bad.
    pub records: u64,
}

impl TimeIndex {
    /// Indexes `files` when every one is a plain JSON-lines file large enough to be read in
    /// blocks (as [`crate::read_cloudtrail_file`] would read it: smaller files are parsed as
    /// whole documents, a shape this reading does not reproduce). `None` otherwise, or when a
    /// file cannot be opened or mapped: the caller reads them the usual way, which reports why.
    pub fn new(files: &[PathBuf], limits: &Limits) -> Option<TimeIndex> {
        let mut mapped = Vec::with_capacity(files.len());
        let mut keys = Vec::new();
        for (i, path) in files.iter().enumerate() {
            let file = u32::try_from(i).ok()?;
            let m = map_json_lines(path, limits)?;
            // Records are rarely under 512 bytes.
            keys.reserve(m.map.len() / 512);
            index_lines(&m.map, file, m.ctx.max_record_bytes, &mut keys);
            mapped.push(m);
        }
        // Unique (file, start) per key, so the unstable sort is a stable sort by time.
        keys.sort_unstable();
        Some(TimeIndex {
            files: mapped,
            keys,
        })
    }

    /// Lines indexed (blank lines are not).
    pub fn lines(&self) -> usize {
        self.keys.len()
    }

    /// Parses every line in time order, handing the events to `each` a part (about
    /// [`PART_LINES`] lines) at a time, in order; `each` takes what it wants out of the vector
    /// (what it leaves is handed again with the next part) and may stop the reading. Stops with
    /// [`NotInTimeOrder`] at the first event whose time is not its line's key, before that
    /// event's part is handed over.
    pub fn read(&self, each: EachPart<'_>) -> Result<TimeOrderOutcome, NotInTimeOrder> {
        let mut parsed = ParseOutcome::default();
        let mut out = TimeOrderOutcome::default();
        // (file, line) of each skip, to put them back in file order at the end.
        let mut skipped_at: Vec<(u32, usize)> = Vec::new();
        for part in self.keys.chunks(PART_LINES) {
            let before = parsed.events.len();
            for k in part {
                self.parse_line(k, &mut parsed)?;
                skipped_at.resize(parsed.skips.len(), (k.file, k.line));
            }
            out.events += parsed.events.len() - before;
            if each(&mut parsed.events).is_break() {
                break;
            }
        }
        let mut skips: Vec<_> = skipped_at.into_iter().zip(parsed.skips).collect();
        skips.sort_by_key(|(at, _)| *at);
        out.skips = skips.into_iter().map(|(_, s)| s).collect();
        out.records = parsed.records;
        Ok(out)
    }

    /// The line of `k` parsed into `parsed`, its event (if it makes one) checked against `k`.
    fn parse_line(&self, k: &Key, parsed: &mut ParseOutcome) -> Result<(), NotInTimeOrder> {
        let Some(m) = self.files.get(k.file as usize) else {
            return Ok(());
        };
        let line = m.map.get(k.start..k.end).unwrap_or_default();
        let before = parsed.events.len();
        // The block reader strips a byte-order mark from the file's first line only, and
        // numbers lines from the count before the block: both hold for a one-line block.
        parse_lines_into(line, k.line - 1, &m.ctx, parsed);
        match parsed.events.get(before..).unwrap_or_default() {
            [] => Ok(()),
            [e] if Some(e.time) == k.time => Ok(()),
            _ => Err(NotInTimeOrder),
        }
    }
}

/// Lines parsed before their events go to the consumer: about 256 KiB of CloudTrail, small
/// enough that a part's events stay in a core's own cache until they are dropped.
pub const PART_LINES: usize = 256;

/// `path` mapped, when it is a plain JSON-lines file the block reader would read in blocks.
fn map_json_lines(path: &Path, limits: &Limits) -> Option<Mapped> {
    let file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let block = STREAM_BLOCK.max(limits.max_record_bytes.saturating_mul(2).saturating_add(2));
    if size <= block as u64 || size > limits.max_decompressed_bytes {
        return None;
    }
    // SAFETY: the map is read-only and private, and every byte read from it is treated as
    // untrusted input (parsed with bounds checks, never assumed valid). If another process
    // rewrites the file meanwhile, the bytes read may change between the two passes: the key
    // check then stops the reading or a record parses differently, as any changed input
    // would. If it truncates the file, reading past the new end raises SIGBUS, as it does for
    // any tool that maps files it reads (ripgrep does by default); this reading is only used
    // by `vigil rules hunt`, over files at rest.
    #[allow(unsafe_code)]
    let map = unsafe { Mmap::map(&file) }.ok()?;
    if u64::try_from(map.len()).ok()? != size {
        return None;
    }
    let ctx = FileContext::for_path(path, limits);
    // As the block reader decides, on the same first block.
    let head = map.get(..block.min(map.len()))?;
    if head.starts_with(&crate::read::GZIP_MAGIC) || !starts_json_lines(head, &ctx) {
        return None;
    }
    Some(Mapped { map, ctx })
}

/// A key for every non-blank line of `b`, numbered as the one-pass line reader numbers them.
fn index_lines(b: &[u8], file: u32, max_record_bytes: usize, keys: &mut Vec<Key>) {
    let finder = memchr::memmem::Finder::new(b"\"eventTime\"");
    let mut line = 1usize;
    let mut pos = 0usize;
    loop {
        // Blank lines and the whitespace a line starts with (as `trim_ascii` sees it).
        while let Some(&ch) = b.get(pos) {
            if ch == b'\n' {
                line += 1;
            } else if !ch.is_ascii_whitespace() {
                break;
            }
            pos += 1;
        }
        if pos >= b.len() {
            return;
        }
        let start = pos;
        let rest = b.get(start..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).map_or(b.len(), |i| start + i);
        let whole = b.get(start..end).unwrap_or_default().trim_ascii_end();
        let time = if whole.len() > max_record_bytes {
            None
        } else {
            event_time(whole, &finder)
        };
        keys.push(Key {
            time,
            file,
            start,
            end: start + whole.len(),
            line,
        });
        pos = end;
    }
}

/// The time a line's record most likely has: after the first `"eventTime"` key whose value is
/// a plain string that parses as a time. A guess, found by a substring search (a few dozen
/// instructions a line, against several hundred to step over the members before it): a nested
/// `eventTime` before the record's own, or an escaped one, makes the key wrong or missing, and
/// the key check then sends the hunt the other way. Records as CloudTrail writes them have it
/// third, after `eventVersion` and `userIdentity`.
fn event_time(line: &[u8], finder: &memchr::memmem::Finder<'_>) -> Option<Timestamp> {
    finder.find_iter(line).find_map(|at| {
        let rest = line.get(at + finder.needle().len()..)?;
        let rest = rest.trim_ascii_start().strip_prefix(b":")?;
        let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
        let close = memchr::memchr2(b'"', b'\\', rest)?;
        if rest.get(close) != Some(&b'"') {
            return None;
        }
        let text = std::str::from_utf8(rest.get(..close)?).ok()?;
        Timestamp::parse(text).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(text: &str) -> Vec<(Option<Timestamp>, usize, &str)> {
        let mut keys = Vec::new();
        index_lines(text.as_bytes(), 0, 1 << 20, &mut keys);
        keys.iter()
            .map(|k| (k.time, k.line, text.get(k.start..k.end).unwrap_or("?")))
            .collect()
    }

    fn t(s: &str) -> Option<Timestamp> {
        Timestamp::parse(s).ok()
    }

    #[test]
    fn lines_are_numbered_and_trimmed_as_the_line_reader_does() {
        let text = "\u{feff}{\"eventTime\":\"2024-01-01T00:00:02Z\"}\r\n\n  \t{\"a\":{\"eventTime\":1},\"eventTime\" : \"2024-01-01T00:00:01Z\"}  \nnot json\n{\"eventTime\":\"2024\\u002d01-01T00:00:00Z\"}\n{\"a\":{\"eventTime\":\"2020-01-01T00:00:00Z\"},\"eventTime\":\"2024-01-01T00:00:00Z\"}";
        let keys = keys_of(text);
        assert_eq!(
            keys,
            vec![
                (
                    t("2024-01-01T00:00:02Z"),
                    1,
                    "\u{feff}{\"eventTime\":\"2024-01-01T00:00:02Z\"}"
                ),
                (
                    t("2024-01-01T00:00:01Z"),
                    3,
                    "{\"a\":{\"eventTime\":1},\"eventTime\" : \"2024-01-01T00:00:01Z\"}"
                ),
                (None, 4, "not json"),
                // An escaped time is left to the parser (and the key check).
                (None, 5, "{\"eventTime\":\"2024\\u002d01-01T00:00:00Z\"}"),
                // A nested `eventTime` first is taken: a wrong guess the key check catches.
                (
                    t("2020-01-01T00:00:00Z"),
                    6,
                    "{\"a\":{\"eventTime\":\"2020-01-01T00:00:00Z\"},\"eventTime\":\"2024-01-01T00:00:00Z\"}"
                ),
            ]
        );
    }

    #[test]
    fn a_line_over_the_record_limit_has_no_time() {
        let line = format!(
            "{{\"eventTime\":\"2024-01-01T00:00:00Z\",\"x\":\"{}\"}}",
            "a".repeat(64)
        );
        let mut keys = Vec::new();
        index_lines(line.as_bytes(), 0, 32, &mut keys);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.first().map(|k| k.time), Some(None));
    }
}

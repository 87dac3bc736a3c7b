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

use crate::cloudtrail::{ParseOutcome, parse_lines_into, skip_blank, starts_json_lines};
use crate::depth::spawn_parser;
use crate::limits::{FileContext, Limits};
use crate::read::{EachPart, STREAM_BLOCK};
use crate::reason::Skip;
use memmap2::Mmap;
use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use vigil_model::{Event, Timestamp};

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
    /// Time spent parsing (on two threads, both threads' time, summed).
    pub parsing: Duration,
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

    /// Parses every line in time order, handing the events to `each` a part (about
    /// [`PART_LINES`] lines) at a time, in order; `each` takes what it wants out of the vector
    /// (what it leaves is handed again with the next part) and may stop the reading. Stops with
    /// [`NotInTimeOrder`] as soon as an event's time is not its line's key, before that event's
    /// part is handed over.
    ///
    /// With `threads` 2, both threads parse parts (taking the next from a shared counter) and
    /// each hands the parts it parsed to `each` itself, in their turn: `each` runs on one
    /// thread at a time, in order, and a part's events are freed by the thread that made them.
    /// A thread whose part is not due yet parses more (up to [`MAX_HELD`] ahead) rather than
    /// wait. If the helper thread cannot start, this one does it all.
    pub fn read(
        &self,
        threads: usize,
        each: EachPart<'_>,
    ) -> Result<TimeOrderOutcome, NotInTimeOrder> {
        let next = AtomicUsize::new(0);
        let turns = Mutex::new(Turns {
            due: 0,
            over: false,
            wrong: false,
            each,
            carry: Vec::new(),
            events: 0,
            records: 0,
            parsing: Duration::ZERO,
            skips: Vec::new(),
        });
        let turn_taken = Condvar::new();
        let part = |n: usize| {
            let from = n.saturating_mul(PART_LINES);
            self.keys
                .get(from..from.saturating_add(PART_LINES).min(self.keys.len()))
                .filter(|p| !p.is_empty())
        };
        let work = || {
            // Declared first, dropped last: a panic in `each` ends the reading for both.
            let _ends = EndOnPanic(&turns, &turn_taken);
            // Parts this thread parsed and has not handed over yet, in order (each thread
            // takes parts in increasing order).
            let mut held: VecDeque<(usize, Parsed)> = VecDeque::new();
            let mut spare = Vec::new();
            let mut no_more = false;
            loop {
                if let Some(&(n, _)) = held.front() {
                    let mut t = lock(&turns);
                    if t.over {
                        break;
                    }
                    if t.due == n {
                        if let Some((_, p)) = held.pop_front() {
                            spare = t.hand_over(p);
                        }
                        t.due += 1;
                        turn_taken.notify_all();
                        continue;
                    }
                    if no_more || held.len() >= MAX_HELD {
                        // Nothing else to do: wait for this thread's turn.
                        while t.due != n && !t.over {
                            t = turn_taken.wait(t).unwrap_or_else(PoisonError::into_inner);
                        }
                        continue;
                    }
                } else if no_more {
                    break;
                }
                // Not this thread's turn yet (or nothing held): parse on rather than wait.
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(lines) = part(n) else {
                    no_more = true;
                    continue;
                };
                match self.parse_part(lines, std::mem::take(&mut spare)) {
                    Ok(p) => held.push_back((n, p)),
                    Err(NotInTimeOrder) => {
                        let mut t = lock(&turns);
                        t.wrong = true;
                        t.over = true;
                        turn_taken.notify_all();
                        break;
                    }
                }
            }
        };
        if threads >= 2 {
            std::thread::scope(|scope| {
                // A helper that does not start leaves every part to this thread.
                let _ = spawn_parser(scope, "vigil-hunt-index", work);
                work();
            });
        } else {
            work();
        }
        let t = turns.into_inner().unwrap_or_else(PoisonError::into_inner);
        if t.wrong {
            return Err(NotInTimeOrder);
        }
        let mut skips = t.skips;
        skips.sort_by_key(|(at, _)| *at);
        Ok(TimeOrderOutcome {
            events: t.events,
            skips: skips.into_iter().map(|(_, s)| s).collect(),
            records: t.records,
            parsing: t.parsing,
        })
    }

    /// The lines of `part` parsed into `events` (empty, its room reused), each event checked
    /// against its line's key.
    fn parse_part(&self, part: &[Key], events: Vec<Event>) -> Result<Parsed, NotInTimeOrder> {
        let started = Instant::now();
        let mut parsed = ParseOutcome {
            events,
            ..ParseOutcome::default()
        };
        parsed.events.reserve(part.len());
        let mut at: Vec<(u32, usize)> = Vec::new();
        for k in part {
            self.parse_line(k, &mut parsed)?;
            at.resize(parsed.skips.len(), (k.file, k.line));
        }
        Ok(Parsed {
            events: parsed.events,
            skips: at.into_iter().zip(parsed.skips).collect(),
            records: parsed.records,
            took: started.elapsed(),
        })
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

/// One part's lines parsed, not yet handed over.
struct Parsed {
    events: Vec<Event>,
    /// Each skip with the (file, line) it was made at.
    skips: Vec<((u32, usize), Skip)>,
    records: u64,
    took: Duration,
}

/// What the threads of [`TimeIndex::read`] share: whose turn it is at the consumer, and what
/// has been handed over.
struct Turns<'e> {
    /// The part to hand over next.
    due: usize,
    /// The reading has ended: the consumer said stop, a key was wrong, or a thread panicked.
    over: bool,
    /// An event's time was not its line's key.
    wrong: bool,
    each: EachPart<'e>,
    /// Events the consumer left, handed again first with the next part.
    carry: Vec<Event>,
    events: usize,
    records: u64,
    parsing: Duration,
    skips: Vec<((u32, usize), Skip)>,
}

impl Turns<'_> {
    /// One part to the consumer; the emptied vector back, for the next part's events.
    fn hand_over(&mut self, p: Parsed) -> Vec<Event> {
        let Parsed {
            mut events,
            mut skips,
            records,
            took,
        } = p;
        self.events += events.len();
        self.records += records;
        self.parsing += took;
        self.skips.append(&mut skips);
        if self.carry.is_empty() {
            std::mem::swap(&mut self.carry, &mut events);
        } else {
            self.carry.append(&mut events);
        }
        if (self.each)(&mut self.carry).is_break() {
            self.over = true;
        }
        events
    }
}

fn lock<'a, 'e>(m: &'a Mutex<Turns<'e>>) -> MutexGuard<'a, Turns<'e>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Ends the reading for every thread when the thread holding it unwinds (the consumer
/// panicked): the other thread would otherwise wait for a turn that never comes.
struct EndOnPanic<'a, 'e>(&'a Mutex<Turns<'e>>, &'a Condvar);

impl Drop for EndOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.0).over = true;
            self.1.notify_all();
        }
    }
}

/// Parts a thread parses ahead of its turn at most, before it waits.
const MAX_HELD: usize = 4;

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
    for l in Lines::new(b, max_record_bytes) {
        keys.push(Key {
            time: l.time,
            file,
            start: l.start,
            end: l.start + l.text.len(),
            line: l.line,
        });
    }
}

/// One non-blank line, as [`Lines`] finds it.
struct Line<'a> {
    /// Where it starts.
    start: usize,
    /// Its bytes, trailing whitespace trimmed.
    text: &'a [u8],
    /// 1-based, counting every line feed before it, as the one-pass line reader numbers them.
    line: usize,
    /// Its guessed time ([`event_time`]); `None` for a line over the record limit.
    time: Option<Timestamp>,
}

/// The non-blank lines of a text, each with its guessed time.
struct Lines<'a> {
    b: &'a [u8],
    pos: usize,
    line: usize,
    max_record_bytes: usize,
    finder: memchr::memmem::Finder<'static>,
}

impl<'a> Lines<'a> {
    fn new(b: &'a [u8], max_record_bytes: usize) -> Self {
        Lines {
            b,
            pos: 0,
            line: 1,
            max_record_bytes,
            finder: memchr::memmem::Finder::new(b"\"eventTime\""),
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let b = self.b;
        skip_blank(b, &mut self.pos, &mut self.line);
        if self.pos >= b.len() {
            return None;
        }
        let start = self.pos;
        let rest = b.get(start..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).map_or(b.len(), |i| start + i);
        self.pos = end;
        let text = b.get(start..end).unwrap_or_default().trim_ascii_end();
        let time = if text.len() > self.max_record_bytes {
            None
        } else {
            event_time(text, &self.finder)
        };
        Some(Line {
            start,
            text,
            line: self.line,
            time,
        })
    }
}

/// Lines of a file's head [`plainly_shuffled`] looks at.
const HEAD_LINES: usize = 256;

/// Whether `files` are one file this index would read whose first lines are plainly out of time
/// order: of the first [`HEAD_LINES`], at least 16 have a time the index can guess, and at
/// least one in eight of those is older than the guessed line before it (a file in order has
/// none; a shuffled one, about half).
///
/// Why: one file's parts must follow each other in time to stream, so a shuffled file read in
/// order fails as soon as its second part arrives: a block read, parsed and detected for
/// nothing (about 3 % of a hunt over the peers' 100k-event corpus). This says so from a few
/// hundred lines instead. It is only a guess at the order: whichever way is taken, every event
/// is checked (the stream against the order it keeps, the index against its keys).
pub fn plainly_shuffled(files: &[PathBuf], limits: &Limits) -> bool {
    let [path] = files else {
        return false;
    };
    let Some(m) = map_json_lines(path, limits) else {
        return false;
    };
    let (mut guessed, mut older, mut last) = (0usize, 0usize, None);
    let times = Lines::new(&m.map, m.ctx.max_record_bytes).take(HEAD_LINES);
    for t in times.filter_map(|l| l.time) {
        guessed += 1;
        older += usize::from(last.is_some_and(|l| t < l));
        last = Some(t);
    }
    guessed >= 16 && older * 8 >= guessed
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

    proptest::proptest! {
        /// Any bytes: keys cover exactly the non-blank lines, trimmed, in order, numbered by
        /// the line feeds before them, and never reach past the text.
        #[test]
        fn keys_cover_the_lines_of_any_bytes(
            b in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    proptest::prelude::Just(b'\n'),
                    proptest::prelude::Just(b' '),
                ],
                0..400,
            ),
        ) {
            let mut keys = Vec::new();
            index_lines(&b, 0, 1 << 20, &mut keys);
            let expected: Vec<(usize, &[u8])> = b
                .split(|&c| c == b'\n')
                .enumerate()
                .map(|(i, l)| (i + 1, l.trim_ascii()))
                .filter(|(_, l)| !l.is_empty())
                .collect();
            let got: Vec<(usize, &[u8])> = keys
                .iter()
                .map(|k| (k.line, b.get(k.start..k.end).unwrap_or(b"?")))
                .collect();
            proptest::prop_assert_eq!(got, expected);
        }
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

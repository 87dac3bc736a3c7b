//! The ingest pipeline: discover → read and parse files on worker threads → store (dedup by
//! event id) → hand the newly stored events to detection in event-time order.
//!
//! Parser threads also do every per-event step of storing that needs no lock (encoding bodies,
//! hashing dedup keys, gathering entities: `vigil_store::PreparedEvents`), so the one writer
//! thread only does the store's I/O and SQL.
//!
//! Files are parsed in parallel but stored in discovery order (a small reorder buffer), so
//! storage order, and the examples in the report, are the same from run to run. Events reach
//! the [`EventFeed`] sorted by event time whatever order the files held them in: sorted in
//! memory when the new events fit there, else read back from the store (each of its segments is
//! sorted by time), so memory stays bounded however large the ingest.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};
use vigil_ingest::{FileOutcome, IngestReport, Limits, SkipReason};
use vigil_model::{Event, Timestamp};
use vigil_store::{FileCheckpoint, PreparedEvents, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Cloudtrail,
    Host,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Cloudtrail => "cloudtrail",
            InputKind::Host => "host",
        }
    }
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub kind: InputKind,
    /// Re-read files the checkpoints say are unchanged.
    pub reread: bool,
    pub limits: Limits,
    /// Parser threads (the calling thread writes to the store).
    pub threads: usize,
    /// New events kept in memory for detection; past this many, detection reads the new
    /// events back from the store instead (default 128 Ki, a few hundred MB of CloudTrail).
    pub held_events: usize,
}

impl IngestOptions {
    pub fn new(kind: InputKind) -> Self {
        IngestOptions {
            kind,
            reread: false,
            limits: Limits::default(),
            threads: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(1, 8),
            held_events: HELD_EVENTS,
        }
    }
}

/// Where progress goes (a terminal progress bar, or nowhere).
pub trait Progress: Sync {
    fn start(&self, total_bytes: u64);
    fn advance(&self, bytes: u64);
    fn finish(&self);
}

/// No progress display.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// The consumer of newly stored events, in event-time order: detection. `Send`, so it can run
/// on a thread of its own while the store reads the events back.
pub trait EventFeed: Send {
    fn feed(&mut self, event: &Event);
}

/// What one ingest did.
#[derive(Debug, Default)]
pub struct PipelineSummary {
    pub report: IngestReport,
    pub events_new: u64,
    pub duplicates: u64,
    pub files_unchanged: u64,
    /// Paths that could not be opened at all.
    pub missing: Vec<(PathBuf, String)>,
    pub elapsed: Duration,
    /// Of `elapsed`, the part after the last event was stored: handing the new events to the
    /// feed (detection), reading them back from the store first when they did not fit in memory.
    pub detect_elapsed: Duration,
    /// Event-time range of the new events.
    pub first_event: Option<Timestamp>,
    pub last_event: Option<Timestamp>,
}

/// Runs one ingest of `paths` into `store`, then feeds the new events to `feed` in time order.
pub fn ingest(
    store: &mut Store,
    paths: &[PathBuf],
    options: &IngestOptions,
    progress: &dyn Progress,
    feed: &mut dyn EventFeed,
) -> Result<PipelineSummary> {
    let started = Instant::now();
    let mut summary = PipelineSummary::default();
    let discovery = vigil_ingest::discover(paths);
    summary.report.add_discovery(&discovery);
    summary.missing = discovery.missing.clone();

    // Files the store has already read in full, unchanged since, are not opened again.
    let mut files = Vec::new();
    let mut stamps = Vec::new();
    for path in &discovery.files {
        let stamp = FileStamp::of(path);
        if !options.reread
            && let Some(stamp) = &stamp
            && let Some(seen) = store.file_checkpoint(&stamp.key)?
            && seen.size == stamp.size
            && seen.mtime_ms == stamp.mtime_ms
        {
            summary.files_unchanged += 1;
            continue;
        }
        files.push(path.clone());
        stamps.push(stamp);
    }

    let total_bytes = stamps.iter().flatten().map(|s| s.size).sum();
    progress.start(total_bytes);

    let mut new = NewEvents {
        held: Some(Held::default()),
        held_limit: options.held_events,
        ..NewEvents::default()
    };
    let next = AtomicUsize::new(0);
    let threads = options.threads.clamp(1, files.len().max(1));
    let spare = Spare::new(threads);
    let (tx, rx) = mpsc::sync_channel::<(usize, Parsed)>(threads * 2);
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..threads {
            let tx = tx.clone();
            let (files, next, options, spare) = (&files, &next, options, &spare);
            // Parser threads get a large (reserved, not used) stack, so deeply nested input
            // is parsed in place rather than on a thread of its own (vigil-ingest's depth.rs).
            vigil_ingest::spawn_parser(scope, "vigil-parser", move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let outcome = match options.kind {
                        InputKind::Cloudtrail => {
                            vigil_ingest::read_cloudtrail_file(path, &options.limits)
                        }
                        InputKind::Host => vigil_ingest::read_host_file(path, &options.limits),
                    };
                    // Encoding, key hashing and entity listing happen here, in parallel, so
                    // the one writer thread only does the store's I/O and SQL.
                    let prepared = spare.take().prepare_again(&outcome.events);
                    if tx.send((i, Parsed { outcome, prepared })).is_err() {
                        break;
                    }
                }
            })
            .context("cannot start a parser thread")?;
        }
        drop(tx);

        // Store in discovery order: outcomes that arrive early wait in a small buffer. Events of
        // several files go to the store together: one large transaction writes each touched
        // index page once, where one transaction per file rewrote it per file.
        let mut pending: BTreeMap<usize, Parsed> = BTreeMap::new();
        let mut batch = Batch::default();
        let mut want = 0usize;
        for (i, parsed) in rx {
            pending.insert(i, parsed);
            while let Some(parsed) = pending.remove(&want) {
                let stamp = stamps.get(want).cloned().flatten();
                progress.advance(stamp.as_ref().map_or(0, |s| s.size));
                batch.add(&mut summary, parsed, stamp)?;
                if batch.len >= BATCH_EVENTS {
                    batch.flush(store, &mut summary, &mut new, &spare)?;
                }
                want += 1;
            }
        }
        batch.flush(store, &mut summary, &mut new, &spare)?;
        Ok(())
    })?;
    progress.finish();

    let stored = started.elapsed();
    // Detection sees the new events in event-time order: from memory when they all fit there,
    // else read back from the store, whose segments are each sorted by time. Sequence numbers
    // only grow, so the new events are those from the first new seq on, and (time, seq) is the
    // store's order either way.
    match new.held.take() {
        Some(mut held) => {
            // Sort small keys, not the events themselves (several hundred bytes each).
            held.order.sort_unstable();
            for event in held.order.iter().filter_map(|&(_, _, f, i)| {
                held.files
                    .get(f as usize)
                    .and_then(|file| file.get(i as usize))
            }) {
                summary.last_event = Some(event.time);
                summary.first_event.get_or_insert(event.time);
                feed.feed(event);
            }
        }
        None => {
            if let (Some(first_seq), Some(first_time)) = (new.first_seq, new.first_time) {
                let read_back = |to_feed: &mut dyn FnMut(Event)| {
                    store.for_each_event_in_time_order(Some(first_time), &mut |stored| {
                        if stored.seq >= first_seq {
                            summary.last_event = Some(stored.event.time);
                            summary.first_event.get_or_insert(stored.event.time);
                            to_feed(stored.event);
                        }
                        ControlFlow::Continue(())
                    })
                };
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                feed_beside(feed, cores >= 2, read_back)
                    .context("reading the new events back in time order")?;
            }
        }
    }

    summary.elapsed = started.elapsed();
    summary.detect_elapsed = summary.elapsed.saturating_sub(stored);
    Ok(summary)
}

/// Hands the events `read` produces to `feed`, in order: on a second thread when the machine
/// has one ([`crate::beside`]), so reading events back from the store (a read and a decode
/// each, about what the detection of an event costs) overlaps with detection. Events go over in
/// batches of [`FEED_BATCH`].
fn feed_beside<E>(
    feed: &mut dyn EventFeed,
    two_threads: bool,
    read: impl FnOnce(&mut dyn FnMut(Event)) -> Result<u64, E>,
) -> Result<(), E> {
    let mut consume = |events: &[Event]| {
        for e in events {
            feed.feed(e);
        }
    };
    crate::beside::run(two_threads, &mut consume, |handoff| {
        let mut batch = Vec::with_capacity(FEED_BATCH);
        let read = read(&mut |e| {
            batch.push(e);
            if batch.len() == FEED_BATCH {
                handoff.send(&mut batch);
            }
        });
        handoff.send(&mut batch);
        read.map(drop)
    })
}

/// Events per batch handed to the detection thread.
const FEED_BATCH: usize = 256;

/// Where the newly stored events start (the smallest new seq and the earliest new event time),
/// and the new events themselves while they fit in memory.
#[derive(Debug, Default)]
struct NewEvents {
    first_seq: Option<i64>,
    first_time: Option<Timestamp>,
    /// `None` once more than `held_limit` were held.
    held: Option<Held>,
    held_limit: usize,
}

/// The new events in memory: the files they came in, left as they were parsed (moving each
/// event into one list cost a copy of every event), and where each new one is.
#[derive(Debug, Default)]
struct Held {
    /// Files with at least one new event (their duplicates ride along).
    files: Vec<Vec<Event>>,
    /// Per new event: time, seq, file, index in the file.
    order: Vec<(Timestamp, i64, u32, u32)>,
    /// Events in `files`.
    events: usize,
}

/// Events kept in memory for detection by default (a few hundred MB of CloudTrail). Past this the feed
/// reads the new events back from the store instead: decoding them again costs about as much
/// as parsing them did.
const HELD_EVENTS: usize = 128 * 1024;

/// How many events go to the store in one transaction.
const BATCH_EVENTS: usize = 50_000;

/// Stored [`PreparedEvents`] handed back from the writer to the parser threads, so each file's
/// documents are encoded into memory already mapped rather than fresh pages (see
/// [`PreparedEvents::prepare_again`]). Holds at most about as many as are in flight.
struct Spare {
    buffers: Mutex<Vec<PreparedEvents>>,
    max: usize,
}

impl Spare {
    fn new(threads: usize) -> Spare {
        Spare {
            buffers: Mutex::new(Vec::new()),
            max: threads * 4,
        }
    }

    fn take(&self) -> PreparedEvents {
        self.buffers
            .lock()
            .ok()
            .and_then(|mut b| b.pop())
            .unwrap_or_default()
    }

    fn give_back(&self, parts: Vec<PreparedEvents>) {
        if let Ok(mut b) = self.buffers.lock() {
            let room = self.max.saturating_sub(b.len());
            b.extend(parts.into_iter().take(room));
        }
    }
}

/// One file as a parser thread hands it over: its events and skips, and the events made
/// ready for the store.
struct Parsed {
    outcome: FileOutcome,
    prepared: vigil_store::Result<PreparedEvents>,
}

/// Events of consecutive files waiting to be stored, with the files' checkpoints. Each file's
/// events stay in their own vector (moving them into one would copy every event once more).
#[derive(Default)]
struct Batch {
    files: Vec<(Vec<Event>, PreparedEvents)>,
    /// Events in `files`.
    len: usize,
    checkpoints: Vec<(FileStamp, u64)>,
}

impl Batch {
    fn add(
        &mut self,
        summary: &mut PipelineSummary,
        parsed: Parsed,
        stamp: Option<FileStamp>,
    ) -> Result<()> {
        let Parsed { outcome, prepared } = parsed;
        let prepared = prepared.context("preparing events for the store")?;
        summary.report.add_file(&outcome);
        // A file that could not be read through is tried again next time; one that was read
        // (bad records and all) is only read again when it changes.
        let read_through = !outcome
            .skips
            .iter()
            .any(|s| s.reason == SkipReason::Unreadable);
        if let Some(stamp) = stamp
            && read_through
        {
            self.checkpoints.push((stamp, outcome.events.len() as u64));
        }
        if !outcome.events.is_empty() {
            self.len += outcome.events.len();
            self.files.push((outcome.events, prepared));
        }
        Ok(())
    }

    fn flush(
        &mut self,
        store: &mut Store,
        summary: &mut PipelineSummary,
        new: &mut NewEvents,
        spare: &Spare,
    ) -> Result<()> {
        let (events, parts): (Vec<Vec<Event>>, Vec<PreparedEvents>) =
            std::mem::take(&mut self.files).into_iter().unzip();
        self.len = 0;
        let inserted = store.insert_prepared(&parts).context("storing events")?;
        spare.give_back(parts);
        summary.events_new += inserted.new_count() as u64;
        summary.duplicates += inserted.duplicate_count() as u64;
        let mut seqs = inserted.seqs.iter();
        for file in events {
            let mut any_new = false;
            for (i, (event, seq)) in file.iter().zip(seqs.by_ref()).enumerate() {
                let Some(seq) = *seq else { continue };
                any_new = true;
                new.first_seq = Some(new.first_seq.map_or(seq, |s| s.min(seq)));
                new.first_time = Some(new.first_time.map_or(event.time, |t| t.min(event.time)));
                if let Some(held) = &mut new.held
                    && let (Ok(f), Ok(i)) = (u32::try_from(held.files.len()), u32::try_from(i))
                {
                    held.order.push((event.time, seq, f, i));
                }
            }
            if any_new && let Some(held) = &mut new.held {
                held.events += file.len();
                held.files.push(file);
                if held.events > new.held_limit {
                    new.held = None;
                }
            }
        }
        let now = Timestamp::from_millis(jiff::Timestamp::now().as_millisecond());
        let checkpoints: Vec<(String, FileCheckpoint)> = self
            .checkpoints
            .drain(..)
            .map(|(stamp, events)| {
                let checkpoint = FileCheckpoint {
                    size: stamp.size,
                    mtime_ms: stamp.mtime_ms,
                    events,
                    // Unchanged size and mtime is the test; no content hash is computed.
                    content_hash: String::new(),
                    ingested_at: now,
                };
                (stamp.key, checkpoint)
            })
            .collect();
        store.put_file_checkpoints(&checkpoints)?;
        Ok(())
    }
}

/// Identity of a file on disk for checkpoints: canonical path, size, modification time.
#[derive(Debug, Clone)]
struct FileStamp {
    key: String,
    size: u64,
    mtime_ms: i64,
}

impl FileStamp {
    fn of(path: &std::path::Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime_ms = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Some(FileStamp {
            key: key.to_string_lossy().into_owned(),
            size: meta.len(),
            mtime_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_events::events;

    /// Remembers the ids it was fed, in order.
    #[derive(Default)]
    struct Ids(Vec<String>);

    impl EventFeed for Ids {
        fn feed(&mut self, event: &Event) {
            self.0.push(event.id.clone());
        }
    }

    #[test]
    fn the_feed_gets_every_event_in_order_on_one_thread_or_two() {
        // Not a whole number of batches, so the last batch is a short one.
        let n = FEED_BATCH * 7 + 7;
        let want: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
        for two_threads in [false, true] {
            let mut feed = Ids::default();
            let out = feed_beside(&mut feed, two_threads, |to_feed| {
                for e in events(n) {
                    to_feed(e);
                }
                Ok::<u64, ()>(n as u64)
            });
            assert_eq!(out, Ok(()));
            assert_eq!(feed.0, want, "two threads: {two_threads}");
        }
    }

    #[test]
    fn a_failed_read_is_reported_after_what_was_read_before_it() {
        for two_threads in [false, true] {
            let mut feed = Ids::default();
            let out = feed_beside(&mut feed, two_threads, |to_feed| {
                for e in events(FEED_BATCH + 3) {
                    to_feed(e);
                }
                Err::<u64, &str>("torn segment")
            });
            assert_eq!(out, Err("torn segment"));
            assert_eq!(feed.0.len(), FEED_BATCH + 3, "two threads: {two_threads}");
        }
    }
}

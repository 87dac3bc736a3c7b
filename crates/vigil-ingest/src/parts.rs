//! A block of JSON lines parsed on two threads whose events still reach the consumer part by
//! part in file order (`vigil rules hunt --threads 2`).
//!
//! Both threads take the block's next part, parse it, and hand it to the consumer themselves
//! once the part before it has been handed over; the consumer (detection) so runs on one
//! thread at a time, in order, while parsing runs on both. Parsing costs more than detection,
//! so a thread seldom waits for its turn.
//!
//! Why not a parser thread beside a detector thread: parsing costs about a third more than
//! detection, so the detector idled while the parser set the pace. Here the two halves share
//! both cores. The thread that calls [`parse_parts`] also reads the next block meanwhile.

use crate::cloudtrail::{ParseOutcome, parse_lines_into};
use crate::depth::spawn_parser;
use crate::limits::FileContext;
use crate::read::EachPart;
use crate::reason::Skip;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use vigil_model::Event;

/// What goes to the consumer across a file's blocks, and what it has seen.
pub(crate) struct Handover<'e> {
    each: EachPart<'e>,
    /// Events the consumer left in the vector (handed again with the next part).
    carry: Vec<Event>,
    /// Lines of the file before the next part due.
    pub lines_before: usize,
    pub skips: Vec<Skip>,
    pub records: u64,
    /// The consumer said stop.
    pub stopped: bool,
    /// Both threads' time parsing, summed.
    pub parsing: Duration,
}

impl<'e> Handover<'e> {
    pub fn new(each: EachPart<'e>) -> Self {
        Handover {
            each,
            carry: Vec::new(),
            lines_before: 0,
            skips: Vec::new(),
            records: 0,
            stopped: false,
            parsing: Duration::ZERO,
        }
    }

    /// One part, parsed as if preceded by `offset` lines, to the consumer: its skips' line
    /// numbers counted from the file's start, its events after any the consumer left.
    fn deliver(&mut self, p: Parsed) -> ControlFlow<()> {
        let Parsed {
            out,
            lines,
            offset,
            took,
        } = p;
        let ParseOutcome {
            mut events,
            mut skips,
            records,
        } = out;
        for s in &mut skips {
            if let Some(line) = s.location.line.as_mut() {
                *line = line
                    .saturating_sub(offset)
                    .saturating_add(self.lines_before);
            }
        }
        self.skips.append(&mut skips);
        self.records += records;
        self.lines_before += lines;
        self.parsing += took;
        if self.carry.is_empty() {
            std::mem::swap(&mut self.carry, &mut events);
        } else {
            self.carry.append(&mut events);
        }
        (self.each)(&mut self.carry)
    }
}

/// One part parsed, waiting for its turn.
struct Parsed {
    out: ParseOutcome,
    /// Line feeds in the part.
    lines: usize,
    /// The line offset it was parsed with (0 for the file's first part, whose byte-order mark
    /// is stripped; else 1, corrected when handed over).
    offset: usize,
    took: Duration,
}

/// Which part is due.
struct Turn {
    due: usize,
    stopped: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A thread's claim on handing over one part: when it ends, the next part is due (and every
/// thread stops when the consumer said so or this thread is panicking, so none waits for a
/// part that will never come).
struct Pass<'t> {
    turn: &'t Mutex<Turn>,
    moved: &'t Condvar,
    stop: bool,
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut t = lock(self.turn);
        t.due += 1;
        if self.stop || std::thread::panicking() {
            t.stopped = true;
        }
        self.moved.notify_all();
    }
}

/// Parses `parts` (whole lines in file order, the first of them the file's first when
/// `h.lines_before` is 0) on this thread and a helper, handing each part's events to `h` in
/// order; runs `beside` on this thread first, while the helper starts parsing. Stops handing
/// over (and parsing) once the consumer says stop. Without a helper (none starts), this thread
/// parses every part, in order.
///
/// Each thread hands over the parts it parsed itself, waiting for the one before to be handed
/// over first (parsing takes longer than detection, so the wait is rare and short). Why each
/// its own: a part's events are then freed by the thread that allocated them, not returned to
/// the other thread's heap one by one. Handing over whatever part was ready on whichever
/// thread was free cost more: 0.52 s of CPU and 0.35 s of wall time against 0.48 s and 0.28 s
/// (`vigil rules hunt`, 100k-event benchmark corpus, ten alternating runs).
pub(crate) fn parse_parts(
    parts: &[&[u8]],
    ctx: &FileContext,
    h: &mut Handover<'_>,
    beside: impl FnOnce(),
) {
    if h.stopped {
        beside();
        return;
    }
    let file_start = h.lines_before == 0;
    let turn = Mutex::new(Turn {
        due: 0,
        stopped: false,
    });
    let moved = Condvar::new();
    let handover = Mutex::new(&mut *h);
    let claimed = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = claimed.fetch_add(1, Ordering::Relaxed);
            let Some(lines) = parts.get(i) else {
                return;
            };
            let mut pass = Pass {
                turn: &turn,
                moved: &moved,
                stop: false,
            };
            if lock(&turn).stopped {
                return;
            }
            let started = Instant::now();
            let offset = usize::from(!(file_start && i == 0));
            let mut out = ParseOutcome::default();
            // Room for the part's events before it fills (records are rarely under 512
            // bytes), so the vector does not grow by doubling.
            out.events.reserve(lines.len() / 512);
            let n = parse_lines_into(lines, offset, ctx, &mut out);
            let took = started.elapsed();
            let mut t = lock(&turn);
            while t.due != i && !t.stopped {
                t = moved.wait(t).unwrap_or_else(PoisonError::into_inner);
            }
            if t.stopped {
                return;
            }
            drop(t);
            let p = Parsed {
                out,
                lines: n,
                offset,
                took,
            };
            pass.stop = lock(&handover).deliver(p).is_break();
        }
    };
    let work = &work;
    std::thread::scope(|scope| {
        let helper = spawn_parser(scope, "vigil-parse-part", work);
        beside();
        work();
        if let Ok(helper) = helper
            && let Err(panic) = helper.join()
        {
            std::panic::resume_unwind(panic);
        }
    });
    let stopped = lock(&turn).stopped;
    h.stopped |= stopped;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::limits::Limits;
    use std::path::Path;

    fn line(i: usize) -> String {
        format!(
            r#"{{"eventTime":"2024-05-01T12:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"Get{i}","eventID":"id-{i}","awsRegion":"us-east-1"}}"#,
            i % 60
        )
    }

    /// Parts of whole lines; every seventh line is broken, so there are skips to number.
    fn text(n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i % 7 == 3 {
                s.push_str("{\"eventTime\": broken\n");
            } else {
                s.push_str(&line(i));
                s.push('\n');
            }
        }
        s
    }

    fn split(t: &str, size: usize) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut rest = t.as_bytes();
        while !rest.is_empty() {
            let end = rest
                .get(size..)
                .and_then(|r| memchr::memchr(b'\n', r))
                .map_or(rest.len(), |i| size + i + 1);
            let (a, b) = rest.split_at(end);
            out.push(a);
            rest = b;
        }
        out
    }

    #[test]
    fn parts_reach_the_consumer_in_order_with_their_lines_numbered_from_the_file_start() {
        let t = text(400);
        let ctx = FileContext::for_path(Path::new("x.jsonl"), &Limits::default());
        let mut whole = ParseOutcome::default();
        parse_lines_into(t.as_bytes(), 0, &ctx, &mut whole);
        let want: Vec<String> = whole.events.iter().map(|e| e.id.clone()).collect();
        let want_lines: Vec<Option<usize>> = whole.skips.iter().map(|s| s.location.line).collect();
        assert!(want.len() > 300 && want_lines.len() > 50);
        for size in [1, 100, 900, 5000, 1 << 20] {
            let mut seen = Vec::new();
            let mut each = |v: &mut Vec<Event>| {
                seen.extend(v.drain(..).map(|e| e.id));
                ControlFlow::Continue(())
            };
            let mut h = Handover::new(&mut each);
            let parts = split(&t, size);
            // Two blocks, as the reader hands them.
            let (a, b) = parts.split_at(parts.len() / 2);
            let mut beside_ran = 0;
            parse_parts(a, &ctx, &mut h, || beside_ran += 1);
            parse_parts(b, &ctx, &mut h, || beside_ran += 1);
            assert_eq!(beside_ran, 2);
            let lines: Vec<Option<usize>> = h.skips.iter().map(|s| s.location.line).collect();
            assert_eq!(lines, want_lines, "part size {size}");
            assert_eq!(h.records, whole.records);
            assert_eq!(h.lines_before, 400);
            drop(h);
            assert_eq!(seen, want, "part size {size}");
        }
    }

    #[test]
    fn a_consumer_that_stops_gets_nothing_more() {
        let t = text(300);
        let ctx = FileContext::for_path(Path::new("x.jsonl"), &Limits::default());
        let mut calls = 0;
        let mut each = |v: &mut Vec<Event>| {
            calls += 1;
            v.clear();
            if calls == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let mut h = Handover::new(&mut each);
        let parts = split(&t, 200);
        parse_parts(&parts, &ctx, &mut h, || {});
        assert!(h.stopped);
        parse_parts(&parts, &ctx, &mut h, || {});
        drop(h);
        assert_eq!(calls, 3);
    }

    #[test]
    fn a_consumer_that_panics_stops_both_threads_and_the_panic_comes_out() {
        let t = text(300);
        let ctx = FileContext::for_path(Path::new("x.jsonl"), &Limits::default());
        let parts = split(&t, 100);
        let mut calls = 0;
        let mut each = |v: &mut Vec<Event>| {
            calls += 1;
            v.clear();
            assert!(calls < 4, "the consumer fails");
            ControlFlow::Continue(())
        };
        let mut h = Handover::new(&mut each);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse_parts(&parts, &ctx, &mut h, || {});
        }));
        drop(h);
        assert!(caught.is_err());
        assert_eq!(calls, 4);
    }

    #[test]
    fn leftover_events_come_again_first() {
        let t = text(200);
        let ctx = FileContext::for_path(Path::new("x.jsonl"), &Limits::default());
        let mut seen = Vec::new();
        let mut each = |v: &mut Vec<Event>| {
            // Takes all but the last event each time.
            let keep = v.pop();
            seen.extend(v.drain(..).map(|e| e.id));
            v.extend(keep);
            ControlFlow::Continue(())
        };
        let mut h = Handover::new(&mut each);
        let parts = split(&t, 300);
        parse_parts(&parts, &ctx, &mut h, || {});
        let left: Vec<String> = h.carry.iter().map(|e| e.id.clone()).collect();
        drop(h);
        let mut whole = ParseOutcome::default();
        parse_lines_into(t.as_bytes(), 0, &ctx, &mut whole);
        let mut want: Vec<String> = whole.events.iter().map(|e| e.id.clone()).collect();
        let last = want.pop();
        assert_eq!(seen, want);
        assert_eq!(left, Vec::from_iter(last));
    }
}

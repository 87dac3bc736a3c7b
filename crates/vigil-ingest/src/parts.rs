//! A large JSON-lines file parsed on two threads whose events still reach the consumer part by
//! part in file order (`vigil rules hunt --threads 2`).
//!
//! The calling thread reads the file a block (4 MiB) at a time and queues each block's parts
//! (about 256 KiB of whole lines each); both threads take parts from the queue, parse them,
//! and hand the parts they parsed to the consumer themselves, each in its turn. The consumer
//! (detection) so runs on one thread at a time, in file order, while parsing runs on both; a
//! thread whose next part is not due yet parses another rather than wait.
//!
//! Why not a parser thread beside a detector thread: parsing costs about a third more than
//! detection, so the detector idled while the parser set the pace. Here the two halves share
//! both cores.

use crate::cloudtrail::{ParseOutcome, parse_lines_into};
use crate::depth::spawn_parser;
use crate::limits::FileContext;
use crate::read::{EachPart, sub_parts};
use crate::reason::Skip;
use std::collections::VecDeque;
use std::ops::{ControlFlow, Range};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
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

/// What the reader hands [`parse_on_two`]: a block of whole lines, or a line too long to
/// read (its skip; the line number is set when it is handed over).
pub(crate) enum Piece {
    Lines(Vec<u8>),
    TooLong(Skip),
}

/// Where [`parse_on_two`] gets a file's blocks, in order: `None` once there are no more (the
/// file ended, could not be read further, or the consumer stopped). `spare` is a buffer done
/// with, to fill again (its capacity kept).
pub(crate) trait Blocks {
    fn next_block(&mut self, spare: Vec<u8>) -> Option<Piece>;
    /// A buffer no longer needed, when the file is done.
    fn give_back(&mut self, _buf: Vec<u8>) {}
}

/// One part to parse: a range of whole lines of a shared block, or a line too long to read.
enum Part {
    Lines(Arc<Vec<u8>>, Range<usize>),
    TooLong(Skip),
}

/// The parts not yet taken, which part is due to be handed over, and whether it is all over.
struct Queue {
    waiting: VecDeque<(usize, Part)>,
    /// Number of the next part queued.
    queued: usize,
    /// Number of the part due to be handed over.
    due: usize,
    /// No more parts will be queued.
    finished: bool,
    /// The consumer said stop, or a thread panicked.
    stopped: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops every thread when the one holding it panics, so none waits for a part that will
/// never come.
struct StopOnPanic<'t> {
    queue: &'t Mutex<Queue>,
    moved: &'t Condvar,
}

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.queue).stopped = true;
            self.moved.notify_all();
        }
    }
}

/// Parts queued ahead of the parsing before the reading thread reads another block (about
/// 3 MiB of lines: reading a block takes about as long as parsing a few parts, and the other
/// thread must not run dry meanwhile).
const AHEAD: usize = 12;

/// Parsed parts a thread holds while the part due is still the other's: it parses on rather
/// than wait.
const HELD: usize = 3;

/// What a thread does next.
enum Step {
    /// Hand over its oldest part: it is due.
    HandOver,
    Parse(usize, Part),
    /// Read the next block (the reading thread, when few parts are queued).
    Read,
    Done,
}

/// What both threads share.
struct Shared<'s, 'h, 'e> {
    queue: Mutex<Queue>,
    moved: Condvar,
    handover: Mutex<&'h mut Handover<'e>>,
    ctx: &'s FileContext,
    file_start: bool,
}

impl Shared<'_, '_, '_> {
    fn parse(&self, n: usize, part: Part) -> Parsed {
        let started = Instant::now();
        match part {
            Part::Lines(block, range) => {
                let lines = block.get(range).unwrap_or_default();
                let offset = usize::from(!(self.file_start && n == 0));
                let mut out = ParseOutcome::default();
                // Room for the part's events before it fills (records are rarely under 512
                // bytes), so the vector does not grow by doubling.
                out.events.reserve(lines.len() / 512);
                let count = parse_lines_into(lines, offset, self.ctx, &mut out);
                Parsed {
                    out,
                    lines: count,
                    offset,
                    took: started.elapsed(),
                }
            }
            Part::TooLong(skip) => Parsed {
                out: ParseOutcome {
                    skips: vec![skip],
                    records: 1,
                    ..ParseOutcome::default()
                },
                lines: 1,
                offset: 1,
                took: Duration::ZERO,
            },
        }
    }

    /// The next step of a thread holding `held` (oldest first); `reads` for the thread that
    /// reads the blocks. Waits while there is nothing to do.
    fn next(&self, held: &mut VecDeque<(usize, Parsed)>, reads: bool) -> Step {
        let mut q = lock(&self.queue);
        loop {
            if q.stopped {
                return Step::Done;
            }
            if held.front().is_some_and(|(n, _)| *n == q.due) {
                return Step::HandOver;
            }
            if reads && !q.finished && q.waiting.len() < AHEAD {
                return Step::Read;
            }
            if held.len() < HELD
                && let Some((n, part)) = q.waiting.pop_front()
            {
                return Step::Parse(n, part);
            }
            if held.is_empty() && q.finished && q.waiting.is_empty() {
                return Step::Done;
            }
            q = self.moved.wait(q).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// One thread's share: parse parts, hand its own over in their turn, and (`reader`) read
    /// the blocks.
    fn work<B: Blocks>(&self, mut reader: Option<&mut Reader<'_, B>>) {
        let _stop = StopOnPanic {
            queue: &self.queue,
            moved: &self.moved,
        };
        let mut held: VecDeque<(usize, Parsed)> = VecDeque::new();
        loop {
            match self.next(&mut held, reader.is_some()) {
                Step::Done => return,
                Step::HandOver => {
                    let Some((_, parsed)) = held.pop_front() else {
                        continue;
                    };
                    let flow = lock(&self.handover).deliver(parsed);
                    let mut q = lock(&self.queue);
                    q.due += 1;
                    q.stopped |= flow.is_break();
                    self.moved.notify_all();
                }
                Step::Parse(n, part) => held.push_back((n, self.parse(n, part))),
                Step::Read => {
                    if let Some(r) = reader.as_deref_mut() {
                        r.read(self);
                    }
                }
            }
        }
    }
}

/// The reading side: the source of blocks, the blocks whose parts may still be in use, and
/// the size parts are cut to.
struct Reader<'b, B> {
    blocks: &'b mut B,
    out: VecDeque<Arc<Vec<u8>>>,
    part_size: usize,
}

impl<B: Blocks> Reader<'_, B> {
    /// Reads the next block, into one both threads are done with, and queues its parts.
    fn read(&mut self, s: &Shared<'_, '_, '_>) {
        let spare = self
            .out
            .iter()
            .position(|b| Arc::strong_count(b) == 1)
            .and_then(|at| self.out.remove(at))
            .and_then(|b| Arc::try_unwrap(b).ok())
            .unwrap_or_default();
        let piece = self.blocks.next_block(spare);
        let mut q = lock(&s.queue);
        match piece {
            None => q.finished = true,
            Some(Piece::TooLong(skip)) => {
                let n = q.queued;
                q.queued += 1;
                q.waiting.push_back((n, Part::TooLong(skip)));
            }
            Some(Piece::Lines(lines)) => {
                let ranges: Vec<Range<usize>> = sub_parts(&lines, self.part_size).collect();
                let block = Arc::new(lines);
                for range in ranges {
                    let n = q.queued;
                    q.queued += 1;
                    q.waiting
                        .push_back((n, Part::Lines(Arc::clone(&block), range)));
                }
                self.out.push_back(block);
            }
        }
        s.moved.notify_all();
    }
}

/// Reads a file's blocks from `blocks` on this thread and parses their parts (about
/// `part_size` bytes of whole lines each) on this thread and a helper, handing each part's
/// events to `h` in file order. Stops once the consumer says stop. Without a helper (none
/// starts), this thread does it all, in order.
///
/// Each thread hands over the parts it parsed itself, in their turn; while the part due is
/// the other's, it parses on (up to [`HELD`] parts) rather than wait. Why each its own: a
/// part's events are then freed by the thread that allocated them, not returned to the other
/// thread's heap one by one. Handing over whatever part was ready on whichever thread was
/// free cost more: 0.52 s of CPU and 0.35 s of wall time against 0.48 s and 0.28 s (`vigil
/// rules hunt`, 100k-event benchmark corpus, ten alternating runs). The helper lives as long
/// as the file: started afresh for each block, it began each with a cold identity memo
/// ([`crate::memo`]) and both threads met at the end of every block.
pub(crate) fn parse_on_two(
    blocks: &mut impl Blocks,
    part_size: usize,
    ctx: &FileContext,
    h: &mut Handover<'_>,
) {
    let stopped = h.stopped;
    let shared = Shared {
        queue: Mutex::new(Queue {
            waiting: VecDeque::new(),
            queued: 0,
            due: 0,
            finished: stopped,
            stopped,
        }),
        moved: Condvar::new(),
        file_start: h.lines_before == 0,
        handover: Mutex::new(&mut *h),
        ctx,
    };
    let mut reader = Reader {
        blocks,
        out: VecDeque::new(),
        part_size,
    };
    std::thread::scope(|scope| {
        let helper = spawn_parser(scope, "vigil-parse-part", || {
            shared.work::<NoBlocks>(None);
        });
        shared.work(Some(&mut reader));
        if let Ok(helper) = helper
            && let Err(panic) = helper.join()
        {
            std::panic::resume_unwind(panic);
        }
    });
    let stopped = lock(&shared.queue).stopped;
    h.stopped |= stopped;
    for b in reader.out {
        if let Ok(b) = Arc::try_unwrap(b) {
            reader.blocks.give_back(b);
        }
    }
}

/// No blocks: the type of the helper's (absent) reader.
struct NoBlocks;

impl Blocks for NoBlocks {
    fn next_block(&mut self, _spare: Vec<u8>) -> Option<Piece> {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::limits::Limits;
    use crate::reason::{Location, SkipReason};
    use std::path::Path;

    fn line(i: usize) -> String {
        format!(
            r#"{{"eventTime":"2024-05-01T12:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"Get{i}","eventID":"id-{i}","awsRegion":"us-east-1"}}"#,
            i % 60
        )
    }

    /// `n` lines; every seventh is broken, so there are skips to number.
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

    /// Blocks of whole lines of about `size` bytes, handed out in order.
    struct Given(VecDeque<Piece>);

    impl Given {
        fn of(t: &str, size: usize) -> Self {
            let b = t.as_bytes();
            Given(
                sub_parts(b, size)
                    .map(|r| Piece::Lines(b[r].to_vec()))
                    .collect(),
            )
        }
    }

    impl Blocks for Given {
        fn next_block(&mut self, _spare: Vec<u8>) -> Option<Piece> {
            self.0.pop_front()
        }
    }

    fn ctx() -> FileContext {
        FileContext::for_path(Path::new("x.jsonl"), &Limits::default())
    }

    fn whole(t: &str) -> ParseOutcome {
        let mut whole = ParseOutcome::default();
        parse_lines_into(t.as_bytes(), 0, &ctx(), &mut whole);
        whole
    }

    #[test]
    fn parts_reach_the_consumer_in_order_with_their_lines_numbered_from_the_file_start() {
        let t = text(400);
        let whole = whole(&t);
        let want: Vec<String> = whole.events.iter().map(|e| e.id.clone()).collect();
        let want_lines: Vec<Option<usize>> = whole.skips.iter().map(|s| s.location.line).collect();
        assert!(want.len() > 300 && want_lines.len() > 50);
        for (block, part) in [(1, 1), (3000, 1), (3000, 700), (9000, 100), (1 << 20, 5000)] {
            let mut seen = Vec::new();
            let mut each = |v: &mut Vec<Event>| {
                seen.extend(v.drain(..).map(|e| e.id));
                ControlFlow::Continue(())
            };
            let mut h = Handover::new(&mut each);
            parse_on_two(&mut Given::of(&t, block), part, &ctx(), &mut h);
            let lines: Vec<Option<usize>> = h.skips.iter().map(|s| s.location.line).collect();
            assert_eq!(lines, want_lines, "blocks {block}, parts {part}");
            assert_eq!(h.records, whole.records);
            assert_eq!(h.lines_before, 400);
            assert!(!h.stopped);
            drop(h);
            assert_eq!(seen, want, "blocks {block}, parts {part}");
        }
    }

    #[test]
    fn a_line_too_long_is_numbered_where_it_stood() {
        let (a, b) = (text(50), text(30));
        let mut given = Given::of(&a, 500);
        let loc = Location {
            path: None,
            record: None,
            line: Some(2),
        };
        given.0.push_back(Piece::TooLong(Skip::new(
            SkipReason::RecordTooLarge,
            loc,
            "",
        )));
        given.0.extend(Given::of(&b, 700).0);
        let mut events = 0;
        let mut each = |v: &mut Vec<Event>| {
            events += v.len();
            v.clear();
            ControlFlow::Continue(())
        };
        let mut h = Handover::new(&mut each);
        parse_on_two(&mut given, 300, &ctx(), &mut h);
        let too_long: Vec<Option<usize>> = h
            .skips
            .iter()
            .filter(|s| s.reason == SkipReason::RecordTooLarge)
            .map(|s| s.location.line)
            .collect();
        assert_eq!(too_long, [Some(51)]);
        // The lines after it count on from it.
        let last = h.skips.last().unwrap().location.line.unwrap();
        assert_eq!(
            last,
            51 + whole(&b).skips.last().unwrap().location.line.unwrap()
        );
        assert_eq!(h.lines_before, 81);
        assert_eq!(h.records, 81);
        drop(h);
        assert_eq!(events, whole(&a).events.len() + whole(&b).events.len());
    }

    #[test]
    fn a_consumer_that_stops_gets_nothing_more() {
        let t = text(300);
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
        parse_on_two(&mut Given::of(&t, 1000), 200, &ctx(), &mut h);
        assert!(h.stopped);
        parse_on_two(&mut Given::of(&t, 1000), 200, &ctx(), &mut h);
        drop(h);
        assert_eq!(calls, 3);
    }

    #[test]
    fn a_consumer_that_panics_stops_both_threads_and_the_panic_comes_out() {
        let t = text(300);
        let mut calls = 0;
        let mut each = |v: &mut Vec<Event>| {
            calls += 1;
            v.clear();
            assert!(calls < 4, "the consumer fails");
            ControlFlow::Continue(())
        };
        let mut h = Handover::new(&mut each);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse_on_two(&mut Given::of(&t, 1000), 100, &ctx(), &mut h);
        }));
        drop(h);
        assert!(caught.is_err());
        assert_eq!(calls, 4);
    }

    #[test]
    fn leftover_events_come_again_first() {
        let t = text(200);
        let mut seen = Vec::new();
        let mut each = |v: &mut Vec<Event>| {
            // Takes all but the last event each time.
            let keep = v.pop();
            seen.extend(v.drain(..).map(|e| e.id));
            v.extend(keep);
            ControlFlow::Continue(())
        };
        let mut h = Handover::new(&mut each);
        parse_on_two(&mut Given::of(&t, 2000), 300, &ctx(), &mut h);
        let left: Vec<String> = h.carry.iter().map(|e| e.id.clone()).collect();
        drop(h);
        let mut want: Vec<String> = whole(&t).events.iter().map(|e| e.id.clone()).collect();
        let last = want.pop();
        assert_eq!(seen, want);
        assert_eq!(left, Vec::from_iter(last));
    }
}

//! `vigil rules hunt PATH...`: the whole detection path over files, with no store: read and
//! parse CloudTrail (any shape) or host events, normalise, then every rule, the baselines and
//! correlation, exactly as `vigil ingest` runs them. Prints what it found and how fast each
//! half went, so it is both a quick hunt and the Vigil side of the peer benchmark
//! (`scripts/bench_peers.py`). CloudTrail that comes in time order goes to detection part by
//! part as it is parsed; when the machine has a second core, both threads parse parts and
//! each detects its own parts in turn (`--threads 1` keeps it all on one, for
//! figures per core); anything else (a CloudTrail S3 tree, whose files overlap in time) is
//! read whole, two files at a time, and sorted first, with the same result.

use crate::cli::{Format, FormatArg};
use crate::detection;
use crate::exit::UnreadableInput;
use crate::output::{Table, cell, write_json};
use anyhow::{Context, Result};
use clap::Args;
use reorder::Reorder;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vigil_detect::Engine;
use vigil_ingest::Limits;
use vigil_model::{AlertKind, Event, Timestamp};

mod reorder;

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Files and directories of CloudTrail (or, with --host, host events).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Rule files or directories (repeatable); default: as `vigil ingest` finds them.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// The inputs are host events (agent JSON lines, Falco, auditd) instead of CloudTrail.
    #[arg(long)]
    pub host: bool,
    /// List at most this many alerts (composites and high first).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Threads: with 2, input in time order is parsed on both, each part detected in order by
    /// the thread that hands it in, and other input is read two files at a time before it is
    /// sorted; 1 does it all on one.
    /// Default: 2 when the machine has two cores or more.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub threads: Option<u8>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Serialize)]
struct HuntReport {
    files: usize,
    events: usize,
    /// Threads the hunt ran on (2: parts parsed on both and detected in turn, or files read two
    /// at a time).
    threads: usize,
    /// The input came in event-time order, or late by less than the reorder window (files of
    /// an S3 tree), so events went to detection as they were parsed; else see `reading`.
    in_order: bool,
    /// How the events reached detection.
    reading: Reading,
    skipped: usize,
    rules: usize,
    rule_problems: usize,
    rule_hits: u64,
    /// Events matched per rule, most first (rules that matched nothing are left out): where the
    /// volume comes from, and what other engines' per-rule counts compare with.
    hits_by_rule: Vec<RuleHits>,
    /// Cloud events whose rule decisions were looked up among those of earlier events with the
    /// same values in every field the rules read, and the share answered that way.
    rule_memo_lookups: u64,
    rule_memo_answered: f64,
    /// Time spent reading, parsing and normalising (on two threads, streaming: both threads'
    /// time parsing, summed).
    read_parse_seconds: f64,
    /// Time spent in detection (on two threads: its time on either).
    detect_seconds: f64,
    total_seconds: f64,
    /// End to end: read, parse, normalise, sort, detect.
    events_per_second: f64,
    detect_events_per_second: f64,
    alerts: usize,
    composites: usize,
    by_type: BTreeMap<String, usize>,
    top: Vec<TopAlert>,
}

#[derive(Debug, Serialize)]
struct RuleHits {
    id: String,
    title: String,
    severity: String,
    hits: u64,
}

#[derive(Debug, Serialize)]
struct TopAlert {
    id: String,
    #[serde(rename = "type")]
    alert_type: String,
    severity: String,
    title: String,
}

pub fn run(args: &HuntArgs) -> Result<()> {
    // The whole hunt runs on one thread with a parser's stack: deeply nested input is parsed in
    // place, and the events are freed by the thread that made them.
    std::thread::scope(|scope| {
        vigil_ingest::spawn_parser(scope, "vigil-hunt", || hunt(args))
            .context("cannot start the hunt thread")?
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the hunt thread panicked")))
    })
}

fn hunt(args: &HuntArgs) -> Result<()> {
    for r in &args.rules {
        if !r.exists() {
            return Err(UnreadableInput(format!("no rules at `{}`", r.display())).into());
        }
    }
    let config = detection::load_config(None)?;
    let (rules, loaded) = detection::load_rules(&args.rules, Path::new(""));
    let started = Instant::now();
    let found = vigil_ingest::discover(&args.paths);
    if !found.missing.is_empty() {
        let list: Vec<String> = found
            .missing
            .iter()
            .map(|(p, e)| format!("`{}` ({e})", p.display()))
            .collect();
        return Err(UnreadableInput(format!("cannot open {}", list.join(", "))).into());
    }
    let limits = Limits::default();
    let threads = match args.threads {
        Some(n) => usize::from(n),
        None if std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2 => 2,
        None => 1,
    };
    let engine = Engine::new(config, rules);
    // A file plainly shuffled from its first lines on would only fail to stream: straight to
    // the index.
    let streamed = if args.host || vigil_ingest::plainly_shuffled(&found.files, &limits) {
        Err(engine)
    } else {
        stream_in_order(&found.files, &limits, engine, threads >= 2)
    };
    // Not in time order: large JSON-lines files are indexed by time and read in that order;
    // else (or host events) everything is read, then sorted. Each starts over with the same
    // rules, forgetting what the attempt before saw.
    let run = match streamed {
        Ok(run) => run,
        Err(engine) => {
            let engine = engine.start_over();
            let index = if args.host {
                None
            } else {
                vigil_ingest::TimeIndex::new(&found.files, &limits)
            };
            let indexed = match index {
                Some(index) => read_by_time(&index, engine, threads),
                None => Err(engine),
            };
            match indexed {
                Ok(run) => run,
                Err(engine) => sort_then_detect(
                    &found.files,
                    args.host,
                    &limits,
                    engine.start_over(),
                    started,
                    threads,
                ),
            }
        }
    };
    let Run {
        mut engine,
        events,
        skipped,
        detect,
        parse,
        reading,
    } = run;
    engine.flush();
    let mut alerts = engine.take_alerts();
    let total = started.elapsed();
    let parsed = parse.unwrap_or_else(|| total.saturating_sub(detect));
    let stats = engine.stats();
    let remembered = engine.rule_decisions_remembered();
    alerts.sort_by(|a, b| {
        (b.kind == AlertKind::Composite)
            .cmp(&(a.kind == AlertKind::Composite))
            .then(b.severity.cmp(&a.severity))
            .then(a.id.cmp(&b.id))
    });
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for a in &alerts {
        *by_type.entry(a.alert_type.clone()).or_default() += 1;
    }
    let per_s = |n: usize, d: std::time::Duration| {
        let s = d.as_secs_f64();
        if s > 0.0 { n as f64 / s } else { 0.0 }
    };
    let report = HuntReport {
        files: found.files.len(),
        events,
        threads,
        in_order: reading == Reading::InOrder,
        reading,
        skipped,
        rules: loaded.rules,
        rule_problems: loaded.problems,
        rule_hits: stats.counters.rule_hits,
        hits_by_rule: engine
            .rule_hit_counts()
            .into_iter()
            .map(|(rule, hits)| RuleHits {
                id: rule.id.clone(),
                title: rule.title.clone(),
                severity: rule.severity.to_string(),
                hits,
            })
            .collect(),
        rule_memo_lookups: remembered.0,
        rule_memo_answered: if remembered.0 > 0 {
            remembered.1 as f64 / remembered.0 as f64
        } else {
            0.0
        },
        read_parse_seconds: parsed.as_secs_f64(),
        detect_seconds: detect.as_secs_f64(),
        total_seconds: total.as_secs_f64(),
        events_per_second: per_s(events, total),
        detect_events_per_second: per_s(events, detect),
        alerts: alerts.len(),
        composites: alerts
            .iter()
            .filter(|a| a.kind == AlertKind::Composite)
            .count(),
        by_type,
        top: alerts
            .iter()
            .take(args.limit)
            .map(|a| TopAlert {
                id: a.id.clone(),
                alert_type: a.alert_type.clone(),
                severity: a.severity.to_string(),
                title: a.title.clone(),
            })
            .collect(),
    };
    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Table => write_table(&mut out, &report)?,
    }
    out.flush()?;
    Ok(())
}

/// How the hunt read its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Reading {
    /// In time order (or late by less than the reorder window), detected as parsed.
    InOrder,
    /// Large JSON-lines files indexed by event time, then parsed and detected in that order.
    TimeIndex,
    /// Everything read whole, then sorted by time.
    Sorted,
}

/// What one pass of the hunt leaves: the engine after every event, and the counts.
struct Run {
    engine: Engine,
    events: usize,
    skipped: usize,
    /// Time spent in detection.
    detect: Duration,
    /// Time spent parsing, when that ran on two threads beside detection (else it is the rest).
    parse: Option<Duration>,
    reading: Reading,
}

/// Detection over CloudTrail files as they are parsed, when they come in time order or nearly:
/// each part the reader hands over (some 256 KiB of lines of a JSON-lines file, else a whole
/// file) goes through a [`Reorder`] window, which lets out, in exact time order, what no later
/// event may still precede (one file: each part sorted must follow the last; several files:
/// events may come up to 30 minutes late, as CloudTrail's S3 files do). The engine back as
/// soon as an event comes later than that: the caller starts over another way (the time
/// index, or everything read, then sorted), each ordering events exactly as the window does
/// (a stable sort by time). With
/// `two_threads`, a large file's parts are parsed on two threads, each thread handing its own
/// to the window and detection in turn
/// ([`vigil_ingest::read_cloudtrail_file_each`]).
///
/// Why: holding every event until the end costs a large corpus its size in fresh memory (about
/// 1.6 KB per CloudTrail event; fresh pages are zeroed by the kernel first) and detection a
/// cache miss on every field of every event; events detected as they come use the same few
/// megabytes over and over.
// The engine comes back by value once per hunt: its size does not matter.
#[allow(clippy::result_large_err)]
fn stream_in_order(
    files: &[PathBuf],
    limits: &Limits,
    mut engine: Engine,
    two_threads: bool,
) -> Result<Run, Engine> {
    let mut detect = Duration::ZERO;
    let mut parsing = Duration::ZERO;
    let mut window = Reorder::new(window_for(files));
    let mut ready: Vec<Event> = Vec::new();
    let mut in_order = true;
    let (mut events, mut skipped) = (0usize, 0usize);
    let mut consume = |ready: &mut Vec<Event>| detect_part(&mut engine, ready, &mut detect);
    let threads = if two_threads { 2 } else { 1 };
    for f in files {
        let out = vigil_ingest::read_cloudtrail_file_each(f, limits, threads, &mut |part| {
            if window.take(part, &mut ready).is_err() {
                in_order = false;
                return ControlFlow::Break(());
            }
            events += ready.len();
            consume(&mut ready);
            ControlFlow::Continue(())
        });
        parsing += out.parsing;
        if !in_order {
            break;
        }
        skipped += out.skips.len();
    }
    if in_order {
        window.finish(&mut ready);
        events += ready.len();
        consume(&mut ready);
    }
    if !in_order {
        return Err(engine);
    }
    Ok(Run {
        engine,
        events,
        skipped,
        detect,
        // On two threads, parsing and detection shared both: the parse figure is both
        // threads' time parsing (a file read whole is parsed on one, within the rest).
        parse: two_threads.then_some(parsing),
        reading: Reading::InOrder,
    })
}

/// Detection over JSON-lines files out of time order, read in the order of their time index
/// ([`vigil_ingest::TimeIndex`]): a part of lines at a time is parsed, detected and dropped, so
/// the events never all sit in memory. With two threads, both parse parts and each detects its
/// own in turn. The engine back when an event's time was not its
/// line's key (the caller starts over, reading everything and sorting it).
#[allow(clippy::result_large_err)]
fn read_by_time(
    index: &vigil_ingest::TimeIndex,
    mut engine: Engine,
    threads: usize,
) -> Result<Run, Engine> {
    let mut detect = Duration::ZERO;
    let read = index.read(threads, &mut |part: &mut Vec<Event>| {
        detect_part(&mut engine, part, &mut detect);
        ControlFlow::Continue(())
    });
    let Ok(out) = read else {
        return Err(engine);
    };
    Ok(Run {
        engine,
        events: out.events,
        skipped: out.skips.len(),
        detect,
        // On two threads, parsing and detection shared both: the parse figure is both
        // threads' time parsing.
        parse: (threads >= 2).then_some(out.parsing),
        reading: Reading::TimeIndex,
    })
}

/// Every event of `part` through detection, in order, then dropped; the time it took added to
/// `detect`.
fn detect_part(engine: &mut Engine, part: &mut Vec<Event>, detect: &mut Duration) {
    let t = Instant::now();
    for e in part.iter() {
        engine.process(e);
    }
    part.clear();
    *detect += t.elapsed();
}

/// How late an event may arrive and still stream: CloudTrail files read one after another
/// overlap by minutes ([`reorder::WINDOW_MS`]); within one file, parts are sorted and must
/// follow each other (a window of 0), so a large export in time order streams part by part
/// with nothing held back.
fn window_for(files: &[PathBuf]) -> i64 {
    if files.len() > 1 {
        reorder::WINDOW_MS
    } else {
        0
    }
}

/// Every file read, all events sorted by time (stable: ties keep input order), then detection.
///
/// Each file's events stay in the vector they were parsed into and only small
/// `(time, file, position)` keys are sorted: gathering the events into one vector doubled it
/// again and again into fresh memory, and page zeroing was 23 % of a hunt over the demo's
/// 5,108 CloudTrail files. Files are read on `threads` threads (each file whole, on one).
fn sort_then_detect(
    files: &[PathBuf],
    host: bool,
    limits: &Limits,
    mut engine: Engine,
    started: Instant,
    threads: usize,
) -> Run {
    let read = |f: &PathBuf| {
        if host {
            vigil_ingest::read_host_file(f, limits)
        } else {
            vigil_ingest::read_cloudtrail_file(f, limits)
        }
    };
    let outcomes = read_all(files, threads, &read);
    let skipped = outcomes.iter().map(|o| o.skips.len()).sum();
    let mut order: Vec<(Timestamp, usize, usize)> =
        Vec::with_capacity(outcomes.iter().map(|o| o.events.len()).sum());
    for (f, out) in outcomes.iter().enumerate() {
        order.extend(out.events.iter().enumerate().map(|(i, e)| (e.time, f, i)));
    }
    // (file, position) is input order, so this unstable sort is the stable sort by time.
    order.sort_unstable();
    let read = started.elapsed();
    for &(_, f, i) in &order {
        if let Some(e) = outcomes.get(f).and_then(|o| o.events.get(i)) {
            engine.process(e);
        }
    }
    Run {
        engine,
        events: order.len(),
        skipped,
        detect: started.elapsed().saturating_sub(read),
        parse: None,
        reading: Reading::Sorted,
    }
}

/// Event vectors this large keep their untouched room rather than be copied to shrink.
const SHRINK_BELOW_BYTES: usize = 4 << 20;

/// `read` over every file, results in file order: on this thread alone, or with `threads - 1`
/// more (each with a parser's stack) taking files one at a time from a shared counter. If a
/// helper cannot start, the threads that did (this one at least) read its share.
fn read_all(
    files: &[PathBuf],
    threads: usize,
    read: &(dyn Fn(&PathBuf) -> vigil_ingest::FileOutcome + Sync),
) -> Vec<vigil_ingest::FileOutcome> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<vigil_ingest::FileOutcome>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let (Some(f), Some(slot)) = (files.get(i), slots.get(i)) else {
                break;
            };
            let mut out = read(f);
            // Held until every file is read: room reserved for records that never came would
            // be held too (a fifth more memory over the demo's 5,108 small files). Only small
            // vectors, though: in a large one (a big file's, reserved from its size) the room
            // never used was never touched, so it holds no memory, and shrinking copied every
            // event into fresh pages the kernel had to zero (a sixth of the CPU time of a hunt
            // over the peers' 100k-event corpus).
            let bytes = out.events.capacity() * std::mem::size_of::<Event>();
            if out.events.capacity() > out.events.len() + out.events.len() / 8
                && bytes < SHRINK_BELOW_BYTES
            {
                out.events.shrink_to_fit();
            }
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(out);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads.min(files.len()) {
            // A helper that does not start leaves its files to the others.
            let _ = vigil_ingest::spawn_parser(scope, "vigil-hunt-read", work);
        }
        work();
    });
    slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_default()
        })
        .collect()
}

fn write_table(out: &mut impl Write, r: &HuntReport) -> std::io::Result<()> {
    writeln!(
        out,
        "hunt: {} event(s) from {} file(s) ({} skipped), {} rule(s) ({} problem(s)); {}",
        r.events,
        r.files,
        r.skipped,
        r.rules,
        r.rule_problems,
        match r.reading {
            Reading::InOrder => "input in time order, detected as parsed",
            Reading::TimeIndex => "indexed by time, then parsed and detected in that order",
            Reading::Sorted => "read whole, then sorted by time",
        }
    )?;
    writeln!(
        out,
        "  read+parse+normalise {:.3} s; detection (rules, baselines, correlation) {:.3} s = {:.0} events/s",
        r.read_parse_seconds, r.detect_seconds, r.detect_events_per_second
    )?;
    writeln!(
        out,
        "  end to end {:.3} s = {:.0} events/s; {} rule hit(s) -> {} alert(s), {} composite",
        r.total_seconds, r.events_per_second, r.rule_hits, r.alerts, r.composites
    )?;
    if r.rule_memo_lookups > 0 {
        writeln!(
            out,
            "  rule decisions: {:.1} % of {} lookups answered by an earlier event with the same values",
            r.rule_memo_answered * 100.0,
            r.rule_memo_lookups
        )?;
    }
    if !r.hits_by_rule.is_empty() {
        let most: Vec<String> = r
            .hits_by_rule
            .iter()
            .take(5)
            .map(|h| format!("{} {}", h.hits, cell(&h.title, 60)))
            .collect();
        writeln!(out, "  most hits: {}", most.join("; "))?;
    }
    if !r.top.is_empty() {
        let mut t = Table::new(vec!["SEVERITY", "TYPE", "ID", "TITLE"]);
        for a in &r.top {
            t.row(vec![
                a.severity.clone(),
                cell(&a.alert_type, 40),
                a.id.clone(),
                cell(&a.title, 100),
            ]);
        }
        t.write(out)?;
    }
    Ok(())
}

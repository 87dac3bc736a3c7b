//! `vigil ingest cloudtrail|host PATH...`: read files into the store and say what was skipped.

use crate::cli::{Format, IngestArgs};
use crate::cmd::feed::Timeline;
use crate::detection::{self, DetectFeed};
use crate::exit::UnreadableInput;
use crate::output::{cell, write_json};
use crate::pipeline::{self, IngestOptions, InputKind, PipelineSummary};
use crate::progress::Bar;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use vigil_store::Store;

pub fn run(store: &mut Store, kind: InputKind, args: &IngestArgs) -> Result<()> {
    let mut options = IngestOptions::new(kind);
    options.reread = args.reread;
    let data_dir = store
        .path()
        .and_then(|p| p.parent())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut feed = DetectFeed::load(store, &data_dir)?;
    let summary = pipeline::ingest(
        store,
        &args.paths,
        &options,
        &Bar::new(kind.as_str()),
        &mut feed,
    )?;
    let json = SummaryJson::new(kind, &summary, feed.timeline());
    let detect = feed.finish(store)?;
    // Detection may have rewritten a linked alert; scans of hosts may link new ones.
    crate::relink::link_hosts_and_keys(store).context("linking host and key alerts")?;
    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => {
            // The ingest summary stays at the top level; detection is one more field.
            let mut v = serde_json::to_value(&json)?;
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("detection".into(), serde_json::to_value(&detect)?);
            }
            write_json(&mut out, &v)?
        }
        Format::Table => {
            write_human(&mut out, &json)?;
            detection::write_human(&mut out, &detect)?;
            if args.bench {
                write_bench(&mut out, &summary)?;
            }
        }
    }
    out.flush()?;
    if !summary.missing.is_empty() {
        let list: Vec<String> = summary
            .missing
            .iter()
            .map(|(p, e)| format!("`{}` ({e})", p.display()))
            .collect();
        return Err(UnreadableInput(format!("cannot open {}", list.join(", "))).into());
    }
    Ok(())
}

/// The ingest summary, as `--format json` prints it.
#[derive(Debug, Serialize)]
pub struct SummaryJson {
    pub kind: &'static str,
    pub files_read: u64,
    pub files_unchanged: u64,
    pub files_ignored: u64,
    pub ignored: BTreeMap<String, u64>,
    pub bytes_read: u64,
    pub records_read: u64,
    pub events_new: u64,
    pub duplicates: u64,
    pub skipped_total: u64,
    pub skipped: BTreeMap<String, u64>,
    pub skip_examples: Vec<SkipJson>,
    pub missing: Vec<String>,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    /// Events handed to detection out of time order (always 0: the pipeline sorts).
    pub out_of_order: u64,
    pub elapsed_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct SkipJson {
    pub reason: String,
    pub path: Option<String>,
    pub record: Option<usize>,
    pub line: Option<usize>,
    pub detail: String,
}

impl SummaryJson {
    pub fn new(kind: InputKind, s: &PipelineSummary, feed: &Timeline) -> Self {
        let r = &s.report;
        let mut ignored = BTreeMap::new();
        for (_, why) in &r.files_ignored {
            *ignored.entry(why.to_string()).or_default() += 1;
        }
        SummaryJson {
            kind: kind.as_str(),
            files_read: r.files_read,
            files_unchanged: s.files_unchanged,
            files_ignored: r.files_ignored.len() as u64,
            ignored,
            bytes_read: r.bytes_read,
            records_read: r.records_read,
            events_new: s.events_new,
            duplicates: s.duplicates,
            skipped_total: r.skipped_total(),
            skipped: r.skips.iter().map(|(k, t)| (k.clone(), t.count)).collect(),
            skip_examples: r
                .skips
                .iter()
                .flat_map(|(code, t)| {
                    t.examples.iter().map(move |skip| SkipJson {
                        reason: code.clone(),
                        path: skip.location.path.as_ref().map(|p| p.display().to_string()),
                        record: skip.location.record,
                        line: skip.location.line,
                        detail: skip.detail.clone(),
                    })
                })
                .collect(),
            missing: s
                .missing
                .iter()
                .map(|(p, e)| format!("{}: {e}", p.display()))
                .collect(),
            first_event: s.first_event.map(|t| t.to_string()),
            last_event: s.last_event.map(|t| t.to_string()),
            out_of_order: feed.out_of_order,
            elapsed_ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

pub fn write_human(out: &mut impl Write, s: &SummaryJson) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: read {} file(s) ({}), {} unchanged since the last ingest, {} ignored",
        s.kind,
        s.files_read,
        human_bytes(s.bytes_read),
        s.files_unchanged,
        s.files_ignored
    )?;
    for (why, n) in &s.ignored {
        writeln!(out, "  ignored {n} × {why}")?;
    }
    writeln!(
        out,
        "  {} record(s) → {} new event(s), {} duplicate(s) already stored, {} skipped",
        s.records_read, s.events_new, s.duplicates, s.skipped_total
    )?;
    for (reason, n) in &s.skipped {
        writeln!(out, "  skipped {n} × {reason}")?;
        for ex in s.skip_examples.iter().filter(|e| &e.reason == reason) {
            let mut at = ex.path.clone().unwrap_or_default();
            if let Some(r) = ex.record {
                at.push_str(&format!(" record {r}"));
            }
            if let Some(l) = ex.line {
                at.push_str(&format!(" line {l}"));
            }
            writeln!(
                out,
                "      e.g. {}: {}",
                cell(&at, 120),
                cell(&ex.detail, 160)
            )?;
        }
    }
    for m in &s.missing {
        writeln!(out, "  cannot open {}", cell(m, 200))?;
    }
    if let (Some(a), Some(b)) = (&s.first_event, &s.last_event) {
        writeln!(out, "  new events span {a} .. {b}")?;
    }
    Ok(())
}

fn write_bench(out: &mut impl Write, s: &PipelineSummary) -> std::io::Result<()> {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let r = &s.report;
    writeln!(
        out,
        "  bench: {:.2}s, {:.0} records/s, {:.1} MB/s read from disk, {:.0} new events/s stored; detection over the new events took {:.2}s of it",
        secs,
        r.records_read as f64 / secs,
        r.bytes_read as f64 / secs / 1e6,
        s.events_new as f64 / secs,
        s.detect_elapsed.as_secs_f64()
    )
}

pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

//! [`IngestReport`]: what a run read, ignored and skipped, for the CLI's summary.

use crate::discover::Discovery;
use crate::read::FileOutcome;
use crate::reason::{IgnoreReason, Skip};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// How many examples of each skip reason a report keeps.
pub const EXAMPLES_PER_REASON: usize = 5;

/// Skips of one reason: the count and the first few.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReasonTally {
    pub count: u64,
    pub examples: Vec<Skip>,
}

/// Totals over a run. Add outcomes in file order for deterministic examples.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub files_read: u64,
    pub files_ignored: Vec<(PathBuf, IgnoreReason)>,
    pub bytes_read: u64,
    pub records_read: u64,
    pub events: u64,
    /// By reason code (`invalid_json`, `missing_field:eventTime`, ...).
    pub skips: BTreeMap<String, ReasonTally>,
}

impl IngestReport {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_skip(&mut self, skip: &Skip) {
        let t = self.skips.entry(skip.reason.code()).or_default();
        t.count += 1;
        if t.examples.len() < EXAMPLES_PER_REASON {
            t.examples.push(skip.clone());
        }
    }

    /// Records the ignored and unwalkable entries of a discovery.
    pub fn add_discovery(&mut self, d: &Discovery) {
        self.files_ignored.extend(d.ignored.iter().cloned());
        for s in &d.skipped {
            self.add_skip(s);
        }
    }

    /// Records one file's outcome (its events are counted, not kept).
    pub fn add_file(&mut self, outcome: &FileOutcome) {
        self.files_read += 1;
        self.bytes_read += outcome.bytes_read;
        self.records_read += outcome.records;
        self.events += outcome.events.len() as u64;
        for s in &outcome.skips {
            self.add_skip(s);
        }
    }

    pub fn skipped_total(&self) -> u64 {
        self.skips.values().map(|t| t.count).sum()
    }

    /// The count for one reason code.
    pub fn skipped(&self, code: &str) -> u64 {
        self.skips.get(code).map_or(0, |t| t.count)
    }
}

impl fmt::Display for IngestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "read {} file(s), {} record(s) → {} event(s); {} skipped; {} file(s) ignored",
            self.files_read,
            self.records_read,
            self.events,
            self.skipped_total(),
            self.files_ignored.len()
        )?;
        let mut ignored: BTreeMap<String, u64> = BTreeMap::new();
        for (_, r) in &self.files_ignored {
            *ignored.entry(r.to_string()).or_default() += 1;
        }
        for (reason, n) in &ignored {
            writeln!(f, "  ignored {reason}: {n}")?;
        }
        for (code, t) in &self.skips {
            writeln!(f, "  skipped {code}: {}", t.count)?;
            for e in &t.examples {
                writeln!(f, "    {e}")?;
            }
        }
        Ok(())
    }
}

//! How big the analysis report of a generated account is, and how long each phase takes:
//! `cargo run --release -p vigil-iam --example report_size -- 10000`.
//! Prints one line per phase (wall time) and the bytes of the report as
//! `vigil iam analyze --format json` writes it (pretty JSON). Run it under `/usr/bin/time` for
//! the CPU time and peak memory of the whole run.

use std::io::Write;
use std::time::Instant;
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;

/// Counts what is written and throws it away.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|e| format!("principal count `{a}`: {e}"))?,
        None => 10_000,
    };
    let bytes = serde_json::to_vec(&vigil_iam::synth::account_json(n))?;
    let t = Instant::now();
    let account = Account::from_authorization_details(&bytes)?;
    let a = Analysis::run(&account, None, &[], &Options::default());
    let analysed = t.elapsed();
    let t = Instant::now();
    let mut pretty = Counter(0);
    serde_json::to_writer_pretty(&mut pretty, &a.report)?;
    let mut compact = Counter(0);
    serde_json::to_writer(&mut compact, &a.report)?;
    let written = t.elapsed();
    let mut sets = Counter(0);
    serde_json::to_writer_pretty(&mut sets, &a.report.link_sets)?;
    println!(
        "{n} principals: analysis {:.2} s; report {:.1} MB pretty ({:.1} MB of it the {} link sets), {:.1} MB compact; both written in {:.2} s",
        analysed.as_secs_f64(),
        pretty.0 as f64 / 1e6,
        sets.0 as f64 / 1e6,
        a.report.link_sets.len(),
        compact.0 as f64 / 1e6,
        written.as_secs_f64()
    );
    Ok(())
}

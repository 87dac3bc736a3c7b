//! Writes the generated account of the benches (`vigil_iam::synth`) as
//! `get-account-authorization-details` JSON, so the CLI can be timed on it end to end:
//! `cargo run --release -p vigil-iam --example synth_account -- 10000 > big.json`.

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|e| format!("principal count `{a}`: {e}"))?,
        None => 10_000,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &vigil_iam::synth::account_json(n))?;
    out.flush()?;
    Ok(())
}

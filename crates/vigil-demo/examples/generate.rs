//! Generates the demo and prints the manifest's counts and the time taken:
//! `cargo run --release -p vigil-demo --example generate -- OUT_DIR [SCALE] [SEED]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: generate OUT_DIR [SCALE] [SEED]")?,
    );
    let mut config = vigil_demo::DemoConfig::default();
    if let Some(s) = args.next() {
        config.scale = s.parse()?;
    }
    if let Some(s) = args.next() {
        config.seed = s.parse()?;
    }
    let started = Instant::now();
    let manifest = vigil_demo::generate(&out, &config)?;
    let took = started.elapsed();
    println!("{}", serde_json::to_string_pretty(&manifest.counts)?);
    println!(
        "scale {} generated in {:.2} s ({:.0} CloudTrail records/s)",
        config.scale,
        took.as_secs_f64(),
        manifest.counts.cloudtrail_records as f64 / took.as_secs_f64()
    );
    Ok(())
}

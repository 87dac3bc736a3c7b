//! Runs the bench corpus through the engine N times (for `perf record`):
//! `cargo run --release -p vigil-detect --example profile_corpus -- [ROUNDS] [norules]`.

use std::time::Instant;
use vigil_detect::{DetectConfig, Engine, NoRules, RuleMatcher, SigmaRules};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    let norules = args.next().as_deref() == Some("norules");
    let dir = std::env::temp_dir().join(format!("vigil-detect-profile-{}", std::process::id()));
    let config = vigil_demo::DemoConfig {
        scale: 4,
        ..vigil_demo::DemoConfig::default()
    };
    vigil_demo::generate(&dir, &config)?;
    let found = vigil_ingest::discover(&[dir.join("cloudtrail")]);
    let mut events = Vec::new();
    for f in &found.files {
        events
            .extend(vigil_ingest::read_cloudtrail_file(f, &vigil_ingest::Limits::default()).events);
    }
    std::fs::remove_dir_all(&dir)?;
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    let skip = events.len().saturating_sub(100_000);
    events.drain(..skip);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dirs: Vec<_> = [
        root.join("../shared/data/sigma/rules/cloud/aws/cloudtrail"),
        root.join("rules"),
    ]
    .into_iter()
    .filter(|p| p.is_dir())
    .collect();
    for _ in 0..rounds {
        let rules: Box<dyn RuleMatcher> = if norules || dirs.is_empty() {
            Box::new(NoRules)
        } else {
            Box::new(SigmaRules::new(vigil_sigma::RuleSet::load_paths(&dirs).0))
        };
        let mut engine = Engine::new(DetectConfig::default(), rules);
        let t = Instant::now();
        for e in &events {
            engine.process(e);
        }
        engine.flush();
        let alerts = engine.take_alerts();
        let s = t.elapsed().as_secs_f64();
        let st = engine.stats();
        println!(
            "{} events in {s:.3}s = {:.0} events/s; {} alerts; {} findings; {} incidents; {} rule hits",
            events.len(),
            events.len() as f64 / s,
            alerts.len(),
            st.correlation.findings,
            st.correlation.incidents,
            st.counters.rule_hits
        );
    }
    Ok(())
}

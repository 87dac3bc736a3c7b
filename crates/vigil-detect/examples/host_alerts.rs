//! Runs agent JSON-lines files through the engine and prints the alerts (host detection on
//! real agent output): `cargo run -p vigil-detect --example host_alerts -- FILE.jsonl...`.

use vigil_detect::{DetectConfig, Engine, NoRules};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut events = Vec::new();
    for path in std::env::args().skip(1) {
        let out = vigil_ingest::read_host_file(path.as_ref(), &vigil_ingest::Limits::default());
        eprintln!(
            "{path}: {} events, {} skipped",
            out.events.len(),
            out.skips.len()
        );
        events.extend(out.events);
    }
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    let mut engine = Engine::new(DetectConfig::default(), Box::new(NoRules));
    for e in &events {
        engine.process(e);
    }
    engine.flush();
    let mut alerts = engine.take_alerts();
    alerts.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| a.id.cmp(&b.id))
    });
    for a in &alerts {
        println!("{} {} {} {}", a.id, a.alert_type, a.severity, a.title);
        if a.children.is_empty() {
            continue;
        }
        for e in &a.evidence {
            println!("    {} {}", e.time, e.summary);
        }
    }
    Ok(())
}

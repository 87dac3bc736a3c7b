//! End-to-end detection throughput: identity resolution, the SigmaHQ CloudTrail rules (and
//! Vigil's pack when present), baselines and correlation over 100k demo CloudTrail events, on
//! one core. Parsing is not included (that is the ingest bench); events are pre-parsed.
//!
//! `cargo bench -p vigil-detect --bench detect`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use vigil_detect::{DetectConfig, Engine, NoRules, RuleMatcher, SigmaRules};
use vigil_model::Event;

const CORPUS: usize = 100_000;

fn corpus() -> Vec<Event> {
    let dir = std::env::temp_dir().join(format!("vigil-detect-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = vigil_demo::DemoConfig {
        scale: 4,
        ..vigil_demo::DemoConfig::default()
    };
    if let Err(e) = vigil_demo::generate(&dir, &config) {
        panic!("cannot generate the demo corpus: {e}");
    }
    let found = vigil_ingest::discover(&[dir.join("cloudtrail")]);
    let mut events = Vec::new();
    for f in &found.files {
        events
            .extend(vigil_ingest::read_cloudtrail_file(f, &vigil_ingest::Limits::default()).events);
    }
    let _ = std::fs::remove_dir_all(&dir);
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    // The last 100k events: the attack day and the weeks before it.
    let skip = events.len().saturating_sub(CORPUS);
    events.drain(..skip);
    events
}

fn rule_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        root.join("../shared/data/sigma/rules/cloud/aws/cloudtrail"),
        root.join("rules"),
    ]
    .into_iter()
    .filter(|p| p.is_dir())
    .collect()
}

fn sigma() -> Box<dyn RuleMatcher> {
    let dirs = rule_dirs();
    if dirs.is_empty() {
        return Box::new(NoRules);
    }
    Box::new(SigmaRules::new(vigil_sigma::RuleSet::load_paths(&dirs).0))
}

fn bench(c: &mut Criterion) {
    let events = corpus();
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.sample_size(10);
    eprintln!(
        "corpus: {} events; rules: {}",
        events.len(),
        sigma().rule_count()
    );
    g.bench_function("end_to_end_100k", |b| {
        b.iter_batched(
            || Engine::new(DetectConfig::default(), sigma()),
            |mut engine| {
                for e in &events {
                    engine.process(e);
                }
                engine.flush();
                let alerts = engine.take_alerts();
                (engine, alerts)
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("baselines_and_correlation_only_100k", |b| {
        b.iter_batched(
            || Engine::new(DetectConfig::default(), Box::new(NoRules)),
            |mut engine| {
                for e in &events {
                    engine.process(e);
                }
                engine.flush();
                let alerts = engine.take_alerts();
                (engine, alerts)
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
    // Memory per baselined identity after the corpus.
    let mut engine = Engine::new(DetectConfig::default(), sigma());
    for e in &events {
        engine.process(e);
    }
    let s = engine.stats();
    eprintln!(
        "identities {}, baseline bytes total {}, per identity {} (max {}), live sessions {}",
        s.identities,
        s.baseline_bytes,
        s.baseline_bytes_per_identity,
        s.baseline_bytes_max,
        s.live_sessions
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

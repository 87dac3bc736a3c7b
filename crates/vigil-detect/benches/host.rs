//! Host detection throughput: the demo's agent events (process table, host detectors,
//! correlation; with and without the SigmaHQ Linux rules) on one core. Events are pre-parsed.
//!
//! `cargo bench -p vigil-detect --bench host`
//!
//! 2026-11-26 (76k events, load ~1.3): detectors only 1.42M events/s; with the 188 Linux rules
//! 562k/s (issue 4's target: 500k). What got it there: pruning the process table from an exit
//! queue, auditd rules filed under `a0`, and the literal prefilter searching the program and
//! parent program as well as the command line (process rules run on every start: 9 -> 1).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use vigil_detect::{DetectConfig, Engine, NoRules, RuleMatcher, SigmaRules};
use vigil_model::Event;

fn corpus() -> Vec<Event> {
    let dir = std::env::temp_dir().join(format!("vigil-host-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = vigil_demo::DemoConfig {
        scale: 4,
        ..vigil_demo::DemoConfig::default()
    };
    if let Err(e) = vigil_demo::generate(&dir, &config) {
        panic!("cannot generate the demo corpus: {e}");
    }
    let mut events = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir.join("agent")) {
        for entry in rd.flatten() {
            let out = vigil_ingest::read_host_file(&entry.path(), &vigil_ingest::Limits::default());
            events.extend(out.events);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    events
}

fn linux_rules() -> Box<dyn RuleMatcher> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigma/rules/linux");
    if !dir.is_dir() {
        return Box::new(NoRules);
    }
    Box::new(SigmaRules::new(vigil_sigma::RuleSet::load_paths(&[dir]).0))
}

fn run(events: &[Event], rules: Box<dyn RuleMatcher>) -> usize {
    let mut engine = Engine::new(DetectConfig::default(), rules);
    for e in events {
        engine.process(e);
    }
    engine.flush();
    engine.take_alerts().len()
}

fn bench(c: &mut Criterion) {
    let events = corpus();
    eprintln!("corpus: {} host events", events.len());
    let mut g = c.benchmark_group("host");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.sample_size(10);
    g.bench_function("detectors_only", |b| {
        b.iter_batched(
            || Box::new(NoRules),
            |r| run(&events, r),
            BatchSize::LargeInput,
        );
    });
    g.bench_function("with_sigma_linux", |b| {
        b.iter_batched(linux_rules, |r| run(&events, r), BatchSize::LargeInput);
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

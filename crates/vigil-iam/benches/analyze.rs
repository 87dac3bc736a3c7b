//! Full analysis speed: the cloudsplaining lab account (122 principals, every catalogue action
//! expanded for each) and a generated 10,000-principal account.
//!
//! `VIGIL_IAM_SOURCES=/work/shared/data/iam cargo bench -p vigil-iam --bench analyze`

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;

fn lab_bytes() -> Option<Vec<u8>> {
    let root = std::env::var_os("VIGIL_IAM_SOURCES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/iam")
        });
    std::fs::read(root.join("cloudsplaining/examples/files/example.json")).ok()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("iam");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    if let Some(bytes) = lab_bytes() {
        g.bench_function("lab_account_full_analysis_122_principals", |b| {
            b.iter(|| {
                let acct = Account::from_authorization_details(&bytes).unwrap_or_default();
                let a = Analysis::run(&acct, None, &[], &Options::default());
                std::hint::black_box(a.report.identities.len())
            })
        });
    } else {
        eprintln!("lab account not found; set VIGIL_IAM_SOURCES");
    }
    let n: usize = std::env::var("VIGIL_IAM_BENCH_PRINCIPALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let big = serde_json::to_vec(&vigil_iam::synth::account_json(n)).unwrap_or_default();
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.bench_function(
        format!("generated_account_full_analysis_{n}_principals"),
        |b| {
            b.iter(|| {
                let acct = Account::from_authorization_details(&big).unwrap_or_default();
                let a = Analysis::run(&acct, None, &[], &Options::default());
                std::hint::black_box(a.report.identities.len())
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Throughput of agentless scanning on a real tree (`VIGIL_BENCH_TREE`; a debootstrapped Debian
//! rootfs is the reference input). Without it, a deterministic synthetic tree
//! (`support/synthetic_tree.rs`) is written under the target directory and used instead.
//! - `secrets`: the secret scanner alone over the tree's text files held in memory, one core;
//!   also printed per CPU second (the thread's own run time), which holds on a loaded machine;
//! - `scan/dir`: the whole scan (walk, catalogue, secrets, match) from the directory;
//! - `scan/ext4`: the same tree as a raw ext4 image made with `mkfs.ext4 -d`.
//!
//! Throughput is reported in bytes; files/s = files ÷ time (printed once).
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/synthetic_tree.rs"]
mod synthetic_tree;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Instant;
use vigil_scan::fs::{DirFs, FileKind, Filesystem, open_disk, walk};
use vigil_scan::secrets::SecretScanner;
use vigil_scan::vulndb::VulnDb;
use vigil_scan::{ScanOptions, scan};

fn tree() -> PathBuf {
    if let Some(t) = std::env::var_os("VIGIL_BENCH_TREE") {
        return PathBuf::from(t);
    }
    // target/release/deps/<bench> → target/vigil-bench-tree
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let root = target.join("vigil-bench-tree");
    let bytes = synthetic_tree::build(&root).unwrap();
    println!(
        "VIGIL_BENCH_TREE unset: wrote a synthetic tree of {:.1} MB at {}",
        bytes as f64 / 1e6,
        root.display()
    );
    root
}

/// This thread's time on a CPU, in nanoseconds (Linux schedstat); `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn scanner() -> SecretScanner {
    let gitleaks = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/secrets/gitleaks/config/gitleaks.toml");
    let text = std::fs::read_to_string(gitleaks).unwrap_or_default();
    SecretScanner::new(&[&text]).unwrap()
}

fn bench(c: &mut Criterion) {
    let root = tree();
    let fs = DirFs::new(&root);
    let mut problems = Vec::new();
    let mut files = Vec::new();
    walk(&fs, &mut problems, |e| {
        if e.kind == FileKind::File && e.size <= 32 << 20 {
            files.push(e.path.clone());
        }
    });
    let mut corpus: Vec<(String, Vec<u8>)> = Vec::new();
    for f in &files {
        if let Ok(b) = fs.read(f, 32 << 20)
            && !b.get(..b.len().min(8192)).unwrap_or_default().contains(&0)
        {
            corpus.push((f.clone(), b));
        }
    }
    let text_bytes: u64 = corpus.iter().map(|(_, b)| b.len() as u64).sum();
    let s = scanner();
    let db = VulnDb::default();
    let opts = ScanOptions {
        skip: Vec::new(),
        ..ScanOptions::default()
    };

    // Warm up once (lazy DFA states are built on first use), then time on the CPU clock.
    let findings: usize = corpus.iter().map(|(p, b)| s.scan(p, b).len()).sum();
    let rounds = 5;
    let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
    for _ in 0..rounds {
        std::hint::black_box(
            corpus
                .iter()
                .map(|(p, b)| s.scan(p, b).len())
                .sum::<usize>(),
        );
    }
    let wall = wall0.elapsed().as_secs_f64();
    let mb = text_bytes as f64 * f64::from(rounds) / 1e6;
    match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) => println!(
            "secrets, one core: {:.1} MB of text in {} files, {findings} findings; {:.1} MB/s per CPU second, {:.1} MB/s wall",
            text_bytes as f64 / 1e6,
            corpus.len(),
            mb / ((b - a) as f64 / 1e9),
            mb / wall
        ),
        _ => println!("secrets, one core: {:.1} MB/s wall", mb / wall),
    }
    let mut g = c.benchmark_group("secrets");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text_bytes));
    g.bench_function("one_core", |b| {
        b.iter(|| {
            corpus
                .iter()
                .map(|(p, bytes)| s.scan(p, bytes).len())
                .sum::<usize>()
        })
    });
    g.finish();

    let t = Instant::now();
    let report = scan(&fs, "bench", &db, Some(&s), &opts, &mut |_| {});
    let secs = t.elapsed().as_secs_f64();
    println!(
        "tree {}: {} files, {:.1} MB read ({:.1} MB text), one whole dir scan {:.2} s = {:.0} files/s, {:.1} MB/s",
        root.display(),
        report.stats.files,
        report.stats.bytes as f64 / 1e6,
        text_bytes as f64 / 1e6,
        secs,
        report.stats.files as f64 / secs,
        report.stats.bytes as f64 / 1e6 / secs
    );
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(report.stats.bytes));
    g.bench_function("dir", |b| {
        b.iter(|| {
            scan(&fs, "bench", &db, Some(&s), &opts, &mut |_| {})
                .stats
                .files
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("tree.img");
    let size_mb = (report.stats.bytes / (1 << 20)) * 2 + 64 + report.stats.files / 100;
    let ok = std::process::Command::new("mkfs.ext4")
        .args([
            "-q",
            "-F",
            "-N",
            &format!("{}", report.stats.files * 2 + 10_000),
            "-d",
        ])
        .arg(&root)
        .arg(&img)
        .arg(format!("{size_mb}M"))
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        let (parts, _) = open_disk(&img).unwrap();
        let part = parts.into_iter().next().unwrap();
        let t = Instant::now();
        let r = scan(&part.fs, "bench", &db, Some(&s), &opts, &mut |_| {});
        let secs = t.elapsed().as_secs_f64();
        println!(
            "ext4 image of the tree: {} files, one whole scan {:.2} s = {:.0} files/s, {:.1} MB/s",
            r.stats.files,
            secs,
            r.stats.files as f64 / secs,
            r.stats.bytes as f64 / 1e6 / secs
        );
        g.throughput(Throughput::Bytes(r.stats.bytes));
        g.bench_function("ext4", |b| {
            b.iter(|| {
                scan(&part.fs, "bench", &db, Some(&s), &opts, &mut |_| {})
                    .stats
                    .files
            })
        });
    } else {
        println!("mkfs.ext4 failed or missing: ext4 bench skipped");
    }
    g.finish();
    let _ = part_describe(&fs);
}

fn part_describe(fs: &dyn Filesystem) -> String {
    fs.describe()
}

criterion_group!(benches, bench);
criterion_main!(benches);

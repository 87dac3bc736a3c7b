//! The alert list API over 100k stored alerts: one filtered page over real HTTP on 127.0.0.1,
//! the way the console asks for it. Target: well under 100 ms per page.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use vigil_model::{
    Alert, AlertKind, AlertStatus, EntityKind, EntityRef, Evidence, MitreRef, Severity, Timestamp,
};
use vigil_server::{Server, ServerConfig};

const ALERTS: usize = 100_000;
const TOKEN: &str = "bench-token-0123456789abcdef";
const TYPES: [&str; 8] = [
    "compromised_aws_keys",
    "compromised_host",
    "data_exfiltration",
    "defense_evasion",
    "cloud_ransomware",
    "cryptomining",
    "iam_change",
    "new_region",
];

fn alert(i: usize) -> Alert {
    let t = Timestamp::from_secs(1_780_000_000 + (i as i64) * 37);
    let key = format!("AKIA{:016}", i % 5_000);
    Alert {
        id: format!("alert-{i:06}"),
        alert_type: TYPES[i % TYPES.len()].to_string(),
        kind: if i.is_multiple_of(10) {
            AlertKind::Composite
        } else {
            AlertKind::Rule
        },
        severity: Severity::ALL[i % 5],
        title: format!("Alert number {i} about {key}"),
        description: "x".repeat(200),
        first_seen: t,
        last_seen: t.plus_millis(60_000),
        entities: vec![
            EntityRef::new(EntityKind::AccessKey, key),
            EntityRef::new(EntityKind::Host, format!("i-{:08x}", i % 2_000)),
        ],
        evidence: (0..5)
            .map(|j| Evidence {
                event_id: format!("ev-{i}-{j}"),
                time: t,
                summary: "user/someone called ec2:DescribeInstances in eu-west-1".into(),
            })
            .collect(),
        mitre: vec![MitreRef {
            tactic: "TA0007".into(),
            technique: Some("T1580".into()),
        }],
        children: vec![],
        status: [
            AlertStatus::New,
            AlertStatus::Investigating,
            AlertStatus::Resolved,
            AlertStatus::FalsePositive,
        ][i % 4],
        score: (i % 100) as f64,
        related: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = vigil_store::Store::open(dir.path()).unwrap();
    let alerts: Vec<Alert> = (0..ALERTS).map(alert).collect();
    for chunk in alerts.chunks(10_000) {
        store.upsert_alerts(chunk).unwrap();
    }
    store.optimize().unwrap();
    drop(store);
    let server = Server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        admin_token: Some(TOKEN.into()),
        allow_anonymous_loopback: false,
    })
    .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into();
    let base = format!("http://{}", server.addr());
    let auth = format!("Bearer {TOKEN}");
    let mut group = c.benchmark_group("alert_list_api_100k");
    for (name, query) in [
        (
            "severity_status_type",
            "severity=high&status=new,investigating&type=compromised_aws_keys,data_exfiltration&limit=50",
        ),
        ("entity", "entity=AKIA0000000000000042&limit=50"),
        (
            "time_window_page_3",
            "since=2026-05-30T00:00:00Z&until=2026-06-15T00:00:00Z&severity=medium&limit=50&offset=100",
        ),
        ("unfiltered_first_page", "limit=50"),
    ] {
        let url = format!("{base}/api/v1/alerts?{query}");
        let body = agent
            .get(&url)
            .header("Authorization", &auth)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        assert!(
            body.contains("\"alerts\":[{"),
            "{name} returns alerts: {}",
            &body[..body.len().min(200)]
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut r = agent
                    .get(&url)
                    .header("Authorization", &auth)
                    .call()
                    .unwrap();
                r.body_mut().read_to_string().unwrap().len()
            })
        });
    }
    group.finish();
    server.stop().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);

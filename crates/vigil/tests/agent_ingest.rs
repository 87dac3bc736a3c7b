//! `vigil agent` writes events that `vigil ingest host` stores with nothing skipped, and
//! `vigil ingest host` takes Falco alerts and audit logs as well, idempotently.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{ok_json as json, vigil};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn ingest_host(data_dir: &Path, path: &Path) -> Value {
    json(&vigil(
        data_dir,
        &[
            "ingest",
            "host",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--reread",
        ],
    ))
}

fn ingest_fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-ingest/tests/fixtures")
        .join(rel)
}

#[test]
fn agent_output_ingests_without_skips() {
    if !nix_is_root() {
        eprintln!("SKIPPED: `vigil agent` needs root (netlink process connector, fanotify)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("agent.jsonl");
    let mut agent = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["agent", "--output"])
        .arg(&out)
        .arg("--spool-dir")
        .arg(dir.path().join("spool"))
        .args([
            "--host-id",
            "cli-test",
            "--duration-secs",
            "3",
            "--batch-ms",
            "200",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    for cmd in ["whoami", "id", "uname"] {
        Command::new(cmd).output().unwrap();
    }
    assert!(agent.wait().unwrap().success());
    let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
    assert!(lines > 0, "the agent wrote events");
    let data = dir.path().join("data");
    let s = ingest_host(&data, &out);
    assert_eq!(s["skipped_total"], 0, "{s}");
    assert_eq!(s["events_new"].as_u64().unwrap(), lines, "{s}");
    let again = ingest_host(&data, &out);
    assert_eq!(again["events_new"], 0, "re-ingest adds nothing: {again}");
    assert_eq!(again["duplicates"].as_u64().unwrap(), lines);
}

#[test]
fn falco_and_auditd_files_ingest_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let falco = ingest_host(&data, &ingest_fixture("falco/alerts.jsonl"));
    assert_eq!(falco["events_new"], 5, "{falco}");
    assert_eq!(falco["skipped"]["unsupported:falco_source"], 1, "{falco}");
    assert_eq!(falco["skipped"]["invalid_json"], 1, "{falco}");
    let audit = ingest_host(&data, &ingest_fixture("auditd/host-story.log"));
    assert_eq!(audit["events_new"], 5, "{audit}");
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/auditd/laurel-auditd/src/testdata");
    assert!(
        real.is_dir(),
        "the real auditd logs are missing: {}",
        real.display()
    );
    // Named one by one: a directory walk reads only JSON files and auditd's `audit.log*`.
    let mut logs: Vec<String> = std::fs::read_dir(&real)
        .unwrap()
        .chain(std::fs::read_dir(real.join("tree")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt") && !p.ends_with("README.txt"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    logs.sort();
    let ingest_all = || {
        let mut args = vec!["ingest", "host", "--format", "json", "--reread"];
        args.extend(logs.iter().map(String::as_str));
        json(&vigil(&data, &args))
    };
    let first = ingest_all();
    // 52 events, of which 4 appear twice: `shell-proc-trace-reordered.txt` is the same kernel
    // events as `shell-proc-trace.txt` in another order, so they share ids.
    assert_eq!(
        (first["events_new"].as_u64(), first["duplicates"].as_u64()),
        (Some(48), Some(4)),
        "{first}"
    );
    assert_eq!(first["skipped_total"], 103, "{first}");
    let again = ingest_all();
    assert_eq!(again["events_new"], 0, "{again}");
    assert_eq!(again["duplicates"], 52, "{again}");
    // auditd's own file name is found in a directory walk.
    let logdir = dir.path().join("var-log-audit");
    std::fs::create_dir_all(&logdir).unwrap();
    std::fs::copy(
        ingest_fixture("auditd/host-story.log"),
        logdir.join("audit.log"),
    )
    .unwrap();
    let walked = ingest_host(&data, &logdir);
    assert_eq!(
        (walked["files_read"].as_u64(), walked["duplicates"].as_u64()),
        (Some(1), Some(5)),
        "{walked}"
    );
    let events = json(&vigil(
        &data,
        &["events", "--source", "auditd", "--format", "json"],
    ));
    let n = events
        .as_array()
        .map(Vec::len)
        .or_else(|| events["events"].as_array().map(Vec::len))
        .unwrap();
    assert_eq!(n, 53, "5 fixture + 48 distinct real auditd events");
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Polls until something accepts connections on `port`.
fn wait_listening(port: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "server on {port} never came up"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn serve(data: &Path, port: u16, token: &str) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--token",
            token,
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port);
    child
}

fn sigterm(child: &mut std::process::Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
}

#[test]
fn agent_to_the_real_server_killed_and_restarted_loses_nothing() {
    if !nix_is_root() {
        eprintln!("SKIPPED: `vigil agent` needs root (netlink process connector, fanotify)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = "agent-test-token-0123456789";
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token).unwrap();
    let stats = dir.path().join("stats.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = serve(&data, port, token);
    let mut agent = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("agent")
        .args(["--server", &format!("http://127.0.0.1:{port}")])
        .arg("--token-file")
        .arg(&token_file)
        .arg("--spool-dir")
        .arg(dir.path().join("spool"))
        .arg("--stats-file")
        .arg(&stats)
        .args([
            "--batch-ms",
            "200",
            "--drain-secs",
            "20",
            "--host-id",
            "srv-test",
        ])
        .args(["--disable", "files", "--disable", "logins"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Start the processes once the agent says it collects (loading eBPF takes a moment); the
    // rest of its stderr is drained so it never blocks.
    let stderr = agent.stderr.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("collecting with") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the agent reports that it is collecting");
    let mut pids = Vec::new();
    let mut run = |n: usize| {
        for _ in 0..n {
            let mut c = Command::new("/bin/true").spawn().unwrap();
            pids.push(c.id());
            c.wait().unwrap();
        }
    };
    run(20);
    std::thread::sleep(std::time::Duration::from_millis(800));
    sigterm(&mut server);
    run(100);
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let mut server = serve(&data, port, token);
    run(20);
    std::thread::sleep(std::time::Duration::from_millis(3000));
    sigterm(&mut agent);
    sigterm(&mut server);

    let stats: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(stats["events_observed"], stats["events_shipped"], "{stats}");
    assert!(stats["delivery_failures"].as_u64().unwrap() > 0, "{stats}");
    let events = json(&vigil(
        &data,
        &["events", "--source", "agent", "--format", "json"],
    ));
    let events = events
        .as_array()
        .or_else(|| events["events"].as_array())
        .unwrap()
        .clone();
    assert_eq!(
        events.len() as u64,
        stats["events_shipped"].as_u64().unwrap(),
        "every shipped event is stored once"
    );
    let started: std::collections::HashSet<u64> = events
        .iter()
        .filter(|e| e["host"]["kind"] == "process_start")
        .filter_map(|e| e["host"]["process"]["pid"].as_u64())
        .collect();
    for pid in pids {
        assert!(started.contains(&u64::from(pid)), "start of {pid} lost");
    }
}

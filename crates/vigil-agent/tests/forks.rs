//! With `--forks`, a child that never execs is seen: its fork (parent and program) and its
//! exit, on both collection paths.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::Duration;
use vigil_model::HostEventKind;

fn fork_without_exec(collector: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let agent = common::start(&[
        "--output",
        out.to_str().unwrap(),
        "--spool-dir",
        dir.path().join("spool").to_str().unwrap(),
        "--batch-ms",
        "100",
        "--disable",
        "network",
        "--disable",
        "files",
        "--disable",
        "logins",
        "--forks",
        "--collector",
        collector,
    ]);
    // `( exit 7 )` is a forked subshell that exits without running a program. The fallback
    // collector reads a program from /proc when it handles the exec, so on a busy machine it
    // may read bash's late; and bash runs its last simple command in its own process. With a
    // program last, a late read found that program (CI saw `/usr/bin/true`, then, with a
    // `sleep` last, `/usr/bin/sleep`). The builtin `:` last keeps bash's process bash to the end.
    let mut bash = Command::new("bash")
        .arg("-c")
        .arg("( exit 7 ); /bin/true; sleep 0.5; :")
        .spawn()
        .unwrap();
    let bash_pid = bash.id();
    assert!(bash.wait().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    let log = agent.stop();
    common::assert_path(&log, collector);
    let events = common::read_events(&out);
    let forks: Vec<(u32, Option<String>)> = events
        .iter()
        .filter_map(|e| match &e.host()?.kind {
            HostEventKind::ProcessFork { pid, ppid, exe } if *ppid == bash_pid => {
                Some((*pid, exe.clone()))
            }
            _ => None,
        })
        .collect();
    let starts: Vec<u32> = common::starts(&events).iter().map(|p| p.pid).collect();
    let subshell = forks
        .iter()
        .find(|(pid, _)| !starts.contains(pid))
        .unwrap_or_else(|| panic!("a fork of {bash_pid} that never execs: {forks:?}"));
    assert!(
        subshell.1.as_deref().unwrap_or("").ends_with("/bash"),
        "{subshell:?}"
    );
    assert!(
        events.iter().any(|e| matches!(&e.host().unwrap().kind,
            HostEventKind::ProcessExit { pid, exit_code: Some(7), .. } if *pid == subshell.0)),
        "the subshell's exit with its code"
    );
}

#[test]
fn forks_are_reported_when_asked() {
    if !common::is_root() {
        return;
    }
    for collector in common::collectors() {
        fork_without_exec(collector);
    }
}

//! Host activity as the agent (and later Falco and auditd) reports it.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One observation on a host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostEvent {
    /// EC2 instance id when the host is an instance, else its hostname.
    pub host_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(flatten)]
    pub kind: HostEventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HostEventKind {
    ProcessStart {
        process: Process,
    },
    ProcessExit {
        pid: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exe: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
    },
    Network {
        direction: Direction,
        protocol: Protocol,
        src_ip: String,
        src_port: u16,
        dst_ip: String,
        dst_port: u16,
        process: ProcessRef,
    },
    Login {
        user: String,
        method: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_ip: Option<String>,
        success: bool,
    },
    FileAccess {
        path: String,
        access: FileAccessKind,
        process: ProcessRef,
    },
    /// A process changed its user ids (setuid, sudo, su).
    PrivilegeChange {
        process: ProcessRef,
        old_uid: u32,
        new_uid: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    /// A new process by fork/clone, before (or without) an exec: the child starts as a copy of
    /// its parent. auditd's `clone`/`fork`; the agent reports them when asked (`--forks`).
    ProcessFork {
        pid: u32,
        ppid: u32,
        /// The parent's program, which the child runs until it execs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exe: Option<String>,
    },
    /// The sensor knows it missed events in a time window (a kernel buffer overran, its queue
    /// or spool was full): absence of activity there is not evidence of absence.
    LostCoverage {
        /// Events lost; for losses whose size the kernel does not tell (netlink ENOBUFS,
        /// fanotify overflow) the number of overruns.
        count: u64,
        /// Stable code: `queue_full`, `spool_full`, `spool_error`, `kernel_overrun`,
        /// `file_overflow`, `ebpf_buffer_full`.
        reason: String,
        /// The kind of event lost when known (`process_start`, `network`, ...).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_kind: Option<String>,
        /// The losses happened between these times.
        window_start: Timestamp,
        window_end: Timestamp,
    },
}

/// A started process with everything detection needs to place it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub euid: u32,
    pub exe: String,
    #[serde(default)]
    pub argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Container id from the process's cgroup, when it runs in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// pid namespace inode (`/proc/PID/ns/pid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_ns: Option<u64>,
    /// mount namespace inode (`/proc/PID/ns/mnt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnt_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// The parent's program (Sigma's `ParentImage`), when the sensor knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_exe: Option<String>,
    /// What the process's stdin and stdout are: a socket on both is the mark of a reverse shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<FdKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<FdKind>,
}

impl Process {
    /// The command line joined with spaces, as a person reads it.
    pub fn command_line(&self) -> String {
        if self.argv.is_empty() {
            self.exe.clone()
        } else {
            self.argv.join(" ")
        }
    }
}

/// The process that owns a connection or touched a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRef {
    pub pid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Connect,
    Accept,
    Listen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Tcp,
    Udp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAccessKind {
    Read,
    Write,
    Exec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FdKind {
    File,
    Pipe,
    Socket,
    Tty,
    Null,
    Other,
}

impl HostEventKind {
    /// The stable name used in storage and summaries: `process_start`, `network`, ...
    pub fn name(&self) -> &'static str {
        match self {
            HostEventKind::ProcessStart { .. } => "process_start",
            HostEventKind::ProcessExit { .. } => "process_exit",
            HostEventKind::Network { .. } => "network",
            HostEventKind::Login { .. } => "login",
            HostEventKind::FileAccess { .. } => "file_access",
            HostEventKind::PrivilegeChange { .. } => "privilege_change",
            HostEventKind::ProcessFork { .. } => "process_fork",
            HostEventKind::LostCoverage { .. } => "lost_coverage",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_start_without_parent_exe_still_reads() {
        // An agent line written before `parent_exe` existed.
        let old = r#"{"host_id":"h","kind":"process_start","process":{"pid":2,"ppid":1,"uid":0,"euid":0,"exe":"/bin/sh"}}"#;
        let ev: HostEvent = serde_json::from_str(old).unwrap();
        let HostEventKind::ProcessStart { process } = &ev.kind else {
            panic!("{ev:?}")
        };
        assert_eq!(process.parent_exe, None);
        let text = serde_json::to_string(&ev).unwrap();
        assert!(!text.contains("parent_exe"), "absent stays absent: {text}");
    }

    #[test]
    fn new_kinds_round_trip_with_stable_names() {
        let t = Timestamp::from_secs(1_700_000_000);
        for kind in [
            HostEventKind::LostCoverage {
                count: 42,
                reason: "ebpf_buffer_full".into(),
                event_kind: Some("process_start".into()),
                window_start: t,
                window_end: Timestamp::from_secs(1_700_000_005),
            },
            HostEventKind::ProcessFork {
                pid: 11,
                ppid: 10,
                exe: Some("/bin/bash".into()),
            },
        ] {
            let ev = HostEvent {
                host_id: "h".into(),
                hostname: None,
                kind,
            };
            let text = serde_json::to_string(&ev).unwrap();
            assert!(
                text.contains(&format!("\"kind\":\"{}\"", ev.kind.name())),
                "{text}"
            );
            let back: HostEvent = serde_json::from_str(&text).unwrap();
            assert_eq!(back, ev);
        }
    }
}

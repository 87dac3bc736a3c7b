//! One host's process table, rebuilt from the agent's process start and exit events: pid →
//! process, so a detector can walk a process's parent chain. Times come from the events; an
//! exited process is kept a while so that children reported after it still find their parent.

use crate::fasthash::FastMap;
use serde::{Deserialize, Serialize};
use vigil_model::host::{FdKind, Process};
use vigil_model::{Evidence, Timestamp};

/// Exited processes are forgotten this long after their exit.
const EXITED_KEEP_MS: i64 = 30 * 60 * 1000;
/// Most processes kept per host; past it the exited (then the oldest) go first.
const MAX_PROCS: usize = 32_768;
/// Deepest parent chain walked.
pub const MAX_DEPTH: usize = 24;
/// Longest command line kept per process.
const MAX_CMDLINE: usize = 512;

/// What detection keeps about one process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub euid: u32,
    pub exe: String,
    pub cmdline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnt_ns: Option<u64>,
    pub started: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited: Option<Timestamp>,
    /// The start event's id; its evidence line is rebuilt on demand ([`Proc::start_evidence`])
    /// so that the hot path formats nothing.
    pub start_id: String,
    /// Its stdin or stdout is a socket (the mark of a reverse shell).
    #[serde(default)]
    pub socket_io: bool,
    /// Part of a tree a strong finding marked (it and every descendant started after it).
    #[serde(default)]
    pub tainted: bool,
    /// The application it belongs to ([`super::apps::app_key`]; 0 when not baselined).
    #[serde(default)]
    pub app: u64,
}

impl Proc {
    pub fn from_event(p: &Process, start_id: &str, time: Timestamp) -> Proc {
        let mut cmdline = p.command_line();
        if cmdline.len() > MAX_CMDLINE {
            let mut cut = MAX_CMDLINE;
            while !cmdline.is_char_boundary(cut) {
                cut -= 1;
            }
            cmdline.truncate(cut);
        }
        Proc {
            pid: p.pid,
            ppid: p.ppid,
            uid: p.uid,
            euid: p.euid,
            exe: p.exe.clone(),
            cmdline,
            container_id: p.container_id.clone(),
            pid_ns: p.pid_ns,
            mnt_ns: p.mnt_ns,
            started: time,
            exited: None,
            start_id: start_id.to_string(),
            socket_io: p.stdin == Some(FdKind::Socket) || p.stdout == Some(FdKind::Socket),
            tainted: false,
            app: 0,
        }
    }

    /// The start event as evidence, worded as [`vigil_model::Event::summary`] words it.
    pub fn start_evidence(&self, host_id: &str) -> Evidence {
        let container = self
            .container_id
            .as_deref()
            .map(|c| format!(", container {}", c.get(..12).unwrap_or(c)))
            .unwrap_or_default();
        Evidence {
            event_id: self.start_id.clone(),
            time: self.started,
            summary: format!(
                "{host_id}: started `{}` (pid {}, ppid {}, uid {}{container})",
                self.cmdline, self.pid, self.ppid, self.euid
            ),
        }
    }

    /// The file name of the executable (`/usr/bin/bash` → `bash`).
    pub fn name(&self) -> &str {
        base_name(&self.exe)
    }

    /// `name(pid)` for a tree line.
    pub fn label(&self) -> String {
        format!("{}({})", self.name(), self.pid)
    }
}

pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The process table of one host.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProcTable {
    procs: FastMap<u32, Proc>,
    /// `(exit time ms, pid)` in the order exits were seen, so pruning visits only the exits
    /// that have aged out instead of the whole table (a full scan every few minutes of event
    /// time was an eighth of host detection's time on the demo).
    #[serde(default)]
    exits: std::collections::VecDeque<(i64, u32)>,
}

impl ProcTable {
    pub fn get(&self, pid: u32) -> Option<&Proc> {
        self.procs.get(&pid)
    }

    pub fn get_mut(&mut self, pid: u32) -> Option<&mut Proc> {
        self.procs.get_mut(&pid)
    }

    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// Records a start (a reused pid replaces the old process).
    pub fn start(&mut self, p: Proc, now: Timestamp) {
        if self.procs.len() >= MAX_PROCS && !self.procs.contains_key(&p.pid) {
            self.prune(now);
        }
        self.procs.insert(p.pid, p);
    }

    pub fn exit(&mut self, pid: u32, at: Timestamp) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.exited = Some(at);
            self.exits.push_back((at.as_millis(), pid));
        }
    }

    /// The parent chain of `pid`, nearest first, without `pid` itself. A parent that started
    /// after its child is a reused pid, not the parent, and ends the walk.
    pub fn ancestors(&self, pid: u32) -> Vec<&Proc> {
        let mut out: Vec<&Proc> = Vec::new();
        let Some(mut cur) = self.procs.get(&pid) else {
            return out;
        };
        while out.len() < MAX_DEPTH && cur.ppid != 0 && cur.ppid != cur.pid {
            let Some(parent) = self.procs.get(&cur.ppid) else {
                break;
            };
            if parent.started > cur.started || out.iter().any(|p| p.pid == parent.pid) {
                break;
            }
            out.push(parent);
            cur = parent;
        }
        out
    }

    /// Drops processes that exited long ago; if still full, the oldest half.
    pub fn prune(&mut self, now: Timestamp) {
        let cutoff = now.as_millis() - EXITED_KEEP_MS;
        while let Some(&(at, pid)) = self.exits.front() {
            if at >= cutoff {
                break;
            }
            self.exits.pop_front();
            // The pid may since belong to a newer process: only the one that exited then goes.
            if self
                .procs
                .get(&pid)
                .is_some_and(|p| p.exited.is_some_and(|t| t.as_millis() == at))
            {
                self.procs.remove(&pid);
            }
        }
        if self.procs.len() >= MAX_PROCS {
            // Rare: the table is full of live processes. Exits out of time order may also
            // have left aged ones behind a newer queue head; this pass clears them too.
            self.procs
                .retain(|_, p| p.exited.is_none_or(|t| t.as_millis() >= cutoff));
        }
        if self.procs.len() >= MAX_PROCS {
            let mut starts: Vec<i64> = self.procs.values().map(|p| p.started.as_millis()).collect();
            starts.sort_unstable();
            let median = starts.get(starts.len() / 2).copied().unwrap_or(i64::MAX);
            self.procs.retain(|_, p| p.started.as_millis() >= median);
            let procs = &self.procs;
            self.exits.retain(|(_, pid)| procs.contains_key(pid));
        }
    }
}

/// A process and its parents as one line: `bash(3012) ← sh(3001) ← nsenter(2990)`.
pub fn chain_line(p: &Proc, ancestors: &[&Proc]) -> String {
    let mut s = p.label();
    for a in ancestors {
        s.push_str(" <- ");
        s.push_str(&a.label());
        if let Some(c) = &a.container_id
            && p.container_id.is_none()
        {
            s.push_str(&format!(" [container {}]", c.get(..12).unwrap_or(c)));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: u32, started_ms: i64) -> Proc {
        Proc {
            pid,
            ppid: 1,
            uid: 0,
            euid: 0,
            exe: "/bin/true".into(),
            cmdline: "true".into(),
            container_id: None,
            pid_ns: None,
            mnt_ns: None,
            started: Timestamp::from_millis(started_ms),
            exited: None,
            start_id: format!("e{pid}-{started_ms}"),
            socket_io: false,
            tainted: false,
            app: 0,
        }
    }

    #[test]
    fn pruning_forgets_only_processes_exited_long_ago() {
        let mut t = ProcTable::default();
        let at = |ms: i64| Timestamp::from_millis(ms);
        t.start(proc(10, 0), at(0));
        t.start(proc(11, 0), at(0));
        t.start(proc(12, 0), at(0));
        t.exit(10, at(1_000));
        t.exit(11, at(2_000));
        // pid 11 is reused by a new, live process: the old exit must not take it.
        t.start(proc(11, 3_000), at(3_000));
        t.prune(at(1_000 + EXITED_KEEP_MS - 1));
        assert!(t.get(10).is_some(), "not yet aged out");
        t.prune(at(10 * EXITED_KEEP_MS));
        assert!(t.get(10).is_none());
        assert_eq!(t.get(11).map(|p| p.started), Some(at(3_000)));
        assert!(t.get(12).is_some(), "live processes stay");
        assert!(t.exits.is_empty());
    }
}

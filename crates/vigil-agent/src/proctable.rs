//! What the agent remembers about live processes, so a connection or file access by a process
//! that has already exited (or a forked child that never exec'd) still names its program.
//! Exited processes stay for a grace period, then go; the table is bounded.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use vigil_model::HostEventKind;
use vigil_model::host::{Process, ProcessRef};

/// How long an exited process is remembered: sockets and files are seen a poll later.
const GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ppid: u32,
    pub exe: String,
    pub uid: u32,
    pub euid: u32,
    pub container_id: Option<String>,
}

impl Entry {
    pub fn of(p: &Process) -> Self {
        Entry {
            ppid: p.ppid,
            exe: p.exe.clone(),
            uid: p.uid,
            euid: p.euid,
            container_id: p.container_id.clone(),
        }
    }

    pub fn process_ref(&self, pid: u32) -> ProcessRef {
        ProcessRef {
            pid,
            exe: (!self.exe.is_empty()).then(|| self.exe.clone()),
            uid: (self.uid != u32::MAX).then_some(self.uid),
            container_id: self.container_id.clone(),
        }
    }
}

#[derive(Debug)]
pub struct ProcTable {
    live: HashMap<u32, Entry>,
    exited: VecDeque<(Instant, u32)>,
    capacity: usize,
}

impl ProcTable {
    pub fn new(capacity: usize) -> Self {
        ProcTable {
            live: HashMap::new(),
            exited: VecDeque::new(),
            capacity,
        }
    }

    pub fn get(&self, pid: u32) -> Option<&Entry> {
        self.live.get(&pid)
    }

    pub fn insert(&mut self, pid: u32, entry: Entry) {
        if self.live.len() >= self.capacity && !self.live.contains_key(&pid) {
            // Over the bound: forget exited processes first, then refuse (the source falls
            // back to reading /proc).
            self.expire(Instant::now() + GRACE);
            if self.live.len() >= self.capacity {
                return;
            }
        }
        self.live.insert(pid, entry);
    }

    /// A forked child starts as a copy of its parent.
    pub fn fork(&mut self, parent: u32, child: u32) {
        if let Some(mut e) = self.live.get(&parent).cloned() {
            e.ppid = parent;
            self.insert(child, e);
        }
    }

    pub fn exited(&mut self, pid: u32, now: Instant) {
        self.exited.push_back((now + GRACE, pid));
        self.expire(now);
    }

    pub fn set_uids(&mut self, pid: u32, uid: u32, euid: u32) {
        if let Some(e) = self.live.get_mut(&pid) {
            e.uid = uid;
            e.euid = euid;
        }
    }

    /// Records a uid change of a known process and returns the `privilege_change` it makes,
    /// if its effective uid really changed (and was known before). Shared by both collection
    /// paths, so they report the same events.
    pub fn uid_change(&mut self, pid: u32, uid: u32, euid: u32) -> Option<HostEventKind> {
        let old = self.get(pid).cloned()?;
        self.set_uids(pid, uid, euid);
        if old.euid == euid || old.euid == u32::MAX {
            return None;
        }
        let via = old.exe.rsplit('/').next().map(str::to_string);
        Some(HostEventKind::PrivilegeChange {
            process: old.process_ref(pid),
            old_uid: old.euid,
            new_uid: euid,
            via: via.filter(|v| !v.is_empty()),
        })
    }

    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(at, pid)) = self.exited.front() {
            if at > now {
                break;
            }
            self.exited.pop_front();
            self.live.remove(&pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(exe: &str) -> Entry {
        Entry {
            ppid: 1,
            exe: exe.into(),
            uid: 0,
            euid: 0,
            container_id: None,
        }
    }

    #[test]
    fn only_a_real_change_of_effective_uid_is_a_privilege_change() {
        let mut t = ProcTable::new(10);
        let mut e = entry("/usr/bin/sudo");
        (e.uid, e.euid) = (1000, 1000);
        t.insert(7, e);
        assert_eq!(t.uid_change(99, 0, 0), None, "unknown process");
        assert_eq!(t.uid_change(7, 0, 1000), None, "euid unchanged");
        let Some(HostEventKind::PrivilegeChange {
            old_uid,
            new_uid,
            via,
            ..
        }) = t.uid_change(7, 0, 0)
        else {
            panic!("euid 1000 -> 0 is a privilege change");
        };
        assert_eq!((old_uid, new_uid, via.as_deref()), (1000, 0, Some("sudo")));
        assert_eq!(t.get(7).map(|e| (e.uid, e.euid)), Some((0, 0)));
    }

    #[test]
    fn fork_inherits_and_exit_expires_after_grace() {
        let mut t = ProcTable::new(10);
        t.insert(10, entry("/bin/bash"));
        t.fork(10, 11);
        assert_eq!(
            t.get(11).map(|e| (e.exe.as_str(), e.ppid)),
            Some(("/bin/bash", 10))
        );
        let now = Instant::now();
        t.exited(11, now);
        assert!(t.get(11).is_some(), "kept during the grace period");
        t.exited(10, now + GRACE + GRACE);
        assert!(t.get(11).is_none());
    }

    #[test]
    fn bounded() {
        let mut t = ProcTable::new(2);
        t.insert(1, entry("a"));
        t.insert(2, entry("b"));
        t.insert(3, entry("c"));
        assert_eq!(t.len(), 2);
        assert!(t.get(3).is_none());
    }
}

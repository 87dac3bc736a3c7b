//! Process start, exit and uid changes from the netlink process connector (no eBPF needed),
//! with the details read from `/proc/PID` at the moment of `exec`.
//!
//! Limits: a process that exits before its `/proc` entry is read (a few microseconds after
//! `exec`) is reported with what the kernel message and its parent gave (counted as
//! `exec_partial`); the kernel may drop messages under load (ENOBUFS, counted as
//! `kernel_overruns`).

use crate::clock::Clock;
use crate::emit::Emitter;
use crate::procfs::ProcRoot;
use crate::proctable::{Entry, ProcTable};
use crate::stats::Stats;
use crate::users::Users;
use proc_connector::{Error as PcError, ProcConnector, ProcEvent};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigil_model::HostEventKind;
use vigil_model::host::Process;

/// Socket receive buffer: large enough to absorb bursts of thousands of execs.
const RECV_BUFFER_BYTES: usize = 8 << 20;

pub struct ExecSource {
    pub proc_root: ProcRoot,
    pub passwd: PathBuf,
    pub table: Arc<Mutex<ProcTable>>,
    pub emitter: Emitter,
    pub clock: Clock,
    /// Nice value for this thread (negative = sooner): it must read `/proc/PID` before a
    /// short-lived process exits. Measured at ~1,000 starts/s on 2 busy cores: 44% of
    /// `/bin/true` starts lost their exe/argv at nice 0, 1.8% at -15.
    pub nice: i32,
    /// Report forks as `process_fork` events.
    pub forks: bool,
}

/// Opens the connector (needs root / CAP_NET_ADMIN). Done before the thread starts so a
/// failure is reported to the caller.
pub fn open() -> Result<ProcConnector, String> {
    let conn = ProcConnector::new().map_err(|e| format!("process connector: {e}"))?;
    // A failure here only means a smaller buffer.
    let _ = conn.set_recv_buf_size(RECV_BUFFER_BYTES);
    Ok(conn)
}

impl ExecSource {
    pub fn run(self, conn: ProcConnector, stop: Arc<AtomicBool>) {
        if self.nice != 0
            && let Err(e) =
                rustix::process::setpriority_process(Some(rustix::thread::gettid()), self.nice)
        {
            eprintln!(
                "vigil-agent: cannot set the exec thread's nice value {}: {e}",
                self.nice
            );
        }
        let mut users = Users::new(self.passwd.clone());
        let mut last_refresh = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        let own_pid = std::process::id();
        while !stop.load(Ordering::Relaxed) {
            match conn.recv_timeout(&mut buf, Duration::from_millis(200)) {
                Ok(Some(ev)) => self.handle(ev, own_pid, &users),
                Ok(None) | Err(PcError::Interrupted) => {}
                Err(PcError::Overrun) => Stats::add(&self.emitter.stats().kernel_overruns, 1),
                Err(PcError::Os(e)) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => {
                    Stats::add(&self.emitter.stats().kernel_overruns, 1)
                }
                Err(e) => {
                    eprintln!("vigil-agent: process connector: {e}");
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
            if last_refresh.elapsed() > Duration::from_secs(5) {
                users.refresh();
                last_refresh = Instant::now();
            }
        }
    }

    fn handle(&self, ev: ProcEvent, own_pid: u32, users: &Users) {
        match ev {
            ProcEvent::Fork {
                parent_tgid,
                child_pid,
                child_tgid,
                timestamp_ns,
                ..
            } if child_pid == child_tgid => {
                let exe = {
                    let mut t = lock(&self.table);
                    t.fork(parent_tgid, child_pid);
                    t.get(parent_tgid)
                        .map(|e| e.exe.clone())
                        .filter(|e| !e.is_empty())
                };
                if self.forks {
                    self.emitter.emit(
                        self.clock.from_monotonic_ns(timestamp_ns),
                        HostEventKind::ProcessFork {
                            pid: child_pid,
                            ppid: parent_tgid,
                            exe,
                        },
                    );
                }
            }
            ProcEvent::Exec {
                pid,
                tgid,
                timestamp_ns,
                ..
            } if pid == tgid && pid != own_pid => {
                let time = self.clock.from_monotonic_ns(timestamp_ns);
                let process = match self.proc_root.process(pid, time) {
                    Some(mut p) => {
                        if p.ppid == 0 || p.uid == u32::MAX {
                            // Gone before `status` was read: the fork gave the parent and ids.
                            Stats::add(&self.emitter.stats().exec_partial, 1);
                            let known = self.partial(pid, time);
                            if p.ppid == 0 {
                                p.ppid = known.ppid;
                            }
                            if p.uid == u32::MAX {
                                p.uid = known.uid;
                                p.euid = known.euid;
                            }
                        }
                        p.user = (p.uid != u32::MAX).then(|| users.name(p.uid)).flatten();
                        p
                    }
                    None => {
                        Stats::add(&self.emitter.stats().exec_partial, 1);
                        self.partial(pid, time)
                    }
                };
                let mut process = process;
                process.parent_exe = lock(&self.table)
                    .get(process.ppid)
                    .map(|e| e.exe.clone())
                    .filter(|e| !e.is_empty());
                lock(&self.table).insert(pid, Entry::of(&process));
                self.emitter
                    .emit(time, HostEventKind::ProcessStart { process });
            }
            ProcEvent::Exit {
                pid,
                tgid,
                exit_code,
                timestamp_ns,
                ..
            } if pid == tgid && pid != own_pid => {
                let time = self.clock.from_monotonic_ns(timestamp_ns);
                let exe = {
                    let mut t = lock(&self.table);
                    let exe = t.get(pid).map(|e| e.exe.clone()).filter(|e| !e.is_empty());
                    t.exited(pid, Instant::now());
                    exe
                };
                self.emitter.emit(
                    time,
                    HostEventKind::ProcessExit {
                        pid,
                        exe,
                        exit_code: Some(wait_status_code(exit_code)),
                    },
                );
            }
            ProcEvent::Uid {
                pid,
                tgid,
                ruid,
                euid,
                timestamp_ns,
                ..
            } if pid == tgid && pid != own_pid => {
                let time = self.clock.from_monotonic_ns(timestamp_ns);
                let change = lock(&self.table).uid_change(pid, ruid, euid);
                if let Some(kind) = change {
                    self.emitter.emit(time, kind);
                }
            }
            _ => {}
        }
    }

    /// The start of a process that was gone before `/proc` could be read: pid and parent from
    /// the fork the agent saw, the program unknown (empty `exe`).
    fn partial(&self, pid: u32, time: vigil_model::Timestamp) -> Process {
        let t = lock(&self.table);
        let e = t.get(pid);
        Process {
            pid,
            ppid: e.map_or(0, |e| e.ppid),
            uid: e.map_or(u32::MAX, |e| e.uid),
            euid: e.map_or(u32::MAX, |e| e.euid),
            exe: String::new(),
            argv: Vec::new(),
            cwd: None,
            user: None,
            container_id: e.and_then(|e| e.container_id.clone()),
            image: None,
            pid_ns: None,
            mnt_ns: None,
            start_time: Some(time),
            stdin: None,
            stdout: None,
            parent_exe: None,
        }
    }
}

/// The shell's view of a wait status: the exit code, or 128 + the signal that killed it.
pub fn wait_status_code(status: u32) -> i32 {
    let signal = status & 0x7f;
    if signal == 0 {
        ((status >> 8) & 0xff) as i32
    } else {
        128 + signal as i32
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    #[test]
    fn wait_status() {
        assert_eq!(super::wait_status_code(0), 0);
        assert_eq!(super::wait_status_code(1 << 8), 1);
        assert_eq!(super::wait_status_code(9), 137);
    }
}

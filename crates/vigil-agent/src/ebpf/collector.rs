//! Turns the BPF records into the same host events the fallback sources produce, so detection
//! sees one shape whichever path collected.
//!
//! What the kernel gave is used first: pid, parent, uids, argv, namespaces, cgroup, what stdin
//! and stdout are, the socket's two ends, the file path. `/proc/PID` is still read for what
//! is cheap and names things as the fallback does (the resolved `exe` link, `cwd`); when the
//! process is already gone those come from the record (the path given to execve) or stay empty.

use crate::clock::Clock;
use crate::ebpf::record::{Exec, Net, NetDirection, Open, Record};
use crate::emit::Emitter;
use crate::procfs::{self, ProcRoot};
use crate::proctable::{Entry, ProcTable};
use crate::sources::exec::{lock, wait_status_code};
use crate::stats::Stats;
use crate::users::Users;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigil_model::HostEventKind;
use vigil_model::host::{Direction, FdKind, FileAccessKind, Process, Protocol};

/// The same access of the same file by the same process within this window is one event (as
/// the fanotify source does).
const DEDUP_WINDOW: Duration = Duration::from_secs(2);

/// Which kinds of records become events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    pub process: bool,
    pub network: bool,
    pub files: bool,
    /// Report forks as `process_fork` events (they always feed the process table).
    pub forks: bool,
}

pub struct Collector {
    pub proc_root: ProcRoot,
    pub users: Users,
    pub table: Arc<Mutex<ProcTable>>,
    pub emitter: Emitter,
    pub clock: Clock,
    /// The watched files, as absolute paths.
    pub watched: HashSet<PathBuf>,
    pub want: Want,
    pub own_pid: u32,
    recent_files: HashMap<(u32, PathBuf, bool), Instant>,
}

impl Collector {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        proc_root: ProcRoot,
        users: Users,
        table: Arc<Mutex<ProcTable>>,
        emitter: Emitter,
        clock: Clock,
        watched: HashSet<PathBuf>,
        want: Want,
    ) -> Self {
        Collector {
            proc_root,
            users,
            table,
            emitter,
            clock,
            watched,
            want,
            own_pid: std::process::id(),
            recent_files: HashMap::new(),
        }
    }

    pub fn handle(&mut self, record: Record) {
        match record {
            Record::Exec(e) if self.want.process && e.pid != self.own_pid => self.exec(&e),
            Record::Fork { pid, ppid, ts_ns } => {
                let exe = {
                    let mut t = lock(&self.table);
                    t.fork(ppid, pid);
                    t.get(ppid).map(|e| e.exe.clone()).filter(|e| !e.is_empty())
                };
                if self.want.process && self.want.forks {
                    let time = self.clock.from_monotonic_ns(ts_ns);
                    self.emitter
                        .emit(time, HostEventKind::ProcessFork { pid, ppid, exe });
                }
            }
            Record::Exit { pid, ts_ns, status } if self.want.process && pid != self.own_pid => {
                let time = self.clock.from_monotonic_ns(ts_ns);
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
                        exit_code: Some(wait_status_code(status as u32)),
                    },
                );
            }
            Record::Uid {
                pid,
                ts_ns,
                uid,
                euid,
            } if self.want.process && pid != self.own_pid => self.uid_change(pid, ts_ns, uid, euid),
            Record::Net(n) if self.want.network => self.net(&n),
            Record::Open(o) if self.want.files && o.pid != self.own_pid => self.open(o),
            _ => {}
        }
    }

    fn exec(&mut self, e: &Exec) {
        let time = self.clock.from_monotonic_ns(e.ts_ns);
        let pid = e.pid;
        let mut argv = procfs::parse_cmdline(&e.argv);
        if e.argv_truncated
            && let Some(full) = procfs::read_small(
                &self.proc_root.0.join(pid.to_string()).join("cmdline"),
                procfs::MAX_CMDLINE_BYTES,
            )
        {
            let full = procfs::parse_cmdline(&full);
            if full.len() >= argv.len() {
                argv = full;
            }
        }
        let dir = self.proc_root.0.join(pid.to_string());
        let link = |name: &str| {
            std::fs::read_link(dir.join(name))
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
        };
        // The resolved program as the fallback names it; the execve path when already gone.
        let exe = link("exe")
            .map(|p| {
                p.strip_suffix(" (deleted)")
                    .map_or(p.clone(), str::to_string)
            })
            .or_else(|| (!e.filename.is_empty()).then(|| e.filename.clone()))
            .or_else(|| argv.first().cloned())
            .unwrap_or_else(|| e.comm.clone());
        let cwd = link("cwd");
        let (parent_exe, parent_container) = {
            let t = lock(&self.table);
            let p = t.get(e.ppid);
            (
                p.map(|p| p.exe.clone()).filter(|x| !x.is_empty()),
                p.and_then(|p| p.container_id.clone()),
            )
        };
        let container_id = if e.cgroup.is_empty() {
            // The root of the unified hierarchy: a cgroup v1 host, where the path is in /proc.
            procfs::read_small(&dir.join("cgroup"), 64 * 1024)
                .and_then(|b| procfs::container_id_from_cgroup(&String::from_utf8_lossy(&b)))
                .or(parent_container)
        } else {
            procfs::container_id_from_cgroup(&format!("0::/{}", e.cgroup)).or(parent_container)
        };
        let process = Process {
            pid,
            ppid: e.ppid,
            uid: e.uid,
            euid: e.euid,
            exe,
            argv,
            cwd,
            user: self.users.name(e.uid),
            container_id,
            image: None,
            pid_ns: (e.pid_ns != 0).then_some(u64::from(e.pid_ns)),
            mnt_ns: (e.mnt_ns != 0).then_some(u64::from(e.mnt_ns)),
            start_time: Some(time),
            stdin: fd_kind(e.stdin),
            stdout: fd_kind(e.stdout),
            parent_exe,
        };
        lock(&self.table).insert(pid, Entry::of(&process));
        self.emitter
            .emit(time, HostEventKind::ProcessStart { process });
    }

    fn uid_change(&mut self, pid: u32, ts_ns: u64, uid: u32, euid: u32) {
        let time = self.clock.from_monotonic_ns(ts_ns);
        let change = lock(&self.table).uid_change(pid, uid, euid);
        if let Some(kind) = change {
            self.emitter.emit(time, kind);
        }
    }

    fn net(&mut self, n: &Net) {
        let time = self.clock.from_monotonic_ns(n.ts_ns);
        let mut process = lock(&self.table)
            .get(n.pid)
            .map(|e| e.process_ref(n.pid))
            .unwrap_or_else(|| self.proc_root.process_ref(n.pid));
        if process.uid.is_none() {
            process.uid = Some(n.uid);
        }
        self.emitter.emit(time, network_event(n, process));
    }

    fn open(&mut self, o: Open) {
        let path = if o.path.starts_with('/') {
            PathBuf::from(&o.path)
        } else {
            // A bare name matched a watched file's name: resolve it where the process opened it.
            let base = if o.dfd == AT_FDCWD {
                "cwd".to_string()
            } else {
                format!("fd/{}", o.dfd)
            };
            match std::fs::read_link(self.proc_root.0.join(o.pid.to_string()).join(base)) {
                Ok(dir) => dir.join(&o.path),
                // Gone already: place it by the names of its directory and that one's parent.
                Err(_) if o.dfd == AT_FDCWD => match self.by_cwd_names(&o) {
                    Some(p) => p,
                    None => return,
                },
                Err(_) => return,
            }
        };
        if !self.watched.contains(&path) {
            return;
        }
        let write = o.flags & 0o3 != 0;
        let now = Instant::now();
        self.recent_files
            .retain(|_, t| now.duration_since(*t) < DEDUP_WINDOW);
        let key = (o.pid, path.clone(), write);
        if self.recent_files.contains_key(&key) {
            return;
        }
        self.recent_files.insert(key, now);
        let mut process = lock(&self.table)
            .get(o.pid)
            .map(|e| e.process_ref(o.pid))
            .unwrap_or_else(|| self.proc_root.process_ref(o.pid));
        if process.uid.is_none() {
            process.uid = Some(o.uid);
        }
        self.emitter.emit(
            self.clock.from_monotonic_ns(o.ts_ns),
            HostEventKind::FileAccess {
                path: path.to_string_lossy().into_owned(),
                access: if write {
                    FileAccessKind::Write
                } else {
                    FileAccessKind::Read
                },
                process,
            },
        );
    }

    /// The watched file named `o.path` whose directory and grandparent directory have the names
    /// the kernel saw as the opener's working directory.
    fn by_cwd_names(&self, o: &Open) -> Option<PathBuf> {
        let name_of = |p: Option<&std::path::Path>| {
            p.map(|p| {
                p.file_name()
                    .map_or_else(|| "/".to_string(), |n| n.to_string_lossy().into_owned())
            })
        };
        self.watched
            .iter()
            .find(|w| {
                w.file_name().is_some_and(|n| n == o.path.as_str())
                    && name_of(w.parent()).as_deref() == Some(o.cwd.as_str())
                    && name_of(w.parent().and_then(|p| p.parent())).as_deref()
                        == Some(o.cwd_parent.as_str())
            })
            .cloned()
    }

    /// Adds ring-buffer losses of one kind, as the kernel counted them, to the agent's tally.
    pub fn count_lost(&self, n: u64) {
        Stats::add(&self.emitter.stats().lost_ebpf_buffer, n);
    }
}

const AT_FDCWD: i32 = -100;

fn fd_kind(code: u8) -> Option<FdKind> {
    Some(match code {
        1 => FdKind::File,
        2 => FdKind::Pipe,
        3 => FdKind::Socket,
        4 => FdKind::Tty,
        5 => FdKind::Null,
        6 => FdKind::Other,
        _ => return None,
    })
}

/// The event for a socket, in the fallback's shape. Connect: src is the local end. Accept: src
/// is the peer, dst the local end. Listen: src is the bound address, dst the unspecified one.
pub fn network_event(n: &Net, process: vigil_model::host::ProcessRef) -> HostEventKind {
    let unspecified = |ip: IpAddr| match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let (direction, src, dst) = match n.direction {
        NetDirection::Connect => (Direction::Connect, n.local, n.remote),
        NetDirection::Accept => (Direction::Accept, n.remote, n.local),
        NetDirection::Listen => (Direction::Listen, n.local, (unspecified(n.local.0), 0)),
    };
    HostEventKind::Network {
        direction,
        protocol: Protocol::Tcp,
        src_ip: src.0.to_string(),
        src_port: src.1,
        dst_ip: dst.0.to_string(),
        dst_port: dst.1,
        process,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ebpf::record::Exec;
    use crate::stats::Stats;

    fn collector(
        dir: &std::path::Path,
    ) -> (Collector, std::sync::mpsc::Receiver<crate::emit::Observed>) {
        let (emitter, rx) = crate::emit::queue(100, Arc::new(Stats::default()));
        let c = Collector::new(
            ProcRoot(dir.to_path_buf()),
            Users::new(dir.join("passwd")),
            Arc::new(Mutex::new(ProcTable::new(100))),
            emitter,
            Clock::new(),
            [PathBuf::from("/root/.aws/credentials")]
                .into_iter()
                .collect(),
            Want {
                process: true,
                network: true,
                files: true,
                forks: true,
            },
        );
        (c, rx)
    }

    fn exec(pid: u32, ppid: u32, filename: &str, argv: &[u8]) -> Record {
        Record::Exec(Box::new(Exec {
            pid,
            ts_ns: 1,
            ppid,
            uid: 1000,
            euid: 0,
            pid_ns: 4026531836,
            mnt_ns: 4026531841,
            stdin: 3,
            stdout: 3,
            argv: argv.to_vec(),
            argv_truncated: false,
            comm: "x".into(),
            cgroup: format!("docker-{}.scope", "ab".repeat(32)),
            filename: filename.into(),
        }))
    }

    /// A process gone before `/proc` is read (an empty proc root here) still has its program,
    /// arguments, ids, sockets-on-stdio and container; its parent's program is filled in.
    #[test]
    fn exec_of_a_gone_process_keeps_what_the_kernel_gave() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, rx) = collector(dir.path());
        c.handle(exec(10, 1, "/usr/bin/bash", b"bash\0-i\0"));
        c.handle(Record::Fork {
            pid: 11,
            ppid: 10,
            ts_ns: 2,
        });
        c.handle(exec(11, 10, "/usr/bin/whoami", b"whoami\0"));
        let got: Vec<_> = rx.try_iter().map(|o| o.kind).collect();
        assert_eq!(got.len(), 3);
        let HostEventKind::ProcessStart { process: p } = &got[2] else {
            panic!("{got:?}")
        };
        assert_eq!(p.exe, "/usr/bin/whoami");
        assert_eq!(p.argv, ["whoami"]);
        assert_eq!((p.ppid, p.uid, p.euid), (10, 1000, 0));
        assert_eq!(p.parent_exe.as_deref(), Some("/usr/bin/bash"));
        assert_eq!(p.stdin, Some(FdKind::Socket));
        assert_eq!(p.container_id.as_deref(), Some("abababababab"));
        assert_eq!(p.pid_ns, Some(4026531836));
        assert!(
            matches!(&got[1], HostEventKind::ProcessFork { pid: 11, ppid: 10, exe: Some(e) } if e == "/usr/bin/bash")
        );
    }

    #[test]
    fn uid_change_to_root_and_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, rx) = collector(dir.path());
        let mut e = exec(20, 1, "/usr/bin/sudo", b"sudo\0id\0");
        if let Record::Exec(x) = &mut e {
            x.euid = 1000;
        }
        c.handle(e);
        c.handle(Record::Uid {
            pid: 20,
            ts_ns: 3,
            uid: 0,
            euid: 0,
        });
        c.handle(Record::Exit {
            pid: 20,
            ts_ns: 4,
            status: 9,
        });
        let got: Vec<_> = rx.try_iter().map(|o| o.kind).collect();
        assert!(
            matches!(&got[1], HostEventKind::PrivilegeChange { old_uid: 1000, new_uid: 0, via: Some(v), .. } if v == "sudo")
        );
        assert!(matches!(
            &got[2],
            HostEventKind::ProcessExit {
                pid: 20,
                exit_code: Some(137),
                exe: Some(_)
            }
        ));
    }

    #[test]
    fn opens_are_checked_against_the_watched_set_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("30")).unwrap();
        std::os::unix::fs::symlink("/root/.aws", dir.path().join("30/cwd")).unwrap();
        let (mut c, rx) = collector(dir.path());
        let open = |path: &str, flags: u32| {
            Record::Open(Open {
                pid: 30,
                ts_ns: 5,
                flags,
                uid: 0,
                dfd: AT_FDCWD,
                path: path.into(),
                cwd: ".aws".into(),
                cwd_parent: "root".into(),
            })
        };
        c.handle(open("/root/.aws/credentials", 0));
        c.handle(open("/root/.aws/credentials", 0));
        c.handle(open("credentials", 1));
        c.handle(open("/tmp/credentials", 0));
        // pid 31 is gone (no /proc entry): placed by its working directory's names.
        let mut gone = open("credentials", 0);
        if let Record::Open(o) = &mut gone {
            o.pid = 31;
        }
        c.handle(gone.clone());
        if let Record::Open(o) = &mut gone {
            o.pid = 32;
            o.cwd_parent = "home".into();
        }
        c.handle(gone);
        let got: Vec<_> = rx.try_iter().map(|o| o.kind).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(&got[2], HostEventKind::FileAccess { process, .. } if process.pid == 31));
        assert!(
            matches!(&got[0], HostEventKind::FileAccess { access: FileAccessKind::Read, process, .. } if process.pid == 30)
        );
        assert!(
            matches!(&got[1], HostEventKind::FileAccess { access: FileAccessKind::Write, path, .. } if path == "/root/.aws/credentials")
        );
    }

    #[test]
    fn accept_puts_the_peer_first() {
        let n = Net {
            pid: 1,
            ts_ns: 0,
            direction: NetDirection::Accept,
            local: ("127.0.0.1".parse().unwrap(), 8080),
            remote: ("127.0.0.1".parse().unwrap(), 50000),
            uid: 0,
        };
        let p = vigil_model::host::ProcessRef {
            pid: 1,
            exe: None,
            uid: None,
            container_id: None,
        };
        let HostEventKind::Network {
            src_port, dst_port, ..
        } = network_event(&n, p.clone())
        else {
            panic!()
        };
        assert_eq!((src_port, dst_port), (50000, 8080));
        let listen = Net {
            direction: NetDirection::Listen,
            remote: ("0.0.0.0".parse().unwrap(), 0),
            local: ("::".parse().unwrap(), 22),
            ..n
        };
        let HostEventKind::Network { dst_ip, .. } = network_event(&listen, p) else {
            panic!()
        };
        assert_eq!(dst_ip, "::");
    }
}

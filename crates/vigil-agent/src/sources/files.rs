//! Reads and writes of sensitive files (cloud credentials, keys, `/etc/shadow`) with fanotify,
//! which names the process that touched the file. The instance-metadata credentials are not a
//! file: a process fetching them shows as a connection to 169.254.169.254 in the network source.
//!
//! An existing file is marked itself; a missing one through its directory (so a credentials
//! file written later is still seen). Marks are renewed every few seconds for directories that
//! appear later. Opening a file is reported as a read; a modification as a write.

use crate::emit::Emitter;
use crate::procfs::ProcRoot;
use crate::proctable::ProcTable;
use crate::sources::exec::lock;
use crate::stats::Stats;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::fanotify::{EventFFlags, Fanotify, InitFlags, MarkFlags, MaskFlags};
use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigil_model::HostEventKind;
use vigil_model::host::FileAccessKind;

/// Files worth watching on any host; `~/` means every home directory (`/root` and `/home/*`).
pub const DEFAULT_SENSITIVE_FILES: &[&str] = &[
    "~/.aws/credentials",
    "~/.aws/config",
    "~/.config/gcloud/application_default_credentials.json",
    "~/.config/gcloud/credentials.db",
    "~/.azure/accessTokens.json",
    "~/.azure/msal_token_cache.json",
    "~/.kube/config",
    "~/.docker/config.json",
    "~/.ssh/id_rsa",
    "~/.ssh/id_ed25519",
    "~/.ssh/id_ecdsa",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
];

/// The same access of the same file by the same process within this window is one event.
const DEDUP_WINDOW: Duration = Duration::from_secs(2);
const REMARK_EVERY: Duration = Duration::from_secs(5);

/// Expands `~/` patterns against the home directories under `root` (`/` normally).
pub fn expand(patterns: &[String], root: &Path) -> Vec<PathBuf> {
    let mut homes = vec![root.join("root")];
    if let Ok(dir) = std::fs::read_dir(root.join("home")) {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| Some(e.ok()?.path())).collect();
        more.sort();
        homes.extend(more);
    }
    let mut out = Vec::new();
    for p in patterns {
        match p.strip_prefix("~/") {
            Some(rest) => out.extend(homes.iter().map(|h| h.join(rest))),
            None => out.push(PathBuf::from(p)),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// How long an access whose process was already gone waits for the exec source to name it.
const LATE_NAMING: Duration = Duration::from_millis(300);

/// One access, ready to emit.
struct Access {
    time: vigil_model::Timestamp,
    path: String,
    write: bool,
    process: vigil_model::host::ProcessRef,
}

pub struct FileSource {
    pub paths: Vec<PathBuf>,
    pub proc_root: ProcRoot,
    pub table: Arc<Mutex<ProcTable>>,
    pub emitter: Emitter,
}

/// Opens the fanotify group (needs CAP_SYS_ADMIN).
pub fn open() -> Result<Fanotify, String> {
    Fanotify::init(
        InitFlags::FAN_CLASS_NOTIF | InitFlags::FAN_CLOEXEC | InitFlags::FAN_NONBLOCK,
        EventFFlags::O_RDONLY | EventFFlags::O_CLOEXEC | EventFFlags::O_LARGEFILE,
    )
    .map_err(|e| format!("fanotify: {e}"))
}

impl FileSource {
    pub fn run(self, fan: Fanotify, stop: Arc<AtomicBool>) {
        let watched: HashSet<PathBuf> = self.paths.iter().cloned().collect();
        self.mark(&fan);
        let mut last_mark = Instant::now();
        let mut recent: HashMap<(u32, PathBuf, bool), Instant> = HashMap::new();
        let own_pid = std::process::id();
        let mut late: Vec<(Instant, Access)> = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let mut fds = [PollFd::new(fan.as_fd(), PollFlags::POLLIN)];
            let ready = poll(&mut fds, PollTimeout::from(200u16)).unwrap_or(0);
            if ready > 0 {
                let events = fan.read_events().unwrap_or_default();
                let now = Instant::now();
                recent.retain(|_, t| now.duration_since(*t) < DEDUP_WINDOW);
                for ev in events {
                    let mask = ev.mask();
                    if mask.contains(MaskFlags::FAN_Q_OVERFLOW) {
                        Stats::add(&self.emitter.stats().file_overflows, 1);
                        continue;
                    }
                    let Ok(pid) = u32::try_from(ev.pid()) else {
                        continue;
                    };
                    let Some(fd) = ev.fd() else { continue };
                    if pid == own_pid {
                        continue;
                    }
                    let Ok(path) = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                    else {
                        continue;
                    };
                    if !watched.contains(&path) {
                        continue;
                    }
                    let write = mask.contains(MaskFlags::FAN_MODIFY);
                    let k = (pid, path.clone(), write);
                    if recent.contains_key(&k) {
                        continue;
                    }
                    recent.insert(k, now);
                    let process = lock(&self.table)
                        .get(pid)
                        .map(|e| e.process_ref(pid))
                        .unwrap_or_else(|| self.proc_root.process_ref(pid));
                    let access = Access {
                        time: crate::clock::now(),
                        path: path.to_string_lossy().into_owned(),
                        write,
                        process,
                    };
                    if access.process.exe.is_none() {
                        // Gone before /proc was read, and not in the table yet: the exec
                        // source may still be adding it (a `cat` of a credentials file lives
                        // for a millisecond). Named a little later, from the table.
                        late.push((now, access));
                    } else {
                        self.emit(access);
                    }
                }
            }
            self.name_late(&mut late, false);
            if last_mark.elapsed() > REMARK_EVERY {
                self.mark(&fan);
                last_mark = Instant::now();
            }
        }
        self.name_late(&mut late, true);
    }

    /// Emits the accesses whose process had no program at first sight once they have waited
    /// [`LATE_NAMING`] (or all of them, when stopping), with what the table knows by then.
    fn name_late(&self, late: &mut Vec<(Instant, Access)>, all: bool) {
        if late.is_empty() {
            return;
        }
        let now = Instant::now();
        let (due, wait): (Vec<_>, Vec<_>) = late
            .drain(..)
            .partition(|(seen, _)| all || now.duration_since(*seen) >= LATE_NAMING);
        *late = wait;
        for (_, mut access) in due {
            let pid = access.process.pid;
            if let Some(known) = lock(&self.table).get(pid).map(|e| e.process_ref(pid))
                && known.exe.is_some()
            {
                access.process = known;
            }
            self.emit(access);
        }
    }

    fn emit(&self, a: Access) {
        self.emitter.emit(
            a.time,
            HostEventKind::FileAccess {
                path: a.path,
                access: if a.write {
                    FileAccessKind::Write
                } else {
                    FileAccessKind::Read
                },
                process: a.process,
            },
        );
    }

    /// Marks each watched file, or its directory when the file does not exist yet. Repeating a
    /// mark is harmless, so this runs again every few seconds to follow files that are created
    /// or replaced (a new inode needs a new mark).
    fn mark(&self, fan: &Fanotify) {
        let Ok(root) = std::fs::File::open("/") else {
            return;
        };
        let mask = MaskFlags::FAN_OPEN | MaskFlags::FAN_MODIFY;
        for p in &self.paths {
            let (target, mask) = if p.is_file() {
                (p.as_path(), mask)
            } else {
                match p.parent() {
                    Some(dir) if dir.is_dir() => (dir, mask | MaskFlags::FAN_EVENT_ON_CHILD),
                    _ => continue,
                }
            };
            // A path that vanished between the check and the mark is tried again next round.
            let _ = fan.mark(MarkFlags::FAN_MARK_ADD, mask, &root, Some(target));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_by_a_process_gone_before_proc_was_read_is_named_from_the_table() {
        let (emitter, rx) = crate::emit::queue(16, Arc::new(Stats::default()));
        let table = Arc::new(Mutex::new(ProcTable::new(16)));
        let source = FileSource {
            paths: Vec::new(),
            proc_root: ProcRoot(PathBuf::from("/nonexistent")),
            table: table.clone(),
            emitter,
        };
        let access = |pid| Access {
            time: vigil_model::Timestamp::from_millis(1_000),
            path: "/root/.aws/credentials".into(),
            write: false,
            process: vigil_model::host::ProcessRef {
                pid,
                exe: None,
                uid: None,
                container_id: None,
            },
        };
        let long_ago = Instant::now() - LATE_NAMING * 2;
        let mut late = vec![(Instant::now(), access(7)), (long_ago, access(8))];
        // The exec source has since recorded pid 8 (and 7, which has not waited long enough).
        for pid in [7, 8] {
            lock(&table).insert(
                pid,
                crate::proctable::Entry {
                    ppid: 1,
                    exe: "/usr/bin/cat".into(),
                    uid: 0,
                    euid: 0,
                    container_id: None,
                },
            );
        }
        source.name_late(&mut late, false);
        let named = rx.try_recv().unwrap();
        let HostEventKind::FileAccess { process, .. } = named.kind else {
            panic!("{named:?}")
        };
        assert_eq!(
            (process.pid, process.exe.as_deref()),
            (8, Some("/usr/bin/cat"))
        );
        assert_eq!(named.time, vigil_model::Timestamp::from_millis(1_000));
        assert!(rx.try_recv().is_err());
        assert_eq!(late.len(), 1);
        // Stopping emits the rest at once.
        source.name_late(&mut late, true);
        assert!(late.is_empty());
        assert!(rx.try_recv().is_ok());
    }

    #[test]
    fn expands_homes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home/alice")).unwrap();
        let got = super::expand(
            &["~/.aws/credentials".into(), "/etc/shadow".into()],
            dir.path(),
        );
        assert_eq!(
            got,
            vec![
                std::path::PathBuf::from("/etc/shadow"),
                dir.path().join("home/alice/.aws/credentials"),
                dir.path().join("root/.aws/credentials"),
            ]
        );
    }
}

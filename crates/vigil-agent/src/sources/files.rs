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
                    self.emitter.emit(
                        crate::clock::now(),
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
            }
            if last_mark.elapsed() > REMARK_EVERY {
                self.mark(&fan);
                last_mark = Instant::now();
            }
        }
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

//! What `/proc/PID` says about a process: the pure parsers of its files, and one function that
//! reads them all into a [`vigil_model::Process`].
//!
//! Every read may fail (the process exited, a sandbox hides the file); a failed read leaves the
//! field empty rather than failing the event.

use std::fs;
use std::path::{Path, PathBuf};
use vigil_model::Timestamp;
use vigil_model::host::{FdKind, Process, ProcessRef};

/// The most bytes of `/proc/PID/cmdline` kept: long enough for any real command line, short
/// enough that a hostile one cannot bloat an event.
pub const MAX_CMDLINE_BYTES: usize = 32 * 1024;

/// The `/proc` root; tests may point it elsewhere.
#[derive(Debug, Clone)]
pub struct ProcRoot(pub PathBuf);

impl Default for ProcRoot {
    fn default() -> Self {
        ProcRoot(PathBuf::from("/proc"))
    }
}

impl ProcRoot {
    fn file(&self, pid: u32, name: &str) -> PathBuf {
        self.0.join(pid.to_string()).join(name)
    }

    /// Reads everything detection needs about `pid`. `None` when the process is already gone
    /// (its `status` file cannot be read).
    pub fn process(&self, pid: u32, start_time: Timestamp) -> Option<Process> {
        // What ran comes first: a short-lived process may be gone a few reads later, and its
        // program and arguments matter more than the rest.
        let exe = fs::read_link(self.file(pid, "exe"))
            .ok()
            .map(|p| strip_deleted(&p.to_string_lossy()));
        let argv = read_small(&self.file(pid, "cmdline"), MAX_CMDLINE_BYTES)
            .map(|b| parse_cmdline(&b))
            .unwrap_or_default();
        let stdin = self.fd_kind(pid, 0);
        let stdout = self.fd_kind(pid, 1);
        let status = read_small(&self.file(pid, "status"), 16 * 1024);
        if status.is_none() && exe.is_none() && argv.is_empty() {
            return None;
        }
        let st = status.map(|b| parse_status(&b)).unwrap_or_default();
        let cwd = fs::read_link(self.file(pid, "cwd"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned());
        let container_id = read_small(&self.file(pid, "cgroup"), 64 * 1024)
            .and_then(|b| container_id_from_cgroup(&String::from_utf8_lossy(&b)));
        let pid_ns = self.ns_inode(pid, "pid");
        let mnt_ns = self.ns_inode(pid, "mnt");
        // Without `exe` (kernel threads, hidden by a sandbox) the first argument or the
        // command name stands in, so the event still says what ran.
        let exe = exe
            .or_else(|| argv.first().cloned())
            .or_else(|| st.name.clone())
            .unwrap_or_default();
        Some(Process {
            pid,
            // 0 and u32::MAX mark "not read": the caller fills them from the fork it saw.
            ppid: st.ppid.unwrap_or(0),
            uid: st.uid.unwrap_or(u32::MAX),
            euid: st.euid.unwrap_or(u32::MAX),
            exe,
            argv,
            cwd,
            user: None,
            container_id,
            image: None,
            pid_ns,
            mnt_ns,
            start_time: Some(start_time),
            stdin,
            stdout,
            // The caller knows the parent from its process table.
            parent_exe: None,
        })
    }

    /// A short reference to `pid` for connections and file accesses.
    pub fn process_ref(&self, pid: u32) -> ProcessRef {
        let status = read_small(&self.file(pid, "status"), 16 * 1024).map(|s| parse_status(&s));
        ProcessRef {
            pid,
            exe: fs::read_link(self.file(pid, "exe"))
                .ok()
                .map(|p| strip_deleted(&p.to_string_lossy())),
            uid: status.as_ref().and_then(|s| s.uid),
            container_id: read_small(&self.file(pid, "cgroup"), 64 * 1024)
                .and_then(|b| container_id_from_cgroup(&String::from_utf8_lossy(&b))),
        }
    }

    pub fn ns_inode(&self, pid: u32, ns: &str) -> Option<u64> {
        let link = fs::read_link(self.file(pid, &format!("ns/{ns}"))).ok()?;
        parse_bracket_inode(&link.to_string_lossy())
    }

    pub fn fd_kind(&self, pid: u32, fd: u32) -> Option<FdKind> {
        let link = fs::read_link(self.file(pid, &format!("fd/{fd}"))).ok()?;
        Some(fd_kind_of_link(&link.to_string_lossy()))
    }

    /// Every numeric entry of the root: the pids alive now.
    pub fn pids(&self) -> Vec<u32> {
        let Ok(dir) = fs::read_dir(&self.0) else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect()
    }

    /// The socket inodes `pid` holds open.
    pub fn socket_inodes(&self, pid: u32) -> Vec<u64> {
        let Ok(dir) = fs::read_dir(self.0.join(pid.to_string()).join("fd")) else {
            return Vec::new();
        };
        dir.filter_map(|e| {
            let link = fs::read_link(e.ok()?.path()).ok()?;
            let s = link.to_string_lossy();
            s.strip_prefix("socket:").and_then(parse_bracket_inode)
        })
        .collect()
    }
}

/// This process's CPU time (ms, user + system) and resident memory (KiB), for the agent's own
/// budget report.
pub fn self_usage() -> (u64, u64) {
    let cpu = read_small(Path::new("/proc/self/stat"), 4096)
        .and_then(|b| {
            let text = String::from_utf8_lossy(&b).into_owned();
            // Fields after the `(comm)`, which may itself contain spaces.
            let rest = text.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = f.get(11)?.parse().ok()?;
            let stime: u64 = f.get(12)?.parse().ok()?;
            // USER_HZ is 100 on every Linux ABI the agent runs on.
            Some((utime + stime) * 10)
        })
        .unwrap_or(0);
    let rss = read_small(Path::new("/proc/self/status"), 16 * 1024)
        .and_then(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0);
    (cpu, rss)
}

/// Reads a file of at most `cap` bytes (procfs files report size 0, so the cap is on the read).
pub fn read_small(path: &Path, cap: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = fs::File::open(path).ok()?;
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    while out.len() < cap {
        match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(chunk.get(..n)?),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    out.truncate(cap);
    Some(out)
}

/// The fields of `/proc/PID/status` the agent uses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Status {
    pub name: Option<String>,
    pub ppid: Option<u32>,
    pub uid: Option<u32>,
    pub euid: Option<u32>,
    /// Thread group id: equals the pid for a process, differs for a thread.
    pub tgid: Option<u32>,
}

pub fn parse_status(bytes: &[u8]) -> Status {
    let text = String::from_utf8_lossy(bytes);
    let mut st = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Name" => st.name = Some(value.to_string()),
            "PPid" => st.ppid = value.parse().ok(),
            "Tgid" => st.tgid = value.parse().ok(),
            "Uid" => {
                let mut ids = value.split_whitespace().map(|v| v.parse().ok());
                st.uid = ids.next().flatten();
                st.euid = ids.next().flatten();
            }
            _ => {}
        }
    }
    st
}

/// `argv` from the NUL-separated `cmdline`.
pub fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    let body = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The inode in `pid:[4026531836]` or `socket:[1234]`.
pub fn parse_bracket_inode(link: &str) -> Option<u64> {
    let start = link.find('[')?;
    let end = link.rfind(']')?;
    link.get(start + 1..end)?.parse().ok()
}

/// What a `/proc/PID/fd/N` link points at.
pub fn fd_kind_of_link(link: &str) -> FdKind {
    if link.starts_with("socket:") {
        FdKind::Socket
    } else if link.starts_with("pipe:") {
        FdKind::Pipe
    } else if link == "/dev/null" {
        FdKind::Null
    } else if link.starts_with("/dev/pts/")
        || link.starts_with("/dev/tty")
        || link == "/dev/console"
        || link == "/dev/ptmx"
    {
        FdKind::Tty
    } else if link.starts_with('/') {
        FdKind::File
    } else {
        FdKind::Other
    }
}

/// The kernel appends ` (deleted)` to the exe link of a binary removed after it started.
fn strip_deleted(s: &str) -> String {
    s.strip_suffix(" (deleted)").unwrap_or(s).to_string()
}

/// The container id in a `/proc/PID/cgroup` file: the 64-hex id that Docker, containerd,
/// CRI-O and Podman put in the cgroup path (`/docker/<id>`, `docker-<id>.scope`,
/// `cri-containerd-<id>.scope`, `crio-<id>`, `libpod-<id>`, `/kubepods/.../<id>`). Returns the
/// first 12 characters, as `docker ps` shows them.
pub fn container_id_from_cgroup(text: &str) -> Option<String> {
    for line in text.lines() {
        // hierarchy-id:controllers:path
        let path = line.splitn(3, ':').nth(2).unwrap_or("");
        for segment in path.split('/').rev() {
            let seg = segment.strip_suffix(".scope").unwrap_or(segment);
            let id = seg.rsplit(['-', ':']).next().unwrap_or(seg);
            if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return id.get(..12).map(str::to_string);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields() {
        let s = parse_status(
            b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\nPPid:\t7\nUid:\t1000\t0\t0\t0\n",
        );
        assert_eq!(s.name.as_deref(), Some("bash"));
        assert_eq!(
            (s.ppid, s.uid, s.euid, s.tgid),
            (Some(7), Some(1000), Some(0), Some(42))
        );
    }

    #[test]
    fn cmdline_split() {
        assert_eq!(parse_cmdline(b"bash\0-c\0id\0"), vec!["bash", "-c", "id"]);
        assert_eq!(parse_cmdline(b""), Vec::<String>::new());
        assert_eq!(parse_cmdline(b"a\0\0b\0"), vec!["a", "", "b"]);
    }

    #[test]
    fn fd_kinds() {
        assert_eq!(fd_kind_of_link("socket:[123]"), FdKind::Socket);
        assert_eq!(fd_kind_of_link("pipe:[9]"), FdKind::Pipe);
        assert_eq!(fd_kind_of_link("/dev/pts/3"), FdKind::Tty);
        assert_eq!(fd_kind_of_link("/dev/null"), FdKind::Null);
        assert_eq!(fd_kind_of_link("/tmp/x"), FdKind::File);
        assert_eq!(fd_kind_of_link("anon_inode:[eventfd]"), FdKind::Other);
        assert_eq!(parse_bracket_inode("socket:[98765]"), Some(98765));
        assert_eq!(parse_bracket_inode("mnt:[4026531841]"), Some(4026531841));
    }

    #[test]
    fn container_ids() {
        let id = "3f2a9c1e5b7d0a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123";
        for cg in [
            format!("0::/system.slice/docker-{id}.scope\n"),
            format!("12:pids:/docker/{id}\n"),
            format!("0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-{id}.scope"),
            format!("0::/machine.slice/libpod-{id}.scope/container"),
            format!("11:memory:/kubepods/besteffort/pod1234/{id}"),
            format!("0::/crio-{id}.scope"),
        ] {
            assert_eq!(
                container_id_from_cgroup(&cg).as_deref(),
                Some("3f2a9c1e5b7d"),
                "{cg}"
            );
        }
        assert_eq!(
            container_id_from_cgroup("0::/user.slice/session-3.scope\n"),
            None
        );
        assert_eq!(container_id_from_cgroup("0::/\n"), None);
    }
}

//! The records the BPF programs write into the ring buffer, decoded from bytes. Layouts mirror
//! `bpf/vigil.bpf.c` (little-endian, fixed offsets); a record that is too short or of an unknown
//! kind decodes to `None` and is counted, never trusted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const KIND_EXEC: u32 = 1;
pub const KIND_EXIT: u32 = 2;
pub const KIND_FORK: u32 = 3;
pub const KIND_NET: u32 = 4;
pub const KIND_OPEN: u32 = 5;
pub const KIND_UID: u32 = 6;
/// Slots of the in-kernel loss counters (`LOST`), indexed by kind.
pub const KINDS: u32 = 7;

/// The model's name for what a kind's records become (for lost-coverage reports).
pub fn kind_name(kind: u32) -> &'static str {
    match kind {
        KIND_EXEC => "process_start",
        KIND_EXIT => "process_exit",
        KIND_FORK => "process_fork",
        KIND_NET => "network",
        KIND_OPEN => "file_access",
        KIND_UID => "privilege_change",
        _ => "unknown",
    }
}

/// The size of the watched-file keys (`WATCHED`): a path, NUL-padded.
pub const PATH_KEY: usize = 256;
const CGROUP_MAX: usize = 128;
const ARGV_MAX: usize = 4096;

const EXEC_COMM: usize = 48;
const EXEC_CGROUP: usize = EXEC_COMM + 16;
const EXEC_FILENAME: usize = EXEC_CGROUP + CGROUP_MAX;
const EXEC_ARGV: usize = EXEC_FILENAME + PATH_KEY;
/// The largest exec record (a full argv area).
pub const EXEC_SIZE: usize = EXEC_ARGV + ARGV_MAX;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    pub pid: u32,
    pub ts_ns: u64,
    pub ppid: u32,
    pub uid: u32,
    pub euid: u32,
    pub pid_ns: u32,
    pub mnt_ns: u32,
    /// `FdKind` codes: 0 unknown, 1 file, 2 pipe, 3 socket, 4 tty, 5 null, 6 other.
    pub stdin: u8,
    pub stdout: u8,
    /// `argv` as the kernel holds it: NUL-separated, at most 4 KiB.
    pub argv: Vec<u8>,
    /// The whole argument area was longer than what was copied.
    pub argv_truncated: bool,
    pub comm: String,
    /// The name of the process's cgroup (the last path component, cgroup v2).
    pub cgroup: String,
    /// The path given to execve.
    pub filename: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetDirection {
    Connect,
    Accept,
    Listen,
}

/// A TCP socket at connect (after it returned), accept or listen: `local` and `remote` ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Net {
    pub pid: u32,
    pub ts_ns: u64,
    pub direction: NetDirection,
    pub local: (IpAddr, u16),
    pub remote: (IpAddr, u16),
    pub uid: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub pid: u32,
    pub ts_ns: u64,
    pub flags: u32,
    pub uid: u32,
    pub dfd: i32,
    pub path: String,
    /// For a relative path: the names of the working directory and of its parent (`/` for the
    /// root).
    pub cwd: String,
    pub cwd_parent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Exec(Box<Exec>),
    Exit {
        pid: u32,
        ts_ns: u64,
        /// The wait status (`exit_code` of the task).
        status: i32,
    },
    Fork {
        pid: u32,
        ppid: u32,
        ts_ns: u64,
    },
    Net(Net),
    Open(Open),
    Uid {
        pid: u32,
        ts_ns: u64,
        uid: u32,
        euid: u32,
    },
}

fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// A NUL-terminated string in a fixed field.
fn cstr(b: &[u8], at: usize, len: usize) -> Option<String> {
    let field = b.get(at..at + len)?;
    let end = field.iter().position(|c| *c == 0).unwrap_or(field.len());
    Some(String::from_utf8_lossy(field.get(..end)?).into_owned())
}

fn addr(b: &[u8], at: usize, family: u8) -> Option<IpAddr> {
    let raw: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(match family {
        2 => IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3])),
        // IPv4-mapped addresses of a dual-stack socket read as IPv4, as the fallback does.
        10 => IpAddr::V6(Ipv6Addr::from(raw)).to_canonical(),
        _ => return None,
    })
}

/// Decodes one record; `None` for a short or unknown one.
pub fn decode(b: &[u8]) -> Option<Record> {
    let kind = u32_at(b, 0)?;
    let pid = u32_at(b, 4)?;
    let ts_ns = u64_at(b, 8)?;
    Some(match kind {
        KIND_EXEC => {
            // The record ends after the argv bytes it carries.
            let argv_len = usize::from(u16_at(b, 38)?).min(ARGV_MAX);
            let full = u32_at(b, 40)? as usize;
            Record::Exec(Box::new(Exec {
                pid,
                ts_ns,
                ppid: u32_at(b, 16)?,
                uid: u32_at(b, 20)?,
                euid: u32_at(b, 24)?,
                pid_ns: u32_at(b, 28)?,
                mnt_ns: u32_at(b, 32)?,
                stdin: u8_at(b, 36)?,
                stdout: u8_at(b, 37)?,
                argv: b.get(EXEC_ARGV..EXEC_ARGV + argv_len)?.to_vec(),
                argv_truncated: full > argv_len,
                comm: cstr(b, EXEC_COMM, 16)?,
                cgroup: cstr(b, EXEC_CGROUP, CGROUP_MAX)?,
                filename: cstr(b, EXEC_FILENAME, PATH_KEY)?,
            }))
        }
        KIND_EXIT => Record::Exit {
            pid,
            ts_ns,
            status: u32_at(b, 16)? as i32,
        },
        KIND_FORK => Record::Fork {
            pid,
            ppid: u32_at(b, 16)?,
            ts_ns,
        },
        KIND_UID => Record::Uid {
            pid,
            ts_ns,
            uid: u32_at(b, 16)?,
            euid: u32_at(b, 20)?,
        },
        KIND_NET => {
            let family = u8_at(b, 17)?;
            Record::Net(Net {
                pid,
                ts_ns,
                direction: match u8_at(b, 16)? {
                    0 => NetDirection::Connect,
                    1 => NetDirection::Accept,
                    2 => NetDirection::Listen,
                    _ => return None,
                },
                local: (addr(b, 24, family)?, u16_at(b, 18)?),
                remote: (addr(b, 40, family)?, u16_at(b, 20)?),
                uid: u32_at(b, 56)?,
            })
        }
        KIND_OPEN => Record::Open(Open {
            pid,
            ts_ns,
            flags: u32_at(b, 16)?,
            uid: u32_at(b, 20)?,
            dfd: u32_at(b, 24)? as i32,
            path: cstr(b, 32, PATH_KEY)?,
            cwd: cstr(b, 32 + PATH_KEY, 64)?,
            cwd_parent: cstr(b, 32 + PATH_KEY + 64, 64)?,
        }),
        _ => return None,
    })
}

/// The key under which `path` goes into the watched-file map; `None` when it does not fit.
pub fn path_key(path: &str) -> Option<[u8; PATH_KEY]> {
    let bytes = path.as_bytes();
    if bytes.is_empty() || bytes.len() >= PATH_KEY || bytes.contains(&0) {
        return None;
    }
    let mut key = [0u8; PATH_KEY];
    key.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(kind: u32, pid: u32, size: usize) -> Vec<u8> {
        let mut b = vec![0u8; size];
        b[0..4].copy_from_slice(&kind.to_le_bytes());
        b[4..8].copy_from_slice(&pid.to_le_bytes());
        b[8..16].copy_from_slice(&123_456_789u64.to_le_bytes());
        b
    }

    #[test]
    fn exec_record() {
        let mut b = hdr(KIND_EXEC, 42, EXEC_SIZE);
        b[16..20].copy_from_slice(&7u32.to_le_bytes());
        b[20..24].copy_from_slice(&1000u32.to_le_bytes());
        b[24..28].copy_from_slice(&0u32.to_le_bytes());
        b[28..32].copy_from_slice(&4026531836u32.to_le_bytes());
        b[36] = 3;
        b[37] = 4;
        let argv = b"bash\0-i\0";
        b[38..40].copy_from_slice(&(argv.len() as u16).to_le_bytes());
        b[40..44].copy_from_slice(&(argv.len() as u32).to_le_bytes());
        b[EXEC_COMM..EXEC_COMM + 4].copy_from_slice(b"bash");
        let cg = b"docker-abc.scope";
        b[EXEC_CGROUP..EXEC_CGROUP + cg.len()].copy_from_slice(cg);
        b[EXEC_FILENAME..EXEC_FILENAME + 9].copy_from_slice(b"/bin/bash");
        b[EXEC_ARGV..EXEC_ARGV + argv.len()].copy_from_slice(argv);
        let Some(Record::Exec(e)) = decode(&b) else {
            panic!("exec")
        };
        assert_eq!((e.pid, e.ppid, e.uid, e.euid), (42, 7, 1000, 0));
        assert_eq!((e.stdin, e.stdout, e.pid_ns), (3, 4, 4026531836));
        assert_eq!(e.argv, argv);
        assert!(!e.argv_truncated);
        assert_eq!(e.comm, "bash");
        assert_eq!(e.cgroup, "docker-abc.scope");
        assert_eq!(e.filename, "/bin/bash");
        assert_eq!(e.ts_ns, 123_456_789);
        assert_eq!(
            decode(&b[..EXEC_ARGV + argv.len()]),
            decode(&b),
            "records end after their argv"
        );
        assert!(
            decode(&b[..EXEC_ARGV + argv.len() - 1]).is_none(),
            "short record"
        );
    }

    #[test]
    fn net_records_both_families() {
        let mut b = hdr(KIND_NET, 9, 64);
        b[16] = 0;
        b[17] = 2;
        b[18..20].copy_from_slice(&50000u16.to_le_bytes());
        b[20..22].copy_from_slice(&4444u16.to_le_bytes());
        b[24..28].copy_from_slice(&[127, 0, 0, 1]);
        b[40..44].copy_from_slice(&[10, 0, 0, 5]);
        let Some(Record::Net(n)) = decode(&b) else {
            panic!("net")
        };
        assert_eq!(n.direction, NetDirection::Connect);
        assert_eq!(n.local, ("127.0.0.1".parse().unwrap(), 50000));
        assert_eq!(n.remote, ("10.0.0.5".parse().unwrap(), 4444));
        b[16] = 1;
        b[17] = 10;
        let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
        b[24..40].copy_from_slice(&mapped.octets());
        let v6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        b[40..56].copy_from_slice(&v6.octets());
        let Some(Record::Net(n)) = decode(&b) else {
            panic!("net6")
        };
        assert_eq!(n.direction, NetDirection::Accept);
        assert_eq!(n.local.0.to_string(), "127.0.0.1");
        assert_eq!(n.remote.0.to_string(), "2001:db8::1");
        b[17] = 1;
        assert!(decode(&b).is_none(), "unknown family");
    }

    #[test]
    fn small_records_and_garbage() {
        let mut b = hdr(KIND_EXIT, 5, 24);
        b[16..20].copy_from_slice(&(1i32 << 8).to_le_bytes());
        assert_eq!(
            decode(&b),
            Some(Record::Exit {
                pid: 5,
                ts_ns: 123_456_789,
                status: 256
            })
        );
        let mut o = hdr(KIND_OPEN, 5, 32 + PATH_KEY + 128);
        o[32..44].copy_from_slice(b"/etc/shadow\0");
        let Some(Record::Open(op)) = decode(&o) else {
            panic!("open")
        };
        assert_eq!(op.path, "/etc/shadow");
        assert!(decode(&hdr(99, 1, 64)).is_none());
        assert!(decode(&[1, 2, 3]).is_none());
        assert!(decode(&hdr(KIND_FORK, 1, 18)).is_none());
    }

    #[test]
    fn path_keys() {
        let k = path_key("/etc/shadow").unwrap();
        assert_eq!(&k[..11], b"/etc/shadow");
        assert!(k[11..].iter().all(|b| *b == 0));
        assert!(path_key(&"a".repeat(PATH_KEY)).is_none());
        assert!(path_key("").is_none());
    }
}

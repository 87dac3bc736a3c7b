//! TCP connections and listening sockets by polling `/proc/net/tcp` and `/proc/net/tcp6`, each
//! socket tied to its process through the socket inodes in `/proc/PID/fd`.
//!
//! Limits of polling (the eBPF path has none of these): a connection that opens and closes
//! between two polls is seen only as a `TIME_WAIT` entry with no owning process (reported with
//! pid 0), or not at all on the accepting side; the time is the poll's, not the connect's; only
//! the agent's network namespace is read; UDP is not reported.

use crate::emit::Emitter;
use crate::procfs::{ProcRoot, read_small};
use crate::proctable::ProcTable;
use crate::sources::exec::lock;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vigil_model::HostEventKind;
use vigil_model::host::{Direction, ProcessRef, Protocol};

/// TCP states as `/proc/net/tcp` writes them (`include/net/tcp_states.h`).
pub const TCP_ESTABLISHED: u8 = 0x01;
pub const TCP_SYN_SENT: u8 = 0x02;
pub const TCP_TIME_WAIT: u8 = 0x06;
pub const TCP_CLOSE_WAIT: u8 = 0x08;
pub const TCP_LISTEN: u8 = 0x0A;

/// One row of `/proc/net/tcp{,6}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockEntry {
    pub local: (IpAddr, u16),
    pub remote: (IpAddr, u16),
    pub state: u8,
    pub uid: u32,
    pub inode: u64,
}

/// Parses the table; malformed rows are skipped.
pub fn parse_proc_net_tcp(text: &str) -> Vec<SockEntry> {
    text.lines().skip(1).filter_map(parse_row).collect()
}

fn parse_row(line: &str) -> Option<SockEntry> {
    let mut f = line.split_whitespace();
    let _slot = f.next()?;
    let local = parse_endpoint(f.next()?)?;
    let remote = parse_endpoint(f.next()?)?;
    let state = u8::from_str_radix(f.next()?, 16).ok()?;
    let _queues = f.next()?;
    let _timer = f.next()?;
    let _retrans = f.next()?;
    let uid = f.next()?.parse().ok()?;
    let _timeout = f.next()?;
    let inode = f.next()?.parse().ok()?;
    Some(SockEntry {
        local,
        remote,
        state,
        uid,
        inode,
    })
}

/// `0100007F:1F90` (IPv4, the address in host byte order as hex) or the 32-hex-digit IPv6
/// form (four host-order words). IPv4-mapped IPv6 addresses come out as IPv4.
fn parse_endpoint(s: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(addr, 16).ok()?.to_le_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                let word = u32::from_str_radix(addr.get(i * 8..i * 8 + 8)?, 16).ok()?;
                chunk.copy_from_slice(&word.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes)).to_canonical()
        }
        _ => return None,
    };
    Some((ip, port))
}

/// A socket's identity across polls: its inode, or its 4-tuple when it has none (TIME_WAIT).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SockKey {
    Inode(u64),
    Tuple((IpAddr, u16), (IpAddr, u16)),
}

fn key(e: &SockEntry) -> SockKey {
    if e.inode != 0 {
        SockKey::Inode(e.inode)
    } else {
        SockKey::Tuple(e.local, e.remote)
    }
}

/// Turns successive snapshots into connect / accept / listen events.
#[derive(Debug, Default)]
pub struct Tracker {
    seen: HashSet<SockKey>,
}

/// One new socket worth an event, before its process is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSocket {
    pub direction: Direction,
    pub entry: SockEntry,
}

impl Tracker {
    /// The sockets in `entries` not seen in the previous snapshot, with their direction.
    /// A connection whose local port is a listening port is an accept; any other is a connect.
    pub fn diff(&mut self, entries: &[SockEntry]) -> Vec<NewSocket> {
        let listening: HashSet<(IpAddr, u16)> = entries
            .iter()
            .filter(|e| e.state == TCP_LISTEN)
            .map(|e| e.local)
            .collect();
        let is_listening_port = |(ip, port): (IpAddr, u16)| {
            listening.contains(&(ip, port))
                || listening
                    .iter()
                    .any(|(lip, lport)| *lport == port && lip.is_unspecified())
        };
        let mut current = HashSet::with_capacity(entries.len());
        let mut out = Vec::new();
        for e in entries {
            let k = key(e);
            let new = !self.seen.contains(&k);
            current.insert(k);
            if !new {
                continue;
            }
            let direction = match e.state {
                TCP_LISTEN => Direction::Listen,
                TCP_ESTABLISHED | TCP_SYN_SENT | TCP_TIME_WAIT | TCP_CLOSE_WAIT => {
                    if is_listening_port(e.local) {
                        Direction::Accept
                    } else {
                        Direction::Connect
                    }
                }
                _ => continue,
            };
            out.push(NewSocket {
                direction,
                entry: e.clone(),
            });
        }
        self.seen = current;
        out
    }
}

/// The event for a new socket. Connect: src is the local end. Accept: src is the peer, dst the
/// local (listening) end. Listen: src is the bound address, dst the unspecified address.
pub fn network_event(s: &NewSocket, process: ProcessRef) -> HostEventKind {
    let (src, dst) = match s.direction {
        Direction::Accept => (s.entry.remote, s.entry.local),
        Direction::Connect | Direction::Listen => (s.entry.local, s.entry.remote),
    };
    HostEventKind::Network {
        direction: s.direction,
        protocol: Protocol::Tcp,
        src_ip: src.0.to_string(),
        src_port: src.1,
        dst_ip: dst.0.to_string(),
        dst_port: dst.1,
        process,
    }
}

pub struct NetSource {
    pub proc_root: ProcRoot,
    pub table: Arc<Mutex<ProcTable>>,
    pub emitter: Emitter,
    pub interval: Duration,
}

impl NetSource {
    pub fn run(self, stop: Arc<AtomicBool>) {
        let mut tracker = Tracker::default();
        let mut owners: HashMap<u64, u32> = HashMap::new();
        while !stop.load(Ordering::Relaxed) {
            self.poll(&mut tracker, &mut owners);
            sleep_until_stop(&stop, self.interval);
        }
    }

    /// One look at the socket tables: every socket open now is reported (the eBPF path does
    /// this once at start, so sockets opened before the agent are known as on the fallback).
    pub fn poll_once(&self) {
        self.poll(&mut Tracker::default(), &mut HashMap::new());
    }

    fn poll(&self, tracker: &mut Tracker, owners: &mut HashMap<u64, u32>) {
        let time = crate::clock::now();
        let mut entries = Vec::new();
        for table in ["net/tcp", "net/tcp6"] {
            if let Some(b) = read_small(&self.proc_root.0.join(table), 64 << 20) {
                entries.extend(parse_proc_net_tcp(&String::from_utf8_lossy(&b)));
            }
        }
        let new = tracker.diff(&entries);
        if new.is_empty() {
            return;
        }
        if new
            .iter()
            .any(|s| s.entry.inode != 0 && !owners.contains_key(&s.entry.inode))
        {
            // One walk of every process's fds resolves all the new sockets of this poll.
            owners.clear();
            for pid in self.proc_root.pids() {
                for inode in self.proc_root.socket_inodes(pid) {
                    owners.entry(inode).or_insert(pid);
                }
            }
        }
        for s in &new {
            let pid = owners
                .get(&s.entry.inode)
                .copied()
                .filter(|_| s.entry.inode != 0);
            let process = match pid {
                Some(pid) => {
                    let cached = lock(&self.table).get(pid).map(|e| e.process_ref(pid));
                    cached.unwrap_or_else(|| self.proc_root.process_ref(pid))
                }
                None => ProcessRef {
                    pid: 0,
                    exe: None,
                    uid: (s.entry.inode != 0).then_some(s.entry.uid),
                    container_id: None,
                },
            };
            self.emitter.emit(time, network_event(s, process));
        }
    }
}

/// Sleeps `total`, waking early when the agent stops.
pub fn sleep_until_stop(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(50);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::Relaxed) {
        let d = left.min(step);
        std::thread::sleep(d);
        left -= d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1
   3: 0F01000A:D431 07643398:115C 06 00000000:00000000 03:00000F9C 00000000     0        0 0 3 0000000000000000
   garbage
";

    #[test]
    fn parses_rows() {
        let rows = parse_proc_net_tcp(TCP);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].local, ("127.0.0.1".parse().unwrap(), 8080));
        assert_eq!(rows[0].state, TCP_LISTEN);
        assert_eq!(rows[1].uid, 1000);
        assert_eq!(rows[1].inode, 1002);
        assert_eq!(rows[3].remote, ("152.51.100.7".parse().unwrap(), 4444));
    }

    #[test]
    fn ipv6_and_mapped() {
        let (ip, port) = parse_endpoint("00000000000000000000000001000000:0016").unwrap();
        assert_eq!((ip.to_string(), port), ("::1".into(), 22));
        let (ip, _) = parse_endpoint("0000000000000000FFFF00000100007F:0016").unwrap();
        assert_eq!(ip.to_string(), "127.0.0.1");
    }

    #[test]
    fn directions_and_only_new() {
        let rows = parse_proc_net_tcp(TCP);
        let mut t = Tracker::default();
        let new = t.diff(&rows);
        let dirs: Vec<_> = new.iter().map(|s| (s.direction, s.entry.inode)).collect();
        assert_eq!(
            dirs,
            vec![
                (Direction::Listen, 1001),
                (Direction::Connect, 1002),
                (Direction::Accept, 1003),
                (Direction::Connect, 0),
            ]
        );
        assert!(t.diff(&rows).is_empty(), "nothing new the second time");
        let ev = network_event(
            &new[2],
            ProcessRef {
                pid: 5,
                exe: None,
                uid: None,
                container_id: None,
            },
        );
        let HostEventKind::Network {
            src_port, dst_port, ..
        } = ev
        else {
            panic!()
        };
        assert_eq!(
            (src_port, dst_port),
            (50000, 8080),
            "accept: src is the peer"
        );
    }
}

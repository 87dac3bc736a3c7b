//! Linux audit logs (`/var/log/audit/audit.log`, raw or with `ausearch`-style enrichment) as
//! host events.
//!
//! One kernel event is several records (`SYSCALL`, `EXECVE`, `CWD`, `PATH`, `SOCKADDR`,
//! `PROCTITLE`, …) that share `msg=audit(SECONDS.MILLIS:SERIAL)`; records of different events
//! may interleave. Records are grouped by that id (and `node=`), then each group becomes at
//! most one event:
//!
//! | group | event |
//! |---|---|
//! | `execve`/`execveat` that succeeded | `process_start` (argv from `EXECVE`, else `PROCTITLE`; cwd from `CWD`) |
//! | `connect` / `accept` / `bind` with an IPv4/IPv6 `SOCKADDR` | `network` connect / accept / listen |
//! | `open`/`openat`/`openat2`/`creat` | `file_access` (path from `PATH`, relative names joined to `CWD`) |
//! | `setuid`/`setreuid`/`setresuid` | `privilege_change` |
//! | `USER_LOGIN` | `login` |
//!
//! Other groups are skipped with `unsupported:auditd_syscall` or `unsupported:auditd_record`;
//! a line that is not an audit record is `invalid_record`. Ids are
//! `auditd-<host>-<SECONDS.MILLIS>:<SERIAL>`, the kernel's own event id, so re-ingest adds
//! nothing. The host is the record's `node=`, else the caller's default.
//!
//! What the audit log does not say: the local address of a connection (reported as the
//! unspecified address, port 0), container ids, stdin/stdout kinds, the uid *before* a
//! `setuid` (the record's `uid` is used).

use crate::cloudtrail::ParseOutcome;
use crate::limits::FileContext;
use crate::reason::{Location, Skip, SkipReason};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vigil_model::host::{
    Direction, FileAccessKind, HostEvent, HostEventKind, Process, ProcessRef, Protocol,
};
use vigil_model::{Event, EventBody, EventSource, Timestamp};

/// The host id of events whose records carry no `node=`.
pub const UNKNOWN_HOST: &str = "unknown-host";

/// Parses an audit log. `default_host` names the host when records have no `node=`.
pub fn parse_auditd_bytes(bytes: &[u8], ctx: &FileContext, default_host: &str) -> ParseOutcome {
    let mut out = ParseOutcome::default();
    let loc = |line: Option<usize>| Location {
        path: ctx.path.clone(),
        record: None,
        line,
    };
    if bytes.trim_ascii().is_empty() {
        out.skips
            .push(Skip::new(SkipReason::EmptyFile, loc(None), ""));
        return out;
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (n, line) in crate::split::lines(bytes) {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        if line.len() > ctx.max_record_bytes {
            out.records += 1;
            out.skips.push(Skip::new(
                SkipReason::RecordTooLarge,
                loc(Some(n)),
                format!("{} bytes, limit {}", line.len(), ctx.max_record_bytes),
            ));
            continue;
        }
        let text = String::from_utf8_lossy(trimmed);
        let Some(rec) = parse_record(&text) else {
            out.records += 1;
            out.skips.push(Skip::new(
                SkipReason::InvalidRecord,
                loc(Some(n)),
                "not an audit record (`type=… msg=audit(…):`)",
            ));
            continue;
        };
        let key = (rec.node.clone().unwrap_or_default(), rec.id.clone());
        let at = *index.entry(key).or_insert_with(|| {
            groups.push(Group {
                first_line: n,
                node: rec.node.clone(),
                id: rec.id.clone(),
                time: rec.time,
                records: Vec::new(),
            });
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(at) {
            g.records.push(rec);
        }
    }
    for g in &groups {
        out.records += 1;
        match g.event(default_host) {
            Ok(ev) => out.events.push(ev),
            Err((reason, detail)) => {
                out.skips
                    .push(Skip::new(reason, loc(Some(g.first_line)), detail))
            }
        }
    }
    out
}

/// True when a line looks like an audit record (for format sniffing).
pub fn looks_like_auditd(line: &[u8]) -> bool {
    let l = line.trim_ascii_start();
    (l.starts_with(b"type=") || l.starts_with(b"node="))
        && memchr::memmem::find(l, b"msg=audit(").is_some()
}

/// One `type=… msg=audit(…): fields` line.
#[derive(Debug, Clone)]
struct Record {
    node: Option<String>,
    kind: String,
    id: String,
    time: Timestamp,
    fields: Vec<(String, Value)>,
}

/// A field value as written: quoted strings are literal; bare values may be hex-encoded
/// strings (audit hex-encodes strings with spaces, quotes or control characters).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Quoted(String),
    Bare(String),
}

impl Record {
    fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A string field, hex-decoded when it was written bare in hex.
    fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::Quoted(s) => Some(s.clone()),
            Value::Bare(s) if s == "(null)" || s == "?" => None,
            Value::Bare(s) => Some(decode_hex(s).unwrap_or_else(|| s.clone())),
        }
    }

    /// A bare token (numbers, flags), quotes removed.
    fn raw(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Quoted(s) | Value::Bare(s) => Some(s),
        }
    }

    fn num(&self, key: &str) -> Option<u32> {
        let v = self.raw(key)?.parse::<u64>().ok()?;
        u32::try_from(v).ok()
    }

    /// A syscall argument (`a0`…`a3`), written in hex.
    fn arg(&self, key: &str) -> Option<u64> {
        u64::from_str_radix(self.raw(key)?, 16).ok()
    }
}

fn parse_record(line: &str) -> Option<Record> {
    // Enriched logs append `\x1d` and the resolved names (`UID="root"`); keep both parts.
    let (main, enriched) = match line.split_once('\u{1d}') {
        Some((m, e)) => (m, Some(e)),
        None => (line, None),
    };
    let mut rest = main;
    let mut node = None;
    if let Some(r) = rest.strip_prefix("node=") {
        let (n, r) = r.split_once(' ')?;
        node = Some(n.to_string());
        rest = r.trim_start();
    }
    let r = rest.strip_prefix("type=")?;
    let (kind, r) = r.split_once(' ')?;
    let r = r.trim_start().strip_prefix("msg=audit(")?;
    let (id, r) = r.split_once("):")?;
    let (secs, _serial) = id.split_once(':')?;
    let (s, ms) = secs.split_once('.').unwrap_or((secs, "0"));
    let millis: i64 = format!("{ms:0<3}").get(..3)?.parse().ok()?;
    let time = Timestamp::from_millis(s.parse::<i64>().ok()?.checked_mul(1000)? + millis);
    let mut fields = parse_fields(r);
    if let Some(e) = enriched {
        fields.extend(parse_fields(e));
    }
    Some(Record {
        node,
        kind: kind.to_string(),
        id: id.to_string(),
        time,
        fields,
    })
}

/// `key=value` pairs: `"quoted"`, bare tokens, and `msg='…'` whose inner pairs (USER_* records)
/// are added as fields of their own.
fn parse_fields(s: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some(eq) = rest.find('=') else { break };
        let key = rest.get(..eq).unwrap_or("").trim();
        let after = rest.get(eq + 1..).unwrap_or("");
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (
                    Value::Quoted(q.get(..end).unwrap_or("").to_string()),
                    q.get(end + 1..).unwrap_or(""),
                ),
                None => (Value::Quoted(q.to_string()), ""),
            }
        } else if let Some(q) = after.strip_prefix('\'') {
            let end = q.find('\'').unwrap_or(q.len());
            let inner = q.get(..end).unwrap_or("");
            out.extend(parse_fields(inner));
            (
                Value::Quoted(inner.to_string()),
                q.get(end + 1..).unwrap_or(""),
            )
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (
                Value::Bare(after.get(..end).unwrap_or("").to_string()),
                after.get(end..).unwrap_or(""),
            )
        };
        // A key with spaces is the tail of something unparseable; stop rather than guess.
        if key.is_empty() || key.contains(' ') {
            break;
        }
        out.push((key.to_string(), value));
        rest = next;
    }
    out
}

fn decode_hex(s: &str) -> Option<String> {
    if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    Some(String::from_utf8_lossy(&bytes?).into_owned())
}

/// The records of one kernel event.
struct Group {
    first_line: usize,
    node: Option<String>,
    id: String,
    time: Timestamp,
    records: Vec<Record>,
}

type Fail = (SkipReason, String);

impl Group {
    fn find(&self, kind: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.kind == kind)
    }

    fn event(&self, default_host: &str) -> Result<Event, Fail> {
        let kind = if let Some(sc) = self.find("SYSCALL") {
            self.syscall_event(sc)?
        } else if let Some(r) = self.find("USER_LOGIN") {
            login(r)
        } else {
            let kinds: Vec<&str> = self.records.iter().map(|r| r.kind.as_str()).collect();
            return Err((SkipReason::Unsupported("auditd_record"), kinds.join(",")));
        };
        let host = self
            .node
            .clone()
            .unwrap_or_else(|| default_host.to_string());
        Ok(Event {
            id: format!("auditd-{host}-{}", self.id),
            time: self.time,
            source: EventSource::Auditd,
            body: EventBody::Host(HostEvent {
                host_id: host,
                hostname: self.node.clone(),
                kind,
            }),
        })
    }

    fn syscall_event(&self, sc: &Record) -> Result<HostEventKind, Fail> {
        let name = syscall_name(sc);
        let success = sc.raw("success") == Some("yes");
        let pid = sc
            .num("pid")
            .ok_or((SkipReason::MissingField("pid"), String::new()))?;
        let pref = ProcessRef {
            pid,
            exe: sc.text("exe"),
            uid: sc.num("uid"),
            container_id: None,
        };
        let unsupported = || {
            Err((
                SkipReason::Unsupported("auditd_syscall"),
                format!(
                    "{} (arch {})",
                    name.unwrap_or(sc.raw("syscall").unwrap_or("?")),
                    sc.raw("arch").unwrap_or("?")
                ),
            ))
        };
        match name {
            Some("execve" | "execveat") if success => Ok(HostEventKind::ProcessStart {
                process: self.process(sc, pid),
            }),
            Some("connect" | "accept" | "accept4" | "bind") => {
                let Some(saddr) = self.find("SOCKADDR").and_then(|r| r.raw("saddr")) else {
                    return Err((SkipReason::MissingField("saddr"), String::new()));
                };
                let (ip, port) = decode_sockaddr(saddr)?;
                let any = if ip.is_ipv4() {
                    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
                } else {
                    IpAddr::V6(Ipv6Addr::UNSPECIFIED)
                };
                let (direction, src, dst) = match name {
                    Some("connect") => (Direction::Connect, (any, 0), (ip, port)),
                    Some("bind") => (Direction::Listen, (ip, port), (any, 0)),
                    _ => (Direction::Accept, (ip, port), (any, 0)),
                };
                Ok(HostEventKind::Network {
                    direction,
                    protocol: Protocol::Tcp,
                    src_ip: src.0.to_string(),
                    src_port: src.1,
                    dst_ip: dst.0.to_string(),
                    dst_port: dst.1,
                    process: pref,
                })
            }
            Some(n @ ("open" | "openat" | "openat2" | "creat")) => {
                let cwd = self.find("CWD").and_then(|r| r.text("cwd"));
                let path = self
                    .records
                    .iter()
                    .filter(|r| r.kind == "PATH")
                    .filter(|r| r.raw("nametype") != Some("PARENT"))
                    .find_map(|r| r.text("name"))
                    .ok_or((SkipReason::MissingField("name"), "no PATH record".into()))?;
                let path = match (&cwd, path.starts_with('/')) {
                    (Some(c), false) => format!("{}/{path}", c.trim_end_matches('/')),
                    _ => path,
                };
                let flags = match n {
                    "open" => sc.arg("a1"),
                    "creat" => Some(0o1),
                    _ => sc.arg("a2"),
                }
                .unwrap_or(0);
                // O_WRONLY/O_RDWR, O_CREAT (0o100), O_TRUNC (0o1000).
                let write = flags & 0o3 != 0 || flags & 0o100 != 0 || flags & 0o1000 != 0;
                Ok(HostEventKind::FileAccess {
                    path,
                    access: if write {
                        FileAccessKind::Write
                    } else {
                        FileAccessKind::Read
                    },
                    process: pref,
                })
            }
            Some(n @ ("setuid" | "setreuid" | "setresuid")) if success => {
                let arg = if n == "setuid" { "a0" } else { "a1" };
                let new_uid = sc
                    .arg(arg)
                    .and_then(|v| u32::try_from(v).ok())
                    .filter(|v| *v != u32::MAX)
                    .or_else(|| sc.num("euid"))
                    .ok_or((SkipReason::MissingField("a0"), String::new()))?;
                Ok(HostEventKind::PrivilegeChange {
                    old_uid: sc.num("uid").unwrap_or(u32::MAX),
                    new_uid,
                    via: sc.text("comm"),
                    process: pref,
                })
            }
            _ => unsupported(),
        }
    }

    /// The fields of every record of `kind` in the group, in order (long EXECVE arguments
    /// continue over several records).
    fn merged(&self, kind: &str) -> Option<Record> {
        let mut all = self.records.iter().filter(|r| r.kind == kind);
        let mut first = all.next()?.clone();
        for r in all {
            first.fields.extend(r.fields.iter().cloned());
        }
        Some(first)
    }

    fn process(&self, sc: &Record, pid: u32) -> Process {
        let mut argv = self
            .merged("EXECVE")
            .map(|r| execve_argv(&r))
            .unwrap_or_default();
        if argv.is_empty()
            && let Some(title) = self.find("PROCTITLE").and_then(|r| r.text("proctitle"))
        {
            argv = title.split('\0').map(str::to_string).collect();
        }
        let exe = sc
            .text("exe")
            .or_else(|| argv.first().cloned())
            .unwrap_or_default();
        let user = sc
            .text("UID")
            .or_else(|| self.find("EXECVE").and_then(|r| r.text("UID")));
        Process {
            pid,
            ppid: sc.num("ppid").unwrap_or(0),
            uid: sc.num("uid").unwrap_or(u32::MAX),
            euid: sc.num("euid").unwrap_or(u32::MAX),
            exe,
            argv,
            cwd: self.find("CWD").and_then(|r| r.text("cwd")),
            user,
            container_id: None,
            image: None,
            pid_ns: None,
            mnt_ns: None,
            start_time: Some(self.time),
            stdin: None,
            stdout: None,
            parent_exe: None,
        }
    }
}

/// `argc=N a0=… a1=…`, with long arguments split as `aN_len=… aN[0]=… aN[1]=…` (the fields of
/// all the group's EXECVE records, merged).
fn execve_argv(first: &Record) -> Vec<String> {
    let argc = first.num("argc").unwrap_or(0) as usize;
    let mut argv = Vec::with_capacity(argc.min(4096));
    for i in 0..argc.min(4096) {
        let key = format!("a{i}");
        if let Some(v) = first.text(&key) {
            argv.push(v);
            continue;
        }
        // Chunked: hex pieces a{i}[0], a{i}[1], … concatenated, then decoded.
        let mut hex = String::new();
        let mut j = 0;
        while let Some(piece) = first.raw(&format!("{key}[{j}]")) {
            hex.push_str(piece);
            j += 1;
        }
        if j == 0 {
            break;
        }
        argv.push(decode_hex(&hex).unwrap_or(hex));
    }
    argv
}

fn login(r: &Record) -> HostEventKind {
    let exe = r.text("exe").unwrap_or_default();
    let method = match exe.rsplit('/').next().unwrap_or("") {
        "sshd" => "ssh".to_string(),
        "login" => "tty".to_string(),
        "" => "unknown".to_string(),
        other => other.to_string(),
    };
    HostEventKind::Login {
        user: r
            .text("acct")
            .or_else(|| r.raw("id").map(str::to_string))
            .unwrap_or_default(),
        method,
        source_ip: r.raw("addr").filter(|a| *a != "?").map(str::to_string),
        success: r.raw("res") == Some("success"),
    }
}

/// The syscall's name: from the enrichment (`SYSCALL=execve`) or the per-arch number.
fn syscall_name(sc: &Record) -> Option<&'static str> {
    if let Some(n) = sc.raw("SYSCALL") {
        return KNOWN.iter().copied().find(|k| *k == n);
    }
    let nr: u32 = sc.raw("syscall")?.parse().ok()?;
    let table: &[(u32, &'static str)] = match sc.raw("arch")? {
        "c000003e" => &[
            (59, "execve"),
            (322, "execveat"),
            (42, "connect"),
            (43, "accept"),
            (288, "accept4"),
            (49, "bind"),
            (2, "open"),
            (257, "openat"),
            (437, "openat2"),
            (85, "creat"),
            (105, "setuid"),
            (113, "setreuid"),
            (117, "setresuid"),
        ],
        "c00000b7" => &[
            (221, "execve"),
            (281, "execveat"),
            (203, "connect"),
            (202, "accept"),
            (242, "accept4"),
            (200, "bind"),
            (56, "openat"),
            (437, "openat2"),
            (146, "setuid"),
            (145, "setreuid"),
            (147, "setresuid"),
        ],
        // ppc64 (big-endian) and ppc64le.
        "80000015" | "c0000015" => &[
            (11, "execve"),
            (362, "execveat"),
            (328, "connect"),
            (330, "accept"),
            (344, "accept4"),
            (327, "bind"),
            (5, "open"),
            (286, "openat"),
            (23, "setuid"),
            (70, "setreuid"),
            (164, "setresuid"),
        ],
        _ => return None,
    };
    table.iter().find(|(n, _)| *n == nr).map(|(_, name)| *name)
}

const KNOWN: &[&str] = &[
    "execve",
    "execveat",
    "connect",
    "accept",
    "accept4",
    "bind",
    "open",
    "openat",
    "openat2",
    "creat",
    "setuid",
    "setreuid",
    "setresuid",
];

/// An IPv4/IPv6 `struct sockaddr` in hex. The family is in the machine's byte order: read
/// little-endian first, big-endian when that is not a known family.
fn decode_sockaddr(hex: &str) -> Result<(IpAddr, u16), Fail> {
    let bad = |d: &str| (SkipReason::InvalidField("saddr"), d.to_string());
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("zz"), 16))
        .collect::<Result<_, _>>()
        .map_err(|_| bad("not hex"))?;
    let b = |i: usize| bytes.get(i).copied();
    let (lo, hi) = (b(0).ok_or_else(|| bad("empty"))?, b(1).unwrap_or(0));
    let family = match u16::from_le_bytes([lo, hi]) {
        f @ (1 | 2 | 10 | 16) => f,
        _ => u16::from_be_bytes([lo, hi]),
    };
    let port = u16::from_be_bytes([b(2).unwrap_or(0), b(3).unwrap_or(0)]);
    match family {
        2 => {
            let a: [u8; 4] = bytes
                .get(4..8)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("short AF_INET address"))?;
            Ok((IpAddr::V4(Ipv4Addr::from(a)), port))
        }
        10 => {
            let a: [u8; 16] = bytes
                .get(8..24)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("short AF_INET6 address"))?;
            Ok((IpAddr::V6(Ipv6Addr::from(a)).to_canonical(), port))
        }
        1 => Err((SkipReason::Unsupported("unix_socket"), String::new())),
        16 => Err((SkipReason::Unsupported("netlink_socket"), String::new())),
        f => Err(bad(&format!("address family {f}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs() {
        assert_eq!(
            decode_sockaddr("02002BCB7F0000010000000000000000").unwrap(),
            ("127.0.0.1".parse().unwrap(), 11211)
        );
        assert_eq!(
            decode_sockaddr("0A002BCB000000000000000000000000000000000000000100000000").unwrap(),
            ("::1".parse().unwrap(), 11211)
        );
        assert_eq!(
            decode_sockaddr("0002D903000000000000000000000000").unwrap(),
            ("0.0.0.0".parse().unwrap(), 55555),
            "big-endian family"
        );
        assert_eq!(
            decode_sockaddr("01002F746D702F78").unwrap_err().0,
            SkipReason::Unsupported("unix_socket")
        );
        assert!(decode_sockaddr("zz").is_err());
    }

    #[test]
    fn fields_quoted_bare_nested() {
        let f = parse_fields(
            r#"pid=1 uid=0 msg='op=login acct="alice" exe="/usr/sbin/sshd" addr=203.0.113.9 res=success' a1=2D65"#,
        );
        let get = |k: &str| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(get("acct"), Some(Value::Quoted("alice".into())));
        assert_eq!(get("res"), Some(Value::Bare("success".into())));
        assert_eq!(get("a1"), Some(Value::Bare("2D65".into())));
        assert_eq!(decode_hex("2D65").as_deref(), Some("-e"));
        assert_eq!(decode_hex("2D6"), None);
    }

    #[test]
    fn record_header() {
        let r = parse_record("node=web-1 type=CWD msg=audit(1626611363.72:348501): cwd=\"/root\"")
            .unwrap();
        assert_eq!(r.node.as_deref(), Some("web-1"));
        assert_eq!(r.kind, "CWD");
        assert_eq!(r.id, "1626611363.72:348501");
        assert_eq!(r.time.as_millis(), 1_626_611_363_720);
        assert!(parse_record("garbage").is_none());
        assert!(parse_record("type=X msg=audit(abc): ").is_none());
    }
}

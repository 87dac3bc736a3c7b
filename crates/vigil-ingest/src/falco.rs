//! Falco alerts (`json_output: true`, one alert per line) as host events.
//!
//! An alert names what the kernel saw in `output_fields`: the process (`proc.*`, `user.*`),
//! the file or socket (`fd.*`), the container (`container.*`) and the syscall (`evt.type`).
//! The syscall picks the event kind: `execve` → `process_start`, `connect`/`accept`/`listen`
//! (and `dup*` of a socket, the stdin/stdout redirection of a reverse shell) → `network`,
//! `open*` → `file_access`, `set*uid` → `privilege_change`. Alerts about other
//! syscalls, or from other Falco sources (k8s_audit, plugins), are skipped as
//! `unsupported:falco_event` / `unsupported:falco_source`; an alert without `hostname` as
//! `missing_field:hostname`. Ids are derived from the line's bytes, so re-ingest adds nothing.
//!
//! Falco gives the command line joined with spaces (`proc.cmdline`); `argv` is that split on
//! spaces, so arguments that contained spaces are split too.

use crate::cloudtrail::ParseOutcome;
use crate::limits::FileContext;
use crate::normalize::derived_id;
use crate::reason::SkipReason;
use serde_json::{Map, Value};
use vigil_model::host::{
    Direction, FileAccessKind, HostEvent, HostEventKind, Process, ProcessRef, Protocol,
};
use vigil_model::{Event, EventBody, EventSource, Timestamp};

/// Parses Falco JSON alert lines; bad or unsupported lines are skipped with a reason.
pub fn parse_falco_bytes(bytes: &[u8], ctx: &FileContext) -> ParseOutcome {
    crate::host::parse_json_lines(bytes, ctx, falco_line)
}

/// True when a JSON line looks like a Falco alert (for format sniffing).
pub fn looks_like_falco(line: &[u8]) -> bool {
    let has = |needle: &[u8]| memchr::memmem::find(line, needle).is_some();
    line.trim_ascii_start().starts_with(b"{")
        && (has(b"\"output_fields\"") || (has(b"\"rule\"") && has(b"\"priority\"")))
}

type Fail = (SkipReason, String);

fn falco_line(line: &[u8], max: usize) -> Result<Event, Fail> {
    if line.len() > max {
        return Err((
            SkipReason::RecordTooLarge,
            format!("{} bytes, limit {max}", line.len()),
        ));
    }
    let v: Value =
        serde_json::from_slice(line).map_err(|e| (SkipReason::InvalidJson, e.to_string()))?;
    let Value::Object(alert) = v else {
        return Err((SkipReason::InvalidRecord, "not a JSON object".into()));
    };
    let rule = alert.get("rule").and_then(Value::as_str).unwrap_or("");
    if let Some(source) = alert.get("source").and_then(Value::as_str)
        && source != "syscall"
    {
        return Err((
            SkipReason::Unsupported("falco_source"),
            format!("source `{source}`, rule `{rule}`"),
        ));
    }
    let empty = Map::new();
    let fields = match alert.get("output_fields") {
        Some(Value::Object(f)) => f,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err((SkipReason::InvalidField("output_fields"), String::new())),
    };
    let time = event_time(&alert, fields)?;
    let host_id = str_field(&alert, "hostname")
        .ok_or((SkipReason::MissingField("hostname"), String::new()))?;
    let evt_type = str_field(fields, "evt.type").unwrap_or_default();
    let kind = kind_of(&evt_type, fields, time).ok_or_else(|| {
        (
            SkipReason::Unsupported("falco_event"),
            format!("evt.type `{evt_type}`, rule `{rule}`"),
        )
    })?;
    Ok(Event {
        id: derived_id(line),
        time,
        source: EventSource::Falco,
        body: EventBody::Host(HostEvent {
            host_id: host_id.clone(),
            hostname: Some(host_id),
            kind,
        }),
    })
}

/// `time` (RFC 3339 with nanoseconds), else `evt.time.iso8601`/`evt.rawtime` (epoch ns).
fn event_time(alert: &Map<String, Value>, fields: &Map<String, Value>) -> Result<Timestamp, Fail> {
    if let Some(t) = alert.get("time").and_then(Value::as_str) {
        return Timestamp::parse(t).map_err(|e| (SkipReason::InvalidField("time"), e.to_string()));
    }
    for key in ["evt.rawtime", "evt.time.iso8601"] {
        if let Some(ns) = fields.get(key).and_then(Value::as_i64) {
            return Ok(Timestamp::from_millis(ns / 1_000_000));
        }
    }
    Err((SkipReason::MissingField("time"), String::new()))
}

fn kind_of(evt_type: &str, f: &Map<String, Value>, time: Timestamp) -> Option<HostEventKind> {
    match evt_type {
        "execve" | "execveat" => Some(HostEventKind::ProcessStart {
            process: process(f, time)?,
        }),
        "connect" | "accept" | "accept4" | "listen" => network(evt_type, f),
        // stdin/stdout duplicated onto a socket (Falco's reverse-shell rule): the process holds
        // that connection, reported as its connect.
        "dup" | "dup2" | "dup3" => network("connect", f),
        "open" | "openat" | "openat2" | "creat" => {
            let path = str_field(f, "fd.name")
                .or_else(|| str_field(f, "evt.arg.name"))
                .or_else(|| str_field(f, "fs.path.name"))?;
            let flags = str_field(f, "evt.arg.flags").unwrap_or_default();
            let write = evt_type == "creat"
                || ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"]
                    .iter()
                    .any(|w| flags.contains(w));
            Some(HostEventKind::FileAccess {
                path,
                access: if write {
                    FileAccessKind::Write
                } else {
                    FileAccessKind::Read
                },
                process: process_ref(f)?,
            })
        }
        "setuid" | "setresuid" | "setreuid" => {
            let new_uid = ["evt.arg.uid", "evt.arg.euid", "evt.arg.ruid"]
                .iter()
                .find_map(|k| num_field(f, k))?;
            Some(HostEventKind::PrivilegeChange {
                process: process_ref(f)?,
                old_uid: num_field(f, "user.uid")?,
                new_uid,
                via: str_field(f, "proc.name"),
            })
        }
        _ => None,
    }
}

fn process(f: &Map<String, Value>, time: Timestamp) -> Option<Process> {
    let pid = num_field(f, "proc.pid")?;
    let exe = str_field(f, "proc.exepath")
        .or_else(|| str_field(f, "proc.exe"))
        .or_else(|| str_field(f, "proc.name"))?;
    let uid = num_field(f, "user.uid").unwrap_or(u32::MAX);
    let argv = str_field(f, "proc.cmdline")
        .map(|c| {
            c.split(' ')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some(Process {
        pid,
        ppid: num_field(f, "proc.ppid").unwrap_or(0),
        uid,
        euid: uid,
        exe,
        argv,
        cwd: str_field(f, "proc.cwd"),
        user: str_field(f, "user.name"),
        container_id: container_id(f),
        image: image(f),
        pid_ns: None,
        mnt_ns: None,
        start_time: Some(time),
        stdin: None,
        stdout: None,
        parent_exe: str_field(f, "proc.pexepath"),
    })
}

fn process_ref(f: &Map<String, Value>) -> Option<ProcessRef> {
    Some(ProcessRef {
        pid: num_field(f, "proc.pid")?,
        exe: str_field(f, "proc.exepath")
            .or_else(|| str_field(f, "proc.exe"))
            .or_else(|| str_field(f, "proc.name")),
        uid: num_field(f, "user.uid"),
        container_id: container_id(f),
    })
}

/// `fd.cip:fd.cport` is the client, `fd.sip:fd.sport` the server; `fd.name`
/// (`10.0.0.5:51234->198.51.100.7:4444`) is the fallback.
fn network(evt_type: &str, f: &Map<String, Value>) -> Option<HostEventKind> {
    let protocol = match str_field(f, "fd.l4proto").as_deref() {
        Some("udp") => Protocol::Udp,
        _ => Protocol::Tcp,
    };
    let from_fields = || -> Option<((String, u16), (String, u16))> {
        Some((
            (str_field(f, "fd.cip")?, num_field(f, "fd.cport")?),
            (str_field(f, "fd.sip")?, num_field(f, "fd.sport")?),
        ))
    };
    let (client, server) = from_fields().or_else(|| parse_fd_name(&str_field(f, "fd.name")?))?;
    let direction = match evt_type {
        "connect" => Direction::Connect,
        "listen" => Direction::Listen,
        _ => Direction::Accept,
    };
    Some(HostEventKind::Network {
        direction,
        protocol,
        src_ip: client.0,
        src_port: client.1,
        dst_ip: server.0,
        dst_port: server.1,
        process: process_ref(f)?,
    })
}

/// `a:1->b:2` (IPv6 addresses keep their colons: the port is after the last one).
fn parse_fd_name(name: &str) -> Option<((String, u16), (String, u16))> {
    let (a, b) = name.split_once("->")?;
    let ep = |s: &str| -> Option<(String, u16)> {
        let (ip, port) = s.trim().rsplit_once(':')?;
        Some((ip.trim_matches(['[', ']']).to_string(), port.parse().ok()?))
    };
    Some((ep(a)?, ep(b)?))
}

fn container_id(f: &Map<String, Value>) -> Option<String> {
    str_field(f, "container.id").filter(|c| c != "host")
}

fn image(f: &Map<String, Value>) -> Option<String> {
    if let Some(repo) = str_field(f, "container.image.repository") {
        return Some(match str_field(f, "container.image.tag") {
            Some(tag) => format!("{repo}:{tag}"),
            None => repo,
        });
    }
    str_field(f, "container.image")
}

/// A string field; Falco writes `<NA>` or null for "not available".
fn str_field(f: &Map<String, Value>, key: &str) -> Option<String> {
    match f.get(key)? {
        Value::String(s) if !s.is_empty() && s != "<NA>" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number field, written by Falco as a JSON number or a decimal string.
fn num_field<T: TryFrom<i64> + TryFrom<u64>>(f: &Map<String, Value>, key: &str) -> Option<T> {
    match f.get(key)? {
        Value::Number(n) => n
            .as_u64()
            .and_then(|v| T::try_from(v).ok())
            .or_else(|| n.as_i64().and_then(|v| T::try_from(v).ok())),
        // `0(root)` style values keep the number in front.
        Value::String(s) => s
            .trim()
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse::<u64>()
            .ok()
            .and_then(|v| T::try_from(v).ok()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_names() {
        assert_eq!(
            parse_fd_name("10.0.0.5:51234->198.51.100.7:4444"),
            Some((("10.0.0.5".into(), 51234), ("198.51.100.7".into(), 4444)))
        );
        assert_eq!(
            parse_fd_name("::1:40000->::1:22"),
            Some((("::1".into(), 40000), ("::1".into(), 22)))
        );
        assert_eq!(parse_fd_name("/etc/shadow"), None);
    }

    #[test]
    fn sniffing() {
        assert!(looks_like_falco(
            br#"{"output":"x","priority":"Warning","rule":"r","output_fields":{}}"#
        ));
        assert!(!looks_like_falco(
            br#"{"id":"h-1","time":"2024-05-01T12:00:00Z","host":{}}"#
        ));
        assert!(!looks_like_falco(b"type=SYSCALL msg=audit(1.2:3): "));
    }
}

//! Which host-event format a file is in: the agent's JSON lines, Falco JSON alerts, or an audit
//! log. Sniffed from the first non-blank line, so `vigil ingest host` takes any of them.

use crate::auditd::{UNKNOWN_HOST, looks_like_auditd, parse_auditd_bytes};
use crate::cloudtrail::ParseOutcome;
use crate::falco::{looks_like_falco, parse_falco_bytes};
use crate::host::parse_host_bytes;
use crate::limits::FileContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFormat {
    Agent,
    Falco,
    Auditd,
}

impl HostFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            HostFormat::Agent => "agent",
            HostFormat::Falco => "falco",
            HostFormat::Auditd => "auditd",
        }
    }
}

/// The format of `bytes`, from the first line that is not blank or a `#` comment. Anything
/// unrecognised is taken as agent lines (whose parser reports what is wrong with them).
pub fn sniff_host_format(bytes: &[u8]) -> HostFormat {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = body
        .split(|b| *b == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|l| !l.is_empty() && !l.starts_with(b"#"))
        .unwrap_or_default();
    if looks_like_auditd(first) {
        HostFormat::Auditd
    } else if looks_like_falco(first) {
        HostFormat::Falco
    } else {
        HostFormat::Agent
    }
}

/// Parses host events in whichever format `bytes` is in.
pub fn parse_host_any(bytes: &[u8], ctx: &FileContext) -> ParseOutcome {
    match sniff_host_format(bytes) {
        HostFormat::Agent => parse_host_bytes(bytes, ctx),
        HostFormat::Falco => parse_falco_bytes(bytes, ctx),
        HostFormat::Auditd => parse_auditd_bytes(bytes, ctx, UNKNOWN_HOST),
    }
}

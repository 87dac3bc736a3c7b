//! The one event model: every source (CloudTrail, the agent, Falco, auditd) becomes an
//! [`Event`], and rules, baselines, storage and the console only ever see this shape.

use crate::cloud::CloudEvent;
use crate::entity::{EntityKind, EntityRef};
use crate::host::{HostEvent, HostEventKind};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    Cloudtrail,
    Agent,
    Falco,
    Auditd,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Cloudtrail => "cloudtrail",
            EventSource::Agent => "agent",
            EventSource::Falco => "falco",
            EventSource::Auditd => "auditd",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            EventSource::Cloudtrail,
            EventSource::Agent,
            EventSource::Falco,
            EventSource::Auditd,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One normalised event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The source's own id (CloudTrail's `eventID`); unique per source, so ingest dedups on it.
    pub id: String,
    pub time: Timestamp,
    pub source: EventSource,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventBody {
    Cloud(CloudEvent),
    Host(HostEvent),
}

impl Event {
    pub fn cloud(&self) -> Option<&CloudEvent> {
        match &self.body {
            EventBody::Cloud(c) => Some(c),
            EventBody::Host(_) => None,
        }
    }

    pub fn host(&self) -> Option<&HostEvent> {
        match &self.body {
            EventBody::Host(h) => Some(h),
            EventBody::Cloud(_) => None,
        }
    }

    /// A stable short name for the kind of event: the API action for cloud events
    /// (`iam:CreateAccessKey`), the host event kind (`process_start`) otherwise.
    pub fn action(&self) -> String {
        match &self.body {
            EventBody::Cloud(c) => c.iam_action(),
            EventBody::Host(h) => h.kind.name().to_string(),
        }
    }

    /// Every entity this event involves, without duplicates. Investigation queries
    /// (`vigil events --entity X`) are answered from this list.
    pub fn entities(&self) -> Vec<EntityRef> {
        let mut out = Vec::with_capacity(6);
        let mut push = |kind, id: &str| {
            if !id.is_empty() && !out.iter().any(|e: &EntityRef| e.kind == kind && e.id == id) {
                out.push(EntityRef::new(kind, id));
            }
        };
        match &self.body {
            EventBody::Cloud(c) => {
                push(EntityKind::Account, &c.account);
                if let Some(k) = &c.access_key_id {
                    push(EntityKind::AccessKey, k);
                }
                if let Some(p) = c.actor.principal_arn() {
                    push(EntityKind::Principal, p);
                }
                if let Some(s) = c.actor.session_arn() {
                    push(EntityKind::RoleSession, s);
                }
                if let Some(ip) = c.source_ip_addr() {
                    push(EntityKind::Ip, &ip.to_string());
                }
                for r in &c.resources {
                    let e = EntityRef::infer(&r.id);
                    push(e.kind, &e.id);
                }
            }
            EventBody::Host(h) => {
                push(EntityKind::Host, &h.host_id);
                match &h.kind {
                    HostEventKind::ProcessStart { process } => {
                        if let Some(c) = &process.container_id {
                            push(EntityKind::Container, c);
                        }
                        if let Some(i) = &process.image {
                            push(EntityKind::Image, i);
                        }
                    }
                    HostEventKind::Network {
                        dst_ip,
                        src_ip,
                        direction,
                        process,
                        ..
                    } => {
                        let remote = match direction {
                            crate::host::Direction::Accept => src_ip,
                            _ => dst_ip,
                        };
                        push(EntityKind::Ip, remote);
                        if let Some(c) = &process.container_id {
                            push(EntityKind::Container, c);
                        }
                    }
                    HostEventKind::Login {
                        source_ip: Some(ip),
                        ..
                    } => push(EntityKind::Ip, ip),
                    HostEventKind::FileAccess { process, .. }
                    | HostEventKind::PrivilegeChange { process, .. } => {
                        if let Some(c) = &process.container_id {
                            push(EntityKind::Container, c);
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// One line a person can read in an evidence list.
    pub fn summary(&self) -> String {
        match &self.body {
            EventBody::Cloud(c) => {
                let mut s = format!(
                    "{} called {} in {}",
                    c.actor.display_name(),
                    c.iam_action(),
                    c.region
                );
                if let Some(ip) = &c.source_ip {
                    s.push_str(" from ");
                    s.push_str(ip);
                }
                if let Some(k) = &c.access_key_id {
                    s.push_str(" with key ");
                    s.push_str(k);
                }
                if let Some(e) = &c.error_code {
                    s.push_str(" (");
                    s.push_str(e);
                    s.push(')');
                }
                s
            }
            EventBody::Host(h) => {
                let detail = match &h.kind {
                    HostEventKind::ProcessStart { process } => format!(
                        "started `{}` (pid {}, ppid {}, uid {}{})",
                        process.command_line(),
                        process.pid,
                        process.ppid,
                        process.euid,
                        process
                            .container_id
                            .as_deref()
                            .map(|c| format!(", container {}", c.get(..12).unwrap_or(c)))
                            .unwrap_or_default()
                    ),
                    HostEventKind::ProcessExit { pid, exit_code, .. } => {
                        format!("process {pid} exited ({})", exit_code.map_or("?".into(), |c| c.to_string()))
                    }
                    HostEventKind::Network { direction, protocol, src_ip, src_port, dst_ip, dst_port, process } => format!(
                        "{direction:?} {protocol:?} {src_ip}:{src_port} -> {dst_ip}:{dst_port} by {} (pid {})",
                        process.exe.as_deref().unwrap_or("?"),
                        process.pid
                    )
                    .to_lowercase(),
                    HostEventKind::Login { user, method, source_ip, success } => format!(
                        "{} login of {user} via {method}{}",
                        if *success { "successful" } else { "failed" },
                        source_ip.as_deref().map(|ip| format!(" from {ip}")).unwrap_or_default()
                    ),
                    HostEventKind::FileAccess { path, access, process } => format!(
                        "{} {access:?} {path}",
                        process.exe.as_deref().unwrap_or("?")
                    ),
                    HostEventKind::PrivilegeChange { process, old_uid, new_uid, via } => format!(
                        "pid {} changed uid {old_uid} -> {new_uid}{}",
                        process.pid,
                        via.as_deref().map(|v| format!(" via {v}")).unwrap_or_default()
                    ),
                };
                format!("{}: {detail}", h.host_id)
            }
        }
    }
}

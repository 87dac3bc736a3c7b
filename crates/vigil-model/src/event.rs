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

/// One normalised event. JSON shape: `{"id", "time", "source", "cloud": {...}}` or
/// `{..., "host": {...}}`. Deserialisation goes through [`EventRepr`] rather than
/// `#[serde(flatten)]`, because flattening buffers values and verbatim [`crate::RawJson`]
/// cannot be read from a buffer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EventRepr")]
pub struct Event {
    /// The source's own id (CloudTrail's `eventID`); unique per source, so ingest dedups on it.
    pub id: String,
    pub time: Timestamp,
    pub source: EventSource,
    #[serde(flatten)]
    pub body: EventBody,
}

// Events are handled one at a time and mostly cloud events; boxing the larger variant would add
// an allocation per event for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventBody {
    Cloud(CloudEvent),
    Host(HostEvent),
}

/// The wire form of [`Event`] for deserialisation: exactly one of `cloud` and `host`.
#[derive(Deserialize)]
struct EventRepr {
    id: String,
    time: Timestamp,
    source: EventSource,
    #[serde(default)]
    cloud: Option<CloudEvent>,
    #[serde(default)]
    host: Option<HostEvent>,
}

impl TryFrom<EventRepr> for Event {
    type Error = String;
    fn try_from(r: EventRepr) -> Result<Self, Self::Error> {
        let body = match (r.cloud, r.host) {
            (Some(c), None) => EventBody::Cloud(c),
            (None, Some(h)) => EventBody::Host(h),
            (Some(_), Some(_)) => {
                return Err("an event has either `cloud` or `host`, not both".into());
            }
            (None, None) => return Err("an event needs a `cloud` or a `host` body".into()),
        };
        Ok(Event {
            id: r.id,
            time: r.time,
            source: r.source,
            body,
        })
    }
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
        let mut out: Vec<EntityRef> = Vec::with_capacity(6);
        self.each_entity(|kind, id| {
            if !out.iter().any(|e| e.kind == kind && e.id == id) {
                out.push(EntityRef::new(kind, id));
            }
        });
        out
    }

    /// Calls `f` with each entity of [`Event::entities`], in its order, without allocating
    /// (but an entity may come more than once). For the store, which lists the entities of
    /// every event it keeps.
    pub fn each_entity(&self, mut f: impl FnMut(EntityKind, &str)) {
        let mut push = |kind, id: &str| {
            if !id.is_empty() {
                f(kind, id);
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
                match (c.source_ip_addr(), &c.source_ip) {
                    // An IPv4 address parses only in its one spelling, so it is its text.
                    (Some(std::net::IpAddr::V4(_)), Some(text)) => push(EntityKind::Ip, text),
                    (Some(ip), _) => {
                        // An IPv6 address as it prints (one spelling of each).
                        let mut text = crate::CompactString::default();
                        let _ = std::fmt::Write::write_fmt(&mut text, format_args!("{ip}"));
                        push(EntityKind::Ip, &text);
                    }
                    (None, _) => {}
                }
                for r in c.resources.iter() {
                    let (kind, id) = EntityRef::infer_borrowed(&r.id);
                    push(kind, id);
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
    }

    /// One line a person can read in an evidence list.
    pub fn summary(&self) -> String {
        match &self.body {
            EventBody::Cloud(c) => {
                let mut s = String::with_capacity(160);
                c.actor.push_display_name(&mut s);
                s.push_str(" called ");
                s.push_str(c.service_short());
                s.push(':');
                s.push_str(&c.action);
                s.push_str(" in ");
                s.push_str(&c.region);
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
                    HostEventKind::ProcessFork { pid, ppid, exe } => format!(
                        "{} (pid {ppid}) forked pid {pid}",
                        exe.as_deref().unwrap_or("?")
                    ),
                    HostEventKind::LostCoverage { count, reason, event_kind, window_start, window_end } => format!(
                        "sensor lost {count} {}event(s) ({reason}) between {window_start} and {window_end}",
                        event_kind.as_deref().map(|k| format!("{k} ")).unwrap_or_default()
                    ),
                };
                format!("{}: {detail}", h.host_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, RawJson};

    #[test]
    fn round_trips_with_verbatim_parameters() {
        let e = Event {
            id: "e1".into(),
            time: Timestamp::from_secs(1_700_000_000),
            source: EventSource::Cloudtrail,
            body: EventBody::Cloud(CloudEvent {
                account: "111122223333".into(),
                region: "us-east-1".into(),
                service: "rds.amazonaws.com".into(),
                action: "CreateDBClusterSnapshot".into(),
                event_type: "AwsApiCall".into(),
                actor: Actor::Unknown { raw_type: None }.into(),
                access_key_id: Some("ASIAEXAMPLE000000001".into()),
                source_ip: Some("203.0.113.9".into()),
                user_agent: None,
                error_code: None,
                error_message: None,
                read_only: Some(false),
                request_parameters: RawJson::parse(r#"{"dBClusterIdentifier": "prod"}"#).ok(),
                response_elements: None,
                additional_event_data: None,
                resources: Default::default(),
                invoked_by: None,
                vpc_endpoint_id: None,
            }),
        };
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains(r#""cloud":{"#), "{text}");
        assert!(
            text.contains(r#"{"dBClusterIdentifier": "prod"}"#),
            "{text}"
        );
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e);
        assert!(
            serde_json::from_str::<Event>(
                r#"{"id":"x","time":"2024-01-01T00:00:00Z","source":"agent"}"#
            )
            .is_err()
        );
    }

    fn cloud_event(source_ip: &str, resources: &[&str]) -> Event {
        Event {
            id: "e1".into(),
            time: Timestamp::from_secs(1_700_000_000),
            source: EventSource::Cloudtrail,
            body: EventBody::Cloud(CloudEvent {
                account: "111122223333".into(),
                region: "us-east-1".into(),
                service: "s3.amazonaws.com".into(),
                action: "GetObject".into(),
                event_type: "AwsApiCall".into(),
                actor: Actor::IamUser {
                    account: "111122223333".into(),
                    arn: "arn:aws:iam::111122223333:user/alice".into(),
                    name: "alice".into(),
                }
                .into(),
                access_key_id: Some("AKIAEXAMPLE000000001".into()),
                source_ip: Some(source_ip.into()),
                user_agent: None,
                error_code: None,
                error_message: None,
                read_only: None,
                request_parameters: None,
                response_elements: None,
                additional_event_data: None,
                resources: resources
                    .iter()
                    .map(|id| crate::ResourceRef {
                        id: (*id).into(),
                        kind: None,
                        account: None,
                    })
                    .collect(),
                invoked_by: None,
                vpc_endpoint_id: None,
            }),
        }
    }

    /// Each entity once, in order; IPv6 addresses in their one printed spelling; a resource
    /// naming an entity already listed (here the key, prefixed or not) adds nothing.
    #[test]
    fn entities_are_listed_once_in_order() {
        let e = cloud_event(
            "2001:DB8:0:0::1",
            &[
                "AKIAEXAMPLE000000001",
                "access_key:AKIAEXAMPLE000000001",
                "arn:aws:s3:::logs",
                "",
                "ip:2001:db8::1",
            ],
        );
        let listed: Vec<String> = e.entities().iter().map(ToString::to_string).collect();
        assert_eq!(
            listed,
            [
                "account:111122223333",
                "access_key:AKIAEXAMPLE000000001",
                "principal:arn:aws:iam::111122223333:user/alice",
                "ip:2001:db8::1",
                "bucket:arn:aws:s3:::logs",
            ]
        );
        let mut seen = Vec::new();
        e.each_entity(|kind, id| seen.push(format!("{kind}:{id}")));
        assert_eq!(
            seen.len(),
            8,
            "each_entity repeats, entities() does not: {seen:?}"
        );
        // Not an address: no ip entity. IPv4 as written.
        let listed = cloud_event("ec2.amazonaws.com", &[]).entities();
        assert!(listed.iter().all(|e| e.kind != EntityKind::Ip));
        let listed = cloud_event("203.0.113.9", &[]).entities();
        assert!(listed.contains(&EntityRef::new(EntityKind::Ip, "203.0.113.9")));
    }
}

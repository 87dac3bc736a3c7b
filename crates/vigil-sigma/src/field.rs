//! Field mapping: Sigma field names → places in [`vigil_model::Event`], read from data files
//! (`mappings/*.yml`, chainsaw-style) so that supporting a new field is an edit to data, not
//! code. The places themselves ([`Accessor`]) are a fixed vocabulary: each is a cheap borrow
//! from the event, and JSON sub-trees (`requestParameters.*`) are only looked into when a rule
//! that reaches the accessor asks.

use crate::rule::Target;
use std::collections::HashMap;
use vigil_model::cloud::{Actor, CloudEvent};
use vigil_model::host::{Direction, HostEventKind, Protocol};
use vigil_model::{Event, EventBody, RawJson};
use yaml_rust2::{Yaml, YamlLoader};

/// Which verbatim JSON part of a cloud event a path reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum JsonRoot {
    RequestParameters,
    ResponseElements,
    AdditionalEventData,
}

/// A place in an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Accessor {
    EventId,
    CloudAction,
    CloudService,
    CloudRegion,
    CloudAccount,
    CloudEventType,
    CloudSourceIp,
    CloudUserAgent,
    CloudErrorCode,
    CloudErrorMessage,
    CloudReadOnly,
    CloudAccessKeyId,
    CloudVpcEndpointId,
    ActorType,
    ActorArn,
    ActorAccountId,
    ActorUserName,
    ActorInvokedBy,
    /// The actor's own short name: user name, role-session name, `root`.
    ActorName,
    IssuerArn,
    IssuerUserName,
    IssuerType,
    MfaAuthenticated,
    CloudJson(JsonRoot, Box<[Box<str>]>),
    HostId,
    Hostname,
    ProcExe,
    /// The last path component of the executable (auditd's `comm`, close enough).
    ProcComm,
    ProcCommandLine,
    ProcArg(usize),
    ProcCwd,
    ProcUser,
    ProcPid,
    ProcPpid,
    ProcUid,
    ProcEuid,
    ProcContainerId,
    /// The parent's program (Sigma's `ParentImage`).
    ProcParentExe,
    /// The auditd record type the event stands for: `EXECVE`, `PATH`, `SOCKADDR`, `USER_LOGIN`.
    AuditType,
    FilePath,
    NetSrcIp,
    NetSrcPort,
    NetDstIp,
    NetDstPort,
    NetProtocol,
    /// `true` for outbound connections (Sysmon's `Initiated`).
    NetInitiated,
    /// One piece of another field's text, split on a character (`bucket/key` → `bucket`).
    Part(Box<Accessor>, char, usize),
    /// A field Vigil's model does not carry: always missing.
    Unavailable,
}

impl Accessor {
    /// Names used in the mapping files.
    fn by_name(name: &str) -> Option<Accessor> {
        use Accessor::*;
        Some(match name {
            "event.id" => EventId,
            "cloud.action" => CloudAction,
            "cloud.service" => CloudService,
            "cloud.region" => CloudRegion,
            "cloud.account" => CloudAccount,
            "cloud.event_type" => CloudEventType,
            "cloud.source_ip" => CloudSourceIp,
            "cloud.user_agent" => CloudUserAgent,
            "cloud.error_code" => CloudErrorCode,
            "cloud.error_message" => CloudErrorMessage,
            "cloud.read_only" => CloudReadOnly,
            "cloud.access_key_id" => CloudAccessKeyId,
            "cloud.vpc_endpoint_id" => CloudVpcEndpointId,
            "cloud.actor.type" => ActorType,
            "cloud.actor.arn" => ActorArn,
            "cloud.actor.account" => ActorAccountId,
            "cloud.actor.user_name" => ActorUserName,
            "cloud.invoked_by" => ActorInvokedBy,
            "cloud.actor.name" => ActorName,
            "cloud.actor.issuer_arn" => IssuerArn,
            "cloud.actor.issuer_user_name" => IssuerUserName,
            "cloud.actor.issuer_type" => IssuerType,
            "cloud.actor.mfa" => MfaAuthenticated,
            "host.id" => HostId,
            "host.hostname" => Hostname,
            "process.exe" => ProcExe,
            "process.comm" => ProcComm,
            "process.command_line" => ProcCommandLine,
            "process.cwd" => ProcCwd,
            "process.user" => ProcUser,
            "process.pid" => ProcPid,
            "process.ppid" => ProcPpid,
            "process.uid" => ProcUid,
            "process.euid" => ProcEuid,
            "process.container_id" => ProcContainerId,
            "process.parent_exe" => ProcParentExe,
            "audit.type" => AuditType,
            "file.path" => FilePath,
            "net.src_ip" => NetSrcIp,
            "net.src_port" => NetSrcPort,
            "net.dst_ip" => NetDstIp,
            "net.dst_port" => NetDstPort,
            "net.protocol" => NetProtocol,
            "net.initiated" => NetInitiated,
            "unavailable" => Unavailable,
            _ => {
                if let Some(i) = name.strip_prefix("process.arg.") {
                    return i.parse().ok().map(ProcArg);
                }
                return None;
            }
        })
    }

    fn json_root(name: &str) -> Option<JsonRoot> {
        match name {
            "cloud.request_parameters" => Some(JsonRoot::RequestParameters),
            "cloud.response_elements" => Some(JsonRoot::ResponseElements),
            "cloud.additional_event_data" => Some(JsonRoot::AdditionalEventData),
            _ => None,
        }
    }
}

/// Field mappings for one target.
#[derive(Debug, Clone, Default)]
struct TargetMap {
    fields: HashMap<String, Accessor>,
    /// Sigma prefix (`requestParameters`) → JSON root; the rest of the dotted name is the path.
    prefixes: Vec<(String, JsonRoot)>,
    /// Where `keywords` (field-less values) are searched.
    keywords: Vec<Accessor>,
}

/// How Sigma field names resolve, per target. [`FieldMap::builtin`] is read from the data
/// files shipped in `mappings/`; [`FieldMap::from_yaml`] reads a user's own.
#[derive(Debug, Clone, Default)]
pub struct FieldMap {
    targets: HashMap<Target, TargetMap>,
}

/// The outcome of resolving one Sigma field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    Found(Accessor),
    /// Named in the mapping as not carried by the model.
    Unavailable,
    /// Not in the mapping at all.
    Unknown,
}

const BUILTIN: [(&str, &str); 2] = [
    (
        "mappings/cloudtrail.yml",
        include_str!("../mappings/cloudtrail.yml"),
    ),
    ("mappings/linux.yml", include_str!("../mappings/linux.yml")),
];

fn target_by_name(s: &str) -> Option<Target> {
    [
        Target::CloudTrail,
        Target::LinuxProcessCreation,
        Target::LinuxAuditd,
        Target::LinuxFileEvent,
        Target::LinuxNetworkConnection,
    ]
    .into_iter()
    .find(|t| t.as_str() == s)
}

impl FieldMap {
    /// The mappings shipped with Vigil.
    pub fn builtin() -> FieldMap {
        let mut m = FieldMap::default();
        for (name, text) in BUILTIN {
            // The shipped files are checked by a unit test; a broken one maps nothing.
            if let Err(e) = m.add_yaml(text) {
                debug_assert!(false, "{name}: {e}");
            }
        }
        m
    }

    /// Reads one mapping file: `TARGET: {fields: {SigmaName: accessor}, prefixes: {...},
    /// keywords: [accessor]}` where TARGET is `aws/cloudtrail`, `linux/process_creation`, ...
    pub fn from_yaml(text: &str) -> Result<FieldMap, String> {
        let mut m = FieldMap::default();
        m.add_yaml(text)?;
        Ok(m)
    }

    fn add_yaml(&mut self, text: &str) -> Result<(), String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let Some(Yaml::Hash(top)) = docs.first() else {
            return Err("a mapping file is a map of targets".into());
        };
        for (k, v) in top {
            let tname = k.as_str().ok_or("target names are strings")?;
            let target =
                target_by_name(tname).ok_or_else(|| format!("unknown target `{tname}`"))?;
            let tm = self.targets.entry(target).or_default();
            if let Yaml::Hash(fields) = &v["fields"] {
                for (f, a) in fields {
                    let (Some(f), Some(a)) = (f.as_str(), a.as_str()) else {
                        return Err(format!("{tname}: field mappings are `Name: accessor`"));
                    };
                    let acc = Accessor::by_name(a)
                        .or_else(|| {
                            Accessor::json_root(a).map(|r| Accessor::CloudJson(r, [].into()))
                        })
                        .ok_or_else(|| format!("{tname}: `{f}` maps to unknown accessor `{a}`"))?;
                    tm.fields.insert(f.to_string(), acc);
                }
            }
            if let Yaml::Hash(prefixes) = &v["prefixes"] {
                for (p, a) in prefixes {
                    let (Some(p), Some(a)) = (p.as_str(), a.as_str()) else {
                        return Err(format!("{tname}: prefixes are `Name: json-root`"));
                    };
                    let root = Accessor::json_root(a)
                        .ok_or_else(|| format!("{tname}: `{p}` maps to unknown JSON root `{a}`"))?;
                    tm.prefixes.push((p.to_string(), root));
                }
            }
            if let Yaml::Hash(derived) = &v["derived"] {
                for (name, spec) in derived {
                    let name = name.as_str().ok_or("derived field names are strings")?;
                    let (Some(from), Some(split), Some(part)) = (
                        spec["from"].as_str(),
                        spec["split"].as_str().and_then(|s| s.chars().next()),
                        spec["part"].as_i64().and_then(|p| usize::try_from(p).ok()),
                    ) else {
                        return Err(format!("{tname}: derived `{name}` needs from, split, part"));
                    };
                    let inner = match self.resolve(target, from) {
                        Resolved::Found(a) => a,
                        _ => {
                            return Err(format!(
                                "{tname}: derived `{name}` reads unknown `{from}`"
                            ));
                        }
                    };
                    if let Some(tm) = self.targets.get_mut(&target) {
                        tm.fields.insert(
                            name.to_string(),
                            Accessor::Part(Box::new(inner), split, part),
                        );
                    }
                }
            }
            let Some(tm) = self.targets.get_mut(&target) else {
                continue;
            };
            if let Yaml::Array(kw) = &v["keywords"] {
                for a in kw {
                    let a = a.as_str().unwrap_or_default();
                    tm.keywords.push(
                        Accessor::by_name(a)
                            .ok_or_else(|| format!("{tname}: unknown keyword accessor `{a}`"))?,
                    );
                }
            }
        }
        Ok(())
    }

    /// Resolves a Sigma field name for a target: exact name, then the name ignoring ASCII case
    /// (SQLite-backed Sigma tools treat field names that way), then a JSON prefix.
    pub(crate) fn resolve(&self, target: Target, field: &str) -> Resolved {
        let Some(tm) = self.targets.get(&target) else {
            return Resolved::Unknown;
        };
        let found = tm.fields.get(field).or_else(|| {
            tm.fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(field))
                .map(|(_, v)| v)
        });
        if let Some(a) = found {
            return if *a == Accessor::Unavailable {
                Resolved::Unavailable
            } else {
                Resolved::Found(a.clone())
            };
        }
        for (p, root) in &tm.prefixes {
            let rest = field
                .get(..p.len())
                .filter(|h| h.eq_ignore_ascii_case(p))
                .and_then(|_| field.get(p.len()..))
                .and_then(|r| r.strip_prefix('.'));
            if let Some(rest) = rest
                && !rest.is_empty()
            {
                let path: Box<[Box<str>]> = rest.split('.').map(Into::into).collect();
                return Resolved::Found(Accessor::CloudJson(*root, path));
            }
        }
        Resolved::Unknown
    }

    pub(crate) fn keywords(&self, target: Target) -> &[Accessor] {
        self.targets.get(&target).map_or(&[], |t| &t.keywords)
    }

    pub(crate) fn has_target(&self, target: Target) -> bool {
        self.targets.contains_key(&target)
    }
}

fn s(o: Option<&str>) -> Option<Val<'_>> {
    o.map(Val::Str)
}

/// A field's value in one event, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val<'a> {
    Str(&'a str),
    Bool(bool),
    Num(u64),
    /// JSON that is not a string (a number, an object, an array) as its source text.
    Raw(&'a str),
    Null,
}

/// Per-event scratch for values that have to be built (the joined command line), so the
/// matcher reuses one buffer instead of allocating per rule.
#[derive(Debug, Default)]
pub(crate) struct EventScratch {
    pub cmdline: String,
    pub cmdline_for: Option<usize>,
}

fn actor_type(a: &Actor) -> Option<&str> {
    Some(match a {
        Actor::Root { .. } => "Root",
        Actor::IamUser { .. } => "IAMUser",
        Actor::AssumedRole { .. } => "AssumedRole",
        Actor::FederatedUser { .. } => "FederatedUser",
        Actor::FederatedIdentity { provider, .. } => match provider.as_str() {
            p @ ("SAMLUser" | "WebIdentityUser" | "IdentityCenterUser") => p,
            _ => "SAMLUser",
        },
        Actor::AwsService { .. } => "AWSService",
        Actor::AwsAccount { .. } => "AWSAccount",
        Actor::Unknown { raw_type } => return raw_type.as_deref(),
    })
}

/// Looks a field up and hands its value (or `None` when absent) to `f`. A closure rather than
/// a return value because JSON lookups borrow from a parse cursor that lives only here.
pub(crate) fn with_value<R>(
    acc: &Accessor,
    ev: &Event,
    scratch: &mut EventScratch,
    f: impl FnOnce(Option<Val<'_>>) -> R,
) -> R {
    match &ev.body {
        EventBody::Cloud(c) => match acc {
            Accessor::Part(inner, sep, i) => {
                let mut f = Some(f);
                let mut out = None;
                with_value_dyn(inner, ev, scratch, &mut |v| {
                    if let Some(f) = f.take() {
                        out = Some(f(v.and_then(|v| match v {
                            Val::Str(t) => t.split(*sep).nth(*i).map(Val::Str),
                            _ => None,
                        })));
                    }
                });
                match (out, f) {
                    (Some(r), _) => r,
                    (None, Some(f)) => f(None),
                    // `f` is taken only when `out` is set.
                    (None, None) => unreachable!(),
                }
            }
            Accessor::CloudJson(root, path) => {
                let raw = match root {
                    JsonRoot::RequestParameters => c.request_parameters.as_ref(),
                    JsonRoot::ResponseElements => c.response_elements.as_ref(),
                    JsonRoot::AdditionalEventData => c.additional_event_data.as_ref(),
                };
                json_value(raw, path, f)
            }
            _ => f(cloud_value(acc, ev, c)),
        },
        EventBody::Host(h) => {
            let v = match acc {
                Accessor::EventId => Some(Val::Str(&ev.id)),
                Accessor::HostId => Some(Val::Str(&h.host_id)),
                Accessor::Hostname => s(h.hostname.as_deref()),
                _ => host_value(acc, &h.kind, scratch),
            };
            f(v)
        }
    }
}

/// A cloud event's value at one of the model's own fields (what [`with_value`] hands on for
/// every accessor but a derived part and a path into raw JSON, which are `None` here, as are
/// host fields). A plain function, so the decision memo reads fields without a closure.
#[inline]
pub(crate) fn cloud_value<'e>(acc: &Accessor, ev: &'e Event, c: &'e CloudEvent) -> Option<Val<'e>> {
    match acc {
        Accessor::EventId => Some(Val::Str(&ev.id)),
        Accessor::CloudAction => Some(Val::Str(&c.action)),
        Accessor::CloudService => Some(Val::Str(&c.service)),
        Accessor::CloudRegion => Some(Val::Str(&c.region)),
        Accessor::CloudAccount => Some(Val::Str(&c.account)),
        Accessor::CloudEventType => Some(Val::Str(&c.event_type)),
        Accessor::CloudSourceIp => s(c.source_ip.as_deref()),
        Accessor::CloudUserAgent => s(c.user_agent.as_deref()),
        Accessor::CloudErrorCode => s(c.error_code.as_deref()),
        Accessor::CloudErrorMessage => s(c.error_message.as_deref()),
        Accessor::CloudReadOnly => c.read_only.map(Val::Bool),
        Accessor::CloudAccessKeyId => s(c.access_key_id.as_deref()),
        Accessor::CloudVpcEndpointId => s(c.vpc_endpoint_id.as_deref()),
        Accessor::ActorType => s(actor_type(&c.actor)),
        Accessor::ActorArn => s(match &*c.actor {
            Actor::Root { arn, .. }
            | Actor::IamUser { arn, .. }
            | Actor::FederatedUser { arn, .. } => Some(arn.as_str()),
            Actor::AssumedRole { session_arn, .. } => Some(session_arn.as_str()),
            _ => None,
        })
        .filter(|v| *v != Val::Str("")),
        Accessor::ActorAccountId => s(match &*c.actor {
            Actor::Root { account, .. }
            | Actor::IamUser { account, .. }
            | Actor::AssumedRole { account, .. }
            | Actor::FederatedUser { account, .. }
            | Actor::AwsAccount { account, .. } => Some(account.as_str()),
            _ => None,
        }),
        Accessor::ActorUserName => s(match &*c.actor {
            Actor::IamUser { name, .. } => Some(name.as_str()),
            Actor::FederatedIdentity { user, .. } => Some(user.as_str()),
            _ => None,
        }),
        Accessor::ActorInvokedBy => s(c.invoked_by.as_deref()),
        Accessor::ActorName => s(match &*c.actor {
            Actor::IamUser { name, .. } => Some(name.as_str()),
            Actor::AssumedRole { session_name, .. } => Some(session_name.as_str()),
            Actor::FederatedIdentity { user, .. } => Some(user.as_str()),
            Actor::Root { .. } => Some("root"),
            _ => None,
        }),
        Accessor::IssuerArn => s(match &*c.actor {
            Actor::AssumedRole { role_arn, .. } => Some(role_arn.as_str()),
            Actor::FederatedUser { issuer, .. } => issuer.as_deref(),
            _ => None,
        }),
        Accessor::IssuerUserName => s(match &*c.actor {
            Actor::AssumedRole { role_name, .. } => Some(role_name.as_str()),
            _ => None,
        }),
        Accessor::IssuerType => s(match &*c.actor {
            Actor::AssumedRole { .. } => Some("Role"),
            Actor::FederatedUser {
                issuer: Some(_), ..
            } => Some("IAMUser"),
            _ => None,
        }),
        Accessor::MfaAuthenticated => match &*c.actor {
            Actor::AssumedRole { mfa, .. } => Some(Val::Bool(*mfa)),
            _ => None,
        },
        _ => None,
    }
}

/// [`with_value`] behind a trait object, so derived accessors can nest without the compiler
/// instantiating an endless chain of closure types.
fn with_value_dyn(
    acc: &Accessor,
    ev: &Event,
    scratch: &mut EventScratch,
    f: &mut dyn FnMut(Option<Val<'_>>),
) {
    with_value(acc, ev, scratch, f);
}

fn host_value<'a>(
    acc: &Accessor,
    kind: &'a HostEventKind,
    scratch: &'a mut EventScratch,
) -> Option<Val<'a>> {
    match kind {
        HostEventKind::ProcessStart { process: p } => match acc {
            Accessor::ProcExe => Some(Val::Str(&p.exe)),
            Accessor::ProcComm => Some(Val::Str(p.exe.rsplit('/').next().unwrap_or(&p.exe))),
            Accessor::ProcCommandLine => {
                let key = std::ptr::from_ref(p) as usize;
                if scratch.cmdline_for != Some(key) {
                    scratch.cmdline.clear();
                    if p.argv.is_empty() {
                        scratch.cmdline.push_str(&p.exe);
                    }
                    for (i, a) in p.argv.iter().enumerate() {
                        if i > 0 {
                            scratch.cmdline.push(' ');
                        }
                        scratch.cmdline.push_str(a);
                    }
                    scratch.cmdline_for = Some(key);
                }
                Some(Val::Str(&scratch.cmdline))
            }
            Accessor::ProcArg(i) => s(p.argv.get(*i).map(String::as_str)),
            Accessor::ProcCwd => s(p.cwd.as_deref()),
            Accessor::ProcUser => s(p.user.as_deref()),
            Accessor::ProcPid => Some(Val::Num(u64::from(p.pid))),
            Accessor::ProcPpid => Some(Val::Num(u64::from(p.ppid))),
            Accessor::ProcUid => Some(Val::Num(u64::from(p.uid))),
            Accessor::ProcEuid => Some(Val::Num(u64::from(p.euid))),
            Accessor::ProcContainerId => s(p.container_id.as_deref()),
            Accessor::ProcParentExe => s(p.parent_exe.as_deref()),
            Accessor::AuditType => Some(Val::Str("EXECVE")),
            _ => None,
        },
        HostEventKind::FileAccess { path, process, .. } => match acc {
            Accessor::FilePath => Some(Val::Str(path)),
            Accessor::ProcExe => s(process.exe.as_deref()),
            Accessor::ProcComm => process
                .exe
                .as_deref()
                .map(|e| Val::Str(e.rsplit('/').next().unwrap_or(e))),
            Accessor::ProcPid => Some(Val::Num(u64::from(process.pid))),
            Accessor::ProcUid => process.uid.map(|u| Val::Num(u64::from(u))),
            Accessor::ProcContainerId => s(process.container_id.as_deref()),
            Accessor::AuditType => Some(Val::Str("PATH")),
            _ => None,
        },
        HostEventKind::Network {
            direction,
            protocol,
            src_ip,
            src_port,
            dst_ip,
            dst_port,
            process,
        } => match acc {
            Accessor::NetSrcIp => Some(Val::Str(src_ip)),
            Accessor::NetSrcPort => Some(Val::Num(u64::from(*src_port))),
            Accessor::NetDstIp => Some(Val::Str(dst_ip)),
            Accessor::NetDstPort => Some(Val::Num(u64::from(*dst_port))),
            Accessor::NetProtocol => Some(Val::Str(match protocol {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
            })),
            Accessor::NetInitiated => Some(Val::Bool(*direction == Direction::Connect)),
            Accessor::ProcExe => s(process.exe.as_deref()),
            Accessor::ProcPid => Some(Val::Num(u64::from(process.pid))),
            Accessor::ProcUid => process.uid.map(|u| Val::Num(u64::from(u))),
            Accessor::ProcContainerId => s(process.container_id.as_deref()),
            Accessor::AuditType => Some(Val::Str("SOCKADDR")),
            _ => None,
        },
        HostEventKind::Login { user, .. } => match acc {
            Accessor::ProcUser => Some(Val::Str(user)),
            Accessor::AuditType => Some(Val::Str("USER_LOGIN")),
            _ => None,
        },
        HostEventKind::PrivilegeChange { process, .. } => match acc {
            Accessor::ProcExe => s(process.exe.as_deref()),
            Accessor::ProcPid => Some(Val::Num(u64::from(process.pid))),
            _ => None,
        },
        HostEventKind::ProcessExit { pid, exe, .. } => match acc {
            Accessor::ProcExe => s(exe.as_deref()),
            Accessor::ProcPid => Some(Val::Num(u64::from(*pid))),
            _ => None,
        },
        HostEventKind::ProcessFork { .. } | HostEventKind::LostCoverage { .. } => None,
    }
}

/// Looks a dotted path up in verbatim JSON without building a tree. Like pySigma's flattened
/// columns: only object keys are followed (never array indexes); `null` is null; objects and
/// arrays are compared as their JSON text.
fn json_value<R>(
    raw: Option<&RawJson>,
    path: &[Box<str>],
    f: impl FnOnce(Option<Val<'_>>) -> R,
) -> R {
    let Some(raw) = raw else { return f(None) };
    // The member is found as sonic-rs's `get_from_str` finds it (a differential test below),
    // without its cost for the members that are not there.
    let Some(text) = vigil_model::json_pointer::find_keys(raw.as_str(), path.iter().map(|p| &**p))
    else {
        return f(None);
    };
    match text.as_bytes().first() {
        Some(b'"') => match text.get(1..text.len() - 1) {
            Some(inner) if !inner.contains('\\') => f(Some(Val::Str(inner))),
            _ => {
                let unescaped = sonic_rs::from_str::<String>(text).ok();
                f(unescaped.as_deref().map(Val::Str))
            }
        },
        Some(b'n') => f(Some(Val::Null)),
        Some(b't') => f(Some(Val::Bool(true))),
        Some(b'f') => f(Some(Val::Bool(false))),
        Some(_) => f(Some(Val::Raw(text))),
        None => f(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON text with few distinct keys (duplicates and shared paths are common), an escaped
    /// key, arrays, and strings full of the bytes a skipper must not trip on.
    fn json_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop::sample::select(vec!["\"a\"", "\"b\"", "\"\\u0061\"", "\"0\"", "\"\""]);
        let leaf = prop::sample::select(vec![
            "null",
            "true",
            "-1.5e3",
            "0",
            r#""x\"]}\\""#,
            r#""{[,:""#,
            r#""plain""#,
            r#""\u00e9t\u00e9""#,
        ])
        .prop_map(str::to_string);
        leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|v| {
                    let members: Vec<String> =
                        v.into_iter().map(|(k, x)| format!("{k}: {x}")).collect();
                    format!("{{{}}}", members.join(", "))
                }),
            ]
        })
    }

    /// What `json_value` handed on, as text, or `None`.
    fn looked_up(raw: &RawJson, path: &[Box<str>]) -> Option<String> {
        json_value(Some(raw), path, |v| v.map(|v| format!("{v:?}")))
    }

    /// The same through sonic-rs's own lookup, which `json_value` used to call.
    fn by_sonic(raw: &RawJson, path: &[Box<str>]) -> Option<String> {
        use sonic_rs::JsonValueTrait;
        let lv = sonic_rs::get_from_str(raw.as_str(), path.iter().map(|p| &**p)).ok()?;
        let text = lv.as_raw_str();
        let v = match text.as_bytes().first()? {
            b'"' => lv.as_str().map(Val::Str),
            b'n' => Some(Val::Null),
            b't' => Some(Val::Bool(true)),
            b'f' => Some(Val::Bool(false)),
            _ => Some(Val::Raw(text)),
        };
        v.map(|v| format!("{v:?}"))
    }

    proptest::proptest! {
        #[test]
        fn json_fields_are_found_as_sonic_rs_finds_them(
            json in json_text(),
            keys in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", "0", ""]), 0..4),
        ) {
            let raw = RawJson::parse(json.clone()).unwrap();
            let path: Vec<Box<str>> = keys.iter().map(|k| (*k).into()).collect();
            proptest::prop_assert_eq!(looked_up(&raw, &path), by_sonic(&raw, &path), "{}", json);
        }
    }

    #[test]
    fn builtin_mappings_parse() {
        for (name, text) in BUILTIN {
            FieldMap::from_yaml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let m = FieldMap::builtin();
        assert_eq!(
            m.resolve(Target::CloudTrail, "eventName"),
            Resolved::Found(Accessor::CloudAction)
        );
        assert_eq!(
            m.resolve(Target::CloudTrail, "eventname"),
            Resolved::Found(Accessor::CloudAction)
        );
        assert_eq!(
            m.resolve(Target::CloudTrail, "requestParameters.attribute"),
            Resolved::Found(Accessor::CloudJson(
                JsonRoot::RequestParameters,
                vec!["attribute".into()].into()
            ))
        );
        assert_eq!(
            m.resolve(Target::CloudTrail, "requestParameters"),
            Resolved::Found(Accessor::CloudJson(JsonRoot::RequestParameters, [].into()))
        );
        assert_eq!(
            m.resolve(Target::CloudTrail, "noSuchField"),
            Resolved::Unknown
        );
        assert_eq!(
            m.resolve(Target::LinuxProcessCreation, "Image"),
            Resolved::Found(Accessor::ProcExe)
        );
    }
}

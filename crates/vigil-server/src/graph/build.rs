//! Events → graph. Pure: no store, no clock.

use super::{EventLink, Graph, GraphEdge, GraphLimits, GraphNode};
use std::collections::{BTreeSet, HashMap, HashSet};
use vigil_model::host::Direction;
use vigil_model::{Actor, CloudEvent, Event, EventBody, HostEvent, HostEventKind};

/// Links to events kept per node.
const EVENTS_PER_NODE: usize = 5;
/// Labels are cut to this many characters (the details panel has the full text).
const LABEL_CHARS: usize = 48;

/// Behaviour features seen in the learning window; a node whose feature is missing is new.
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    features: HashSet<String>,
}

impl Baseline {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Baseline {
        let mut features = HashSet::new();
        for e in events {
            features.extend(features_of(e));
        }
        Baseline { features }
    }

    fn knows(&self, feature: &str) -> bool {
        self.features.contains(feature)
    }
}

/// The identity a cloud call belongs to, stable across sessions: the access key for an IAM
/// user's key, the role for a role session, else the principal.
fn identity(c: &CloudEvent) -> String {
    match &*c.actor {
        Actor::AssumedRole { role_arn, .. } => role_arn.to_string(),
        a => c
            .access_key_id
            .as_deref()
            .map(str::to_string)
            .or_else(|| a.principal_arn().map(str::to_string))
            .unwrap_or_else(|| a.display_name()),
    }
}

fn features_of(e: &Event) -> Vec<String> {
    match &e.body {
        EventBody::Cloud(c) => {
            let id = identity(c);
            let mut f = vec![format!("call|{id}|{}", c.iam_action())];
            if let Some(ip) = c.source_ip_addr() {
                f.push(format!("ip|{id}|{ip}"));
            }
            f
        }
        EventBody::Host(h) => match &h.kind {
            HostEventKind::ProcessStart { process } => {
                vec![format!("proc|{}|{}", h.host_id, process.exe)]
            }
            HostEventKind::Network {
                dst_ip, dst_port, ..
            } => vec![format!("conn|{}|{dst_ip}:{dst_port}", h.host_id)],
            HostEventKind::FileAccess { path, .. } => vec![format!("file|{}|{path}", h.host_id)],
            HostEventKind::PrivilegeChange { process, .. } => vec![format!(
                "priv|{}|{}",
                h.host_id,
                process.exe.as_deref().unwrap_or("?")
            )],
            HostEventKind::Login { user, .. } => vec![format!("login|{}|{user}", h.host_id)],
            HostEventKind::ProcessExit { .. }
            | HostEventKind::ProcessFork { .. }
            | HostEventKind::LostCoverage { .. } => Vec::new(),
        },
    }
}

/// Builds the graph of `events` (in time order). `baseline` enables new-vs-baseline marking;
/// `evidence` holds the event ids of the alert's evidence.
pub fn build(
    events: &[Event],
    baseline: Option<&Baseline>,
    evidence: &HashSet<String>,
    limits: &GraphLimits,
) -> Graph {
    let mut distinct_calls = HashSet::new();
    let mut distinct_procs = HashSet::new();
    for e in events {
        match &e.body {
            EventBody::Cloud(c) => {
                distinct_calls.insert((identity(c), c.iam_action()));
            }
            EventBody::Host(h) => {
                if let HostEventKind::ProcessStart { process } = &h.kind {
                    distinct_procs.insert((h.host_id.clone(), process.pid));
                }
            }
        }
    }
    let mut b = Builder {
        graph: Graph::default(),
        index: HashMap::new(),
        edge_index: HashSet::new(),
        baseline,
        limits: *limits,
        cluster_calls: distinct_calls.len() > limits.max_call_nodes,
        cluster_procs: distinct_procs.len() > limits.max_process_nodes,
        resources_per_call: HashMap::new(),
        call_regions: HashMap::new(),
        proc_of_pid: HashMap::new(),
    };
    b.graph.clustered = b.cluster_calls || b.cluster_procs;
    for e in events {
        let is_evidence = evidence.contains(&e.id);
        match &e.body {
            EventBody::Cloud(c) => b.cloud(e, c, is_evidence),
            EventBody::Host(h) => b.host(e, h, is_evidence),
        }
    }
    b.finish_labels();
    b.graph.events = events.len() as u64;
    b.graph.from = events.first().map(|e| e.time);
    b.graph.until = events.last().map(|e| e.time);
    b.graph
}

struct Builder<'a> {
    graph: Graph,
    index: HashMap<String, usize>,
    edge_index: HashSet<(String, String)>,
    baseline: Option<&'a Baseline>,
    limits: GraphLimits,
    cluster_calls: bool,
    cluster_procs: bool,
    resources_per_call: HashMap<String, usize>,
    /// Regions and error count per call node, for its label.
    call_regions: HashMap<String, (BTreeSet<String>, u64)>,
    /// (host, pid) → the node that stands for that process.
    proc_of_pid: HashMap<(String, u32), String>,
}

fn short(s: &str) -> String {
    if s.chars().count() <= LABEL_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(LABEL_CHARS - 1).collect();
        out.push('…');
        out
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Builder<'_> {
    /// Adds (or updates) a node; returns false when the node cap keeps it out.
    #[allow(clippy::too_many_arguments)]
    fn node(
        &mut self,
        id: &str,
        kind: &'static str,
        label: &str,
        detail: &str,
        feature: Option<&str>,
        e: &Event,
        evidence: bool,
    ) -> bool {
        if let Some(&i) = self.index.get(id) {
            if let Some(n) = self.graph.nodes.get_mut(i) {
                n.count += 1;
                n.evidence |= evidence;
                if n.events.len() < EVENTS_PER_NODE {
                    n.events.push(EventLink {
                        source: e.source,
                        id: e.id.clone(),
                    });
                }
            }
            return true;
        }
        if self.graph.nodes.len() >= self.limits.max_nodes {
            self.graph.truncated_nodes += 1;
            return false;
        }
        let new = match (self.baseline, feature) {
            (Some(b), Some(f)) => !b.knows(f),
            _ => false,
        };
        self.index.insert(id.to_string(), self.graph.nodes.len());
        self.graph.nodes.push(GraphNode {
            id: id.to_string(),
            label: short(label),
            kind,
            detail: detail.to_string(),
            count: 1,
            new,
            evidence,
            events: vec![EventLink {
                source: e.source,
                id: e.id.clone(),
            }],
        });
        true
    }

    fn edge(&mut self, source: &str, target: &str, label: &str) {
        if !self.index.contains_key(source) || !self.index.contains_key(target) {
            return;
        }
        if !self
            .edge_index
            .insert((source.to_string(), target.to_string()))
        {
            return;
        }
        let new = self
            .index
            .get(target)
            .and_then(|&i| self.graph.nodes.get(i))
            .is_some_and(|n| n.new);
        let id = format!("e{}", self.graph.edges.len());
        self.graph.edges.push(GraphEdge {
            id,
            source: source.to_string(),
            target: target.to_string(),
            label: label.to_string(),
            new,
        });
    }

    fn cloud(&mut self, e: &Event, c: &CloudEvent, ev: bool) {
        let ident = identity(c);
        let actor = match &*c.actor {
            Actor::AssumedRole {
                session_arn,
                role_arn,
                role_name,
                session_name,
                ..
            } => {
                let sid = format!("session:{session_arn}");
                let rid = format!("principal:{role_arn}");
                self.node(
                    &rid,
                    "principal",
                    &format!("role/{role_name}"),
                    role_arn,
                    None,
                    e,
                    false,
                );
                self.node(
                    &sid,
                    "session",
                    &format!("{role_name}/{session_name}"),
                    session_arn,
                    None,
                    e,
                    ev,
                );
                self.edge(&rid, &sid, "session");
                sid
            }
            a => {
                let pid = a.principal_arn().map_or_else(
                    || format!("actor:{}", a.display_name()),
                    |p| format!("principal:{p}"),
                );
                let detail = a.principal_arn().unwrap_or_default().to_string();
                self.node(
                    &pid,
                    "principal",
                    &a.display_name(),
                    &detail,
                    None,
                    e,
                    false,
                );
                match &c.access_key_id {
                    Some(k) => {
                        let kid = format!("key:{k}");
                        self.node(&kid, "key", k, k, None, e, ev);
                        self.edge(&pid, &kid, "key");
                        kid
                    }
                    None => pid,
                }
            }
        };
        if let Some(ip) = c.source_ip_addr() {
            let iid = format!("ip:{ip}");
            let feature = format!("ip|{ident}|{ip}");
            self.node(
                &iid,
                "ip",
                &ip.to_string(),
                &ip.to_string(),
                Some(&feature),
                e,
                ev,
            );
            self.edge(&iid, &actor, "used from");
        }
        let action = c.iam_action();
        let feature = format!("call|{ident}|{action}");
        let (call, kind, label) = if self.cluster_calls {
            let svc = c.service_short().to_string();
            (format!("svc:{actor}:{svc}"), "service", svc)
        } else {
            (format!("call:{actor}:{action}"), "call", action.clone())
        };
        if !self.node(&call, kind, &label, &action, Some(&feature), e, ev) {
            return;
        }
        if self.cluster_calls
            && let Some(n) = self
                .index
                .get(&call)
                .and_then(|&i| self.graph.nodes.get_mut(i))
            && n.new
            && self.baseline.is_some_and(|b| b.knows(&feature))
        {
            // A service node is new only if none of its calls is known.
            n.new = false;
        }
        let entry = self.call_regions.entry(call.clone()).or_default();
        entry.0.insert(c.region.to_string());
        if c.error_code.is_some() {
            entry.1 += 1;
        }
        self.edge(&actor, &call, "called");
        if c.service_short() == "sts"
            && c.action.starts_with("AssumeRole")
            && let Some(arn) = c
                .response_elements
                .as_ref()
                .and_then(|r| r.get("/assumedRoleUser/arn"))
                .and_then(|v| v.as_str().map(str::to_string))
        {
            let sid = format!("session:{arn}");
            let label = arn
                .rsplit_once(":assumed-role/")
                .map_or(arn.as_str(), |(_, r)| r);
            self.node(&sid, "session", label, &arn, None, e, ev);
            self.edge(&call, &sid, "assumed");
        }
        for r in c.resources.iter() {
            let used = self.resources_per_call.entry(call.clone()).or_insert(0);
            if *used >= self.limits.max_resources_per_call {
                self.graph.truncated_nodes += 1;
                break;
            }
            *used += 1;
            let rid = format!("res:{}", r.id);
            let label = r.id.rsplit([':', '/']).next().unwrap_or(&r.id).to_string();
            self.node(&rid, "resource", &label, &r.id, None, e, ev);
            self.edge(&call, &rid, "on");
        }
    }

    fn host(&mut self, e: &Event, h: &HostEvent, ev: bool) {
        let host = format!("host:{}", h.host_id);
        let label = match &h.hostname {
            Some(n) => format!("{} ({n})", h.host_id),
            None => h.host_id.clone(),
        };
        self.node(&host, "host", &label, &h.host_id, None, e, false);
        let owner = |b: &Self, pid: u32| {
            b.proc_of_pid
                .get(&(h.host_id.clone(), pid))
                .cloned()
                .unwrap_or_else(|| host.clone())
        };
        match &h.kind {
            HostEventKind::ProcessStart { process } => {
                let feature = format!("proc|{}|{}", h.host_id, process.exe);
                let cmd = process.command_line();
                let (id, label) = if self.cluster_procs {
                    (
                        format!("procs:{}:{}", h.host_id, process.exe),
                        basename(&process.exe).to_string(),
                    )
                } else {
                    (
                        format!("proc:{}:{}:{}", h.host_id, process.pid, e.id),
                        format!("{} ({})", cmd, process.pid),
                    )
                };
                let parent = owner(self, process.ppid);
                let detail = format!(
                    "{cmd}\npid {} ppid {} uid {} euid {}{}",
                    process.pid,
                    process.ppid,
                    process.uid,
                    process.euid,
                    process
                        .container_id
                        .as_deref()
                        .map(|c| format!("\ncontainer {c}"))
                        .unwrap_or_default()
                );
                if self.node(&id, "process", &label, &detail, Some(&feature), e, ev) {
                    self.proc_of_pid
                        .insert((h.host_id.clone(), process.pid), id.clone());
                    if parent != id {
                        self.edge(&parent, &id, "exec");
                    }
                }
            }
            HostEventKind::Network {
                direction,
                src_ip,
                src_port,
                dst_ip,
                dst_port,
                process,
                ..
            } => {
                let from = owner(self, process.pid);
                let (id, label, edge) = match direction {
                    Direction::Connect => (
                        format!("conn:{}:{dst_ip}:{dst_port}", h.host_id),
                        format!("{dst_ip}:{dst_port}"),
                        "connect",
                    ),
                    Direction::Accept => (
                        format!("conn:{}:{src_ip}->{dst_port}", h.host_id),
                        format!("{src_ip} → :{dst_port}"),
                        "accept",
                    ),
                    Direction::Listen => (
                        format!("listen:{}:{src_port}", h.host_id),
                        format!("listen :{src_port}"),
                        "listen",
                    ),
                };
                let feature = format!("conn|{}|{dst_ip}:{dst_port}", h.host_id);
                self.node(&id, "connection", &label, &label, Some(&feature), e, ev);
                self.edge(&from, &id, edge);
            }
            HostEventKind::FileAccess {
                path,
                access,
                process,
            } => {
                let from = owner(self, process.pid);
                let id = format!("file:{}:{path}", h.host_id);
                let feature = format!("file|{}|{path}", h.host_id);
                self.node(&id, "file", path, path, Some(&feature), e, ev);
                self.edge(&from, &id, &format!("{access:?}").to_lowercase());
            }
            HostEventKind::PrivilegeChange {
                process,
                old_uid,
                new_uid,
                via,
            } => {
                let from = owner(self, process.pid);
                let id = format!("priv:{}:{}:{new_uid}", h.host_id, process.pid);
                let label = format!(
                    "uid {old_uid} → {new_uid}{}",
                    via.as_deref()
                        .map(|v| format!(" via {v}"))
                        .unwrap_or_default()
                );
                let feature = format!(
                    "priv|{}|{}",
                    h.host_id,
                    process.exe.as_deref().unwrap_or("?")
                );
                self.node(&id, "privilege", &label, &label, Some(&feature), e, ev);
                self.edge(&from, &id, "privilege");
            }
            HostEventKind::Login {
                user, source_ip, ..
            } => {
                let id = format!("login:{}:{user}", h.host_id);
                let feature = format!("login|{}|{user}", h.host_id);
                self.node(
                    &id,
                    "login",
                    &format!("login {user}"),
                    user,
                    Some(&feature),
                    e,
                    ev,
                );
                self.edge(&host, &id, "login");
                if let Some(ip) = source_ip {
                    let iid = format!("ip:{ip}");
                    self.node(&iid, "ip", ip, ip, None, e, false);
                    self.edge(&iid, &id, "from");
                }
            }
            // A forked child runs its parent's program until it execs: what it does belongs to
            // the parent's node.
            HostEventKind::ProcessFork { pid, ppid, .. } => {
                if let Some(parent) = self.proc_of_pid.get(&(h.host_id.clone(), *ppid)).cloned() {
                    self.proc_of_pid.insert((h.host_id.clone(), *pid), parent);
                }
            }
            // Lost coverage says nothing about behaviour; it has no node.
            HostEventKind::ProcessExit { .. } | HostEventKind::LostCoverage { .. } => {}
        }
    }

    /// Call labels say how often, where, and how many failed.
    fn finish_labels(&mut self) {
        for n in &mut self.graph.nodes {
            if let Some((regions, errors)) = self.call_regions.get(&n.id) {
                let mut label = n.label.clone();
                if n.count > 1 {
                    label.push_str(&format!(" ×{}", n.count));
                }
                if regions.len() > 1 {
                    label.push_str(&format!(" ({} regions)", regions.len()));
                } else if let Some(r) = regions.iter().next() {
                    label.push_str(&format!(" ({r})"));
                }
                if *errors > 0 {
                    label.push_str(&format!(" [{errors} failed]"));
                }
                n.label = label;
                n.detail = format!(
                    "{}\nregions: {}",
                    n.detail,
                    regions.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_model::host::Process;
    use vigil_model::{EventSource, Timestamp};

    fn call(i: usize, service: &str, action: &str, ip: &str) -> Event {
        let body = CloudEvent {
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            service: format!("{service}.amazonaws.com").into(),
            action: action.into(),
            event_type: "AwsApiCall".into(),
            actor: Actor::IamUser {
                account: "111122223333".into(),
                arn: "arn:aws:iam::111122223333:user/bob".into(),
                name: "bob".into(),
            }
            .into(),
            access_key_id: Some("AKIAEXAMPLE000000001".into()),
            source_ip: Some(ip.into()),
            user_agent: None,
            error_code: None,
            error_message: None,
            read_only: None,
            request_parameters: None,
            response_elements: None,
            additional_event_data: None,
            resources: Default::default(),
            invoked_by: None,
            vpc_endpoint_id: None,
        };
        Event {
            id: format!("c-{i}"),
            time: Timestamp::from_secs(1_700_000_000 + i as i64),
            source: EventSource::Cloudtrail,
            body: EventBody::Cloud(body),
        }
    }

    fn exec(i: usize, pid: u32, ppid: u32, exe: &str) -> Event {
        Event {
            id: format!("p-{i}"),
            time: Timestamp::from_secs(1_700_000_000 + i as i64),
            source: EventSource::Agent,
            body: EventBody::Host(HostEvent {
                host_id: "i-1".into(),
                hostname: None,
                kind: HostEventKind::ProcessStart {
                    process: Process {
                        pid,
                        ppid,
                        uid: 0,
                        euid: 0,
                        exe: exe.into(),
                        argv: vec![],
                        cwd: None,
                        user: None,
                        container_id: None,
                        image: None,
                        pid_ns: None,
                        mnt_ns: None,
                        start_time: None,
                        stdin: None,
                        stdout: None,
                        parent_exe: None,
                    },
                },
            }),
        }
    }

    #[test]
    fn marks_what_the_baseline_never_showed() {
        let before = [call(0, "ec2", "DescribeInstances", "10.0.0.1")];
        let baseline = Baseline::from_events(&before);
        let now = [
            call(1, "ec2", "DescribeInstances", "10.0.0.1"),
            call(2, "rds", "CreateDBClusterSnapshot", "203.0.113.9"),
        ];
        let evidence = HashSet::from(["c-2".to_string()]);
        let g = build(&now, Some(&baseline), &evidence, &GraphLimits::default());
        let node = |id: &str| g.nodes.iter().find(|n| n.id == id).unwrap();
        let key = "key:AKIAEXAMPLE000000001";
        assert!(!node(&format!("call:{key}:ec2:DescribeInstances")).new);
        let snap = node(&format!("call:{key}:rds:CreateDBClusterSnapshot"));
        assert!(snap.new && snap.evidence);
        assert!(node("ip:203.0.113.9").new);
        assert!(!node("ip:10.0.0.1").new);
        assert!(
            g.edges
                .iter()
                .any(|e| e.source == key && e.target == snap.id && e.new)
        );
        let plain = build(&now, None, &evidence, &GraphLimits::default());
        assert!(
            plain.nodes.iter().all(|n| !n.new),
            "no baseline, nothing is new"
        );
    }

    #[test]
    fn thousands_of_calls_and_processes_are_clustered_under_the_cap() {
        let mut events = Vec::new();
        for i in 0..3_000 {
            events.push(call(
                i,
                &format!("svc{}", i % 40),
                &format!("Action{i}"),
                "10.0.0.1",
            ));
        }
        for i in 0..2_000u32 {
            let exe = format!("/usr/bin/tool{}", i % 25);
            events.push(exec(
                3_000 + i as usize,
                100 + i,
                if i == 0 { 1 } else { 100 + i / 2 },
                &exe,
            ));
        }
        let limits = GraphLimits::default();
        let g = build(&events, None, &HashSet::new(), &limits);
        assert!(g.clustered);
        let services = g.nodes.iter().filter(|n| n.kind == "service").count();
        let procs = g.nodes.iter().filter(|n| n.kind == "process").count();
        assert_eq!((services, procs), (40, 25));
        assert!(g.nodes.len() < 100, "{}", g.nodes.len());
        assert_eq!(
            g.nodes
                .iter()
                .filter(|n| n.kind == "service")
                .map(|n| n.count)
                .sum::<u64>(),
            3_000
        );
        // Below the clustering thresholds the node cap still holds.
        let small = GraphLimits {
            max_nodes: 50,
            max_call_nodes: 10_000,
            ..limits
        };
        let g = build(&events[..3_000], None, &HashSet::new(), &small);
        assert_eq!(g.nodes.len(), 50);
        assert!(g.truncated_nodes > 0);
        assert!(
            g.edges
                .iter()
                .all(|e| g.nodes.iter().any(|n| n.id == e.source)
                    && g.nodes.iter().any(|n| n.id == e.target))
        );
    }
}

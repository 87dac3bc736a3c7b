//! Host detection: the agent's events build a process table per host ([`tree`]); each new
//! process, connection, file access and privilege change is checked with its parent chain
//! ([`detectors`]), and every verdict becomes a [`Finding`] on the host's chain (`host:<id>`).
//! The correlator turns a host's findings into the `compromised_host` composite when they tell
//! the intrusion story (escape → root → discovery → reverse shell).
//!
//! A strong verdict (an escape, a reverse shell, a downloaded script run, a miner) marks the
//! process "tainted"; its later children inherit the mark, which raises the weight of what
//! they do (a `whoami` in an intruder's tree is not an admin's `whoami`) and puts their
//! events on the incident's timeline as the process tree.

pub mod apps;
pub mod detectors;
pub mod tree;

use crate::config::DetectConfig;
use crate::finding::{Category, Finding};
use apps::{AppBaselines, AppDimension, AppNovelty};
use detectors::{Stage, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tree::{Proc, ProcTable, chain_line};
use vigil_model::{
    AlertKind, EntityKind, EntityRef, Event, Evidence, HostEvent, HostEventKind, Severity,
    Timestamp,
};

/// Parents shown as evidence with a finding.
const TREE_EVIDENCE: usize = 8;
/// A temp-dir exec this soon after a download counts as download-and-execute.
const DOWNLOAD_EXEC_MS: i64 = 10 * 60 * 1000;

/// What detection keeps about one host.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HostCtx {
    pub procs: ProcTable,
    /// The host's own pid and mnt namespaces (learnt from PID 1, or from the first process
    /// outside any container).
    pub pid_ns: Option<u64>,
    pub mnt_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_download: Option<Timestamp>,
    #[serde(default)]
    pub next_prune: i64,
    /// What each application on the host normally does ([`apps`]).
    #[serde(default)]
    pub apps: AppBaselines,
}

/// Every host's context.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HostWatch {
    hosts: BTreeMap<String, HostCtx>,
}

/// The chain root of a host's incidents.
pub fn host_root(host_id: &str) -> String {
    format!("{}{host_id}", crate::correlate::HOST_ROOT_PREFIX)
}

impl HostWatch {
    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    pub fn processes(&self) -> usize {
        self.hosts.values().map(|h| h.procs.len()).sum()
    }

    /// Every application baseline with its host.
    pub fn app_baselines(&self) -> impl Iterator<Item = (&str, &apps::AppBaseline)> {
        self.hosts
            .iter()
            .flat_map(|(id, h)| h.apps.iter().map(move |a| (id.as_str(), a)))
    }

    /// Applications not baselined because their host was at its cap.
    pub fn apps_refused(&self) -> u64 {
        self.hosts.values().map(|h| h.apps.refused).sum()
    }

    /// Checks one host event; appends findings to `out`. Returns whether the event belongs
    /// to a tainted process tree (so it belongs on an open incident's timeline).
    pub fn observe(
        &mut self,
        event: &Event,
        h: &HostEvent,
        config: &DetectConfig,
        out: &mut Vec<Finding>,
    ) -> bool {
        let window_ms = config.incident_window_ms;
        let ctx = match self.hosts.get_mut(&h.host_id) {
            Some(c) => c,
            None => self.hosts.entry(h.host_id.clone()).or_default(),
        };
        let now = event.time;
        if now.as_millis() >= ctx.next_prune {
            ctx.procs.prune(now);
            ctx.next_prune = now.as_millis() + 10 * 60 * 1000;
        }
        let evidence = || Evidence {
            event_id: event.id.clone(),
            time: event.time,
            summary: event.summary(),
        };
        let mut verdicts: Vec<Verdict> = Vec::new();
        let subject: Option<u32>;
        match &h.kind {
            HostEventKind::ProcessStart { process } => {
                if process.pid == 1 || (process.container_id.is_none() && ctx.pid_ns.is_none()) {
                    ctx.pid_ns = process.pid_ns.or(ctx.pid_ns);
                    ctx.mnt_ns = process.mnt_ns.or(ctx.mnt_ns);
                }
                let mut p = Proc::from_event(process, &event.id, now);
                let parent_tainted = ctx
                    .procs
                    .get(p.ppid)
                    .is_some_and(|par| par.tainted && par.started <= p.started);
                // An exec keeps the pid and parent: the new image inherits the old one's mark.
                let exec_of_tainted = ctx
                    .procs
                    .get(p.pid)
                    .is_some_and(|old| old.tainted && old.ppid == p.ppid && old.exited.is_none());
                p.tainted = parent_tainted || exec_of_tainted;
                let recent = ctx
                    .last_download
                    .is_some_and(|t| now.as_millis() - t.as_millis() <= DOWNLOAD_EXEC_MS);
                if detectors::is_download(&p) {
                    ctx.last_download = Some(now);
                }
                let novelties = learn_start(ctx, &mut p, process.image.as_deref(), now, config);
                let pid = p.pid;
                ctx.procs.start(p, now);
                push_novelties(novelties, &h.host_id, &mut verdicts);
                if let Some(p) = ctx.procs.get(pid) {
                    let parents = ctx.procs.ancestors(pid);
                    detectors::on_start(
                        p,
                        &parents,
                        (ctx.pid_ns, ctx.mnt_ns),
                        recent,
                        &mut verdicts,
                    );
                }
                subject = Some(pid);
            }
            HostEventKind::ProcessExit { pid, .. } => {
                // Exits say nothing about the story; they only age the table.
                ctx.procs.exit(*pid, now);
                return false;
            }
            HostEventKind::Network {
                direction,
                src_port,
                dst_ip,
                dst_port,
                process,
                ..
            } => {
                let owner = ctx.procs.get(process.pid).filter(|p| p.exited.is_none());
                if *direction == vigil_model::host::Direction::Connect {
                    let name = owner.map_or_else(
                        || tree::base_name(process.exe.as_deref().unwrap_or("")),
                        Proc::name,
                    );
                    let tainted = owner.is_some_and(|p| p.tainted);
                    detectors::on_connect(name, owner, dst_ip, *dst_port, tainted, &mut verdicts);
                }
                let app = owner.map_or(0, |p| p.app);
                let learned = match direction {
                    vigil_model::host::Direction::Connect => ctx.apps.observe(
                        app,
                        AppDimension::Destination,
                        apps::destination_hash(dst_ip, *dst_port),
                        || apps::destination(dst_ip, *dst_port),
                        now,
                        config,
                    ),
                    vigil_model::host::Direction::Listen => {
                        let port = *src_port;
                        ctx.apps.observe(
                            app,
                            AppDimension::ListenPort,
                            apps::listen_hash(port),
                            || port.to_string(),
                            now,
                            config,
                        )
                    }
                    vigil_model::host::Direction::Accept => None,
                };
                subject = owner.map(|p| p.pid);
                push_novelties([learned], &h.host_id, &mut verdicts);
            }
            HostEventKind::FileAccess {
                path,
                access,
                process,
            } => {
                let owner = ctx.procs.get(process.pid).filter(|p| p.exited.is_none());
                let who = owner.map_or_else(
                    || {
                        format!(
                            "{}({})",
                            tree::base_name(process.exe.as_deref().unwrap_or("?")),
                            process.pid
                        )
                    },
                    Proc::label,
                );
                let contained = process.container_id.is_some()
                    || owner.is_some_and(|p| {
                        p.container_id.is_some()
                            || ctx.pid_ns.is_some_and(|h| p.pid_ns.is_some_and(|n| n != h))
                    });
                let write = *access == vigil_model::host::FileAccessKind::Write;
                detectors::on_file(&who, path, write, contained, &mut verdicts);
                subject = owner.map(|p| p.pid);
            }
            HostEventKind::PrivilegeChange {
                process,
                old_uid,
                new_uid,
                via,
            } => {
                let owner = ctx.procs.get(process.pid);
                // The start of a process that is already root under a non-root parent was
                // reported on its start; the change event is the same step.
                if *new_uid == 0 && *old_uid != 0 {
                    let who = owner.map_or_else(|| format!("pid {}", process.pid), Proc::label);
                    verdicts.push(Verdict {
                        stage: Stage::PrivilegeEscalation,
                        why: format!(
                            "{who} changed uid {old_uid} -> 0{}",
                            via.as_deref()
                                .map(|v| format!(" via {v}"))
                                .unwrap_or_default()
                        ),
                        mitre: crate::finding::mitre(
                            "TA0004",
                            if via.as_deref().is_some_and(|v| v == "sudo" || v == "su") {
                                "T1548.003"
                            } else {
                                "T1548.001"
                            },
                        ),
                        weak: false,
                    });
                }
                subject = owner.map(|p| p.pid);
            }
            HostEventKind::Login { .. } => return false,
            // Not evidence of activity: forks are followed by their exec, losses by nothing.
            HostEventKind::ProcessFork { .. } | HostEventKind::LostCoverage { .. } => return false,
        }
        let in_tree = subject
            .and_then(|pid| ctx.procs.get(pid))
            .is_some_and(|p| p.tainted);
        if verdicts.is_empty() {
            return in_tree;
        }
        let strong = verdicts.iter().any(|v| {
            !v.weak
                && matches!(
                    v.stage,
                    Stage::ContainerEscape
                        | Stage::DockerSocket
                        | Stage::ReverseShell
                        | Stage::DownloadExecute
                        | Stage::Cryptominer
                )
        });
        if strong && let Some(p) = subject.and_then(|pid| ctx.procs.get_mut(pid)) {
            p.tainted = true;
        }
        let ev = evidence();
        for verdict in verdicts {
            out.push(finding(ctx, &h.host_id, subject, verdict, &ev, window_ms));
        }
        in_tree || strong
    }
}

/// A verdict as a finding, with the process's parent chain as evidence.
fn finding(
    ctx: &HostCtx,
    host_id: &str,
    subject: Option<u32>,
    verdict: Verdict,
    ev: &Evidence,
    window_ms: i64,
) -> Finding {
    let proc = subject.and_then(|pid| ctx.procs.get(pid));
    let tainted = proc.is_some_and(|p| p.tainted);
    let contained = proc.is_some_and(|p| p.container_id.is_some());
    let parents: Vec<&Proc> = subject
        .map(|pid| ctx.procs.ancestors(pid))
        .unwrap_or_default();
    let mut evidence: Vec<Evidence> = parents
        .iter()
        .take(TREE_EVIDENCE)
        .rev()
        .filter(|p| ev.time.as_millis() - p.started.as_millis() <= window_ms)
        .map(|p| p.start_evidence(host_id))
        .collect();
    if let Some(p) = proc
        && p.start_id != ev.event_id
    {
        evidence.push(p.start_evidence(host_id));
    }
    evidence.push(ev.clone());
    let mut explanations = vec![verdict.why];
    if let Some(p) = proc {
        explanations.push(format!("process tree: {}", chain_line(p, &parents)));
    }
    let mut entities = vec![EntityRef::new(EntityKind::Host, host_id)];
    let container = proc
        .and_then(|p| p.container_id.as_deref())
        .or_else(|| parents.iter().find_map(|p| p.container_id.as_deref()));
    if let Some(c) = container {
        entities.push(EntityRef::new(EntityKind::Container, c));
    }
    let (key, category, severity, weight, standalone, title) = match verdict.stage {
        Stage::ContainerEscape => (
            "container_escape",
            Category::ContainerEscape,
            Severity::High,
            0.6,
            true,
            "Container escape to the host",
        ),
        Stage::DockerSocket => (
            "docker_socket_access",
            Category::ContainerEscape,
            Severity::Medium,
            0.4,
            false,
            "Docker socket used from a container",
        ),
        Stage::PrivilegeEscalation if tainted => (
            "privilege_escalation",
            Category::PrivilegeEscalation,
            Severity::High,
            0.45,
            false,
            "Privilege escalation to root in a suspicious process tree",
        ),
        Stage::PrivilegeEscalation => (
            "privilege_escalation",
            Category::PrivilegeEscalation,
            Severity::Low,
            0.1,
            false,
            "Privilege escalation to root",
        ),
        Stage::Discovery => (
            "host_discovery",
            Category::Discovery,
            if tainted {
                Severity::Medium
            } else {
                Severity::Low
            },
            if tainted { 0.2 } else { 0.05 },
            false,
            "Host and account discovery",
        ),
        Stage::CredentialAccess => (
            "credential_access",
            Category::CredentialAccess,
            if tainted {
                Severity::High
            } else {
                Severity::Medium
            },
            if tainted { 0.5 } else { 0.3 },
            false,
            "Credential access on the host",
        ),
        Stage::ReverseShell => (
            "reverse_shell",
            Category::ReverseShell,
            Severity::High,
            0.7,
            true,
            "Reverse shell",
        ),
        Stage::DownloadExecute => (
            "download_execute",
            Category::DownloadExecute,
            if verdict.weak {
                Severity::Low
            } else if contained || tainted {
                Severity::High
            } else {
                Severity::Medium
            },
            if verdict.weak { 0.1 } else { 0.45 },
            false,
            "Downloaded code executed",
        ),
        Stage::Cryptominer => (
            "cryptominer",
            Category::Cryptomining,
            if verdict.weak {
                Severity::Medium
            } else {
                Severity::High
            },
            if verdict.weak { 0.25 } else { 0.6 },
            !verdict.weak,
            "Cryptominer on the host",
        ),
        Stage::AppNovelty(d) => {
            let (key, title) = match d {
                AppDimension::Binary => ("new_app_binary", "New binary for an application"),
                AppDimension::Child => ("new_app_child", "New child process for an application"),
                AppDimension::Destination => (
                    "new_app_destination",
                    "New outbound destination for an application",
                ),
                AppDimension::ListenPort => (
                    "new_app_listen_port",
                    "New listening port for an application",
                ),
            };
            (
                key,
                Category::NewBehaviour,
                if verdict.weak {
                    Severity::Low
                } else {
                    Severity::Medium
                },
                if verdict.weak { 0.05 } else { 0.15 },
                false,
                title,
            )
        }
    };
    Finding {
        key: key.to_string(),
        alert_type: key.to_string(),
        kind: AlertKind::Anomaly,
        category,
        severity,
        weight,
        title: format!("{title} on {host_id}"),
        explanations,
        mitre: vec![verdict.mitre],
        entities,
        evidence,
        first_seen: ev.time,
        last_seen: ev.time,
        standalone,
    }
}

/// Places a starting process in its application (its image, its parent's application, or its
/// own executable when it is a service's root) and learns or checks what it does there.
fn learn_start(
    ctx: &mut HostCtx,
    p: &mut Proc,
    image: Option<&str>,
    now: Timestamp,
    config: &DetectConfig,
) -> [Option<AppNovelty>; 2] {
    let parent = ctx
        .procs
        .get(p.ppid)
        .filter(|par| par.pid != 1 && par.pid != p.pid && par.started <= p.started);
    let image = image.filter(|i| !i.is_empty());
    let (key, root) = match (image, parent) {
        (Some(img), _) => (crate::fasthash::value_hash(65, img), true),
        (None, Some(par)) if par.app != 0 => (par.app, false),
        (None, _) if !p.exe.is_empty() => (crate::fasthash::value_hash(66, &p.exe), true),
        _ => (0, false),
    };
    if key == 0 {
        return [None, None];
    }
    if root {
        let ok = ctx.apps.ensure(
            key,
            || match image {
                Some(img) => format!("image:{img}"),
                None => format!("exe:{}", p.exe),
            },
            now,
            config,
        );
        if !ok {
            return [None, None];
        }
    }
    p.app = key;
    let exe = p.exe.as_str();
    let binary = (!exe.is_empty())
        .then(|| {
            ctx.apps.observe(
                key,
                AppDimension::Binary,
                apps::binary_hash(exe),
                || exe.to_string(),
                now,
                config,
            )
        })
        .flatten();
    let child = parent
        .filter(|par| par.app == key && !exe.is_empty())
        .and_then(|par| {
            let (pn, cn) = (par.name(), p.name());
            ctx.apps.observe(
                key,
                AppDimension::Child,
                apps::child_hash(pn, cn),
                || format!("{pn} -> {cn}"),
                now,
                config,
            )
        });
    [binary, child]
}

/// Novelties as verdicts: a new shell or fetch tool under an application, a new destination
/// and a new listening port are medium; a new binary or other child is low (evidence only).
fn push_novelties(
    novelties: impl IntoIterator<Item = Option<AppNovelty>>,
    host_id: &str,
    out: &mut Vec<Verdict>,
) {
    for n in novelties.into_iter().flatten() {
        let weak = match n.dimension {
            AppDimension::Binary => true,
            AppDimension::Child => {
                let child = n.value.rsplit(" -> ").next().unwrap_or("");
                !(detectors::is_shell(child) || detectors::is_fetcher(child))
            }
            AppDimension::Destination | AppDimension::ListenPort => false,
        };
        let mitre = match n.dimension {
            AppDimension::Binary | AppDimension::Child => crate::finding::mitre("TA0002", "T1059"),
            AppDimension::Destination => crate::finding::mitre("TA0011", "T1071"),
            AppDimension::ListenPort => crate::finding::mitre("TA0011", "T1571"),
        };
        out.push(Verdict {
            stage: Stage::AppNovelty(n.dimension),
            why: n.explain(host_id),
            mitre,
            weak,
        });
    }
}

/// The host stages in story order.
pub const HOST_STAGES: [Category; 7] = [
    Category::DownloadExecute,
    Category::ContainerEscape,
    Category::PrivilegeEscalation,
    Category::Discovery,
    Category::CredentialAccess,
    Category::ReverseShell,
    Category::Cryptomining,
];

/// Whether a host incident's findings tell the intrusion story, and how bad it is: at least
/// three stages, one of them a foothold no admin leaves (an escape, a reverse shell, a
/// downloaded script run, a miner).
pub fn classify_host(findings: &[Finding]) -> Option<Severity> {
    let has = |c: Category| {
        findings
            .iter()
            .any(|f| f.category == c && f.severity >= Severity::Medium)
    };
    let stages = HOST_STAGES.iter().filter(|c| has(**c)).count();
    let foothold = has(Category::ContainerEscape)
        || has(Category::ReverseShell)
        || has(Category::DownloadExecute)
        || findings
            .iter()
            .any(|f| f.category == Category::Cryptomining && f.severity >= Severity::High);
    if stages < 3 || !foothold {
        return None;
    }
    Some(
        if has(Category::ContainerEscape)
            && has(Category::PrivilegeEscalation)
            && has(Category::ReverseShell)
        {
            Severity::Critical
        } else {
            Severity::High
        },
    )
}

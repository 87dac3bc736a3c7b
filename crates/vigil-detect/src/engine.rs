//! The engine: one event at a time through identity resolution, baselines, rules, contextual
//! detectors and correlation.

use crate::baseline::{Baselines, Dimension, Novelty, ProfileKind, Spike, Subjects};
use crate::config::DetectConfig;
use crate::correlate::{
    ChainContext, CorrelationStats, Correlator, RepeatEntities, RuleRepeat, root_hash,
};
use crate::detectors::{RateCounters, contextual};
use crate::features::{Features, network_name};
use crate::finding::{Category, Finding, mitre, rule_explanation, rule_key};
use crate::host::{HostWatch, host_root};
use crate::identity::{Chain, IdentityResolver, IdentityState, Origin};
use crate::rules::{RuleHit, RuleMatcher};
use crate::suppress::{Suppression, SuppressionError, validate};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vigil_model::{
    Actor, Alert, AlertKind, CloudEvent, EntityKind, EntityRef, Event, Evidence, HostEvent,
    Severity, Timestamp,
};

/// Counters of what went through.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineCounters {
    pub events: u64,
    pub cloud_events: u64,
    /// Host events (agent, Falco, auditd): the host detectors and the process tables.
    pub host_events: u64,
    /// Cloud events with no identity to baseline (no userIdentity, AWS service callers).
    pub unattributed: u64,
    /// Cloud events whose region is not a region name (not learned).
    pub odd_region: u64,
    pub rule_hits: u64,
}

/// Everything the engine knows, as plain serde data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EngineState {
    pub version: u32,
    pub now: Option<Timestamp>,
    pub identity: IdentityState,
    pub baselines: Baselines,
    pub correlator: Correlator,
    pub rates: RateCounters,
    pub suppressions: Vec<Suppression>,
    pub counters: EngineCounters,
    /// Per-host process tables for host detection.
    #[serde(default)]
    pub hosts: HostWatch,
}

const STATE_VERSION: u32 = 1;

/// A summary for reports: sizes, and memory per baselined identity.
#[derive(Debug, Clone, Serialize)]
pub struct EngineStats {
    pub counters: EngineCounters,
    pub correlation: CorrelationStats,
    pub rules_loaded: usize,
    pub identities: usize,
    pub live_sessions: usize,
    pub known_keys: usize,
    pub open_incidents: usize,
    pub baseline_bytes: usize,
    pub baseline_bytes_per_identity: usize,
    pub baseline_bytes_max: usize,
    pub saturated_identities: usize,
    /// Per-application host baselines (host, application), their memory and how many hit a cap.
    pub app_baselines: usize,
    pub app_baseline_bytes: usize,
    pub app_baseline_bytes_max: usize,
    pub saturated_apps: usize,
    /// Applications not baselined because their host was at `max_apps_per_host`.
    pub apps_refused: u64,
}

/// One baseline, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    pub kind: ProfileKind,
    pub name: String,
    pub first_seen: Timestamp,
    pub events: u64,
    pub regions: usize,
    pub services: usize,
    pub apis: usize,
    pub networks: usize,
    pub user_agents: usize,
    /// Application baselines only (`kind: application`, name `host application`).
    #[serde(skip_serializing_if = "is_zero")]
    pub binaries: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub children: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub destinations: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub listen_ports: usize,
    pub bytes: usize,
    pub saturated: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub struct Engine {
    config: DetectConfig,
    rules: Box<dyn RuleMatcher>,
    identity: IdentityResolver,
    baselines: Baselines,
    correlator: Correlator,
    rates: RateCounters,
    suppressions: Vec<Suppression>,
    counters: EngineCounters,
    hosts: HostWatch,
    now: Option<Timestamp>,
    next_sweep: i64,
    // Scratch buffers reused across events.
    hits: Vec<RuleHit>,
    novelties: Vec<Novelty>,
    spikes: Vec<Spike>,
    /// Repeated rule findings folded in without being built ([`Correlator::repeat_rule`]);
    /// off only to test that the short way changes nothing.
    repeat_shortcut: bool,
    /// The chains seen last, described.
    described: DescribedChains,
}

/// How many chains' descriptions are kept ([`DescribedChains`]).
const DESCRIBED: usize = 16;

/// The last [`DESCRIBED`] chains' descriptions; the oldest goes first.
#[derive(Debug, Default)]
struct DescribedChains {
    list: Vec<Arc<Described>>,
    next: usize,
}

impl DescribedChains {
    /// The description of `chain`, made now unless it is one of the last chains described.
    fn get(&mut self, chain: &Arc<Chain>) -> Arc<Described> {
        if let Some(d) = self.list.iter().find(|d| Arc::ptr_eq(&d.chain, chain)) {
            return d.clone();
        }
        let (label, origin_entities) = describe(chain);
        let d = Arc::new(Described {
            chain: chain.clone(),
            label,
            origin_entities,
            hop_entities: hop_entities(chain),
        });
        if self.list.len() < DESCRIBED {
            self.list.push(d.clone());
        } else if let Some(slot) = self.list.get_mut(self.next) {
            *slot = d.clone();
        }
        self.next = (self.next + 1) % DESCRIBED;
        d
    }
}

/// What findings say about a chain: its label and its entities (the origin's, and the role
/// hops'), made once per chain instead of once per event with findings (three to eight small
/// allocations each). The chain is held, so the same pointer is the same chain.
#[derive(Debug)]
struct Described {
    chain: Arc<Chain>,
    label: String,
    origin_entities: Vec<EntityRef>,
    hop_entities: Vec<EntityRef>,
}

impl Engine {
    pub fn new(config: DetectConfig, rules: Box<dyn RuleMatcher>) -> Engine {
        Engine::restore(config, rules, EngineState::default())
    }

    /// Picks up from a saved state (an unknown future version starts afresh).
    pub fn restore(
        config: DetectConfig,
        rules: Box<dyn RuleMatcher>,
        state: EngineState,
    ) -> Engine {
        let state = if state.version > STATE_VERSION {
            EngineState::default()
        } else {
            state
        };
        Engine {
            config,
            rules,
            identity: IdentityResolver::from_state(state.identity),
            baselines: state.baselines,
            correlator: state.correlator,
            rates: state.rates,
            suppressions: state.suppressions,
            counters: state.counters,
            hosts: state.hosts,
            now: state.now,
            next_sweep: 0,
            hits: Vec::new(),
            novelties: Vec::new(),
            spikes: Vec::new(),
            repeat_shortcut: true,
            described: DescribedChains::default(),
        }
    }

    /// A fresh engine with this one's configuration and rules, the rules made to forget what
    /// they saw: as [`Engine::new`] with the same arguments gives, without loading the rules
    /// again (`vigil rules hunt` starts over when its input turns out not to be in time order;
    /// loading 194 rules costs about as much as detecting 10k events).
    pub fn start_over(self) -> Engine {
        let Engine {
            config, mut rules, ..
        } = self;
        rules.forget();
        Engine::new(config, rules)
    }

    /// Turns the short way for repeated rule findings off or on, for the test that holds it
    /// to the long way's alerts.
    #[doc(hidden)]
    pub fn set_repeat_shortcut(&mut self, on: bool) {
        self.repeat_shortcut = on;
    }

    /// How many rule findings were folded in by the short way.
    pub fn repeats_folded(&self) -> u64 {
        self.correlator.repeats_folded()
    }

    pub fn config(&self) -> &DetectConfig {
        &self.config
    }

    /// The state to persist.
    pub fn state(&self) -> EngineState {
        EngineState {
            version: STATE_VERSION,
            now: self.now,
            identity: self.identity.to_state(),
            baselines: self.baselines.clone(),
            correlator: self.correlator.clone(),
            rates: self.rates.clone(),
            suppressions: self.suppressions.clone(),
            counters: self.counters.clone(),
            hosts: self.hosts.clone(),
        }
    }

    /// The newest event time seen.
    pub fn now(&self) -> Option<Timestamp> {
        self.now
    }

    /// Adds an exception; it must have a reason, a scope and a future expiry.
    pub fn add_suppression(&mut self, s: Suppression) -> Result<(), SuppressionError> {
        validate(&s, self.now.unwrap_or(s.created))?;
        self.suppressions.retain(|x| x.id != s.id);
        self.suppressions.push(s);
        Ok(())
    }

    pub fn suppressions(&self) -> &[Suppression] {
        &self.suppressions
    }

    /// Replaces the suppressions with the list a person manages (added, accepted, removed
    /// outside the engine), keeping the hit counts of those that stay. Unlike
    /// [`Engine::add_suppression`] it does not re-check expiries: an expired one simply stops
    /// applying.
    pub fn set_suppressions(&mut self, list: Vec<Suppression>) {
        crate::suppress::reconcile(&mut self.suppressions, list);
    }

    /// Alerts raised or changed since the last call (each id once, latest version).
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        self.correlator.take(&self.config, &mut self.suppressions)
    }

    /// Closes every quiet incident as of `now` (call at the end of a batch).
    pub fn flush(&mut self) {
        if let Some(now) = self.now {
            self.correlator
                .sweep(now, &self.config, &mut self.suppressions);
        }
    }

    /// Events matched per rule so far, most first: which rules make the volume.
    pub fn rule_hit_counts(&self) -> Vec<(std::sync::Arc<crate::rules::RuleInfo>, u64)> {
        self.rules.hit_counts()
    }

    /// Events whose rule decisions were looked up in the rules' memo, and how many it answered.
    pub fn rule_decisions_remembered(&self) -> (u64, u64) {
        self.rules.remembered()
    }

    pub fn stats(&self) -> EngineStats {
        let n = self.baselines.len();
        let bytes: Vec<usize> = self
            .baselines
            .profiles()
            .map(|p| p.memory_bytes())
            .collect();
        let total: usize = bytes.iter().sum();
        let app_bytes: Vec<usize> = self
            .hosts
            .app_baselines()
            .map(|(_, a)| a.memory_bytes())
            .collect();
        EngineStats {
            counters: self.counters.clone(),
            correlation: self.correlator.stats.clone(),
            rules_loaded: self.rules.rule_count(),
            identities: n,
            live_sessions: self.identity.live_sessions(),
            known_keys: self.identity.known_keys(),
            open_incidents: self.correlator.open_incidents(),
            baseline_bytes: total,
            baseline_bytes_per_identity: total.checked_div(n).unwrap_or(0),
            baseline_bytes_max: bytes.iter().copied().max().unwrap_or(0),
            saturated_identities: self.baselines.profiles().filter(|p| p.saturated()).count(),
            app_baselines: app_bytes.len(),
            app_baseline_bytes: app_bytes.iter().sum(),
            app_baseline_bytes_max: app_bytes.iter().copied().max().unwrap_or(0),
            saturated_apps: self
                .hosts
                .app_baselines()
                .filter(|(_, a)| a.saturated())
                .count(),
            apps_refused: self.hosts.apps_refused(),
        }
    }

    /// Every baseline (identities, and applications on hosts) with its size, largest first.
    pub fn baseline_report(&self) -> Vec<ProfileReport> {
        let mut out: Vec<ProfileReport> = self
            .baselines
            .profiles()
            .map(|p| ProfileReport {
                kind: p.kind,
                name: p.name.clone(),
                first_seen: p.first_seen,
                events: p.events,
                regions: p.regions.len(),
                services: p.services.len(),
                apis: p.apis.len(),
                networks: p.networks.len(),
                user_agents: p.user_agents.len(),
                binaries: 0,
                children: 0,
                destinations: 0,
                listen_ports: 0,
                bytes: p.memory_bytes(),
                saturated: p.saturated(),
            })
            .collect();
        out.extend(self.hosts.app_baselines().map(|(host, a)| ProfileReport {
            kind: ProfileKind::Application,
            name: format!("{host} {}", a.name),
            first_seen: a.first_seen,
            events: a.events,
            regions: 0,
            services: 0,
            apis: 0,
            networks: 0,
            user_agents: 0,
            binaries: a.binaries.len(),
            children: a.children.len(),
            destinations: a.destinations.len(),
            listen_ports: a.listen_ports.len(),
            bytes: a.memory_bytes(),
            saturated: a.saturated(),
        }));
        out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
        out
    }

    /// Runs one event through detection.
    pub fn process(&mut self, event: &Event) {
        self.counters.events += 1;
        let now = match self.now {
            Some(n) if n >= event.time => n,
            _ => event.time,
        };
        self.now = Some(now);
        if now.as_millis() >= self.next_sweep {
            self.correlator
                .sweep(now, &self.config, &mut self.suppressions);
            self.rates.sweep(now);
            self.next_sweep = now.as_millis() + 10 * 60 * 1000;
        }
        let Some(c) = event.cloud() else {
            self.counters.host_events += 1;
            if let Some(h) = event.host() {
                self.process_host(event, h, now);
            }
            return;
        };
        self.counters.cloud_events += 1;
        let chain = self.identity.resolve(c);
        self.identity.learn(c, &chain, now);

        let f = Features::of(c);
        if f.region.is_none() {
            self.counters.odd_region += 1;
        }
        self.novelties.clear();
        self.spikes.clear();
        let by_service = matches!(*c.actor, Actor::AwsService { .. } | Actor::Unknown { .. })
            || c.invoked_by.is_some()
            || matches!(chain.origin, Origin::Unknown);
        let mut observed = crate::baseline::Observed {
            api_new: false,
            account_learning: true,
        };
        if by_service {
            self.counters.unattributed += 1;
        } else {
            let subjects = subjects(&chain, c);
            let req;
            let assumed = if c.action.starts_with("AssumeRole") && c.succeeded() {
                req = crate::sts::request(c);
                req.role_arn.as_deref()
            } else {
                None
            };
            observed = self.baselines.observe(
                &subjects,
                &c.account,
                &f,
                assumed,
                now,
                &self.config,
                &mut self.novelties,
                &mut self.spikes,
            );
        }
        self.hits.clear();
        self.rules.match_event(event, &mut self.hits);
        self.counters.rule_hits += self.hits.len() as u64;

        let root_h = root_hash(&chain.root);
        let mut ev: Option<Evidence> = None;
        let mut evidence = || {
            ev.get_or_insert_with(|| Evidence {
                event_id: event.id.clone(),
                time: event.time,
                summary: event.summary(),
            })
            .clone()
        };
        let mut findings: Vec<Finding> = Vec::new();
        if let Some(fd) = contextual(c, &mut evidence) {
            findings.push(fd);
        }
        let new_region_for_account = self
            .novelties
            .iter()
            .any(|n| n.profile == ProfileKind::Account && n.dimension == Dimension::Region);
        if c.service == "s3.amazonaws.com" || c.action == "RunInstances" {
            let after_discovery = self.correlator.has_incident(root_h);
            if let Some(fd) = self.rates.observe(
                root_h,
                c,
                event.time,
                &mut evidence,
                after_discovery,
                new_region_for_account,
                &self.config,
            ) {
                findings.push(fd);
            }
        }
        if !self.novelties.is_empty() {
            novelty_findings(c, &self.novelties, &mut evidence, &mut findings);
        }
        for s in &self.spikes {
            findings.push(spike_finding(*s, &chain, &mut evidence));
        }
        let incident_open = self.correlator.has_incident(root_h);
        // A high hit stands alone when the account is past learning and the identity never
        // made this call before; a habit (or the learning period) is only evidence.
        let habitual = !observed.api_new || observed.account_learning;
        // Low and informational hits only add to a story already being told.
        let mut rule_hits = self
            .hits
            .iter()
            .filter(|h| h.rule.severity > Severity::Low || incident_open)
            .peekable();
        if !findings.is_empty() || rule_hits.peek().is_some() {
            let d = self.described.get(&chain);
            let (label, origin_entities) = (&d.label, &d.origin_entities);
            let ctx = ChainContext {
                root: &chain.root,
                root_label: label,
                credential: chain.origin.is_credential(),
                origin_entities,
            };
            let with_key;
            let hop_entities: &[EntityRef] =
                match event_key(&chain, c.access_key_id.as_deref(), &d.hop_entities) {
                    None => &d.hop_entities,
                    Some(key) => {
                        with_key = [d.hop_entities.as_slice(), &[key]].concat();
                        &with_key
                    }
                };
            let with_hops = |mut fd: Finding| {
                for e in hop_entities {
                    if !fd.entities.contains(e) {
                        fd.entities.push(e.clone());
                    }
                }
                fd
            };
            for fd in findings {
                self.correlator.add(
                    &ctx,
                    with_hops(fd),
                    now,
                    &self.config,
                    &mut self.suppressions,
                );
            }
            // Rule findings last, in hit order, as they always came: most repeat one the
            // incident holds and are folded in without being built.
            let mut entities = None;
            for h in rule_hits {
                let r = &h.rule;
                let repeat = RuleRepeat {
                    rule: r,
                    weight: rule_weight(r.severity, habitual),
                    standalone: rule_standalone(r.severity, habitual),
                    time: event.time,
                    event_id: &event.id,
                };
                if self.repeat_shortcut
                    && self.correlator.repeat_rule(
                        root_h,
                        &repeat,
                        entities.get_or_insert_with(|| {
                            RepeatEntities::new([hop_entities, origin_entities])
                        }),
                        &mut evidence,
                        &self.config,
                        &self.suppressions,
                    )
                {
                    continue;
                }
                let fd = with_hops(rule_finding(h, habitual, &mut evidence));
                self.correlator
                    .add(&ctx, fd, now, &self.config, &mut self.suppressions);
            }
        }
        if self.correlator.has_incident(root_h) {
            self.correlator.context(root_h, evidence, &self.config);
        }
    }
}

impl Engine {
    /// One host event: the host detectors and the rules, findings on the host's chain, and
    /// the event onto the open incident's timeline when it belongs to the suspicious tree.
    fn process_host(&mut self, event: &Event, h: &HostEvent, now: Timestamp) {
        let mut findings: Vec<Finding> = Vec::new();
        let in_tree = self.hosts.observe(event, h, &self.config, &mut findings);
        self.hits.clear();
        self.rules.match_event(event, &mut self.hits);
        self.counters.rule_hits += self.hits.len() as u64;
        if findings.is_empty() && self.hits.is_empty() && !in_tree {
            return;
        }
        let root = host_root(&h.host_id);
        let root_h = root_hash(&root);
        let evidence = || Evidence {
            event_id: event.id.clone(),
            time: event.time,
            summary: event.summary(),
        };
        let incident_open = self.correlator.has_incident(root_h);
        // Weak findings (an admin's sudo, a low rule hit) never open a host incident; they
        // only join one the suspicious process tree already opened.
        findings.retain(|f| f.severity > Severity::Low || (incident_open && in_tree));
        for hit in &self.hits {
            // Rule hits on hosts are evidence; only critical ones stand alone.
            if hit.rule.severity <= Severity::Low && !(incident_open && in_tree) {
                continue;
            }
            let mut fd = rule_finding(hit, true, &mut || evidence());
            fd.entities
                .push(EntityRef::new(EntityKind::Host, &h.host_id));
            findings.push(fd);
        }
        if !findings.is_empty() {
            let origin = [EntityRef::new(EntityKind::Host, &h.host_id)];
            let label = format!("host {}", h.host_id);
            let ctx = ChainContext {
                root: &root,
                root_label: &label,
                credential: false,
                origin_entities: &origin,
            };
            for fd in findings {
                self.correlator
                    .add(&ctx, fd, now, &self.config, &mut self.suppressions);
            }
        }
        if in_tree && self.correlator.has_incident(root_h) {
            self.correlator.context(root_h, evidence, &self.config);
        }
    }
}

/// The identities one event's baselines are kept for: the chain's root (key or person, or
/// the role when the session's start is unknown), the person behind a key, the role in use,
/// and the account.
fn subjects<'a>(chain: &'a Chain, c: &'a CloudEvent) -> Subjects<'a> {
    let root = match &chain.origin {
        Origin::AccessKey { key, .. } => Some((ProfileKind::AccessKey, key.as_str())),
        Origin::Principal { arn } => Some((ProfileKind::Principal, arn.as_str())),
        Origin::Role { arn } => Some((ProfileKind::Role, arn.as_str())),
        _ => None,
    };
    let principal = match &chain.origin {
        Origin::AccessKey {
            principal: Some(p), ..
        } => Some((ProfileKind::Principal, p.as_str())),
        _ => None,
    };
    let role = chain
        .hops
        .last()
        .map(|h| h.role_arn.as_str())
        .or(match &*c.actor {
            Actor::AssumedRole { role_arn, .. } => Some(role_arn.as_str()),
            _ => None,
        })
        .filter(|r| !r.is_empty())
        .map(|r| (ProfileKind::Role, r))
        .filter(|r| Some(*r) != root);
    let account = (!c.account.is_empty()).then_some((ProfileKind::Account, c.account.as_str()));
    [root, principal, role, account]
}

/// A readable name for the chain's root and the entities that identify it.
fn describe(chain: &Chain) -> (String, Vec<EntityRef>) {
    match &chain.origin {
        Origin::AccessKey { key, principal } => {
            let mut ents = vec![EntityRef::new(EntityKind::AccessKey, key)];
            if let Some(p) = principal {
                ents.push(EntityRef::new(EntityKind::Principal, p));
            }
            let who = principal
                .as_deref()
                .map(|p| p.rsplit(':').next().unwrap_or(p).to_string())
                .unwrap_or_else(|| "unknown owner".into());
            (["key ", key, " (", &who, ")"].concat(), ents)
        }
        Origin::Principal { arn } | Origin::Role { arn } => (
            arn.clone(),
            vec![EntityRef::new(EntityKind::Principal, arn)],
        ),
        Origin::Service { service } => (service.clone(), Vec::new()),
        Origin::Unknown => ("an unknown caller".into(), Vec::new()),
    }
}

/// The role hops of the chain as entities (role, session, session key, and the instance when
/// the session is an instance profile's).
fn hop_entities(chain: &Chain) -> Vec<EntityRef> {
    let mut out = Vec::new();
    for h in &chain.hops {
        if !h.role_arn.is_empty() {
            out.push(EntityRef::new(EntityKind::Principal, &h.role_arn));
        }
        if let Some(s) = &h.session_arn {
            out.push(EntityRef::new(EntityKind::RoleSession, s));
            if let Some(name) = s.rsplit('/').next()
                && name.starts_with("i-")
            {
                out.push(EntityRef::new(EntityKind::Host, name));
            }
        }
        if !h.session_key.is_empty() {
            out.push(EntityRef::new(EntityKind::AccessKey, &h.session_key));
        }
    }
    out
}

/// The event's access key as an entity, when neither the chain's hops (`hops`, from
/// [`hop_entities`]) nor its origin name it already.
fn event_key(chain: &Chain, key: Option<&str>, hops: &[EntityRef]) -> Option<EntityRef> {
    let k = key?;
    (!hops.iter().any(|e| e.id == k) && chain.origin.access_key() != Some(k))
        .then(|| EntityRef::new(EntityKind::AccessKey, k))
}

fn novelty_findings(
    c: &CloudEvent,
    novelties: &[Novelty],
    evidence: &mut impl FnMut() -> Evidence,
    out: &mut Vec<Finding>,
) {
    let network = c.source_ip_addr().map(network_name);
    let ua = c
        .user_agent
        .as_deref()
        .and_then(crate::features::ua_family)
        .unwrap_or("");
    let api = c.iam_action();
    let no_mfa_login = c.action == "ConsoleLogin"
        && c.succeeded()
        && c.additional_event_data
            .as_ref()
            .and_then(|a| a.get("/MFAUsed"))
            .and_then(|v| v.as_str().map(str::to_string))
            .is_none_or(|m| !m.eq_ignore_ascii_case("yes"));
    for n in novelties {
        let (what, value, alert_type, category, weight, sev, m) = match n.dimension {
            Dimension::Region => (
                "region",
                c.region.to_string(),
                "new_region",
                Category::IdentityMisuse,
                if n.profile == ProfileKind::Account {
                    0.3
                } else {
                    0.25
                },
                Severity::Low,
                mitre("TA0001", "T1078.004"),
            ),
            Dimension::Network => (
                "source network",
                network.clone().unwrap_or_default(),
                "new_source_network",
                Category::IdentityMisuse,
                0.3,
                Severity::Medium,
                mitre("TA0001", "T1078.004"),
            ),
            Dimension::UserAgent => (
                "user-agent family",
                ua.to_string(),
                "new_user_agent",
                Category::IdentityMisuse,
                0.25,
                Severity::Low,
                mitre("TA0001", "T1078.004"),
            ),
            Dimension::Service => (
                "service",
                c.service_short().to_string(),
                "new_service",
                Category::NewBehaviour,
                0.15,
                Severity::Low,
                mitre("TA0007", "T1526"),
            ),
            Dimension::Api => (
                "API call",
                api.clone(),
                "new_api_call",
                Category::NewBehaviour,
                0.05 + 0.3 * n.rarity,
                if n.rarity > 0.9 {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                api_mitre(&c.action),
            ),
            Dimension::AssumedRole => (
                "role",
                c.request_parameters
                    .as_ref()
                    .and_then(|p| p.get("/roleArn"))
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                "new_role_assumed",
                Category::PrivilegeChange,
                0.4,
                Severity::Medium,
                mitre("TA0004", "T1078.004"),
            ),
        };
        let rarity = if n.dimension == Dimension::Api {
            format!(
                "; {:.0}% of the account's identities use it",
                (1.0 - n.rarity) * 100.0
            )
        } else {
            String::new()
        };
        let why = format!(
            "{} {} had never used {what} {value} ({} known since {}){rarity}",
            n.profile.as_str(),
            n.name,
            n.known,
            n.since
        );
        let entity = match n.profile {
            ProfileKind::AccessKey => EntityRef::new(EntityKind::AccessKey, &n.name),
            ProfileKind::Principal | ProfileKind::Role => {
                EntityRef::new(EntityKind::Principal, &n.name)
            }
            ProfileKind::Account => EntityRef::new(EntityKind::Account, &n.name),
            // Application baselines live with the hosts and raise their own findings.
            ProfileKind::Application => EntityRef::new(EntityKind::Image, &n.name),
        };
        let ev = evidence();
        out.push(Finding {
            key: alert_type.to_string(),
            alert_type: alert_type.to_string(),
            kind: AlertKind::Anomaly,
            category,
            severity: sev,
            weight,
            title: format!("New {what}: {value}"),
            explanations: vec![why],
            mitre: vec![m],
            entities: vec![entity],
            evidence: vec![ev.clone()],
            first_seen: ev.time,
            last_seen: ev.time,
            standalone: false,
        });
        if no_mfa_login && n.dimension == Dimension::Network && n.profile == ProfileKind::Principal
        {
            out.push(Finding {
                key: "console_login_without_mfa_new_place".into(),
                alert_type: "console_login_without_mfa_new_place".into(),
                kind: AlertKind::Anomaly,
                category: Category::IdentityMisuse,
                severity: Severity::Medium,
                weight: 0.45,
                title: format!("Console login without MFA from {value}"),
                explanations: vec![format!(
                    "{} signed in to the console without MFA from a network it never used",
                    n.name
                )],
                mitre: vec![mitre("TA0001", "T1078.004")],
                entities: vec![EntityRef::new(EntityKind::Principal, &n.name)],
                evidence: vec![ev.clone()],
                first_seen: ev.time,
                last_seen: ev.time,
                standalone: true,
            });
        }
    }
}

/// What a never-seen call most likely serves.
fn api_mitre(action: &str) -> vigil_model::MitreRef {
    if action.contains("Snapshot") || action.starts_with("CreateImage") {
        mitre("TA0009", "T1530")
    } else if ["List", "Describe", "Get"]
        .iter()
        .any(|p| action.starts_with(p))
    {
        mitre("TA0007", "T1580")
    } else if action.starts_with("Create")
        || action.starts_with("Put")
        || action.starts_with("Attach")
    {
        mitre("TA0003", "T1098")
    } else {
        mitre("TA0002", "T1648")
    }
}

fn spike_finding(s: Spike, chain: &Chain, evidence: &mut impl FnMut() -> Evidence) -> Finding {
    let ev = evidence();
    let (key, title, why, category, weight, sev, m) = match s {
        Spike::Discovery { regions, known } => (
            "discovery_burst",
            format!("List/Describe/Get calls across {regions} regions within an hour"),
            format!(
                "{} swept {regions} regions within an hour; its baseline peak is {known}",
                chain.root
            ),
            Category::Discovery,
            0.5,
            Severity::Medium,
            mitre("TA0007", "T1580"),
        ),
        Spike::Denied { count, peak } => (
            "access_denied_spike",
            format!("{count} refused calls within an hour"),
            format!(
                "{} was refused {count} times within an hour; its baseline peak is {peak}",
                chain.root
            ),
            Category::Discovery,
            0.35,
            Severity::Medium,
            mitre("TA0007", "T1526"),
        ),
        Spike::Volume { count, peak } => (
            "volume_spike",
            format!("{count} calls within an hour"),
            format!(
                "{} made {count} calls within an hour; its baseline peak is {peak}",
                chain.root
            ),
            Category::IdentityMisuse,
            0.2,
            Severity::Low,
            mitre("TA0007", "T1580"),
        ),
    };
    Finding {
        key: key.into(),
        alert_type: key.into(),
        kind: AlertKind::Anomaly,
        category,
        severity: sev,
        weight,
        title,
        explanations: vec![why],
        mitre: vec![m],
        entities: Vec::new(),
        evidence: vec![ev.clone()],
        first_seen: ev.time,
        last_seen: ev.time,
        standalone: false,
    }
}

/// A rule hit as a finding. Only critical hits, and high hits on a call the identity never
/// made before (once the account's learning period is over), stand alone; the rest are
/// evidence for composites (alert volume).
fn rule_finding(h: &RuleHit, habitual: bool, evidence: &mut impl FnMut() -> Evidence) -> Finding {
    let r = &h.rule;
    let ev = evidence();
    Finding {
        key: rule_key(&r.id),
        alert_type: r.id.clone(),
        kind: AlertKind::Rule,
        category: Category::Rule,
        severity: r.severity,
        weight: rule_weight(r.severity, habitual),
        title: r.title.clone(),
        explanations: vec![rule_explanation(&r.title)],
        mitre: r.mitre.clone(),
        entities: Vec::new(),
        evidence: vec![ev.clone()],
        first_seen: ev.time,
        last_seen: ev.time,
        standalone: rule_standalone(r.severity, habitual),
    }
}

/// How much a rule hit says the chain is compromised (a third of it for a habit).
fn rule_weight(severity: Severity, habitual: bool) -> f64 {
    let weight = match severity {
        Severity::Info => 0.02,
        Severity::Low => 0.05,
        Severity::Medium => 0.12,
        Severity::High => 0.35,
        Severity::Critical => 0.6,
    };
    if habitual { weight / 3.0 } else { weight }
}

/// Only critical hits, and high hits on a call the identity never made before, stand alone.
fn rule_standalone(severity: Severity, habitual: bool) -> bool {
    severity == Severity::Critical || (severity == Severity::High && !habitual)
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("counters", &self.counters)
            .field("identities", &self.baselines.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Hop;

    fn key_chain(n: usize) -> Arc<Chain> {
        Arc::new(Chain::new(
            Origin::AccessKey {
                key: format!("AKIA{n:016}"),
                principal: Some(format!("arn:aws:iam::123456789012:user/u{n}")),
            },
            vec![Hop {
                role_arn: "arn:aws:iam::123456789012:role/admin".into(),
                session_arn: Some("arn:aws:sts::123456789012:assumed-role/admin/i-0abc".into()),
                session_key: format!("ASIA{n:016}"),
                account: "123456789012".into(),
            }],
        ))
    }

    #[test]
    fn a_chain_is_described_once_while_among_the_last_described() {
        let mut described = DescribedChains::default();
        let chains: Vec<Arc<Chain>> = (0..=DESCRIBED).map(key_chain).collect();
        let first = described.get(&chains[0]);
        assert!(Arc::ptr_eq(&first, &described.get(&chains[0])));
        // What it says is what describing the chain says.
        assert_eq!(
            (first.label.clone(), first.origin_entities.clone()),
            describe(&chains[0])
        );
        assert_eq!(first.hop_entities, hop_entities(&chains[0]));
        assert_eq!(
            first
                .hop_entities
                .iter()
                .map(|e| (e.kind, e.id.as_str()))
                .collect::<Vec<_>>(),
            [
                (
                    EntityKind::Principal,
                    "arn:aws:iam::123456789012:role/admin"
                ),
                (
                    EntityKind::RoleSession,
                    "arn:aws:sts::123456789012:assumed-role/admin/i-0abc"
                ),
                (EntityKind::Host, "i-0abc"),
                (EntityKind::AccessKey, "ASIA0000000000000000"),
            ]
        );
        // An equal chain that is another chain is described for itself.
        let twin = key_chain(0);
        assert!(!Arc::ptr_eq(&first, &described.get(&twin)));
        // Once DESCRIBED others came after it, it is described again.
        for c in &chains[1..] {
            described.get(c);
        }
        assert!(described.list.len() <= DESCRIBED);
        let again = described.get(&chains[0]);
        assert!(!Arc::ptr_eq(&first, &again));
        assert_eq!(again.label, first.label);
    }

    #[test]
    fn the_event_key_is_added_only_when_the_chain_does_not_name_it() {
        let chain = key_chain(1);
        let hops = hop_entities(&chain);
        let with_key = |k: &str| event_key(&chain, Some(k), &hops).map(|e| (e.kind, e.id));
        assert_eq!(with_key("ASIA0000000000000001"), None);
        assert_eq!(with_key("AKIA0000000000000001"), None);
        assert_eq!(event_key(&chain, None, &hops), None);
        assert_eq!(
            with_key("ASIAOTHER"),
            Some((EntityKind::AccessKey, "ASIAOTHER".to_string()))
        );
    }
}

//! Correlation: findings on one identity chain within a window form an incident; an incident
//! that tells a known story becomes ONE composite alert (`compromised_aws_keys`,
//! `data_exfiltration`, `defense_evasion`, `cloud_ransomware`, `cryptomining`) with an ordered
//! timeline, its tactics in order, a score, the evidence, and its findings as children.
//!
//! Volume control lives here too: a standalone finding that recurs on the same chain updates
//! one open alert instead of raising a new one (grouping with an idle timeout), suppression
//! rules hold alerts back, and findings that are not alert-worthy alone only ever appear as a
//! composite's children.

use crate::config::DetectConfig;
use crate::fasthash::{FastMap, FastSet, value_hash};
use crate::finding::{Category, Finding, TACTIC_ORDER, is_rule_explanation, rule_of_key};
use crate::rules::RuleInfo;
use crate::suppress::Suppression;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vigil_model::{
    Alert, AlertKind, AlertStatus, EntityRef, Evidence, MitreRef, Severity, Timestamp,
};

/// Findings on one chain, close together in time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Incident {
    /// The chain's root (`key:AKIA…`, `principal:arn:…`, `service:…`).
    pub root: String,
    /// What the root is, for the composite's title.
    pub root_label: String,
    /// The chain starts at a credential (a key or a person), not a service.
    pub credential: bool,
    pub origin_entities: Vec<EntityRef>,
    pub opened: Timestamp,
    /// Time of the latest finding; the incident closes `incident_window_ms` after it.
    pub last: Timestamp,
    pub findings: Vec<Finding>,
    /// Alert id of each finding (parallel to `findings`).
    pub finding_ids: Vec<String>,
    /// Every event of the chain since the incident opened (capped): the story's context.
    pub timeline: Vec<Evidence>,
    pub composite_id: Option<String>,
    pub composite_type: Option<String>,
    /// Repeats [`Correlator::repeat_rule`] has checked against a finding: the digest of the
    /// rule and entities ([`repeat_digest`]) and the finding's index. Findings are only appended
    /// and only grow (lines, tactics, entities), so once a finding holds all of a repeat it
    /// always will. Rebuilt as it goes; not kept with the incident.
    #[serde(skip)]
    held: Vec<(u64, u32)>,
}

/// Most repeats remembered per incident as already held ([`Incident::held`]).
const MAX_HELD: usize = 64;

/// An open standalone alert that later hits of the same finding update.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Group {
    alert: Alert,
    last: Timestamp,
}

/// Counters that say what correlation did (and how much it held back).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorrelationStats {
    pub findings: u64,
    pub incidents: u64,
    pub composites: u64,
    pub standalone_alerts: u64,
    /// Hits folded into an already open alert.
    pub grouped: u64,
    pub suppressed: u64,
    /// Rule findings a rule-scoped suppression dropped before correlation.
    #[serde(default)]
    pub suppressed_findings: u64,
    /// Incidents that closed without becoming an alert.
    pub quiet_incidents: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Correlator {
    incidents: FastMap<u64, Incident>,
    groups: FastMap<u64, Group>,
    #[serde(skip)]
    dirty: FastSet<u64>,
    /// Groups whose alert changed since it was last copied out: copied at the next `emit`,
    /// `sweep` or `take`, not on every repeat (a noisy rule's thousandth hit cloned the alert
    /// and its sixty pieces of evidence each time).
    #[serde(skip)]
    changed_groups: FastSet<u64>,
    /// Rule findings folded in by [`Correlator::repeat_rule`].
    #[serde(skip)]
    repeats_folded: u64,
    #[serde(skip)]
    out: BTreeMap<String, Alert>,
    pub stats: CorrelationStats,
}

/// How a host's chain root starts (`host:<instance id or hostname>`).
pub const HOST_ROOT_PREFIX: &str = "host:";

/// Identity of one chain's root, for the maps.
pub fn root_hash(root: &str) -> u64 {
    value_hash(40, root)
}

fn alert_id(parts: &[&str]) -> String {
    let mut h = 0u64;
    for p in parts {
        h = xxhash_rust::xxh3::xxh3_64_with_seed(p.as_bytes(), h);
    }
    format!("vd-{h:016x}")
}

/// What a rule finding would say, for [`Correlator::repeat_rule`].
pub struct RuleRepeat<'a> {
    pub rule: &'a RuleInfo,
    pub weight: f64,
    pub standalone: bool,
    pub time: Timestamp,
    /// The event's id: the evidence `repeat_rule` is handed has it.
    pub event_id: &'a str,
}

/// The entities of an event's rule findings, for [`Correlator::repeat_rule`]: the lists, and a
/// digest of them made once per event, however many rules the event meets.
pub struct RepeatEntities<'a> {
    lists: [&'a [EntityRef]; 2],
    digest: u64,
}

impl<'a> RepeatEntities<'a> {
    pub fn new(lists: [&'a [EntityRef]; 2]) -> Self {
        let mut digest = 0u64;
        for (n, es) in lists.iter().enumerate() {
            for e in *es {
                let tag = ((n as u64) << 8) | e.kind as u64;
                digest = xxhash_rust::xxh3::xxh3_64_with_seed(e.id.as_bytes(), digest ^ tag);
            }
            digest = digest.rotate_left(17) ^ 0x9E37_79B9_7F4A_7C15;
        }
        RepeatEntities { lists, digest }
    }
}

/// A digest of what [`Correlator::repeat_rule`] checks a finding for: the rule's id, title and
/// tactics ([`RuleInfo::digest`]) and the entities. Two repeats with one digest are taken as
/// the same (64 bits; the finding's rule id is still compared as text).
fn repeat_digest(repeat: &RuleRepeat<'_>, entities: &RepeatEntities<'_>) -> u64 {
    (repeat.rule.digest() ^ entities.digest.rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The chain context a finding is added with.
pub struct ChainContext<'a> {
    pub root: &'a str,
    pub root_label: &'a str,
    pub credential: bool,
    pub origin_entities: &'a [EntityRef],
}

impl Correlator {
    pub fn has_incident(&self, root: u64) -> bool {
        self.incidents.contains_key(&root)
    }

    pub fn repeats_folded(&self) -> u64 {
        self.repeats_folded
    }

    pub fn open_incidents(&self) -> usize {
        self.incidents.len()
    }

    /// Adds one event of a chain with an open incident to that incident's timeline.
    pub fn context(&mut self, root: u64, ev: impl FnOnce() -> Evidence, config: &DetectConfig) {
        if let Some(inc) = self.incidents.get_mut(&root)
            && inc.timeline.len() < config.max_evidence
        {
            let ev = ev();
            if inc
                .timeline
                .last()
                .is_none_or(|l| l.event_id != ev.event_id)
            {
                inc.timeline.push(ev);
                if inc.composite_id.is_some() {
                    self.dirty.insert(root);
                }
            }
        }
    }

    /// Adds a finding about a chain; raises, updates or merges alerts as it must.
    pub fn add(
        &mut self,
        chain: &ChainContext<'_>,
        mut finding: Finding,
        now: Timestamp,
        config: &DetectConfig,
        suppressions: &mut [Suppression],
    ) {
        self.stats.findings += 1;
        let root = root_hash(chain.root);
        for e in chain.origin_entities {
            if !finding.entities.contains(e) {
                finding.entities.push(e.clone());
            }
        }
        // 0. A rule a person declared noise for this scope is not evidence.
        if finding.kind == AlertKind::Rule
            && let Some(s) = suppressions
                .iter_mut()
                .find(|s| s.covers_finding(&finding, now))
        {
            let id = alert_id(&[chain.root, &finding.key]);
            s.record(&id, now);
            self.stats.suppressed_findings += 1;
            return;
        }
        // 1. A finding strong enough alone is an alert, grouped with its recent repeats.
        let mut id = None;
        if finding.standalone {
            id = self.standalone(chain.root, &finding, now, config, suppressions);
        }
        // 2. It joins the chain's incident (opening one when none is open). The window is
        //    measured on the chain's own event time, not the engine's newest time: sources
        //    arrive separately (a host's events may be ingested after a day of CloudTrail),
        //    and an incident must not close because another source is further ahead.
        if let Some(inc) = self.incidents.get(&root)
            && finding.first_seen.as_millis() > inc.last.as_millis() + config.incident_window_ms
        {
            self.close(root, suppressions);
        }
        let inc = self.incidents.entry(root).or_insert_with(|| {
            self.stats.incidents += 1;
            Incident {
                root: chain.root.to_string(),
                root_label: chain.root_label.to_string(),
                credential: chain.credential,
                origin_entities: chain.origin_entities.to_vec(),
                opened: finding.first_seen,
                last: finding.last_seen,
                findings: Vec::new(),
                finding_ids: Vec::new(),
                timeline: Vec::new(),
                composite_id: None,
                composite_type: None,
                held: Vec::new(),
            }
        });
        inc.last = inc.last.max(finding.last_seen);
        for ev in &finding.evidence {
            if inc.timeline.len() < config.max_evidence
                && !inc.timeline.iter().rev().any(|e| e.event_id == ev.event_id)
            {
                inc.timeline.push(ev.clone());
            }
        }
        match inc.findings.iter().position(|f| f.key == finding.key) {
            Some(i) => {
                if let (Some(id), Some(slot)) = (id, inc.finding_ids.get_mut(i)) {
                    *slot = id;
                }
                if let Some(f) = inc.findings.get_mut(i) {
                    f.merge(finding);
                }
            }
            None => {
                let id = id.unwrap_or_else(|| {
                    alert_id(&[&inc.root, &inc.opened.as_millis().to_string(), &finding.key])
                });
                inc.findings.push(finding);
                inc.finding_ids.push(id);
            }
        }
        // 3. Does the incident now tell a story?
        self.retell(root, config);
    }

    /// Whether the incident of `root` now tells a story, and which.
    fn retell(&mut self, root: u64, config: &DetectConfig) {
        let Some(inc) = self.incidents.get_mut(&root) else {
            return;
        };
        if let Some((kind, _)) = classify(inc, config) {
            if inc.composite_id.is_none() {
                self.stats.composites += 1;
                inc.composite_id = Some(alert_id(&[
                    "composite",
                    &inc.root,
                    &inc.opened.as_millis().to_string(),
                ]));
            }
            if inc.composite_type.as_deref() != Some(kind) {
                inc.composite_type = Some(kind.to_string());
            }
            self.dirty.insert(root);
        }
    }

    /// A rule finding that the chain's open incident already holds, seen again: folded in
    /// without building it, with exactly the effect [`Correlator::add`] would have. Noisy rules
    /// repeat on a chain hundreds of times, and each finding built (key, title, explanation,
    /// tactics, entities, evidence) only to be merged and dropped cost more than the rules.
    /// Answers `false`, having changed nothing, when the short way does not apply: no such
    /// finding open, the incident due to close, a standalone finding (it goes to its alert
    /// group), a suppression that scopes rules, or something the finding does not hold yet
    /// (an entity, a tactic, its explanation).
    pub fn repeat_rule(
        &mut self,
        root: u64,
        repeat: &RuleRepeat<'_>,
        entities: &RepeatEntities<'_>,
        evidence: &mut impl FnMut() -> Evidence,
        config: &DetectConfig,
        suppressions: &[Suppression],
    ) -> bool {
        if repeat.standalone || suppressions.iter().any(Suppression::scopes_rules) {
            return false;
        }
        let Some(inc) = self.incidents.get_mut(&root) else {
            return false;
        };
        let t = repeat.time;
        if t.as_millis() > inc.last.as_millis() + config.incident_window_ms {
            return false;
        }
        // A repeat checked before (the same rule, title, tactics and entities) needs only its
        // finding's key confirmed; the checks below compare every entity and tactic as text.
        let digest = repeat_digest(repeat, entities);
        let known = inc
            .held
            .iter()
            .find(|(d, _)| *d == digest)
            .map(|&(_, i)| i as usize)
            .filter(|&i| {
                inc.findings
                    .get(i)
                    .is_some_and(|f| rule_of_key(&f.key) == Some(repeat.rule.id.as_str()))
            });
        let at = match known {
            Some(i) => i,
            None => {
                let Some(i) = inc
                    .findings
                    .iter()
                    .position(|f| rule_of_key(&f.key) == Some(repeat.rule.id.as_str()))
                else {
                    return false;
                };
                let f = &inc.findings[i];
                let holds_line = f.explanations.len() >= crate::finding::MAX_LINES
                    || f.explanations
                        .iter()
                        .any(|l| is_rule_explanation(l, &repeat.rule.title));
                if !holds_line
                    || !repeat.rule.mitre.iter().all(|m| f.mitre.contains(m))
                    || !entities
                        .lists
                        .iter()
                        .all(|es| es.iter().all(|e| f.entities.contains(e)))
                {
                    return false;
                }
                if inc.held.len() < MAX_HELD
                    && let Ok(n) = u32::try_from(i)
                {
                    inc.held.push((digest, n));
                }
                i
            }
        };
        let Some(f) = inc.findings.get_mut(at) else {
            return false;
        };
        self.stats.findings += 1;
        self.repeats_folded += 1;
        inc.last = inc.last.max(t);
        let wants_timeline = inc.timeline.len() < config.max_evidence;
        let wants_evidence = f.evidence.len() < crate::finding::MAX_FINDING_EVIDENCE;
        // Evidence is only built (a copy of the event's) when it is not there yet: an event
        // that meets several rules, or events with one id, would each copy it to drop it.
        let id = repeat.event_id;
        let to_timeline = wants_timeline && !inc.timeline.iter().rev().any(|e| e.event_id == id);
        let to_finding = wants_evidence && !f.evidence.iter().rev().any(|e| e.event_id == id);
        match (to_timeline, to_finding) {
            (true, true) => {
                let ev = evidence();
                inc.timeline.push(ev.clone());
                f.evidence.push(ev);
            }
            (true, false) => inc.timeline.push(evidence()),
            (false, true) => f.evidence.push(evidence()),
            (false, false) => {}
        }
        f.last_seen = f.last_seen.max(t);
        f.first_seen = f.first_seen.min(t);
        let stronger = repeat.weight > f.weight || repeat.rule.severity > f.severity;
        f.weight = f.weight.max(repeat.weight);
        f.severity = f.severity.max(repeat.rule.severity);
        if stronger {
            self.retell(root, config);
        } else if inc.composite_id.is_some() {
            // Nothing `classify` reads has changed (categories, weights, severities, the
            // number of findings), so it would answer the story it answered last time; a
            // cloud incident's story only grows (weights and findings only grow, and every
            // test it makes is monotone in them). The composite's timeline has, though.
            self.dirty.insert(root);
        }
        true
    }

    fn standalone(
        &mut self,
        root: &str,
        f: &Finding,
        now: Timestamp,
        config: &DetectConfig,
        suppressions: &mut [Suppression],
    ) -> Option<String> {
        let key = value_hash(41, &[root, "\u{1f}", &f.key].concat());
        if let Some(g) = self.groups.get_mut(&key)
            && now.as_millis() - g.last.as_millis() <= config.group_idle_ms
        {
            g.last = now;
            let a = &mut g.alert;
            a.last_seen = a.last_seen.max(f.last_seen);
            a.severity = a.severity.max(f.severity);
            for ev in &f.evidence {
                if a.evidence.len() < config.max_evidence
                    && !a.evidence.iter().rev().any(|e| e.event_id == ev.event_id)
                {
                    a.evidence.push(ev.clone());
                }
            }
            self.stats.grouped += 1;
            self.changed_groups.insert(key);
            return Some(a.id.clone());
        }
        let alert = finding_alert(
            f,
            alert_id(&[root, &f.key, &f.first_seen.as_millis().to_string()]),
        );
        if let Some(s) = suppressions.iter_mut().find(|s| s.covers(&alert, now)) {
            if s.record(&alert.id, now) {
                self.stats.suppressed += 1;
            }
            return None;
        }
        self.stats.standalone_alerts += 1;
        // The group this one replaces (gone idle) leaves with its last changes.
        if self.changed_groups.remove(&key)
            && let Some(old) = self.groups.remove(&key)
        {
            self.out.insert(old.alert.id.clone(), old.alert);
        }
        let id = alert.id.clone();
        self.out.insert(id.clone(), alert.clone());
        self.groups.insert(key, Group { alert, last: now });
        Some(id)
    }

    fn close(&mut self, root: u64, suppressions: &mut [Suppression]) {
        if let Some(inc) = self.incidents.remove(&root) {
            if inc.composite_id.is_none() {
                self.stats.quiet_incidents += 1;
            } else if self.dirty.remove(&root) {
                self.emit(&inc, suppressions);
            }
        }
    }

    /// Closes incidents and alert groups that have gone quiet.
    pub fn sweep(
        &mut self,
        now: Timestamp,
        config: &DetectConfig,
        suppressions: &mut [Suppression],
    ) {
        self.copy_out_changed_groups();
        let t = now.as_millis();
        let stale: Vec<u64> = self
            .incidents
            .iter()
            .filter(|(_, i)| t > i.last.as_millis() + config.incident_window_ms)
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            self.close(k, suppressions);
        }
        self.groups
            .retain(|_, g| t - g.last.as_millis() <= config.group_idle_ms);
    }

    /// The alerts raised or changed since the last call.
    pub fn take(&mut self, config: &DetectConfig, suppressions: &mut [Suppression]) -> Vec<Alert> {
        self.copy_out_changed_groups();
        let dirty: Vec<u64> = self.dirty.drain().collect();
        for root in dirty {
            if let Some(inc) = self.incidents.get(&root).cloned() {
                self.emit(&inc, suppressions);
            }
        }
        let _ = config;
        std::mem::take(&mut self.out).into_values().collect()
    }

    /// The current alert of every group that changed since the last call, into the output.
    fn copy_out_changed_groups(&mut self) {
        for key in self.changed_groups.drain() {
            if let Some(g) = self.groups.get(&key) {
                self.out.insert(g.alert.id.clone(), g.alert.clone());
            }
        }
    }

    /// Builds the composite of `inc` and its children into the output.
    fn emit(&mut self, inc: &Incident, suppressions: &mut [Suppression]) {
        // A child that is a grouped standalone alert stays that alert: it must be out first.
        self.copy_out_changed_groups();
        let (Some(id), Some(kind)) = (&inc.composite_id, &inc.composite_type) else {
            return;
        };
        let composite = composite_alert(inc, id, kind);
        if let Some(s) = suppressions
            .iter_mut()
            .find(|s| s.covers(&composite, composite.last_seen))
        {
            if s.record(id, composite.last_seen) {
                self.stats.suppressed += 1;
            }
            return;
        }
        for (f, cid) in inc.findings.iter().zip(&inc.finding_ids) {
            if !self.out.contains_key(cid) {
                let mut child = finding_alert(f, cid.clone());
                child
                    .description
                    .push_str(&format!(" Part of composite {id}."));
                self.out.insert(cid.clone(), child);
            }
        }
        self.out.insert(id.clone(), composite);
    }
}

/// Which story an incident tells, if any, and how bad it is.
fn classify(inc: &Incident, config: &DetectConfig) -> Option<(&'static str, Severity)> {
    if inc.root.starts_with(HOST_ROOT_PREFIX) {
        return crate::host::classify_host(&inc.findings).map(|s| ("compromised_host", s));
    }
    let score = score(inc);
    if score < config.composite_min_score || inc.findings.len() < 2 {
        return None;
    }
    let has = |c: Category| inc.findings.iter().any(|f| f.category == c);
    let impact = [
        (Category::Ransomware, "cloud_ransomware"),
        (Category::Exfiltration, "data_exfiltration"),
        (Category::Cryptomining, "cryptomining"),
        (Category::DefenseEvasion, "defense_evasion"),
    ];
    let impact_found = impact.iter().find(|(c, _)| has(*c));
    // A stolen credential: used from somewhere new AND acting like an intruder.
    let new_place = has(Category::IdentityMisuse);
    let intruder = has(Category::Discovery)
        || has(Category::PrivilegeChange)
        || impact_found.is_some()
        || inc
            .findings
            .iter()
            .any(|f| f.category == Category::Rule && f.severity >= Severity::High);
    if inc.credential && new_place && intruder {
        let sev = if impact_found.is_some() {
            Severity::Critical
        } else {
            Severity::High
        };
        return Some(("compromised_aws_keys", sev));
    }
    impact_found.map(|(c, name)| {
        (
            *name,
            if *c == Category::Ransomware {
                Severity::Critical
            } else {
                Severity::High
            },
        )
    })
}

/// 0–100: the chance-like union of the findings' weights.
fn score(inc: &Incident) -> f64 {
    let miss: f64 = inc
        .findings
        .iter()
        .map(|f| 1.0 - f.weight.clamp(0.0, 0.99))
        .product();
    ((1.0 - miss) * 100.0 * 10.0).round() / 10.0
}

fn finding_alert(f: &Finding, id: String) -> Alert {
    Alert {
        id,
        alert_type: f.alert_type.clone(),
        kind: f.kind,
        severity: f.severity,
        title: f.title.clone(),
        description: f.explanations.join("; "),
        first_seen: f.first_seen,
        last_seen: f.last_seen,
        entities: f.entities.clone(),
        evidence: f.evidence.clone(),
        mitre: f.mitre.clone(),
        children: Vec::new(),
        status: AlertStatus::New,
        score: (f.weight * 100.0).round(),
        related: Vec::new(),
    }
}

fn composite_alert(inc: &Incident, id: &str, kind: &str) -> Alert {
    let severity = classify_severity(inc, kind);
    let mut findings: Vec<&Finding> = inc.findings.iter().collect();
    findings.sort_by_key(|f| f.first_seen);
    // Evidence: every finding's events and the chain's timeline, in time order, once each.
    let mut evidence: Vec<Evidence> = Vec::with_capacity(inc.timeline.len());
    let mut seen: FastSet<u64> = FastSet::default();
    for e in &inc.timeline {
        if seen.insert(value_hash(42, &e.event_id)) {
            evidence.push(e.clone());
        }
    }
    for f in &findings {
        for e in &f.evidence {
            if seen.insert(value_hash(42, &e.event_id)) {
                evidence.push(e.clone());
            }
        }
    }
    evidence.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.event_id.cmp(&b.event_id))
    });
    // Tactics in the order they first appear; ties in kill-chain order.
    let mut mitre: Vec<(Timestamp, usize, MitreRef)> = Vec::new();
    for f in &findings {
        for m in &f.mitre {
            if !mitre.iter().any(|(_, _, x)| x == m) {
                let rank = TACTIC_ORDER
                    .iter()
                    .position(|t| *t == m.tactic)
                    .unwrap_or(TACTIC_ORDER.len());
                mitre.push((f.first_seen, rank, m.clone()));
            }
        }
    }
    mitre.sort_by_key(|(t, r, _)| (*t, *r));
    let mut entities: Vec<EntityRef> = inc.origin_entities.clone();
    for f in &findings {
        for e in &f.entities {
            if !entities.contains(e) {
                entities.push(e.clone());
            }
        }
    }
    let story: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f.first_seen,
                f.title,
                f.explanations.first().map_or("", String::as_str)
            )
        })
        .collect();
    let what = match kind {
        "compromised_aws_keys" => "Potentially compromised AWS keys",
        "data_exfiltration" => "Data exfiltration",
        "defense_evasion" => "Defense evasion",
        "cloud_ransomware" => "Cloud ransomware",
        "cryptomining" => "Cryptomining",
        "compromised_host" => "Potentially compromised host",
        _ => "Suspicious activity",
    };
    let first = findings.first().map_or(inc.opened, |f| f.first_seen);
    let last = evidence.last().map_or(inc.last, |e| e.time).max(inc.last);
    Alert {
        id: id.to_string(),
        alert_type: kind.to_string(),
        kind: AlertKind::Composite,
        severity,
        title: format!("{what}: {} ({} findings)", inc.root_label, findings.len()),
        description: story.join("\n"),
        first_seen: first.min(evidence.first().map_or(first, |e| e.time)),
        last_seen: last,
        entities,
        evidence,
        mitre: mitre.into_iter().map(|(_, _, m)| m).collect(),
        children: inc.finding_ids.clone(),
        status: AlertStatus::New,
        score: score(inc),
        related: Vec::new(),
    }
}

fn classify_severity(inc: &Incident, kind: &str) -> Severity {
    let impact = inc.findings.iter().any(|f| {
        matches!(
            f.category,
            Category::Exfiltration
                | Category::Ransomware
                | Category::DefenseEvasion
                | Category::Cryptomining
        )
    });
    match kind {
        "compromised_host" => crate::host::classify_host(&inc.findings).unwrap_or(Severity::High),
        "cloud_ransomware" => Severity::Critical,
        "compromised_aws_keys" if impact => Severity::Critical,
        _ => Severity::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::rule_key;
    use vigil_model::EntityKind;

    fn finding(key: &str, category: Category, severity: Severity, weight: f64, t: i64) -> Finding {
        let time = Timestamp::from_secs(t);
        Finding {
            key: key.into(),
            alert_type: key.into(),
            kind: AlertKind::Anomaly,
            category,
            severity,
            weight,
            title: key.into(),
            explanations: vec![format!("{key} seen")],
            mitre: Vec::new(),
            entities: Vec::new(),
            evidence: vec![Evidence {
                event_id: format!("e{t}"),
                time,
                summary: String::new(),
            }],
            first_seen: time,
            last_seen: time,
            standalone: false,
        }
    }

    /// A repeat that weighs more than the finding it joins can make the incident a story:
    /// the short way asks again, as `add` does.
    #[test]
    fn a_stronger_repeat_can_make_the_composite() {
        let config = DetectConfig::default();
        let origin = [EntityRef::new(EntityKind::AccessKey, "AKIAEXAMPLE")];
        let ctx = ChainContext {
            root: "key:AKIAEXAMPLE",
            root_label: "key AKIAEXAMPLE",
            credential: true,
            origin_entities: &origin,
        };
        let mut c = Correlator::default();
        let now = Timestamp::from_secs(100);
        c.add(
            &ctx,
            finding(
                "new_source_network",
                Category::IdentityMisuse,
                Severity::Low,
                0.5,
                1,
            ),
            now,
            &config,
            &mut [],
        );
        c.add(
            &ctx,
            finding(
                "discovery_burst",
                Category::Discovery,
                Severity::Low,
                0.15,
                2,
            ),
            now,
            &config,
            &mut [],
        );
        let mut rule = finding(&rule_key("r1"), Category::Rule, Severity::Medium, 0.04, 3);
        rule.kind = AlertKind::Rule;
        rule.explanations = vec![crate::finding::rule_explanation("R1")];
        c.add(&ctx, rule, now, &config, &mut []);
        // 1 - 0.5 * 0.85 * 0.96 = 59.2: short of a story.
        assert!(
            c.take(&config, &mut [])
                .iter()
                .all(|a| a.kind != AlertKind::Composite)
        );
        let root = root_hash(ctx.root);
        let info = |id: &str, title: &str, mitre: Vec<MitreRef>| {
            RuleInfo::new(id.into(), title.into(), Severity::Medium, mitre)
        };
        let r1 = info("r1", "R1", vec![]);
        let mut weaker = RuleRepeat {
            rule: &r1,
            weight: 0.04,
            standalone: false,
            time: Timestamp::from_secs(4),
            event_id: "e4",
        };
        let mut ev = || Evidence {
            event_id: "e4".into(),
            time: Timestamp::from_secs(4),
            summary: String::new(),
        };
        let by_origin = RepeatEntities::new([&origin, &[]]);
        assert!(c.repeat_rule(root, &weaker, &by_origin, &mut ev, &config, &[]));
        assert!(
            c.take(&config, &mut [])
                .iter()
                .all(|a| a.kind != AlertKind::Composite)
        );
        // 1 - 0.5 * 0.85 * 0.88 = 62.6: a stolen key's story.
        weaker.weight = 0.12;
        assert!(c.repeat_rule(root, &weaker, &by_origin, &mut ev, &config, &[]));
        let alerts = c.take(&config, &mut []);
        assert!(
            alerts
                .iter()
                .any(|a| a.kind == AlertKind::Composite && a.alert_type == "compromised_aws_keys"),
            "{alerts:?}"
        );
        // Not held: an entity the finding lacks, or a rule it never saw.
        let other = [EntityRef::new(EntityKind::AccessKey, "AKIAOTHER")];
        let by_other = RepeatEntities::new([&other, &[]]);
        assert!(!c.repeat_rule(root, &weaker, &by_other, &mut ev, &config, &[]));
        let r2 = info("r2", "R1", vec![]);
        weaker.rule = &r2;
        assert!(!c.repeat_rule(root, &weaker, &by_origin, &mut ev, &config, &[]));
        // Held before, but now with a tactic or a title the finding lacks: checked again, and
        // not folded.
        let exfiltration = MitreRef {
            tactic: "TA0010".into(),
            technique: None,
        };
        let r1_tactic = info("r1", "R1", vec![exfiltration]);
        weaker.rule = &r1_tactic;
        assert!(!c.repeat_rule(root, &weaker, &by_origin, &mut ev, &config, &[]));
        let r1_renamed = info("r1", "R1, renamed", vec![]);
        weaker.rule = &r1_renamed;
        assert!(!c.repeat_rule(root, &weaker, &by_origin, &mut ev, &config, &[]));
        weaker.rule = &r1;
        assert!(c.repeat_rule(root, &weaker, &by_origin, &mut ev, &config, &[]));
    }
}

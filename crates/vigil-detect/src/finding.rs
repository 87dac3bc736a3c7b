//! A finding: one thing worth knowing about one event chain (a rule hit, a baseline break, a
//! contextual detector's verdict). Findings are not alerts: most only ever serve as evidence
//! inside a composite; a few are strong enough to stand alone (see [`Finding::standalone`]).

use serde::{Deserialize, Serialize};
use vigil_model::{AlertKind, EntityRef, Evidence, MitreRef, Severity, Timestamp};

/// What a finding says about the chain, used to decide which composite an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The credential is used from somewhere or by something new (network, agent, region).
    IdentityMisuse,
    Discovery,
    PrivilegeChange,
    /// New API calls or services.
    NewBehaviour,
    Exfiltration,
    DefenseEvasion,
    Ransomware,
    Cryptomining,
    /// Host: out of a container into the host (namespaces, Docker socket, host disks).
    ContainerEscape,
    /// Host: a process became root from a non-root parent.
    PrivilegeEscalation,
    /// Host: credential files or the metadata service's role credentials read.
    CredentialAccess,
    /// Host: a shell wired to the network.
    ReverseShell,
    /// Host: fetched code run (`curl … | sh`, a binary run from /tmp after a download).
    DownloadExecute,
    /// A rule hit with no contextual meaning of its own.
    Rule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Findings with the same key in one incident merge (one per kind of thing, not per event).
    pub key: String,
    /// The alert type it becomes (`new_source_network`, a rule id, `data_exfiltration`).
    pub alert_type: String,
    pub kind: AlertKind,
    pub category: Category,
    pub severity: Severity,
    /// 0–1: how much this finding says the chain is compromised.
    pub weight: f64,
    pub title: String,
    /// Why: what is new against which baseline, or what the rule looks for.
    pub explanations: Vec<String>,
    pub mitre: Vec<MitreRef>,
    pub entities: Vec<EntityRef>,
    pub evidence: Vec<Evidence>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Raised as an alert of its own, not only inside a composite.
    pub standalone: bool,
}

/// Most explanations and evidence items kept on one finding.
pub(crate) const MAX_LINES: usize = 12;
pub(crate) const MAX_FINDING_EVIDENCE: usize = 60;

impl Finding {
    /// Folds a later finding with the same key into this one.
    pub fn merge(&mut self, other: Finding) {
        self.last_seen = self.last_seen.max(other.last_seen);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.weight = self.weight.max(other.weight);
        self.severity = self.severity.max(other.severity);
        self.standalone |= other.standalone;
        for line in other.explanations {
            if self.explanations.len() < MAX_LINES && !self.explanations.contains(&line) {
                self.explanations.push(line);
            }
        }
        for e in other.entities {
            if !self.entities.contains(&e) {
                self.entities.push(e);
            }
        }
        for m in other.mitre {
            if !self.mitre.contains(&m) {
                self.mitre.push(m);
            }
        }
        for ev in other.evidence {
            if self.evidence.len() < MAX_FINDING_EVIDENCE
                && !self
                    .evidence
                    .iter()
                    .rev()
                    .any(|e| e.event_id == ev.event_id)
            {
                self.evidence.push(ev);
            }
        }
    }
}

/// The key of a rule's findings (`rule:<id>`): one finding per rule in an incident. This and
/// [`rule_explanation`] are made once per rule hit, so they concatenate rather than `format!`.
pub fn rule_key(rule_id: &str) -> String {
    ["rule:", rule_id].concat()
}

/// The rule a finding's key names, if it is a rule finding's.
pub fn rule_of_key(key: &str) -> Option<&str> {
    key.strip_prefix("rule:")
}

/// Why a rule finding was made (`` rule `TITLE` matched ``).
pub fn rule_explanation(title: &str) -> String {
    ["rule `", title, "` matched"].concat()
}

/// Whether `line` is [`rule_explanation`]`(title)`, without making it.
pub fn is_rule_explanation(line: &str, title: &str) -> bool {
    line.strip_prefix("rule `")
        .and_then(|l| l.strip_suffix("` matched"))
        == Some(title)
}

/// ATT&CK tactics in kill-chain order, to sort a composite's tactics when times tie.
pub const TACTIC_ORDER: [&str; 14] = [
    "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006", "TA0007",
    "TA0008", "TA0009", "TA0011", "TA0010", "TA0040",
];

pub fn mitre(tactic: &str, technique: &str) -> MitreRef {
    MitreRef {
        tactic: tactic.to_string(),
        technique: (!technique.is_empty()).then(|| technique.to_string()),
    }
}

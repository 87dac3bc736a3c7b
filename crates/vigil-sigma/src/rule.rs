//! What a loaded rule says about itself: the metadata a person and an alert need (title, level,
//! MITRE tags, false positives), kept apart from the compiled matcher so that hits can point at
//! it cheaply.

use std::path::PathBuf;
use vigil_model::{MitreRef, Severity};

/// A rule's position in its [`crate::RuleSet`]: what a hit carries, resolved with
/// [`crate::RuleSet::rule`]. Copy-sized so the hot path never clones rule metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef(pub u32);

/// Which events a rule is written for, from its `logsource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `product: aws` (`service: cloudtrail`): cloud events.
    CloudTrail,
    /// `product: linux`, `category: process_creation`: host process starts.
    LinuxProcessCreation,
    /// `product: linux`, `service: auditd`: host events read as auditd records.
    LinuxAuditd,
    /// `product: linux`, `category: file_event`: host file accesses.
    LinuxFileEvent,
    /// `product: linux`, `category: network_connection`: host connections.
    LinuxNetworkConnection,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::CloudTrail => "aws/cloudtrail",
            Target::LinuxProcessCreation => "linux/process_creation",
            Target::LinuxAuditd => "linux/auditd",
            Target::LinuxFileEvent => "linux/file_event",
            Target::LinuxNetworkConnection => "linux/network_connection",
        }
    }
}

/// The rule's `logsource` block as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logsource {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

/// A Sigma rule's metadata. `level` maps onto [`Severity`]; `tags` keep every tag as written
/// and `tactics`/`techniques` hold the parsed `attack.*` ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule's `id` (a UUID in SigmaHQ and in Vigil's pack); the file stem when absent.
    pub id: String,
    pub title: String,
    pub status: Option<String>,
    pub description: String,
    /// `level` as a Vigil severity (`informational` → `Info`); `Medium` when absent.
    pub severity: Severity,
    pub tags: Vec<String>,
    /// ATT&CK tactic ids (`TA0005`) from tags such as `attack.defense-evasion`, in tag order.
    pub tactics: Vec<String>,
    /// ATT&CK technique ids (`T1562.008`) from tags such as `attack.t1562.008`, in tag order.
    pub techniques: Vec<String>,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    pub author: Option<String>,
    pub logsource: Logsource,
    pub target: Target,
    /// The file the rule came from (as given to the loader).
    pub path: PathBuf,
}

impl Rule {
    /// The tags as alert MITRE references: each technique paired with the first tactic the
    /// rule names (Sigma tags do not say which tactic a technique serves); a tactic named
    /// without any technique still yields one reference.
    pub fn mitre(&self) -> Vec<MitreRef> {
        let first = self.tactics.first().cloned().unwrap_or_default();
        let mut out: Vec<MitreRef> = self
            .techniques
            .iter()
            .map(|t| MitreRef {
                tactic: first.clone(),
                technique: Some(t.clone()),
            })
            .collect();
        for t in self.tactics.iter().skip(usize::from(!out.is_empty())) {
            out.push(MitreRef {
                tactic: t.clone(),
                technique: None,
            });
        }
        out
    }
}

/// Sigma `level` → Vigil severity.
pub(crate) fn severity_of_level(level: &str) -> Option<Severity> {
    match level.to_ascii_lowercase().as_str() {
        "informational" | "info" => Some(Severity::Info),
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

/// ATT&CK enterprise tactics by the short names Sigma uses in `attack.<name>` tags.
const TACTICS: [(&str, &str); 14] = [
    ("reconnaissance", "TA0043"),
    ("resource-development", "TA0042"),
    ("initial-access", "TA0001"),
    ("execution", "TA0002"),
    ("persistence", "TA0003"),
    ("privilege-escalation", "TA0004"),
    ("defense-evasion", "TA0005"),
    ("credential-access", "TA0006"),
    ("discovery", "TA0007"),
    ("lateral-movement", "TA0008"),
    ("collection", "TA0009"),
    ("command-and-control", "TA0011"),
    ("exfiltration", "TA0010"),
    ("impact", "TA0040"),
];

/// What an `attack.*` tag names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttackTag {
    Tactic(String),
    Technique(String),
    /// Groups (`attack.g0016`), software (`attack.s0002`) and anything else.
    Other,
}

pub(crate) fn parse_attack_tag(tag: &str) -> Option<AttackTag> {
    let rest = tag.strip_prefix("attack.")?;
    let lower = rest.to_ascii_lowercase();
    if let Some((_, id)) = TACTICS.iter().find(|(n, _)| *n == lower.replace('_', "-")) {
        return Some(AttackTag::Tactic((*id).to_string()));
    }
    if lower.len() >= 6
        && lower.starts_with("ta")
        && lower[2..6].bytes().all(|b| b.is_ascii_digit())
    {
        return Some(AttackTag::Tactic(lower.to_ascii_uppercase()));
    }
    let b = lower.as_bytes();
    if b.len() >= 5 && b[0] == b't' && b[1..5].iter().all(u8::is_ascii_digit) {
        let sub_ok = b.len() == 5
            || (b.len() == 9 && b[5] == b'.' && b[6..9].iter().all(u8::is_ascii_digit));
        if sub_ok {
            return Some(AttackTag::Technique(lower.to_ascii_uppercase()));
        }
    }
    Some(AttackTag::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_tags_parse() {
        assert_eq!(
            parse_attack_tag("attack.defense-evasion"),
            Some(AttackTag::Tactic("TA0005".into()))
        );
        assert_eq!(
            parse_attack_tag("attack.t1562.008"),
            Some(AttackTag::Technique("T1562.008".into()))
        );
        assert_eq!(
            parse_attack_tag("attack.T1078"),
            Some(AttackTag::Technique("T1078".into()))
        );
        assert_eq!(parse_attack_tag("attack.g0016"), Some(AttackTag::Other));
        assert_eq!(parse_attack_tag("cve.2021-1"), None);
        assert_eq!(parse_attack_tag("attack.t15"), Some(AttackTag::Other));
    }

    #[test]
    fn levels_map_to_severities() {
        assert_eq!(severity_of_level("informational"), Some(Severity::Info));
        assert_eq!(severity_of_level("HIGH"), Some(Severity::High));
        assert_eq!(severity_of_level("urgent"), None);
    }
}

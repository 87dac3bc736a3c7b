//! The seam to the rule engine: anything that can say which rules an event matches. The
//! Sigma engine (`vigil_sigma::RuleSet`) is one; tests use small hand-written matchers.

use std::sync::Arc;
use vigil_model::{Event, MitreRef, Severity};

/// One rule an event matched, with what an alert needs to say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    pub rule: Arc<RuleInfo>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub mitre: Vec<MitreRef>,
    /// [`RuleInfo::digest`], made once (private, so only [`RuleInfo::new`] builds one).
    digest: u64,
}

impl RuleInfo {
    pub fn new(id: String, title: String, severity: Severity, mitre: Vec<MitreRef>) -> RuleInfo {
        let mut digest = xxhash_rust::xxh3::xxh3_64(id.as_bytes());
        let mut add = |tag: u64, s: &str| {
            digest = xxhash_rust::xxh3::xxh3_64_with_seed(s.as_bytes(), digest ^ tag);
        };
        add(1, &title);
        for m in &mitre {
            add(2, &m.tactic);
            match &m.technique {
                Some(t) => add(3, t),
                None => add(4, ""),
            }
        }
        RuleInfo {
            id,
            title,
            severity,
            mitre,
            digest,
        }
    }

    /// A 64-bit digest (xxh3) of what a finding of this rule says: its id, title and tactics,
    /// not its severity. Correlation uses it to know a repeat it has checked before.
    pub fn digest(&self) -> u64 {
        self.digest
    }
}

/// Matches events against a set of rules. `Send`, so an engine can detect on a thread of its own
/// (`vigil rules hunt` parses on one thread while another detects).
pub trait RuleMatcher: Send {
    /// Appends the rules `event` matches to `hits` (which the caller clears).
    fn match_event(&mut self, event: &Event, hits: &mut Vec<RuleHit>);
    /// How many rules are loaded.
    fn rule_count(&self) -> usize;
    /// Every rule that matched at least once so far, with how many events it matched, most
    /// first (ties in load order). A matcher that does not count says nothing.
    fn hit_counts(&self) -> Vec<(Arc<RuleInfo>, u64)> {
        Vec::new()
    }
    /// Cloud events whose rule decisions were looked up in a memo of earlier answers, and how
    /// many were answered from it; `(0, 0)` for a matcher without one.
    fn remembered(&self) -> (u64, u64) {
        (0, 0)
    }
    /// Forgets everything seen (hit counts, remembered decisions), to be as if just loaded:
    /// [`crate::Engine::start_over`] reuses the rules rather than load them again. A matcher
    /// that keeps anything from one event to the next must clear it here.
    fn forget(&mut self) {}
}

/// No rules: baselines and contextual detectors only.
#[derive(Debug, Default)]
pub struct NoRules;

impl RuleMatcher for NoRules {
    fn match_event(&mut self, _: &Event, _: &mut Vec<RuleHit>) {}
    fn rule_count(&self) -> usize {
        0
    }
}

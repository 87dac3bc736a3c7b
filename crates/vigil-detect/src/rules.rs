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

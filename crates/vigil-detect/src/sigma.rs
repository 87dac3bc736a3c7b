//! The Sigma engine (`vigil_sigma::RuleSet`) behind the [`RuleMatcher`] seam. Rule metadata is
//! converted once at start-up, so a hit costs one reference-count increment.

use crate::rules::{RuleHit, RuleInfo, RuleMatcher};
use std::sync::Arc;
use vigil_model::Event;
use vigil_sigma::{RuleRef, RuleSet, Scratch};

pub struct SigmaRules {
    set: RuleSet,
    info: Vec<Arc<RuleInfo>>,
    scratch: Scratch,
    refs: Vec<RuleRef>,
    /// Events matched, per rule (by its number): a counter each, no hashing per hit.
    counts: Vec<u64>,
}

impl SigmaRules {
    pub fn new(set: RuleSet) -> SigmaRules {
        let info: Vec<Arc<RuleInfo>> = set
            .rules()
            .iter()
            .map(|r| {
                Arc::new(RuleInfo::new(
                    r.id.clone(),
                    r.title.clone(),
                    r.severity,
                    r.mitre(),
                ))
            })
            .collect();
        SigmaRules {
            counts: vec![0; info.len()],
            set,
            info,
            scratch: Scratch::default(),
            refs: Vec::new(),
        }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.set
    }
}

impl RuleMatcher for SigmaRules {
    fn match_event(&mut self, event: &Event, hits: &mut Vec<RuleHit>) {
        self.refs.clear();
        self.set
            .matches_with(event, &mut self.scratch, &mut self.refs);
        for r in &self.refs {
            let i = r.0 as usize;
            if let (Some(info), Some(n)) = (self.info.get(i), self.counts.get_mut(i)) {
                hits.push(RuleHit { rule: info.clone() });
                *n += 1;
            }
        }
    }

    fn rule_count(&self) -> usize {
        self.info.len()
    }

    fn remembered(&self) -> (u64, u64) {
        let m = self.scratch.memo_stats();
        (m.lookups, m.hits)
    }

    fn forget(&mut self) {
        self.scratch = Scratch::default();
        self.refs.clear();
        self.counts.fill(0);
    }

    fn hit_counts(&self) -> Vec<(Arc<RuleInfo>, u64)> {
        let mut out: Vec<(Arc<RuleInfo>, u64)> = self
            .info
            .iter()
            .zip(&self.counts)
            .filter(|(_, n)| **n > 0)
            .map(|(info, n)| (info.clone(), *n))
            .collect();
        // Stable: ties keep load order.
        out.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        out
    }
}

impl std::fmt::Debug for SigmaRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigmaRules({} rules)", self.info.len())
    }
}

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
}

impl SigmaRules {
    pub fn new(set: RuleSet) -> SigmaRules {
        let info = set
            .rules()
            .iter()
            .map(|r| {
                Arc::new(RuleInfo {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    severity: r.severity,
                    mitre: r.mitre(),
                })
            })
            .collect();
        SigmaRules {
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
            if let Some(info) = self.info.get(r.0 as usize) {
                hits.push(RuleHit { rule: info.clone() });
            }
        }
    }

    fn rule_count(&self) -> usize {
        self.info.len()
    }
}

impl std::fmt::Debug for SigmaRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigmaRules({} rules)", self.info.len())
    }
}

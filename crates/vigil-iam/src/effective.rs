//! Net-effective permissions: every catalogue action a principal may perform after all its
//! policies (allows, denies, boundary, SCPs) are combined, kept as bit sets over the catalogue
//! so a 10,000-principal account fits in memory; the detail (resource patterns, conditions)
//! is computed on demand for one principal.

use crate::catalog::{AccessLevel, Catalog};
use crate::engine::Engine;
use crate::eval::{Outcome, Target};
use crate::policy::{Effect, ResourceSpec};
use serde::Serialize;

/// A fixed-size bit set over catalogue indexes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub fn new(len: usize) -> BitSet {
        BitSet {
            words: vec![0; len.div_ceil(64)],
        }
    }
    pub fn insert(&mut self, i: u32) {
        if let Some(w) = self.words.get_mut(i as usize / 64) {
            *w |= 1 << (i % 64);
        }
    }
    pub fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            (0..64u32)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| wi as u32 * 64 + b)
        })
    }
}

/// What one principal can do, over the whole catalogue.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    /// Allowed (possibly only under conditions) on at least some resource.
    pub granted: BitSet,
    /// Allowed only if conditions the inventory cannot settle hold.
    pub conditional: BitSet,
    /// Allowed unconditionally on every resource (`Resource: *`).
    pub on_all: BitSet,
}

impl Effective {
    pub fn granted_count(&self) -> usize {
        self.granted.count()
    }

    /// Is `action` allowed on all resources, unconditionally?
    pub fn allows_everywhere(&self, cat: &Catalog, action: &str) -> bool {
        cat.index_of(action)
            .is_some_and(|i| self.on_all.contains(i))
    }

    pub fn allows_somewhere(&self, cat: &Catalog, action: &str) -> bool {
        cat.index_of(action)
            .is_some_and(|i| self.granted.contains(i))
    }
}

/// Expands principal `p` over the catalogue. Services that no allow statement of the
/// principal can reach are skipped without evaluating their actions.
pub fn compute(engine: &Engine<'_>, cat: &Catalog, p: usize) -> Effective {
    let mut eff = Effective {
        granted: BitSet::new(cat.len()),
        conditional: BitSet::new(cat.len()),
        on_all: BitSet::new(cat.len()),
    };
    // Neither "some resource" nor "*" has a resource-based policy: one set serves all.
    let set = engine.policy_set(p, "", Target::Any);
    let (Some(caller), Some(ctx)) = (engine.caller(p), engine.context(p)) else {
        return eff;
    };
    let all_stmts: Vec<&crate::policy::Statement> = set
        .identity
        .iter()
        .chain(set.boundary.iter().flatten())
        .chain(set.scps.iter().flatten())
        .flat_map(|pol| pol.statements.iter())
        .collect();
    let ask = |action: &str, target: Target<'_>| {
        crate::eval::decide(
            &crate::eval::Request {
                caller,
                action,
                target,
                context: ctx,
            },
            &set,
        )
    };
    let record = |eff: &mut Effective, idx: u32, any: Outcome, star: Outcome| {
        match any {
            Outcome::Allowed => eff.granted.insert(idx),
            Outcome::ConditionallyAllowed => {
                eff.granted.insert(idx);
                eff.conditional.insert(idx);
            }
            _ => return,
        }
        if star == Outcome::Allowed {
            eff.on_all.insert(idx);
        }
    };
    let mut prefix = String::with_capacity(48);
    for (sid, svc) in cat.services().iter().enumerate() {
        prefix.clear();
        prefix.push_str(svc);
        prefix.push(':');
        let mut any_allow = false;
        let mut uniform = true;
        for st in &all_stmts {
            match st.service_coverage(&prefix) {
                Some(true) => any_allow |= st.effect == Effect::Allow,
                Some(false) => {}
                None => {
                    uniform = false;
                    any_allow |= st.effect == Effect::Allow;
                }
            }
        }
        if !any_allow {
            continue;
        }
        let range = cat.service_actions(sid as u16);
        if uniform {
            // Every statement treats the whole service alike: one decision serves all of it.
            let Some(first) = cat.action(range.start) else {
                continue;
            };
            let any = ask(&first.lower, Target::Any);
            let star = if any.may_allow() {
                ask(&first.lower, Target::Arn("*"))
            } else {
                any
            };
            for idx in range {
                record(&mut eff, idx, any, star);
            }
            continue;
        }
        // Some statements pick actions within the service: evaluate each action against
        // copies of the policies narrowed to this service's patterns.
        let narrow = |pols: &[&crate::policy::Policy]| -> Vec<crate::policy::Policy> {
            pols.iter()
                .map(|p| crate::policy::Policy {
                    name: p.name.clone(),
                    kind: p.kind,
                    via: p.via.clone(),
                    statements: p
                        .statements
                        .iter()
                        .filter_map(|s| s.narrowed(&prefix))
                        .collect(),
                })
                .collect()
        };
        let identity = narrow(&set.identity);
        let boundary = set.boundary.as_ref().map(|b| narrow(b));
        let scps = set.scps.as_ref().map(|s| narrow(s));
        let slim = crate::eval::PolicySet {
            identity: identity.iter().collect(),
            boundary: boundary.as_ref().map(|b| b.iter().collect()),
            scps: scps.as_ref().map(|s| s.iter().collect()),
            session: None,
            resource: None,
        };
        let ask_slim = |action: &str, target: Target<'_>| {
            crate::eval::decide(
                &crate::eval::Request {
                    caller,
                    action,
                    target,
                    context: ctx,
                },
                &slim,
            )
        };
        for idx in range {
            let Some(a) = cat.action(idx) else { continue };
            let any = ask_slim(&a.lower, Target::Any);
            if !any.may_allow() {
                continue;
            }
            let star = ask_slim(&a.lower, Target::Arn("*"));
            record(&mut eff, idx, any, star);
        }
    }
    eff
}

/// One action a principal holds, with where and under what conditions.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub action: String,
    pub access_level: AccessLevel,
    /// Resource patterns of the allowing statements (`NotResource` patterns prefixed `!`).
    pub resources: Vec<String>,
    /// Conditions of the allowing statements, when every allowing statement has some.
    pub conditions: Vec<String>,
    pub conditional: bool,
}

/// The detailed grants of one principal (for the graph and for people).
pub fn grants(engine: &Engine<'_>, cat: &Catalog, p: usize, eff: &Effective) -> Vec<Grant> {
    let Some(info) = engine.account.principals.get(p) else {
        return Vec::new();
    };
    let pols: Vec<&crate::policy::Policy> = info
        .identity
        .iter()
        .filter_map(|&i| engine.account.policies.get(i))
        .collect();
    let mut out = Vec::new();
    for idx in eff.granted.iter() {
        let Some(a) = cat.action(idx) else { continue };
        let mut resources = Vec::new();
        let mut conditions = Vec::new();
        for st in pols
            .iter()
            .flat_map(|p| p.statements.iter())
            .filter(|s| s.effect == Effect::Allow && s.matches_action(&a.lower))
        {
            match &st.resources {
                ResourceSpec::Resource(l) => resources.extend(l.iter().cloned()),
                ResourceSpec::NotResource(l) => resources.extend(l.iter().map(|r| format!("!{r}"))),
                ResourceSpec::Absent => {}
            }
            conditions.extend(st.conditions.iter().map(|c| c.describe()));
        }
        resources.sort();
        resources.dedup();
        conditions.sort();
        conditions.dedup();
        out.push(Grant {
            action: a.name.clone(),
            access_level: a.level,
            resources,
            conditions,
            conditional: eff.conditional.contains(idx),
        });
    }
    out
}

//! Rule indexing: from a compiled detection, the values one field must take for the rule to
//! match at all (`eventName ∈ {StopLogging, DeleteTrail}`); rules are filed under those values
//! so an event meets only the rules keyed on its own value, plus a short list of rules with no
//! such key.

use crate::compile::{Item, Node, ValueTest};
use crate::field::Accessor;
use std::collections::HashMap;

/// Which key a rule is filed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// The exact value of an accessor (eventName, eventSource).
    Exact,
    /// The last path component of an executable.
    Basename,
}

/// The values `acc` must take for `node` to match, lowercased; `None` when the node does not
/// pin the field. A superset is fine (the full matcher still runs), a subset never.
pub(crate) fn required(node: &Node, acc: &Accessor, kind: KeyKind) -> Option<Vec<String>> {
    match node {
        Node::And(v) => v
            .iter()
            .filter_map(|n| required(n, acc, kind))
            .min_by_key(Vec::len),
        Node::Or(v) => {
            let mut out = Vec::new();
            for n in v.iter() {
                out.extend(required(n, acc, kind)?);
            }
            out.sort();
            out.dedup();
            Some(out)
        }
        Node::Not(_) | Node::Keywords(..) | Node::KeywordsAny(..) => None,
        Node::Field(a, ValueTest::Items(items, all)) if a == acc => {
            let mut out = Vec::new();
            for it in items.iter() {
                let Item::Str(m) = it else { return None };
                let lit = match kind {
                    KeyKind::Exact => m.exact_literal(),
                    KeyKind::Basename => m.basename_literal(),
                }?;
                out.push(lit.to_ascii_lowercase());
                if *all {
                    // Every item must hold; any one of them pins the value.
                    break;
                }
            }
            Some(out)
        }
        Node::Field(..) => None,
    }
}

/// Rules filed by key; lookups fold ASCII case through a stack buffer, so they never allocate
/// for keys up to 128 bytes.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyIndex {
    map: HashMap<Box<str>, Vec<u32>>,
}

impl KeyIndex {
    pub fn insert(&mut self, key: &str, rule: u32) {
        let v = self.map.entry(key.into()).or_default();
        if v.last() != Some(&rule) {
            v.push(rule);
        }
    }

    pub fn get(&self, key: &str) -> &[u32] {
        if self.map.is_empty() {
            return &[];
        }
        let mut buf = [0u8; 128];
        let found = if key.len() <= buf.len() {
            let b = &mut buf[..key.len()];
            b.copy_from_slice(key.as_bytes());
            b.make_ascii_lowercase();
            std::str::from_utf8(b).ok().and_then(|k| self.map.get(k))
        } else {
            self.map.get(key.to_ascii_lowercase().as_str())
        };
        found.map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
}

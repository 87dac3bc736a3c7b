//! Rule indexing: from a compiled detection, the values one field must take for the rule to
//! match at all (`eventName ∈ {StopLogging, DeleteTrail}`); rules are filed under those values
//! so an event meets only the rules keyed on its own value, plus a short list of rules with no
//! such key.

use crate::compile::{Item, Node, ValueTest};
use crate::field::Accessor;
use crate::fold::{folded_eq, lower8, tail_word};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

/// A key (as the rule spelt it, lowercased) and the rules filed under it.
type Filed = (Box<str>, Vec<u32>);

/// Rules filed by key, looked up ignoring ASCII case.
///
/// Keys are hashed with their ASCII letters folded as they are read (eight bytes at a time),
/// so a lookup neither copies nor lowercases the event's value; the entries under a hash are
/// then compared with `eq_ignore_ascii_case`. Why not a `HashMap<Box<str>, _>` over a
/// lowercased copy: every cloud event makes four lookups (eventName, eventSource, identity
/// type, error code), and the copy plus SipHash cost more than all but a few rules.
///
/// A lookup first checks the value's length against the lengths of the keys (a bit per length,
/// the last bit for 63 and longer): most values, a user agent above all, have none of them
/// and cost no hashing.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyIndex {
    map: HashMap<u64, Vec<Filed>, BuildHasherDefault<Folded>>,
    keys: usize,
    lengths: u64,
}

/// A key's bit in [`KeyIndex::lengths`].
fn length_bit(len: usize) -> u64 {
    1u64 << len.min(63)
}

impl KeyIndex {
    /// Files `rule` under `key` (already lowercased by [`required`]).
    pub fn insert(&mut self, key: &str, rule: u32) {
        self.lengths |= length_bit(key.len());
        let bucket = self.map.entry(folded_hash(key.as_bytes())).or_default();
        let at = match bucket.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some(at) => at,
            None => {
                bucket.push((key.into(), Vec::new()));
                self.keys += 1;
                bucket.len() - 1
            }
        };
        if let Some((_, v)) = bucket.get_mut(at)
            && v.last() != Some(&rule)
        {
            v.push(rule);
        }
    }

    pub fn get(&self, key: &str) -> &[u32] {
        if self.lengths & length_bit(key.len()) == 0 {
            return &[];
        }
        self.map
            .get(&folded_hash(key.as_bytes()))
            .and_then(|b| {
                b.iter()
                    .find(|(k, _)| folded_eq(key.as_bytes(), k.as_bytes()))
            })
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// Distinct keys.
    pub fn len(&self) -> usize {
        self.keys
    }
}

/// A hash of `key` with ASCII letters lowercased: equal for keys equal ignoring ASCII case.
pub(crate) fn folded_hash(key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = key.len() as u64;
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ lower8(u64::from_le_bytes(w)))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    if !chunks.remainder().is_empty() {
        h = (h ^ lower8(tail_word(key))).wrapping_mul(K).rotate_left(29);
    }
    // Final mix so the low bits the table uses depend on every input bit.
    h ^= h >> 32;
    h.wrapping_mul(K)
}

/// The map's hasher: keys are already [`folded_hash`]es.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Folded(u64);

impl Hasher for Folded {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; fold anything else in rather than ignore it.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn folding_agrees_with_the_standard_library(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let lower = bytes.to_ascii_lowercase();
            prop_assert_eq!(folded_hash(&bytes), folded_hash(&lower));
            let mut w = [0u8; 8];
            let n = bytes.len().min(8);
            w[..n].copy_from_slice(&bytes[..n]);
            let mut want = w;
            want.make_ascii_lowercase();
            prop_assert_eq!(lower8(u64::from_le_bytes(w)).to_le_bytes(), want);
        }

        #[test]
        fn lookups_ignore_ascii_case_only(key in "[a-zA-Z0-9.:_-]{0,30}", other in "[a-zA-Z0-9.:_-]{0,30}") {
            let mut ix = KeyIndex::default();
            ix.insert(&key.to_ascii_lowercase(), 7);
            prop_assert_eq!(ix.get(&key.to_ascii_uppercase()), &[7][..]);
            prop_assert_eq!(ix.get(&key), &[7][..]);
            let hit = !ix.get(&other).is_empty();
            prop_assert_eq!(hit, other.eq_ignore_ascii_case(&key));
        }
    }

    #[test]
    fn non_ascii_keys_match_only_themselves() {
        let mut ix = KeyIndex::default();
        ix.insert("événement", 1);
        ix.insert("a", 2);
        ix.insert("a", 3);
        assert_eq!(ix.get("ÉVÉNEMENT"), &[] as &[u32]);
        assert_eq!(ix.get("éVéNEMENT"), &[1]);
        assert_eq!(ix.get("A"), &[2, 3]);
        assert_eq!(ix.len(), 2);
    }
}

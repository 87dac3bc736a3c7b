//! Rule indexing: from a compiled detection, the values one field must take for the rule to
//! match at all (`eventName ∈ {StopLogging, DeleteTrail}`); rules are filed under those values
//! so an event meets only the rules keyed on its own value, plus a short list of rules with no
//! such key.

use crate::compile::{Item, Node, ValueTest};
use crate::field::Accessor;
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
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyIndex {
    map: HashMap<u64, Vec<Filed>, BuildHasherDefault<Folded>>,
    keys: usize,
}

impl KeyIndex {
    /// Files `rule` under `key` (already lowercased by [`required`]).
    pub fn insert(&mut self, key: &str, rule: u32) {
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
        if self.map.is_empty() {
            return &[];
        }
        self.map
            .get(&folded_hash(key.as_bytes()))
            .and_then(|b| b.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
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

/// The last bytes of `key` (which does not fill whole words) as one word, read with fixed-size
/// loads: the last eight bytes when there are eight (overlapping the word before), else two
/// overlapping four-byte reads, else three single bytes. Copying the remainder into a zeroed
/// word called `memcpy` for every lookup and was a third of its cost. Every byte still lands
/// in the word; a key that hashes alike is told apart by the comparison after the hash.
fn tail_word(key: &[u8]) -> u64 {
    let n = key.len();
    let word = |at: usize| {
        key.get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |at: usize| {
        key.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    };
    let byte = |at: usize| key.get(at).map_or(0, |&b| u64::from(b));
    match n {
        0 => 0,
        1..=3 => byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16,
        4..=7 => half(0) | half(n - 4) << 32,
        _ => word(n - 8),
    }
}

/// Eight bytes with each ASCII capital letter lowercased (SWAR; other bytes unchanged).
fn lower8(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = w & !HIGH;
    // High bit of each byte set where the low seven bits are >= 'A', resp. > 'Z'.
    let ge_a = low7 + ONES * u64::from(0x80 - b'A');
    let gt_z = low7 + ONES * u64::from(0x7f - b'Z');
    let upper = (ge_a & !gt_z) & !w & HIGH;
    w | (upper >> 2)
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

//! Rule decisions remembered by the values the rules read.
//!
//! A compiled rule is a pure function of the fields it reads: two events that give the same
//! values for each of them get the same answer. CloudTrail repeats itself: agents, pipelines
//! and services make the same call, as the same identity, from the same address, with the same
//! user agent, thousands of times a day, and only the event id, the time and the request
//! parameters change. So for a cloud event the engine gathers the rules the index picked, and
//! writes down which rules they are and the value of every field they read (a byte string, the
//! *key*). When an earlier event left the same key, its answer is the answer; otherwise the
//! rules are evaluated and the answer kept under the key.
//!
//! Exact, not a heuristic: a hit compares the whole key, not only its hash. Rules that read
//! what varies from event to event (the event id, a path into the request or response JSON)
//! are never remembered; they are evaluated every time. Memory is fixed: [`SLOTS`] keys, each
//! replaced by the next key that hashes to its slot, and keys longer than [`MAX_KEY`] are not
//! kept.
//!
//! The answers belong to one [`crate::RuleSet`]: the memo holds the set's id and forgets
//! everything when it meets another set.

use crate::compile::{Item, Node, ValueTest};
use crate::field::{Accessor, Val};

/// Keys remembered at once (a power of two). On the 100k-event benchmark corpus, 4,096 slots
/// answered about nine in ten cloud events.
pub(crate) const SLOTS: usize = 4096;

/// Longest key kept, in bytes: longer ones (a huge user agent) are evaluated, not remembered.
pub(crate) const MAX_KEY: usize = 2048;

/// Fields the memo can key on: at most this many distinct ones across a rule set (a bit each).
pub(crate) const MAX_FIELDS: usize = 64;

/// What a rule reads, for the memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reads {
    /// Only fields of the model, each a bit into the set's field table.
    Fields(u64),
    /// Something that varies per event, or more fields than the table holds: never remembered.
    Volatile,
}

/// Whether the value at `acc` is a plain field of a cloud event that repeats across events:
/// the model's own fields (not the event id, not a path into raw JSON).
fn keyable(acc: &Accessor) -> bool {
    use Accessor::*;
    match acc {
        CloudAction | CloudService | CloudRegion | CloudAccount | CloudEventType
        | CloudSourceIp | CloudUserAgent | CloudErrorCode | CloudErrorMessage | CloudReadOnly
        | CloudAccessKeyId | CloudVpcEndpointId | ActorType | ActorArn | ActorAccountId
        | ActorUserName | ActorInvokedBy | ActorName | IssuerArn | IssuerUserName | IssuerType
        | MfaAuthenticated | Unavailable => true,
        Part(inner, _, _) => keyable(inner),
        EventId | CloudJson(..) | HostId | Hostname | ProcExe | ProcComm | ProcCommandLine
        | ProcArg(_) | ProcCwd | ProcUser | ProcPid | ProcPpid | ProcUid | ProcEuid
        | ProcContainerId | ProcParentExe | AuditType | FilePath | NetSrcIp | NetSrcPort
        | NetDstIp | NetDstPort | NetProtocol | NetInitiated => false,
    }
}

/// The fields `node` reads, as bits into `table` (fields are added to it as first met).
pub(crate) fn reads(node: &Node, table: &mut Vec<Accessor>) -> Reads {
    let mut mask = 0u64;
    if collect(node, table, &mut mask) {
        Reads::Fields(mask)
    } else {
        Reads::Volatile
    }
}

/// Every accessor a node reads, whether evaluation reaches it or not. `false` when one is not
/// [`keyable`] or the table is full. Spelled out per variant, with no catch-all, so a new kind
/// of node cannot read a field this misses.
fn collect(node: &Node, table: &mut Vec<Accessor>, mask: &mut u64) -> bool {
    match node {
        Node::And(v) | Node::Or(v) => v.iter().all(|n| collect(n, table, mask)),
        Node::Not(n) => collect(n, table, mask),
        Node::Field(acc, test) => {
            let other = match test {
                ValueTest::FieldRef(other) => Some(other),
                ValueTest::Items(items, _) => {
                    // Items only compare the value; named so a new kind is looked at here.
                    let _: &[Item] = items;
                    None
                }
                ValueTest::Exists(_) | ValueTest::AnyContains(..) => None,
            };
            add(acc, table, mask) && other.is_none_or(|o| add(o, table, mask))
        }
        Node::Keywords(places, _, _) | Node::KeywordsAny(places, _) => {
            places.iter().all(|p| add(p, table, mask))
        }
    }
}

fn add(acc: &Accessor, table: &mut Vec<Accessor>, mask: &mut u64) -> bool {
    if !keyable(acc) {
        return false;
    }
    let bit = match table.iter().position(|a| a == acc) {
        Some(i) => i,
        None if table.len() < MAX_FIELDS => {
            table.push(acc.clone());
            table.len() - 1
        }
        None => return false,
    };
    *mask |= 1u64 << bit;
    true
}

/// Appends a field's value to a key: a tag, then the length and bytes of text.
#[inline]
pub(crate) fn encode(v: Option<Val<'_>>, key: &mut Vec<u8>) {
    let text = |tag: u8, s: &str, key: &mut Vec<u8>| {
        key.push(tag);
        // Four bytes of length; a longer text marks the key too long to keep (it is evaluated
        // every time), so no two texts can share a length here.
        match u32::try_from(s.len()) {
            Ok(n) => key.extend_from_slice(&n.to_le_bytes()),
            Err(_) => key.resize(MAX_KEY + 1, 0),
        }
        key.extend_from_slice(s.as_bytes());
    };
    match v {
        None => key.push(0),
        Some(Val::Null) => key.push(1),
        Some(Val::Str(s)) => text(2, s, key),
        Some(Val::Raw(s)) => text(3, s, key),
        Some(Val::Bool(b)) => key.extend_from_slice(&[4, u8::from(b)]),
        Some(Val::Num(n)) => {
            key.push(5);
            key.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// One remembered key and the rules it matched.
#[derive(Debug, Default, Clone)]
struct Slot {
    hash: u64,
    key: Vec<u8>,
    matched: Vec<u32>,
}

/// How often the memo answered.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MemoStats {
    /// Events whose key was looked up.
    pub lookups: u64,
    /// Lookups answered from the memo.
    pub hits: u64,
}

/// The memo itself: per caller (it lives in [`crate::Scratch`]), so no locking.
#[derive(Debug, Default)]
pub(crate) struct DecisionMemo {
    /// The rule set the slots answer for (0: none yet).
    set: u64,
    slots: Vec<Slot>,
    /// The key being built for the current event.
    pub key: Vec<u8>,
    pub stats: MemoStats,
}

impl DecisionMemo {
    /// Starts a key for an event matched against the set with id `set`; forgets what another
    /// set's events left.
    pub fn begin(&mut self, set: u64) {
        if self.set != set {
            self.set = set;
            self.slots.clear();
        }
        self.key.clear();
    }

    fn slot_of(hash: u64) -> usize {
        // SLOTS is a power of two; the low bits of xxh3 are as good as any.
        (hash as usize) & (SLOTS - 1)
    }

    /// The rules the current key matched when it is remembered, else the key's hash (for
    /// [`DecisionMemo::remember`]).
    pub fn recall(&mut self) -> Result<&[u32], u64> {
        let hash = xxhash_rust::xxh3::xxh3_64(&self.key);
        self.stats.lookups += 1;
        match self.slots.get(Self::slot_of(hash)) {
            Some(slot) if slot.hash == hash && slot.key == self.key => {
                self.stats.hits += 1;
                Ok(&slot.matched)
            }
            _ => Err(hash),
        }
    }

    /// Keeps `matched` under the current key (whose hash is `hash`), in the key's slot.
    pub fn remember(&mut self, hash: u64, matched: &[u32]) {
        if self.key.len() > MAX_KEY {
            return;
        }
        if self.slots.is_empty() {
            self.slots.resize(SLOTS, Slot::default());
        }
        if let Some(slot) = self.slots.get_mut(Self::slot_of(hash)) {
            slot.hash = hash;
            slot.key.clear();
            slot.key.extend_from_slice(&self.key);
            slot.matched.clear();
            slot.matched.extend_from_slice(matched);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::JsonRoot;

    fn exists(acc: Accessor) -> Node {
        Node::Field(acc, ValueTest::Exists(true))
    }

    #[test]
    fn a_rule_is_keyed_on_every_model_field_it_reads_and_only_those() {
        let mut table = Vec::new();
        let node = Node::And(Box::new([
            exists(Accessor::CloudAction),
            Node::Not(Box::new(Node::Or(Box::new([
                exists(Accessor::CloudUserAgent),
                Node::Field(Accessor::ActorArn, ValueTest::FieldRef(Accessor::IssuerArn)),
            ])))),
        ]));
        assert_eq!(reads(&node, &mut table), Reads::Fields(0b1111));
        assert_eq!(
            table,
            [
                Accessor::CloudAction,
                Accessor::CloudUserAgent,
                Accessor::ActorArn,
                Accessor::IssuerArn
            ]
        );
        // A field already in the table keeps its bit.
        assert_eq!(
            reads(&exists(Accessor::ActorArn), &mut table),
            Reads::Fields(0b100)
        );
        // What differs per event makes the whole rule volatile, however deep it sits.
        for varies in [
            Accessor::EventId,
            Accessor::CloudJson(JsonRoot::RequestParameters, Box::new(["bucketName".into()])),
            Accessor::Part(Box::new(Accessor::EventId), '/', 0),
        ] {
            let node = Node::Or(Box::new([
                exists(Accessor::CloudAction),
                Node::Not(Box::new(exists(varies))),
            ]));
            assert_eq!(reads(&node, &mut table), Reads::Volatile);
        }
    }

    #[test]
    fn a_full_field_table_makes_further_fields_volatile() {
        let mut table = Vec::new();
        for i in 0..MAX_FIELDS {
            let acc = Accessor::Part(Box::new(Accessor::CloudUserAgent), '/', i);
            assert_eq!(reads(&exists(acc), &mut table), Reads::Fields(1 << i));
        }
        assert_eq!(
            reads(&exists(Accessor::CloudRegion), &mut table),
            Reads::Volatile
        );
    }

    #[test]
    fn values_encode_apart() {
        let enc = |vals: &[Option<Val<'_>>]| {
            let mut key = Vec::new();
            for v in vals {
                encode(*v, &mut key);
            }
            key
        };
        let singles = [
            None,
            Some(Val::Null),
            Some(Val::Str("")),
            Some(Val::Raw("")),
            Some(Val::Bool(false)),
            Some(Val::Bool(true)),
            Some(Val::Num(0)),
            Some(Val::Str("0")),
        ];
        let keys: Vec<Vec<u8>> = singles.iter().map(|v| enc(&[*v])).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // Where one text ends and the next begins is part of the key.
        assert_ne!(
            enc(&[Some(Val::Str("a")), Some(Val::Str("bc"))]),
            enc(&[Some(Val::Str("ab")), Some(Val::Str("c"))])
        );
    }
}

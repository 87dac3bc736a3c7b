//! Parts of a record the fast path has already read, remembered by their exact text, so that
//! the same bytes met again are stepped over instead of read again: `userIdentity` objects
//! (with what normalisation derives from them), `resources` arrays (with the resources they
//! normalise to), and `tlsDetails` objects (read by nobody, but checked as JSON).
//!
//! Why: a session's `userIdentity` is the same object in every call it makes (same keys, same
//! order, same creation date). On the 100k-event benchmark corpus an identity is 470 of a
//! record's 1,500 bytes, and reading and normalising it (the scan, then
//! [`crate::actor::actor`]) was a sixth of a whole hunt; 94 % of records carry one of the 64
//! identities seen most recently. Agents and services call the same resources over and over
//! (an instance's agent names its instance, a key's users name the key) and each client sends
//! the same TLS details: in the 20k-event hunt, reading `resources` arrays and stepping over
//! `tlsDetails` were about 5 % of the instructions, and 99 % of both were texts read before.
//!
//! Why that is exact: a remembered text is one whole JSON value the fast path read without
//! bailing. An object or array ends at its own closing bracket, so input that starts with those
//! bytes holds that same value, which reads to the same result. What is remembered with it is
//! derived from the text alone. A text with a line feed is never remembered: reading JSON
//! lines, a record may not run past its line.
//!
//! The memos are per thread (a parser thread reads file after file, and a hunt reads a file in
//! parts: a memo per part would start cold each time), small and bounded: 32 sets of 4, a set
//! found by a hash of a text's first bytes (how many depends on the field: enough to reach
//! past what its texts share). Texts shorter than that key are not remembered (they are cheap
//! to read, and the lookup could not key them). A text is remembered the second time it is
//! read (each set keeps a hash of each of its last 8 one-off texts), so input whose texts
//! never repeat pays a lookup and a hash per field, not a copy: remembering every text cost
//! the ingest benchmark, whose identities were all distinct, a fifth of its parse rate.
//!
//! Tried and dropped: `requestParameters` in the same way. Its texts share long beginnings
//! and differ later (ids, names, times), so keyed by their first bytes they crowd into a few
//! sets and mostly miss (a third of them found, simulated over the 20k-event corpus); one memo
//! for them and `tlsDetails` together took the 20k-event hunt from 499.6M to 505.2M
//! instructions.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use vigil_model::{Actor, CompactString, ResourceRef};

const SETS: usize = 32;
const WAYS: usize = 4;
/// Hashes of texts seen once, per set: a text is remembered the second time it is seen.
const GHOSTS: usize = 8;
/// Leading bytes that key an identity (sessions of one role share their first sixty or so).
const IDENTITY_KEY: usize = 96;
/// Leading bytes that key a `resources` array: its first ARN runs past the shared
/// `[{"ARN":"arn:aws:<service>:<region>:<account>:` into the resource's own name.
const RESOURCES_KEY: usize = 64;
/// Leading bytes that key a value only checked and stepped over (`tlsDetails`: agents share a
/// cipher suite, then differ in the host they named).
const CHECKED_KEY: usize = 96;

/// What normalisation takes from a `userIdentity`: everything it derives from the identity
/// alone. An identity without its own `accountId` is not remembered (its actor takes the
/// record's account): the caller checks.
#[derive(Debug)]
pub struct IdentityFacts {
    /// Its own `accountId` (never empty).
    pub account_id: CompactString,
    pub actor: Arc<Actor>,
    pub access_key_id: Option<CompactString>,
    pub invoked_by: Option<CompactString>,
}

/// How the fast path came by a part of a record it remembers (the general path leaves it
/// `Unread`).
#[derive(Debug, Default)]
pub enum Note<'a, F> {
    #[default]
    Unread,
    /// Read into the record from this text.
    Read(&'a str),
    /// Stepped over: the memo knew the text, and this is what it came to (the record's own
    /// field is none).
    Known(F),
}

/// How the fast path came by a record's `userIdentity`.
pub type IdentityNote<'a> = Note<'a, Rc<IdentityFacts>>;

/// How the fast path came by a record's `resources` (what they normalise to, when known).
pub type ResourcesNote<'a> = Note<'a, Arc<[ResourceRef]>>;

struct Entry<F> {
    text: Box<str>,
    facts: F,
}

/// Texts and what they came to (`F`), in sets picked by their first `KEY` bytes.
struct Memo<F, const KEY: usize> {
    sets: [[Option<Entry<F>>; WAYS]; SETS],
    /// Hashes of recent texts not (yet) remembered, and where the next one goes.
    ghosts: [[u64; GHOSTS]; SETS],
    next_ghost: [usize; SETS],
}

/// The hash of a text's first bytes, and the set it picks.
fn head(key: &[u8]) -> (u64, usize) {
    let h = xxhash_rust::xxh3::xxh3_64(key);
    // Truncation is intended: the hash only picks a set.
    (h, (h as usize) % SETS)
}

impl<F: Clone, const KEY: usize> Memo<F, KEY> {
    fn new() -> Self {
        Memo {
            sets: std::array::from_fn(|_| std::array::from_fn(|_| None)),
            ghosts: [[0; GHOSTS]; SETS],
            next_ghost: [0; SETS],
        }
    }

    /// The length of the remembered text `rest` starts with, and what it came to.
    fn recall(&mut self, rest: &[u8]) -> Option<(usize, F)> {
        let (_, s) = head(rest.get(..KEY)?);
        let set = self.sets.get_mut(s)?;
        let way = set.iter().position(|e| {
            e.as_ref()
                .is_some_and(|e| rest.starts_with(e.text.as_bytes()))
        })?;
        // Most recent first, so the least recent is the one replaced.
        set[..=way].rotate_right(1);
        set[0].as_ref().map(|e| (e.text.len(), e.facts.clone()))
    }

    /// Remembers `text` with what `make` makes of it, if it has been seen (and not remembered)
    /// recently: a text seen only once costs a hash, not a copy. Texts the memo cannot key or
    /// may not hold are let go: shorter than the key, not an object or array, or with a line
    /// feed (reading JSON lines, a record may not run past its line).
    fn remember(&mut self, text: &str, make: impl FnOnce() -> F) {
        let Some(key) = text.as_bytes().get(..KEY) else {
            return;
        };
        if !matches!(key.first(), Some(b'{' | b'[')) {
            return;
        }
        let (head, s) = head(key);
        // A sighting is told by the hash of the text's first bytes, its last bytes and its
        // length: a tenth of the cost of hashing it whole, and a false match only remembers a
        // text one sighting early. Never 0, the empty slot.
        let tail = text.len().saturating_sub(32);
        let h = (head
            ^ xxhash_rust::xxh3::xxh3_64(text.as_bytes().get(tail..).unwrap_or_default())
                .rotate_left(17)
            ^ text.len() as u64)
            | 1;
        let (Some(set), Some(ghosts), Some(next)) = (
            self.sets.get_mut(s),
            self.ghosts.get_mut(s),
            self.next_ghost.get_mut(s),
        ) else {
            return;
        };
        match ghosts.iter().position(|g| *g == h) {
            Some(at) => ghosts[at] = 0,
            None => {
                ghosts[*next % GHOSTS] = h;
                *next = next.wrapping_add(1);
                return;
            }
        }
        if memchr::memchr(b'\n', text.as_bytes()).is_some() {
            return;
        }
        set.rotate_right(1);
        set[0] = Some(Entry {
            text: text.into(),
            facts: make(),
        });
    }
}

thread_local! {
    static IDENTITIES: RefCell<Memo<Rc<IdentityFacts>, IDENTITY_KEY>> = RefCell::new(Memo::new());
    static RESOURCES: RefCell<Memo<Arc<[ResourceRef]>, RESOURCES_KEY>> = RefCell::new(Memo::new());
    static CHECKED: RefCell<Memo<(), CHECKED_KEY>> = RefCell::new(Memo::new());
}

/// The facts of the identity `rest` starts with, and its length, when this thread knows it.
pub(crate) fn recall_identity(rest: &[u8]) -> Option<(usize, Rc<IdentityFacts>)> {
    IDENTITIES.with(|m| m.borrow_mut().recall(rest))
}

/// Remembers what the identity object `text` came to (made by `make`, only when the text is
/// to be remembered). The caller knows the identity has its own account.
pub(crate) fn remember_identity(text: &str, make: impl FnOnce() -> IdentityFacts) {
    IDENTITIES.with(|m| m.borrow_mut().remember(text, || Rc::new(make())));
}

/// The resources the `resources` array `rest` starts with normalises to, and its length, when
/// this thread knows it.
pub(crate) fn recall_resources(rest: &[u8]) -> Option<(usize, Arc<[ResourceRef]>)> {
    RESOURCES.with(|m| m.borrow_mut().recall(rest))
}

/// Remembers what the `resources` array `text` normalised to (made by `make`, only when the
/// text is to be remembered).
pub(crate) fn remember_resources(text: &str, make: impl FnOnce() -> Arc<[ResourceRef]>) {
    RESOURCES.with(|m| m.borrow_mut().remember(text, make));
}

/// The length of the valid JSON value `rest` starts with, when this thread has checked that
/// same text before.
pub(crate) fn recall_checked(rest: &[u8]) -> Option<usize> {
    CHECKED.with(|m| m.borrow_mut().recall(rest).map(|(len, ())| len))
}

/// Remembers that `text` is one valid JSON value (an object or array the cursor checked and
/// stepped over).
pub(crate) fn remember_checked(text: &str) {
    CHECKED.with(|m| m.borrow_mut().remember(text, || ()));
}

/// Forgets everything this thread remembers (tests that must start cold).
#[cfg(test)]
pub(crate) fn forget() {
    IDENTITIES.with(|m| *m.borrow_mut() = Memo::new());
    RESOURCES.with(|m| *m.borrow_mut() = Memo::new());
    CHECKED.with(|m| *m.borrow_mut() = Memo::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: usize) -> String {
        format!(
            r#"{{"type":"IAMUser","principalId":"AIDAEXAMPLE{n}","arn":"arn:aws:iam::111122223333:user/user-{n}","accountId":"111122223333","userName":"user-{n}"}}"#
        )
    }

    fn facts(account: &str) -> IdentityFacts {
        IdentityFacts {
            account_id: account.into(),
            actor: Arc::new(Actor::Unknown { raw_type: None }),
            access_key_id: None,
            invoked_by: None,
        }
    }

    /// Shows `t` to the memo twice (the second sighting remembers it).
    fn keep(t: &str) {
        remember_identity(t, || facts("111122223333"));
        remember_identity(t, || facts("111122223333"));
    }

    #[test]
    fn recalls_exactly_the_text_it_was_given() {
        forget();
        let t = text(1);
        keep(&t);
        let rest = format!("{t},\"eventName\":\"X\"}}");
        assert_eq!(recall_identity(rest.as_bytes()).map(|f| f.0), Some(t.len()));
        // The same start, then something else: not the remembered object.
        let other = t.replace("user-1\"}", "user-1\",\"x\":1}");
        assert!(recall_identity(other.as_bytes()).is_none());
        let cut = &t[..t.len() - 1];
        assert!(recall_identity(cut.as_bytes()).is_none());
    }

    #[test]
    fn lets_go_what_it_may_not_hold() {
        forget();
        let short = r#"{"type":"Root","accountId":"1"}"#;
        keep(short);
        assert!(recall_identity(format!("{short:<120}").as_bytes()).is_none());
        let spread = text(2).replace(",\"", ",\n\"");
        keep(&spread);
        assert!(recall_identity(spread.as_bytes()).is_none());
        // Seen once: not yet.
        let t = text(3);
        remember_identity(&t, || facts("111122223333"));
        assert!(recall_identity(t.as_bytes()).is_none());
        remember_identity(&t, || facts("111122223333"));
        assert!(recall_identity(t.as_bytes()).is_some());
        let s = format!("\"{}\"", "x".repeat(100));
        keep(&s);
        assert!(recall_identity(s.as_bytes()).is_none());
    }

    #[test]
    fn checked_and_resource_texts_are_recalled_exactly() {
        forget();
        let tls = r#"{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ssm.us-east-1.amazonaws.com"}"#;
        remember_checked(tls);
        assert_eq!(recall_checked(tls.as_bytes()), None, "seen once");
        remember_checked(tls);
        let rest = format!("{tls},\"userAgent\":\"x\"}}");
        assert_eq!(recall_checked(rest.as_bytes()), Some(tls.len()));
        let longer = tls.replace("\"}", "\",\"x\":1}");
        assert_eq!(recall_checked(longer.as_bytes()), None);
        // Each memo keeps its own texts.
        assert!(recall_resources(rest.as_bytes()).is_none());
        let res = r#"[{"ARN":"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc","type":"AWS::EC2::Instance"}]"#;
        let refs = || {
            vec![ResourceRef {
                id: "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc".into(),
                kind: Some("AWS::EC2::Instance".into()),
                account: None,
            }]
        };
        remember_resources(res, || refs().into());
        remember_resources(res, || refs().into());
        let (len, known) = recall_resources(res.as_bytes()).unwrap();
        assert_eq!((len, known.to_vec()), (res.len(), refs()));
        assert_eq!(recall_checked(res.as_bytes()), None);
    }

    #[test]
    fn holds_at_most_its_size() {
        forget();
        let texts: Vec<String> = (0..1000).map(text).collect();
        for t in &texts {
            keep(t);
        }
        let held = texts
            .iter()
            .filter(|t| recall_identity(t.as_bytes()).is_some())
            .count();
        assert!(held <= SETS * WAYS, "{held}");
        // The most recent one is always there.
        assert!(recall_identity(texts[999].as_bytes()).is_some());
    }
}

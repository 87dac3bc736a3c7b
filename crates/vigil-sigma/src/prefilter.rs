//! Literal prefilters: rules filed by text one of which must occur in a value for the rule to
//! match. A superset, never a subset: the full matcher still decides.
//!
//! - Command lines ([`CommandLineFilter`]), for host rules that no index key pins: most Linux
//!   rules only test `CommandLine|contains` (or auditd's `a0`, `a1`, ...); one Aho-Corasick
//!   pass over an event's command line names the few rules worth evaluating.
//! - One CloudTrail field ([`FieldNeedles`]: an ARN, a user agent), for rules that pin no key
//!   but need a literal there (`|contains`, or the literal a `|re` needs).

use crate::compile::{Item, Node, ValueTest};
use crate::field::Accessor;
use memchr::memmem::Finder;

/// Shortest literal worth prefiltering on; shorter ones match nearly every command line.
const MIN_NEEDLE: usize = 3;

/// Lowercased literals, one of which the command line must contain for `node` to match.
///
/// `programs`: whether the program and parent program count as searched text. Only for
/// process-creation rules: the prefilter runs on process starts alone, and an auditd rule
/// keyed on `exe` may be meant for file or network records.
pub(crate) fn required_needles(node: &Node, programs: bool) -> Option<Vec<String>> {
    needles_in(node, &|acc| searched(acc, programs))
}

/// Lowercased literals, one of which the value of `field` must contain for `node` to match
/// (a CloudTrail rule that pins no key but tests, say, `userIdentity.arn|re`).
pub(crate) fn field_needles(node: &Node, field: &Accessor) -> Option<Vec<String>> {
    needles_in(node, &|acc| acc == field)
}

/// Literals one of which the text `searched` accessors make up must contain for `node` to
/// match; `None` when `node` does not pin one.
fn needles_in(node: &Node, searched: &dyn Fn(&Accessor) -> bool) -> Option<Vec<String>> {
    match node {
        Node::And(v) => v
            .iter()
            .filter_map(|n| needles_in(n, searched))
            .max_by_key(|set| set.iter().map(String::len).min().unwrap_or(0)),
        Node::Or(v) => {
            let mut out = Vec::new();
            for n in v.iter() {
                out.extend(needles_in(n, searched)?);
            }
            out.sort();
            out.dedup();
            Some(out)
        }
        Node::Field(acc, test) if searched(acc) => {
            let lits: Vec<String> = match test {
                ValueTest::Items(items, all) => {
                    let mut lits = Vec::with_capacity(items.len());
                    for it in items.iter() {
                        let Item::Str(m) = it else { return None };
                        match m.required_literal() {
                            Some(l) => lits.push(l),
                            // Under `all`, one literal is enough; otherwise each must have one.
                            None if *all => continue,
                            None => return None,
                        }
                    }
                    if *all {
                        lits.into_iter()
                            .max_by_key(String::len)
                            .into_iter()
                            .collect()
                    } else {
                        lits
                    }
                }
                ValueTest::AnyContains(_, needles) => {
                    needles.iter().map(|n| n.to_ascii_lowercase()).collect()
                }
                _ => return None,
            };
            (!lits.is_empty() && lits.iter().all(|l| l.len() >= MIN_NEEDLE)).then_some(lits)
        }
        _ => None,
    }
}

/// Accessors whose value is a piece of what the prefilter searches: the command line (and so
/// every argument), the program and the parent's program (`RuleSet::run_prefiltered` joins
/// them with newlines). A needle found across a join only adds a candidate; the full matcher
/// still decides.
fn searched(acc: &Accessor, programs: bool) -> bool {
    match acc {
        Accessor::ProcCommandLine | Accessor::ProcArg(_) => true,
        Accessor::ProcExe | Accessor::ProcParentExe => programs,
        _ => false,
    }
}

/// Rules filed by the command-line literals they need.
#[derive(Debug, Default)]
pub(crate) struct CommandLineFilter {
    pending: Vec<(u32, Vec<String>)>,
    ac: Option<aho_corasick::AhoCorasick>,
    /// Pattern id → rules needing that literal.
    rules_of: Vec<Vec<u32>>,
}

impl CommandLineFilter {
    pub fn add(&mut self, rule: u32, needles: Vec<String>) {
        self.pending.push((rule, needles));
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Builds the automaton; call once all rules are added.
    pub fn finish(&mut self) {
        let mut patterns: Vec<String> = Vec::new();
        let mut rules_of: Vec<Vec<u32>> = Vec::new();
        for (rule, needles) in &self.pending {
            for n in needles {
                match patterns.iter().position(|p| p == n) {
                    Some(i) => rules_of[i].push(*rule),
                    None => {
                        patterns.push(n.clone());
                        rules_of.push(vec![*rule]);
                    }
                }
            }
        }
        self.ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .ok();
        self.rules_of = rules_of;
    }

    /// Appends (unsorted, without duplicates) the rules whose literals occur in `cmdline`;
    /// `marks` is a reusable per-rule flag buffer, left all-false.
    pub fn candidates(
        &self,
        cmdline: &str,
        marks: &mut Vec<bool>,
        out: &mut Vec<u32>,
        n_rules: usize,
    ) {
        let Some(ac) = &self.ac else { return };
        let found = ac
            .find_overlapping_iter(cmdline)
            .filter_map(|m| self.rules_of.get(m.pattern().as_usize()));
        append_once(found.map(Vec::as_slice), marks, out, n_rules);
    }
}

/// Rules filed by the literals one CloudTrail field's value must contain.
///
/// Few rules land here (a handful of literals), so the value is lowercased once and each
/// literal found in it with `memchr`'s substring search. Why not the Aho-Corasick filter the
/// command lines use: ARNs are made of the very bytes (`:`, `/`, `-`) its rare-byte prefilter
/// picks, and its overlapping search cost 2,800 instructions an event in a 20k-event hunt; the
/// case-folding byte search of `|contains` anchors on those bytes too (960).
#[derive(Debug, Default)]
pub(crate) struct FieldNeedles {
    /// A literal (lowercase) and the rules needing it.
    needles: Vec<(Finder<'static>, Vec<u32>)>,
    rules: usize,
}

impl FieldNeedles {
    /// Files `rule` under `needles` (lowercased, as [`field_needles`] gives them).
    pub fn add(&mut self, rule: u32, needles: Vec<String>) {
        self.rules += 1;
        for n in needles {
            let at = match self
                .needles
                .iter()
                .position(|(have, _)| have.needle() == n.as_bytes())
            {
                Some(at) => at,
                None => {
                    self.needles
                        .push((Finder::new(n.as_bytes()).into_owned(), Vec::new()));
                    self.needles.len() - 1
                }
            };
            if let Some((_, rules)) = self.needles.get_mut(at)
                && rules.last() != Some(&rule)
            {
                rules.push(rule);
            }
        }
    }

    /// Rules filed here.
    pub fn len(&self) -> usize {
        self.rules
    }

    /// Appends (unsorted, without duplicates) the rules one of whose literals `value` contains
    /// ignoring ASCII case; `folded` is a reusable buffer, `marks` as for
    /// [`CommandLineFilter::candidates`].
    pub fn candidates(
        &self,
        value: &str,
        folded: &mut Vec<u8>,
        marks: &mut Vec<bool>,
        out: &mut Vec<u32>,
        n: usize,
    ) {
        folded.clear();
        folded.extend_from_slice(value.as_bytes());
        folded.make_ascii_lowercase();
        let found = self
            .needles
            .iter()
            .filter(|(finder, _)| finder.find(folded).is_some());
        append_once(found.map(|(_, rules)| rules.as_slice()), marks, out, n);
    }
}

/// Appends the rules of `lists` to `out`, each once (unsorted); `marks` is a reusable flag per
/// rule (grown to `n`), left all-false.
fn append_once<'r>(
    lists: impl Iterator<Item = &'r [u32]>,
    marks: &mut Vec<bool>,
    out: &mut Vec<u32>,
    n: usize,
) {
    if marks.len() < n {
        marks.resize(n, false);
    }
    let start = out.len();
    for rules in lists {
        for &r in rules {
            if let Some(flag) = marks.get_mut(r as usize)
                && !*flag
            {
                *flag = true;
                out.push(r);
            }
        }
    }
    for &r in &out[start..] {
        if let Some(flag) = marks.get_mut(r as usize) {
            *flag = false;
        }
    }
}

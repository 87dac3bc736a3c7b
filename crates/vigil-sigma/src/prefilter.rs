//! Command-line prefilter for host rules that no index key pins: most Linux rules only test
//! `CommandLine|contains` (or auditd's `a0`, `a1`, ...). For each such rule we derive literals one
//! of which must occur in the command line for the rule to match; one Aho-Corasick pass over an
//! event's command line then names the few rules worth evaluating. A superset, never a subset:
//! the full matcher still decides.

use crate::compile::{Item, Node, ValueTest};
use crate::field::Accessor;

/// Shortest literal worth prefiltering on; shorter ones match nearly every command line.
const MIN_NEEDLE: usize = 3;

/// Lowercased literals, one of which the command line must contain for `node` to match.
///
/// `programs`: whether the program and parent program count as searched text. Only for
/// process-creation rules: the prefilter runs on process starts alone, and an auditd rule
/// keyed on `exe` may be meant for file or network records.
pub(crate) fn required_needles(node: &Node, programs: bool) -> Option<Vec<String>> {
    match node {
        Node::And(v) => v
            .iter()
            .filter_map(|n| required_needles(n, programs))
            .max_by_key(|set| set.iter().map(String::len).min().unwrap_or(0)),
        Node::Or(v) => {
            let mut out = Vec::new();
            for n in v.iter() {
                out.extend(required_needles(n, programs)?);
            }
            out.sort();
            out.dedup();
            Some(out)
        }
        Node::Field(acc, test) if searched(acc, programs) => {
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
        if marks.len() < n_rules {
            marks.resize(n_rules, false);
        }
        let start = out.len();
        for m in ac.find_overlapping_iter(cmdline) {
            if let Some(rules) = self.rules_of.get(m.pattern().as_usize()) {
                for &r in rules {
                    if let Some(flag) = marks.get_mut(r as usize)
                        && !*flag
                    {
                        *flag = true;
                        out.push(r);
                    }
                }
            }
        }
        for &r in &out[start..] {
            if let Some(flag) = marks.get_mut(r as usize) {
                *flag = false;
            }
        }
    }
}

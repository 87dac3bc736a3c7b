//! Builds the compact linked-identity groups of the report (see [`crate::report`]): links
//! deduplicated per identity, grouped by `(method, conditional)`, each group's list interned
//! once in a table shared by the whole report. Works on endpoint numbers, not strings, so a
//! dense account (millions of pairs) costs integer sorting and hashing, not string copies.

use crate::report::LinkGroup;
use std::collections::{BTreeMap, HashMap};

/// One raw link: the other end (a principal index, or `principals + service index`), the
/// method, and whether it is conditional.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawLink {
    pub end: usize,
    pub method: &'static str,
    pub conditional: bool,
}

/// The interned lists of one report.
pub(crate) struct LinkSets {
    /// The ARN (or `service:NAME`) of each endpoint number.
    names: Vec<String>,
    /// Each endpoint's position in ARN order.
    rank: Vec<u32>,
    index: HashMap<Vec<u32>, usize>,
    sets: Vec<Vec<u32>>,
}

impl LinkSets {
    /// Endpoints are the principals' ARNs, then `service:NAME` for each service.
    pub fn new(principal_arns: Vec<String>, services: &[&str]) -> LinkSets {
        let mut names = principal_arns;
        names.extend(services.iter().map(|s| format!("service:{s}")));
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| names.get(a).cmp(&names.get(b)));
        let mut rank = vec![0u32; names.len()];
        for (r, &e) in order.iter().enumerate() {
            if let Some(slot) = rank.get_mut(e) {
                *slot = u32::try_from(r).unwrap_or(u32::MAX);
            }
        }
        LinkSets {
            names,
            rank,
            index: HashMap::new(),
            sets: Vec::new(),
        }
    }

    fn rank(&self, end: usize) -> u32 {
        self.rank.get(end).copied().unwrap_or(u32::MAX)
    }

    /// One identity's links in one direction, grouped. Each endpoint is kept once, in its
    /// least conditional link (the first such link when several methods tie).
    pub fn group(&mut self, mut links: Vec<RawLink>) -> Vec<LinkGroup> {
        // An endpoint with no name cannot be listed; keep `count` equal to the list's length.
        links.retain(|l| l.end < self.names.len());
        // Stable: among equal (endpoint, conditional) the first link wins.
        links.sort_by_key(|l| (self.rank(l.end), l.conditional));
        // By name, not number: an account listing one ARN twice still links it once.
        let names = &self.names;
        links.dedup_by(|a, b| names.get(a.end) == names.get(b.end));
        let mut groups: BTreeMap<(&'static str, bool), Vec<u32>> = BTreeMap::new();
        for l in &links {
            // In ARN order, so every list comes out sorted.
            groups
                .entry((l.method, l.conditional))
                .or_default()
                .push(u32::try_from(l.end).unwrap_or(u32::MAX));
        }
        groups
            .into_iter()
            .map(|((method, conditional), ends)| LinkGroup {
                method: method.to_string(),
                conditional,
                count: ends.len(),
                set: self.intern(ends),
            })
            .collect()
    }

    fn intern(&mut self, ends: Vec<u32>) -> usize {
        if let Some(&id) = self.index.get(ends.as_slice()) {
            return id;
        }
        let id = self.sets.len();
        self.sets.push(ends.clone());
        self.index.insert(ends, id);
        id
    }

    /// The table of the report: each set's names.
    pub fn into_table(self) -> Vec<Vec<String>> {
        let names = self.names;
        self.sets
            .into_iter()
            .map(|set| {
                set.into_iter()
                    .filter_map(|e| names.get(e as usize).cloned())
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(end: usize, method: &'static str, conditional: bool) -> RawLink {
        RawLink {
            end,
            method,
            conditional,
        }
    }

    #[test]
    fn groups_dedup_by_endpoint_and_share_equal_lists() {
        let arns = ["arn:c", "arn:a", "arn:b"].map(String::from).to_vec();
        let mut s = LinkSets::new(arns, &["lambda.amazonaws.com"]);
        let g = s.group(vec![
            link(0, "sts-001", true),
            link(0, "iam-002", false),
            link(2, "sts-001", true),
            link(1, "sts-001", true),
            link(3, "lambda-001", false),
        ]);
        assert_eq!(
            g.iter()
                .map(|g| (g.method.as_str(), g.conditional, g.count))
                .collect::<Vec<_>>(),
            [
                ("iam-002", false, 1),
                ("lambda-001", false, 1),
                ("sts-001", true, 2)
            ]
        );
        let again = s.group(vec![link(2, "sts-001", true), link(1, "sts-001", true)]);
        assert_eq!(again[0].set, g[2].set, "equal lists are stored once");
        let table = s.into_table();
        assert_eq!(table.len(), 3);
        assert_eq!(table[g[2].set], ["arn:a", "arn:b"]);
        assert_eq!(table[g[1].set], ["service:lambda.amazonaws.com"]);
    }
}

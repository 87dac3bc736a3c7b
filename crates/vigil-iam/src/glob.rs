//! IAM wildcard matching: `*` matches any run of characters (including none, and including `:`
//! and `/`), `?` matches exactly one. Actions compare case-insensitively, ARNs case-sensitively.
//!
//! Patterns are compiled once when a policy is loaded; the common shapes (`*`, `iam:Get*`,
//! an exact name) take a fast path because the evaluator runs them millions of times when it
//! expands a principal over the whole action catalogue.

/// A compiled wildcard pattern. Action patterns are stored lower-cased and must be matched
/// against lower-cased text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// `*`: everything.
    Any,
    /// No wildcard at all.
    Exact(String),
    /// `prefix*` with no other wildcard.
    Prefix(String),
    /// Anything else.
    General(String),
    /// Many exact names at once (long action lists of managed policies), looked up by hash.
    AnyOf(std::sync::Arc<NameSet>),
}

/// A set of exact lower-cased names and the `service:` prefixes they start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSet {
    pub names: std::collections::HashSet<String>,
    pub services: std::collections::HashSet<String>,
}

impl NameSet {
    fn new(names: std::collections::HashSet<String>) -> NameSet {
        let services = names
            .iter()
            .filter_map(|n| n.split_once(':').map(|(s, _)| format!("{s}:")))
            .collect();
        NameSet { names, services }
    }
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        if pattern == "*" {
            return Glob::Any;
        }
        let wild = |c: char| c == '*' || c == '?';
        match pattern.find(wild) {
            None => Glob::Exact(pattern.to_string()),
            Some(i) if i + 1 == pattern.len() && pattern.ends_with('*') => {
                Glob::Prefix(pattern[..i].to_string())
            }
            Some(_) => Glob::General(pattern.to_string()),
        }
    }

    /// A pattern over actions: lower-cased so matching is case-insensitive.
    pub fn action(pattern: &str) -> Glob {
        Glob::new(&pattern.to_ascii_lowercase())
    }

    pub fn matches(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(p) => p == text,
            Glob::Prefix(p) => text.starts_with(p.as_str()),
            Glob::General(p) => wildcard_match(p.as_bytes(), text.as_bytes()),
            Glob::AnyOf(set) => set.names.contains(text),
        }
    }

    /// Compiles a list of action patterns, folding long runs of exact names into one set.
    pub fn actions(patterns: &[String]) -> Vec<Glob> {
        let globs: Vec<Glob> = patterns.iter().map(|p| Glob::action(p)).collect();
        let exact = globs.iter().filter(|g| matches!(g, Glob::Exact(_))).count();
        if exact <= 8 {
            return globs;
        }
        let mut set = std::collections::HashSet::new();
        let mut out = Vec::new();
        for g in globs {
            match g {
                Glob::Exact(s) => {
                    set.insert(s);
                }
                other => out.push(other),
            }
        }
        out.push(Glob::AnyOf(std::sync::Arc::new(NameSet::new(set))));
        out
    }

    /// This pattern restricted to names starting with `prefix`; `None` when it cannot match
    /// any of them.
    pub fn restricted(&self, prefix: &str) -> Option<Glob> {
        match self {
            Glob::AnyOf(set) => {
                if !set.services.contains(prefix) {
                    return None;
                }
                let sub: std::collections::HashSet<String> = set
                    .names
                    .iter()
                    .filter(|s| s.starts_with(prefix))
                    .cloned()
                    .collect();
                (!sub.is_empty()).then(|| Glob::AnyOf(std::sync::Arc::new(NameSet::new(sub))))
            }
            g => g.may_match_prefix(prefix).then(|| g.clone()),
        }
    }

    /// The pattern text as written (lower-cased for action patterns).
    pub fn as_str(&self) -> &str {
        match self {
            Glob::Any => "*",
            Glob::Exact(p) | Glob::Prefix(p) | Glob::General(p) => p,
            Glob::AnyOf(_) => "",
        }
    }

    /// True when the pattern can match text that starts with `prefix` (used to skip
    /// statements that cannot touch a service at all).
    pub fn may_match_prefix(&self, prefix: &str) -> bool {
        let lit: &str = match self {
            Glob::Any => return true,
            Glob::Exact(p) | Glob::Prefix(p) | Glob::General(p) => p,
            Glob::AnyOf(set) => {
                return set.services.contains(prefix)
                    || set.names.iter().any(|s| s.starts_with(prefix));
            }
        };
        let head: &str = lit.split(['*', '?']).next().unwrap_or("");
        if head.len() >= prefix.len() {
            head.starts_with(prefix)
        } else {
            prefix.starts_with(head)
        }
    }

    pub fn has_wildcard(&self) -> bool {
        !matches!(self, Glob::Exact(_))
    }
}

/// Iterative wildcard match with single-star backtracking: linear in practice, no recursion,
/// so a hostile pattern cannot blow the stack.
pub fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some(p);
                p += 1;
                mark = t;
            }
            Some(&c) if c == b'?' || text.get(t) == Some(&c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    while pattern.get(p) == Some(&b'*') {
        p += 1;
    }
    p == pattern.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_matching() {
        assert_eq!(Glob::new("*"), Glob::Any);
        assert!(matches!(Glob::new("iam:get*"), Glob::Prefix(_)));
        assert!(Glob::action("IAM:Get*").matches("iam:getuser"));
        assert!(!Glob::action("iam:Get*").matches("iam:listusers"));
        assert!(Glob::new("arn:aws:s3:::b/*/x?").matches("arn:aws:s3:::b/a/b/xy"));
        assert!(!Glob::new("arn:aws:s3:::b/*/x?").matches("arn:aws:s3:::b/a/b/x"));
        assert!(wildcard_match(b"a*b*c", b"aXXbYYc"));
        assert!(!wildcard_match(b"a*b*c", b"aXXbYY"));
        assert!(wildcard_match(b"**", b""));
    }

    #[test]
    fn prefix_pruning() {
        assert!(Glob::action("iam:*").may_match_prefix("iam:"));
        assert!(!Glob::action("s3:*").may_match_prefix("iam:"));
        assert!(Glob::action("i*").may_match_prefix("iam:"));
        assert!(Glob::action("*:get*").may_match_prefix("iam:"));
    }
}

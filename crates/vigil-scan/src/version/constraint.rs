//! Version constraints as advisory databases write them: comparators joined by `,` (and),
//! alternatives joined by `||` (or); a bare version means equality.

use super::{Scheme, compare};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// One alternative: every comparator must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    all: Vec<(Op, String)>,
}

impl Constraint {
    /// Parses one alternative (`>= 2.1.3, < 3.0.0`). Returns `None` when empty.
    pub fn parse(text: &str) -> Option<Constraint> {
        let mut all = Vec::new();
        // Comparators are separated by commas, or by spaces before an operator.
        let mut pieces: Vec<String> = Vec::new();
        for chunk in text.split(',') {
            let mut cur = String::new();
            let mut tokens = chunk.split_whitespace().peekable();
            while let Some(t) = tokens.next() {
                cur.push_str(t);
                let next_is_op = tokens
                    .peek()
                    .is_some_and(|n| n.starts_with(['<', '>', '=', '!']));
                let cur_is_bare_op =
                    matches!(cur.as_str(), "<" | "<=" | ">" | ">=" | "=" | "==" | "!=");
                if next_is_op && !cur_is_bare_op {
                    pieces.push(std::mem::take(&mut cur));
                }
            }
            if !cur.is_empty() {
                pieces.push(cur);
            }
        }
        for p in pieces {
            let p = p.trim();
            let (op, v) = if let Some(v) = p.strip_prefix("<=") {
                (Op::Le, v)
            } else if let Some(v) = p.strip_prefix(">=") {
                (Op::Ge, v)
            } else if let Some(v) = p.strip_prefix("!=") {
                (Op::Ne, v)
            } else if let Some(v) = p.strip_prefix("==") {
                (Op::Eq, v)
            } else if let Some(v) = p.strip_prefix('<') {
                (Op::Lt, v)
            } else if let Some(v) = p.strip_prefix('>') {
                (Op::Gt, v)
            } else if let Some(v) = p.strip_prefix('=') {
                (Op::Eq, v)
            } else {
                (Op::Eq, p)
            };
            let v = v.trim();
            if !v.is_empty() {
                all.push((op, v.to_string()));
            }
        }
        (!all.is_empty()).then_some(Constraint { all })
    }

    /// True when `version` meets every comparator; `None` when a version does not parse.
    pub fn matches(&self, scheme: Scheme, version: &str) -> Option<bool> {
        for (op, v) in &self.all {
            let o = compare(scheme, version, v)?;
            let ok = match op {
                Op::Lt => o == Ordering::Less,
                Op::Le => o != Ordering::Greater,
                Op::Gt => o == Ordering::Greater,
                Op::Ge => o != Ordering::Less,
                Op::Eq => o == Ordering::Equal,
                Op::Ne => o != Ordering::Equal,
            };
            if !ok {
                return Some(false);
            }
        }
        Some(true)
    }
}

/// True when `version` meets any of the constraint strings (each may hold `||`).
pub fn satisfies_any(scheme: Scheme, version: &str, constraints: &[String]) -> Option<bool> {
    let mut any_parsed = false;
    for text in constraints {
        for alt in text.split("||") {
            let Some(c) = Constraint::parse(alt) else {
                continue;
            };
            any_parsed = true;
            if c.matches(scheme, version)? {
                return Some(true);
            }
        }
    }
    any_parsed.then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints() {
        let s = |c: &str, v: &str| satisfies_any(Scheme::Semver, v, &[c.to_string()]).unwrap();
        assert!(s("< 3.0.0", "2.9.9"));
        assert!(!s(">= 2.1.3, < 3.0.0", "3.0.0"));
        assert!(s(">= 2.1.3, < 3.0.0", "2.1.3"));
        assert!(s(">=2.1.3 <3.0.0", "2.5.0"));
        assert!(s("0.15.3", "0.15.3"));
        assert!(s("< 1.0.0 || >= 2.0.0", "2.1.0"));
        assert!(satisfies_any(Scheme::Go, "v2.7.1+incompatible", &["< v2.8.0".into()]).unwrap());
    }
}

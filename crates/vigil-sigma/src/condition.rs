//! The `condition` expression: `and`, `or`, `not`, parentheses, selection names, and the
//! quantifiers `1 of NAME*`, `all of NAME*`, `1 of them`, `all of them`. Precedence is Sigma's:
//! `not` binds tightest, then `and`, then `or`. Nesting is capped so hostile input cannot
//! exhaust the stack.

/// A parsed condition, still naming selections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Ident(String),
    /// `1 of X` (`any of X`): `X` is a name with optional `*`, or `them`.
    OneOf(String),
    AllOf(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
}

const MAX_DEPTH: usize = 64;
const MAX_LEN: usize = 64 * 1024;

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    if s.len() > MAX_LEN {
        return Err(format!("condition is longer than {MAX_LEN} bytes"));
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' => {
                if !cur.is_empty() {
                    out.push(Tok::Word(std::mem::take(&mut cur)));
                }
                out.push(if c == '(' { Tok::LParen } else { Tok::RParen });
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(Tok::Word(std::mem::take(&mut cur)));
                }
            }
            '|' => return Err("aggregations (`| count() ...`) are not supported".into()),
            c if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.') => cur.push(c),
            c => return Err(format!("unexpected character `{c}` in condition")),
        }
    }
    if !cur.is_empty() {
        out.push(Tok::Word(cur));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("condition nests deeper than {MAX_DEPTH}"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Cond, String> {
        self.enter()?;
        let mut parts = vec![self.and()?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.not()?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        if is_kw(self.peek(), "not") {
            self.pos += 1;
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, String> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err("missing `)`".into());
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::RParen) => Err("unexpected `)`".into()),
            Some(Tok::Word(w)) => {
                let lw = w.to_ascii_lowercase();
                if matches!(lw.as_str(), "and" | "or" | "of" | "them") {
                    return Err(format!("unexpected `{w}`"));
                }
                if is_kw(self.toks.get(self.pos + 1), "of") {
                    let all = match lw.as_str() {
                        "1" | "any" => false,
                        "all" => true,
                        _ => {
                            return Err(format!(
                                "`{w} of` is not supported (only `1 of`, `all of`)"
                            ));
                        }
                    };
                    let target = match self.toks.get(self.pos + 2) {
                        Some(Tok::Word(t))
                            if !matches!(t.to_ascii_lowercase().as_str(), "and" | "or" | "not") =>
                        {
                            t.clone()
                        }
                        _ => return Err(format!("`{w} of` needs a name pattern or `them`")),
                    };
                    self.pos += 3;
                    let target = if target.eq_ignore_ascii_case("them") {
                        "them".to_string()
                    } else {
                        target
                    };
                    return Ok(if all {
                        Cond::AllOf(target)
                    } else {
                        Cond::OneOf(target)
                    });
                }
                self.pos += 1;
                Ok(Cond::Ident(w))
            }
            None => Err("condition ends too early".into()),
        }
    }
}

/// Parses a condition expression.
pub(crate) fn parse(s: &str) -> Result<Cond, String> {
    let toks = tokenize(s)?;
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    if let Some(t) = p.peek() {
        return Err(format!("unexpected {t:?} after a complete condition"));
    }
    Ok(e)
}

/// Does a selection name match a quantifier pattern (`selection_*`, `them`)?
pub(crate) fn name_matches(pattern: &str, name: &str) -> bool {
    if pattern == "them" {
        return !name.starts_with('_');
    }
    // Only `*` is special in quantifier patterns.
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Cond {
        Cond::Ident(s.into())
    }

    #[test]
    fn precedence_is_not_and_or() {
        assert_eq!(
            parse("a or b and not c").unwrap(),
            Cond::Or(vec![
                id("a"),
                Cond::And(vec![id("b"), Cond::Not(Box::new(id("c")))])
            ])
        );
        assert_eq!(
            parse("(a or b) and 1 of filter_* and not all of them").unwrap(),
            Cond::And(vec![
                Cond::Or(vec![id("a"), id("b")]),
                Cond::OneOf("filter_*".into()),
                Cond::Not(Box::new(Cond::AllOf("them".into())))
            ])
        );
    }

    #[test]
    fn bad_conditions_are_errors() {
        for bad in [
            "",
            "a and",
            "(a",
            "a)",
            "selection | count() > 5",
            "2 of x*",
            "1 of",
            "a b",
            "and",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}a{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep).is_err());
        let nots = format!("{}a", "not ".repeat(500));
        assert!(parse(&nots).is_err());
    }

    #[test]
    fn quantifier_patterns() {
        assert!(name_matches("selection_*", "selection_a"));
        assert!(!name_matches("selection_*", "filter_a"));
        assert!(name_matches("filter*", "filter"));
        assert!(name_matches("them", "sel"));
        assert!(!name_matches("them", "_hidden"));
        assert!(name_matches("a*b*c", "axxbyyc"));
        assert!(!name_matches("a*b*c", "axxbyy"));
    }
}

#[cfg(test)]
mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(800))]

        /// Whatever the text, parsing returns (never panics, never overflows the stack).
        #[test]
        fn never_panics(s in "(\\(|\\)| |and|or|not|1 of|all of|them|sel_\\*|sel|x|\\||[a-z*]){0,60}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_any_text(s in "\\PC{0,80}") {
            let _ = parse(&s);
        }
    }
}

//! `|re` values: a regex plus, when every match must contain some literal text, a substring
//! search for that text that runs first.
//!
//! Why: Sigma regexes often start with `.+` or `.*` (`.+:assumed-role/aws:.+` in SigmaHQ's
//! IMDS rule). The `regex` crate cannot use a prefix prefilter for those, so `is_match` ran its
//! lazy DFA over every ARN of every event: 720 instructions an event in a 20k-event hunt. The
//! literal, searched with `memchr::memmem`, rejects almost all of them first.

use memchr::memmem::Finder;
use regex::Regex;
use regex_syntax::hir::{Hir, HirKind};

/// The flags a Sigma `|re` value compiles with (`|re|i`, `|re|m`, `|re|s`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReFlags {
    pub case_insensitive: bool,
    pub multi_line: bool,
    pub dot_matches_new_line: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct SigmaRegex {
    re: Regex,
    /// Text every match contains (case-sensitive, as the regex is without `i`).
    needle: Option<Finder<'static>>,
}

impl SigmaRegex {
    pub fn new(text: &str, flags: ReFlags, size_limit: usize) -> Result<SigmaRegex, regex::Error> {
        let re = regex::RegexBuilder::new(text)
            .size_limit(size_limit)
            .case_insensitive(flags.case_insensitive)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_matches_new_line)
            .build()?;
        let needle = regex_syntax::ParserBuilder::new()
            .case_insensitive(flags.case_insensitive)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_matches_new_line)
            .build()
            .parse(text)
            .ok()
            .and_then(|hir| required_literal(&hir))
            .map(|lit| Finder::new(&lit).into_owned());
        Ok(SigmaRegex { re, needle })
    }

    pub fn is_match(&self, s: &str) -> bool {
        if let Some(n) = &self.needle
            && n.find(s.as_bytes()).is_none()
        {
            return false;
        }
        self.re.is_match(s)
    }

    /// The literal every match contains, if one could be proved (case-sensitive).
    pub fn needle(&self) -> Option<&[u8]> {
        self.needle.as_ref().map(Finder::needle)
    }
}

/// The longest literal that every string matching `hir` contains; `None` when there is none
/// that can be proved (alternations, classes, optional parts, case-insensitive letters).
fn required_literal(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(l) => Some(l.0.to_vec()),
        HirKind::Capture(c) => required_literal(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literal(&r.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required_literal)
            .max_by_key(Vec::len),
        _ => None,
    }
    .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn re(text: &str, i: bool) -> SigmaRegex {
        let flags = ReFlags {
            case_insensitive: i,
            ..ReFlags::default()
        };
        SigmaRegex::new(text, flags, 1 << 20).expect("valid regex")
    }

    #[test]
    fn the_literals_it_can_prove() {
        assert_eq!(
            re(".+:assumed-role/aws:.+", false).needle(),
            Some(&b":assumed-role/aws:"[..])
        );
        assert_eq!(re("/i-[0-9a-f]{8,17}$", false).needle(), Some(&b"/i-"[..]));
        assert_eq!(re("(ab)+c", false).needle(), Some(&b"ab"[..]));
        // An optional part proves nothing; what follows it still does.
        assert_eq!(re("(abc)?d", false).needle(), Some(&b"d"[..]));
        // Nothing provable: alternatives, a possibly empty repetition, folded case.
        assert_eq!(re("abc|def", false).needle(), None);
        assert_eq!(re("x*", false).needle(), None);
        assert_eq!(re("secret", true).needle(), None);
    }

    #[test]
    fn matches_as_the_regex_does() {
        let r = re(".+:assumed-role/aws:.+", false);
        assert!(r.is_match("arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"));
        assert!(!r.is_match("arn:aws:sts::1:assumed-role/Admin/bob"));
        assert!(!r.is_match(":assumed-role/aws:"));
    }

    proptest! {
        /// Differential: the prefiltered regex answers exactly as the bare regex does.
        #[test]
        fn same_answers_as_the_bare_regex(
            pattern in "(\\.\\*|\\.\\+|a|b|ab|ba|\\(ab\\)\\+|\\(a\\|b\\)|\\[ab\\]|b\\?|\\^|\\$){1,6}",
            hay in "[abc]{0,12}",
            i in any::<bool>(),
        ) {
            let ours = re(&pattern, i);
            let bare = regex::RegexBuilder::new(&pattern).case_insensitive(i).build().expect("valid");
            prop_assert_eq!(ours.is_match(&hay), bare.is_match(&hay));
            prop_assert_eq!(ours.is_match(&hay.to_uppercase()), bare.is_match(&hay.to_uppercase()));
        }
    }
}

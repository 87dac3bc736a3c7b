//! String patterns: a Sigma value (with `*`/`?` wildcards and `\` escapes) after its modifiers,
//! reduced to the cheapest test that decides it — equality, prefix, suffix, substring, a
//! general glob, a regex, a CIDR range or a numeric comparison. Matching never allocates.
//!
//! Case: Sigma compares strings case-insensitively unless `|cased`; like SQLite's `NOCASE`
//! (and pySigma's SQLite backend), folding is ASCII-only. Regexes are case-sensitive unless
//! `|re|i`, as in Sigma.

use std::net::IpAddr;

/// One piece of a Sigma string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Splits a Sigma string into literals and wildcards. `\*`, `\?` and `\\` are escapes; a
/// backslash before anything else is a literal backslash (so Windows paths need no doubling).
pub(crate) fn parse_sigma_string(s: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                let p = if c == '*' { Piece::Star } else { Piece::One };
                // `**` is `*`.
                if !(p == Piece::Star && out.last() == Some(&Piece::Star)) {
                    out.push(p);
                }
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

/// The literal text of pieces that hold no wildcard.
pub(crate) fn plain_text(pieces: &[Piece]) -> Option<String> {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Lit(l) => s.push_str(l),
            _ => return None,
        }
    }
    Some(s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A compiled string test.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    Exact(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    /// `*` alone: any value, including the empty string.
    Any,
    Glob(Box<[GTok]>),
    Regex(Box<crate::sigma_regex::SigmaRegex>),
    /// `|cidr`: in any of these ranges (one per value; a field's list is merged into one
    /// test by the optimiser, so the address is parsed once).
    Cidr(Box<[Cidr]>),
    Cmp(CmpOp, f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GTok {
    Char(char),
    One,
    Star,
}

/// A compiled pattern plus whether it compares case-sensitively.
#[derive(Debug, Clone)]
pub(crate) struct StrMatcher {
    pub pattern: Pattern,
    pub cased: bool,
}

impl StrMatcher {
    /// The cheapest pattern for a Sigma string.
    pub fn from_pieces(pieces: &[Piece], cased: bool) -> StrMatcher {
        let fold = |s: &str| -> Box<str> {
            if cased {
                s.into()
            } else {
                s.to_ascii_lowercase().into()
            }
        };
        let pattern =
            match pieces {
                [] => Pattern::Exact("".into()),
                [Piece::Star] => Pattern::Any,
                [Piece::Lit(l)] => Pattern::Exact(fold(l)),
                [Piece::Lit(l), Piece::Star] => Pattern::Prefix(fold(l)),
                [Piece::Star, Piece::Lit(l)] => Pattern::Suffix(fold(l)),
                [Piece::Star, Piece::Lit(l), Piece::Star] => Pattern::Contains(fold(l)),
                _ => {
                    let mut toks = Vec::new();
                    for p in pieces {
                        match p {
                            Piece::Lit(l) => toks.extend(l.chars().map(|c| {
                                GTok::Char(if cased { c } else { c.to_ascii_lowercase() })
                            })),
                            Piece::Star => toks.push(GTok::Star),
                            Piece::One => toks.push(GTok::One),
                        }
                    }
                    Pattern::Glob(toks.into())
                }
            };
        StrMatcher { pattern, cased }
    }

    pub fn new(pattern: Pattern, cased: bool) -> StrMatcher {
        StrMatcher { pattern, cased }
    }

    /// Does `s` satisfy the pattern?
    pub fn is_match(&self, s: &str) -> bool {
        let c = self.cased;
        match &self.pattern {
            Pattern::Exact(p) => eq(s, p, c),
            Pattern::Prefix(p) => s.get(..p.len()).is_some_and(|h| eq(h, p, c)),
            Pattern::Suffix(p) => s
                .len()
                .checked_sub(p.len())
                .and_then(|i| s.get(i..))
                .is_some_and(|h| eq(h, p, c)),
            Pattern::Contains(p) => contains(s, p, c),
            Pattern::Any => true,
            Pattern::Glob(t) => glob_match(t, s, c),
            Pattern::Regex(r) => r.is_match(s),
            Pattern::Cidr(ranges) => s
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| ranges.iter().any(|n| n.contains(ip))),
            Pattern::Cmp(op, v) => s.trim().parse::<f64>().is_ok_and(|x| match op {
                CmpOp::Gt => x > *v,
                CmpOp::Gte => x >= *v,
                CmpOp::Lt => x < *v,
                CmpOp::Lte => x <= *v,
            }),
        }
    }

    /// Relative cost of one test, for ordering conditions cheapest first.
    pub fn cost(&self) -> u32 {
        match &self.pattern {
            Pattern::Any => 0,
            Pattern::Exact(_) => 1,
            Pattern::Prefix(_) | Pattern::Suffix(_) => 2,
            Pattern::Contains(_) | Pattern::Cmp(..) => 4,
            Pattern::Glob(_) | Pattern::Cidr(_) => 8,
            Pattern::Regex(_) => 25,
        }
    }

    /// The longest literal every matching value must contain (ASCII-lowercased), if any.
    pub fn required_literal(&self) -> Option<String> {
        let lit: String = match &self.pattern {
            Pattern::Exact(p) | Pattern::Prefix(p) | Pattern::Suffix(p) | Pattern::Contains(p) => {
                p.to_string()
            }
            Pattern::Glob(toks) => {
                let mut best = String::new();
                let mut cur = String::new();
                for t in toks.iter() {
                    if let GTok::Char(c) = t {
                        cur.push(*c);
                    } else {
                        if cur.len() > best.len() {
                            best = std::mem::take(&mut cur);
                        }
                        cur.clear();
                    }
                }
                if cur.len() > best.len() {
                    best = cur;
                }
                best
            }
            Pattern::Regex(r) => std::str::from_utf8(r.needle()?).ok()?.to_string(),
            _ => return None,
        };
        (!lit.is_empty()).then(|| lit.to_ascii_lowercase())
    }

    /// The needle of a case-insensitive `*x*` pattern, when that is what this is.
    pub fn contains_needle(&self) -> Option<&str> {
        match &self.pattern {
            Pattern::Contains(n) if !self.cased && !n.is_empty() => Some(n),
            _ => None,
        }
    }

    /// The literal a matching value must equal (case-folded unless cased), when the pattern is
    /// a plain equality: what the index keys rules on.
    pub fn exact_literal(&self) -> Option<&str> {
        match &self.pattern {
            Pattern::Exact(p) => Some(p),
            _ => None,
        }
    }

    /// For an index on a path's last component: the basename every match must have, when the
    /// pattern pins it (`*/bash`, `/usr/bin/bash`).
    pub fn basename_literal(&self) -> Option<&str> {
        let tail = match &self.pattern {
            Pattern::Exact(p) => p.rsplit('/').next(),
            Pattern::Suffix(p) if p.contains('/') => p.rsplit('/').next(),
            _ => None,
        }?;
        (!tail.is_empty()).then_some(tail)
    }
}

/// `h` against a pattern's literal `p` (folded when `!cased`, as [`StrMatcher::from_pieces`]
/// makes it).
fn eq(h: &str, p: &str, cased: bool) -> bool {
    if cased {
        h == p
    } else {
        crate::fold::folded_eq(h.as_bytes(), p.as_bytes())
    }
}

/// Substring search; `needle` is already folded when `!cased`.
///
/// Case-insensitive: candidates come from a SIMD byte search (the `memchr` crate) for one
/// byte of the needle, then the window around each is compared folded. The byte is the
/// needle's first that is not an ASCII letter when it has one (`/`, `-`, `.`: one byte value
/// to look for, and rarer in the text than letters), else its first letter in both cases.
/// A byte-at-a-time scan for the first letter cost the `userAgent|contains` and
/// `userIdentity.arn|contains` rules most of their time.
fn contains(hay: &str, needle: &str, cased: bool) -> bool {
    if cased {
        return memchr::memmem::find(hay.as_bytes(), needle.as_bytes()).is_some();
    }
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    let (at, lo, up) = match n.iter().position(|b| !b.is_ascii_alphabetic()) {
        Some(at) => (at, n[at], n[at]),
        None => (0, n[0].to_ascii_lowercase(), n[0].to_ascii_uppercase()),
    };
    // Where the anchor byte may sit for the needle to fit around it.
    let window = &h[at..h.len() - n.len() + at + 1];
    let verify = |pos: usize| crate::fold::folded_eq(&h[pos - at..pos - at + n.len()], n);
    if lo == up {
        memchr::memchr_iter(lo, window).any(|i| verify(i + at))
    } else {
        memchr::memchr2_iter(lo, up, window).any(|i| verify(i + at))
    }
}

/// Wildcard match over characters: iterative, backtracking only to the last `*`, so it runs
/// in O(len(s) × len(tokens)) at worst and never recurses.
fn glob_match(toks: &[GTok], s: &str, cased: bool) -> bool {
    let chars_eq = |a: char, b: char| {
        if cased {
            a == b
        } else {
            a.to_ascii_lowercase() == b
        }
    };
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        let c = s[si..].chars().next();
        match (toks.get(ti), c) {
            (Some(GTok::Star), _) => {
                star = Some((ti, si));
                ti += 1;
                continue;
            }
            (Some(GTok::One), Some(ch)) => {
                ti += 1;
                si += ch.len_utf8();
                continue;
            }
            (Some(GTok::Char(p)), Some(ch)) if chars_eq(ch, *p) => {
                ti += 1;
                si += ch.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Mismatch: let the last star swallow one more character.
        match star {
            Some((st, ss)) => match s[ss..].chars().next() {
                Some(ch) => {
                    let ns = ss + ch.len_utf8();
                    star = Some((st, ns));
                    ti = st + 1;
                    si = ns;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

/// An IP range from `|cidr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cidr {
    V4(u32, u32),
    V6(u128, u128),
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, len) = match s.trim().split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u32>().ok()?)),
            None => (s.trim(), None),
        };
        match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => {
                let len = len.unwrap_or(32);
                if len > 32 {
                    return None;
                }
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                Some(Cidr::V4(u32::from(a) & mask, mask))
            }
            IpAddr::V6(a) => {
                let len = len.unwrap_or(128);
                if len > 128 {
                    return None;
                }
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                Some(Cidr::V6(u128::from(a) & mask, mask))
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Cidr::V4(net, mask), IpAddr::V4(a)) => u32::from(a) & mask == *net,
            (Cidr::V6(net, mask), IpAddr::V6(a)) => u128::from(a) & mask == *net,
            _ => false,
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three encodings a value can take inside a longer base64 text, depending on its offset
/// (Sigma's `base64offset`): encode with 0–2 bytes of lead-in, then drop the characters that
/// depend on the unknown neighbours.
pub(crate) fn base64_offsets(value: &[u8]) -> [String; 3] {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let mut out: [String; 3] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        let mut buf = vec![b' '; i];
        buf.extend_from_slice(value);
        let enc = base64(&buf);
        let end = enc.len().saturating_sub(END_TRIM[(value.len() + i) % 3]);
        *slot = enc.get(START[i]..end).unwrap_or_default().to_string();
    }
    out
}

/// `|windash`: every `-` or `/` that starts a word may also be written with the other, or
/// with an en dash, em dash or horizontal bar. Capped so a hostile value cannot explode.
pub(crate) fn windash_variants(s: &str) -> Vec<String> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    const CAP: usize = 256;
    let mut out = vec![String::new()];
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let word_start = prev.is_none_or(char::is_whitespace);
        if (c == '-' || c == '/') && word_start && out.len() * DASHES.len() <= CAP {
            out = out
                .into_iter()
                .flat_map(|p| {
                    DASHES.iter().map(move |d| {
                        let mut q = p.clone();
                        q.push(*d);
                        q
                    })
                })
                .collect();
        } else {
            for p in &mut out {
                p.push(c);
            }
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> StrMatcher {
        StrMatcher::from_pieces(&parse_sigma_string(s), false)
    }

    #[test]
    fn shapes_reduce_to_cheap_tests() {
        assert!(matches!(m("abc").pattern, Pattern::Exact(_)));
        assert!(matches!(m("abc*").pattern, Pattern::Prefix(_)));
        assert!(matches!(m("*abc").pattern, Pattern::Suffix(_)));
        assert!(matches!(m("*abc*").pattern, Pattern::Contains(_)));
        assert!(matches!(m("a*c").pattern, Pattern::Glob(_)));
        assert!(matches!(m("**").pattern, Pattern::Any));
    }

    #[test]
    fn matching_is_case_insensitive_by_default() {
        assert!(m("StopLogging").is_match("stoplogging"));
        assert!(m("*LOGGING").is_match("StopLogging"));
        assert!(m("a?c*").is_match("ABCdef"));
        assert!(!m("a?c").is_match("ac"));
        assert!(m("*\\*").is_match("x*"));
        assert!(!m("*\\*").is_match("xy"));
        assert!(m("C:\\Windows\\x*").is_match("c:\\windows\\xy"));
        // `\*` escapes the star, as pySigma reads it.
        assert!(!m("C:\\Windows\\*").is_match("c:\\windows\\x"));
        let cased = StrMatcher::from_pieces(&parse_sigma_string("Abc"), true);
        assert!(!cased.is_match("abc"));
    }

    #[test]
    fn cidr_and_numbers() {
        let c = StrMatcher::new(
            Pattern::Cidr([Cidr::parse("10.0.0.0/8").unwrap()].into()),
            false,
        );
        assert!(c.is_match("10.1.2.3"));
        assert!(!c.is_match("11.1.2.3"));
        assert!(!c.is_match("ec2.amazonaws.com"));
        let g = StrMatcher::new(Pattern::Cmp(CmpOp::Gt, 5.0), false);
        assert!(g.is_match("6"));
        assert!(!g.is_match("5"));
    }

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        // pySigma's documented offsets for "/bin/bash"
        let [a, b, c] = base64_offsets(b"/bin/bash");
        assert_eq!(a, "L2Jpbi9iYXNo");
        assert_eq!(b, "9iaW4vYmFza");
        assert_eq!(c, "vYmluL2Jhc2");
        assert_eq!(windash_variants("-a -b").len(), 25);
    }
}

#[cfg(test)]
mod prop {
    //! The matcher against a plain reference: each Sigma string turned into an anchored regex.
    use super::*;
    use proptest::prelude::*;

    fn reference(pattern: &str, hay: &str, cased: bool) -> bool {
        let mut re = String::from(if cased { "(?s)^" } else { "(?si)^" });
        for p in parse_sigma_string(pattern) {
            match p {
                Piece::Lit(l) => re.push_str(&regex::escape(&l)),
                Piece::Star => re.push_str(".*"),
                Piece::One => re.push('.'),
            }
        }
        re.push('$');
        regex::Regex::new(&re).is_ok_and(|r| r.is_match(hay))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn wildcards_agree_with_the_reference(
            pattern in "[abA*?\\\\é]{0,8}",
            hay in "[abAB*?\\\\é]{0,10}",
            cased in any::<bool>(),
        ) {
            let m = StrMatcher::from_pieces(&parse_sigma_string(&pattern), cased);
            prop_assert_eq!(m.is_match(&hay), reference(&pattern, &hay, cased), "{} ~ {}", pattern, hay);
        }

        #[test]
        fn contains_startswith_endswith_agree(
            needle in "[abA?/-]{0,4}",
            hay in "[abAB/-]{0,10}",
        ) {
            let c = StrMatcher::from_pieces(&parse_sigma_string(&format!("*{needle}*")), false);
            prop_assert_eq!(c.is_match(&hay), reference(&format!("*{needle}*"), &hay, false));
            let s = StrMatcher::from_pieces(&parse_sigma_string(&format!("{needle}*")), false);
            prop_assert_eq!(s.is_match(&hay), reference(&format!("{needle}*"), &hay, false));
            let e = StrMatcher::from_pieces(&parse_sigma_string(&format!("*{needle}")), false);
            prop_assert_eq!(e.is_match(&hay), reference(&format!("*{needle}"), &hay, false));
        }

        #[test]
        fn cidr_agrees_with_integer_arithmetic(a in any::<u32>(), len in 0u32..=32, b in any::<u32>()) {
            let net = std::net::Ipv4Addr::from(a);
            let c = Cidr::parse(&format!("{net}/{len}")).unwrap();
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let ip = std::net::Ipv4Addr::from(b);
            prop_assert_eq!(c.contains(ip.into()), (a & mask) == (b & mask));
        }
    }
}

//! Where a rule's regex runs. gitleaks runs a rule over the whole file once one of its keywords
//! occurs anywhere in it; most of that work is wasted, since a rule's keyword sits inside its
//! match. Vigil runs the regex only over the lines around each keyword hit: the hit's line
//! plus as many following lines as the regex can span (its newline reach). A regex of unbounded
//! reach (`[\s\S]{64,}?` in a private key block) gets a wide byte window both ways instead.
//! Keyword-less rules run around the ends of their matches, which the prefilter reports.

/// How far an unbounded rule may reach from its keyword, both ways.
const UNBOUNDED_BYTES: usize = 64 << 10;
/// More lines than this are not followed after a hit, whatever the rule allows.
const MAX_LINES: u32 = 1;

/// Start of the line holding byte `at`.
fn line_start(text: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', text.get(..at).unwrap_or_default()).map_or(0, |i| i + 1)
}

/// The end (past the newline) of the line `extra` lines after the one holding byte `at`.
fn line_end(text: &[u8], at: usize, extra: u32) -> usize {
    let mut pos = at;
    for _ in 0..=extra {
        match memchr::memchr(b'\n', text.get(pos..).unwrap_or_default()) {
            Some(i) => pos += i + 1,
            None => return text.len(),
        }
    }
    pos
}

/// The span a keyword hit at `start..end` opens for a rule of newline reach `reach`.
pub fn around(text: &[u8], start: usize, end: usize, reach: Option<u32>) -> (usize, usize) {
    match reach {
        Some(n) => (
            line_start(text, start),
            line_end(text, end.saturating_sub(1).max(start), n.min(MAX_LINES)),
        ),
        None => (
            line_start(text, start.saturating_sub(UNBOUNDED_BYTES)),
            line_end(text, (end + UNBOUNDED_BYTES).min(text.len()), 0),
        ),
    }
}

/// The span around a match of a keyword-less rule that ends at `end`: its last line and as
/// many lines before it as the rule can span.
pub fn ending_at(text: &[u8], end: usize, reach: Option<u32>) -> (usize, usize) {
    let last = end.saturating_sub(1);
    match reach {
        Some(n) => {
            let mut start = line_start(text, last);
            for _ in 0..n.min(MAX_LINES) {
                if start == 0 {
                    break;
                }
                start = line_start(text, start - 1);
            }
            (start, line_end(text, last, 0))
        }
        None => (
            line_start(text, last.saturating_sub(UNBOUNDED_BYTES)),
            line_end(text, last, 0),
        ),
    }
}

/// Merges sorted-by-start spans that touch or overlap, in place.
pub fn merge(spans: &mut Vec<(usize, usize)>) {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for &(s, e) in spans.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    *spans = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_lines() {
        let t = b"a\nkey = x\nvalue\nlast";
        // "key" at 2..5: its line is 2..10 (past the newline).
        assert_eq!(around(t, 2, 5, Some(0)), (2, 10));
        assert_eq!(around(t, 2, 5, Some(1)), (2, 16));
        assert_eq!(around(t, 2, 5, Some(9)), (2, 16));
        assert_eq!(around(b"k\n\n\n\nx", 0, 1, Some(9)), (0, 3));
        assert_eq!(around(t, 2, 5, None), (0, t.len()));
        // A match ending at 15 ("value" line), reaching one line back.
        assert_eq!(ending_at(t, 15, Some(0)), (10, 16));
        assert_eq!(ending_at(t, 15, Some(1)), (2, 16));
        assert_eq!(ending_at(t, 16, Some(0)), (10, 16));
        let mut v = vec![(5, 9), (0, 3), (3, 4), (10, 12)];
        merge(&mut v);
        assert_eq!(v, vec![(0, 4), (5, 9), (10, 12)]);
    }
}

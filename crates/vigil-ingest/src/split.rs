//! A small JSON structure scanner for salvage: it finds where values begin and end (tracking
//! strings, escapes and nesting depth) without validating them, so a document that does not
//! parse as a whole can still be cut into elements that are parsed one by one.

use std::ops::Range;

/// The lines of `b` (split at `\n`, trimmed) with their 1-based numbers, blank lines left out.
pub fn lines(b: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0usize;
    let mut ends = memchr::memchr_iter(b'\n', b).chain(std::iter::once(b.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = b.get(start..end).unwrap_or_default();
        start = end + 1;
        Some(line)
    })
    .enumerate()
    .map(|(n, l)| (n + 1, l.trim_ascii()))
    .filter(|(_, l)| !l.is_empty())
}

pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(c) = b.get(i) {
        if !c.is_ascii_whitespace() {
            break;
        }
        i += 1;
    }
    i
}

/// The end (exclusive) of the JSON value that starts at `start`, or `None` if the input ends
/// first. Brackets are counted, not matched: validation is the parser's job.
pub fn scan_value(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let mut depth = 0usize;
    let mut in_str = false;
    while let Some(&c) = b.get(i) {
        i += 1;
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => {
                    in_str = false;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    // A closing bracket ends a scalar that ran up to it.
                    return Some(i - 1).filter(|&e| e > start);
                }
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b',' if depth == 0 => return Some(i - 1).filter(|&e| e > start),
            c if depth == 0 && c.is_ascii_whitespace() => return Some(i - 1),
            _ => {}
        }
    }
    // A scalar may end at the end of input; a string or container may not.
    (depth == 0 && !in_str && i > start).then_some(b.len())
}

/// The elements of the array whose `[` is at `open`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArraySplit {
    /// Byte ranges of complete elements, in order.
    pub elements: Vec<Range<usize>>,
    /// A last element cut off by the end of input.
    pub partial: Option<Range<usize>>,
    /// Whether the closing `]` was found.
    pub closed: bool,
}

pub fn split_array(b: &[u8], open: usize) -> ArraySplit {
    let mut out = ArraySplit::default();
    if b.get(open) != Some(&b'[') {
        return out;
    }
    let mut i = open + 1;
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            None => return out,
            Some(b']') => {
                out.closed = true;
                return out;
            }
            Some(b',') => i += 1,
            Some(_) => match scan_value(b, i) {
                Some(end) => {
                    out.elements.push(i..end);
                    i = end;
                }
                None => {
                    out.partial = Some(i..b.len());
                    return out;
                }
            },
        }
    }
}

/// In the top-level object of `b`, the position of the value of the first key in `keys` that
/// appears, with the key's index. Stops at the first thing that is not an object member.
pub fn find_top_level_key(b: &[u8], keys: &[&str]) -> Option<(usize, usize)> {
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        match b.get(i)? {
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = scan_value(b, i)?;
        let key = b.get(i + 1..key_end.checked_sub(1)?)?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        if let Some(k) = keys.iter().position(|k| k.as_bytes() == key) {
            return Some((k, i));
        }
        i = scan_value(b, i)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(b: &'a [u8], s: &ArraySplit) -> Vec<&'a str> {
        s.elements
            .iter()
            .map(|r| std::str::from_utf8(&b[r.clone()]).unwrap())
            .collect()
    }

    #[test]
    fn splits_nested_and_escaped() {
        let b = br#"[ {"a":"x\"]}"}, [1,[2]] ,"s\\",12,-3.5e2,true,null ,{}]"#;
        let s = split_array(b, 0);
        assert!(s.closed);
        assert_eq!(
            texts(b, &s),
            [
                r#"{"a":"x\"]}"}"#,
                "[1,[2]]",
                r#""s\\""#,
                "12",
                "-3.5e2",
                "true",
                "null",
                "{}"
            ]
        );
    }

    #[test]
    fn truncated_array_keeps_complete_elements() {
        let b = br#"[{"a":1},{"b":"#;
        let s = split_array(b, 0);
        assert!(!s.closed);
        assert_eq!(texts(b, &s), [r#"{"a":1}"#]);
        assert_eq!(s.partial, Some(9..b.len()));
    }

    #[test]
    fn finds_keys() {
        let b = br#" { "x": {"Records": 1}, "Records" : [1]}"#;
        let (k, pos) = find_top_level_key(b, &["QueryResultRows", "Records"]).unwrap();
        assert_eq!(k, 1);
        assert_eq!(b[pos], b'[');
        assert!(find_top_level_key(b"[1]", &["Records"]).is_none());
        assert!(find_top_level_key(br#"{"Records""#, &["Records"]).is_none());
    }
}

//! Finds the text of the value at a JSON pointer inside text already known to be valid JSON,
//! without building a tree: [`crate::RawJson::get`] used to parse a whole `requestParameters`
//! into a `serde_json::Value` to read one member of it (about 30k instructions for an S3
//! call's parameters, against a few hundred to step over them). The answer is the one
//! `serde_json::Value::pointer` gives on the parsed text (a property test holds the two to
//! it): members are matched on their unescaped keys, the last of duplicate keys wins (a
//! `Value` map keeps the last), and array indexes are decimal without a sign or leading zero.
//!
//! [`find_keys`] walks a path of member names the way sonic-rs's `get_from_str` does (the
//! first of duplicate keys wins, arrays are not indexed), for the Sigma engine's fields inside
//! `requestParameters` (sonic-rs builds an error, with its position, for every member that is
//! not there: most of its cost).
//!
//! Only for valid JSON: on anything else it answers `None` rather than guess.

use std::borrow::Cow;

/// The text of the value at `pointer` (RFC 6901: `""` is the whole value, else `/`-separated
/// tokens with `~1` for `/` and `~0` for `~`), or `None` when there is none.
pub fn find<'a>(json: &'a str, pointer: &str) -> Option<&'a str> {
    let b = json.as_bytes();
    let mut at = skip_ws(b, 0);
    if pointer.is_empty() {
        let end = skip_value(b, at)?;
        return json.get(at..end);
    }
    let rest = pointer.strip_prefix('/')?;
    for raw_token in rest.split('/') {
        let token: Cow<'_, str> = if raw_token.contains('~') {
            Cow::Owned(raw_token.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(raw_token)
        };
        at = match b.get(at)? {
            b'{' => member(json, at, &token, Duplicates::Last)?,
            b'[' => element(b, at, index(&token)?)?,
            _ => return None,
        };
    }
    let end = skip_value(b, at)?;
    json.get(at..end)
}

/// The text of the value at a path of member names (objects only), or `None`; of duplicate
/// keys the first counts.
pub fn find_keys<'a, 'k>(
    json: &'a str,
    keys: impl IntoIterator<Item = &'k str>,
) -> Option<&'a str> {
    let b = json.as_bytes();
    let mut at = skip_ws(b, 0);
    for key in keys {
        if b.get(at) != Some(&b'{') {
            return None;
        }
        at = member(json, at, key, Duplicates::First)?;
    }
    let end = skip_value(b, at)?;
    json.get(at..end)
}

/// Which of an object's members with the same key counts.
#[derive(Clone, Copy, PartialEq)]
enum Duplicates {
    First,
    Last,
}

/// serde_json's reading of an array index: decimal digits, no `+`, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() > 1) {
        return None;
    }
    token.parse().ok()
}

/// Where the value of the first or last member named `key` of the object at `open` starts.
fn member(json: &str, open: usize, key: &str, which: Duplicates) -> Option<usize> {
    let b = json.as_bytes();
    let mut at = skip_ws(b, open + 1);
    if b.get(at) == Some(&b'}') {
        return None;
    }
    let mut found = None;
    loop {
        let key_end = skip_string(b, at)?;
        let matches = {
            let inner = json.get(at + 1..key_end - 1)?;
            // An escape is longer written than what it stands for, so a key written with one
            // is longer than the text it means: only a longer key can need decoding.
            match inner.len().cmp(&key.len()) {
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => inner == key && !key.contains('\\'),
                std::cmp::Ordering::Greater => {
                    inner.contains('\\')
                        && serde_json::from_str::<String>(json.get(at..key_end)?).ok()? == key
                }
            }
        };
        at = skip_ws(b, key_end);
        if b.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(b, at + 1);
        if matches {
            if which == Duplicates::First {
                return Some(at);
            }
            found = Some(at);
        }
        at = skip_ws(b, skip_value(b, at)?);
        match b.get(at)? {
            b',' => at = skip_ws(b, at + 1),
            b'}' => return found,
            _ => return None,
        }
    }
}

/// Where element `n` of the array at `open` starts.
fn element(b: &[u8], open: usize, n: usize) -> Option<usize> {
    let mut at = skip_ws(b, open + 1);
    if b.get(at) == Some(&b']') {
        return None;
    }
    let mut i = 0;
    loop {
        if i == n {
            return Some(at);
        }
        at = skip_ws(b, skip_value(b, at)?);
        match b.get(at)? {
            b',' => at = skip_ws(b, at + 1),
            _ => return None,
        }
        i += 1;
    }
}

fn skip_ws(b: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(at) {
        at += 1;
    }
    at
}

/// Past the string whose opening quote is at `at`.
fn skip_string(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b.get(i) == Some(&b'"') {
            return Some(i + 1);
        }
        // A backslash: it and the character it escapes (a `\u` escape's hex digits hold no
        // quote or backslash).
        i += 2;
    }
}

/// The first quote or bracket at or after `at` (the end of `b` when there is none), eight
/// bytes at a time: inside a container nothing else moves the depth. With bit 5 cleared,
/// `{` and `[` both read 0x5B and `}` and `]` both 0x5D, and no other byte does.
fn next_structural(b: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte of `w` that is zero (exact: no false positives from borrows
    // when only the lowest hit is used, as here).
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    while let Some(chunk) = b.get(at..at + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(bytes);
        let folded = w & !(0x20 * ONES);
        let hits = zero(w ^ (u64::from(b'"') * ONES))
            | zero(folded ^ (0x5B * ONES))
            | zero(folded ^ (0x5D * ONES));
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&c) = b.get(at) {
        if matches!(c, b'"' | b'{' | b'[' | b'}' | b']') {
            return at;
        }
        at += 1;
    }
    at
}

/// Past the value starting at `at` (no whitespace before it).
fn skip_value(b: &[u8], at: usize) -> Option<usize> {
    match b.get(at)? {
        b'"' => skip_string(b, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                i = next_structural(b, i);
                match b.get(i)? {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            // A number or a literal: it runs to the next delimiter.
            let len = b
                .get(at..)?
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                .unwrap_or(b.len() - at);
            Some(at + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_serde(json: &str, pointer: &str) -> Option<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(json)
            .ok()?
            .pointer(pointer)
            .cloned()
    }

    fn by_find(json: &str, pointer: &str) -> Option<serde_json::Value> {
        serde_json::from_str(find(json, pointer)?).ok()
    }

    #[test]
    fn finds_members_elements_and_the_whole() {
        let j =
            r#" {"a": {"b c": [10, {"d": "x\"}"}, null]}, "e/f": 1, "g~h": true, "a\u0062": 2} "#;
        assert_eq!(find(j, "/a/b c/0"), Some("10"));
        assert_eq!(find(j, "/a/b c/1/d"), Some(r#""x\"}""#));
        assert_eq!(find(j, "/a/b c/2"), Some("null"));
        assert_eq!(find(j, "/e~1f"), Some("1"));
        assert_eq!(find(j, "/g~0h"), Some("true"));
        assert_eq!(find(j, "/ab"), Some("2"));
        assert!(find(j, "").is_some_and(|w| w.starts_with('{') && w.ends_with('}')));
        for missing in [
            "/x",
            "/a/b c/3",
            "/a/b c/01",
            "/a/b c/+1",
            "/e~1f/x",
            "a",
            "/a/b c/-1",
        ] {
            assert_eq!(find(j, missing), None, "{missing}");
            assert_eq!(by_serde(j, missing), None, "{missing}");
        }
    }

    #[test]
    fn the_last_duplicate_wins_as_in_a_value() {
        let j = r#"{"k": 1, "k": {"z": 2}}"#;
        assert_eq!(find(j, "/k/z"), Some("2"));
        assert_eq!(by_find(j, "/k"), by_serde(j, "/k"));
        assert_eq!(find(r#"{"k": {"z": 2}, "k": 1}"#, "/k/z"), None);
    }

    /// JSON text with few distinct keys (so duplicates and shared paths are common), escaped
    /// keys and strings full of the bytes a skipper must not trip on.
    fn json_text() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "\"a\"",
            "\"b\"",
            "\"a/b\"",
            "\"a~b\"",
            "\"\\u0061\"",
            "\"\"",
            "\"0\"",
            "\"1\"",
        ]);
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("-1.5e3".to_string()),
            Just("0".to_string()),
            Just(r#""x\"]}\\""#.to_string()),
            Just(r#""{[,:""#.to_string()),
        ];
        leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[ {} ]", v.join(" , "))),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|v| {
                    let members: Vec<String> =
                        v.into_iter().map(|(k, x)| format!("{k}:{x}")).collect();
                    format!("{{{}}}", members.join(",\n"))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn agrees_with_serde_json_pointer(
            json in json_text(),
            tokens in prop::collection::vec(
                prop::sample::select(vec!["a", "b", "a~1b", "a~0b", "", "0", "1", "2", "01"]),
                0..4,
            ),
        ) {
            let pointer: String = tokens.iter().map(|t| format!("/{t}")).collect();
            prop_assert_eq!(by_find(&json, &pointer), by_serde(&json, &pointer));
        }
    }
}

//! The cursor against sonic-rs and serde_json: whatever it accepts, both accept (it may bail on
//! more, never on less than it should for plain JSON), and the depth it reports is the nesting.

use crate::depth;
use crate::scan::{Cursor, validate};
use proptest::prelude::*;
use serde::de::IgnoredAny;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\\[\\]{}\":,\\\\\u{1}\u{7f}é]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Edits that break JSON in the ways damage does: a byte replaced, removed or inserted.
fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> String {
    const SPICE: &[u8] = b"{}[]\":,\\ 0-.eE+tfnu\x01\x1f";
    let mut b = text.as_bytes().to_vec();
    for &(at, op, with) in edits {
        if b.is_empty() {
            break;
        }
        let at = at % b.len();
        let c = SPICE[usize::from(with) % SPICE.len()];
        match op % 3 {
            0 => b[at] = c,
            1 => {
                b.remove(at);
            }
            _ => b.insert(at, c),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn both_accept(text: &str) -> bool {
    sonic_rs::from_str::<IgnoredAny>(text).is_ok()
        && serde_json::from_str::<IgnoredAny>(text).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn accepts_valid_json_and_measures_its_depth(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            serde_json::to_string(&v).unwrap()
        };
        // serde_json escapes only `"`, `\` and control characters, never as surrogates.
        let depth = validate(&text);
        prop_assert_eq!(depth, Ok(depth::max_depth(text.as_bytes(), usize::MAX)), "{}", text);
        let mut c = Cursor::new(&text);
        let (raw, _) = c.skip_value().unwrap();
        prop_assert_eq!(raw, text.trim());
    }

    #[test]
    fn accepts_only_what_sonic_rs_and_serde_json_accept(
        v in json_value(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
    ) {
        let text = mutate(&serde_json::to_string(&v).unwrap(), &edits);
        if validate(&text).is_ok() {
            prop_assert!(both_accept(&text), "{}", text);
        }
    }

    #[test]
    fn json_ish_text_accepted_only_when_valid(s in "[\\[\\]{}\":,\\\\a-z0-9 .eE+\\-\u{1}]{0,60}") {
        if validate(&s).is_ok() {
            prop_assert!(both_accept(&s), "{}", s);
        }
    }

    /// A string is read alike wherever its end, an escape or a raw control character falls
    /// against the sixteen-byte steps and the end of the text: as serde_json reads it, or (a
    /// raw control character) not at all.
    #[test]
    fn strings_scan_alike_at_every_offset(
        head in "[a-zé ]{0,40}",
        special in 0usize..5,
        tail in "[a-z/:]{0,40}",
        after in 0usize..20,
    ) {
        const SPECIAL: [&str; 5] = ["", "\\\"", "\\n", "\u{1}", "\u{1f}"];
        let token = format!("\"{head}{}{tail}\"{}", SPECIAL[special], " ".repeat(after));
        let mut c = Cursor::new(&token);
        let ours = c.string().ok().filter(|_| c.at_end()).map(|s| s.into_owned());
        prop_assert_eq!(ours, serde_json::from_str::<String>(&token).ok(), "{:?}", token);
        // Skipped as a value, the same answer.
        prop_assert_eq!(validate(&token).is_ok(), serde_json::from_str::<String>(&token).is_ok());
    }

    /// A string value comes back as sonic-rs reads it (borrowed or unescaped).
    #[test]
    fn strings_read_as_sonic_rs_reads_them(s in any::<String>(), escape_all in any::<bool>()) {
        let token = if escape_all {
            let mut t = String::from("\"");
            for ch in s.chars() {
                let mut units = [0u16; 2];
                for u in ch.encode_utf16(&mut units) {
                    t.push_str(&format!("\\u{u:04x}"));
                }
            }
            t.push('"');
            t
        } else {
            serde_json::to_string(&s).unwrap()
        };
        let mut c = Cursor::new(&token);
        match c.string() {
            Ok(got) => {
                prop_assert_eq!(got.as_ref(), s.as_str());
                prop_assert!(c.at_end());
            }
            // Only surrogate escapes are left to the general path.
            Err(_) => prop_assert!(escape_all && s.chars().any(|ch| ch as u32 > 0xFFFF)),
        }
    }
}

//! Evaluating a compiled detection against one event. Short-circuits, borrows every value from
//! the event, and formats numbers into a stack buffer: no allocation per rule.

use crate::compile::{Item, Node, ValueTest};
use crate::field::{Accessor, EventScratch, Val, with_value};
use crate::pattern::StrMatcher;
use vigil_model::Event;

pub(crate) fn eval(node: &Node, ev: &Event, scratch: &mut EventScratch) -> bool {
    match node {
        Node::And(v) => v.iter().all(|n| eval(n, ev, scratch)),
        Node::Or(v) => v.iter().any(|n| eval(n, ev, scratch)),
        Node::Not(n) => !eval(n, ev, scratch),
        Node::Field(acc, test) => field(acc, test, ev, scratch),
        Node::KeywordsAny(places, ac) => places.iter().any(|p| {
            with_value(p, ev, scratch, |v| {
                let mut buf = [0u8; 20];
                v.and_then(|v| text_of(v, &mut buf))
                    .is_some_and(|t| ac.is_match(t))
            })
        }),
        Node::Keywords(places, ms, all) => {
            let hit = |m: &StrMatcher, scratch: &mut EventScratch| {
                places
                    .iter()
                    .any(|p| with_value(p, ev, scratch, |v| v.is_some_and(|v| str_match(m, v))))
            };
            if *all {
                ms.iter().all(|m| hit(m, scratch))
            } else {
                ms.iter().any(|m| hit(m, scratch))
            }
        }
    }
}

fn field(acc: &Accessor, test: &ValueTest, ev: &Event, scratch: &mut EventScratch) -> bool {
    match test {
        ValueTest::Items(items, all) => with_value(acc, ev, scratch, |v| {
            // The value as text once, then every item against it.
            let mut buf = [0u8; 20];
            let text = v.and_then(|v| text_of(v, &mut buf));
            let one = |it: &Item| match (it, text) {
                (Item::Null, None) => true,
                (Item::Null, Some(_)) => false,
                (Item::Str(_), None) => false,
                (Item::Str(m), Some(t)) => m.is_match(t),
            };
            if *all {
                items.iter().all(one)
            } else {
                items.iter().any(one)
            }
        }),
        ValueTest::AnyContains(ac, _) => with_value(acc, ev, scratch, |v| {
            let mut buf = [0u8; 20];
            v.and_then(|v| text_of(v, &mut buf))
                .is_some_and(|t| ac.is_match(t))
        }),
        ValueTest::Exists(want) => {
            with_value(acc, ev, scratch, |v| !matches!(v, None | Some(Val::Null))) == *want
        }
        ValueTest::FieldRef(other) => {
            // Rare (one SigmaHQ rule): copying the first value is the simple way to hold two
            // borrowed lookups at once.
            let Some(first) = with_value(acc, ev, scratch, |v| v.and_then(owned_text)) else {
                return false;
            };
            with_value(other, ev, scratch, |v| {
                v.and_then(owned_text)
                    .is_some_and(|o| o.eq_ignore_ascii_case(&first))
            })
        }
    }
}

fn owned_text(v: Val<'_>) -> Option<String> {
    let mut buf = [0u8; 20];
    text_of(v, &mut buf).map(str::to_string)
}

/// A value as text, the way pySigma's SQLite columns hold it: booleans as `true`/`false`,
/// numbers in decimal, JSON objects as their text.
pub(crate) fn text_of<'a>(v: Val<'a>, buf: &'a mut [u8; 20]) -> Option<&'a str> {
    match v {
        Val::Str(s) | Val::Raw(s) => Some(s),
        Val::Bool(true) => Some("true"),
        Val::Bool(false) => Some("false"),
        Val::Num(n) => Some(fmt_u64(n, buf)),
        Val::Null => None,
    }
}

fn fmt_u64(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

fn str_match(m: &StrMatcher, v: Val<'_>) -> bool {
    let mut buf = [0u8; 20];
    text_of(v, &mut buf).is_some_and(|s| m.is_match(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_without_allocation() {
        let mut b = [0u8; 20];
        assert_eq!(fmt_u64(0, &mut b), "0");
        let mut b = [0u8; 20];
        assert_eq!(fmt_u64(u64::MAX, &mut b), "18446744073709551615");
        let mut b = [0u8; 20];
        assert_eq!(text_of(Val::Bool(true), &mut b), Some("true"));
    }
}

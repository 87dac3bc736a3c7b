//! The fast path for the common document shapes, `{"Records": [...]}` (and `{"Events": [...]}`)
//! and bare arrays: every record is read in the same single pass as the document, straight into
//! [`RawRecord`], and normalised on the spot.
//!
//! The general path in [`crate::cloudtrail`] first cuts the array into elements and then parses
//! each element: every byte was validated twice, which was a quarter of parse time. What the
//! general path gets from cutting, each record's exact bytes, is needed for two things only:
//! the size limit and the derived id of a record without `eventID`. Here a record is placed
//! from where its first key lies (the deserializer lends keys from the input): it starts at the
//! `{` before that key and ends at the `}` before the next record's `{`, which is exact because
//! only a comma and whitespace separate array elements. The size check of a record therefore
//! completes when the next record begins (the last one is measured by skipping it once more),
//! and a record without an `eventID` is measured at once.
//!
//! Anything unusual (a document that does not parse, a record that cannot be placed, CloudTrail
//! Lake rows, an element that is not an object, two container keys) ends the fast path with
//! [`Fallback`]; the caller then discards what it produced and takes the general path, which
//! salvages and reports exactly. So the fast path only ever handles input the general path
//! would have handled without a skip other than those made here, and it makes them the same
//! way: the equivalence is tested over the bad-input corpus and generated documents.

use crate::cloudtrail::{ParseOutcome, envelope_element};
use crate::limits::FileContext;
use crate::normalize::{Fallbacks, normalise};
use crate::raw::RawRecord;
use crate::reason::{Location, Skip, SkipReason};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The fast path does not apply; take the general one.
#[derive(Debug)]
pub struct Fallback;

/// Reads `text` (trimmed, starting with `{` or `[`) into `out`, or returns
/// [`Fallback`] having possibly added to `out` (the caller truncates).
pub fn parse(text: &str, ctx: &FileContext, out: &mut ParseOutcome) -> Result<(), Fallback> {
    let doc = text.as_bytes();
    let mut state = State {
        doc,
        text,
        base: doc.as_ptr() as usize,
        ctx,
        out,
        pending: None,
    };
    let mut de = sonic_rs::Deserializer::from_str(text);
    let done = match doc.first() {
        Some(b'[') => RecordsSeed(&mut state).deserialize(&mut de),
        Some(b'{') => TopSeed(&mut state).deserialize(&mut de),
        _ => return Err(Fallback),
    };
    done.and_then(|()| de.end()).map_err(|_| Fallback)?;
    state.finish_last()
}

struct State<'d, 'c, 'o> {
    doc: &'d [u8],
    /// The same, as text (sonic-rs handed bytes checks their UTF-8 again).
    text: &'d str,
    base: usize,
    ctx: &'c FileContext,
    out: &'o mut ParseOutcome,
    /// The last record handled, whose size is known once the next one starts.
    pending: Option<Pending>,
}

struct Pending {
    start: usize,
    index: usize,
    /// Whether it became an event (else it became a skip).
    produced: bool,
}

/// Where the `{` of a record whose first key's text is at `key_at` lies.
fn object_start(doc: &[u8], key_at: usize) -> Option<usize> {
    let quote = key_at.checked_sub(1)?;
    if doc.get(quote) != Some(&b'"') {
        return None;
    }
    let before = doc.get(..quote)?;
    let brace = before.iter().rposition(|c| !c.is_ascii_whitespace())?;
    (before.get(brace) == Some(&b'{')).then_some(brace)
}

/// The end (exclusive) of the element before the one whose `{` is at `next`: just after the
/// `}` that precedes the separating comma.
fn end_before(doc: &[u8], next: usize) -> Option<usize> {
    let before = doc.get(..next)?;
    let comma = before.iter().rposition(|c| !c.is_ascii_whitespace())?;
    if before.get(comma) != Some(&b',') {
        return None;
    }
    let close = before
        .get(..comma)?
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())?;
    (before.get(close) == Some(&b'}')).then_some(close + 1)
}

/// The end of the value that starts at `start`, by skipping it (validated) once more. Given
/// text, not bytes: sonic-rs would check the UTF-8 of the whole rest of the document each time.
fn value_end(text: &str, start: usize) -> Option<usize> {
    let rest = text.get(start..)?;
    let mut de = sonic_rs::Deserializer::from_str(rest);
    let v = sonic_rs::LazyValue::deserialize(&mut de).ok()?;
    let raw = v.as_raw_str();
    // The value is lent from `rest`, starting at `start` (which holds no whitespace).
    std::ptr::eq(raw.as_ptr(), rest.as_ptr()).then(|| start + raw.len())
}

impl State<'_, '_, '_> {
    fn fallbacks(&self) -> Fallbacks<'_> {
        Fallbacks {
            account: self.ctx.account.as_deref(),
            region: self.ctx.region.as_deref(),
            time: None,
        }
    }

    fn location(&self, index: usize) -> Location {
        Location {
            path: self.ctx.path.clone(),
            record: Some(index),
            line: None,
        }
    }

    /// Completes the pending record now that it is known to end at `end`.
    fn finish(&mut self, end: usize) -> Result<(), Fallback> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let len = end.checked_sub(p.start).ok_or(Fallback)?;
        if len > self.ctx.max_record_bytes {
            let undone = if p.produced {
                self.out.events.pop().map(drop)
            } else {
                self.out.skips.pop().map(drop)
            };
            undone.ok_or(Fallback)?;
            let detail = format!("{len} bytes, limit {}", self.ctx.max_record_bytes);
            let loc = self.location(p.index);
            self.out
                .skips
                .push(Skip::new(SkipReason::RecordTooLarge, loc, detail));
        }
        Ok(())
    }

    fn finish_last(&mut self) -> Result<(), Fallback> {
        let Some(start) = self.pending.as_ref().map(|p| p.start) else {
            return Ok(());
        };
        let end = value_end(self.text, start).ok_or(Fallback)?;
        self.finish(end)
    }

    /// One record, read; `index` is its place in the array.
    fn record(&mut self, rec: RawRecord<'_>, index: usize) -> Result<(), Fallback> {
        let key_at = rec.first_key_at.ok_or(Fallback)?;
        let key = key_at.checked_sub(self.base).ok_or(Fallback)?;
        let start = object_start(self.doc, key).ok_or(Fallback)?;
        if self.pending.is_some() {
            let end = end_before(self.doc, start).ok_or(Fallback)?;
            self.finish(end)?;
        }
        self.out.records += 1;
        let envelope =
            rec.event_name.is_none() && (rec.cloudtrail_event.is_some() || rec.detail.is_some());
        let no_id = rec.event_id.as_ref().is_none_or(|t| t.as_str().is_empty());
        // Envelopes need their exact bytes now (to read what they wrap), and so does a record
        // without an id (to derive one); every other record is measured once the next begins.
        let exact = envelope || no_id;
        let result = if exact {
            let end = value_end(self.text, start).ok_or(Fallback)?;
            let raw = self.doc.get(start..end).ok_or(Fallback)?;
            if raw.len() > self.ctx.max_record_bytes {
                Err((
                    SkipReason::RecordTooLarge,
                    format!("{} bytes, limit {}", raw.len(), self.ctx.max_record_bytes),
                ))
            } else if envelope {
                envelope_element(rec, raw, self.fallbacks())
            } else {
                normalise(rec, raw, self.fallbacks())
            }
        } else {
            normalise(rec, &[], self.fallbacks())
        };
        let produced = match result {
            Ok(ev) => {
                self.out.events.push(ev);
                true
            }
            Err((reason, detail)) => {
                let loc = self.location(index);
                self.out.skips.push(Skip::new(reason, loc, detail));
                false
            }
        };
        if !exact {
            self.pending = Some(Pending {
                start,
                index,
                produced,
            });
        }
        Ok(())
    }
}

/// The top-level object: its one container key's array is read record by record.
struct TopSeed<'s, 'd, 'c, 'o>(&'s mut State<'d, 'c, 'o>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "Records" | "Events" if !seen => {
                    seen = true;
                    map.next_value_seed(RecordsSeed(&mut *self.0))?;
                }
                "Records" | "Events" | "QueryResultRows" => {
                    return Err(de::Error::custom("general path"));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if seen {
            Ok(())
        } else {
            // A single record, or no container at all.
            Err(de::Error::custom("general path"))
        }
    }
}

/// An array of records.
struct RecordsSeed<'s, 'd, 'c, 'o>(&'s mut State<'d, 'c, 'o>);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Room for the records a document of this size could hold (they are rarely under 512
        // bytes), so the events (560 bytes each) are not moved while the vector grows; reserved
        // memory costs nothing until it is used.
        let guess = seq.size_hint().unwrap_or(self.0.doc.len() / 512);
        self.0.out.events.reserve(guess);
        let mut index = 0usize;
        while let Some(rec) = seq.next_element::<RawRecord<'de>>()? {
            self.0
                .record(rec, index)
                .map_err(|Fallback| de::Error::custom("general path"))?;
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    const R: &str = r#"{"eventVersion":"1.09","eventTime":"2024-05-01T12:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"@","recipientAccountId":"111122223333"}"#;

    fn run(doc: &str, limit: usize) -> Result<ParseOutcome, Fallback> {
        let ctx = FileContext {
            max_record_bytes: limit,
            ..FileContext::new(&Limits::default())
        };
        let mut out = ParseOutcome::default();
        parse(doc, &ctx, &mut out).map(|()| out)
    }

    fn rec(id: &str) -> String {
        R.replace('@', id)
    }

    #[test]
    fn ordinary_documents_take_the_fast_path() {
        let doc = format!(r#"{{"Records":[{}, {}]}}"#, rec("a"), rec("b"));
        let out = run(&doc, 1 << 20).unwrap();
        let ids: Vec<_> = out.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!((ids, out.records), (vec!["a", "b"], 2));
        let arr = format!("[\n{},\n{}\n]", rec("a"), rec("b"));
        assert_eq!(run(&arr, 1 << 20).unwrap().events.len(), 2);
    }

    #[test]
    fn records_are_measured_exactly() {
        let (a, b) = (
            rec("a"),
            format!("{},\"x\":1}}", rec("bb").trim_end_matches('}')),
        );
        let doc = format!("{{\"Records\":[ {a} ,\n {b} ]}}");
        // At exactly `b`'s length the limit lets `b` through; one byte less skips it only.
        let out = run(&doc, b.len()).unwrap();
        assert_eq!(out.events.len(), 2);
        let out = run(&doc, b.len() - 1).unwrap();
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.skips[0].reason, SkipReason::RecordTooLarge);
        assert_eq!(out.skips[0].location.record, Some(1));
        assert_eq!(
            out.skips[0].detail,
            format!("{} bytes, limit {}", b.len(), b.len() - 1)
        );
        // The first one, measured when the second begins.
        let doc = format!("[{b},{a}]");
        let out = run(&doc, b.len() - 1).unwrap();
        assert_eq!(out.skips[0].location.record, Some(0));
        assert_eq!(out.events[0].id, "a");
    }

    #[test]
    fn a_record_without_an_id_gets_the_derived_id_of_its_bytes() {
        let bare = R.replace(r#""eventID":"@","#, "");
        let doc = format!("[{}, {bare}]", rec("a"));
        let out = run(&doc, 1 << 20).unwrap();
        assert_eq!(out.events[1].id, crate::derived_id(bare.as_bytes()));
    }

    #[test]
    fn unusual_documents_fall_back() {
        let r = rec("a");
        for doc in [
            r#"{"QueryResultRows":[[{"eventjson":"{}"}]]}"#.to_string(),
            r.clone(),
            format!(r#"{{"Records":[{r},12]}}"#),
            format!(r#"{{"Records":[{r},{{}}]}}"#),
            format!(r#"{{"Records":[{r}],"Events":[]}}"#),
            r#"{"Records":[{"e\u0076entVersion":"1"}]}"#.to_string(),
            format!(r#"{{"Records":[{r},{r}"#),
            format!(r#"{{"Records":{r}}}"#),
        ] {
            assert!(run(&doc, 1 << 20).is_err(), "{doc}");
        }
    }
}

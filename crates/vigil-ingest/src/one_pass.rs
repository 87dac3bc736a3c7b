//! The fast path for the common document shapes, `{"Records": [...]}` (and `{"Events": [...]}`)
//! and bare arrays: every record is read in the same single pass as the document, straight into
//! [`RawRecord`] by [`crate::fast_record`], and normalised on the spot. The cursor knows where
//! each record starts and ends, so the size limit and the derived id of a record without an
//! `eventID` need no second look at it.
//!
//! Anything unusual (a document or record the cursor does not accept, CloudTrail Lake rows, an
//! element that is not an object, two container keys) ends the fast path with [`Fallback`]; the
//! caller then discards what it produced and takes the general path in [`crate::cloudtrail`],
//! which parses with sonic-rs, salvages and reports exactly. So the fast path only ever handles
//! input the general path would have handled without a skip other than those made here, and it
//! makes them the same way: the equivalence is tested over the bad-input corpus and generated
//! documents.

use crate::cloudtrail::{ParseOutcome, envelope_element};
use crate::fast_record;
use crate::limits::FileContext;
use crate::normalize::Fallbacks;
use crate::raw::RawRecord;
use crate::reason::{Location, Skip, SkipReason};
use crate::scan::{Bail, Cursor};

/// The fast path does not apply; take the general one.
#[derive(Debug)]
pub struct Fallback;

impl From<Bail> for Fallback {
    fn from(_: Bail) -> Self {
        Fallback
    }
}

/// Reads `text` (trimmed, starting with `{` or `[`) into `out`, or returns
/// [`Fallback`] having possibly added to `out` (the caller truncates).
pub fn parse(text: &str, ctx: &FileContext, out: &mut ParseOutcome) -> Result<(), Fallback> {
    let mut c = Cursor::new(text);
    let fb = Fallbacks::of_file(ctx);
    let mut state = State { ctx, out, fb };
    match c.peek() {
        Some(b'[') => state.records(&mut c)?,
        Some(b'{') => state.top(&mut c)?,
        _ => return Err(Fallback),
    }
    if c.at_end() { Ok(()) } else { Err(Fallback) }
}

struct State<'c, 'o> {
    ctx: &'c FileContext,
    out: &'o mut ParseOutcome,
    fb: Fallbacks<'c>,
}

impl State<'_, '_> {
    /// The top-level object: its one container key's array is read record by record.
    fn top(&mut self, c: &mut Cursor<'_>) -> Result<(), Fallback> {
        c.eat(b'{')?;
        if c.empty(b'}') {
            return Err(Fallback);
        }
        let mut seen = false;
        loop {
            match c.key()? {
                "Records" | "Events" if !seen => {
                    seen = true;
                    self.records(c)?;
                }
                "Records" | "Events" | "QueryResultRows" => return Err(Fallback),
                _ => {
                    c.skip_value()?;
                }
            }
            if !c.more(b'}')? {
                break;
            }
        }
        // Without a container: a single record, or nothing of ours.
        if seen { Ok(()) } else { Err(Fallback) }
    }

    /// An array of records.
    fn records(&mut self, c: &mut Cursor<'_>) -> Result<(), Fallback> {
        c.eat(b'[')?;
        // Room for the records a document of this size could hold (they are rarely under 512
        // bytes), so the events are not moved while the vector grows; reserved memory costs
        // nothing until it is used.
        self.out.events.reserve(c.text().len() / 512);
        if c.empty(b']') {
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            c.ws();
            if c.peek() != Some(b'{') {
                return Err(Fallback);
            }
            let start = c.pos();
            let mut rec = RawRecord::default();
            fast_record::record(c, &mut rec)?;
            let raw = c.since(start)?.as_bytes();
            self.out.records += 1;
            let result = if raw.len() > self.ctx.max_record_bytes {
                Err((
                    SkipReason::RecordTooLarge,
                    format!("{} bytes, limit {}", raw.len(), self.ctx.max_record_bytes),
                ))
            } else {
                envelope_element(&mut rec, raw, self.fb)
            };
            match result {
                Ok(ev) => self.out.events.push(ev),
                Err((reason, detail)) => {
                    let loc = Location {
                        path: self.ctx.path.clone(),
                        record: Some(index),
                        line: None,
                    };
                    self.out.skips.push(Skip::new(reason, loc, detail));
                }
            }
            index += 1;
            if !c.more(b']')? {
                return Ok(());
            }
        }
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
            format!(r#"{{"Records":[{r}],"Events":[]}}"#),
            r#"{"Records":[{"e\u0076entVersion":"1"}]}"#.to_string(),
            format!(r#"{{"Records":[{r},{r}"#),
            format!(r#"{{"Records":{r}}}"#),
        ] {
            assert!(run(&doc, 1 << 20).is_err(), "{doc}");
        }
    }
}

//! CloudTrail bytes → events, for every shape users have: `{"Records":[...]}`, JSON lines, a
//! bare array, a single record, CloudTrail Lake results, EventBridge events and
//! `lookup-events` output.
//!
//! Documents are read whole first by the fast path ([`crate::one_pass`]; JSON lines line by line
//! with [`crate::fast_record`]), which bails on anything unusual. The general path parses with
//! sonic-rs; a document that does not parse is cut into elements by [`crate::split`] and each
//! element is parsed alone, so one bad record costs one record.
//!
//! sonic-rs recurses once per nesting level of what it skips, so every sonic-rs call on input
//! runs through [`guarded`], on a stack sized for that input's nesting (see [`crate::depth`]).
//! The fast path's cursor does not recurse and needs no guard.

use crate::container::{Container, TopDoc};
use crate::depth;
use crate::fast_record;
use crate::lake;
use crate::limits::FileContext;
use crate::normalize::{Fallbacks, normalise};
use crate::one_pass;
use crate::raw::RawRecord;
use crate::reason::{Location, Skip, SkipReason};
use crate::scan;
use crate::split::{find_top_level_key, lines, scan_value, skip_ws};
use serde::de::IgnoredAny;
use vigil_model::Event;

/// What parsing one file's bytes produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParseOutcome {
    pub events: Vec<Event>,
    pub skips: Vec<Skip>,
    /// Records (array elements, lines, rows) seen, good or bad.
    pub records: u64,
}

/// How to read one array element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A record, an EventBridge event or a `lookup-events` element.
    Record,
    /// A CloudTrail Lake row.
    LakeRow,
}

const CONTAINER_KEYS: [&str; 3] = ["Records", "QueryResultRows", "Events"];

/// Parses and normalises CloudTrail in any supported shape. Never panics; every record that
/// is not turned into an event is reported as a [`Skip`].
pub fn parse_cloudtrail_bytes(bytes: &[u8], ctx: &FileContext) -> (Vec<Event>, Vec<Skip>) {
    let out = parse_cloudtrail(bytes, ctx);
    (out.events, out.skips)
}

/// [`parse_cloudtrail_bytes`], also counting the records seen.
pub fn parse_cloudtrail(bytes: &[u8], ctx: &FileContext) -> ParseOutcome {
    parse_document(bytes, ctx, true)
}

fn parse_document(bytes: &[u8], ctx: &FileContext, one_pass: bool) -> ParseOutcome {
    let mut p = Parser {
        ctx,
        out: ParseOutcome::default(),
        one_pass,
        line_offset: 0,
        newlines: None,
    };
    p.document(bytes);
    p.out
}

/// Why input nested too deeply for any thread's stack is skipped.
const TOO_DEEP: &str = "nested too deeply to parse safely";

/// Runs a sonic-rs `parse` of `input` on a stack that holds `input`'s nesting; `None` when no
/// thread with that much stack could be had.
fn guarded<R: Send>(input: &[u8], parse: impl FnOnce() -> R + Send) -> Option<R> {
    depth::with_stack_for(input, parse)
}

/// [`parse_cloudtrail`] without the one-pass fast path: what the fast path is tested against.
#[doc(hidden)]
pub fn parse_cloudtrail_general(bytes: &[u8], ctx: &FileContext) -> ParseOutcome {
    parse_document(bytes, ctx, false)
}

struct Parser<'c> {
    ctx: &'c FileContext,
    out: ParseOutcome,
    /// Try [`crate::one_pass`] first.
    one_pass: bool,
    /// Lines before the text being read as JSON lines (leading blank lines; earlier blocks).
    line_offset: usize,
    /// Line feeds in the JSON lines read, when the one-pass reading counted them.
    newlines: Option<usize>,
}

/// Whether a file whose first bytes are `head` is JSON lines (as [`parse_cloudtrail`] decides).
pub(crate) fn starts_json_lines(head: &[u8], ctx: &FileContext) -> bool {
    let b = trim(strip_bom(head));
    b.first() == Some(&b'{') && looks_like_json_lines(b, ctx.max_record_bytes)
}

/// Reads `block`, whole lines of a JSON-lines file preceded by `line_offset` lines, into `out`;
/// the number of line feeds in `block`.
pub(crate) fn parse_lines_into(
    block: &[u8],
    line_offset: usize,
    ctx: &FileContext,
    out: &mut ParseOutcome,
) -> usize {
    let mut p = Parser {
        ctx,
        out: std::mem::take(out),
        one_pass: true,
        line_offset,
        newlines: None,
    };
    let block = if line_offset == 0 {
        strip_bom(block)
    } else {
        block
    };
    p.json_lines(block);
    *out = p.out;
    // The one-pass reading counted them as it went; else a count of its own.
    p.newlines
        .unwrap_or_else(|| memchr::memchr_iter(b'\n', block).count())
}

/// Steps `pos` over blank lines and the whitespace a line starts with (as `trim_ascii` sees
/// it), counting line feeds into `line`: how JSON lines are numbered (the time index,
/// `crate::time_order`, numbers them the same way).
#[inline]
pub(crate) fn skip_blank(b: &[u8], pos: &mut usize, line: &mut usize) {
    while let Some(&ch) = b.get(*pos) {
        if ch == b'\n' {
            *line += 1;
        } else if !ch.is_ascii_whitespace() {
            break;
        }
        *pos += 1;
    }
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// `b` as text when it is UTF-8 (simdutf8, which sonic-rs uses too, is several times faster
/// than `std::str::from_utf8`). sonic-rs is then given the `&str`: handed bytes it would check
/// them again itself, a second pass over every document.
fn text(b: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(b).ok()
}

fn valid_json(b: &[u8]) -> bool {
    // The cursor accepts only valid JSON; what it does not accept, sonic-rs decides.
    text(b).is_some_and(|t| {
        scan::validate(t).is_ok()
            || guarded(b, || sonic_rs::from_str::<IgnoredAny>(t).is_ok()).unwrap_or(false)
    })
}

/// A file of several lines whose first or second non-empty line is a JSON value on its own.
/// A document whose first key is a container key is not JSON lines; otherwise only the first
/// `max_line` bytes are searched for line breaks (a longer line is not a record anyway).
fn looks_like_json_lines(b: &[u8], max_line: usize) -> bool {
    if object_first_key(b).is_some_and(|k| CONTAINER_KEYS.iter().any(|c| c.as_bytes() == k)) {
        return false;
    }
    let head = b
        .get(..max_line.saturating_mul(2).saturating_add(2).min(b.len()))
        .unwrap_or(b);
    let Some(nl) = memchr::memchr(b'\n', head) else {
        return false;
    };
    let (first, rest) = (
        trim(head.get(..nl).unwrap_or_default()),
        head.get(nl + 1..).unwrap_or_default(),
    );
    if rest.trim_ascii().is_empty() && b.len() == head.len() {
        return false;
    }
    if first.first() == Some(&b'{') && valid_json(first) {
        return true;
    }
    let rest = rest.trim_ascii_start();
    let second = memchr::memchr(b'\n', rest)
        .and_then(|n| rest.get(..n))
        .unwrap_or(rest);
    let second = trim(second);
    second.first() == Some(&b'{') && valid_json(second)
}

impl Parser<'_> {
    fn loc(&self, record: Option<usize>, line: Option<usize>) -> Location {
        Location {
            path: self.ctx.path.clone(),
            record,
            line,
        }
    }

    fn skip(&mut self, reason: SkipReason, loc: Location, detail: impl Into<String>) {
        self.out.skips.push(Skip::new(reason, loc, detail));
    }

    fn document(&mut self, bytes: &[u8]) {
        let b = trim(strip_bom(bytes));
        // Line numbers count from the file's first line, blank or not.
        let unmarked = strip_bom(bytes);
        let lead = unmarked.len() - unmarked.trim_ascii_start().len();
        self.line_offset =
            memchr::memchr_iter(b'\n', unmarked.get(..lead).unwrap_or_default()).count();
        match b.first() {
            None => self.skip(SkipReason::EmptyFile, self.loc(None, None), ""),
            Some(b'[') => self.bare_array(b),
            Some(b'{') if looks_like_json_lines(b, self.ctx.max_record_bytes) => self.json_lines(b),
            Some(b'{') => self.object_document(b),
            Some(_) => {
                let reason = if valid_json(b) {
                    SkipReason::InvalidRecord
                } else {
                    SkipReason::InvalidJson
                };
                self.skip(reason, self.loc(None, None), "not a JSON object or array");
            }
        }
    }

    fn bare_array(&mut self, b: &[u8]) {
        let Some(t) = text(b) else {
            return self.salvage_array(b, 0, Mode::Record);
        };
        if self.one_pass(t) {
            return;
        }
        match guarded(b, || sonic_rs::from_str::<Vec<sonic_rs::LazyValue<'_>>>(t)) {
            Some(Ok(elems)) => {
                self.out.events.reserve(elems.len());
                for (i, e) in elems.iter().enumerate() {
                    self.element(e.as_raw_str().as_bytes(), Mode::Record, Some(i), None);
                }
            }
            // Too deep to parse whole: element by element, each guarded alone.
            Some(Err(_)) | None => self.salvage_array(b, 0, Mode::Record),
        }
    }

    /// The one-pass reading of [`crate::one_pass`]; `false` (having undone what it did) when
    /// the document needs the general path.
    fn one_pass(&mut self, b: &str) -> bool {
        if !self.one_pass {
            return false;
        }
        let (events, skips, records) = (
            self.out.events.len(),
            self.out.skips.len(),
            self.out.records,
        );
        if one_pass::parse(b, self.ctx, &mut self.out).is_ok() {
            return true;
        }
        self.out.events.truncate(events);
        self.out.skips.truncate(skips);
        self.out.records = records;
        false
    }

    fn object_document(&mut self, b: &[u8]) {
        let Some(t) = text(b) else {
            return self.salvage_object(b, "invalid UTF-8");
        };
        if self.one_pass(t) {
            return;
        }
        let doc = match guarded(b, || sonic_rs::from_str::<TopDoc<'_>>(t)) {
            Some(Ok(doc)) => doc,
            Some(Err(e)) => return self.salvage_object(b, &e.to_string()),
            None => return self.salvage_object(b, TOO_DEEP),
        };
        let containers = [
            (doc.records, Mode::Record),
            (doc.query_result_rows, Mode::LakeRow),
            (doc.events, Mode::Record),
        ];
        let mut any = false;
        for (key, (c, mode)) in CONTAINER_KEYS.iter().zip(containers) {
            match c {
                None => {}
                Some(Container::NotArray(what)) => {
                    any = true;
                    self.skip(
                        SkipReason::NotAnArray,
                        self.loc(None, None),
                        format!("`{key}` is {what}"),
                    );
                }
                Some(Container::Array(elems)) => {
                    any = true;
                    self.out.events.reserve(elems.len());
                    for (i, e) in elems.iter().enumerate() {
                        self.element(e.as_raw_str().as_bytes(), mode, Some(i), None);
                    }
                }
            }
        }
        if !any {
            // A single record (or EventBridge event) on its own.
            self.element(b, Mode::Record, None, None);
        }
    }

    fn salvage_object(&mut self, b: &[u8], err: &str) {
        match find_top_level_key(b, &CONTAINER_KEYS) {
            Some((k, pos)) if b.get(pos) == Some(&b'[') => {
                let mode = if k == 1 { Mode::LakeRow } else { Mode::Record };
                self.salvage_array(b, pos, mode);
            }
            Some((k, _)) => self.skip(
                SkipReason::NotAnArray,
                self.loc(None, None),
                format!(
                    "`{}` is not an array",
                    CONTAINER_KEYS.get(k).unwrap_or(&"?")
                ),
            ),
            None if lines(b).nth(1).is_some() && lines(b).any(|(_, l)| valid_json(l)) => {
                self.json_lines(b)
            }
            None => {
                let reason = if scan_value(b, 0).is_none() {
                    SkipReason::TruncatedJson
                } else {
                    SkipReason::InvalidJson
                };
                self.skip(reason, self.loc(None, None), err)
            }
        }
    }

    fn json_lines(&mut self, b: &[u8]) {
        // Lines are rarely under 512 bytes; room for that many events saves moving them as the
        // vector grows (reserved memory costs nothing until it is used).
        self.out.events.reserve(b.len() / 512);
        if self.one_pass
            && let Some(t) = text(b)
        {
            return self.json_lines_in_one_pass(t);
        }
        for (n, line) in lines(b) {
            self.element(line, Mode::Record, None, Some(n + self.line_offset));
        }
    }

    /// JSON lines read record after record by one cursor over the whole text: no search for
    /// each line's end first and no UTF-8 check per line (the text was checked once). A line
    /// the cursor does not read as exactly one record within the size limit, with only
    /// whitespace around it, goes to [`Parser::element`] just as the line-by-line reading would
    /// send it, so both readings give the same events and the same skips (`tests/props.rs`
    /// holds the whole fast reading to the general one).
    fn json_lines_in_one_pass(&mut self, t: &str) {
        let b = t.as_bytes();
        let mut c = scan::Cursor::lines(t);
        let mut line = 1usize;
        let mut pos = 0usize;
        loop {
            skip_blank(b, &mut pos, &mut line);
            if pos >= b.len() {
                self.newlines = Some(line - 1);
                return;
            }
            let start = pos;
            match self.line_record(&mut c, b, start) {
                Some((event, next)) => {
                    self.out.records += 1;
                    self.out.events.push(event);
                    pos = next;
                }
                None => {
                    let end = memchr::memchr(b'\n', b.get(start..).unwrap_or_default())
                        .map_or(b.len(), |i| start + i);
                    let whole = b.get(start..end).unwrap_or_default().trim_ascii_end();
                    self.element(whole, Mode::Record, None, Some(line + self.line_offset));
                    pos = end;
                }
            }
        }
    }

    /// The event of the line whose first non-blank byte is at `start`, and where its line
    /// ends; `None` when the line needs [`Parser::element`].
    fn line_record(
        &self,
        c: &mut scan::Cursor<'_>,
        b: &[u8],
        start: usize,
    ) -> Option<(Event, usize)> {
        if b.get(start) != Some(&b'{') {
            return None;
        }
        c.set_pos(start);
        let mut rec = RawRecord::default();
        fast_record::record(c, &mut rec).ok()?;
        let end = c.pos();
        if end - start > self.ctx.max_record_bytes {
            return None;
        }
        let mut next = end;
        while let Some(&ch) = b.get(next) {
            if ch == b'\n' {
                break;
            }
            if !ch.is_ascii_whitespace() {
                return None;
            }
            next += 1;
        }
        let fb = Fallbacks::of_file(self.ctx);
        let bytes = b.get(start..end)?;
        resolve(&mut rec, bytes, fb, 0, true)
            .ok()
            .map(|ev| (ev, next))
    }

    /// Cuts the array whose `[` is at `open` into elements and parses each alone. After a bad
    /// element, parsing resumes at the next place a record starts (an object whose first key is
    /// the one the good records start with), so a corrupt record cannot swallow its neighbours.
    fn salvage_array(&mut self, b: &[u8], open: usize, mode: Mode) {
        let mut first_key: Option<Vec<u8>> = None;
        let mut i = open + 1;
        let mut index = 0usize;
        loop {
            i = skip_ws(b, i);
            match b.get(i) {
                None => {
                    self.skip(
                        SkipReason::TruncatedJson,
                        self.loc(None, None),
                        "the document ends before its array closes",
                    );
                    return;
                }
                Some(b']') => {
                    // A stray `]` (damage) before the real end: look for more records.
                    let key = first_key.as_deref().unwrap_or(b"eventVersion");
                    match find_record_start(b, i + 1, b.len(), key) {
                        Some(next) => {
                            i = next;
                            continue;
                        }
                        None => return,
                    }
                }
                Some(b',') => {
                    i += 1;
                    continue;
                }
                Some(_) => {}
            }
            let key = first_key.as_deref().unwrap_or(b"eventVersion");
            let Some(end) = scan_value(b, i) else {
                // Runs off the end: either the last record is cut off, or a corrupt record
                // hides the ones after it.
                self.out.records += 1;
                match find_record_start(b, i + 1, b.len(), key) {
                    Some(next) => {
                        self.skip(SkipReason::InvalidJson, self.loc(Some(index), None), "");
                        i = next;
                        index += 1;
                        continue;
                    }
                    None => {
                        self.skip(
                            SkipReason::TruncatedJson,
                            self.loc(Some(index), None),
                            "the last record is cut off",
                        );
                        return;
                    }
                }
            };
            let elem = b.get(i..end).unwrap_or_default();
            let produced = self.element(elem, mode, Some(index), None);
            if produced {
                if first_key.is_none() {
                    first_key = object_first_key(elem).map(<[u8]>::to_vec);
                }
                i = end;
            } else {
                i = find_record_start(b, i + 1, end, key).unwrap_or(end);
            }
            index += 1;
        }
    }

    /// Handles one element; `true` if it became an event.
    fn element(
        &mut self,
        bytes: &[u8],
        mode: Mode,
        record: Option<usize>,
        line: Option<usize>,
    ) -> bool {
        self.out.records += 1;
        let result = if bytes.len() > self.ctx.max_record_bytes {
            Err((
                SkipReason::RecordTooLarge,
                format!("{} bytes, limit {}", bytes.len(), self.ctx.max_record_bytes),
            ))
        } else {
            let fb = Fallbacks::of_file(self.ctx);
            match mode {
                Mode::Record => record_element(bytes, fb, 0, self.one_pass),
                Mode::LakeRow => lake::row_to_record(bytes)
                    .map_err(|e| (SkipReason::InvalidRecord, e))
                    .and_then(|rec| record_element(&rec, fb, 0, self.one_pass)),
            }
        };
        match result {
            Ok(ev) => {
                self.out.events.push(ev);
                true
            }
            Err((reason, detail)) => {
                let loc = self.loc(record, line);
                self.skip(reason, loc, detail);
                false
            }
        }
    }
}

fn parse_error(bytes: &[u8], e: &sonic_rs::Error) -> (SkipReason, String) {
    let reason = if valid_json(bytes) {
        SkipReason::InvalidRecord
    } else if e.is_eof() {
        SkipReason::TruncatedJson
    } else {
        SkipReason::InvalidJson
    };
    (reason, e.to_string())
}

/// One record, EventBridge event or `lookup-events` element → one event; read by the fast
/// reader first when `fast`.
fn record_element(
    bytes: &[u8],
    fb: Fallbacks<'_>,
    nesting: u8,
    fast: bool,
) -> Result<Event, (SkipReason, String)> {
    // Checked here even when the whole document was: sonic-rs gets a `&str`, and would check
    // bytes again itself.
    let Some(t) = text(bytes) else {
        return Err((SkipReason::InvalidJson, "invalid UTF-8".into()));
    };
    // serde reads structs from arrays too (positionally); a record is an object.
    if bytes.get(skip_ws(bytes, 0)) != Some(&b'{') {
        return Err(if valid_json(bytes) {
            (SkipReason::InvalidRecord, "not a JSON object".into())
        } else {
            (SkipReason::InvalidJson, String::new())
        });
    }
    if fast {
        let mut rec = RawRecord::default();
        if fast_record::whole_record(t, &mut rec).is_ok() {
            return resolve(&mut rec, bytes, fb, nesting, fast);
        }
    }
    guarded(bytes, || {
        let mut rec: RawRecord<'_> = sonic_rs::from_str(t).map_err(|e| parse_error(bytes, &e))?;
        resolve(&mut rec, bytes, fb, nesting, fast)
    })
    .unwrap_or_else(|| Err((SkipReason::InvalidJson, TOO_DEEP.into())))
}

/// A record the fast path read from the exact `bytes` of an array element, which may be an
/// envelope.
pub(crate) fn envelope_element(
    rec: &mut RawRecord<'_>,
    bytes: &[u8],
    fb: Fallbacks<'_>,
) -> Result<Event, (SkipReason, String)> {
    resolve(rec, bytes, fb, 0, true)
}

/// A record, or the record an envelope (`lookup-events`' `CloudTrailEvent`, EventBridge's
/// `detail`) wraps, normalised.
fn resolve(
    rec: &mut RawRecord<'_>,
    bytes: &[u8],
    fb: Fallbacks<'_>,
    nesting: u8,
    fast: bool,
) -> Result<Event, (SkipReason, String)> {
    if rec.event_name.is_none() && nesting < 2 {
        if let Some(inner) = &rec.cloudtrail_event {
            return record_element(inner.as_str().as_bytes(), fb, nesting + 1, fast);
        }
        if let Some(detail) = &rec.detail {
            if let Some(kind) = &rec.detail_type
                && !kind.as_str().contains("CloudTrail")
            {
                let shown: String = kind.as_str().chars().take(80).collect();
                return Err((SkipReason::NotCloudtrail, shown));
            }
            let env = Fallbacks {
                account: rec.account.as_ref().map(|a| a.as_str()).or(fb.account),
                region: rec.region.as_ref().map(|r| r.as_str()).or(fb.region),
                time: rec.time.as_ref().map(|t| t.as_str()),
            };
            let raw = detail.as_str().as_bytes();
            if raw.first() != Some(&b'{') {
                return Err((
                    SkipReason::InvalidRecord,
                    "`detail` is not an object".into(),
                ));
            }
            if fast {
                let mut inner = RawRecord::default();
                if fast_record::whole_record(detail.as_str(), &mut inner).is_ok() {
                    return normalise(&mut inner, raw, env);
                }
            }
            return guarded(raw, || {
                let mut inner: RawRecord<'_> =
                    sonic_rs::from_str(detail.as_str()).map_err(|e| parse_error(raw, &e))?;
                normalise(&mut inner, raw, env)
            })
            .unwrap_or_else(|| Err((SkipReason::InvalidJson, TOO_DEEP.into())));
        }
    }
    normalise(rec, bytes, fb)
}

/// The first key of the object in `b`, if it is an object whose first key has no escapes.
fn object_first_key(b: &[u8]) -> Option<&[u8]> {
    let i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let k = skip_ws(b, i + 1);
    if b.get(k) != Some(&b'"') {
        return None;
    }
    let rest = b.get(k + 1..)?;
    let len = rest.iter().position(|c| *c == b'"' || *c == b'\\')?;
    (rest.get(len) == Some(&b'"'))
        .then(|| rest.get(..len))
        .flatten()
}

/// The first position in `from..to` where an object starts whose first key is `key`.
fn find_record_start(b: &[u8], from: usize, to: usize, key: &[u8]) -> Option<usize> {
    let hay = b.get(from..to.min(b.len()))?;
    hay.iter()
        .enumerate()
        .filter(|(_, c)| **c == b'{')
        .map(|(p, _)| from + p)
        .find(|&p| b.get(p..).and_then(object_first_key) == Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FileContext {
        FileContext::new(&crate::Limits::default())
    }

    const R1: &str = r#"{"eventVersion":"1.08","eventTime":"2024-05-01T12:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"a","recipientAccountId":"111122223333","awsRegion":"us-east-1"}"#;
    const R2: &str = r#"{"eventVersion":"1.08","eventTime":"2024-05-01T12:00:01Z","eventSource":"iam.amazonaws.com","eventName":"ListRoles","eventID":"b","recipientAccountId":"111122223333","awsRegion":"us-east-1"}"#;

    fn ids(out: &ParseOutcome) -> Vec<&str> {
        out.events.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn shapes() {
        let doc = format!(r#"{{"Records":[{R1},{R2}]}}"#);
        assert_eq!(ids(&parse_cloudtrail(doc.as_bytes(), &ctx())), ["a", "b"]);
        let lines = format!("{R1}\n{R2}\n");
        assert_eq!(ids(&parse_cloudtrail(lines.as_bytes(), &ctx())), ["a", "b"]);
        let arr = format!("[{R1},\n{R2}]");
        assert_eq!(ids(&parse_cloudtrail(arr.as_bytes(), &ctx())), ["a", "b"]);
        assert_eq!(ids(&parse_cloudtrail(R1.as_bytes(), &ctx())), ["a"]);
    }

    #[test]
    fn salvage_keeps_neighbours() {
        let doc = format!(r#"{{"Records":[{R1},{{"eventVersion":"1.08","eventTime":"x}},{R2}]}}"#);
        let out = parse_cloudtrail(doc.as_bytes(), &ctx());
        assert_eq!(ids(&out), ["a", "b"]);
        assert_eq!(out.skips.len(), 1, "{:?}", out.skips);
        let cut = format!(r#"{{"Records":[{R1},{R2}"#);
        let out = parse_cloudtrail(&cut.as_bytes()[..cut.len() - 10], &ctx());
        assert_eq!(ids(&out), ["a"]);
        assert_eq!(out.skips[0].reason, SkipReason::TruncatedJson);
    }

    #[test]
    fn first_key() {
        assert_eq!(
            object_first_key(br#" { "eventVersion" :1}"#),
            Some(&b"eventVersion"[..])
        );
        assert_eq!(object_first_key(br#"{"a\"b":1}"#), None);
        assert_eq!(object_first_key(b"[1]"), None);
    }
}

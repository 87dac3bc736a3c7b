//! A validating JSON cursor for the fast path ([`crate::fast_record`], [`crate::one_pass`]).
//!
//! Why not sonic-rs here: through serde, sonic-rs spent about 40 ns per key and value of a
//! CloudTrail record on the visitor protocol, and its checked skip of unknown values recurses
//! once per nesting level without a limit (cloudwego/sonic-rs#232), so every document had to be
//! counted for brackets first to size the stack. This cursor reads the few shapes a record has
//! directly and skips everything else with an explicit stack: no recursion, no counting.
//!
//! It is deliberately *stricter* than sonic-rs, never looser: anything it does not accept
//! (invalid JSON, but also escaped object keys, `\uD800`-range escapes, nesting past
//! [`MAX_SKIP_DEPTH`]) is a [`Bail`], and the caller takes the general path, which parses with
//! sonic-rs and reports exactly. Accepting only valid JSON is tested against sonic-rs over
//! generated and mutated documents (`tests/scan_props.rs`).
//!
//! The input is `&str`, so its UTF-8 is already checked; the cursor checks the JSON grammar.

use std::borrow::Cow;
use wide::u8x16;

/// The fast path does not apply here: the caller takes the general one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

pub type Scan<T> = Result<T, Bail>;

/// Deepest nesting [`Cursor::skip_value`] follows; deeper input takes the general path (real
/// CloudTrail nests a dozen levels).
pub const MAX_SKIP_DEPTH: usize = 512;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `w` below `n` (n ≤ 128), flagged by their high bit. Flags above the lowest true one
/// may be false (borrows), so only the lowest flag is used.
#[inline(always)]
fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS
}

/// Bytes of `w` equal to `c`, flagged as in [`below`].
#[inline(always)]
fn equal(w: u64, c: u8) -> u64 {
    below(w ^ (ONES * u64::from(c)), 1)
}

/// From `pos`, sixteen bytes at a time, to the first quote, backslash or control character
/// (what ends a string's plain run): `(its position, true)`, or `(where fewer than sixteen
/// bytes are left, false)`. SSE2 on x86-64 through `wide`'s safe vectors (a compare per kind
/// and one mask), its portable code elsewhere.
///
/// Why: CloudTrail strings run long (ARNs, user agents, ids); eight bytes at a time through
/// [`equal`] and [`below`] took about twice the instructions per byte.
#[inline(always)]
fn stop16(b: &[u8], mut pos: usize) -> (usize, bool) {
    let quote = u8x16::splat(b'"');
    let backslash = u8x16::splat(b'\\');
    let last_control = u8x16::splat(0x1f);
    while let Some(chunk) = b.get(pos..pos + 16) {
        let Ok(bytes) = <[u8; 16]>::try_from(chunk) else {
            break;
        };
        let v = u8x16::from(bytes);
        // `min(v, 0x1f) == v`: v is a control character (SSE2 has no unsigned `<`).
        let hit = v.simd_eq(quote) | v.simd_eq(backslash) | v.min(last_control).simd_eq(v);
        let mask = hit.to_bitmask();
        if mask != 0 {
            return (pos + mask.trailing_zeros() as usize, true);
        }
        pos += 16;
    }
    (pos, false)
}

pub struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Reading JSON lines: a line feed is not whitespace, so whatever was being read bails
    /// where its line ends.
    one_line: bool,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Cursor {
            text,
            b: text.as_bytes(),
            pos: 0,
            one_line: false,
        }
    }

    /// A cursor for JSON lines: whatever it reads must end on the line it starts on. It does
    /// not skip a line feed as whitespace, and no token starts with one, so what it was reading
    /// bails there and never runs on into the lines after (each of which may start a record of
    /// its own: read on, a block of unclosed lines would cost the square of its length).
    pub fn lines(text: &'a str) -> Self {
        Cursor {
            one_line: true,
            ..Cursor::new(text)
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves the cursor to `pos` (clamped to the text's end).
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.b.len());
    }

    /// The bytes from the cursor on.
    pub fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or_default()
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    #[inline(always)]
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Skips JSON whitespace. Called before every token, and CloudTrail as delivered has none
    /// between its tokens: one compare says so (every whitespace byte is at most a space).
    /// Text written with `", "` and `": "` between its tokens (Python's `json.dumps`, as in
    /// Panther's test events) has one space before most tokens: stepped over here too, since
    /// a call for each cost more than the step. Longer runs go to the loop, out of line.
    #[inline(always)]
    pub fn ws(&mut self) {
        match self.b.get(self.pos) {
            None => {}
            Some(&c) if c > b' ' => {}
            Some(b' ') if self.b.get(self.pos + 1).is_some_and(|&c| c > b' ') => self.pos += 1,
            Some(_) => self.ws_run(),
        }
    }

    /// A run of whitespace other than one space before a token.
    #[inline(never)]
    fn ws_run(&mut self) {
        while let Some(c @ (b' ' | b'\n' | b'\r' | b'\t')) = self.peek() {
            if c == b'\n' && self.one_line {
                return;
            }
            self.pos += 1;
        }
    }

    /// Whether only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.ws();
        self.pos == self.b.len()
    }

    /// Consumes `c` after optional whitespace.
    #[inline(always)]
    pub fn eat(&mut self, c: u8) -> Scan<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// The text from `start` to the cursor.
    pub fn since(&self, start: usize) -> Scan<&'a str> {
        self.text.get(start..self.pos).ok_or(Bail)
    }

    /// Past a string whose opening quote is at the cursor; whether it had escapes.
    ///
    /// Always inlined, with everything but the common case (the closing quote within the
    /// sixteen-byte steps) out of line: a call per key or short value cost more than its scan.
    #[inline(always)]
    fn string_token(&mut self) -> Scan<bool> {
        let (at, stopped) = stop16(self.b, self.pos + 1);
        if stopped && self.b.get(at) == Some(&b'"') {
            self.pos = at + 1;
            return Ok(false);
        }
        self.pos = at;
        self.string_rest()
    }

    /// The rest of a string from the cursor, which [`Cursor::string_token`] moved inside it,
    /// to its closing quote: escapes, control characters and the last bytes of the text.
    #[inline(never)]
    fn string_rest(&mut self) -> Scan<bool> {
        let mut escaped = false;
        loop {
            let (at, stopped) = stop16(self.b, self.pos);
            self.pos = at;
            if !stopped {
                self.stop8();
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.escape()?;
                }
                Some(c) if c < 0x20 => return Err(Bail),
                Some(_) => self.pos += 1,
                None => return Err(Bail),
            }
        }
    }

    /// Where fewer than sixteen bytes are left: eight at a time to the next quote, backslash or
    /// control character, or to the last few bytes (read one by one by the caller).
    fn stop8(&mut self) {
        while let Some(chunk) = self.b.get(self.pos..self.pos + 8) {
            let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
                return;
            };
            let w = u64::from_le_bytes(bytes);
            let hit = equal(w, b'"') | equal(w, b'\\') | below(w, 0x20);
            if hit != 0 {
                self.pos += (hit.trailing_zeros() / 8) as usize;
                return;
            }
            self.pos += 8;
        }
    }

    /// Past one escape sequence at the cursor (its backslash).
    fn escape(&mut self) -> Scan<()> {
        match self.b.get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let hex = self.b.get(self.pos + 2..self.pos + 6).ok_or(Bail)?;
                let mut v = 0u32;
                for &h in hex {
                    v = v * 16 + char::from(h).to_digit(16).ok_or(Bail)?;
                }
                // Surrogates (paired or not): left to the general path.
                if (0xD800..=0xDFFF).contains(&v) {
                    return Err(Bail);
                }
                self.pos += 6;
                Ok(())
            }
            _ => Err(Bail),
        }
    }

    /// A string value at the cursor (after whitespace): borrowed when it has no escapes, else
    /// unescaped by sonic-rs (rare in CloudTrail, and then exactly as the general path does).
    #[inline]
    pub fn string(&mut self) -> Scan<Cow<'a, str>> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(Bail);
        }
        let start = self.pos;
        let escaped = self.string_token()?;
        if escaped {
            let token = self.since(start)?;
            sonic_rs::from_str::<String>(token)
                .map(Cow::Owned)
                .map_err(|_| Bail)
        } else {
            self.text
                .get(start + 1..self.pos - 1)
                .map(Cow::Borrowed)
                .ok_or(Bail)
        }
    }

    /// An object key without escapes (keys are matched as written; an escaped one bails) and
    /// the `:` after it. Always inlined: a call per key cost more than the key's scan (20k-event
    /// hunt, 620.2M -> 601.5M instructions).
    #[inline(always)]
    pub fn key(&mut self) -> Scan<&'a str> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(Bail);
        }
        let start = self.pos;
        if self.string_token()? {
            return Err(Bail);
        }
        let key = self.text.get(start + 1..self.pos - 1).ok_or(Bail)?;
        self.eat(b':')?;
        Ok(key)
    }

    /// After a member or element: `true` if a `,` follows (another one comes), `false` if the
    /// `close` bracket does (consumed).
    #[inline]
    pub fn more(&mut self, close: u8) -> Scan<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(Bail),
        }
    }

    /// After an opening bracket: `true` if the container is empty (its `close` consumed).
    #[inline]
    pub fn empty(&mut self, close: u8) -> bool {
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `null` at the cursor (after whitespace), consumed; `false` if something else is there.
    #[inline]
    pub fn null(&mut self) -> Scan<bool> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Scan<()> {
        if self.b.get(self.pos..self.pos + lit.len()) == Some(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// `true` or `false` at the cursor (after whitespace).
    pub fn boolean(&mut self) -> Scan<bool> {
        self.ws();
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| true),
            Some(b'f') => self.literal(b"false").map(|()| false),
            _ => Err(Bail),
        }
    }

    fn digits(&mut self) -> Scan<()> {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        if self.pos == start { Err(Bail) } else { Ok(()) }
    }

    /// A number, by the JSON grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Scan<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits()?,
            _ => return Err(Bail),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(())
    }

    /// A scalar at the cursor (no whitespace before it).
    fn scalar(&mut self) -> Scan<()> {
        match self.peek() {
            Some(b'"') => self.string_token().map(drop),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Bail),
        }
    }

    /// Skips (validating) the value after optional whitespace; returns its text and nesting
    /// depth (0 for a scalar). Iterative: a bit per open container, [`MAX_SKIP_DEPTH`] at most.
    pub fn skip_value(&mut self) -> Scan<(&'a str, usize)> {
        self.ws();
        let start = self.pos;
        // Bit `d` of `objects` is set when the container at depth `d + 1` is an object.
        let mut objects = [0u64; MAX_SKIP_DEPTH / 64];
        let mut depth = 0usize;
        let mut deepest = 0usize;
        'value: loop {
            // A value is expected at the cursor.
            self.ws();
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    self.pos += 1;
                    if depth == MAX_SKIP_DEPTH {
                        return Err(Bail);
                    }
                    let is_object = open == b'{';
                    let word = objects.get_mut(depth / 64).ok_or(Bail)?;
                    let bit = 1u64 << (depth % 64);
                    if is_object {
                        *word |= bit;
                    } else {
                        *word &= !bit;
                    }
                    depth += 1;
                    deepest = deepest.max(depth);
                    let close = if is_object { b'}' } else { b']' };
                    if !self.empty(close) {
                        if is_object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    depth -= 1;
                }
                _ => self.scalar()?,
            }
            // A value has ended: close containers until one goes on.
            loop {
                if depth == 0 {
                    return Ok((self.since(start)?, deepest));
                }
                let word = objects.get((depth - 1) / 64).ok_or(Bail)?;
                let is_object = word & (1u64 << ((depth - 1) % 64)) != 0;
                let close = if is_object { b'}' } else { b']' };
                if self.more(close)? {
                    if is_object {
                        self.member_key()?;
                    }
                    continue 'value;
                }
                depth -= 1;
            }
        }
    }

    /// Skips (validating) a value nobody reads. Most are strings: those need none of
    /// [`Cursor::skip_value`]'s bookkeeping.
    #[inline(always)]
    pub fn skip(&mut self) -> Scan<()> {
        self.ws();
        if self.peek() == Some(b'"') {
            return self.string_token().map(drop);
        }
        self.skip_value().map(drop)
    }

    /// A member's key (any valid string, escapes allowed: it is not matched) and its `:`.
    #[inline(always)]
    fn member_key(&mut self) -> Scan<()> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(Bail);
        }
        self.string_token()?;
        self.eat(b':')
    }
}

/// Whether `text` is one JSON value, as far as the cursor can tell: `Ok(true)` valid,
/// `Err(Bail)` for anything it does not accept (invalid, or beyond what it reads).
pub fn validate(text: &str) -> Scan<usize> {
    let mut c = Cursor::new(text);
    let (_, depth) = c.skip_value()?;
    if c.at_end() { Ok(depth) } else { Err(Bail) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_json() {
        for ok in [
            "0",
            "-0.5e+10",
            "12E3",
            "true",
            " null ",
            "\"a\\n\\u00e9\\\"\"",
            "[]",
            "{}",
            "[1,[2,{\"a\":[]}],{}]",
            "{\"k\\\"\": {\"x\": [true, false, null]}}",
            "\"0123456789abcdefé\"",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        assert_eq!(validate("[[{\"a\":[1]}]]"), Ok(4));
        assert_eq!(validate("\"x\""), Ok(0));
    }

    #[test]
    fn rejects_what_is_not_json_or_not_ours() {
        for bad in [
            "",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:2}",
            "[1 2]",
            "\"abc",
            "\"a\tb\"",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\\ud83d\\ude00\"",
            "[1]]",
            "{\"a\":1}}",
            "[",
            "{",
            "NaN",
        ] {
            assert_eq!(validate(bad), Err(Bail), "{bad:?}");
        }
        let deep = format!("{}{}", "[".repeat(600), "]".repeat(600));
        assert_eq!(validate(&deep), Err(Bail));
        let ok = format!("{}{}", "[".repeat(512), "]".repeat(512));
        assert_eq!(validate(&ok), Ok(512));
    }

    #[test]
    fn a_lines_cursor_stops_at_the_line_end() {
        // Unclosed on its line, with more of the same after: the skip bails at the first line
        // feed, not at the end of the text.
        let text = "{\"a\":[ \n{\"a\":[\n{\"a\":[\n";
        let mut c = Cursor::lines(text);
        assert_eq!(c.skip_value(), Err(Bail));
        assert_eq!(c.pos(), 7);
        // Moved on, it reads the next line; a plain cursor reads across lines.
        c.set_pos(8);
        assert_eq!(c.peek(), Some(b'{'));
        assert_eq!(validate("{\"a\":\n[1,\n2]}"), Ok(2));
        let mut c = Cursor::lines("{\"a\":\n1}");
        assert_eq!(c.skip_value(), Err(Bail));
    }

    #[test]
    fn strings_borrow_or_unescape() {
        let mut c = Cursor::new("  \"plain text here, long\" \"a\\u0041\\n\"");
        assert!(matches!(
            c.string(),
            Ok(Cow::Borrowed("plain text here, long"))
        ));
        assert_eq!(c.string().unwrap(), "aA\n");
        let mut c = Cursor::new("\"k\\u0041\":1");
        assert_eq!(c.key(), Err(Bail));
    }
}

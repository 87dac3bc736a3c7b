//! Event time. Detection never reads the wall clock: every notion of "now" comes from here,
//! carried by events.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A UTC instant with millisecond precision, as CloudTrail and the agent record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// A timestamp that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an RFC 3339 timestamp")]
pub struct TimestampError(pub String);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn from_secs(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This instant moved by `ms` milliseconds (negative moves back), saturating.
    pub const fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Parses RFC 3339. CloudTrail's own shape (`2024-05-01T12:00:00Z`, optionally with
    /// fractional seconds) takes a hand-written fast path because ingest parses one per event;
    /// anything else (offsets, lowercase separators) goes through `jiff`.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        if let Some(ts) = parse_zulu_fast(s.as_bytes()) {
            return Ok(ts);
        }
        s.parse::<jiff::Timestamp>()
            .map(|t| Timestamp(t.as_millisecond()))
            .map_err(|_| TimestampError(truncate_for_message(s)))
    }

    /// When temporary credentials expire, as an STS response in CloudTrail gives it: RFC 3339,
    /// or CloudTrail's own English shape, `Oct 4, 2026, 9:00:22 PM` (also seen without the
    /// comma after the year), which is UTC. `None` when it is neither.
    pub fn parse_credential_expiry(s: &str) -> Option<Self> {
        let s = s.trim();
        // A month name first: the English shape, tried without building RFC 3339's error.
        if !s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
            return Timestamp::parse(s).ok();
        }
        let shape = if s.split(',').count() == 3 {
            "%b %d, %Y, %I:%M:%S %p"
        } else {
            "%b %d, %Y %I:%M:%S %p"
        };
        let civil = jiff::fmt::strtime::parse(shape, s)
            .ok()?
            .to_datetime()
            .ok()?;
        let t = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
        Some(Timestamp(t.timestamp().as_millisecond()))
    }

    /// RFC 3339 in UTC (`Z`), with milliseconds only when they are not zero.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

fn truncate_for_message(s: &str) -> String {
    s.chars().take(64).collect()
}

fn two(b: &[u8], at: usize) -> Option<i64> {
    let hi = b.get(at)?.checked_sub(b'0').filter(|d| *d < 10)?;
    let lo = b.get(at + 1)?.checked_sub(b'0').filter(|d| *d < 10)?;
    Some(i64::from(hi) * 10 + i64::from(lo))
}

/// `YYYY-MM-DDTHH:MM:SS[.f+]Z`; `None` sends the caller to the general parser.
fn parse_zulu_fast(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let year = two(b, 0)? * 100 + two(b, 2)?;
    let (month, day) = (two(b, 5)?, two(b, 8)?);
    let (hour, minute, second) = (two(b, 11)?, two(b, 14)?, two(b, 17)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut millis = 0i64;
    let rest = b.get(19..)?;
    let zone = match rest.first()? {
        b'.' => {
            let digits = rest
                .get(1..)?
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            let mut scale = 100;
            for d in rest.get(1..=digits.min(3))? {
                millis += i64::from(d - b'0') * scale;
                scale /= 10;
            }
            rest.get(1 + digits..)?
        }
        _ => rest,
    };
    if zone != b"Z" {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(Timestamp(
        ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis,
    ))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) if self.0 % 1000 == 0 => write!(f, "{}", t.strftime("%Y-%m-%dT%H:%M:%SZ")),
            Ok(t) => write!(f, "{}", t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")),
            Err(_) => write!(f, "@{}ms", self.0),
        }
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_cloudtrail_shapes() {
        let t = Timestamp::parse("2024-05-01T12:34:56Z").unwrap_or_default();
        assert_eq!(t.as_millis(), 1_714_566_896_000);
        let t = Timestamp::parse("2024-05-01T12:34:56.789Z").unwrap_or_default();
        assert_eq!(t.as_millis(), 1_714_566_896_789);
        let t = Timestamp::parse("2024-05-01T14:34:56+02:00").unwrap_or_default();
        assert_eq!(t.as_millis(), 1_714_566_896_000);
        assert_eq!(t.to_string(), "2024-05-01T12:34:56Z");
        assert_eq!(
            Timestamp::from_millis(1_714_566_896_789).to_string(),
            "2024-05-01T12:34:56.789Z"
        );
    }

    #[test]
    fn reads_credential_expiry_in_cloudtrail_english() {
        let want = Timestamp::parse("2026-10-04T21:00:22Z").ok();
        for text in [
            "Oct 4, 2026, 9:00:22 PM",
            "Oct 4, 2026 9:00:22 PM",
            "Oct 04, 2026, 09:00:22 PM",
            "2026-10-04T21:00:22Z",
        ] {
            assert_eq!(Timestamp::parse_credential_expiry(text), want, "{text}");
        }
        let midnight = Timestamp::parse("2020-01-22T00:43:08Z").ok();
        assert_eq!(
            Timestamp::parse_credential_expiry("Jan 22, 2020 12:43:08 AM"),
            midnight
        );
        let noon = Timestamp::parse("2020-01-22T12:43:08Z").ok();
        assert_eq!(
            Timestamp::parse_credential_expiry("Jan 22, 2020 12:43:08 PM"),
            noon
        );
        for bad in [
            "",
            "Oct 4, 2026",
            "Foo 4, 2026, 9:00:22 PM",
            "Feb 30, 2026, 9:00:22 PM",
            "Oct 4, 2026, 13:00:22 PM",
            "Oct 4, 2026, 9:00:22",
        ] {
            assert_eq!(Timestamp::parse_credential_expiry(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T00:00:00.Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// The fast path agrees with jiff on every instant it accepts.
        #[test]
        fn fast_path_matches_jiff(ms in -62_000_000_000_000i64..250_000_000_000_000i64) {
            let t = Timestamp::from_millis(ms);
            let text = t.to_string();
            let fast = parse_zulu_fast(text.as_bytes());
            let slow = text.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).ok();
            if (0..253_402_300_800_000).contains(&ms) {
                prop_assert_eq!(fast.map(Timestamp::as_millis), Some(ms));
            }
            if let Some(f) = fast {
                prop_assert_eq!(Some(f.as_millis()), slow);
            }
        }
    }
}

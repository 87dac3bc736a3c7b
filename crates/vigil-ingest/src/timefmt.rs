//! Event times as sources write them: RFC 3339 (CloudTrail), and CloudTrail Lake's
//! `2023-05-26 20:14:51.000` (UTC, no zone).

use vigil_model::Timestamp;

pub fn parse_time(s: &str) -> Option<Timestamp> {
    if let Ok(t) = Timestamp::parse(s) {
        return Some(t);
    }
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || !matches!(b.get(10), Some(b' ' | b't' | b'T')) {
        return None;
    }
    let (date, rest) = (s.get(..10)?, s.get(11..)?);
    let has_zone =
        rest.ends_with(['Z', 'z']) || rest.get(8..).is_some_and(|r| r.contains(['+', '-']));
    let fixed = if has_zone {
        format!("{date}T{rest}")
    } else {
        format!("{date}T{rest}Z")
    };
    Timestamp::parse(&fixed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lake_and_rfc3339() {
        let a = parse_time("2023-05-26T20:14:51Z").unwrap();
        assert_eq!(parse_time("2023-05-26 20:14:51.000"), Some(a));
        assert_eq!(parse_time("2023-05-26 20:14:51"), Some(a));
        assert_eq!(parse_time("2023-05-26 22:14:51+02:00"), Some(a));
        assert_eq!(parse_time("nonsense"), None);
        assert_eq!(parse_time(""), None);
    }
}

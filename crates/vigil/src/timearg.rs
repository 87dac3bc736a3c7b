//! Times typed on the command line: RFC 3339 instants or bare dates (midnight UTC).

use vigil_model::Timestamp;

pub fn parse_time_arg(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(t) = Timestamp::parse(text) {
        return Ok(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>()
        && let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(Timestamp::from_millis(z.timestamp().as_millisecond()));
    }
    Err(format!(
        "`{text}` is not a time: use RFC 3339 (2026-10-31T08:00:00Z) or a date (2026-10-31)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_instants() {
        assert_eq!(
            parse_time_arg("2026-10-31").map(|t| t.to_string()),
            Ok("2026-10-31T00:00:00Z".to_string())
        );
        assert_eq!(
            parse_time_arg("2026-10-31T08:00:00+01:00").map(|t| t.to_string()),
            Ok("2026-10-31T07:00:00Z".to_string())
        );
        assert!(parse_time_arg("last tuesday").is_err());
    }
}

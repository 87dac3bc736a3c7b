//! Time helpers over [`Timestamp`]: calendar fields and the text shapes AWS prints. The generator
//! never reads the wall clock; every instant is derived from [`crate::DemoConfig::start`].

use vigil_model::Timestamp;

pub const SECOND: i64 = 1_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// Calendar fields of an instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    vigil_model::time::days_from_civil(y, i64::from(m), i64::from(d))
}

pub fn civil(t: Timestamp) -> Civil {
    let ms = t.as_millis();
    let days = ms.div_euclid(DAY);
    let rem = ms.rem_euclid(DAY) / SECOND;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month: month as u32,
        day: day as u32,
        hour: (rem / 3600) as u32,
        minute: ((rem / 60) % 60) as u32,
        second: (rem % 60) as u32,
    }
}

/// An instant from calendar fields (UTC).
pub fn at(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Timestamp {
    let days = days_from_civil(year, month, day);
    Timestamp::from_millis(
        days * DAY
            + i64::from(hour) * HOUR
            + i64::from(minute) * MINUTE
            + i64::from(second) * SECOND,
    )
}

/// The default story start: 2026-10-01T00:00:00Z.
pub fn default_start() -> Timestamp {
    at(2026, 10, 1, 0, 0, 0)
}

/// Midnight UTC of the day holding `t`.
pub fn midnight(t: Timestamp) -> Timestamp {
    Timestamp::from_millis(t.as_millis().div_euclid(DAY) * DAY)
}

/// 0 = Monday … 6 = Sunday.
pub fn weekday(t: Timestamp) -> u32 {
    (t.as_millis().div_euclid(DAY) + 3).rem_euclid(7) as u32
}

pub fn is_weekend(t: Timestamp) -> bool {
    weekday(t) >= 5
}

/// `2026-10-01T13:45:07Z`: CloudTrail's `eventTime` (whole seconds).
pub fn event_time(t: Timestamp) -> String {
    let c = civil(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2026-10-01T13:45:07+00:00`: how the AWS CLI prints IAM and EC2 dates.
pub fn iso_offset(t: Timestamp) -> String {
    let c = civil(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `20261001T1345Z`: the stamp in a CloudTrail log file name.
pub fn file_stamp(t: Timestamp) -> String {
    let c = civil(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

/// `20261001T134507Z`: the stamp in a CloudTrail digest file name.
pub fn digest_stamp(t: Timestamp) -> String {
    let c = civil(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2026/10/01`: the date folders of the CloudTrail S3 layout.
pub fn date_path(t: Timestamp) -> String {
    let c = civil(t);
    format!("{:04}/{:02}/{:02}", c.year, c.month, c.day)
}

/// `Oct 31, 2026, 3:31:00 AM`: how CloudTrail prints STS credential expirations.
pub fn sts_expiration(t: Timestamp) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(t);
    let month = MONTHS
        .get(c.month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("Jan");
    let (h12, ampm) = match c.hour {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{month} {}, {}, {h12}:{:02}:{:02} {ampm}",
        c.day, c.year, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_agree_with_the_model() {
        let t = at(2026, 10, 31, 3, 7, 9).plus_millis(250);
        assert_eq!(t.to_string(), "2026-10-31T03:07:09.250Z");
        assert_eq!(event_time(t), "2026-10-31T03:07:09Z");
        assert_eq!(iso_offset(t), "2026-10-31T03:07:09+00:00");
        assert_eq!(file_stamp(t), "20261031T0307Z");
        assert_eq!(date_path(t), "2026/10/31");
        assert_eq!(sts_expiration(t), "Oct 31, 2026, 3:07:09 AM");
        // Detection reads back what the demo writes, to the second, at both ends of the day.
        for t in [t, at(2026, 10, 31, 0, 5, 0), at(2026, 10, 31, 12, 0, 1)] {
            let back = Timestamp::parse_credential_expiry(&sts_expiration(t));
            assert_eq!(back, Some(Timestamp::from_secs(t.as_secs())));
        }
        assert_eq!(default_start().to_string(), "2026-10-01T00:00:00Z");
        // 2026-10-01 is a Thursday.
        assert_eq!(weekday(default_start()), 3);
        assert_eq!(civil(at(2024, 2, 29, 23, 59, 59)).day, 29);
    }
}

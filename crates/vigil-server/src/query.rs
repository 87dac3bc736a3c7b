//! Query-string parsing shared by the API and the console: repeated keys and comma lists,
//! times, entities. Bad values are a 400 that names the parameter.

use crate::error::ApiError;
use vigil_model::{AlertKind, AlertStatus, EntityRef, Severity, Timestamp};
use vigil_store::AlertFilter;

/// The decoded `key=value` pairs of a query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Params, ApiError> {
        let raw = raw.unwrap_or("");
        serde_urlencoded::from_str(raw)
            .map(Params)
            .map_err(|e| ApiError::BadRequest(format!("bad query string: {e}")))
    }

    /// The last non-empty value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every value of `key`, repeated keys and comma lists alike.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn time(&self, key: &str) -> Result<Option<Timestamp>, ApiError> {
        self.get(key).map(|v| parse_time(key, v)).transpose()
    }

    pub fn entity(&self, key: &str) -> Option<EntityRef> {
        self.get(key).map(EntityRef::infer)
    }

    pub fn usize_or(&self, key: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .map(|n| n.min(max))
                .map_err(|_| ApiError::BadRequest(format!("`{key}` must be a number, not `{v}`"))),
        }
    }
}

/// RFC 3339 or a bare date (`2024-05-01`, midnight UTC).
pub fn parse_time(key: &str, v: &str) -> Result<Timestamp, ApiError> {
    let full = if v.len() == 10 {
        format!("{v}T00:00:00Z")
    } else {
        v.to_string()
    };
    Timestamp::parse(&full)
        .map_err(|_| ApiError::BadRequest(format!("`{key}` is not a time: `{v}`")))
}

/// Page size of alert lists when none is asked for, and the most one page may hold.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// The alert filter of `severity`, `type`, `kind`, `entity`, `status`, `since`, `until`,
/// `limit`, `offset`.
pub fn alert_filter(p: &Params) -> Result<AlertFilter, ApiError> {
    let severity_at_least = p
        .get("severity")
        .map(|s| {
            s.parse::<Severity>()
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .transpose()?;
    let kind = p
        .get("kind")
        .map(|k| {
            [
                AlertKind::Composite,
                AlertKind::Anomaly,
                AlertKind::Rule,
                AlertKind::Violation,
            ]
            .into_iter()
            .find(|v| v.as_str() == k)
            .ok_or_else(|| ApiError::BadRequest(format!("`{k}` is not an alert kind")))
        })
        .transpose()?;
    let statuses = p
        .all("status")
        .iter()
        .map(|s| {
            AlertStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "`{s}` is not a status (new, investigating, resolved, false_positive)"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AlertFilter {
        severity_at_least,
        types: p.all("type"),
        kind,
        entity: p.entity("entity"),
        statuses,
        since: p.time("since")?,
        until: p.time("until")?,
        limit: Some(p.usize_or("limit", DEFAULT_PAGE, MAX_PAGE)?.max(1)),
        offset: p.usize_or("offset", 0, usize::MAX)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repeated_and_comma_lists() {
        let p = Params::parse(Some(
            "type=a,b&type=c&status=new&severity=HIGH&since=2024-05-01&limit=9999",
        ))
        .unwrap();
        let f = alert_filter(&p).unwrap();
        assert_eq!(f.types, vec!["a", "b", "c"]);
        assert_eq!(f.statuses, vec![AlertStatus::New]);
        assert_eq!(f.severity_at_least, Some(Severity::High));
        assert_eq!(f.limit, Some(MAX_PAGE));
        assert_eq!(
            f.since.map(|t| t.to_string()).as_deref(),
            Some("2024-05-01T00:00:00Z")
        );
        let bad = alert_filter(&Params::parse(Some("status=open")).unwrap()).unwrap_err();
        assert!(bad.to_string().contains("`open`"), "{bad}");
        assert!(alert_filter(&Params::parse(Some("since=yesterday")).unwrap()).is_err());
    }
}

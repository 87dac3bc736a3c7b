//! ARNs: `arn:partition:service:region:account:resource`. Policies compare them field by field
//! with wildcards (the `ArnLike` family and `Resource` elements both work this way); a resource
//! pattern that is not an ARN is only valid as `*`.

use crate::glob::wildcard_match;

/// The six fields of an ARN, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits an ARN; the resource part keeps any further `:`.
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut it = s.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        let partition = it.next()?;
        let service = it.next()?;
        let region = it.next()?;
        let account = it.next()?;
        let resource = it.next()?;
        if partition.is_empty() || service.is_empty() {
            return None;
        }
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// Why a resource pattern was refused.
pub fn validate_resource_pattern(p: &str) -> Result<(), String> {
    if p == "*" || Arn::parse(p).is_some() {
        return Ok(());
    }
    // A bare `*` inside a field list (`arn:*`) is fine as long as it starts like an ARN.
    if p.starts_with("arn:") && p.contains('*') {
        return Ok(());
    }
    Err(format!("`{p}` is not an ARN"))
}

/// Matches an ARN against an ARN pattern, field by field, so a `*` in one field never eats the
/// `:` separators of another (as AWS documents for `ArnLike`). A pattern that is not shaped like
/// an ARN falls back to a whole-string wildcard match.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (Arn::parse(pattern), Arn::parse(arn)) {
        (Some(p), Some(a)) => {
            wildcard_match(p.partition.as_bytes(), a.partition.as_bytes())
                && wildcard_match(p.service.as_bytes(), a.service.as_bytes())
                && wildcard_match(p.region.as_bytes(), a.region.as_bytes())
                && wildcard_match(p.account.as_bytes(), a.account.as_bytes())
                && wildcard_match(p.resource.as_bytes(), a.resource.as_bytes())
        }
        _ => wildcard_match(pattern.as_bytes(), arn.as_bytes()),
    }
}

/// The account id in an ARN, if it has one.
pub fn account_of(arn: &str) -> Option<&str> {
    Arn::parse(arn).map(|a| a.account).filter(|a| !a.is_empty())
}

/// The last path segment of an IAM ARN: `Admin` for `arn:aws:iam::1:role/ops/Admin`.
pub fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_by_field() {
        let a = Arn::parse("arn:aws:iam::123456789012:role/ops/Admin").unwrap();
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.resource, "role/ops/Admin");
        assert!(arn_like("arn:aws:iam::*:role/*", "arn:aws:iam::1:role/x/y"));
        assert!(!arn_like("arn:aws:iam::*:role/*", "arn:aws:iam::1:user/x"));
        assert!(arn_like("arn:aws:s3:::*", "arn:aws:s3:::b:extra"));
        assert!(validate_resource_pattern("bucket/*").is_err());
        assert!(validate_resource_pattern("*").is_ok());
        assert_eq!(name_of("arn:aws:iam::1:role/ops/Admin"), "Admin");
    }
}

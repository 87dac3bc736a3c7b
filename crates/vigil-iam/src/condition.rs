//! Condition operators, evaluated three ways: true, false, or unknown (the request context
//! lacks a key the operator needs). Unknown is what turns a decision into "allowed if …".

use crate::arn::arn_like;
use crate::context::RequestContext;
use crate::glob::wildcard_match;
use serde::Serialize;
use std::net::IpAddr;
use vigil_model::Timestamp;

/// A three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        use Op::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Negated operators match when no value matches, and are true when the key is absent.
    fn negated(self) -> bool {
        use Op::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Operators whose values may hold policy variables.
    fn takes_variables(self) -> bool {
        use Op::*;
        matches!(
            self,
            StringEquals
                | StringNotEquals
                | StringEqualsIgnoreCase
                | StringNotEqualsIgnoreCase
                | StringLike
                | StringNotLike
                | ArnEquals
                | ArnLike
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// One `operator: {key: values}` pair.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The operator as written (`ForAnyValue:StringLikeIfExists`).
    pub operator: String,
    /// `None` for an operator Vigil does not know: it always evaluates to unknown.
    pub op: Option<Op>,
    pub qualifier: Option<SetQualifier>,
    pub if_exists: bool,
    /// The key as written; compared lower-cased.
    pub key: String,
    key_lower: String,
    pub values: Vec<String>,
}

impl Condition {
    /// Parses an operator name; `Err` names an operator AWS does not have.
    pub fn new(operator: &str, key: &str, values: Vec<String>) -> (Condition, Option<String>) {
        let (qualifier, rest) = if let Some(r) = operator.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = operator.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, operator)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let op = Op::parse(base).filter(|o| !(if_exists && *o == Op::Null));
        let problem = op
            .is_none()
            .then(|| format!("unknown condition operator `{operator}`"));
        (
            Condition {
                operator: operator.to_string(),
                op,
                qualifier,
                if_exists,
                key: key.to_string(),
                key_lower: key.to_ascii_lowercase(),
                values,
            },
            problem,
        )
    }

    /// `aws:MultiFactorAuthPresent Bool [true]`, for explanations.
    pub fn describe(&self) -> String {
        let vals = if self.values.len() == 1 {
            format!("`{}`", self.values[0])
        } else {
            format!("one of {:?}", self.values)
        };
        format!("{} {} {}", self.key, self.operator, vals)
    }

    pub fn evaluate(&self, ctx: &RequestContext) -> Tri {
        let Some(op) = self.op else {
            return Tri::Unknown;
        };
        let present = ctx.get(&self.key_lower);
        if op == Op::Null {
            // `Null: true` asks "is the key absent?".
            let want_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return match present {
                Some(_) => Tri::from_bool(!want_absent),
                None if ctx.complete => Tri::from_bool(want_absent),
                None => Tri::Unknown,
            };
        }
        let Some(ctx_values) = present else {
            if !ctx.complete {
                return Tri::Unknown;
            }
            return Tri::from_bool(match self.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => self.if_exists || op.negated(),
            });
        };
        // Resolve policy variables in the condition's own values.
        let mut policy_values: Vec<std::borrow::Cow<'_, str>> =
            Vec::with_capacity(self.values.len());
        let mut unresolved = false;
        for v in &self.values {
            if op.takes_variables() {
                match ctx.substitute(v) {
                    Ok(s) => policy_values.push(s),
                    Err(_) if ctx.complete => {}
                    Err(_) => unresolved = true,
                }
            } else {
                policy_values.push(std::borrow::Cow::Borrowed(v));
            }
        }
        let positive = |cv: &str| -> Tri {
            let mut any = Tri::False;
            for pv in &policy_values {
                any = any.or(match_one(op, pv, cv));
                if any == Tri::True {
                    return any;
                }
            }
            if unresolved && any == Tri::False {
                Tri::Unknown
            } else {
                any
            }
        };
        let sat = |cv: &str| -> Tri {
            let p = positive(cv);
            if op.negated() { not(p) } else { p }
        };
        let all = |it: &[String]| it.iter().fold(Tri::True, |acc, v| acc.and(sat(v)));
        let any = |it: &[String]| it.iter().fold(Tri::False, |acc, v| acc.or(sat(v)));
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => all(ctx_values),
            Some(SetQualifier::ForAnyValue) => any(ctx_values),
            None if op.negated() => all(ctx_values),
            None => any(ctx_values),
        }
    }
}

fn not(t: Tri) -> Tri {
    match t {
        Tri::True => Tri::False,
        Tri::False => Tri::True,
        Tri::Unknown => Tri::Unknown,
    }
}

/// Does one context value match one policy value under the operator's positive form?
fn match_one(op: Op, policy: &str, value: &str) -> Tri {
    use Op::*;
    let b = match op {
        StringEquals | StringNotEquals | BinaryEquals => policy == value,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => policy.eq_ignore_ascii_case(value),
        StringLike | StringNotLike => wildcard_match(policy.as_bytes(), value.as_bytes()),
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => {
            let (Ok(p), Ok(v)) = (policy.trim().parse::<f64>(), value.trim().parse::<f64>()) else {
                return Tri::False;
            };
            compare(op, v.partial_cmp(&p))
        }
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => {
            let (Some(p), Some(v)) = (parse_date(policy), parse_date(value)) else {
                return Tri::False;
            };
            compare(op, Some(v.cmp(&p)))
        }
        Bool => policy.eq_ignore_ascii_case(value),
        IpAddress | NotIpAddress => ip_in(policy, value),
        ArnEquals | ArnNotEquals | ArnLike | ArnNotLike => arn_like(policy, value),
        Null => false,
    };
    Tri::from_bool(b)
}

fn compare(op: Op, ord: Option<std::cmp::Ordering>) -> bool {
    use Op::*;
    use std::cmp::Ordering::*;
    let Some(o) = ord else { return false };
    match op {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => o == Equal,
        NumericLessThan | DateLessThan => o == Less,
        NumericLessThanEquals | DateLessThanEquals => o != Greater,
        NumericGreaterThan | DateGreaterThan => o == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => o != Less,
        _ => false,
    }
}

/// Dates are RFC 3339 (`2020-01-01T00:00:01Z`), a bare date, or epoch seconds.
pub fn parse_date(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(Timestamp::from_secs(n));
    }
    if let Ok(t) = Timestamp::parse(s) {
        return Some(t);
    }
    if s.len() == 10 {
        return Timestamp::parse(&format!("{s}T00:00:00Z")).ok();
    }
    None
}

/// Is `ip` inside the CIDR block (or equal to the address) `cidr`?
pub fn ip_in(cidr: &str, ip: &str) -> bool {
    let Ok(addr) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(n) & mask) == (u32::from(a) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(n) & mask) == (u128::from(a) & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, vals: &[&str]) -> Condition {
        Condition::new(op, key, vals.iter().map(|s| s.to_string()).collect()).0
    }

    #[test]
    fn operators() {
        let mut c = RequestContext::new();
        c.set("aws:SourceIp", "10.1.2.3")
            .set("aws:MultiFactorAuthPresent", "true")
            .set("aws:CurrentTime", "2026-01-01T00:00:00Z")
            .set("aws:username", "bob")
            .set("s3:max-keys", "10");
        c.set_many("aws:TagKeys", vec!["team".into(), "env".into()]);
        assert_eq!(
            cond("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]).evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"]).evaluate(&c),
            Tri::False
        );
        assert_eq!(
            cond("Bool", "aws:MultiFactorAuthPresent", &["true"]).evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond(
                "DateGreaterThan",
                "aws:CurrentTime",
                &["2020-01-01T00:00:01Z"]
            )
            .evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond("NumericLessThanEquals", "s3:max-keys", &["10"]).evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond("StringLike", "aws:username", &["${aws:username}"]).evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                &["team", "env", "x"]
            )
            .evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond("ForAllValues:StringEquals", "aws:TagKeys", &["team"]).evaluate(&c),
            Tri::False
        );
        assert_eq!(
            cond("ForAnyValue:StringEquals", "aws:TagKeys", &["team"]).evaluate(&c),
            Tri::True
        );
        // unknown key in a partial context
        assert_eq!(
            cond("StringEquals", "aws:PrincipalOrgID", &["o-1"]).evaluate(&c),
            Tri::Unknown
        );
        c.complete = true;
        assert_eq!(
            cond("StringEquals", "aws:PrincipalOrgID", &["o-1"]).evaluate(&c),
            Tri::False
        );
        assert_eq!(
            cond("StringEqualsIfExists", "aws:PrincipalOrgID", &["o-1"]).evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond("StringNotEquals", "aws:PrincipalOrgID", &["o-1"]).evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond("Null", "aws:PrincipalOrgID", &["true"]).evaluate(&c),
            Tri::True
        );
        assert_eq!(
            cond("Null", "aws:username", &["true"]).evaluate(&c),
            Tri::False
        );
        let (u, problem) = Condition::new("StringEqualz", "k", vec![]);
        assert!(problem.is_some());
        assert_eq!(u.evaluate(&c), Tri::Unknown);
    }

    #[test]
    fn cidr() {
        assert!(ip_in("203.0.113.0/24", "203.0.113.9"));
        assert!(!ip_in("203.0.113.0/24", "203.0.114.9"));
        assert!(ip_in("2001:db8::/32", "2001:db8::1"));
        assert!(ip_in("0.0.0.0/0", "1.2.3.4"));
    }
}

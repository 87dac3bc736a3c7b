//! The request context: the condition keys a request carries (`aws:username`,
//! `aws:SourceIp`, …). Keys are matched case-insensitively, as AWS does.
//!
//! Vigil usually evaluates requests nobody has made yet ("could this principal …?"), so most
//! keys are *unknown*, not absent. A context is therefore either partial (a missing key makes
//! a condition undecidable: the decision becomes "allowed if …") or complete (a missing key is
//! absent, with AWS's absent-key semantics).

use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    values: HashMap<String, Vec<String>>,
    /// When true, a key not in `values` is absent from the request; when false it is unknown.
    pub complete: bool,
}

/// A policy variable that had no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingKey(pub String);

impl RequestContext {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.values
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multi-valued key (`aws:TagKeys`, …).
    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.values.insert(key.to_ascii_lowercase(), values);
        self
    }

    pub fn remove(&mut self, key: &str) {
        self.values.remove(&key.to_ascii_lowercase());
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        // Keys are stored lower-cased; callers usually pass lower-cased keys already.
        if let Some(v) = self.values.get(key) {
            return Some(v);
        }
        self.values
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.values.keys()
    }

    /// Replaces `${key}` policy variables (and the `${*}`, `${?}`, `${$}` escapes) in `text`.
    /// A `${key, 'default'}` falls back to its default. Multi-valued keys cannot be used as
    /// variables. Returns the missing key when a variable has no value.
    pub fn substitute<'a>(&self, text: &'a str) -> Result<Cow<'a, str>, MissingKey> {
        if !text.contains("${") {
            return Ok(Cow::Borrowed(text));
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let inner = &after[..end];
            rest = &after[end + 1..];
            match inner {
                "*" => out.push('*'),
                "?" => out.push('?'),
                "$" => out.push('$'),
                _ => {
                    let (key, default) = match inner.split_once(',') {
                        Some((k, d)) => {
                            let d = d.trim().trim_matches('\'');
                            (k.trim(), Some(d))
                        }
                        None => (inner.trim(), None),
                    };
                    match (self.get(key), default) {
                        (Some([one]), _) => out.push_str(one),
                        (_, Some(d)) => out.push_str(d),
                        _ => return Err(MissingKey(key.to_string())),
                    }
                }
            }
        }
        out.push_str(rest);
        Ok(Cow::Owned(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_substituted() {
        let mut c = RequestContext::new();
        c.set("aws:username", "bob");
        assert_eq!(
            c.substitute("arn:aws:iam::1:user/${aws:username}").unwrap(),
            "arn:aws:iam::1:user/bob"
        );
        assert_eq!(c.substitute("a${*}b").unwrap(), "a*b");
        assert_eq!(
            c.substitute("${aws:PrincipalTag/team, 'none'}").unwrap(),
            "none"
        );
        assert!(c.substitute("${aws:userid}").is_err());
    }
}

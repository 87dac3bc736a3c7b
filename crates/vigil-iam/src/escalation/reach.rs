//! Which principals one principal's permission could possibly reach, found from the resource
//! patterns of its allowing statements instead of by asking the evaluator about every
//! principal. Without it the graph is quadratic: in a 10,000-user account where everyone may
//! `iam:CreateAccessKey` on `user/${aws:username}`, each user was checked against each user.
//!
//! The answer is a superset, never a guess: a principal left out is one the evaluator would
//! deny (no identity statement's resource can match it and it has no resource policy), so the
//! graph is the same as with a full scan. The evaluator still decides every candidate.

use crate::arn::arn_like;
use crate::authz::Account;
use crate::context::RequestContext;
use crate::policy::{Effect, ResourceSpec};
use std::cell::RefCell;
use std::collections::HashMap;

/// Principal ARNs sorted, so an exact ARN or the literal prefix before a wildcard selects a
/// contiguous run.
pub struct ArnIndex<'a> {
    sorted: Vec<(&'a str, usize)>,
    /// Principals with a resource-based policy of their own: it may grant without any
    /// identity statement, so they are always candidates.
    with_resource_policy: Vec<usize>,
    /// Matches of each wildcard pattern seen: shared policies repeat the same pattern for
    /// thousands of principals, and a prefix like `…:role/` alone selects every role.
    by_pattern: RefCell<HashMap<String, Vec<usize>>>,
}

impl<'a> ArnIndex<'a> {
    pub fn new(acct: &'a Account) -> ArnIndex<'a> {
        let mut sorted: Vec<(&'a str, usize)> = acct
            .principals
            .iter()
            .enumerate()
            .map(|(i, p)| (p.arn.as_str(), i))
            .collect();
        sorted.sort_unstable();
        let with_resource_policy = acct
            .principals
            .iter()
            .enumerate()
            .filter(|(_, p)| acct.resource_policies.contains_key(&p.arn))
            .map(|(i, _)| i)
            .collect();
        ArnIndex {
            sorted,
            with_resource_policy,
            by_pattern: RefCell::new(HashMap::new()),
        }
    }

    /// The run of principals whose ARN starts with `prefix`.
    fn with_prefix(&self, prefix: &str) -> &[(&'a str, usize)] {
        let start = self.sorted.partition_point(|(a, _)| *a < prefix);
        let rest = self.sorted.get(start..).unwrap_or(&[]);
        let len = rest.partition_point(|(a, _)| a.starts_with(prefix));
        rest.get(..len).unwrap_or(&[])
    }

    /// Adds the principals a resource pattern (variables already substituted) matches.
    /// `false` when the pattern cannot narrow anything (`*`).
    fn matching(&self, pattern: &str, out: &mut Vec<usize>) -> bool {
        match pattern.find(['*', '?']) {
            Some(0) => false,
            // No wildcard: equal ARNs only (arn_like without wildcards is equality).
            None => {
                out.extend(
                    self.with_prefix(pattern)
                        .iter()
                        .filter(|(a, _)| *a == pattern)
                        .map(|&(_, i)| i),
                );
                true
            }
            // Whatever an ARN pattern matches starts with its text before the first
            // wildcard (fields before it compare literally), so only that run is tested.
            Some(w) => {
                let mut memo = self.by_pattern.borrow_mut();
                let hits = memo.entry(pattern.to_string()).or_insert_with(|| {
                    let prefix = pattern.get(..w).unwrap_or("");
                    self.with_prefix(prefix)
                        .iter()
                        .filter(|(a, _)| arn_like(pattern, a))
                        .map(|&(_, i)| i)
                        .collect()
                });
                out.extend_from_slice(hits);
                true
            }
        }
    }

    /// The principals `p` might be allowed `action` on, ascending; `None` means any of them
    /// (a `*` or `NotResource` statement, or a variable the context cannot fill).
    pub fn candidates(
        &self,
        acct: &Account,
        p: usize,
        action: &str,
        ctx: &RequestContext,
    ) -> Option<Vec<usize>> {
        let action = action.to_ascii_lowercase();
        let info = acct.principals.get(p)?;
        let mut out = self.with_resource_policy.clone();
        for st in info
            .identity
            .iter()
            .filter_map(|&i| acct.policies.get(i))
            .flat_map(|pol| pol.statements.iter())
            .filter(|s| s.effect == Effect::Allow && s.matches_action(&action))
        {
            let ResourceSpec::Resource(list) = &st.resources else {
                return None;
            };
            for pat in list {
                let Ok(pat) = ctx.substitute(pat) else {
                    return None;
                };
                if !self.matching(&pat, &mut out) {
                    return None;
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        let doc = serde_json::json!({
            "UserDetailList": [
                {"UserName": "a", "UserId": "A1", "Arn": "arn:aws:iam::1:user/a", "Path": "/",
                 "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
                 "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": {"Version": "2012-10-17",
                    "Statement": {"Effect": "Allow", "Action": "iam:CreateAccessKey",
                                  "Resource": "arn:aws:iam::1:user/${aws:username}"}}}]},
                {"UserName": "ab", "UserId": "A2", "Arn": "arn:aws:iam::1:user/ab", "Path": "/",
                 "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
                 "UserPolicyList": [{"PolicyName": "team", "PolicyDocument": {"Version": "2012-10-17",
                    "Statement": {"Effect": "Allow", "Action": "iam:Create*",
                                  "Resource": "arn:aws:iam::1:user/a*"}}}]},
                {"UserName": "b", "UserId": "A3", "Arn": "arn:aws:iam::1:user/b", "Path": "/",
                 "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
                 "UserPolicyList": [{"PolicyName": "all", "PolicyDocument": {"Version": "2012-10-17",
                    "Statement": {"Effect": "Allow", "Action": "iam:*", "NotResource": "arn:aws:iam::1:user/a"}}}]}
            ],
            "GroupDetailList": [], "RoleDetailList": [], "Policies": []
        });
        Account::from_authorization_details(doc.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn narrows_by_exact_arn_and_prefix() {
        let acct = account();
        let idx = ArnIndex::new(&acct);
        let engine = crate::engine::Engine::new(&acct, vigil_model::Timestamp::from_secs(0));
        let ctx = |p| engine.context(p).unwrap();
        assert_eq!(
            idx.candidates(&acct, 0, "iam:CreateAccessKey", ctx(0)),
            Some(vec![0])
        );
        assert_eq!(
            idx.candidates(&acct, 1, "iam:CreateAccessKey", ctx(1)),
            Some(vec![0, 1])
        );
        assert_eq!(
            idx.candidates(&acct, 1, "iam:DeleteUser", ctx(1)),
            Some(vec![])
        );
        assert_eq!(
            idx.candidates(&acct, 2, "iam:CreateAccessKey", ctx(2)),
            None
        );
    }
}

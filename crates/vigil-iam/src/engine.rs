//! Evaluation against a loaded [`Account`]: who the caller is, what the evaluator may assume
//! about the request (the keys Vigil knows from the inventory), and which policies are in
//! force for a principal and a target.

use crate::authz::{Account, PrincipalKind};
use crate::context::RequestContext;
use crate::eval::{self, Caller, CallerKind, Decision, Outcome, PolicySet, Request, Target};
use crate::policy::Policy;
use vigil_model::Timestamp;

/// An account ready to be asked questions, with the analysis time ("now", from the data).
pub struct Engine<'a> {
    pub account: &'a Account,
    pub now: Timestamp,
    callers: Vec<Caller>,
    contexts: Vec<RequestContext>,
}

/// Actions for which a role's trust policy is the resource-based policy.
fn is_assume_action(action_lower: &str) -> bool {
    matches!(
        action_lower,
        "sts:assumerole"
            | "sts:assumerolewithsaml"
            | "sts:assumerolewithwebidentity"
            | "sts:tagsession"
            | "sts:setsourceidentity"
    )
}

impl<'a> Engine<'a> {
    pub fn new(account: &'a Account, now: Timestamp) -> Engine<'a> {
        let callers = account
            .principals
            .iter()
            .map(|p| Caller {
                arn: p.arn.clone(),
                account: crate::arn::account_of(&p.arn)
                    .unwrap_or(&account.account_id)
                    .to_string(),
                kind: match p.kind {
                    PrincipalKind::User => CallerKind::User,
                    PrincipalKind::Role => CallerKind::Role,
                },
                session_arn: None,
            })
            .collect();
        let contexts = (0..account.principals.len())
            .map(|i| known_context(account, i, now))
            .collect();
        Engine {
            account,
            now,
            callers,
            contexts,
        }
    }

    pub fn caller(&self, p: usize) -> Option<&Caller> {
        self.callers.get(p)
    }

    /// The keys Vigil knows for a principal's requests; everything else is unknown.
    pub fn context(&self, p: usize) -> Option<&RequestContext> {
        self.contexts.get(p)
    }

    fn policies(&self, idx: &[usize]) -> Vec<&'a Policy> {
        idx.iter()
            .filter_map(|&i| self.account.policies.get(i))
            .collect()
    }

    /// The policies in force when principal `p` calls `action` on `target`.
    pub fn policy_set(&self, p: usize, action_lower: &str, target: Target<'_>) -> PolicySet<'a> {
        let acct = self.account;
        let Some(info) = acct.principals.get(p) else {
            return PolicySet::default();
        };
        let resource = match target {
            Target::Arn(arn) if is_assume_action(action_lower) => acct
                .principal_by_arn(arn)
                .and_then(|r| acct.principals.get(r))
                .and_then(|r| r.trust)
                .and_then(|t| acct.policies.get(t)),
            Target::Arn(arn) => acct
                .resource_policies
                .get(arn)
                .and_then(|&i| acct.policies.get(i)),
            Target::Any => None,
        };
        PolicySet {
            identity: self.policies(&info.identity),
            boundary: info.boundary.map(|b| self.policies(&[b])),
            scps: acct.scps.as_ref().map(|s| self.policies(s)),
            session: None,
            resource,
        }
    }

    /// Can principal `p` do `action` on `target`, with the known context plus `extra` keys?
    pub fn decide(&self, p: usize, action: &str, target: Target<'_>) -> Outcome {
        let (Some(caller), Some(ctx)) = (self.callers.get(p), self.contexts.get(p)) else {
            return Outcome::ImplicitDeny;
        };
        let action = action.to_ascii_lowercase();
        let set = self.policy_set(p, &action, target);
        eval::decide(
            &Request {
                caller,
                action: &action,
                target,
                context: ctx,
            },
            &set,
        )
    }

    /// As [`Engine::decide`], with a context the caller adjusts (extra keys, completeness).
    pub fn decide_with(
        &self,
        p: usize,
        action: &str,
        target: Target<'_>,
        ctx: &RequestContext,
    ) -> Outcome {
        let Some(caller) = self.callers.get(p) else {
            return Outcome::ImplicitDeny;
        };
        let action = action.to_ascii_lowercase();
        let set = self.policy_set(p, &action, target);
        eval::decide(
            &Request {
                caller,
                action: &action,
                target,
                context: ctx,
            },
            &set,
        )
    }

    /// The explained decision.
    pub fn explain(
        &self,
        p: usize,
        action: &str,
        target: Target<'_>,
        ctx: &RequestContext,
    ) -> Decision {
        self.explain_in_session(p, action, target, ctx, &[])
    }

    /// As [`Engine::explain`], for a session of `p` created with session policies (the
    /// `Policy`/`PolicyArns` of AssumeRole, AssumeRoleWithSAML/WebIdentity or
    /// GetFederationToken): they must allow the request too. None given: no session policy.
    pub fn explain_in_session(
        &self,
        p: usize,
        action: &str,
        target: Target<'_>,
        ctx: &RequestContext,
        session: &[Policy],
    ) -> Decision {
        let Some(caller) = self.callers.get(p) else {
            return Decision {
                outcome: Outcome::ImplicitDeny,
                reason: "unknown principal".to_string(),
                statements: Vec::new(),
                conditions: Vec::new(),
            };
        };
        let action = action.to_ascii_lowercase();
        let mut set = self.policy_set(p, &action, target);
        if !session.is_empty() {
            set.session = Some(session.iter().collect());
        }
        eval::explain(
            &Request {
                caller,
                action: &action,
                target,
                context: ctx,
            },
            &set,
        )
    }

    /// Would role `r`'s trust policy let the AWS service `service` assume it?
    pub fn service_can_assume(&self, r: usize, service: &str) -> Outcome {
        let acct = self.account;
        let Some(trust) = acct
            .principals
            .get(r)
            .and_then(|i| i.trust)
            .and_then(|t| acct.policies.get(t))
        else {
            return Outcome::ImplicitDeny;
        };
        let Some(role) = acct.principals.get(r) else {
            return Outcome::ImplicitDeny;
        };
        let caller = Caller {
            arn: service.to_string(),
            account: acct.account_id.clone(),
            kind: CallerKind::Service,
            session_arn: None,
        };
        let ctx = RequestContext::new();
        eval::decide(
            &Request {
                caller: &caller,
                action: "sts:assumerole",
                target: Target::Arn(&role.arn),
                context: &ctx,
            },
            &PolicySet {
                resource: Some(trust),
                ..PolicySet::default()
            },
        )
    }
}

/// The request keys that follow from who the principal is and when "now" is. The session's
/// token is taken to be fresh (an attacker's would be), so `aws:TokenIssueTime` is now.
pub fn known_context(account: &Account, p: usize, now: Timestamp) -> RequestContext {
    let mut c = RequestContext::new();
    let Some(info) = account.principals.get(p) else {
        return c;
    };
    let acct = crate::arn::account_of(&info.arn).unwrap_or(&account.account_id);
    c.set("aws:PrincipalArn", info.arn.clone())
        .set("aws:PrincipalAccount", acct)
        .set("aws:CurrentTime", now.to_rfc3339())
        .set("aws:EpochTime", now.as_secs().to_string())
        .set("aws:TokenIssueTime", now.to_rfc3339())
        .set("aws:SecureTransport", "true")
        .set("aws:ViaAWSService", "false")
        .set("aws:PrincipalIsAWSService", "false");
    match info.kind {
        PrincipalKind::User => {
            c.set("aws:username", info.name.clone())
                .set("aws:userid", info.id.clone())
                .set("aws:PrincipalType", "User");
        }
        PrincipalKind::Role => {
            c.set("aws:PrincipalType", "AssumedRole");
        }
    }
    for (k, v) in &info.tags {
        c.set(&format!("aws:PrincipalTag/{k}"), v.clone());
    }
    c
}

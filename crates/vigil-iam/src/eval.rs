//! The policy evaluator, in AWS's order: an explicit deny anywhere wins; then the
//! organisation's SCPs must allow; a resource-based policy may grant on its own (same account,
//! principal named directly); otherwise identity policies must allow; a permissions boundary
//! and a session policy, when present, must allow as well. Cross-account requests need both
//! the identity and the resource side.
//!
//! Every statement evaluates to true, false or unknown (see [`crate::condition`]); unknowns
//! make the decision [`Outcome::ConditionallyAllowed`] with the conditions listed, never a
//! guess. One core serves both the fast path (no explanation, no allocation) used to expand a
//! principal over the whole catalogue and the explained path behind `vigil iam explain`.

use crate::arn::{account_of, arn_like};
use crate::condition::Tri;
use crate::context::RequestContext;
use crate::policy::{
    ActionSpec, Effect, Policy, PolicyKind, PrincipalSpec, Principals, ResourceSpec, Statement,
};
use serde::Serialize;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user or role ARN (not the session), or a service principal name.
    pub arn: String,
    pub account: String,
    pub kind: CallerKind,
    /// `arn:aws:sts::…:assumed-role/R/s` for a role session.
    pub session_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerKind {
    User,
    Role,
    Root,
    Service,
    Anonymous,
}

/// The resource of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Arn(&'a str),
    /// "Some resource": an allow with any resource pattern covers it; a deny covers it only
    /// when its pattern is `*`. Used to ask "can this principal do X at all?".
    Any,
}

/// One request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub caller: &'a Caller,
    /// Lower-cased `service:action`.
    pub action: &'a str,
    pub target: Target<'a>,
    pub context: &'a RequestContext,
}

/// The policies in force for one request, by their place in the evaluation order. `None`
/// for a layer means it does not exist (no boundary, no SCPs …), which is not the same as an
/// empty list (a boundary with no statements denies everything).
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<Vec<&'a Policy>>,
    pub scps: Option<Vec<&'a Policy>>,
    pub session: Option<Vec<&'a Policy>>,
    /// The target's resource-based policy (a role's trust policy for `sts:AssumeRole`).
    pub resource: Option<&'a Policy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
    /// Allowed if the listed conditions hold.
    ConditionallyAllowed,
}

impl Outcome {
    pub fn is_allowed(self) -> bool {
        self == Outcome::Allowed
    }
    pub fn may_allow(self) -> bool {
        matches!(self, Outcome::Allowed | Outcome::ConditionallyAllowed)
    }
}

/// A statement that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    pub policy: String,
    pub kind: PolicyKind,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub via: String,
    pub sid: String,
    pub effect: Effect,
    /// The statement as written.
    pub statement: String,
    /// For an undecided statement: its conditions the context could not settle.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_conditions: Vec<String>,
}

impl StatementRef {
    pub fn new(policy: &Policy, st: &Statement, unknown: Vec<String>) -> Self {
        StatementRef {
            policy: policy.name.clone(),
            kind: policy.kind,
            via: policy.via.clone(),
            sid: st.label(),
            effect: st.effect,
            statement: st.source.to_string(),
            unknown_conditions: unknown,
        }
    }
}

/// The explained decision.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    /// One sentence.
    pub reason: String,
    /// The statements that decided it.
    pub statements: Vec<StatementRef>,
    /// For a conditional allow: what must hold (denies appear negated).
    pub conditions: Vec<String>,
}

/// How a resource-policy statement named the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    No,
    /// Through the account (`123…` or `arn:…:root`): the identity side must allow too.
    Account,
    /// By the caller's own ARN, its session ARN, or `*`.
    Directly,
}

fn principal_named(p: &Principals, caller: &Caller) -> Named {
    let mut best = Named::No;
    if p.any {
        return Named::Directly;
    }
    match caller.kind {
        CallerKind::Service => {
            if p.service
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&caller.arn))
            {
                return Named::Directly;
            }
        }
        _ => {
            for a in &p.aws {
                if *a == caller.arn || caller.session_arn.as_deref() == Some(a.as_str()) {
                    return Named::Directly;
                }
                let acct = if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) {
                    Some(a.as_str())
                } else if a.ends_with(":root") {
                    account_of(a)
                } else {
                    None
                };
                if acct == Some(caller.account.as_str()) {
                    best = Named::Account;
                }
            }
        }
    }
    best
}

/// Whether a statement applies, and how the caller was named (resource policies only).
fn applies(
    st: &Statement,
    req: &Request<'_>,
    mut unknown: Option<&mut Vec<String>>,
) -> (Tri, Named) {
    if !st.matches_action(req.action) {
        return (Tri::False, Named::No);
    }
    let named = match &st.principals {
        PrincipalSpec::Absent => Named::Directly,
        PrincipalSpec::Principal(p) => principal_named(p, req.caller),
        PrincipalSpec::NotPrincipal(p) => {
            if principal_named(p, req.caller) == Named::No {
                Named::Directly
            } else {
                Named::No
            }
        }
    };
    if named == Named::No {
        return (Tri::False, Named::No);
    }
    let mut tri = resource_matches(st, req, unknown.as_deref_mut());
    if tri == Tri::False {
        return (Tri::False, named);
    }
    for c in &st.conditions {
        let t = c.evaluate(req.context);
        if t == Tri::Unknown
            && let Some(u) = unknown.as_deref_mut()
        {
            u.push(c.describe());
        }
        tri = tri.and(t);
        if tri == Tri::False {
            return (Tri::False, named);
        }
    }
    (tri, named)
}

fn resource_matches(st: &Statement, req: &Request<'_>, unknown: Option<&mut Vec<String>>) -> Tri {
    let (list, negate) = match &st.resources {
        ResourceSpec::Absent => return Tri::True,
        ResourceSpec::Resource(l) => (l, false),
        ResourceSpec::NotResource(l) => (l, true),
    };
    let arn = match req.target {
        Target::Any => {
            let has_star = list.iter().any(|p| p == "*");
            return Tri::from_bool(match (st.effect, negate) {
                (Effect::Allow, false) => !list.is_empty(),
                (Effect::Allow, true) => !has_star,
                (Effect::Deny, false) => has_star,
                (Effect::Deny, true) => list.is_empty(),
            });
        }
        Target::Arn(a) => a,
    };
    let mut hit = Tri::False;
    let mut missing = None;
    for p in list {
        let m = match req.context.substitute(p) {
            Ok(pat) => Tri::from_bool(arn_like(&pat, arn)),
            Err(k) if req.context.complete => {
                let _ = k;
                Tri::False
            }
            Err(k) => {
                missing = Some(k.0);
                Tri::Unknown
            }
        };
        hit = hit.or(m);
        if hit == Tri::True {
            break;
        }
    }
    if hit == Tri::Unknown
        && let (Some(u), Some(k)) = (unknown, missing)
    {
        u.push(format!(
            "the value of policy variable `{k}` in the resource"
        ));
    }
    if negate {
        match hit {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    } else {
        hit
    }
}

/// The allow side of one layer: true if some allow applies, unknown if one might.
struct LayerResult {
    tri: Tri,
    named: Named,
}

fn allow_layer<'p>(
    policies: impl Iterator<Item = &'p Policy>,
    req: &Request<'_>,
    mut explain: Option<&mut Vec<StatementRef>>,
) -> LayerResult {
    let mut res = LayerResult {
        tri: Tri::False,
        named: Named::No,
    };
    for p in policies {
        for st in p.statements.iter().filter(|s| s.effect == Effect::Allow) {
            let mut unknown = Vec::new();
            let (t, named) = applies(
                st,
                req,
                if explain.is_some() {
                    Some(&mut unknown)
                } else {
                    None
                },
            );
            if t == Tri::False {
                continue;
            }
            if let Some(e) = explain.as_deref_mut() {
                e.push(StatementRef::new(
                    p,
                    st,
                    if t == Tri::Unknown {
                        unknown
                    } else {
                        Vec::new()
                    },
                ));
            }
            if t == Tri::True && named >= res.named {
                res.named = named;
            }
            res.tri = res.tri.or(t);
            if res.tri == Tri::True && explain.is_none() && res.named == Named::Directly {
                return res;
            }
        }
    }
    res
}

/// Decides a request without explaining it.
pub fn decide(req: &Request<'_>, set: &PolicySet<'_>) -> Outcome {
    core(req, set, None)
}

/// Decides a request and says why.
pub fn explain(req: &Request<'_>, set: &PolicySet<'_>) -> Decision {
    let mut ex = Explanation::default();
    let outcome = core(req, set, Some(&mut ex));
    let mut conditions = Vec::new();
    let mut statements = Vec::new();
    match outcome {
        Outcome::ExplicitDeny => statements.extend(ex.denies.into_iter().take(1)),
        Outcome::Allowed => statements.extend(
            ex.allows
                .into_iter()
                .filter(|s| s.unknown_conditions.is_empty()),
        ),
        Outcome::ImplicitDeny => statements.extend(ex.allows),
        Outcome::ConditionallyAllowed => {
            for s in ex
                .allows
                .iter()
                .filter(|s| !s.unknown_conditions.is_empty())
            {
                conditions.push(s.unknown_conditions.join(" and "));
            }
            for s in &ex.maybe_denies {
                conditions.push(format!(
                    "not ({}) [deny {} in {}]",
                    s.unknown_conditions.join(" and "),
                    s.sid,
                    s.policy
                ));
            }
            statements.extend(ex.allows);
            statements.extend(ex.maybe_denies);
        }
    }
    conditions.dedup();
    Decision {
        outcome,
        reason: ex.reason,
        statements,
        conditions,
    }
}

#[derive(Default)]
struct Explanation {
    reason: String,
    denies: Vec<StatementRef>,
    maybe_denies: Vec<StatementRef>,
    allows: Vec<StatementRef>,
}

fn all_policies<'s, 'p>(set: &'s PolicySet<'p>) -> impl Iterator<Item = &'p Policy> + 's {
    set.identity
        .iter()
        .copied()
        .chain(set.boundary.iter().flatten().copied())
        .chain(set.scps.iter().flatten().copied())
        .chain(set.session.iter().flatten().copied())
        .chain(set.resource)
}

fn core(req: &Request<'_>, set: &PolicySet<'_>, mut ex: Option<&mut Explanation>) -> Outcome {
    // 1. Explicit deny anywhere.
    let mut deny_unknown = false;
    for p in all_policies(set) {
        for st in p.statements.iter().filter(|s| s.effect == Effect::Deny) {
            let mut unknown = Vec::new();
            let (t, _) = applies(st, req, ex.is_some().then_some(&mut unknown));
            match t {
                Tri::True => {
                    if let Some(e) = ex.as_deref_mut() {
                        e.reason = format!(
                            "explicitly denied by statement {} of {}",
                            st.label(),
                            p.name
                        );
                        e.denies.push(StatementRef::new(p, st, Vec::new()));
                    }
                    return Outcome::ExplicitDeny;
                }
                Tri::Unknown => {
                    deny_unknown = true;
                    if let Some(e) = ex.as_deref_mut() {
                        e.maybe_denies.push(StatementRef::new(p, st, unknown));
                    }
                }
                Tri::False => {}
            }
        }
    }
    let mut allows = Vec::new();
    let mut sink = ex.is_some().then_some(&mut allows);
    let implicit = |why: &str, ex: Option<&mut Explanation>| {
        if let Some(e) = ex {
            e.reason = why.to_string();
        }
        Outcome::ImplicitDeny
    };
    // 2. SCPs.
    let mut need = Tri::True;
    if let Some(scps) = &set.scps {
        let r = allow_layer(scps.iter().copied(), req, sink.as_deref_mut());
        if r.tri == Tri::False {
            if let Some(e) = ex.as_deref_mut() {
                e.allows = allows;
            }
            return implicit("no service control policy allows it", ex);
        }
        need = need.and(r.tri);
    }
    // 3. Resource-based policy and 4. identity policies.
    let rp = set
        .resource
        .map(|p| allow_layer(std::iter::once(p), req, sink.as_deref_mut()));
    let id = allow_layer(set.identity.iter().copied(), req, sink.as_deref_mut());
    let cross_account = match req.target {
        Target::Arn(a) => {
            account_of(a).is_some_and(|acct| acct != req.caller.account)
                && req.caller.kind != CallerKind::Service
        }
        Target::Any => false,
    };
    let rp_tri = rp.as_ref().map_or(Tri::False, |r| r.tri);
    let rp_direct = rp.as_ref().is_some_and(|r| r.named == Named::Directly);
    let mut bypass_boundary = false;
    let granted = if req.caller.kind == CallerKind::Service {
        rp_tri
    } else if cross_account {
        // Both sides must allow.
        if rp.is_some() {
            id.tri.and(rp_tri)
        } else {
            Tri::False
        }
    } else if rp_direct && rp_tri == Tri::True {
        // A resource policy naming the caller directly grants on its own in the same account
        // (IAM User Guide, "Policy evaluation logic"; for a role's trust policy the STS API
        // Reference, AssumeRole: "When a resource-based policy grants access to a principal in
        // the same account, no additional identity-based policy is required"). Naming a user
        // (or a role session) also passes an implicit deny in a boundary; naming a role leaves
        // the boundary in force. Trust policies are the exception: the boundary must still
        // allow sts:AssumeRole (IAM User Guide, "Update a role trust policy").
        let trust = set.resource.is_some_and(|p| p.kind == PolicyKind::Trust);
        bypass_boundary =
            !trust && (req.caller.kind == CallerKind::User || req.caller.session_arn.is_some());
        Tri::True
    } else if rp_direct {
        id.tri.or(rp_tri)
    } else {
        id.tri
    };
    if granted == Tri::False {
        if let Some(e) = ex.as_deref_mut() {
            e.allows = allows;
        }
        let why = if cross_account {
            "cross-account: the identity policies and the resource policy must both allow it"
        } else {
            "no policy allows it (implicit deny)"
        };
        return implicit(why, ex);
    }
    need = need.and(granted);
    // 5. Permissions boundary, 6. session policy.
    if !bypass_boundary && let Some(b) = &set.boundary {
        let r = allow_layer(b.iter().copied(), req, sink.as_deref_mut());
        if r.tri == Tri::False {
            if let Some(e) = ex.as_deref_mut() {
                e.allows = allows;
            }
            return implicit("the permissions boundary does not allow it", ex);
        }
        need = need.and(r.tri);
    }
    if let Some(s) = &set.session {
        let r = allow_layer(s.iter().copied(), req, sink);
        if r.tri == Tri::False {
            if let Some(e) = ex.as_deref_mut() {
                e.allows = allows;
            }
            return implicit("the session policy does not allow it", ex);
        }
        need = need.and(r.tri);
    }
    let outcome = if need == Tri::True && !deny_unknown {
        Outcome::Allowed
    } else {
        Outcome::ConditionallyAllowed
    };
    if let Some(e) = ex {
        e.allows = allows;
        e.reason = match outcome {
            Outcome::Allowed => "allowed".to_string(),
            _ => {
                "allowed only if the listed conditions hold (the context does not say)".to_string()
            }
        };
    }
    outcome
}

/// Does any statement of the action side mention this action at all? Cheap pre-filter.
pub fn statement_mentions(st: &Statement, action_lower: &str) -> bool {
    match &st.actions {
        ActionSpec::Action(g) => g.iter().any(|g| g.matches(action_lower)),
        ActionSpec::NotAction(_) => true,
    }
}

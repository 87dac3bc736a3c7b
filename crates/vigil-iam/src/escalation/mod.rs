//! The privilege-escalation graph: principal → principal edges ("can obtain the credentials
//! of") and principal → admin edges ("can give itself any permission"), each with the method
//! and the statements that justify it, and the shortest path from every principal to admin.

pub mod methods;
mod reach;

use crate::authz::PrincipalKind;
use crate::catalog::Catalog;
use crate::effective::Effective;
use crate::engine::Engine;
use crate::eval::{Outcome, StatementRef, Target};
use crate::policy::{Effect, ResourceSpec};
use methods::{Become, Family, METHODS, Modify};
use reach::ArnIndex;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// Where an edge leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "index")]
pub enum Node {
    Principal(usize),
    /// Full administrative power.
    Admin,
    /// Workloads of an AWS service (index into [`EscalationGraph::services`]): whoever can run
    /// code there reaches every role the service can assume. Keeps the graph linear instead of
    /// one edge per (principal, role) pair.
    Service(usize),
}

/// What one permission check of an edge asked, so its statements can be fetched on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckTarget {
    Any,
    Principal(usize),
    Arn(std::sync::Arc<str>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCheck {
    pub action: &'static str,
    pub target: CheckTarget,
}

/// One escalation step.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    /// A principal index, or a service index when `from_service`.
    pub from: usize,
    /// True for a service → role edge (`from` indexes [`EscalationGraph::services`]).
    pub from_service: bool,
    pub to: Node,
    /// pathfinding.cloud id (`iam-012`) or a `vigil-iam-…` id.
    pub method: &'static str,
    /// The permissions used, for people.
    pub method_name: String,
    /// The principal, group or policy the method acts on, when it is not `to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// True when some needed permission holds only under conditions Vigil cannot settle.
    pub conditional: bool,
    /// True when the method needs a workload (instance, function, stack …) that the
    /// inventory does not list: the edge exists if such a workload runs with the role.
    pub needs_existing_resource: bool,
    /// The permissions the method used, and on what.
    #[serde(skip)]
    pub checks: Vec<EdgeCheck>,
    /// The permissions the method used.
    pub actions: Vec<&'static str>,
    /// The allowing statements behind each permission used. Filled for the edges on the
    /// reported shortest paths; for any other edge call [`EscalationGraph::justify`].
    pub statements: Vec<StatementRef>,
}

/// The graph and the shortest paths to admin.
#[derive(Debug, Clone, Default)]
pub struct EscalationGraph {
    pub edges: Vec<Edge>,
    /// Principals that are admin already.
    pub admins: Vec<bool>,
    /// Service principals of the [`Node::Service`] nodes.
    pub services: Vec<&'static str>,
    /// Per node (principals, then services): the edge to take next on a shortest path.
    next: Vec<Option<usize>>,
    outgoing: Vec<Vec<usize>>,
    incoming: Vec<Vec<usize>>,
}

/// Is this principal effectively a full administrator? Every IAM action and at least 99 %
/// of the catalogue, unconditionally, on every resource.
pub fn is_admin(cat: &Catalog, eff: &Effective) -> bool {
    let Some(iam) = cat.service_index("iam") else {
        return false;
    };
    cat.service_actions(iam).all(|i| eff.on_all.contains(i))
        && eff.on_all.count() * 100 >= cat.len() * 99
}

struct Builder<'e, 'a> {
    engine: &'e Engine<'a>,
    cat: &'e Catalog,
    effs: &'e [Effective],
    edges: Vec<Edge>,
    /// Members (principal indexes) of each group.
    group_members: Vec<Vec<usize>>,
    /// Principals each customer-managed policy applies to, by managed index.
    policy_holders: HashMap<usize, Vec<usize>>,
    services: Vec<&'static str>,
    /// Edges whose `from` is a service node index, not a principal.
    service_edges: Vec<usize>,
    /// Principals by ARN, to find the targets a permission can reach without a full scan.
    arns: ArnIndex<'e>,
    /// Each method's name for people, made once: admins have an edge to nearly everyone.
    method_names: HashMap<&'static str, String>,
}

/// A permission check that passed: outcome plus the request, so the justification can be
/// fetched only for edges that exist.
#[derive(Clone)]
struct Check {
    action: &'static str,
    target: CheckTarget,
    conditional: bool,
}

impl Builder<'_, '_> {
    fn granted(&self, p: usize, action: &str) -> bool {
        self.effs
            .get(p)
            .is_some_and(|e| e.allows_somewhere(self.cat, action))
    }

    fn check(&self, p: usize, action: &'static str, target: Option<&str>) -> Option<Check> {
        let t = target.map_or(Target::Any, Target::Arn);
        let conditional = match self.engine.decide(p, action, t) {
            Outcome::Allowed => false,
            Outcome::ConditionallyAllowed => true,
            _ => return None,
        };
        let target = match target {
            None => CheckTarget::Any,
            Some(arn) => match self.engine.account.principal_by_arn(arn) {
                Some(q) => CheckTarget::Principal(q),
                None => CheckTarget::Arn(arn.into()),
            },
        };
        Some(Check {
            action,
            target,
            conditional,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        from: usize,
        to: Node,
        method: &'static str,
        via: Option<String>,
        checks: &[Check],
        extra_conditional: bool,
        needs_existing_resource: bool,
    ) {
        let method_name = self
            .method_names
            .entry(method)
            .or_insert_with(|| {
                methods::by_id(method).map_or_else(|| method.to_string(), |m| m.name())
            })
            .clone();
        self.edges.push(Edge {
            from,
            from_service: false,
            to,
            method,
            method_name,
            via,
            conditional: extra_conditional || checks.iter().any(|c| c.conditional),
            needs_existing_resource,
            actions: checks.iter().map(|c| c.action).collect(),
            checks: checks
                .iter()
                .map(|c| EdgeCheck {
                    action: c.action,
                    target: c.target.clone(),
                })
                .collect(),
            statements: Vec::new(),
        });
    }

    /// The principals (of `kind`, other than `skip`) that `p` may reach with `action`, in
    /// index order: the candidates the evaluator must decide; any other would be denied.
    fn reachable(
        &self,
        p: usize,
        action: &str,
        kind: PrincipalKind,
        skip: Option<usize>,
    ) -> Vec<usize> {
        let acct = self.engine.account;
        let cands = self
            .engine
            .context(p)
            .and_then(|ctx| self.arns.candidates(acct, p, action, ctx));
        let keep =
            |q: &usize| Some(*q) != skip && acct.principals.get(*q).is_some_and(|i| i.kind == kind);
        match cands {
            Some(c) => c.into_iter().filter(keep).collect(),
            None => (0..acct.principals.len()).filter(keep).collect(),
        }
    }

    /// The principals whose permissions `p` can change, with how and on what.
    fn modify_targets(&self, p: usize) -> Vec<(usize, Modify, Check, String)> {
        let acct = self.engine.account;
        let mut out = Vec::new();
        for m in Modify::ALL {
            if !self.granted(p, m.action()) {
                continue;
            }
            match m {
                Modify::AttachUserPolicy
                | Modify::PutUserPolicy
                | Modify::AttachRolePolicy
                | Modify::PutRolePolicy => {
                    let kind = if matches!(m, Modify::AttachUserPolicy | Modify::PutUserPolicy) {
                        PrincipalKind::User
                    } else {
                        PrincipalKind::Role
                    };
                    for q in self.reachable(p, m.action(), kind, None) {
                        let Some(info) = acct.principals.get(q) else {
                            continue;
                        };
                        if let Some(c) = self.check(p, m.action(), Some(&info.arn)) {
                            out.push((q, m, c, info.arn.clone()));
                        }
                    }
                }
                Modify::AttachGroupPolicy | Modify::PutGroupPolicy => {
                    for (g, group) in acct.groups.iter().enumerate() {
                        if group.arn.is_empty() {
                            continue;
                        }
                        if let Some(c) = self.check(p, m.action(), Some(&group.arn)) {
                            for &q in self.group_members.get(g).into_iter().flatten() {
                                out.push((q, m, c.clone(), group.arn.clone()));
                            }
                        }
                    }
                }
                Modify::CreatePolicyVersion => {
                    for (mi, mp) in acct.managed.iter().enumerate() {
                        if mp.aws_managed {
                            continue;
                        }
                        let Some(holders) = self.policy_holders.get(&mi) else {
                            continue;
                        };
                        if let Some(c) = self.check(p, m.action(), Some(&mp.arn)) {
                            for &q in holders {
                                out.push((q, m, c.clone(), mp.arn.clone()));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// The principals whose credentials `p` can obtain.
    fn become_targets(&self, p: usize) -> Vec<(usize, Become, Check)> {
        let acct = self.engine.account;
        let mut out = Vec::new();
        for b in [
            Become::CreateAccessKey,
            Become::CreateLoginProfile,
            Become::UpdateLoginProfile,
        ] {
            if !self.granted(p, b.action()) {
                continue;
            }
            for q in self.reachable(p, b.action(), PrincipalKind::User, Some(p)) {
                let Some(info) = acct.principals.get(q) else {
                    continue;
                };
                if let Some(c) = self.check(p, b.action(), Some(&info.arn)) {
                    out.push((q, b, c));
                }
            }
        }
        if self.granted(p, Become::UpdateAssumeRolePolicy.action()) {
            let action = Become::UpdateAssumeRolePolicy.action();
            for q in self.reachable(p, action, PrincipalKind::Role, Some(p)) {
                let Some(info) = acct.principals.get(q) else {
                    continue;
                };
                if let Some(c) =
                    self.check(p, Become::UpdateAssumeRolePolicy.action(), Some(&info.arn))
                {
                    out.push((q, Become::UpdateAssumeRolePolicy, c));
                }
            }
        }
        out
    }

    fn build(&mut self) {
        let acct = self.engine.account;
        let n = acct.principals.len();
        // sts:AssumeRole: candidates are the principals a trust policy names, plus everyone
        // holding sts:AssumeRole when it names the account or anyone.
        let assumers: Vec<usize> = (0..n)
            .filter(|&p| self.granted(p, "sts:AssumeRole"))
            .collect();
        // The roles each assumer's identity policies could allow it to assume (`None`: any).
        let assumable: Vec<Option<Vec<usize>>> = assumers
            .iter()
            .map(|&p| {
                self.engine
                    .context(p)
                    .and_then(|ctx| self.arns.candidates(acct, p, "sts:AssumeRole", ctx))
            })
            .collect();
        for (r, role) in acct.principals.iter().enumerate() {
            let Some(trust) = role.trust.and_then(|t| acct.policies.get(t)) else {
                continue;
            };
            let mut candidates: Vec<usize> = Vec::new();
            let mut broad = false;
            // A statement that names anyone (`*`, `NotPrincipal`, no principal) grants on its
            // own; one naming an account needs the identity side too, so only assumers whose
            // identity statements can match this role are candidates then.
            let mut grants_alone = false;
            for st in trust
                .statements
                .iter()
                .filter(|s| s.effect == Effect::Allow)
            {
                match &st.principals {
                    crate::policy::PrincipalSpec::Principal(pr) => {
                        broad |= pr.any;
                        grants_alone |= pr.any;
                        for a in &pr.aws {
                            if let Some(i) = acct.principal_by_arn(a) {
                                candidates.push(i);
                            } else {
                                broad = true;
                            }
                        }
                    }
                    _ => {
                        broad = true;
                        grants_alone = true;
                    }
                }
            }
            if broad && grants_alone {
                candidates.extend(assumers.iter().copied());
            } else if broad {
                candidates.extend(assumers.iter().zip(&assumable).filter_map(|(&p, a)| {
                    a.as_ref()
                        .is_none_or(|roles| roles.binary_search(&r).is_ok())
                        .then_some(p)
                }));
            }
            candidates.sort_unstable();
            candidates.dedup();
            for p in candidates {
                if p == r {
                    continue;
                }
                if let Some(c) = self.check(p, "sts:AssumeRole", Some(&role.arn)) {
                    self.push(p, Node::Principal(r), "sts-001", None, &[c], false, false);
                }
            }
        }
        // Roles each service can assume.
        let mut service_roles: HashMap<&'static str, Vec<(usize, bool)>> = HashMap::new();
        for m in METHODS {
            if let Family::NewPassRole { service, .. } | Family::ExistingWorkload { service, .. } =
                m.family
            {
                service_roles.entry(service).or_insert_with(|| {
                    (0..n)
                        .filter(|&r| {
                            acct.principals
                                .get(r)
                                .is_some_and(|i| i.kind == PrincipalKind::Role)
                        })
                        .filter_map(|r| match self.engine.service_can_assume(r, service) {
                            Outcome::Allowed => Some((r, false)),
                            Outcome::ConditionallyAllowed => Some((r, true)),
                            _ => None,
                        })
                        .collect()
                });
            }
        }
        // Groups whose members can give themselves anything: an unconditional allow on every
        // resource for `*` or for an action that rewrites one's own permissions.
        let self_modify = [
            "iam:putuserpolicy",
            "iam:attachuserpolicy",
            "iam:addusertogroup",
        ];
        let admin_groups: Vec<usize> = acct
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                g.policies.iter().filter_map(|&i| acct.policies.get(i)).any(|p| {
                    p.statements.iter().any(|s| {
                        s.effect == Effect::Allow
                            && s.conditions.is_empty()
                            && self_modify.iter().any(|a| s.matches_action(a))
                            && matches!(&s.resources, ResourceSpec::Resource(r) if r.iter().any(|x| x == "*"))
                    })
                }) && !g.policies.iter().filter_map(|&i| acct.policies.get(i)).any(|p| {
                    p.statements.iter().any(|s| s.effect == Effect::Deny && s.matches_action("iam:putuserpolicy"))
                })
            })
            .map(|(i, _)| i)
            .collect();
        // The first sts-001 edge per (from, to): all of them exist by now.
        let mut assume_edge: HashMap<(usize, usize), bool> = HashMap::new();
        for e in &self.edges {
            if let (Node::Principal(q), "sts-001") = (e.to, e.method) {
                assume_edge.entry((e.from, q)).or_insert(e.conditional);
            }
        }
        for p in 0..n {
            let modify = self.modify_targets(p);
            let become_list = self.become_targets(p);
            // Per target, the first way to become it that a permission change can use.
            let mut become_by_target: HashMap<usize, (Become, bool)> = HashMap::new();
            for (t, b, c) in &become_list {
                if matches!(b, Become::CreateAccessKey | Become::UpdateAssumeRolePolicy) {
                    become_by_target.entry(*t).or_insert((*b, c.conditional));
                }
            }
            for (q, b, c) in &become_list {
                self.push(
                    p,
                    Node::Principal(*q),
                    methods::become_id(*b),
                    None,
                    std::slice::from_ref(c),
                    false,
                    false,
                );
            }
            for (q, m, c, on) in &modify {
                if *q == p {
                    self.push(
                        p,
                        Node::Admin,
                        methods::self_id(*m),
                        Some(on.clone()),
                        std::slice::from_ref(c),
                        false,
                        false,
                    );
                    continue;
                }
                // Change q, then become q.
                let via_assume = assume_edge
                    .get(&(p, *q))
                    .map(|&cond| (Become::AssumeRole, cond));
                let found = become_by_target.get(q).copied().or(via_assume);
                if let Some((b, cond)) = found {
                    let name = acct.principals.get(*q).map(|i| i.arn.clone());
                    let mut checks = vec![c.clone()];
                    if let Some(arn) = &name
                        && let Some(bc) = self.check(p, b.action(), Some(arn))
                    {
                        checks.push(bc);
                    }
                    self.push(
                        p,
                        Node::Admin,
                        methods::combo_id(*m, b),
                        name,
                        &checks,
                        cond,
                        false,
                    );
                }
            }
            // Add oneself to a group with administrative power.
            if acct
                .principals
                .get(p)
                .is_some_and(|i| i.kind == PrincipalKind::User)
                && self.granted(p, "iam:AddUserToGroup")
            {
                for &g in &admin_groups {
                    let Some(group) = acct.groups.get(g) else {
                        continue;
                    };
                    if acct
                        .principals
                        .get(p)
                        .is_some_and(|i| i.groups.contains(&g))
                    {
                        continue;
                    }
                    if let Some(c) = self.check(p, "iam:AddUserToGroup", Some(&group.arn)) {
                        self.push(
                            p,
                            Node::Admin,
                            "iam-013",
                            Some(group.arn.clone()),
                            &[c],
                            false,
                            false,
                        );
                        break;
                    }
                }
            }
            // Switch one's own customer-managed policy to another version.
            if self.granted(p, "iam:SetDefaultPolicyVersion") {
                for (mi, mp) in acct.managed.iter().enumerate() {
                    if mp.aws_managed
                        || !self.policy_holders.get(&mi).is_some_and(|h| h.contains(&p))
                    {
                        continue;
                    }
                    if let Some(c) = self.check(p, "iam:SetDefaultPolicyVersion", Some(&mp.arn)) {
                        // Only the versions the file lists are known; with none, the edge
                        // holds if an earlier version (deleted from view) granted more.
                        let extra = mp.other_versions.is_empty();
                        self.push(
                            p,
                            Node::Admin,
                            "vigil-iam-setdefaultpolicyversion",
                            Some(mp.arn.clone()),
                            &[c],
                            extra,
                            false,
                        );
                        break;
                    }
                }
            }
            // Services that run code with a role.
            let mut reached_service: Vec<bool> = vec![false; self.services.len()];
            for m in METHODS {
                let (service, actions, new) = match m.family {
                    Family::NewPassRole { service, actions } => (service, actions, true),
                    Family::ExistingWorkload { service, actions } => (service, actions, false),
                    _ => continue,
                };
                let Some(si) = self.services.iter().position(|s| *s == service) else {
                    continue;
                };
                if reached_service.get(si).copied().unwrap_or(true) {
                    continue;
                }
                if !actions.iter().all(|a| self.granted(p, a)) {
                    continue;
                }
                let Some(mut checks) = actions
                    .iter()
                    .map(|a| self.check(p, a, None))
                    .collect::<Option<Vec<Check>>>()
                else {
                    continue;
                };
                let roles = service_roles.get(service).cloned().unwrap_or_default();
                if roles.is_empty() {
                    continue;
                }
                if !new {
                    self.push(p, Node::Service(si), m.id, None, &checks, false, true);
                    reached_service[si] = true;
                    continue;
                }
                // PassRole on every role: the service node stands for all of them.
                let pass_all = self
                    .effs
                    .get(p)
                    .is_some_and(|e| e.allows_everywhere(self.cat, "iam:PassRole"));
                if pass_all {
                    checks.push(Check {
                        action: "iam:PassRole",
                        target: CheckTarget::Arn("*".into()),
                        conditional: false,
                    });
                    self.push(p, Node::Service(si), m.id, None, &checks, false, false);
                    reached_service[si] = true;
                    continue;
                }
                for (r, trust_cond) in roles {
                    if r == p {
                        continue;
                    }
                    let Some(arn) = acct.principals.get(r).map(|i| i.arn.clone()) else {
                        continue;
                    };
                    let Some(pass) = self.check_passrole(p, &arn, service) else {
                        continue;
                    };
                    let mut all = checks.clone();
                    all.push(pass);
                    self.push(p, Node::Principal(r), m.id, None, &all, trust_cond, false);
                }
            }
        }
        // Service workloads run as the roles their service can assume.
        for (si, service) in self.services.clone().into_iter().enumerate() {
            for (r, cond) in service_roles.get(service).cloned().unwrap_or_default() {
                let method_name = format!("{service} runs code as this role (trust policy)");
                let statements = Vec::new();
                self.edges.push(Edge {
                    from: si,
                    from_service: true,
                    to: Node::Principal(r),
                    method: "vigil-iam-service-role",
                    method_name,
                    via: Some(service.to_string()),
                    conditional: cond,
                    needs_existing_resource: false,
                    checks: vec![EdgeCheck {
                        action: "sts:AssumeRole",
                        target: CheckTarget::Principal(r),
                    }],
                    actions: vec!["sts:AssumeRole"],
                    statements,
                });
                self.service_edges.push(self.edges.len() - 1);
            }
        }
    }

    fn check_passrole(&self, p: usize, role_arn: &str, service: &str) -> Option<Check> {
        if !self.granted(p, "iam:PassRole") {
            return None;
        }
        let mut ctx = self.engine.context(p)?.clone();
        ctx.set("iam:PassedToService", service);
        let target = match self.engine.account.principal_by_arn(role_arn) {
            Some(r) => CheckTarget::Principal(r),
            None => CheckTarget::Arn(role_arn.into()),
        };
        match self
            .engine
            .decide_with(p, "iam:PassRole", Target::Arn(role_arn), &ctx)
        {
            Outcome::Allowed => Some(Check {
                action: "iam:PassRole",
                target,
                conditional: false,
            }),
            Outcome::ConditionallyAllowed => Some(Check {
                action: "iam:PassRole",
                target,
                conditional: true,
            }),
            _ => None,
        }
    }
}

impl EscalationGraph {
    /// Builds every edge and the shortest paths. `effs[p]` must be principal `p`'s effective
    /// permissions.
    pub fn build(engine: &Engine<'_>, cat: &Catalog, effs: &[Effective]) -> EscalationGraph {
        let acct = engine.account;
        let mut group_members = vec![Vec::new(); acct.groups.len()];
        let mut policy_holders: HashMap<usize, Vec<usize>> = HashMap::new();
        let by_policy: HashMap<usize, usize> = acct
            .managed
            .iter()
            .enumerate()
            .map(|(mi, m)| (m.policy, mi))
            .collect();
        for (p, info) in acct.principals.iter().enumerate() {
            for &g in &info.groups {
                if let Some(m) = group_members.get_mut(g) {
                    m.push(p);
                }
            }
            for pol in &info.identity {
                if let Some(&mi) = by_policy.get(pol) {
                    let h = policy_holders.entry(mi).or_default();
                    // `p` only grows, so a repeat can only be the last entry.
                    if h.last() != Some(&p) {
                        h.push(p);
                    }
                }
            }
        }
        let mut b = Builder {
            engine,
            cat,
            effs,
            edges: Vec::new(),
            group_members,
            policy_holders,
            services: {
                let mut v: Vec<&'static str> = Vec::new();
                for m in METHODS {
                    if let Family::NewPassRole { service, .. }
                    | Family::ExistingWorkload { service, .. } = m.family
                        && !v.contains(&service)
                    {
                        v.push(service);
                    }
                }
                v
            },
            service_edges: Vec::new(),
            arns: ArnIndex::new(acct),
            method_names: HashMap::new(),
        };
        b.build();
        let admins: Vec<bool> = effs.iter().map(|e| is_admin(cat, e)).collect();
        let n = acct.principals.len();
        let total = n + b.services.len();
        let mut outgoing = vec![Vec::new(); total];
        let mut incoming = vec![Vec::new(); total];
        let service_edges: std::collections::HashSet<usize> =
            b.service_edges.iter().copied().collect();
        for (i, e) in b.edges.iter().enumerate() {
            let from = if service_edges.contains(&i) {
                n + e.from
            } else {
                e.from
            };
            if let Some(v) = outgoing.get_mut(from) {
                v.push(i);
            }
            let to = match e.to {
                Node::Principal(q) => Some(q),
                Node::Service(s) => Some(n + s),
                Node::Admin => None,
            };
            if let Some(v) = to.and_then(|t| incoming.get_mut(t)) {
                v.push(i);
            }
        }
        let mut g = EscalationGraph {
            edges: b.edges,
            admins,
            services: b.services,
            next: vec![None; total],
            outgoing,
            incoming,
        };
        g.shortest_paths();
        // Justify the edges people will see: those on the shortest paths.
        let on_paths: Vec<usize> = g.next.iter().flatten().copied().collect();
        for i in on_paths {
            let stmts = g
                .edges
                .get(i)
                .map(|e| g.justify(engine, e))
                .unwrap_or_default();
            if let Some(e) = g.edges.get_mut(i) {
                e.statements = stmts;
            }
        }
        g
    }

    /// The allowing statements behind an edge's permissions (the trust statement for a
    /// service → role edge).
    pub fn justify(&self, engine: &Engine<'_>, e: &Edge) -> Vec<StatementRef> {
        let acct = engine.account;
        let mut out: Vec<StatementRef> = Vec::new();
        if e.method == "vigil-iam-service-role" {
            if let Node::Principal(r) = e.to
                && let Some(trust) = acct
                    .principals
                    .get(r)
                    .and_then(|i| i.trust)
                    .and_then(|t| acct.policies.get(t))
            {
                for st in trust
                    .statements
                    .iter()
                    .filter(|s| s.effect == Effect::Allow)
                {
                    out.push(StatementRef::new(trust, st, Vec::new()));
                }
            }
            return out;
        }
        if e.from_service {
            return out;
        }
        let Some(ctx) = engine.context(e.from) else {
            return out;
        };
        for c in &e.checks {
            let arn: Option<String> = match &c.target {
                CheckTarget::Any => None,
                CheckTarget::Principal(q) => acct.principals.get(*q).map(|i| i.arn.clone()),
                CheckTarget::Arn(a) => Some(a.to_string()),
            };
            let t = arn.as_deref().map_or(Target::Any, Target::Arn);
            for s in engine.explain(e.from, c.action, t, ctx).statements {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Reverse breadth-first search from admin, first over firm edges (unconditional, no
    /// assumed workload), then over all edges for nodes not reached.
    fn shortest_paths(&mut self) {
        let n = self.admins.len();
        let total = self.next.len();
        let mut reached: Vec<bool> = (0..total)
            .map(|i| self.admins.get(i).copied().unwrap_or(false))
            .collect();
        let to_admin: Vec<usize> = self
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.to == Node::Admin)
            .map(|(i, _)| i)
            .collect();
        let source_of: Vec<usize> = {
            let mut v = vec![usize::MAX; self.edges.len()];
            for (node, out) in self.outgoing.iter().enumerate() {
                for &i in out {
                    if let Some(x) = v.get_mut(i) {
                        *x = node;
                    }
                }
            }
            v
        };
        for firm_only in [true, false] {
            let ok = |e: &Edge| !firm_only || (!e.conditional && !e.needs_existing_resource);
            let mut queue: VecDeque<usize> = (0..total).filter(|&i| reached[i]).collect();
            for &i in &to_admin {
                let Some(e) = self.edges.get(i) else { continue };
                let src = source_of.get(i).copied().unwrap_or(usize::MAX);
                if ok(e) && src < total && !reached[src] {
                    reached[src] = true;
                    self.next[src] = Some(i);
                    queue.push_back(src);
                }
            }
            while let Some(q) = queue.pop_front() {
                for &i in self.incoming.get(q).into_iter().flatten() {
                    let Some(e) = self.edges.get(i) else { continue };
                    let src = source_of.get(i).copied().unwrap_or(usize::MAX);
                    if ok(e) && src < total && !reached[src] {
                        reached[src] = true;
                        self.next[src] = Some(i);
                        queue.push_back(src);
                    }
                }
            }
        }
        let _ = n;
    }

    /// The shortest path from `p` to admin: `Some(empty)` when `p` is admin already, `None`
    /// when there is no path. Steps through service workloads appear as edges to and from
    /// [`Node::Service`].
    pub fn path_to_admin(&self, p: usize) -> Option<Vec<&Edge>> {
        if *self.admins.get(p)? {
            return Some(Vec::new());
        }
        let n = self.admins.len();
        let mut path = Vec::new();
        let mut cur = p;
        for _ in 0..=self.next.len() {
            let e = self.edges.get(self.next.get(cur).copied().flatten()?)?;
            path.push(e);
            match e.to {
                Node::Admin => return Some(path),
                Node::Principal(q) if self.admins.get(q).copied().unwrap_or(false) => {
                    return Some(path);
                }
                Node::Principal(q) => cur = q,
                Node::Service(s) => cur = n + s,
            }
        }
        None
    }

    /// Edges leaving principal `p`.
    pub fn edges_from(&self, p: usize) -> impl Iterator<Item = &Edge> {
        self.outgoing
            .get(p)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.edges.get(i))
    }

    /// Edges arriving at principal `p`.
    pub fn edges_to(&self, p: usize) -> impl Iterator<Item = &Edge> {
        self.incoming
            .get(p)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.edges.get(i))
    }

    /// Roles reachable through a service node (for linked identities).
    pub fn service_roles(&self, service: usize) -> impl Iterator<Item = &Edge> {
        let n = self.admins.len();
        self.outgoing
            .get(n + service)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.edges.get(i))
    }

    /// The principals an edge lets its source become, each with whether it goes through
    /// something else first (an existing resource, or a service running as the role): a
    /// principal edge leads to its target, a service edge to each role the service can run as,
    /// an admin edge to no one in particular.
    pub fn edge_targets(&self, e: &Edge) -> Vec<(usize, bool)> {
        match e.to {
            Node::Principal(q) => vec![(q, e.needs_existing_resource)],
            Node::Service(s) => self
                .service_roles(s)
                .filter_map(|se| match se.to {
                    Node::Principal(r) => Some((r, true)),
                    _ => None,
                })
                .collect(),
            Node::Admin => Vec::new(),
        }
    }
}

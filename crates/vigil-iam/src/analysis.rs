//! One analysis of one account: effective permissions of every principal, the escalation
//! graph, used vs granted, risks and remediations, and the report. Also the questions the CLI
//! asks of it (`explain`, `who-can`).

use crate::authz::{Account, PrincipalKind};
use crate::catalog::Catalog;
use crate::context::RequestContext;
use crate::credential_report::{CredentialReport, CredentialRow};
use crate::effective::{self, BitSet, Effective, Grant};
use crate::engine::Engine;
use crate::escalation::{CheckTarget, EscalationGraph, Node};
use crate::eval::{Decision, Outcome, Target};
use crate::exclusion::CallExclusions;
use crate::links::{LinkSets, RawLink};
use crate::policy::{ActionSpec, Effect, Policy, PrincipalSpec, ResourceSpec};
use crate::remediation::{self, Remediation, RemediationKind};
use crate::report::*;
use crate::risk::{self, Category, Risk};
use crate::usage::{ApiCall, DEFAULT_WINDOW_DAYS, UsageIndex};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use vigil_model::Timestamp;

const DAY_MS: i64 = 86_400_000;

/// A key a scan found hard-coded somewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedKey {
    pub key_id: String,
    /// Where it was found (`host i-… /srv/app/config.yaml`).
    pub location: String,
    /// The owner when the finder knows it; otherwise CloudTrail tells.
    pub principal_arn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// "Now"; by default the newest time in the data.
    pub now: Option<Timestamp>,
    pub window_days: i64,
    pub exposed_keys: Vec<ExposedKey>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            now: None,
            window_days: DEFAULT_WINDOW_DAYS,
            exposed_keys: Vec::new(),
        }
    }
}

/// The analysis, holding everything later questions need.
pub struct Analysis<'a> {
    pub engine: Engine<'a>,
    pub catalog: &'static Catalog,
    pub effective: Vec<Effective>,
    pub graph: EscalationGraph,
    pub usage: Option<UsageIndex>,
    pub report: Report,
}

/// One principal that can do something, for `who-can`.
#[derive(Debug, Clone, Serialize)]
pub struct WhoCan {
    pub arn: String,
    pub outcome: Outcome,
    /// `direct`, or how the principal gets there (`escalation to admin`, `becomes ARN`).
    pub how: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
}

fn days(ms: i64) -> i64 {
    ms / DAY_MS
}

impl<'a> Analysis<'a> {
    pub fn run(
        account: &'a Account,
        credentials: Option<&CredentialReport>,
        calls: &[ApiCall],
        opts: &Options,
    ) -> Analysis<'a> {
        Analysis::run_excluding(
            account,
            credentials,
            calls,
            opts,
            &CallExclusions::default(),
        )
    }

    /// As [`Analysis::run`], with `excluded` calls (an attacker's, tied to open alerts) left
    /// out of used vs granted, of the least-privilege policies and of the evidence for keeping
    /// someone in a trust policy. They still count as activity and still name keys' owners.
    pub fn run_excluding(
        account: &'a Account,
        credentials: Option<&CredentialReport>,
        calls: &[ApiCall],
        opts: &Options,
        excluded: &CallExclusions,
    ) -> Analysis<'a> {
        let catalog = Catalog::builtin();
        let now = opts.now.unwrap_or_else(|| {
            [
                account.newest_time,
                credentials.and_then(CredentialReport::newest_time),
                calls.iter().map(|c| c.time).max(),
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or_default()
        });
        let engine = Engine::new(account, now);
        let effective: Vec<Effective> = (0..account.principals.len())
            .map(|p| effective::compute(&engine, catalog, p))
            .collect();
        let graph = EscalationGraph::build(&engine, catalog, &effective);
        let usage = (!calls.is_empty()).then(|| {
            UsageIndex::build(
                catalog,
                calls.iter().filter(|c| !excluded.excludes(c)),
                now,
                opts.window_days,
            )
        });
        let mut a = Analysis {
            engine,
            catalog,
            effective,
            graph,
            usage,
            report: Report {
                account: account.account_id.clone(),
                now,
                window: Window {
                    days: opts.window_days,
                    start: now.plus_millis(-opts.window_days.saturating_mul(DAY_MS)),
                    end: now,
                    calls: 0,
                    cloudtrail: !calls.is_empty(),
                    unmapped_calls: Vec::new(),
                    excluded_calls: 0,
                },
                summary: Summary::default(),
                identities: Vec::new(),
                link_sets: Vec::new(),
                problems: account.problems.clone(),
            },
        };
        if let Some(u) = &a.usage {
            let start = a.report.window.start;
            let excluded_n = calls
                .iter()
                .filter(|c| c.time >= start && c.time <= now && excluded.excludes(c))
                .count() as u64;
            a.report.window.excluded_calls = excluded_n;
            a.report.window.calls = u.calls_in_window + excluded_n;
            a.report.window.unmapped_calls = u.unmapped.iter().take(50).cloned().collect();
        }
        if let Some(c) = credentials {
            for p in &c.problems {
                a.report.problems.push(crate::authz::Problem {
                    principal: None,
                    policy: "credential report".to_string(),
                    message: p.clone(),
                    attached_to: Vec::new(),
                });
            }
        }
        a.build_identities(credentials, calls, opts, excluded);
        a
    }

    fn arn(&self, p: usize) -> String {
        self.engine
            .account
            .principals
            .get(p)
            .map_or_else(String::new, |i| i.arn.clone())
    }

    /// Points of what a principal can do: used to judge whether becoming it is a step up.
    fn power(&self, p: usize) -> u32 {
        let Some(eff) = self.effective.get(p) else {
            return 0;
        };
        let admin = self.graph.admins.get(p).copied().unwrap_or(false);
        let mut risks = risk::permission_risks(self.catalog, eff, admin);
        if !admin
            && self
                .graph
                .path_to_admin(p)
                .is_some_and(|path| !path.is_empty())
        {
            risks.push(Risk::new(Category::CanEscalateToAdmin, ""));
        }
        risk::score(&risks)
    }

    fn build_identities(
        &mut self,
        credentials: Option<&CredentialReport>,
        calls: &[ApiCall],
        opts: &Options,
        excluded: &CallExclusions,
    ) {
        let acct = self.engine.account;
        let now = self.report.now;
        let powers: Vec<u32> = (0..acct.principals.len()).map(|p| self.power(p)).collect();
        // Access key id -> principal, from CloudTrail.
        let mut key_owner: HashMap<&str, &str> = HashMap::new();
        for c in calls {
            if let Some(k) = &c.access_key_id {
                key_owner
                    .entry(k.as_str())
                    .or_insert(c.principal_arn.as_str());
            }
        }
        // The window's calls per principal: its own, and those open alerts tie to an attacker.
        let mut by_principal_calls: HashMap<&str, Vec<&ApiCall>> = HashMap::new();
        let mut excluded_by_principal: HashMap<&str, Vec<&ApiCall>> = HashMap::new();
        let start = self.report.window.start;
        for c in calls.iter().filter(|c| c.time >= start && c.time <= now) {
            let map = if excluded.excludes(c) {
                &mut excluded_by_principal
            } else {
                &mut by_principal_calls
            };
            map.entry(c.principal_arn.as_str()).or_default().push(c);
        }
        let mut link_sets = LinkSets::new(
            acct.principals.iter().map(|i| i.arn.clone()).collect(),
            &self.graph.services,
        );
        let mut out = Vec::with_capacity(acct.principals.len() + 1);
        let mut risky_creds: Vec<bool> = vec![false; acct.principals.len()];
        let mut cred_risks: Vec<Vec<Risk>> = Vec::with_capacity(acct.principals.len());
        for (p, info) in acct.principals.iter().enumerate() {
            let row = credentials.and_then(|c| c.row_for(&info.arn));
            let mut r = Vec::new();
            if let Some(row) = row {
                r.extend(credential_risks(row, now));
            }
            for k in &opts.exposed_keys {
                let owner = k
                    .principal_arn
                    .as_deref()
                    .or_else(|| key_owner.get(k.key_id.as_str()).copied());
                if owner == Some(info.arn.as_str()) {
                    r.push(Risk::new(
                        Category::HardcodedKeyExposed,
                        format!("access key {} found hard-coded at {}", k.key_id, k.location),
                    ));
                }
            }
            risky_creds[p] = r.iter().any(|x| {
                matches!(
                    x.category,
                    Category::KeyOlderThan90Days
                        | Category::KeyOlderThan180Days
                        | Category::HardcodedKeyExposed
                        | Category::ConsoleWithoutMfa
                )
            });
            cred_risks.push(r);
        }
        for (p, info) in acct.principals.iter().enumerate() {
            let Some(eff) = self.effective.get(p) else {
                continue;
            };
            let admin = self.graph.admins.get(p).copied().unwrap_or(false);
            let mut risks = risk::permission_risks(self.catalog, eff, admin);
            let path = self.graph.path_to_admin(p);
            let escalation = path.as_ref().map(|steps| EscalationPath {
                conditional: steps
                    .iter()
                    .any(|e| e.conditional || e.needs_existing_resource),
                steps: steps
                    .iter()
                    .map(|e| Step::from_edge(e, &self.graph, |i| self.arn(i)))
                    .collect(),
            });
            if let Some(path) = path.as_ref().filter(|p| !p.is_empty()) {
                let hops: Vec<String> = path
                    .iter()
                    .map(|e| format!("{} ({})", e.method, e.method_name))
                    .collect();
                let cond = if escalation.as_ref().is_some_and(|e| e.conditional) {
                    " (if the conditions of its steps hold)"
                } else {
                    ""
                };
                risks.push(Risk::new(
                    Category::CanEscalateToAdmin,
                    format!("{} step(s): {}{}", path.len(), hops.join(" → "), cond),
                ));
            }
            // Linked identities.
            let mut can_become = Vec::new();
            let mut best_link: Option<(u32, String, String)> = None;
            for e in self.graph.edges_from(p) {
                for (q, indirect) in self.graph.edge_targets(e) {
                    can_become.push(RawLink {
                        end: q,
                        method: e.method,
                        conditional: e.conditional || e.needs_existing_resource || indirect,
                    });
                    let pq = powers.get(q).copied().unwrap_or(0);
                    if pq > powers.get(p).copied().unwrap_or(0)
                        && !e.needs_existing_resource
                        && best_link.as_ref().is_none_or(|b| pq > b.0)
                    {
                        best_link = Some((pq, self.arn(q), e.method_name.clone()));
                    }
                }
            }
            let can_be_become_by = self
                .graph
                .edges_to(p)
                .map(|e| RawLink {
                    end: if e.from_service {
                        acct.principals.len() + e.from
                    } else {
                        e.from
                    },
                    method: e.method,
                    conditional: e.conditional || e.needs_existing_resource,
                })
                .collect();
            let linked = Linked {
                can_become: link_sets.group(can_become),
                can_be_become_by: link_sets.group(can_be_become_by),
            };
            if let Some((pq, arn, method)) = &best_link {
                risks.push(Risk::new(
                    Category::LinkedPrivilegedIdentity,
                    format!("can become {arn} (power {pq}/100) with {method}"),
                ));
            }
            // Trust.
            if let Some(trust) = info.trust.and_then(|t| acct.policies.get(t)) {
                risks.extend(trust_risks(trust, &acct.account_id));
            }
            // Credentials.
            risks.extend(cred_risks.get(p).cloned().unwrap_or_default());
            let row = credentials.and_then(|c| c.row_for(&info.arn));
            let my_calls = by_principal_calls.get(info.arn.as_str());
            let my_excluded = excluded_by_principal.get(info.arn.as_str());
            // An attacker's use is still use of the identity.
            let last_call = my_calls
                .into_iter()
                .chain(my_excluded)
                .flatten()
                .map(|c| c.time)
                .max();
            let last_activity = [
                row.and_then(CredentialRow::last_activity),
                info.last_used,
                last_call,
            ]
            .into_iter()
            .flatten()
            .max();
            let old_enough = info
                .created
                .is_some_and(|c| days(now.as_millis() - c.as_millis()) > 180);
            let unused_180 = match last_activity {
                Some(t) => days(now.as_millis() - t.as_millis()) > 180,
                None => old_enough && (row.is_some() || info.kind == PrincipalKind::Role),
            };
            if unused_180 {
                risks.push(Risk::new(
                    Category::IdentityUnused180Days,
                    match last_activity {
                        Some(t) => format!("last activity {}", t.to_rfc3339()),
                        None => "no recorded activity".to_string(),
                    },
                ));
            }
            let has_power = risks.iter().any(|r| r.category.is_power());
            if let Some(row) = row
                && has_power
                && !row.password_enabled
                && row.active_keys().count() == 0
            {
                risks.push(Risk::new(
                    Category::DisabledIdentityWithPower,
                    "no password and no active key, yet it keeps its permissions",
                ));
            }
            // Used vs granted.
            let mut perms = PermissionSummary {
                granted: eff.granted.count(),
                conditional: eff.conditional.count(),
                on_all_resources: eff.on_all.count(),
                ..PermissionSummary::default()
            };
            let mut used_bits: Option<BitSet> = None;
            if let Some(usage) = &self.usage {
                let used = usage
                    .by_principal
                    .get(&info.arn)
                    .map(|u| u.used.clone())
                    .unwrap_or_else(|| BitSet::new(self.catalog.len()));
                let used_granted: Vec<u32> =
                    used.iter().filter(|&i| eff.granted.contains(i)).collect();
                let unused = perms.granted.saturating_sub(used_granted.len());
                perms.used = Some(used_granted.len());
                perms.unused = Some(unused);
                let share = if perms.granted == 0 {
                    0.0
                } else {
                    unused as f64 / perms.granted as f64
                };
                perms.unused_share = Some((share * 1000.0).round() / 1000.0);
                perms.used_actions = used
                    .iter()
                    .filter_map(|i| self.catalog.action(i))
                    .map(|a| a.name.clone())
                    .collect();
                let used_services: BTreeSet<u16> = used
                    .iter()
                    .filter_map(|i| self.catalog.action(i))
                    .map(|a| a.service)
                    .collect();
                let granted_services: BTreeSet<u16> = eff
                    .granted
                    .iter()
                    .filter_map(|i| self.catalog.action(i))
                    .map(|a| a.service)
                    .collect();
                perms.unused_services = granted_services
                    .difference(&used_services)
                    .map(|s| self.catalog.service_name(*s).to_string())
                    .collect();
                if perms.granted >= 20 && share >= 0.8 {
                    risks.push(Risk::new(
                        Category::UnusedPermissions,
                        format!(
                            "used {} of {} granted actions in {} days ({:.1}% unused; {} services never used)",
                            used_granted.len(),
                            perms.granted,
                            self.report.window.days,
                            share * 100.0,
                            perms.unused_services.len()
                        ),
                    ));
                }
                used_bits = Some(used);
            }
            let score = risk::score(&risks);
            let mut remediations = self.remediations(
                p,
                &risks,
                score,
                used_bits.as_ref(),
                my_calls.map(Vec::as_slice).unwrap_or(&[]),
                my_excluded.map(Vec::as_slice).unwrap_or(&[]),
                &risky_creds,
                &powers,
                &by_principal_calls,
            );
            remediations.sort_by_key(|r| std::cmp::Reverse(r.risk_reduction));
            out.push(IdentityReport {
                arn: info.arn.clone(),
                name: info.name.clone(),
                kind: info.kind.as_str().to_string(),
                risk_score: score,
                risks,
                escalation,
                remediations,
                linked,
                permissions: perms,
            });
        }
        if let Some(root) = credentials.and_then(|c| c.rows.iter().find(|r| r.is_root)) {
            let risks = credential_risks(root, now)
                .into_iter()
                .map(|mut r| {
                    if matches!(
                        r.category,
                        Category::KeyOlderThan90Days
                            | Category::KeyOlderThan180Days
                            | Category::KeyUnused180Days
                    ) {
                        r = Risk::new(
                            Category::RootAccessKeys,
                            format!("root has an active access key ({})", r.detail),
                        );
                    }
                    r
                })
                .collect::<Vec<_>>();
            let mut risks = risks;
            if root.active_keys().count() > 0
                && !risks.iter().any(|r| r.category == Category::RootAccessKeys)
            {
                risks.push(Risk::new(
                    Category::RootAccessKeys,
                    "root has an active access key",
                ));
            }
            risks.dedup_by(|a, b| a.category == b.category);
            let score = risk::score(&risks);
            let mut remediations = Vec::new();
            if risks.iter().any(|r| r.category == Category::RootAccessKeys) {
                remediations.push(simple(
                    RemediationKind::DisableKey,
                    "Delete the root access keys",
                    "root should have no access keys; use roles",
                    Category::RootAccessKeys,
                    &risks,
                ));
            }
            out.push(IdentityReport {
                arn: root.arn.clone(),
                name: "root".to_string(),
                kind: "root".to_string(),
                risk_score: score,
                risks,
                escalation: Some(EscalationPath {
                    conditional: false,
                    steps: Vec::new(),
                }),
                remediations,
                linked: Linked::default(),
                permissions: PermissionSummary::default(),
            });
        }
        out.sort_by(|a, b| {
            b.risk_score
                .cmp(&a.risk_score)
                .then_with(|| a.arn.cmp(&b.arn))
        });
        self.report.summary = Summary {
            identities: out.len(),
            admins: self.graph.admins.iter().filter(|a| **a).count(),
            can_escalate_to_admin: out
                .iter()
                .filter(|i| {
                    i.risks
                        .iter()
                        .any(|r| r.category == Category::CanEscalateToAdmin)
                })
                .count(),
            escalation_edges: self.graph.edges.len(),
            high_risk: out.iter().filter(|i| i.risk_score >= 50).count(),
            problems: self.report.problems.len(),
        };
        self.report.identities = out;
        self.report.link_sets = link_sets.into_table();
        self.report.renumber_link_sets();
    }

    #[allow(clippy::too_many_arguments)]
    fn remediations(
        &self,
        p: usize,
        risks: &[Risk],
        score: u32,
        used: Option<&BitSet>,
        calls: &[&ApiCall],
        excluded_calls: &[&ApiCall],
        risky_creds: &[bool],
        powers: &[u32],
        by_principal_calls: &HashMap<&str, Vec<&ApiCall>>,
    ) -> Vec<Remediation> {
        let acct = self.engine.account;
        let mut out = Vec::new();
        let has = |c: Category| risks.iter().any(|r| r.category == c);
        let Some(eff) = self.effective.get(p) else {
            return out;
        };
        let Some(info) = acct.principals.get(p) else {
            return out;
        };
        // Least privilege from what was used.
        if let Some(used) = used {
            let granted = eff.granted.count();
            let used_n = used.iter().filter(|&i| eff.granted.contains(i)).count();
            if !calls.is_empty() && granted >= 10 && used_n * 2 <= granted {
                let policy = remediation::least_privilege_policy(self.catalog, calls);
                let mut replay = remediation::replay(&self.engine, self.catalog, p, &policy, calls);
                if !excluded_calls.is_empty() {
                    let attacker =
                        remediation::replay(&self.engine, self.catalog, p, &policy, excluded_calls);
                    let denied: BTreeSet<&str> = attacker
                        .predicted_denials
                        .iter()
                        .map(|d| d.event_id.as_str())
                        .collect();
                    replay.excluded_calls = attacker.calls;
                    replay.excluded_calls_denied = denied.len() as u64;
                }
                let mut hyp = Effective {
                    granted: BitSet::new(self.catalog.len()),
                    conditional: BitSet::new(self.catalog.len()),
                    on_all: BitSet::new(self.catalog.len()),
                };
                for i in used.iter().filter(|&i| eff.granted.contains(i)) {
                    hyp.granted.insert(i);
                    hyp.on_all.insert(i);
                }
                let mut new_risks = risk::permission_risks(self.catalog, &hyp, false);
                let path = self.graph.path_to_admin(p);
                let keeps_path = path.as_ref().and_then(|p| p.first()).is_some_and(|e| {
                    e.actions.iter().all(|a| {
                        self.catalog
                            .index_of(a)
                            .is_some_and(|i| hyp.granted.contains(i))
                    })
                });
                for r in risks {
                    let keep = match r.category {
                        Category::FullAdmin | Category::UnusedPermissions => false,
                        Category::CanEscalateToAdmin | Category::LinkedPrivilegedIdentity => {
                            keeps_path
                        }
                        c if c.is_power() => false,
                        _ => true,
                    };
                    if keep {
                        new_risks.push(r.clone());
                    }
                }
                let new_score = risk::score(&new_risks);
                let removes: Vec<Category> = risks
                    .iter()
                    .map(|r| r.category)
                    .filter(|c| !new_risks.iter().any(|n| n.category == *c))
                    .collect();
                out.push(Remediation {
                    kind: RemediationKind::LeastPrivilegePolicy,
                    title: format!("Replace the policies of {} with a least-privilege policy", info.name),
                    detail: format!(
                        "{used_n} of {granted} granted actions were used in the last {} days; the proposed policy allows only those. Replaying the window's {} calls against it predicts {} denials.{}",
                        self.report.window.days,
                        replay.calls,
                        replay.predicted_denials.len(),
                        if replay.excluded_calls > 0 {
                            format!(
                                " {} calls tied to open alerts were left out; the policy denies {} of them.",
                                replay.excluded_calls, replay.excluded_calls_denied
                            )
                        } else {
                            String::new()
                        }
                    ),
                    risk_reduction: score.saturating_sub(new_score),
                    removes,
                    policy: Some(policy),
                    replay: Some(replay),
                    statements: Vec::new(),
                    benefits: Vec::new(),
                });
            }
        }
        if has(Category::FullAdmin) {
            let admin_policies: Vec<String> = info
                .identity
                .iter()
                .filter_map(|&i| acct.policies.get(i))
                .filter(|pol| pol.statements.iter().any(|s| {
                    s.effect == Effect::Allow
                        && matches!(&s.actions, ActionSpec::Action(a) if a.iter().any(|g| g.as_str() == "*"))
                        && matches!(&s.resources, ResourceSpec::Resource(r) if r.iter().any(|x| x == "*"))
                }))
                .map(|pol| pol.name.clone())
                .collect();
            if !admin_policies.is_empty() {
                let mut r = simple(
                    RemediationKind::DetachAdminPolicy,
                    &format!("Detach {} from {}", admin_policies.join(", "), info.name),
                    "full administrative access should be held by break-glass roles only",
                    Category::FullAdmin,
                    risks,
                );
                r.risk_reduction = Category::FullAdmin.points().min(score);
                out.push(r);
            }
        }
        for (cat, kind, title) in [
            (
                Category::KeyOlderThan180Days,
                RemediationKind::RotateKey,
                "Rotate the access key (not rotated in over 180 days)",
            ),
            (
                Category::KeyOlderThan90Days,
                RemediationKind::RotateKey,
                "Rotate the access key (not rotated in over 90 days)",
            ),
            (
                Category::KeyUnused180Days,
                RemediationKind::DisableKey,
                "Disable the unused access key",
            ),
            (
                Category::HardcodedKeyExposed,
                RemediationKind::DisableKey,
                "Disable the exposed access key, then issue a new one kept out of code",
            ),
            (
                Category::ConsoleWithoutMfa,
                RemediationKind::EnableMfa,
                "Require MFA for console sign-in",
            ),
            (
                Category::IdentityUnused180Days,
                RemediationKind::DisableIdentity,
                "Disable or delete the unused identity",
            ),
        ] {
            if let Some(r) = risks.iter().find(|r| r.category == cat) {
                let mut rem = simple(kind, title, &r.detail, cat, risks);
                if cat == Category::IdentityUnused180Days {
                    // Removing the identity removes everything it holds.
                    rem.risk_reduction = score;
                }
                out.push(rem);
            }
        }
        // Becoming a more powerful identity.
        let my_power = powers.get(p).copied().unwrap_or(0);
        for e in self.graph.edges_from(p).filter(|e| e.method == "sts-001") {
            let Node::Principal(q) = e.to else { continue };
            if powers.get(q).copied().unwrap_or(0) <= my_power
                || !risky_creds.get(p).copied().unwrap_or(false)
            {
                continue;
            }
            let removes: Vec<Category> = [
                Category::LinkedPrivilegedIdentity,
                Category::CanEscalateToAdmin,
            ]
            .into_iter()
            .filter(|c| has(*c))
            .collect();
            let reduction = removes.iter().map(|c| c.points()).sum::<u32>().min(score);
            let own: Vec<_> = self
                .graph
                .justify(&self.engine, e)
                .into_iter()
                .filter(|s| s.kind == crate::policy::PolicyKind::Identity)
                .collect();
            let role = self.arn(q);
            out.push(Remediation {
                kind: RemediationKind::RemoveAssumePermission,
                title: format!("Revoke {}'s ability to assume {}", info.name, crate::arn::name_of(&role)),
                detail: format!(
                    "{} holds credentials at risk and can assume {role}; remove the statement(s) below, or narrow the role's trust policy",
                    info.name
                ),
                risk_reduction: reduction,
                removes,
                policy: None,
                replay: None,
                statements: own,
                benefits: Vec::new(),
            });
        }
        // A role others can become while holding risky credentials: narrow its trust.
        if info.kind == PrincipalKind::Role {
            let risky_in: Vec<usize> = self
                .graph
                .edges_to(p)
                .filter(|e| {
                    !e.from_service
                        && e.method == "sts-001"
                        && risky_creds.get(e.from).copied().unwrap_or(false)
                })
                .map(|e| e.from)
                .collect();
            if !risky_in.is_empty() {
                let mut keep: BTreeSet<String> = BTreeSet::new();
                for e in self
                    .graph
                    .edges_to(p)
                    .filter(|e| !e.from_service && e.method == "sts-001")
                {
                    if risky_in.contains(&e.from) {
                        continue;
                    }
                    let arn = self.arn(e.from);
                    // Prefer those who really assumed it in the window.
                    let assumed = by_principal_calls.get(arn.as_str()).is_some_and(|cs| {
                        cs.iter().any(|c| {
                            c.event_name == "AssumeRole" && c.resources.contains(&info.arn)
                        })
                    });
                    if assumed || self.usage.is_none() {
                        keep.insert(arn);
                    }
                }
                let trust_cats: Vec<Category> =
                    [Category::WildcardTrust, Category::CrossAccountTrust]
                        .into_iter()
                        .filter(|c| has(*c))
                        .collect();
                let benefits: Vec<String> = risky_in
                    .iter()
                    .map(|&i| self.arn(i))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let keep: Vec<String> = keep.into_iter().collect();
                out.push(Remediation {
                    kind: RemediationKind::NarrowTrustPolicy,
                    title: format!("Narrow the trust policy of {} to the principals that need it, with MFA", info.name),
                    detail: format!(
                        "{} can assume it with credentials at risk; the proposed trust keeps {} principal(s) that assumed it in the window",
                        benefits.join(", "),
                        keep.len()
                    ),
                    risk_reduction: trust_cats.iter().map(|c| c.points()).sum::<u32>().min(score),
                    removes: trust_cats,
                    policy: Some(remediation::narrowed_trust_policy(&keep, true)),
                    replay: None,
                    statements: Vec::new(),
                    benefits,
                });
            }
        }
        out
    }

    /// The principal index for a name or ARN.
    pub fn principal(&self, key: &str) -> Option<usize> {
        self.engine.account.find_principal(key)
    }

    /// The explained decision for one request, with the principal's known context plus `extra`.
    pub fn explain(
        &self,
        p: usize,
        action: &str,
        resource: &str,
        extra: &[(String, String)],
        complete: bool,
    ) -> Decision {
        self.explain_in_session(p, action, resource, extra, complete, &[])
    }

    /// As [`Analysis::explain`], for a session of `p` limited by `session` policies.
    pub fn explain_in_session(
        &self,
        p: usize,
        action: &str,
        resource: &str,
        extra: &[(String, String)],
        complete: bool,
        session: &[Policy],
    ) -> Decision {
        let mut ctx = self.engine.context(p).cloned().unwrap_or_default();
        for (k, v) in extra {
            ctx.set(k, v.clone());
        }
        ctx.complete = complete;
        let target = if resource == "*" {
            Target::Any
        } else {
            Target::Arn(resource)
        };
        self.engine
            .explain_in_session(p, action, target, &ctx, session)
    }

    /// Every principal that can do `action` on `resource` directly, then those that get there
    /// through escalation (admin) or by becoming a direct one.
    pub fn who_can(&self, action: &str, resource: &str) -> Vec<WhoCan> {
        self.who_can_in_session(action, resource, &[])
    }

    /// As [`Analysis::who_can`], with every principal acting in a session limited by `session`
    /// policies. Escalation counts only when the path's first step is allowed in the session.
    /// A step to another identity's credentials (a new role session, another user's key, a
    /// service's role) leaves the session policy behind; rewriting one's own policies does not,
    /// so after such a step the session can do only what its session policy allows.
    pub fn who_can_in_session(
        &self,
        action: &str,
        resource: &str,
        session: &[Policy],
    ) -> Vec<WhoCan> {
        let target = if resource == "*" {
            Target::Any
        } else {
            Target::Arn(resource)
        };
        let n = self.engine.account.principals.len();
        let mut out = Vec::new();
        let mut direct = vec![false; n];
        for (p, d) in direct.iter_mut().enumerate() {
            let Some(ctx) = self.engine.context(p) else {
                continue;
            };
            let dec = self
                .engine
                .explain_in_session(p, action, target, ctx, session);
            if dec.outcome.may_allow() {
                *d = true;
                out.push(WhoCan {
                    arn: self.arn(p),
                    outcome: dec.outcome,
                    how: "direct".to_string(),
                    conditions: dec.conditions,
                });
            }
        }
        for (p, is_direct) in direct.iter().enumerate() {
            if *is_direct {
                continue;
            }
            if let Some(path) = self
                .graph
                .path_to_admin(p)
                .filter(|path| !path.is_empty())
                .filter(|path| {
                    session.is_empty()
                        || path
                            .first()
                            .is_some_and(|e| self.session_step(p, e, session, action, target))
                })
            {
                let cond = path
                    .iter()
                    .any(|e| e.conditional || e.needs_existing_resource);
                out.push(WhoCan {
                    arn: self.arn(p),
                    outcome: if cond {
                        Outcome::ConditionallyAllowed
                    } else {
                        Outcome::Allowed
                    },
                    how: format!("escalation to admin in {} step(s)", path.len()),
                    conditions: Vec::new(),
                });
                continue;
            }
            if let Some((e, q)) = self.graph.edges_from(p).find_map(|e| match e.to {
                Node::Principal(q)
                    if direct.get(q).copied().unwrap_or(false)
                        && (session.is_empty()
                            || self.session_step(p, e, session, action, target)) =>
                {
                    Some((e, q))
                }
                _ => None,
            }) {
                out.push(WhoCan {
                    arn: self.arn(p),
                    outcome: Outcome::ConditionallyAllowed,
                    how: format!("becomes {} ({})", self.arn(q), e.method),
                    conditions: Vec::new(),
                });
            }
        }
        out
    }

    /// Can `p`, in a session limited by `session`, take escalation step `e` and then do
    /// `action` on `target`?
    fn session_step(
        &self,
        p: usize,
        e: &crate::escalation::Edge,
        session: &[Policy],
        action: &str,
        target: Target<'_>,
    ) -> bool {
        let (Some(ctx), Some(caller)) = (self.engine.context(p), self.engine.caller(p)) else {
            return false;
        };
        let step_allowed = e.checks.iter().all(|c| {
            let arn = match &c.target {
                CheckTarget::Any => None,
                CheckTarget::Principal(q) => Some(self.arn(*q)),
                CheckTarget::Arn(a) => Some(a.to_string()),
            };
            let target = arn.as_deref().map_or(Target::Any, Target::Arn);
            self.engine
                .explain_in_session(p, c.action, target, ctx, session)
                .outcome
                .may_allow()
        });
        if !step_allowed {
            return false;
        }
        if matches!(e.to, Node::Principal(_)) {
            return true;
        }
        // Still the same session, now with admin identity policies: the session policy (with
        // the boundary and SCPs) decides.
        let lower = action.to_ascii_lowercase();
        let mut set = self.engine.policy_set(p, &lower, target);
        let refs: Vec<&Policy> = session.iter().collect();
        set.identity = refs.clone();
        set.session = Some(refs);
        crate::eval::decide(
            &crate::eval::Request {
                caller,
                action: &lower,
                target,
                context: ctx,
            },
            &set,
        )
        .may_allow()
    }

    /// The detailed grants of one principal.
    pub fn grants(&self, p: usize) -> Vec<Grant> {
        self.effective
            .get(p)
            .map(|e| effective::grants(&self.engine, self.catalog, p, e))
            .unwrap_or_default()
    }
}

fn simple(
    kind: RemediationKind,
    title: &str,
    detail: &str,
    cat: Category,
    risks: &[Risk],
) -> Remediation {
    let present = risks.iter().any(|r| r.category == cat);
    Remediation {
        kind,
        title: title.to_string(),
        detail: detail.to_string(),
        risk_reduction: if present { cat.points() } else { 0 },
        removes: vec![cat],
        policy: None,
        replay: None,
        statements: Vec::new(),
        benefits: Vec::new(),
    }
}

/// Key age, key use, console MFA.
fn credential_risks(row: &CredentialRow, now: Timestamp) -> Vec<Risk> {
    let mut out = Vec::new();
    for k in row.active_keys() {
        if let Some(rot) = k.last_rotated {
            let age = days(now.as_millis() - rot.as_millis());
            if age > 180 {
                out.push(Risk::new(
                    Category::KeyOlderThan180Days,
                    format!(
                        "access key {} last rotated {} ({age} days ago)",
                        k.slot,
                        rot.to_rfc3339()
                    ),
                ));
            } else if age > 90 {
                out.push(Risk::new(
                    Category::KeyOlderThan90Days,
                    format!(
                        "access key {} last rotated {} ({age} days ago)",
                        k.slot,
                        rot.to_rfc3339()
                    ),
                ));
            }
        }
        let idle = match (k.last_used, k.last_rotated) {
            (Some(u), _) => days(now.as_millis() - u.as_millis()) > 180,
            (None, Some(r)) => days(now.as_millis() - r.as_millis()) > 180,
            (None, None) => false,
        };
        if idle {
            out.push(Risk::new(
                Category::KeyUnused180Days,
                format!("access key {} unused for over 180 days", k.slot),
            ));
        }
    }
    if row.password_enabled && !row.mfa_active && !row.is_root {
        out.push(Risk::new(
            Category::ConsoleWithoutMfa,
            "console password without MFA",
        ));
    }
    if row.is_root && !row.mfa_active {
        out.push(Risk::new(Category::ConsoleWithoutMfa, "root without MFA"));
    }
    out
}

/// Who a trust policy lets in: anyone, or other accounts.
fn trust_risks(trust: &crate::policy::Policy, account: &str) -> Vec<Risk> {
    let mut out = Vec::new();
    for st in trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let PrincipalSpec::Principal(p) = &st.principals else {
            continue;
        };
        if p.any && st.conditions.is_empty() {
            out.push(Risk::new(
                Category::WildcardTrust,
                format!("statement {} trusts any AWS principal", st.label()),
            ));
        } else if p.any {
            out.push(Risk::new(
                Category::CrossAccountTrust,
                format!(
                    "statement {} trusts any AWS principal under conditions",
                    st.label()
                ),
            ));
        }
        for a in &p.aws {
            let acct = if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) {
                Some(a.as_str())
            } else {
                crate::arn::account_of(a)
            };
            if let Some(other) = acct.filter(|x| *x != account) {
                out.push(Risk::new(
                    Category::CrossAccountTrust,
                    format!("trusts account {other} (`{a}`)"),
                ));
            }
        }
    }
    out.dedup_by(|a, b| a.category == b.category);
    out
}

/// Sets request keys from `KEY=VALUE` strings.
pub fn context_pairs(pairs: &[String]) -> Result<Vec<(String, String)>, String> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| format!("`{p}` is not KEY=VALUE"))
        })
        .collect()
}

/// A request context from pairs (for library users).
pub fn context_from(pairs: &[(String, String)]) -> RequestContext {
    let mut c = RequestContext::new();
    for (k, v) in pairs {
        c.set(k, v.clone());
    }
    c
}

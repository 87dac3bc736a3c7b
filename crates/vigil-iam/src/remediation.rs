//! Remediations, each with the risk it is expected to remove: a least-privilege policy built
//! from what the identity really used (checked by replaying the CloudTrail window against it),
//! taking away another identity's ability to become this one (trust or identity statement),
//! rotating or disabling a key, detaching an administrator policy.

use crate::catalog::Catalog;
use crate::document::compile;
use crate::engine::Engine;
use crate::eval::{self, Outcome, PolicySet, Request, StatementRef, Target};
use crate::policy::PolicyKind;
use crate::risk::Category;
use crate::usage::{ApiCall, actions_for};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use vigil_model::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationKind {
    LeastPrivilegePolicy,
    RemoveAssumePermission,
    NarrowTrustPolicy,
    RotateKey,
    DisableKey,
    DetachAdminPolicy,
    DisableIdentity,
    EnableMfa,
}

/// A call of the window that the proposed policy would deny.
#[derive(Debug, Clone, Serialize)]
pub struct PredictedDenial {
    pub event_id: String,
    pub time: Timestamp,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// The replay of the usage window against a proposed policy.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    pub calls: u64,
    pub checks: u64,
    pub predicted_denials: Vec<PredictedDenial>,
    /// This identity's calls of the window that open alerts tie to an attacker: left out of
    /// the policy, and replayed apart to show how many of them it would deny.
    #[serde(skip_serializing_if = "is_zero")]
    pub excluded_calls: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub excluded_calls_denied: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
pub struct Remediation {
    pub kind: RemediationKind,
    pub title: String,
    pub detail: String,
    /// Expected drop of this identity's risk score.
    pub risk_reduction: u32,
    /// The categories the change removes.
    pub removes: Vec<Category>,
    /// A proposed policy document (least privilege, narrowed trust).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// Statements to remove or change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementRef>,
    /// Other identities whose risk the change lowers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<String>,
}

/// The least-privilege policy for the successful calls of one principal: per action, the
/// resources CloudTrail named when it named them for every call, else `*`; actions with the
/// same resources share a statement.
pub fn least_privilege_policy(cat: &Catalog, calls: &[&ApiCall]) -> Value {
    // action name -> Some(resources) while every call named resources, None once one did not.
    let mut per_action: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.succeeded) {
        for a in actions_for(cat, &c.event_source, &c.event_name) {
            let Some(info) = cat.action(a) else { continue };
            let entry = per_action
                .entry(info.name.clone())
                .or_insert_with(|| Some(BTreeSet::new()));
            match entry {
                Some(set) if !c.resources.is_empty() => set.extend(c.resources.iter().cloned()),
                _ => *entry = None,
            }
        }
    }
    let mut groups: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (action, res) in per_action {
        let key = match res {
            Some(set) if !set.is_empty() => set.into_iter().collect(),
            _ => vec!["*".to_string()],
        };
        groups.entry(key).or_default().push(action);
    }
    let statements: Vec<Value> = groups
        .into_iter()
        .enumerate()
        .map(|(i, (resources, actions))| {
            json!({
                "Sid": format!("UsedInWindow{}", i + 1),
                "Effect": "Allow",
                "Action": actions,
                "Resource": if resources.len() == 1 { json!(resources[0]) } else { json!(resources) },
            })
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Replays the calls against `policy` as the principal's only identity policy (its boundary
/// and the SCPs stay in force).
pub fn replay(
    engine: &Engine<'_>,
    cat: &Catalog,
    p: usize,
    policy: &Value,
    calls: &[&ApiCall],
) -> Replay {
    let (compiled, _) = compile("proposed", PolicyKind::Identity, policy);
    let mut out = Replay {
        calls: 0,
        checks: 0,
        predicted_denials: Vec::new(),
        excluded_calls: 0,
        excluded_calls_denied: 0,
    };
    let (Some(caller), Some(ctx)) = (engine.caller(p), engine.context(p)) else {
        return out;
    };
    let existing = engine.policy_set(p, "", Target::Any);
    let set = PolicySet {
        identity: vec![&compiled],
        boundary: existing.boundary,
        scps: existing.scps,
        session: None,
        resource: None,
    };
    for c in calls.iter().filter(|c| c.succeeded) {
        out.calls += 1;
        for a in actions_for(cat, &c.event_source, &c.event_name) {
            let Some(info) = cat.action(a) else { continue };
            let targets: Vec<Option<&str>> = if c.resources.is_empty() {
                vec![None]
            } else {
                c.resources.iter().map(|r| Some(r.as_str())).collect()
            };
            for t in targets {
                out.checks += 1;
                let outcome = eval::decide(
                    &Request {
                        caller,
                        action: &info.lower,
                        target: t.map_or(Target::Any, Target::Arn),
                        context: ctx,
                    },
                    &set,
                );
                if !matches!(outcome, Outcome::Allowed | Outcome::ConditionallyAllowed) {
                    out.predicted_denials.push(PredictedDenial {
                        event_id: c.event_id.clone(),
                        time: c.time,
                        action: info.name.clone(),
                        resource: t.map(str::to_string),
                    });
                }
            }
        }
    }
    out
}

/// A trust policy that keeps only the named principals (and, when `mfa`, requires MFA).
pub fn narrowed_trust_policy(principals: &[String], mfa: bool) -> Value {
    let mut st = json!({
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": "sts:AssumeRole",
    });
    if mfa && let Some(o) = st.as_object_mut() {
        o.insert(
            "Condition".to_string(),
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        );
    }
    json!({"Version": "2012-10-17", "Statement": [st]})
}

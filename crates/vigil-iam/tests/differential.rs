#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Differential property tests: the compiled evaluator against a deliberately naive reference
//! written straight from AWS's documentation, over generated policies, requests and contexts.
//! And a soundness property of three-valued evaluation: a decision taken without some keys
//! must hold whatever values those keys turn out to have.

use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use vigil_iam::context::RequestContext;
use vigil_iam::document::compile;
use vigil_iam::eval::{Caller, CallerKind, Outcome, PolicySet, Request, Target, decide};
use vigil_iam::policy::{Policy, PolicyKind};

// ---------- the reference ----------

fn ref_glob(p: &[u8], t: &[u8]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some(b'*'), _) => ref_glob(&p[1..], t) || (!t.is_empty() && ref_glob(p, &t[1..])),
        (Some(b'?'), Some(_)) => ref_glob(&p[1..], &t[1..]),
        (Some(a), Some(b)) if a == b => ref_glob(&p[1..], &t[1..]),
        _ => false,
    }
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
        _ => vec![],
    }
}

fn ref_cidr(cidr: &str, ip: &str) -> bool {
    let (net, bits) = cidr.split_once('/').unwrap();
    let bits: u32 = bits.parse().unwrap();
    let n: std::net::Ipv4Addr = net.parse().unwrap();
    let Ok(a) = ip.parse::<std::net::Ipv4Addr>() else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(n) & mask == u32::from(a) & mask
}

fn ref_condition(op: &str, key: &str, vals: &[String], ctx: &HashMap<String, String>) -> bool {
    let (base, if_exists) = match op.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (op, false),
    };
    let negated = base.contains("Not");
    let Some(v) = ctx.get(&key.to_lowercase()) else {
        return if_exists || negated;
    };
    let positive = vals.iter().any(|p| match base {
        "StringEquals" | "StringNotEquals" => p == v,
        "StringLike" | "StringNotLike" => ref_glob(p.as_bytes(), v.as_bytes()),
        "Bool" => p.eq_ignore_ascii_case(v),
        "NumericLessThan" => p.parse::<f64>().unwrap() > v.parse::<f64>().unwrap_or(f64::NAN),
        "IpAddress" | "NotIpAddress" => ref_cidr(p, v),
        _ => panic!("reference has no {base}"),
    });
    if negated { !positive } else { positive }
}

fn ref_applies(st: &Value, action: &str, resource: &str, ctx: &HashMap<String, String>) -> bool {
    let a = action.to_lowercase();
    let action_ok = if st.get("Action").is_some() {
        list(st.get("Action"))
            .iter()
            .any(|p| ref_glob(p.to_lowercase().as_bytes(), a.as_bytes()))
    } else {
        !list(st.get("NotAction"))
            .iter()
            .any(|p| ref_glob(p.to_lowercase().as_bytes(), a.as_bytes()))
    };
    let res_ok = if st.get("Resource").is_some() {
        list(st.get("Resource"))
            .iter()
            .any(|p| ref_glob(p.as_bytes(), resource.as_bytes()))
    } else {
        !list(st.get("NotResource"))
            .iter()
            .any(|p| ref_glob(p.as_bytes(), resource.as_bytes()))
    };
    let cond_ok = st
        .get("Condition")
        .and_then(Value::as_object)
        .is_none_or(|ops| {
            ops.iter().all(|(op, block)| {
                block
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| ref_condition(op, k, &list(Some(v)), ctx))
            })
        });
    action_ok && res_ok && cond_ok
}

fn statements(doc: &Value) -> Vec<&Value> {
    match &doc["Statement"] {
        Value::Array(a) => a.iter().collect(),
        o => vec![o],
    }
}

fn ref_any(
    docs: &[Value],
    effect: &str,
    action: &str,
    resource: &str,
    ctx: &HashMap<String, String>,
) -> bool {
    docs.iter()
        .flat_map(statements)
        .any(|s| s["Effect"] == effect && ref_applies(s, action, resource, ctx))
}

/// AWS's documented flow for a same-account identity request.
fn reference(case: &Case) -> Outcome {
    let all: Vec<Value> = case
        .identity
        .iter()
        .chain(&case.boundary)
        .chain(&case.scp)
        .cloned()
        .collect();
    if ref_any(&all, "Deny", &case.action, &case.resource, &case.ctx) {
        return Outcome::ExplicitDeny;
    }
    if !case.scp.is_empty() && !ref_any(&case.scp, "Allow", &case.action, &case.resource, &case.ctx)
    {
        return Outcome::ImplicitDeny;
    }
    if !ref_any(
        &case.identity,
        "Allow",
        &case.action,
        &case.resource,
        &case.ctx,
    ) {
        return Outcome::ImplicitDeny;
    }
    if !case.boundary.is_empty()
        && !ref_any(
            &case.boundary,
            "Allow",
            &case.action,
            &case.resource,
            &case.ctx,
        )
    {
        return Outcome::ImplicitDeny;
    }
    Outcome::Allowed
}

// ---------- generators ----------

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:PassRole",
    "iam:CreateUser",
    "ec2:RunInstances",
];
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "S3:getobject",
    "s3:*",
    "s3:Get*",
    "*",
    "iam:*User",
    "?3:PutObject",
    "iam:PassRole",
    "ec2:*",
    "ec2:Run*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b1/x",
    "arn:aws:s3:::b2/y",
    "arn:aws:iam::111122223333:user/u",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b1/*",
    "arn:aws:s3:::*",
    "arn:aws:iam::*:user/*",
    "arn:aws:s3:::b2/y",
    "arn:aws:ec2:*:*:instance/*",
];
const KEYS: &[&str] = &[
    "aws:SourceIp",
    "aws:MultiFactorAuthPresent",
    "s3:prefix",
    "aws:RequestTag/team",
    "s3:max-keys",
];

fn pick(v: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(v)
}

fn condition() -> impl Strategy<Value = (String, String, Value)> {
    prop_oneof![
        (prop::bool::ANY, pick(&["10.0.0.0/8", "192.168.1.0/24"])).prop_map(|(n, c)| (
            if n { "NotIpAddress" } else { "IpAddress" }.to_string(),
            "aws:SourceIp".to_string(),
            json!(c)
        )),
        (prop::bool::ANY, prop::bool::ANY).prop_map(|(ie, b)| (
            if ie { "BoolIfExists" } else { "Bool" }.to_string(),
            "aws:MultiFactorAuthPresent".to_string(),
            json!(b.to_string())
        )),
        pick(&["StringLike", "StringNotLike", "StringLikeIfExists"]).prop_map(|op| (
            op.to_string(),
            "s3:prefix".to_string(),
            json!(["a*", "b?"])
        )),
        pick(&["StringEquals", "StringNotEquals", "StringEqualsIfExists"]).prop_map(|op| (
            op.to_string(),
            "aws:RequestTag/team".to_string(),
            json!("red")
        )),
        Just((
            "NumericLessThan".to_string(),
            "s3:max-keys".to_string(),
            json!("10")
        )),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::ANY,
        prop::bool::ANY,
        prop::collection::vec(pick(ACTION_PATTERNS), 1..3),
        prop::bool::ANY,
        prop::collection::vec(pick(RESOURCE_PATTERNS), 1..3),
        prop::collection::vec(condition(), 0..3),
        prop::bool::ANY,
    )
        .prop_map(
            |(allow, not_action, actions, not_res, resources, conds, one)| {
                let mut st = serde_json::Map::new();
                st.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                let a = if one {
                    json!(actions[0])
                } else {
                    json!(actions)
                };
                st.insert(if not_action { "NotAction" } else { "Action" }.into(), a);
                st.insert(
                    if not_res { "NotResource" } else { "Resource" }.into(),
                    json!(resources),
                );
                if !conds.is_empty() {
                    let mut c = serde_json::Map::new();
                    for (op, key, val) in conds {
                        let block = c.entry(op).or_insert_with(|| json!({}));
                        block.as_object_mut().unwrap().insert(key, val);
                    }
                    st.insert("Condition".into(), Value::Object(c));
                }
                Value::Object(st)
            },
        )
}

fn document() -> impl Strategy<Value = Value> {
    (prop::collection::vec(statement(), 1..4), prop::bool::ANY).prop_map(|(sts, single)| {
        if single && sts.len() == 1 {
            json!({"Version": "2012-10-17", "Statement": sts[0]})
        } else {
            json!({"Version": "2012-10-17", "Statement": sts})
        }
    })
}

fn context() -> impl Strategy<Value = HashMap<String, String>> {
    (
        prop::option::of(pick(&["10.1.2.3", "192.168.1.9", "8.8.8.8"])),
        prop::option::of(pick(&["true", "false"])),
        prop::option::of(pick(&["abc", "bz", "zzz"])),
        prop::option::of(pick(&["red", "blue"])),
        prop::option::of(pick(&["5", "50"])),
    )
        .prop_map(|(ip, mfa, prefix, tag, max)| {
            let mut m = HashMap::new();
            for (k, v) in KEYS.iter().zip([ip, mfa, prefix, tag, max]) {
                if let Some(v) = v {
                    m.insert(k.to_lowercase(), v.to_string());
                }
            }
            m
        })
}

#[derive(Debug, Clone)]
struct Case {
    identity: Vec<Value>,
    boundary: Vec<Value>,
    scp: Vec<Value>,
    action: String,
    resource: String,
    ctx: HashMap<String, String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(document(), 1..3),
        prop::collection::vec(document(), 0..2),
        prop::collection::vec(document(), 0..2),
        pick(ACTIONS),
        pick(RESOURCES),
        context(),
    )
        .prop_map(|(identity, boundary, scp, action, resource, ctx)| Case {
            identity,
            boundary,
            scp,
            action: action.to_string(),
            resource: resource.to_string(),
            ctx,
        })
}

// ---------- the system under test ----------

fn compiled(docs: &[Value], kind: PolicyKind) -> Vec<Policy> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            let (p, problems) = compile(&format!("p{i}"), kind, d);
            assert!(problems.is_empty(), "{problems:?}");
            p
        })
        .collect()
}

fn fast(case: &Case, keys: &HashMap<String, String>, complete: bool) -> Outcome {
    let id = compiled(&case.identity, PolicyKind::Identity);
    let b = compiled(&case.boundary, PolicyKind::Boundary);
    let s = compiled(&case.scp, PolicyKind::Scp);
    let set = PolicySet {
        identity: id.iter().collect(),
        boundary: (!b.is_empty()).then(|| b.iter().collect()),
        scps: (!s.is_empty()).then(|| s.iter().collect()),
        session: None,
        resource: None,
    };
    let mut ctx = RequestContext::new();
    for (k, v) in keys {
        ctx.set(k, v.clone());
    }
    ctx.complete = complete;
    let caller = Caller {
        arn: "arn:aws:iam::111122223333:user/u".into(),
        account: "111122223333".into(),
        kind: CallerKind::User,
        session_arn: None,
    };
    let action = case.action.to_lowercase();
    decide(
        &Request {
            caller: &caller,
            action: &action,
            target: Target::Arn(&case.resource),
            context: &ctx,
        },
        &set,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// With every key known (present or absent), the evaluator and the reference agree.
    #[test]
    fn agrees_with_the_reference(case in case()) {
        prop_assert_eq!(fast(&case, &case.ctx, true), reference(&case));
    }

    /// Decisions taken with some keys unknown hold for every value of those keys (allowed stays
    /// allowed, denied stays denied).
    #[test]
    fn decisions_without_keys_hold_for_any_value(case in case(), known in prop::collection::vec(prop::bool::ANY, 5), fill in context()) {
        let partial: HashMap<String, String> = case.ctx.iter()
            .filter(|(k, _)| KEYS.iter().position(|x| x.to_lowercase() == **k).is_some_and(|i| known[i]))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let decided = fast(&case, &partial, false);
        if decided != Outcome::ConditionallyAllowed {
            // Complete the context with other values (or leave keys absent).
            let mut full = fill.clone();
            full.extend(partial.clone());
            // Which kind of deny it is may depend on the unknown keys; that it is a deny may not.
            prop_assert_eq!(fast(&case, &full, true).is_allowed(), decided.is_allowed());
            prop_assert_eq!(fast(&case, &partial, true).is_allowed(), decided.is_allowed());
        }
    }
}

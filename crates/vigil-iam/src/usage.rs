//! Used vs granted: CloudTrail calls mapped to the IAM actions they needed, counted per
//! principal over a window. Role-session activity counts for the role (CloudTrail's
//! `sessionIssuer`), so a role's "used" is what every session of it did.
//!
//! `eventSource` + `eventName` → actions: the event source's prefix is translated to the IAM
//! service prefix where the two differ (`monitoring` → `cloudwatch`), then the SDK map shipped
//! in `data/cloudtrail-actions.txt` says which actions a call needs when that is not simply
//! `prefix:EventName`.

use crate::catalog::Catalog;
use crate::effective::BitSet;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;
use vigil_model::{CloudEvent, Timestamp};

/// The shipped SDK map.
pub const CLOUDTRAIL_ACTIONS_TXT: &str = include_str!("../data/cloudtrail-actions.txt");

/// Default look-back for "used": 90 days.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;

/// One API call, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCall {
    pub time: Timestamp,
    /// The user or role ARN (for a role session: the role).
    pub principal_arn: String,
    /// `eventSource`, e.g. `iam.amazonaws.com`.
    pub event_source: String,
    pub event_name: String,
    pub succeeded: bool,
    /// The CloudTrail `eventID`, to list replayed denials.
    pub event_id: String,
    /// ARNs the call touched, when CloudTrail says.
    pub resources: Vec<String>,
    /// The access key that signed the call.
    pub access_key_id: Option<String>,
}

impl ApiCall {
    /// From a normalised CloudTrail event; `None` for calls without a principal ARN
    /// (services, anonymous, other accounts).
    pub fn from_cloud_event(id: &str, time: Timestamp, e: &CloudEvent) -> Option<ApiCall> {
        Some(ApiCall {
            time,
            principal_arn: e.actor.principal_arn()?.to_string(),
            event_source: e.service.to_string(),
            event_name: e.action.to_string(),
            succeeded: e.succeeded(),
            event_id: id.to_string(),
            resources: e
                .resources
                .iter()
                .filter(|r| r.id.starts_with("arn:"))
                .map(|r| r.id.to_string())
                .collect(),
            access_key_id: e.access_key_id.as_deref().map(str::to_string),
        })
    }
}

/// `eventSource` prefixes whose IAM service prefix is different.
const SOURCE_TO_PREFIX: &[(&str, &str)] = &[
    ("monitoring", "cloudwatch"),
    ("email", "ses"),
    ("elasticfilesystem", "elasticfilesystem"),
    ("elasticloadbalancing", "elasticloadbalancing"),
    ("es", "es"),
    ("logs", "logs"),
    ("signin", "signin"),
    ("sso-directory", "sso-directory"),
    ("api.ecr", "ecr"),
    ("ecr-public", "ecr-public"),
    ("lex", "lex"),
    ("runtime.lex", "lex"),
    ("runtime.sagemaker", "sagemaker"),
    ("data.iot", "iot"),
    ("execute-api", "execute-api"),
    ("apigateway", "apigateway"),
    ("cognito-idp", "cognito-idp"),
    ("cognito-identity", "cognito-identity"),
    ("securityhub", "securityhub"),
    ("bedrock", "bedrock"),
];

/// The IAM service prefix of an event source.
pub fn iam_prefix(event_source: &str) -> String {
    let short = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    SOURCE_TO_PREFIX
        .iter()
        .find(|(s, _)| *s == short)
        .map_or_else(|| short.to_ascii_lowercase(), |(_, p)| p.to_string())
}

fn sdk_map() -> &'static HashMap<String, Vec<String>> {
    static MAP: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    MAP.get_or_init(|| {
        CLOUDTRAIL_ACTIONS_TXT
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut parts = l.split(' ');
                let key = parts.next()?.to_ascii_lowercase();
                Some((key, parts.map(str::to_string).collect()))
            })
            .collect()
    })
}

/// The catalogue actions a call needed; empty when it maps to nothing Vigil knows.
pub fn actions_for(cat: &Catalog, event_source: &str, event_name: &str) -> Vec<u32> {
    let key = format!("{}:{}", iam_prefix(event_source), event_name);
    if let Some(actions) = sdk_map().get(&key.to_ascii_lowercase()) {
        let mapped: Vec<u32> = actions.iter().filter_map(|a| cat.index_of(a)).collect();
        if !mapped.is_empty() {
            return mapped;
        }
    }
    cat.index_of(&key).into_iter().collect()
}

/// What one principal used in the window.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Actions used (successful calls), as catalogue indexes.
    pub used: BitSet,
    /// Calls per action index.
    pub counts: HashMap<u32, u64>,
    pub calls: u64,
    pub denied_calls: u64,
    pub last_call: Option<Timestamp>,
}

/// Usage per principal ARN, plus what could not be mapped.
#[derive(Debug, Clone, Default)]
pub struct UsageIndex {
    pub by_principal: HashMap<String, Usage>,
    pub window_start: Option<Timestamp>,
    pub window_end: Option<Timestamp>,
    /// `source:name` of calls that map to no known action, with counts.
    pub unmapped: BTreeSet<String>,
    pub calls_in_window: u64,
}

impl UsageIndex {
    /// Counts the calls in `[end - window_days, end]`.
    pub fn build<'c>(
        cat: &Catalog,
        calls: impl IntoIterator<Item = &'c ApiCall>,
        end: Timestamp,
        window_days: i64,
    ) -> UsageIndex {
        let start = end.plus_millis(-window_days.saturating_mul(86_400_000));
        let mut idx = UsageIndex {
            window_start: Some(start),
            window_end: Some(end),
            ..UsageIndex::default()
        };
        for c in calls
            .into_iter()
            .filter(|c| c.time >= start && c.time <= end)
        {
            idx.calls_in_window += 1;
            let actions = actions_for(cat, &c.event_source, &c.event_name);
            if actions.is_empty() {
                idx.unmapped
                    .insert(format!("{}:{}", c.event_source, c.event_name));
            }
            let u = idx
                .by_principal
                .entry(c.principal_arn.clone())
                .or_insert_with(|| Usage {
                    used: BitSet::new(cat.len()),
                    ..Usage::default()
                });
            u.calls += 1;
            u.last_call = Some(u.last_call.map_or(c.time, |t| t.max(c.time)));
            if !c.succeeded {
                u.denied_calls += 1;
                continue;
            }
            for a in actions {
                u.used.insert(a);
                *u.counts.entry(a).or_insert(0) += 1;
            }
        }
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_events_to_actions() {
        let cat = Catalog::builtin();
        let name = |v: Vec<u32>| -> Vec<String> {
            v.iter()
                .map(|i| cat.action(*i).unwrap().name.clone())
                .collect()
        };
        assert_eq!(
            name(actions_for(cat, "iam.amazonaws.com", "CreateAccessKey")),
            ["iam:CreateAccessKey"]
        );
        assert_eq!(
            name(actions_for(
                cat,
                "monitoring.amazonaws.com",
                "GetMetricData"
            )),
            ["cloudwatch:GetMetricData"]
        );
        assert_eq!(
            name(actions_for(
                cat,
                "s3.amazonaws.com",
                "CompleteMultipartUpload"
            )),
            ["s3:PutObject"]
        );
        assert!(actions_for(cat, "nothing.amazonaws.com", "Nope").is_empty());
    }
}

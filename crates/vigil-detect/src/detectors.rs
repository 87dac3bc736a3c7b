//! Contextual detectors: verdicts a pattern rule cannot give because they compare a request with
//! its context — a snapshot shared with *another* account, a bucket policy opened to an
//! *outside* principal, *mass* deletion, instance launches in *new* regions — plus the tamper
//! events that blind the defenders. Each returns a [`Finding`] for the correlator.

use crate::config::DetectConfig;
use crate::fasthash::FastMap;
use crate::finding::{Category, Finding, mitre};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_model::{AlertKind, CloudEvent, EntityKind, EntityRef, Evidence, Severity, Timestamp};

/// Builds a finding of a contextual detector.
#[allow(clippy::too_many_arguments)]
fn finding(
    alert_type: &str,
    category: Category,
    severity: Severity,
    weight: f64,
    title: String,
    why: String,
    m: vigil_model::MitreRef,
    entities: Vec<EntityRef>,
    ev: &Evidence,
) -> Finding {
    Finding {
        key: format!("{alert_type}:{title}"),
        alert_type: alert_type.to_string(),
        kind: AlertKind::Rule,
        category,
        severity,
        weight,
        title,
        explanations: vec![why],
        mitre: vec![m],
        entities,
        evidence: vec![ev.clone()],
        first_seen: ev.time,
        last_seen: ev.time,
        standalone: true,
    }
}

/// Accounts (or `all`) a sharing request adds that are not the event's own account.
fn outside_accounts(values: Option<Value>, own: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |s: &str| {
        if s != own && !s.is_empty() && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    match values {
        Some(Value::Array(a)) => {
            for v in a {
                match v {
                    Value::String(s) => push(&s),
                    Value::Object(o) => {
                        for k in ["userId", "group", "UserId", "Group"] {
                            if let Some(Value::String(s)) = o.get(k) {
                                push(s);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Some(Value::Object(o)) => {
            if let Some(items) = o.get("items") {
                for s in outside_accounts(Some(items.clone()), own) {
                    push(&s);
                }
            }
        }
        Some(Value::String(s)) => push(&s),
        _ => {}
    }
    out
}

/// The calls [`contextual`] looks at; everything else passes by at the cost of one scan.
const CONTEXTUAL_ACTIONS: [&str; 22] = [
    "ModifyDBClusterSnapshotAttribute",
    "ModifyDBSnapshotAttribute",
    "ModifySnapshotAttribute",
    "ModifyImageAttribute",
    "PutBucketPolicy",
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "DeleteFlowLogs",
    "DeleteDetector",
    "UpdateDetector",
    "DisassociateFromMasterAccount",
    "DisassociateFromAdministratorAccount",
    "DeleteMembers",
    "StopMonitoringMembers",
    "CreateIPSet",
    "UpdateIPSet",
    "StopConfigurationRecorder",
    "DeleteDeliveryChannel",
    "DeleteConfigurationRecorder",
    "DeletePublishingDestination",
];

/// Stateless verdicts on one successful call.
pub fn contextual(c: &CloudEvent, evidence: &mut impl FnMut() -> Evidence) -> Option<Finding> {
    if !c.succeeded() || !CONTEXTUAL_ACTIONS.contains(&c.action.as_str()) {
        return None;
    }
    let ev = &evidence();
    let params = || c.request_parameters.as_ref();
    let acct = c.account.as_str();
    let exfil = |title: String, why: String, entities: Vec<EntityRef>| {
        Some(finding(
            "data_exfiltration",
            Category::Exfiltration,
            Severity::High,
            0.75,
            title,
            why,
            mitre("TA0010", "T1537"),
            entities,
            ev,
        ))
    };
    match c.action.as_str() {
        "ModifyDBClusterSnapshotAttribute" | "ModifyDBSnapshotAttribute" => {
            let p = params()?;
            let name = p
                .get("/dBClusterSnapshotIdentifier")
                .or_else(|| p.get("/dBSnapshotIdentifier"))
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let outside = outside_accounts(p.get("/valuesToAdd"), acct);
            if outside.is_empty() {
                return None;
            }
            let arn = c
                .resources
                .iter()
                .find(|r| r.id.contains(":snapshot:") || r.id.contains(":cluster-snapshot:"))
                .map(|r| r.id.to_string())
                .unwrap_or_else(|| {
                    let kind = if c.action.contains("Cluster") {
                        "cluster-snapshot"
                    } else {
                        "snapshot"
                    };
                    format!("arn:aws:rds:{}:{acct}:{kind}:{name}", c.region)
                });
            exfil(
                format!("Database snapshot {name} shared outside the account"),
                format!(
                    "RDS snapshot `{name}` made restorable by {} (not account {acct})",
                    outside.join(", ")
                ),
                vec![EntityRef::new(EntityKind::DbSnapshot, arn)],
            )
        }
        "ModifySnapshotAttribute" | "ModifyImageAttribute" => {
            let p = params()?;
            let (what, id, perm) = if c.action == "ModifySnapshotAttribute" {
                (
                    "EBS snapshot",
                    p.get("/snapshotId"),
                    p.get("/createVolumePermission/add"),
                )
            } else {
                ("AMI", p.get("/imageId"), p.get("/launchPermission/add"))
            };
            let outside = outside_accounts(perm, acct);
            if outside.is_empty() {
                return None;
            }
            let id = id
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            exfil(
                format!("{what} {id} shared outside the account"),
                format!("{what} `{id}` shared with {}", outside.join(", ")),
                vec![EntityRef::infer(&id)],
            )
        }
        "PutBucketPolicy" => {
            let p = params()?;
            let bucket = p
                .get("/bucketName")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let policy = match p.get("/bucketPolicy") {
                Some(Value::String(s)) => serde_json::from_str(&s).ok()?,
                Some(v) => v,
                None => return None,
            };
            let outside = policy_outside_principals(&policy, acct);
            if outside.is_empty() {
                return None;
            }
            exfil(
                format!("Bucket {bucket} opened to an outside principal"),
                format!("bucket policy of `{bucket}` allows {}", outside.join(", ")),
                vec![EntityRef::new(EntityKind::Bucket, bucket)],
            )
        }
        "StopLogging"
        | "DeleteTrail"
        | "UpdateTrail"
        | "PutEventSelectors"
        | "DeleteFlowLogs"
        | "DeleteDetector"
        | "UpdateDetector"
        | "DisassociateFromMasterAccount"
        | "DisassociateFromAdministratorAccount"
        | "DeleteMembers"
        | "StopMonitoringMembers"
        | "CreateIPSet"
        | "UpdateIPSet"
        | "StopConfigurationRecorder"
        | "DeleteDeliveryChannel"
        | "DeleteConfigurationRecorder"
        | "DeletePublishingDestination" => {
            if c.action == "UpdateDetector" {
                let enabled = params()
                    .and_then(|p| p.get("/enable"))
                    .and_then(|v| v.as_bool());
                if enabled != Some(false) {
                    return None;
                }
            }
            if c.action == "PutEventSelectors" || c.action == "UpdateTrail" {
                // Narrowing what is logged; widening is routine. Without a way to tell, a
                // selector change counts only as a weaker signal.
            }
            let technique = if c.service_short() == "cloudtrail" || c.action.contains("FlowLogs") {
                "T1562.008"
            } else {
                "T1562.001"
            };
            let weight = match c.action.as_str() {
                "PutEventSelectors" | "UpdateTrail" | "CreateIPSet" | "UpdateIPSet" => 0.35,
                _ => 0.6,
            };
            Some(finding(
                "defense_evasion",
                Category::DefenseEvasion,
                Severity::High,
                weight,
                format!("{} called", c.iam_action()),
                format!(
                    "`{}` in {} weakens logging or threat detection",
                    c.iam_action(),
                    c.region
                ),
                mitre("TA0005", technique),
                Vec::new(),
                ev,
            ))
        }
        _ => None,
    }
}

/// Principals of Allow statements that are `*` or in another account.
fn policy_outside_principals(policy: &Value, own: &str) -> Vec<String> {
    let mut out = Vec::new();
    let statements = match policy.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => return out,
    };
    for st in statements {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let mut principals = Vec::new();
        match st.get("Principal") {
            Some(Value::String(s)) => principals.push(s.clone()),
            Some(Value::Object(o)) => {
                for v in o.values() {
                    match v {
                        Value::String(s) => principals.push(s.clone()),
                        Value::Array(a) => principals
                            .extend(a.iter().filter_map(Value::as_str).map(str::to_string)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        for p in principals {
            let account = if p.starts_with("arn:") {
                p.split(':').nth(4).unwrap_or_default().to_string()
            } else {
                p.clone()
            };
            let outside = p == "*"
                || (account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && account != own);
            if outside && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Per-chain counters over short windows for the volume-based detectors.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct RateCounters {
    by_root: FastMap<u64, Counters>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Counters {
    window_start: i64,
    deletes: u32,
    reencrypts: u32,
    reads: u32,
    instances: u32,
    reported: u8,
}

const WINDOW_MS: i64 = 10 * 60 * 1000;
const HOUR_MS: i64 = 60 * 60 * 1000;

impl RateCounters {
    pub fn len(&self) -> usize {
        self.by_root.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_root.is_empty()
    }

    /// Forgets chains idle for an hour.
    pub fn sweep(&mut self, now: Timestamp) {
        self.by_root
            .retain(|_, c| now.as_millis() - c.window_start < HOUR_MS);
    }

    /// Counts `c` (at `time`) for its chain; returns a finding when a threshold is crossed,
    /// with the evidence `evidence` makes (only then: most calls cross nothing, and an
    /// evidence summary is formatted text). `new_region_for_account` says whether the account
    /// had never used this region.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        root: u64,
        c: &CloudEvent,
        time: Timestamp,
        evidence: &mut dyn FnMut() -> Evidence,
        after_discovery: bool,
        new_region_for_account: bool,
        config: &DetectConfig,
    ) -> Option<Finding> {
        let action = c.action.as_str();
        let s3 = c.service == "s3.amazonaws.com";
        let ec2_launch = action == "RunInstances" && c.service == "ec2.amazonaws.com";
        if !(s3 || ec2_launch) || !c.succeeded() {
            return None;
        }
        let t = time.as_millis();
        let k = self.by_root.entry(root).or_default();
        let window = if ec2_launch { HOUR_MS } else { WINDOW_MS };
        if t - k.window_start >= window {
            *k = Counters {
                window_start: t,
                ..Counters::default()
            };
        }
        match action {
            "DeleteObject" | "DeleteObjects" | "DeleteBucket" => {
                let n = if action == "DeleteObjects" {
                    c.request_parameters
                        .as_ref()
                        .and_then(|p| p.get("/Delete/Object"))
                        .map_or(1, |v| v.as_array().map_or(1, |a| a.len() as u32))
                } else {
                    1
                };
                k.deletes = k.deletes.saturating_add(n);
            }
            "PutObject" | "CopyObject" => {
                let sse_c = c.request_parameters.as_ref().is_some_and(|p| {
                    p.as_str()
                        .contains("x-amz-server-side-encryption-customer-algorithm")
                }) || c
                    .additional_event_data
                    .as_ref()
                    .is_some_and(|p| p.as_str().contains("SSE-C"));
                k.reencrypts = k.reencrypts.saturating_add(u32::from(sse_c));
            }
            "GetObject" => k.reads = k.reads.saturating_add(1),
            "RunInstances" => {
                let n = c
                    .request_parameters
                    .as_ref()
                    .and_then(|p| {
                        p.get("/instancesSet/items/0/maxCount")
                            .or_else(|| p.get("/maxCount"))
                    })
                    .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                    .unwrap_or(1);
                k.instances = k
                    .instances
                    .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
            }
            _ => return None,
        }
        let bucket = || {
            c.request_parameters
                .as_ref()
                .and_then(|p| p.get("/bucketName"))
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let once = |k: &mut Counters, bit: u8| {
            let first = k.reported & bit == 0;
            k.reported |= bit;
            first
        };
        if (k.deletes >= config.ransomware_min_objects
            || k.reencrypts >= config.ransomware_min_objects / 2)
            && once(k, 1)
        {
            let b = bucket();
            return Some(finding(
                "cloud_ransomware",
                Category::Ransomware,
                Severity::Critical,
                0.85,
                format!("Mass deletion or re-encryption in bucket {b}"),
                format!(
                    "{} deletions and {} customer-key re-encryptions within 10 minutes",
                    k.deletes, k.reencrypts
                ),
                mitre("TA0040", if k.reencrypts > 0 { "T1486" } else { "T1485" }),
                vec![EntityRef::new(EntityKind::Bucket, b)],
                &evidence(),
            ));
        }
        if after_discovery && k.reads >= config.mass_read_min_objects && once(k, 2) {
            let b = bucket();
            return Some(finding(
                "data_exfiltration",
                Category::Exfiltration,
                Severity::High,
                0.6,
                format!("Mass object reads from {b} after discovery"),
                format!(
                    "{} object reads within 10 minutes, after a discovery sweep",
                    k.reads
                ),
                mitre("TA0009", "T1530"),
                vec![EntityRef::new(EntityKind::Bucket, b)],
                &evidence(),
            ));
        }
        if ec2_launch {
            let itype = c
                .request_parameters
                .as_ref()
                .and_then(|p| p.get("/instanceType"))
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let accelerated = [
                "p2.", "p3", "p4", "p5", "g3", "g4", "g5", "g6", "inf", "trn", "dl1",
            ]
            .iter()
            .any(|f| itype.starts_with(f))
                || [
                    "12xlarge", "16xlarge", "24xlarge", "32xlarge", "48xlarge", "metal",
                ]
                .iter()
                .any(|s| itype.ends_with(s));
            if (new_region_for_account || accelerated)
                && (k.instances >= config.cryptomining_min_instances
                    || accelerated && new_region_for_account)
                && once(k, 4)
            {
                return Some(finding(
                    "cryptomining",
                    Category::Cryptomining,
                    Severity::High,
                    0.7,
                    format!("{} × {itype} launched in {}", k.instances, c.region),
                    format!(
                        "{} instances of type `{itype}` within an hour in {}{}",
                        k.instances,
                        c.region,
                        if new_region_for_account {
                            ", a region the account never used"
                        } else {
                            ""
                        }
                    ),
                    mitre("TA0040", "T1496"),
                    Vec::new(),
                    &evidence(),
                ));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outside_principals_in_policies() {
        let p = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "s3:GetObject"},
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:role/x"]}, "Action": "s3:*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*"}
        ]});
        assert_eq!(
            policy_outside_principals(&p, "111122223333"),
            vec!["arn:aws:iam::999988887777:root".to_string()]
        );
        assert_eq!(
            outside_accounts(Some(json!(["111122223333", "all"])), "111122223333"),
            vec!["all".to_string()]
        );
    }
}

//! What the join reads from the store: the CloudTrail window as IAM calls, and the owners of
//! the keys a scan found.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use vigil_iam::ApiCall;
use vigil_model::{Actor, EntityKind, EntityRef};
use vigil_scan::ScanReport;
use vigil_store::{EventQuery, Store};

/// The last `days` of CloudTrail in the store (up to its newest event) as IAM calls; role
/// sessions count for the role.
pub fn cloudtrail_calls(store: &Store, days: i64) -> vigil_store::Result<Vec<ApiCall>> {
    let Some((_, last)) = store.stats()?.event_time_range else {
        return Ok(Vec::new());
    };
    let since = last.plus_millis(-days.saturating_mul(86_400_000));
    let mut calls = Vec::new();
    store.for_each_event_in_time_order(Some(since), &mut |stored| {
        let e = &stored.event;
        if let Some(c) = e.cloud()
            && let Some(call) = ApiCall::from_cloud_event(&e.id, e.time, c)
        {
            calls.push(call);
        }
        ControlFlow::Continue(())
    })?;
    Ok(calls)
}

/// Who owns each AWS key the scan found: CloudTrail names the IAM user behind every call made
/// with a long-lived key. Keys never seen in CloudTrail stay unattributed.
pub fn key_owners(
    store: &Store,
    scan: &ScanReport,
) -> vigil_store::Result<BTreeMap<String, String>> {
    let mut owners = BTreeMap::new();
    for id in scan
        .secrets
        .iter()
        .filter_map(|s| s.aws_access_key_id.as_ref())
    {
        if owners.contains_key(id) {
            continue;
        }
        let events = store.query_events(&EventQuery {
            entity: Some(EntityRef::new(EntityKind::AccessKey, id)),
            limit: Some(50),
            ..EventQuery::default()
        })?;
        let owner = events.iter().find_map(|s| match &*s.event.cloud()?.actor {
            Actor::IamUser { arn, .. } | Actor::Root { arn, .. } => Some(arn.to_string()),
            _ => None,
        });
        if let Some(arn) = owner {
            owners.insert(id.clone(), arn);
        }
    }
    Ok(owners)
}

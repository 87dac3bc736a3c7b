//! One raw CloudTrail record → one [`Event`].

use crate::actor::actor;
use crate::depth;
use crate::limits::FileContext;
use crate::memo::{self, IdentityFacts, IdentityNote, ResourcesNote};
use crate::raw::{Kept, RawRecord, RawResource};
use crate::reason::SkipReason;
use crate::text::{Lenient, Text};
use crate::timefmt::parse_time;
use std::sync::Arc;
use vigil_model::{CloudEvent, CompactString, Event, EventBody, EventSource, RawJson, ResourceRef};

/// Values to use when a record lacks its own: an EventBridge envelope's, then the S3 path's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fallbacks<'f> {
    pub account: Option<&'f str>,
    pub region: Option<&'f str>,
    pub time: Option<&'f str>,
}

impl<'f> Fallbacks<'f> {
    /// The file's own: the account and region of its S3 path, no time.
    pub fn of_file(ctx: &'f FileContext) -> Self {
        Fallbacks {
            account: ctx.account.as_deref(),
            region: ctx.region.as_deref(),
            time: None,
        }
    }
}

fn opt(t: Option<Text<'_>>) -> Option<CompactString> {
    t.map(Text::into_compact).filter(|v| !v.is_empty())
}

fn nonempty<'t>(t: &'t Option<Text<'_>>) -> Option<&'t str> {
    t.as_ref().map(Text::as_str).filter(|v| !v.is_empty())
}

fn blob(v: Option<&Kept<'_>>) -> Option<RawJson> {
    let v = v?;
    // Both readers validated the text (see `Kept`).
    (v.as_str() != "null").then(|| RawJson::from_validated(v.as_str()))
}

/// A kept value nested deeper than rules and the store's reader go: the record is skipped.
fn check_depth(v: &Option<Kept<'_>>, field: &'static str) -> Result<(), (SkipReason, String)> {
    match v {
        Some(v) if !v.shallow && depth::too_deep(v.as_str().as_bytes()) => Err((
            SkipReason::InvalidField(field),
            format!("nested deeper than {} levels", depth::MAX_KEPT_DEPTH),
        )),
        _ => Ok(()),
    }
}

/// The resources a record names: those with an ARN (or id), in order.
fn resource_refs(raw: Option<Vec<Lenient<RawResource<'_>>>>) -> Vec<ResourceRef> {
    raw.unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.0)
        .filter_map(|r| {
            Some(ResourceRef {
                id: opt(r.arn)?,
                kind: opt(r.kind),
                account: opt(r.account_id),
            })
        })
        .collect()
}

/// `vigil-<xxh3-128 hex>`: a deterministic id for input that has none, so re-ingesting the same
/// bytes yields the same id.
pub fn derived_id(bytes: &[u8]) -> String {
    format!("vigil-{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Normalises one record. `raw` is the record's bytes (for a derived id).
pub fn normalise(
    rec: &mut RawRecord<'_>,
    raw: &[u8],
    fb: Fallbacks<'_>,
) -> Result<Event, (SkipReason, String)> {
    let time_text = nonempty(&rec.event_time).or(fb.time);
    let Some(time_text) = time_text else {
        return Err((SkipReason::MissingField("eventTime"), String::new()));
    };
    let Some(time) = parse_time(time_text) else {
        let shown: String = time_text.chars().take(40).collect();
        return Err((SkipReason::InvalidField("eventTime"), shown));
    };
    let Some(service) = opt(rec.event_source.take()) else {
        return Err((SkipReason::MissingField("eventSource"), String::new()));
    };
    let Some(action) = opt(rec.event_name.take()) else {
        return Err((SkipReason::MissingField("eventName"), String::new()));
    };
    check_depth(&rec.request_parameters, "requestParameters")?;
    check_depth(&rec.response_elements, "responseElements")?;
    check_depth(&rec.additional_event_data, "additionalEventData")?;
    let identity = rec.user_identity.as_ref();
    let known = match &rec.identity_note {
        IdentityNote::Known(f) => Some(f.as_ref()),
        _ => None,
    };
    let account: CompactString = nonempty(&rec.recipient_account)
        .or_else(|| known.map(|f| f.account_id.as_str()))
        .or_else(|| identity.and_then(|i| nonempty(&i.account_id)))
        .or(fb.account)
        .unwrap_or_default()
        .into();
    let region: CompactString = nonempty(&rec.aws_region)
        .or(fb.region)
        .unwrap_or("unknown")
        .into();
    let (actor, access_key_id, invoked_by) = match known {
        Some(f) => (
            f.actor.clone(),
            f.access_key_id.clone(),
            f.invoked_by.clone(),
        ),
        None => {
            let actor = Arc::new(actor(identity, &account));
            let access_key_id = identity
                .and_then(|i| nonempty(&i.access_key_id))
                .map(CompactString::from);
            let invoked_by = identity
                .and_then(|i| nonempty(&i.invoked_by))
                .map(CompactString::from);
            if let (IdentityNote::Read(text), Some(own)) = (
                &rec.identity_note,
                identity.and_then(|i| nonempty(&i.account_id)),
            ) {
                memo::remember_identity(text, || IdentityFacts {
                    account_id: own.into(),
                    actor: actor.clone(),
                    access_key_id: access_key_id.clone(),
                    invoked_by: invoked_by.clone(),
                });
            }
            (actor, access_key_id, invoked_by)
        }
    };
    let id = rec
        .event_id
        .take()
        .map(Text::into_string)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| derived_id(raw));
    let resources: Arc<[ResourceRef]> = match std::mem::take(&mut rec.resources_note) {
        ResourcesNote::Known(known) => known,
        note => {
            let refs: Arc<[ResourceRef]> = resource_refs(rec.resources.take()).into();
            if let ResourcesNote::Read(text) = note {
                memo::remember_resources(text, || refs.clone());
            }
            refs
        }
    };
    let cloud = CloudEvent {
        account,
        region,
        service,
        action,
        event_type: opt(rec.event_type.take()).unwrap_or_default(),
        actor,
        access_key_id,
        source_ip: opt(rec.source_ip.take()),
        user_agent: opt(rec.user_agent.take()),
        error_code: opt(rec.error_code.take()),
        error_message: opt(rec.error_message.take()),
        read_only: rec.read_only.and_then(|f| f.0),
        request_parameters: blob(rec.request_parameters.as_ref()),
        response_elements: blob(rec.response_elements.as_ref()),
        additional_event_data: blob(rec.additional_event_data.as_ref()),
        resources,
        invoked_by,
        vpc_endpoint_id: opt(rec.vpc_endpoint_id.take()),
    };
    Ok(Event {
        id,
        time,
        source: EventSource::Cloudtrail,
        body: EventBody::Cloud(cloud),
    })
}

//! CloudTrail records as they are written, borrowed from the input. Every field is optional so
//! that a record missing a field is reported by normalisation, not lost to a parse error;
//! unknown fields are skipped. The same struct also reads the envelopes that wrap a record
//! (EventBridge's `detail`, `lookup-events`' `CloudTrailEvent`).

use crate::memo::{IdentityNote, ResourcesNote};
use crate::text::{Flag, Lenient, Text};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use sonic_rs::LazyValue;
use std::borrow::Cow;
use std::fmt;

/// One record (or envelope). The general path reads it with sonic-rs through serde (by hand
/// rather than derived: duplicate keys, the last one wins, as in most readers); the fast path
/// reads the same struct with [`crate::fast_record`].
#[derive(Debug, Default)]
pub struct RawRecord<'a> {
    pub event_time: Option<Text<'a>>,
    pub event_source: Option<Text<'a>>,
    pub event_name: Option<Text<'a>>,
    pub event_type: Option<Text<'a>>,
    pub event_id: Option<Text<'a>>,
    pub aws_region: Option<Text<'a>>,
    pub source_ip: Option<Text<'a>>,
    pub user_agent: Option<Text<'a>>,
    pub error_code: Option<Text<'a>>,
    pub error_message: Option<Text<'a>>,
    pub recipient_account: Option<Text<'a>>,
    pub vpc_endpoint_id: Option<Text<'a>>,
    pub read_only: Option<Flag>,
    pub user_identity: Option<RawIdentity<'a>>,
    pub request_parameters: Option<Kept<'a>>,
    pub response_elements: Option<Kept<'a>>,
    pub additional_event_data: Option<Kept<'a>>,
    pub resources: Option<Vec<Lenient<RawResource<'a>>>>,
    pub detail: Option<Kept<'a>>,
    pub detail_type: Option<Text<'a>>,
    pub account: Option<Text<'a>>,
    pub region: Option<Text<'a>>,
    pub time: Option<Text<'a>>,
    pub cloudtrail_event: Option<Text<'a>>,
    /// How the fast path read `user_identity` ([`crate::memo`]).
    pub identity_note: IdentityNote<'a>,
    /// How the fast path read `resources` ([`crate::memo`]).
    pub resources_note: ResourcesNote<'a>,
}

/// A JSON value kept verbatim (`requestParameters`, an envelope's `detail`): its text, as the
/// input wrote it, validated by the parser that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept<'a> {
    pub text: Cow<'a, str>,
    /// Known to nest no deeper than [`crate::depth::MAX_KEPT_DEPTH`] (the fast path's cursor
    /// measures depth as it skips); `false` when not known.
    pub shallow: bool,
}

impl Kept<'_> {
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Kept<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // sonic-rs validates what it lends (it is only ever read with sonic-rs).
        LazyValue::deserialize(d).map(|v| Kept {
            text: v.as_raw_cow(),
            shallow: false,
        })
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawRecord<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = RawRecord<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail record (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut r = RawRecord::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.as_str() {
                "eventTime" => r.event_time = map.next_value()?,
                "eventSource" => r.event_source = map.next_value()?,
                "eventName" => r.event_name = map.next_value()?,
                "eventType" => r.event_type = map.next_value()?,
                "eventID" => r.event_id = map.next_value()?,
                "awsRegion" => r.aws_region = map.next_value()?,
                "sourceIPAddress" => r.source_ip = map.next_value()?,
                "userAgent" => r.user_agent = map.next_value()?,
                "errorCode" => r.error_code = map.next_value()?,
                "errorMessage" => r.error_message = map.next_value()?,
                "recipientAccountId" => r.recipient_account = map.next_value()?,
                "vpcEndpointId" => r.vpc_endpoint_id = map.next_value()?,
                "readOnly" => r.read_only = map.next_value()?,
                "userIdentity" => r.user_identity = map.next_value()?,
                "requestParameters" => r.request_parameters = map.next_value()?,
                "responseElements" => r.response_elements = map.next_value()?,
                "additionalEventData" => r.additional_event_data = map.next_value()?,
                "resources" => r.resources = map.next_value()?,
                "detail" => r.detail = map.next_value()?,
                "detail-type" => r.detail_type = map.next_value()?,
                "account" => r.account = map.next_value()?,
                "region" => r.region = map.next_value()?,
                "time" => r.time = map.next_value()?,
                "CloudTrailEvent" => r.cloudtrail_event = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(r)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RawIdentity<'a> {
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub arn: Option<Text<'a>>,
    #[serde(rename = "accountId", borrow, default)]
    pub account_id: Option<Text<'a>>,
    #[serde(rename = "principalId", borrow, default)]
    pub principal_id: Option<Text<'a>>,
    #[serde(rename = "userName", borrow, default)]
    pub user_name: Option<Text<'a>>,
    #[serde(rename = "accessKeyId", borrow, default)]
    pub access_key_id: Option<Text<'a>>,
    #[serde(rename = "invokedBy", borrow, default)]
    pub invoked_by: Option<Text<'a>>,
    #[serde(rename = "identityProvider", borrow, default)]
    pub identity_provider: Option<Text<'a>>,
    #[serde(rename = "sessionContext", borrow, default)]
    pub session_context: Option<RawSessionContext<'a>>,
    #[serde(rename = "onBehalfOf", borrow, default)]
    pub on_behalf_of: Option<RawOnBehalfOf<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawSessionContext<'a> {
    #[serde(rename = "sessionIssuer", borrow, default)]
    pub session_issuer: Option<RawIssuer<'a>>,
    #[serde(default)]
    pub attributes: Option<RawAttributes>,
    #[serde(rename = "sourceIdentity", borrow, default)]
    pub source_identity: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawIssuer<'a> {
    #[serde(borrow, default)]
    pub arn: Option<Text<'a>>,
    #[serde(rename = "userName", borrow, default)]
    pub user_name: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawAttributes {
    #[serde(rename = "mfaAuthenticated", default)]
    pub mfa_authenticated: Option<Flag>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawOnBehalfOf<'a> {
    #[serde(rename = "userId", borrow, default)]
    pub user_id: Option<Text<'a>>,
    #[serde(rename = "identityStoreArn", borrow, default)]
    pub identity_store_arn: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawResource<'a> {
    #[serde(rename = "ARN", alias = "arn", borrow, default)]
    pub arn: Option<Text<'a>>,
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Text<'a>>,
    #[serde(rename = "accountId", borrow, default)]
    pub account_id: Option<Text<'a>>,
}

//! CloudTrail records as they are written, borrowed from the input. Every field is optional so
//! that a record missing a field is reported by normalisation, not lost to a parse error;
//! unknown fields are skipped. The same struct also reads the envelopes that wrap a record
//! (EventBridge's `detail`, `lookup-events`' `CloudTrailEvent`).

use crate::text::{Flag, Lenient, Text};
use serde::Deserialize;
use sonic_rs::LazyValue;

#[derive(Debug, Deserialize)]
pub struct RawRecord<'a> {
    #[serde(rename = "eventTime", borrow, default)]
    pub event_time: Option<Text<'a>>,
    #[serde(rename = "eventSource", borrow, default)]
    pub event_source: Option<Text<'a>>,
    #[serde(rename = "eventName", borrow, default)]
    pub event_name: Option<Text<'a>>,
    #[serde(rename = "eventType", borrow, default)]
    pub event_type: Option<Text<'a>>,
    #[serde(rename = "eventID", borrow, default)]
    pub event_id: Option<Text<'a>>,
    #[serde(rename = "awsRegion", borrow, default)]
    pub aws_region: Option<Text<'a>>,
    #[serde(rename = "sourceIPAddress", borrow, default)]
    pub source_ip: Option<Text<'a>>,
    #[serde(rename = "userAgent", borrow, default)]
    pub user_agent: Option<Text<'a>>,
    #[serde(rename = "errorCode", borrow, default)]
    pub error_code: Option<Text<'a>>,
    #[serde(rename = "errorMessage", borrow, default)]
    pub error_message: Option<Text<'a>>,
    #[serde(rename = "recipientAccountId", borrow, default)]
    pub recipient_account: Option<Text<'a>>,
    #[serde(rename = "vpcEndpointId", borrow, default)]
    pub vpc_endpoint_id: Option<Text<'a>>,
    #[serde(rename = "readOnly", default)]
    pub read_only: Option<Flag>,
    #[serde(rename = "userIdentity", borrow, default)]
    pub user_identity: Option<RawIdentity<'a>>,
    #[serde(rename = "requestParameters", borrow, default)]
    pub request_parameters: Option<LazyValue<'a>>,
    #[serde(rename = "responseElements", borrow, default)]
    pub response_elements: Option<LazyValue<'a>>,
    #[serde(rename = "additionalEventData", borrow, default)]
    pub additional_event_data: Option<LazyValue<'a>>,
    #[serde(borrow, default)]
    pub resources: Option<Vec<Lenient<RawResource<'a>>>>,

    // EventBridge envelope.
    #[serde(borrow, default)]
    pub detail: Option<LazyValue<'a>>,
    #[serde(rename = "detail-type", borrow, default)]
    pub detail_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub account: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub region: Option<Text<'a>>,
    #[serde(borrow, default)]
    pub time: Option<Text<'a>>,

    // `aws cloudtrail lookup-events` element: the record as a JSON string.
    #[serde(rename = "CloudTrailEvent", borrow, default)]
    pub cloudtrail_event: Option<Text<'a>>,
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

#[derive(Debug, Deserialize)]
pub struct RawResource<'a> {
    #[serde(rename = "ARN", alias = "arn", borrow, default)]
    pub arn: Option<Text<'a>>,
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Text<'a>>,
    #[serde(rename = "accountId", borrow, default)]
    pub account_id: Option<Text<'a>>,
}

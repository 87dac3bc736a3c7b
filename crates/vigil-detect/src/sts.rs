//! The few fields of STS requests and responses identity resolution needs, read with typed
//! borrowed structs so the rest of the document (session tokens and all) is skipped without
//! building a tree. STS calls are a large share of CloudTrail (every workload refreshes its
//! credentials), so this is on the hot path.

use serde::Deserialize;
use std::borrow::Cow;
use vigil_model::CloudEvent;

#[derive(Debug, Default, Deserialize)]
pub struct StsResponse<'a> {
    #[serde(borrow, default)]
    pub credentials: Option<Credentials<'a>>,
    #[serde(borrow, default, rename = "assumedRoleUser")]
    pub assumed_role_user: Option<AssumedRoleUser<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Credentials<'a> {
    #[serde(borrow, default, rename = "accessKeyId")]
    pub access_key_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub expiration: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AssumedRoleUser<'a> {
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StsRequest<'a> {
    #[serde(borrow, default, rename = "roleArn")]
    pub role_arn: Option<Cow<'a, str>>,
    #[serde(default, rename = "durationSeconds")]
    pub duration_seconds: Option<serde_json::Number>,
}

/// The response of an STS call (empty when absent or not an object).
pub fn response(c: &CloudEvent) -> StsResponse<'_> {
    c.response_elements
        .as_ref()
        .and_then(|r| serde_json::from_str(r.as_str()).ok())
        .unwrap_or_default()
}

/// The request of an STS call (empty when absent or not an object).
pub fn request(c: &CloudEvent) -> StsRequest<'_> {
    c.request_parameters
        .as_ref()
        .and_then(|r| serde_json::from_str(r.as_str()).ok())
        .unwrap_or_default()
}

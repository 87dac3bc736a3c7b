//! Cloud API activity: one CloudTrail record, normalised.

use crate::raw_json::RawJson;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Who made a cloud API call, typed by CloudTrail's `userIdentity.type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    Root {
        account: CompactString,
        arn: CompactString,
    },
    IamUser {
        account: CompactString,
        arn: CompactString,
        name: CompactString,
    },
    /// A session of an assumed role. `issuer` is the role itself
    /// (`sessionContext.sessionIssuer.arn`); `session_arn` is the `assumed-role` ARN.
    AssumedRole {
        account: CompactString,
        session_arn: CompactString,
        role_arn: CompactString,
        role_name: CompactString,
        session_name: CompactString,
        /// `sessionContext.attributes.mfaAuthenticated`.
        mfa: bool,
        /// For a role chain: the principal id that created the session when CloudTrail says so
        /// (`onBehalfOf`, source identity).
        source_identity: Option<CompactString>,
    },
    FederatedUser {
        account: CompactString,
        arn: CompactString,
        issuer: Option<CompactString>,
    },
    /// SAML or web identity federation, or an Identity Center user.
    FederatedIdentity {
        provider: CompactString,
        user: CompactString,
    },
    /// A call made by an AWS service on the account's behalf (`invokedBy`).
    AwsService { service: CompactString },
    /// A principal in another account (`AWSAccount`).
    AwsAccount {
        account: CompactString,
        principal_id: Option<CompactString>,
    },
    /// CloudTrail gave no identity, or one of a type Vigil does not know.
    Unknown { raw_type: Option<CompactString> },
}

impl Actor {
    /// The ARN that identifies the actor to IAM: the user or root ARN, the *role* ARN for a role
    /// session (the session itself is [`Actor::session_arn`]).
    pub fn principal_arn(&self) -> Option<&str> {
        match self {
            Actor::Root { arn, .. }
            | Actor::IamUser { arn, .. }
            | Actor::FederatedUser { arn, .. } => Some(arn),
            Actor::AssumedRole { role_arn, .. } => Some(role_arn),
            _ => None,
        }
    }

    pub fn session_arn(&self) -> Option<&str> {
        match self {
            Actor::AssumedRole { session_arn, .. } => Some(session_arn),
            _ => None,
        }
    }

    /// A short human name: `user/alice`, `root`, `role/Admin (session bob)`.
    pub fn display_name(&self) -> String {
        let mut out = String::new();
        self.push_display_name(&mut out);
        out
    }

    /// [`Actor::display_name`] appended to `out` (event summaries are built piece by piece:
    /// a `format!` per piece was most of their cost).
    pub fn push_display_name(&self, out: &mut String) {
        match self {
            Actor::Root { .. } => out.push_str("root"),
            Actor::IamUser { name, .. } => {
                out.push_str("user/");
                out.push_str(name);
            }
            Actor::AssumedRole {
                role_name,
                session_name,
                ..
            } => {
                out.push_str("role/");
                out.push_str(role_name);
                out.push_str(" (session ");
                out.push_str(session_name);
                out.push(')');
            }
            Actor::FederatedUser { arn, .. } => out.push_str(arn.rsplit(':').next().unwrap_or(arn)),
            Actor::FederatedIdentity { provider, user } => {
                out.push_str(user);
                out.push_str(" via ");
                out.push_str(provider);
            }
            Actor::AwsService { service } => out.push_str(service),
            Actor::AwsAccount { account, .. } => {
                out.push_str("account ");
                out.push_str(account);
            }
            Actor::Unknown { raw_type } => out.push_str(raw_type.as_deref().unwrap_or("unknown")),
        }
    }
}

/// A resource an event touched (CloudTrail's `resources[]`, or one Vigil read out of the
/// request parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// ARN when known, else the resource's own id.
    pub id: CompactString,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<CompactString>,
}

/// One cloud API call (or console sign-in, or service event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    /// `recipientAccountId`: the account whose trail recorded the event.
    pub account: CompactString,
    pub region: CompactString,
    /// `eventSource`, e.g. `iam.amazonaws.com`.
    pub service: CompactString,
    /// `eventName`, e.g. `CreateAccessKey`.
    pub action: CompactString,
    /// `eventType`: `AwsApiCall`, `AwsConsoleSignIn`, `AwsServiceEvent`, ...
    pub event_type: CompactString,
    /// Shared: the events of one identity carry the same actor, and ingest hands each a
    /// reference to the one it remembered instead of a copy (cloning an actor's ARNs was a
    /// quarter of ingest's allocations).
    pub actor: Arc<Actor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<CompactString>,
    /// `sourceIPAddress`: an IP, or a service name (`ec2.amazonaws.com`) for AWS-internal calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<CompactString>,
    /// `errorCode`; `None` means the call succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<CompactString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<CompactString>,
    /// `readOnly` when CloudTrail says; `None` when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_parameters: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_elements: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<RawJson>,
    /// Shared, as the actor is: records naming the same resources carry one list.
    #[serde(default, skip_serializing_if = "none_named")]
    pub resources: Arc<[ResourceRef]>,
    /// `userIdentity.invokedBy`, when a service called on the actor's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<CompactString>,
    /// `vpcEndpointId`, when the call came through a VPC endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint_id: Option<CompactString>,
}

fn none_named(r: &Arc<[ResourceRef]>) -> bool {
    r.is_empty()
}

impl CloudEvent {
    pub fn succeeded(&self) -> bool {
        self.error_code.is_none()
    }

    /// The short service name: `iam` for `iam.amazonaws.com`.
    pub fn service_short(&self) -> &str {
        self.service
            .strip_suffix(".amazonaws.com")
            .unwrap_or(&self.service)
    }

    /// The IAM-style action name: `iam:CreateAccessKey`.
    pub fn iam_action(&self) -> String {
        format!("{}:{}", self.service_short(), self.action)
    }

    /// The source address when it is an IP (not a service name).
    pub fn source_ip_addr(&self) -> Option<std::net::IpAddr> {
        self.source_ip.as_deref()?.parse().ok()
    }
}

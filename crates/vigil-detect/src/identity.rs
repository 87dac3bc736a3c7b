//! Identity resolution: which long-lived credential (or principal) stands behind every call.
//!
//! An access key (`AKIA…`) belongs to an IAM user or root. An STS call (`AssumeRole`,
//! `GetSessionToken`, …) hands out a temporary key (`ASIA…`, in `responseElements.credentials`);
//! calls made with that key are the caller's, one hop further down the chain, and so on through
//! role chaining and across accounts (the key id is global). Sessions are forgotten when they
//! expire, so the table stays as small as the set of live sessions.

use crate::fasthash::FastMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vigil_model::{Actor, CloudEvent, Timestamp};

/// Most hops kept on one chain (AWS itself caps role chaining sessions at one hour; loops in
/// odd data must not grow without end).
const MAX_HOPS: usize = 8;
/// Most live sessions remembered; beyond it the ones expiring first are dropped.
const MAX_SESSIONS: usize = 200_000;

/// One role hop of a chain: the role and the temporary key the session got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub role_arn: String,
    pub session_arn: Option<String>,
    pub session_key: String,
    pub account: String,
}

/// Where a chain starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Origin {
    /// A long-lived access key of a user (or root), with the principal when known.
    AccessKey {
        key: String,
        principal: Option<String>,
    },
    /// A principal that signed in without a key we know (console, federation).
    Principal { arn: String },
    /// An AWS service acting for a workload (`ec2.amazonaws.com`).
    Service { service: String },
    /// A role session whose start we never saw.
    Role { arn: String },
    /// Nothing to go on.
    Unknown,
}

impl Origin {
    /// The key incidents and findings are grouped by.
    pub fn root_key(&self) -> String {
        match self {
            Origin::AccessKey { key, .. } => ["key:", key].concat(),
            Origin::Principal { arn } | Origin::Role { arn } => ["principal:", arn].concat(),
            Origin::Service { service } => ["service:", service].concat(),
            Origin::Unknown => "unknown".to_string(),
        }
    }

    pub fn access_key(&self) -> Option<&str> {
        match self {
            Origin::AccessKey { key, .. } => Some(key),
            _ => None,
        }
    }

    pub fn principal(&self) -> Option<&str> {
        match self {
            Origin::AccessKey { principal, .. } => principal.as_deref(),
            Origin::Principal { arn } | Origin::Role { arn } => Some(arn),
            _ => None,
        }
    }

    /// Whether the chain starts at a person's or program's own credential (not a service).
    pub fn is_credential(&self) -> bool {
        matches!(self, Origin::AccessKey { .. } | Origin::Principal { .. })
    }
}

/// The resolved chain of one event: its origin and the role hops from there to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    pub origin: Origin,
    pub hops: Vec<Hop>,
    /// `origin.root_key()`, computed once.
    pub root: String,
}

impl Chain {
    pub fn new(origin: Origin, hops: Vec<Hop>) -> Chain {
        let root = origin.root_key();
        Chain { origin, hops, root }
    }
}

/// A live session: its place in a chain and when it expires.
#[derive(Debug, Clone)]
struct Session {
    chain: Arc<Chain>,
    expires: Timestamp,
}

/// [`Session`] as persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSession {
    chain: Chain,
    expires: Timestamp,
}

/// The resolver's persisted state.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct IdentityState {
    /// Temporary key id → the chain that produced it.
    sessions: std::collections::BTreeMap<String, SavedSession>,
    /// Long-lived key id → the user (or root) ARN that used it.
    key_owners: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub expired_sessions: u64,
}

/// Resolves events to chains and learns new sessions from STS responses.
#[derive(Debug, Default)]
pub struct IdentityResolver {
    sessions: FastMap<Box<str>, Session>,
    key_owners: FastMap<Box<str>, Box<str>>,
    /// Chains of long-lived keys, built once per key.
    key_chains: FastMap<Box<str>, Arc<Chain>>,
    /// Chains built from the actor of a temporary key whose session was not seen starting
    /// (one role hop), kept per key and reused only for the same role session. A memo like
    /// `key_chains`: never saved, rebuilt as events come.
    role_chains: FastMap<Box<str>, Arc<Chain>>,
    pub expired_sessions: u64,
    next_sweep: i64,
}

/// Whether `chain` is the one [`IdentityResolver::build`] makes for an assumed-role `actor`
/// whose session was not seen starting: its role as origin, one hop through its session.
fn same_role_session(chain: &Chain, actor: &Actor) -> bool {
    let Actor::AssumedRole {
        role_arn,
        session_arn,
        account,
        ..
    } = actor
    else {
        return false;
    };
    matches!(&chain.origin, Origin::Role { arn } if arn == role_arn.as_str())
        && matches!(chain.hops.as_slice(), [hop]
            if hop.role_arn == role_arn.as_str()
                && hop.session_arn.as_deref() == Some(session_arn.as_str())
                && hop.account == account.as_str())
}

impl IdentityResolver {
    pub fn from_state(state: IdentityState) -> Self {
        IdentityResolver {
            sessions: state
                .sessions
                .into_iter()
                .map(|(k, v)| {
                    (
                        k.into_boxed_str(),
                        Session {
                            chain: Arc::new(v.chain),
                            expires: v.expires,
                        },
                    )
                })
                .collect(),
            key_owners: state
                .key_owners
                .into_iter()
                .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
                .collect(),
            key_chains: FastMap::default(),
            role_chains: FastMap::default(),
            expired_sessions: state.expired_sessions,
            next_sweep: 0,
        }
    }

    pub fn to_state(&self) -> IdentityState {
        IdentityState {
            sessions: self
                .sessions
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        SavedSession {
                            chain: Chain::clone(&v.chain),
                            expires: v.expires,
                        },
                    )
                })
                .collect(),
            key_owners: self
                .key_owners
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            expired_sessions: self.expired_sessions,
        }
    }

    pub fn live_sessions(&self) -> usize {
        self.sessions.len()
    }

    pub fn known_keys(&self) -> usize {
        self.key_owners.len()
    }

    /// The chain behind `c`. Learns key owners as a side effect.
    pub fn resolve(&mut self, c: &CloudEvent) -> Arc<Chain> {
        let key = c.access_key_id.as_deref().filter(|k| !k.is_empty());
        if let Some(k) = key {
            if let Some(s) = self.sessions.get(k) {
                return s.chain.clone();
            }
            if let Some(chain) = self.key_chains.get(k) {
                return chain.clone();
            }
            if let Some(chain) = self.role_chains.get(k)
                && same_role_session(chain, &c.actor)
            {
                return chain.clone();
            }
        }
        let chain = Arc::new(self.build(c, key));
        if let Some(k) = key {
            if k.starts_with("AKIA") {
                if chain.origin.principal().is_some() && self.key_chains.len() < MAX_SESSIONS {
                    self.key_chains.insert(k.into(), chain.clone());
                }
            } else if same_role_session(&chain, &c.actor) && self.role_chains.len() < MAX_SESSIONS {
                self.role_chains.insert(k.into(), chain.clone());
            }
        }
        chain
    }

    fn build(&mut self, c: &CloudEvent, key: Option<&str>) -> Chain {
        match (&*c.actor, key) {
            (Actor::IamUser { arn, .. } | Actor::Root { arn, .. }, Some(k))
                if k.starts_with("AKIA") =>
            {
                if !self.key_owners.contains_key(k) {
                    self.key_owners.insert(k.into(), arn.as_str().into());
                }
                Chain::new(
                    Origin::AccessKey {
                        key: k.to_string(),
                        principal: Some(arn.to_string()),
                    },
                    Vec::new(),
                )
            }
            (Actor::IamUser { arn, .. } | Actor::Root { arn, .. }, _)
            | (Actor::FederatedUser { arn, .. }, _) => Chain::new(
                Origin::Principal {
                    arn: arn.to_string(),
                },
                Vec::new(),
            ),
            (_, Some(k)) if k.starts_with("AKIA") => Chain::new(
                Origin::AccessKey {
                    key: k.to_string(),
                    principal: self.key_owners.get(k).map(|p| p.to_string()),
                },
                Vec::new(),
            ),
            (
                Actor::AssumedRole {
                    role_arn,
                    session_arn,
                    account,
                    ..
                },
                k,
            ) => Chain::new(
                Origin::Role {
                    arn: role_arn.to_string(),
                },
                vec![Hop {
                    role_arn: role_arn.to_string(),
                    session_arn: Some(session_arn.to_string()),
                    session_key: k.unwrap_or_default().to_string(),
                    account: account.to_string(),
                }],
            ),
            (Actor::AwsService { service }, _) => Chain::new(
                Origin::Service {
                    service: service.to_string(),
                },
                Vec::new(),
            ),
            (Actor::FederatedIdentity { provider, user }, _) => Chain::new(
                Origin::Principal {
                    arn: format!("{provider}/{user}"),
                },
                Vec::new(),
            ),
            (
                Actor::AwsAccount {
                    account,
                    principal_id,
                },
                _,
            ) => Chain::new(
                Origin::Principal {
                    arn: match principal_id {
                        Some(p) => format!("account:{account}/{p}"),
                        None => format!("account:{account}"),
                    },
                },
                Vec::new(),
            ),
            (Actor::Unknown { .. }, _) => match c.invoked_by.as_deref() {
                Some(s) => Chain::new(
                    Origin::Service {
                        service: s.to_string(),
                    },
                    Vec::new(),
                ),
                None => Chain::new(Origin::Unknown, Vec::new()),
            },
        }
    }

    /// After `c` (made by `caller`) is resolved: when it handed out temporary credentials,
    /// remember the new session as one hop below the caller.
    pub fn learn(&mut self, c: &CloudEvent, caller: &Arc<Chain>, now: Timestamp) {
        if now.as_millis() >= self.next_sweep {
            self.sweep(now);
        }
        if !is_sts_issue(c) || !c.succeeded() {
            return;
        }
        let resp = crate::sts::response(c);
        let Some(new_key) = resp
            .credentials
            .as_ref()
            .and_then(|cr| cr.access_key_id.as_deref())
            .filter(|k| !k.is_empty())
        else {
            return;
        };
        if self.sessions.contains_key(new_key) {
            return;
        }
        let req = crate::sts::request(c);
        let expires = session_expiry(&resp, &req, now);
        let mut chain = Chain::clone(caller);
        if c.action.starts_with("AssumeRole") {
            let role_arn = req.role_arn.as_deref().unwrap_or_default().to_string();
            let session_arn = resp
                .assumed_role_user
                .as_ref()
                .and_then(|u| u.arn.as_deref())
                .map(str::to_string);
            let account = role_arn.split(':').nth(4).unwrap_or_default().to_string();
            if chain.hops.len() < MAX_HOPS {
                chain.hops.push(Hop {
                    role_arn,
                    session_arn,
                    session_key: new_key.to_string(),
                    account,
                });
            }
        }
        if self.sessions.len() >= MAX_SESSIONS {
            self.sweep(now);
            if self.sessions.len() >= MAX_SESSIONS {
                return;
            }
        }
        let expires = Timestamp::from_millis(expires.as_millis().max(now.as_millis()));
        let max = now.plus_millis(crate::config::DetectConfig::default().max_session_ms);
        self.sessions.insert(
            new_key.into(),
            Session {
                chain: Arc::new(chain),
                expires: if expires > max { max } else { expires },
            },
        );
    }

    fn sweep(&mut self, now: Timestamp) {
        let before = self.sessions.len();
        self.sessions.retain(|_, s| s.expires >= now);
        self.expired_sessions += (before - self.sessions.len()) as u64;
        self.next_sweep = now.as_millis() + 10 * 60 * 1000;
    }
}

/// STS calls that hand out temporary credentials.
fn is_sts_issue(c: &CloudEvent) -> bool {
    c.service == "sts.amazonaws.com"
        && matches!(
            c.action.as_str(),
            "AssumeRole"
                | "AssumeRoleWithSAML"
                | "AssumeRoleWithWebIdentity"
                | "GetSessionToken"
                | "GetFederationToken"
                | "AssumeRoot"
        )
}

/// When a new session ends: the response's `expiration`, else the requested duration, else
/// one hour (never beyond 36 hours, the longest `GetSessionToken` allows; the caller clamps).
fn session_expiry(
    resp: &crate::sts::StsResponse<'_>,
    req: &crate::sts::StsRequest<'_>,
    now: Timestamp,
) -> Timestamp {
    if let Some(t) = resp
        .credentials
        .as_ref()
        .and_then(|c| c.expiration.as_deref())
        .and_then(Timestamp::parse_credential_expiry)
    {
        return t;
    }
    let secs = req
        .duration_seconds
        .as_ref()
        .and_then(serde_json::Number::as_i64)
        .unwrap_or(3600)
        .clamp(900, 129_600);
    now.plus_millis(secs * 1000)
}

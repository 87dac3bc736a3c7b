//! Builders for raw CloudTrail records, shaped as CloudTrail writes them: `userIdentity` by
//! principal type, `tlsDetails`, `resources`, errors, ids.

use crate::clock::{self, DAY};
use crate::identities::{Role, User};
use crate::ids::{self, DemoRng};
use rand::Rng;
use serde_json::{Map, Value, json};
use vigil_model::Timestamp;

/// A live assumed-role session.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: String,
    pub role_arn: String,
    pub role_name: String,
    pub role_id: String,
    pub session_name: String,
    pub key: String,
    pub created: Timestamp,
    pub mfa: bool,
    /// The service that assumed the role and calls with it, when one did.
    pub invoked_by: Option<&'static str>,
}

impl Session {
    pub fn new(role: &Role, account: &str, name: &str, key: String, created: Timestamp) -> Self {
        Session {
            account: account.to_string(),
            role_arn: role.arn.clone(),
            role_name: role.name.clone(),
            role_id: role.role_id.clone(),
            session_name: name.to_string(),
            key,
            created,
            mfa: false,
            invoked_by: None,
        }
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.account, self.role_name, self.session_name
        )
    }
}

/// Who made a call.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// An IAM user: with its long-lived key, a console session key (`console` set to the
    /// session's creation time), or no key at all (console sign-in).
    User {
        user: &'a User,
        account: &'a str,
        key: Option<&'a str>,
        console: Option<Timestamp>,
    },
    Session(&'a Session),
    Service(&'static str),
    Root {
        account: &'a str,
        key: Option<&'a str>,
        created: Timestamp,
    },
}

impl Who<'_> {
    pub fn arn(&self) -> String {
        match self {
            Who::User { user, .. } => user.arn.clone(),
            Who::Session(s) => s.arn(),
            Who::Service(s) => (*s).to_string(),
            Who::Root { account, .. } => format!("arn:aws:iam::{account}:root"),
        }
    }

    fn identity(&self) -> Value {
        let attrs = |created: Timestamp, mfa: bool| json!({"creationDate": clock::event_time(created), "mfaAuthenticated": if mfa {"true"} else {"false"}});
        match *self {
            Who::User {
                user,
                account,
                key,
                console,
            } => {
                let mut m = Map::new();
                m.insert("type".into(), "IAMUser".into());
                m.insert("principalId".into(), user.user_id.clone().into());
                m.insert("arn".into(), user.arn.clone().into());
                m.insert("accountId".into(), account.into());
                if let Some(k) = key {
                    m.insert("accessKeyId".into(), k.into());
                }
                m.insert("userName".into(), user.name.clone().into());
                if let Some(created) = console {
                    m.insert(
                        "sessionContext".into(),
                        json!({"sessionIssuer": {}, "webIdFederationData": {}, "attributes": attrs(created, user.mfa)}),
                    );
                }
                Value::Object(m)
            }
            Who::Session(s) => {
                let mut v = json!({
                    "type": "AssumedRole",
                    "principalId": format!("{}:{}", s.role_id, s.session_name),
                    "arn": s.arn(),
                    "accountId": s.account,
                    "accessKeyId": s.key,
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": s.role_id,
                            "arn": s.role_arn,
                            "accountId": s.account,
                            "userName": s.role_name,
                        },
                        "webIdFederationData": {},
                        "attributes": attrs(s.created, s.mfa),
                    },
                });
                if let (Some(by), Value::Object(m)) = (s.invoked_by, &mut v) {
                    m.insert("invokedBy".into(), by.into());
                }
                v
            }
            Who::Service(s) => json!({"type": "AWSService", "invokedBy": s}),
            Who::Root {
                account,
                key,
                created,
            } => {
                let mut m = Map::new();
                m.insert("type".into(), "Root".into());
                m.insert("principalId".into(), account.into());
                m.insert("arn".into(), format!("arn:aws:iam::{account}:root").into());
                m.insert("accountId".into(), account.into());
                if let Some(k) = key {
                    m.insert("accessKeyId".into(), k.into());
                    m.insert(
                        "sessionContext".into(),
                        json!({"sessionIssuer": {}, "webIdFederationData": {}, "attributes": attrs(created, true)}),
                    );
                }
                Value::Object(m)
            }
        }
    }
}

/// One API call to record.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub time: Timestamp,
    pub region: &'a str,
    /// Short service name: `ec2`, `sts`, `monitoring`, …
    pub service: &'a str,
    pub name: &'a str,
    pub who: Who<'a>,
    pub ip: &'a str,
    pub ua: &'a str,
    pub params: Value,
    pub response: Value,
    pub error: Option<(&'static str, String)>,
    pub resources: Vec<Value>,
    pub read_only: bool,
    pub event_type: &'static str,
    pub additional: Option<Value>,
    pub console: bool,
}

impl<'a> Call<'a> {
    pub fn api(
        time: Timestamp,
        region: &'a str,
        service: &'a str,
        name: &'a str,
        who: Who<'a>,
        ip: &'a str,
        ua: &'a str,
    ) -> Self {
        let read_only = [
            "Describe", "List", "Get", "Lookup", "Filter", "BatchGet", "Decrypt",
        ]
        .iter()
        .any(|p| name.starts_with(p))
            || name == "AssumeRole"
            || name == "BatchCheckLayerAvailability";
        Call {
            time,
            region,
            service,
            name,
            who,
            ip,
            ua,
            params: Value::Null,
            response: Value::Null,
            error: None,
            resources: Vec::new(),
            read_only,
            event_type: "AwsApiCall",
            additional: None,
            console: false,
        }
    }

    pub fn params(mut self, v: Value) -> Self {
        self.params = v;
        self
    }
    pub fn response(mut self, v: Value) -> Self {
        self.response = v;
        self
    }
    pub fn resource(mut self, account: &str, kind: &str, arn: &str) -> Self {
        self.resources
            .push(json!({"accountId": account, "type": kind, "ARN": arn}));
        self
    }
    pub fn error(mut self, code: &'static str, message: String) -> Self {
        self.error = Some((code, message));
        self
    }
    pub fn console(mut self) -> Self {
        self.console = true;
        self
    }

    /// Marks the call as refused for lack of an identity-based permission.
    pub fn denied(self) -> Self {
        let action = format!("{}:{}", iam_prefix(self.service), self.name);
        let msg = format!(
            "User: {} is not authorized to perform: {action} because no identity-based policy allows the {action} action",
            self.who.arn()
        );
        self.error("AccessDenied", msg)
    }

    pub fn throttled(self) -> Self {
        self.error("ThrottlingException", "Rate exceeded".to_string())
    }
}

/// The IAM action prefix of a service's endpoint name.
pub fn iam_prefix(service: &str) -> &str {
    match service {
        "monitoring" => "cloudwatch",
        "elasticloadbalancing" => "elasticloadbalancing",
        s => s,
    }
}

fn event_version(service: &str) -> &'static str {
    match service {
        "ec2" | "ssm" | "ecs" | "logs" | "s3" => "1.09",
        _ => "1.08",
    }
}

/// One finished record: its time and region (to place it in a log file) and its JSON text.
#[derive(Debug, Clone)]
pub struct Record {
    pub time: Timestamp,
    pub region: String,
    pub event_id: String,
    pub json: String,
}

/// Turns a call into the JSON CloudTrail writes for it.
pub fn build(call: Call<'_>, account: &str, rng: &mut DemoRng) -> Record {
    // CloudTrail times are whole seconds; the sub-second part only orders calls in a burst.
    let event_id = ids::uuid4(rng);
    let request_id = ids::uuid4(rng);
    let mut m = Map::new();
    m.insert("eventVersion".into(), event_version(call.service).into());
    m.insert("userIdentity".into(), call.who.identity());
    m.insert("eventTime".into(), clock::event_time(call.time).into());
    m.insert(
        "eventSource".into(),
        format!("{}.amazonaws.com", call.service).into(),
    );
    m.insert("eventName".into(), call.name.into());
    m.insert("awsRegion".into(), call.region.into());
    m.insert("sourceIPAddress".into(), call.ip.into());
    m.insert("userAgent".into(), call.ua.into());
    if let Some((code, msg)) = &call.error {
        m.insert("errorCode".into(), (*code).into());
        m.insert("errorMessage".into(), msg.clone().into());
    }
    let failed = call.error.is_some();
    m.insert(
        "requestParameters".into(),
        if call.event_type == "AwsConsoleSignIn" {
            Value::Null
        } else {
            call.params
        },
    );
    m.insert(
        "responseElements".into(),
        if failed { Value::Null } else { call.response },
    );
    if let Some(a) = call.additional {
        m.insert("additionalEventData".into(), a);
    }
    if call.event_type != "AwsConsoleSignIn" {
        m.insert("requestID".into(), request_id.into());
    }
    m.insert("eventID".into(), event_id.clone().into());
    m.insert("readOnly".into(), call.read_only.into());
    if !call.resources.is_empty() {
        m.insert("resources".into(), Value::Array(call.resources));
    }
    m.insert("eventType".into(), call.event_type.into());
    m.insert("managementEvent".into(), true.into());
    m.insert("recipientAccountId".into(), account.into());
    m.insert("eventCategory".into(), "Management".into());
    if !call.ip.ends_with(".amazonaws.com") {
        let tls13 = rng.random_bool(0.8);
        let host = if call.service == "signin" {
            "signin.aws.amazon.com".to_string()
        } else if matches!(call.service, "iam" | "s3" | "ce") {
            format!("{}.amazonaws.com", call.service)
        } else {
            format!("{}.{}.amazonaws.com", call.service, call.region)
        };
        m.insert(
            "tlsDetails".into(),
            json!({
                "tlsVersion": if tls13 {"TLSv1.3"} else {"TLSv1.2"},
                "cipherSuite": if tls13 {"TLS_AES_128_GCM_SHA256"} else {"ECDHE-RSA-AES128-GCM-SHA256"},
                "clientProvidedHostHeader": host,
            }),
        );
    }
    if call.console {
        m.insert("sessionCredentialFromConsole".into(), "true".into());
    }
    Record {
        time: call.time,
        region: call.region.to_string(),
        event_id,
        json: Value::Object(m).to_string(),
    }
}

/// The `AssumeRole` call and the session it creates. `caller` is who asks; the session starts
/// at `time` and lasts an hour.
#[allow(clippy::too_many_arguments)]
pub fn assume_role<'a>(
    time: Timestamp,
    region: &'a str,
    caller: Who<'a>,
    ip: &'a str,
    ua: &'a str,
    session: &Session,
    serial: Option<&str>,
    rng: &mut DemoRng,
) -> Call<'a> {
    let mut params = json!({
        "roleArn": session.role_arn,
        "roleSessionName": session.session_name,
        "durationSeconds": 3600,
    });
    if let (Some(sn), Value::Object(p)) = (serial, &mut params) {
        p.insert("serialNumber".into(), sn.into());
    }
    let response = json!({
        "credentials": {
            "accessKeyId": session.key,
            "sessionToken": ids::session_token(rng),
            "expiration": clock::sts_expiration(time.plus_millis(DAY / 24)),
        },
        "assumedRoleUser": {
            "assumedRoleId": format!("{}:{}", session.role_id, session.session_name),
            "arn": session.arn(),
        },
    });
    let account = session.account.clone();
    let role_arn = session.role_arn.clone();
    Call::api(time, region, "sts", "AssumeRole", caller, ip, ua)
        .params(params)
        .response(response)
        .resource(&account, "AWS::IAM::Role", &role_arn)
}

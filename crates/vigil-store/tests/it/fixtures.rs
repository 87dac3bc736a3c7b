//! Events and alerts built from the model types, shared by the tests and the benches.

#![allow(dead_code)]

use vigil_model::host::{HostEvent, HostEventKind, Process};
use vigil_model::{
    Actor, Alert, AlertKind, AlertStatus, CloudEvent, EntityKind, EntityRef, Event, EventBody,
    EventSource, Evidence, MitreRef, RawJson, ResourceRef, Severity, Timestamp,
};

pub const T0: i64 = 1_714_521_600_000; // 2024-05-01T00:00:00Z

const REGIONS: [&str; 6] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "sa-east-1",
];
const ACTIONS: [(&str, &str); 6] = [
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("iam.amazonaws.com", "ListUsers"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("s3.amazonaws.com", "GetObject"),
    ("rds.amazonaws.com", "CreateDBClusterSnapshot"),
    ("ec2.amazonaws.com", "RunInstances"),
];

pub fn key(n: usize) -> String {
    format!("AKIAEXAMPLE{n:09}")
}

pub fn ip(n: usize) -> String {
    format!("203.0.113.{}", n % 250)
}

pub fn account(n: usize) -> String {
    format!("{:012}", 111_111_111_111u64 + n as u64)
}

/// A CloudTrail-like event; `big` adds request and response parameters so the stored document
/// is about 2 KB, like a real `RunInstances` record.
pub fn cloud_event(id: &str, time_ms: i64, n: usize, big: bool) -> Event {
    let acct = account(n % 3);
    let user = format!("user{}", n % 7);
    let (service, action) = ACTIONS[n % ACTIONS.len()];
    let region = REGIONS[n % REGIONS.len()];
    let (request, response) = if big {
        (
            Some(RawJson::from_value(&serde_json::json!({
                "instancesSet": {"items": [{"imageId": format!("ami-0{n:016x}"), "minCount": 1, "maxCount": 1}]},
                "instanceType": "t3.large",
                "blockDeviceMapping": {"items": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100, "deleteOnTermination": true, "volumeType": "gp3", "encrypted": true}}]},
                "monitoring": {"enabled": false},
                "disableApiTermination": false,
                "networkInterfaceSet": {"items": [{"deviceIndex": 0, "subnetId": format!("subnet-{:08x}", n % 40), "associatePublicIpAddress": true, "groupSet": {"items": [{"groupId": format!("sg-{:08x}", n % 13)}]}}]},
                "iamInstanceProfile": {"arn": format!("arn:aws:iam::{acct}:instance-profile/app-{}", n % 5)},
                "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": format!("worker-{n}")}, {"key": "team", "value": "platform"}, {"key": "env", "value": "prod"}]}]},
                "userData": "<sensitiveDataRemoved>",
                "clientToken": format!("{:032x}", (n as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            }))),
            Some(RawJson::from_value(&serde_json::json!({
                "requestId": format!("{:08x}-1111-2222-3333-{:012x}", n, n * 7),
                "reservationId": format!("r-{n:017x}"),
                "ownerId": acct,
                "instancesSet": {"items": [{"instanceId": format!("i-{n:017x}"), "imageId": format!("ami-0{n:016x}"), "instanceState": {"code": 0, "name": "pending"}, "privateDnsName": format!("ip-10-0-{}-{}.ec2.internal", n % 250, n % 200), "amiLaunchIndex": 0, "productCodes": {}, "instanceType": "t3.large", "launchTime": 1_714_521_600_000i64, "placement": {"availabilityZone": format!("{region}a"), "tenancy": "default"}, "monitoring": {"state": "disabled"}, "subnetId": format!("subnet-{:08x}", n % 40), "vpcId": "vpc-0a1b2c3d", "privateIpAddress": format!("10.0.{}.{}", n % 250, n % 200)}]},
            }))),
        )
    } else {
        (
            Some(RawJson::from_value(&serde_json::json!({"n": n}))),
            None,
        )
    };
    Event {
        id: id.to_string(),
        time: Timestamp::from_millis(time_ms),
        source: EventSource::Cloudtrail,
        body: EventBody::Cloud(CloudEvent {
            account: acct.clone().into(),
            region: region.into(),
            service: service.into(),
            action: action.into(),
            event_type: "AwsApiCall".into(),
            actor: Actor::IamUser {
                account: acct.clone().into(),
                arn: format!("arn:aws:iam::{acct}:user/{user}").into(),
                name: user.into(),
            }
            .into(),
            access_key_id: Some(key(n % 11).into()),
            source_ip: Some(ip(n % 17).into()),
            user_agent: Some(
                "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2"
                    .to_string()
                    .into(),
            ),
            error_code: (n.is_multiple_of(23))
                .then(|| "AccessDenied".to_string())
                .map(Into::into),
            error_message: None,
            read_only: Some(action.starts_with("Describe") || action.starts_with("List")),
            request_parameters: request,
            response_elements: response,
            additional_event_data: None,
            resources: match n % 5 {
                0 => vec![ResourceRef {
                    id: format!("arn:aws:rds:{region}:{acct}:cluster:db-{}", n % 3).into(),
                    kind: Some("AWS::RDS::DBCluster".to_string().into()),
                    account: Some(acct.into()),
                }],
                // An object-level S3 event: the object (stored apart from other entities) and
                // its bucket; objects repeat now and then.
                1 => vec![
                    ResourceRef {
                        id: format!(
                            "arn:aws:s3:::data-{}/exports/part-{}.parquet",
                            n % 2,
                            n % 11
                        )
                        .into(),
                        kind: Some("AWS::S3::Object".to_string().into()),
                        account: None,
                    },
                    ResourceRef {
                        id: format!("arn:aws:s3:::data-{}", n % 2).into(),
                        kind: Some("AWS::S3::Bucket".to_string().into()),
                        account: Some(acct.into()),
                    },
                ],
                _ => Vec::new(),
            }
            .into(),
            invoked_by: None,
            vpc_endpoint_id: None,
        }),
    }
}

pub fn host_event(id: &str, time_ms: i64, n: usize) -> Event {
    Event {
        id: id.to_string(),
        time: Timestamp::from_millis(time_ms),
        source: EventSource::Agent,
        body: EventBody::Host(HostEvent {
            host_id: format!("i-{:017x}", n % 4),
            hostname: Some(format!("web-{}", n % 4)),
            kind: HostEventKind::ProcessStart {
                process: Process {
                    pid: 1000 + n as u32,
                    ppid: 1,
                    uid: 0,
                    euid: 0,
                    exe: "/usr/bin/id".to_string(),
                    argv: vec!["id".to_string()],
                    cwd: Some("/".to_string()),
                    user: Some("root".to_string()),
                    container_id: (n.is_multiple_of(2)).then(|| format!("c0ffee{:058x}", n % 3)),
                    image: None,
                    pid_ns: None,
                    mnt_ns: None,
                    start_time: None,
                    stdin: None,
                    stdout: None,
                    parent_exe: None,
                },
            },
        }),
    }
}

/// A mixed, deterministic set: `n` events, most cloud, some host, with shuffled times.
pub fn mixed_events(n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let t = T0 + ((i * 7919) % 300) as i64 * 60_000; // ties on purpose
            if i % 4 == 3 {
                host_event(&format!("h-{i}"), t, i)
            } else {
                cloud_event(&format!("ev-{i:08}"), t, i, false)
            }
        })
        .collect()
}

const TYPES: [&str; 5] = [
    "compromised_aws_keys",
    "compromised_host",
    "data_exfiltration",
    "first_seen_region",
    "root_console_login",
];

pub fn alert(i: usize) -> Alert {
    let kinds = [
        AlertKind::Composite,
        AlertKind::Anomaly,
        AlertKind::Rule,
        AlertKind::Violation,
    ];
    let first = T0 + (i as i64) * 1000;
    Alert {
        id: format!("alert-{i:08}"),
        alert_type: TYPES[i % TYPES.len()].to_string(),
        kind: kinds[i % kinds.len()],
        severity: Severity::ALL[i % Severity::ALL.len()],
        title: format!("Alert number {i}"),
        description: "Something happened that deserves a look.".to_string(),
        first_seen: Timestamp::from_millis(first),
        last_seen: Timestamp::from_millis(first + ((i * 31) % 600) as i64 * 1000),
        entities: vec![
            EntityRef::new(EntityKind::AccessKey, key(i % 101)),
            EntityRef::new(EntityKind::Ip, ip(i)),
        ],
        evidence: vec![Evidence {
            event_id: format!("ev-{i:08}"),
            time: Timestamp::from_millis(first),
            summary: "user/alice called ec2:DescribeInstances in us-east-1".to_string(),
        }],
        mitre: vec![MitreRef {
            tactic: "TA0007".to_string(),
            technique: Some("T1580".to_string()),
        }],
        children: Vec::new(),
        status: AlertStatus::New,
        score: (i % 100) as f64,
        related: Vec::new(),
    }
}

//! The attack of day 31 in CloudTrail: the contractor's stolen key used from the attacker's
//! IP (identity checks, a sweep of many regions), the assumed privileged role, and the RDS
//! snapshot shared with an outside account.

use crate::clock::{DAY, HOUR, MINUTE, SECOND};
use crate::cloudtrail_records::{self as rec, Call, Session, Who};
use crate::identities::HOME_REGION;
use crate::ids::{self, DemoRng};
use crate::ordinary::{Ctx, Sink};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use vigil_model::Timestamp;

/// The regions the attacker sweeps.
pub const SWEEP_REGIONS: [&str; 16] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

const ATTACKER_CLI: &str = "aws-cli/2.17.32 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.11-amd64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#kali.2024 md/prompt#off";
const ATTACKER_BOTO: &str = "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.8.11-amd64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10";

/// When each step of the story happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackTimes {
    /// The web app in the container runs the attacker's `sh -c`.
    pub host_exploit: Timestamp,
    /// `nsenter` into the host's namespaces.
    pub container_escape: Timestamp,
    /// uid 1000 → 0.
    pub privilege_escalation: Timestamp,
    /// The first discovery command on the host (`whoami`).
    pub host_discovery: Timestamp,
    /// The app config holding the key is read.
    pub credential_access: Timestamp,
    /// `bash -i` connected to the attacker.
    pub reverse_shell: Timestamp,
    /// The stolen key's first call from the attacker's IP.
    pub key_first_use: Timestamp,
    pub cloud_discovery_start: Timestamp,
    pub cloud_discovery_end: Timestamp,
    pub assume_role: Timestamp,
    pub snapshot_created: Timestamp,
    pub snapshot_shared: Timestamp,
}

/// The attacker's choices, drawn before anything is written so every file agrees.
#[derive(Debug, Clone)]
pub struct AttackPlan {
    pub day: u32,
    pub attacker_ip: String,
    pub reverse_shell_port: u16,
    pub outside_account: String,
    pub session_name: String,
    pub session_key: String,
    pub snapshot_ids: Vec<String>,
    pub times: AttackTimes,
}

pub fn plan(rng: &mut DemoRng, start: Timestamp, day: u32) -> AttackPlan {
    let d = start.plus_millis(i64::from(day) * DAY);
    let exploit = d.plus_millis(HOUR + 12 * MINUTE + rng.random_range(0..20 * MINUTE));
    let at = |ms: i64| exploit.plus_millis(ms);
    let key_first_use = at(38 * MINUTE + rng.random_range(0..5 * MINUTE));
    let cloud_discovery_start = key_first_use.plus_millis(2 * MINUTE);
    let cloud_discovery_end = cloud_discovery_start.plus_millis(24 * MINUTE);
    let assume_role = cloud_discovery_end.plus_millis(6 * MINUTE);
    let snapshot_created = assume_role.plus_millis(3 * MINUTE);
    let snapshot_shared = snapshot_created.plus_millis(14 * MINUTE);
    AttackPlan {
        day,
        attacker_ip: format!("203.0.113.{}", rng.random_range(10..250u32)),
        reverse_shell_port: 4444,
        outside_account: ids::account_id(rng),
        session_name: "ops-maintenance".to_string(),
        session_key: ids::access_key_id(rng, "ASIA"),
        snapshot_ids: vec![format!("lumen-prod-db-maint-{}", ids::hex(rng, 6))],
        times: AttackTimes {
            host_exploit: exploit,
            container_escape: at(2 * MINUTE + 13 * SECOND),
            privilege_escalation: at(3 * MINUTE + 40 * SECOND),
            host_discovery: at(4 * MINUTE + 30 * SECOND),
            credential_access: at(7 * MINUTE + 30 * SECOND),
            reverse_shell: at(9 * MINUTE),
            key_first_use,
            cloud_discovery_start,
            cloud_discovery_end,
            assume_role,
            snapshot_created,
            snapshot_shared,
        },
    }
}

fn cli_ua(command: &str) -> String {
    format!("{ATTACKER_CLI} md/command#{command}")
}

/// Writes the attacker's CloudTrail records; returns their event ids in order.
pub fn cloud(ctx: &Ctx<'_>, plan: &AttackPlan, sink: &mut Sink<'_>) -> Vec<String> {
    let acct = ctx.ids.account.as_str();
    let user = ctx.ids.contractor();
    let ip = plan.attacker_ip.as_str();
    let who = Who::User {
        user,
        account: acct,
        key: Some(&user.access_key_id),
        console: None,
    };
    let mut out = Vec::new();
    let times = &plan.times;
    let mut t = times.key_first_use;
    let step = |rng: &mut DemoRng, t: &mut Timestamp, lo: i64, hi: i64| {
        *t = t.plus_millis(rng.random_range(lo..hi));
    };

    // Who am I, and what may I do?
    let ua = cli_ua("sts.get-caller-identity");
    out.push(sink.emit(Call::api(
        t,
        HOME_REGION,
        "sts",
        "GetCallerIdentity",
        who,
        ip,
        &ua,
    )));
    let identity_calls = [
        ("GetUser", "iam.get-user", json!({"userName": user.name})),
        (
            "ListAttachedUserPolicies",
            "iam.list-attached-user-policies",
            json!({"userName": user.name}),
        ),
        (
            "ListUserPolicies",
            "iam.list-user-policies",
            json!({"userName": user.name}),
        ),
        (
            "GetUserPolicy",
            "iam.get-user-policy",
            json!({"userName": user.name, "policyName": "lumen-contractor-access"}),
        ),
        (
            "ListGroupsForUser",
            "iam.list-groups-for-user",
            json!({"userName": user.name}),
        ),
    ];
    for (name, command, params) in identity_calls {
        step(sink.rng, &mut t, 8 * SECOND, 25 * SECOND);
        let ua = cli_ua(command);
        out.push(sink.emit(Call::api(t, HOME_REGION, "iam", name, who, ip, &ua).params(params)));
    }

    // The sweep: every region, with what the key may and may not see.
    t = times.cloud_discovery_start;
    let per_region = (times.cloud_discovery_end.as_millis() - t.as_millis()) / 17;
    out.push(
        sink.emit(
            Call::api(t, HOME_REGION, "s3", "ListBuckets", who, ip, ATTACKER_BOTO)
                .params(json!({"Host": "s3.amazonaws.com"})),
        ),
    );
    for name in ["ListRoles", "ListUsers"] {
        step(sink.rng, &mut t, SECOND, 4 * SECOND);
        out.push(
            sink.emit(
                Call::api(t, HOME_REGION, "iam", name, who, ip, ATTACKER_BOTO)
                    .params(json!({"maxItems": 1000}))
                    .denied(),
            ),
        );
    }
    for (i, region) in SWEEP_REGIONS.iter().enumerate() {
        let mut rt = times
            .cloud_discovery_start
            .plus_millis(per_region * (i as i64 + 1));
        let calls: [(&str, &str, serde_json::Value, bool); 6] = [
            (
                "ec2",
                "DescribeInstances",
                json!({"instancesSet": {}, "filterSet": {}}),
                false,
            ),
            (
                "ec2",
                "DescribeSecurityGroups",
                json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}}),
                false,
            ),
            (
                "ec2",
                "DescribeSnapshots",
                json!({"ownersSet": {"items": [{"owner": "self"}]}}),
                false,
            ),
            (
                "rds",
                "DescribeDBClusters",
                json!({"includeShared": false}),
                false,
            ),
            (
                "lambda",
                "ListFunctions20150331",
                json!({"functionVersion": "ALL"}),
                true,
            ),
            (
                "secretsmanager",
                "ListSecrets",
                json!({"maxResults": 100}),
                true,
            ),
        ];
        for (service, name, params, denied) in calls {
            step(sink.rng, &mut rt, 300, 3 * SECOND);
            let mut call =
                Call::api(rt, region, service, name, who, ip, ATTACKER_BOTO).params(params);
            if denied {
                call = call.denied();
            }
            out.push(sink.emit(call));
        }
    }

    // Into the privileged role.
    let role = ctx.ids.ops_admin();
    let session = Session::new(
        role,
        acct,
        &plan.session_name,
        plan.session_key.clone(),
        times.assume_role,
    );
    let ua = cli_ua("sts.assume-role");
    let call = rec::assume_role(
        times.assume_role,
        HOME_REGION,
        who,
        ip,
        &ua,
        &session,
        None,
        sink.rng,
    );
    out.push(sink.emit(call));

    // The exfiltration: snapshot the product database and share it out.
    let sw = Who::Session(&session);
    let target = ctx.estate.target();
    let mut t = times.assume_role;
    step(sink.rng, &mut t, 20 * SECOND, 60 * SECOND);
    let ua = cli_ua("rds.describe-db-clusters");
    out.push(sink.emit(Call::api(
        t,
        HOME_REGION,
        "rds",
        "DescribeDBClusters",
        sw,
        ip,
        &ua,
    )));
    step(sink.rng, &mut t, 10 * SECOND, 40 * SECOND);
    let ua = cli_ua("rds.describe-db-cluster-snapshots");
    out.push(sink.emit(
        Call::api(t, HOME_REGION, "rds", "DescribeDBClusterSnapshots", sw, ip, &ua)
            .params(json!({"dBClusterIdentifier": target.id, "includeShared": false, "includePublic": false})),
    ));
    for snap in &plan.snapshot_ids {
        let snap_arn = format!("arn:aws:rds:{HOME_REGION}:{acct}:cluster-snapshot:{snap}");
        let ua = cli_ua("rds.create-db-cluster-snapshot");
        out.push(sink.emit(
            Call::api(times.snapshot_created, HOME_REGION, "rds", "CreateDBClusterSnapshot", sw, ip, &ua)
                .params(json!({"dBClusterSnapshotIdentifier": snap, "dBClusterIdentifier": target.id}))
                .response(json!({"dBClusterSnapshotIdentifier": snap, "dBClusterIdentifier": target.id, "dBClusterSnapshotArn": snap_arn, "status": "creating", "engine": "aurora-postgresql", "snapshotType": "manual", "storageEncrypted": true, "percentProgress": 0}))
                .resource(acct, "AWS::RDS::DBCluster", &target.arn),
        ));
        let mut t = times.snapshot_created;
        for _ in 0..4 {
            step(sink.rng, &mut t, 2 * MINUTE, 3 * MINUTE);
            let ua = cli_ua("rds.describe-db-cluster-snapshots");
            out.push(sink.emit(
                Call::api(t, HOME_REGION, "rds", "DescribeDBClusterSnapshots", sw, ip, &ua)
                    .params(json!({"dBClusterSnapshotIdentifier": snap, "includeShared": false, "includePublic": false})),
            ));
        }
        let ua = cli_ua("rds.modify-db-cluster-snapshot-attribute");
        out.push(sink.emit(
            Call::api(times.snapshot_shared, HOME_REGION, "rds", "ModifyDBClusterSnapshotAttribute", sw, ip, &ua)
                .params(json!({"dBClusterSnapshotIdentifier": snap, "attributeName": "restore", "valuesToAdd": [plan.outside_account]}))
                .response(json!({"dBClusterSnapshotAttributesResult": {"dBClusterSnapshotIdentifier": snap, "dBClusterSnapshotAttributes": [{"attributeName": "restore", "attributeValues": [plan.outside_account]}]}}))
                .resource(acct, "AWS::RDS::DBClusterSnapshot", &snap_arn),
        ));
    }
    out
}

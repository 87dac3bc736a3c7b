//! A month of ordinary work at Interlace Labs: developers, CI, ops engineers through the
//! privileged role, instance and task roles, the nightly backup, and the contractor's rare
//! visits. Everything for one day is produced by [`day`].

use crate::clock::{self, DAY, HOUR, MINUTE, SECOND};
use crate::cloudtrail_records::{self as rec, Call, Record, Session, Who};
use crate::estate::Estate;
use crate::identities::{BACKUP_REGION, HOME_REGION, Identities, User, UserKind};
use crate::ids::{self, DemoRng};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use vigil_model::Timestamp;

pub const BROWSER_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36";
const CONSOLE_UA: &str = "AWS Internal";
const SSM_UA: &str = "aws-sdk-go/1.44.260 (go1.21.9; linux; amd64) amazon-ssm-agent/3.3.808.0";
const ECS_TASK_UA: &str = "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.224-212.876.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#legacy Botocore/1.34.144";
const LAMBDA_UA: &str = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.226-235.880.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145";
const CI_CLI_UA: &str = "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#ecr.get-login-password";
const CI_TF_UA: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.7 (+https://www.terraform.io) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.0 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/cloudformation#1.55.0";
const CI_GO_UA: &str = "aws-sdk-go-v2/1.30.4 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 api/ecs#1.45.2 ecs-deploy/1.7.0";

/// Shared, read-only context of the day generators.
pub struct Ctx<'a> {
    pub ids: &'a Identities,
    pub estate: &'a Estate,
    pub start: Timestamp,
}

/// Pushes finished records.
pub struct Sink<'r> {
    pub rng: &'r mut DemoRng,
    pub out: &'r mut Vec<Record>,
    pub account: String,
    /// Last use of each long-lived key before `last_used_until`: for the credential report.
    pub last_used: &'r mut BTreeMap<String, KeyUse>,
    pub last_used_until: Timestamp,
}

/// When and where a long-lived access key was last used.
#[derive(Debug, Clone)]
pub struct KeyUse {
    pub time: Timestamp,
    pub region: String,
    pub service: String,
}

impl Sink<'_> {
    /// An AWS service (EC2, ECS tasks, Lambda) assumes a role for a workload, calling from its
    /// own service name as CloudTrail records it.
    pub fn service_assumes_role(
        &mut self,
        time: Timestamp,
        service: &'static str,
        session: &Session,
    ) {
        let call = rec::assume_role(
            time,
            HOME_REGION,
            Who::Service(service),
            service,
            service,
            session,
            None,
            self.rng,
        );
        self.emit(call);
    }

    pub fn emit(&mut self, call: Call<'_>) -> String {
        if let Who::User { key: Some(k), .. } = call.who
            && k.starts_with("AKIA")
            && call.time < self.last_used_until
        {
            let newer = self.last_used.get(k).is_none_or(|u| u.time < call.time);
            if newer {
                self.last_used.insert(
                    k.to_string(),
                    KeyUse {
                        time: call.time,
                        region: call.region.to_string(),
                        service: rec::iam_prefix(call.service).to_string(),
                    },
                );
            }
        }
        let r = rec::build(call, &self.account, self.rng);
        let id = r.event_id.clone();
        self.out.push(r);
        id
    }
}

fn jitter(rng: &mut DemoRng, lo_s: i64, hi_s: i64) -> i64 {
    rng.random_range(lo_s * SECOND..hi_s * SECOND)
}

/// A read call a person makes while looking around, with plausible parameters.
fn browse_call<'a>(
    ctx: &Ctx<'a>,
    rng: &mut DemoRng,
    t: Timestamp,
    region: &'a str,
    who: Who<'a>,
    ip: &'a str,
    ua: &'a str,
) -> Call<'a> {
    const MENU: [(&str, &str); 22] = [
        ("ec2", "DescribeInstances"),
        ("ec2", "DescribeInstances"),
        ("ec2", "DescribeSecurityGroups"),
        ("ec2", "DescribeVpcs"),
        ("s3", "ListBuckets"),
        ("s3", "GetBucketLocation"),
        ("logs", "FilterLogEvents"),
        ("logs", "FilterLogEvents"),
        ("logs", "DescribeLogGroups"),
        ("lambda", "ListFunctions20150331"),
        ("ecs", "ListClusters"),
        ("ecs", "DescribeServices"),
        ("ecs", "DescribeServices"),
        ("ecr", "DescribeRepositories"),
        ("ecr", "DescribeImages"),
        ("monitoring", "GetMetricData"),
        ("monitoring", "GetMetricData"),
        ("sts", "GetCallerIdentity"),
        ("ssm", "GetParameter"),
        ("dynamodb", "DescribeTable"),
        ("sqs", "ListQueues"),
        ("cloudformation", "DescribeStacks"),
    ];
    let (service, name) = MENU
        .choose(rng)
        .copied()
        .unwrap_or(("sts", "GetCallerIdentity"));
    let acct = &ctx.ids.account;
    let (service, region) = if service == "s3" {
        (service, HOME_REGION)
    } else {
        (service, region)
    };
    let params = match name {
        "DescribeInstances" => {
            json!({"instancesSet": {}, "filterSet": {"items": [{"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]}})
        }
        "DescribeSecurityGroups" => {
            json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}})
        }
        "DescribeVpcs" => json!({"vpcSet": {}, "filterSet": {}}),
        "ListBuckets" => json!({"Host": "s3.amazonaws.com"}),
        "GetBucketLocation" => {
            let b = ctx
                .estate
                .buckets
                .choose(rng)
                .map(|b| b.0.clone())
                .unwrap_or_default();
            json!({"bucketName": b, "Host": "s3.amazonaws.com", "location": ""})
        }
        "FilterLogEvents" => {
            let g = [
                "/ecs/interlace-api",
                "/aws/lambda/interlace-nightly-backup",
                "/lumen/web",
            ]
            .choose(rng)
            .copied()
            .unwrap_or("/ecs/interlace-api");
            let from = t.plus_millis(-HOUR).as_millis();
            json!({"logGroupName": g, "startTime": from, "endTime": t.as_millis(), "interleaved": true})
        }
        "DescribeLogGroups" => json!({"logGroupNamePrefix": "/ecs/"}),
        "ListFunctions20150331" => json!({"functionVersion": "ALL"}),
        "ListClusters" => Value::Null,
        "DescribeServices" => json!({"cluster": "interlace-prod", "services": ["interlace-api"]}),
        "DescribeRepositories" => json!({"repositoryNames": ["interlace-api"]}),
        "DescribeImages" => json!({"repositoryName": "interlace-api", "maxResults": 100}),
        "GetMetricData" => {
            json!({"startTime": clock::event_time(t.plus_millis(-3 * HOUR)), "endTime": clock::event_time(t), "metricDataQueries": [{"id": "cpu", "metricStat": {"metric": {"namespace": "AWS/ECS", "metricName": "CPUUtilization"}, "period": 300, "stat": "Average"}}]})
        }
        "GetParameter" => json!({"name": "/interlace/prod/feature-flags", "withDecryption": false}),
        "DescribeTable" => json!({"tableName": "interlace-sessions"}),
        "ListQueues" => Value::Null,
        "DescribeStacks" => json!({"stackName": "interlace-api-prod"}),
        _ => Value::Null,
    };
    let mut call = Call::api(t, region, service, name, who, ip, ua).params(params);
    if name == "DescribeTable" || name == "GetParameter" {
        let (kind, arn) = if name == "DescribeTable" {
            (
                "AWS::DynamoDB::Table",
                format!("arn:aws:dynamodb:{region}:{acct}:table/interlace-sessions"),
            )
        } else {
            (
                "AWS::SSM::Parameter",
                format!("arn:aws:ssm:{region}:{acct}:parameter/interlace/prod/feature-flags"),
            )
        };
        call = call.resource(acct, kind, &arn);
    }
    call
}

fn developer<'a>(ctx: &Ctx<'a>, sink: &mut Sink<'_>, user: &'a User, day0: Timestamp) {
    let rng = &mut *sink.rng;
    let active = if clock::is_weekend(day0) {
        rng.random_bool(0.08)
    } else {
        rng.random_bool(0.85)
    };
    if !active {
        return;
    }
    let bursts = rng.random_range(1..4);
    let console_key = user.console.then(|| ids::access_key_id(rng, "ASIA"));
    let mut logged_in: Option<Timestamp> = None;
    for _ in 0..bursts {
        let rng = &mut *sink.rng;
        let mut t = day0.plus_millis(13 * HOUR + rng.random_range(0..9 * HOUR));
        let region = user.regions.choose(rng).copied().unwrap_or(HOME_REGION);
        let ip = user
            .ips
            .choose(rng)
            .map(String::as_str)
            .unwrap_or("192.0.2.17");
        let via_console = console_key.is_some() && rng.random_bool(0.4);
        if via_console && logged_in.is_none() {
            logged_in = Some(t);
            let login = console_login(
                ctx,
                Who::User {
                    user,
                    account: &ctx.ids.account,
                    key: None,
                    console: None,
                },
                t,
                ip,
                user.mfa.then_some(user.name.as_str()),
            );
            sink.emit(login);
            t = t.plus_millis(jitter(sink.rng, 3, 20));
        }
        let n = sink.rng.random_range(4..22);
        for _ in 0..n {
            let rng = &mut *sink.rng;
            t = t.plus_millis(jitter(rng, 2, 90));
            let (who, ua) = match (via_console, console_key.as_deref(), logged_in) {
                (true, Some(k), Some(at)) => (
                    Who::User {
                        user,
                        account: &ctx.ids.account,
                        key: Some(k),
                        console: Some(at),
                    },
                    CONSOLE_UA,
                ),
                _ => (
                    Who::User {
                        user,
                        account: &ctx.ids.account,
                        key: Some(&user.access_key_id),
                        console: None,
                    },
                    user.user_agent.as_str(),
                ),
            };
            let mut call = browse_call(ctx, rng, t, region, who, ip, ua);
            if via_console {
                call = call.console();
            }
            if rng.random_bool(0.01) {
                call = call.denied();
            } else if rng.random_bool(0.004) {
                call = call.throttled();
            }
            sink.emit(call);
        }
    }
}

fn console_login<'a>(
    ctx: &Ctx<'a>,
    who: Who<'a>,
    t: Timestamp,
    ip: &'a str,
    mfa_user: Option<&str>,
) -> Call<'a> {
    let mut extra = json!({
        "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
        "MobileVersion": "No",
        "MFAUsed": if mfa_user.is_some() {"Yes"} else {"No"},
    });
    if let (Some(name), Value::Object(m)) = (mfa_user, &mut extra) {
        let id = if name == "root" {
            format!(
                "arn:aws:iam::{}:mfa/root-account-mfa-device",
                ctx.ids.account
            )
        } else {
            format!("arn:aws:iam::{}:mfa/{name}", ctx.ids.account)
        };
        m.insert("MFAIdentifier".into(), id.into());
    }
    let mut call = Call::api(
        t,
        HOME_REGION,
        "signin",
        "ConsoleLogin",
        who,
        ip,
        BROWSER_UA,
    )
    .response(json!({"ConsoleLogin": "Success"}));
    call.additional = Some(extra);
    call.event_type = "AwsConsoleSignIn";
    call.read_only = false;
    call
}

fn ci<'a>(ctx: &Ctx<'a>, sink: &mut Sink<'_>, user: &'a User, day0: Timestamp, slr: &Session) {
    let deploys = if clock::is_weekend(day0) {
        sink.rng.random_range(0..2)
    } else {
        sink.rng.random_range(2..7)
    };
    let acct = ctx.ids.account.as_str();
    for _ in 0..deploys {
        let rng = &mut *sink.rng;
        let mut t = day0.plus_millis(12 * HOUR + rng.random_range(0..11 * HOUR));
        let region = if rng.random_bool(0.7) {
            HOME_REGION
        } else {
            user.regions.last().copied().unwrap_or(HOME_REGION)
        };
        let ip = user
            .ips
            .choose(rng)
            .map(String::as_str)
            .unwrap_or("198.51.100.10");
        let who = Who::User {
            user,
            account: acct,
            key: Some(&user.access_key_id),
            console: None,
        };
        let repo_arn = format!("arn:aws:ecr:{region}:{acct}:repository/interlace-api");
        let tag = format!("sha-{}", ids::hex(rng, 7));
        let stack = format!(
            "arn:aws:cloudformation:{region}:{acct}:stack/interlace-api-prod/{}",
            ids::uuid4(rng)
        );
        let steps: Vec<(&str, &str, &str, Value)> = vec![
            ("sts", "GetCallerIdentity", CI_CLI_UA, Value::Null),
            (
                "ecr",
                "GetAuthorizationToken",
                CI_CLI_UA,
                json!({"registryIds": [acct]}),
            ),
            (
                "ecr",
                "BatchCheckLayerAvailability",
                CI_CLI_UA,
                json!({"repositoryName": "interlace-api", "registryId": acct, "layerDigests": [format!("sha256:{}", ids::hex(rng, 64))]}),
            ),
            (
                "ecr",
                "InitiateLayerUpload",
                CI_CLI_UA,
                json!({"repositoryName": "interlace-api", "registryId": acct}),
            ),
            (
                "ecr",
                "CompleteLayerUpload",
                CI_CLI_UA,
                json!({"repositoryName": "interlace-api", "registryId": acct, "uploadId": ids::uuid4(rng), "layerDigests": [format!("sha256:{}", ids::hex(rng, 64))]}),
            ),
            (
                "ecr",
                "PutImage",
                CI_CLI_UA,
                json!({"repositoryName": "interlace-api", "registryId": acct, "imageTag": tag}),
            ),
            (
                "cloudformation",
                "DescribeStacks",
                CI_TF_UA,
                json!({"stackName": "interlace-api-prod"}),
            ),
            (
                "cloudformation",
                "CreateChangeSet",
                CI_TF_UA,
                json!({"stackName": "interlace-api-prod", "changeSetName": format!("deploy-{tag}"), "changeSetType": "UPDATE", "capabilities": ["CAPABILITY_IAM"]}),
            ),
            (
                "cloudformation",
                "DescribeChangeSet",
                CI_TF_UA,
                json!({"stackName": "interlace-api-prod", "changeSetName": format!("deploy-{tag}")}),
            ),
            (
                "cloudformation",
                "ExecuteChangeSet",
                CI_TF_UA,
                json!({"stackName": "interlace-api-prod", "changeSetName": format!("deploy-{tag}")}),
            ),
            (
                "cloudformation",
                "DescribeStackEvents",
                CI_TF_UA,
                json!({"stackName": "interlace-api-prod"}),
            ),
            (
                "cloudformation",
                "DescribeStackEvents",
                CI_TF_UA,
                json!({"stackName": "interlace-api-prod"}),
            ),
            (
                "ecs",
                "RegisterTaskDefinition",
                CI_GO_UA,
                json!({"family": "interlace-api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024"}),
            ),
            (
                "ecs",
                "UpdateService",
                CI_GO_UA,
                json!({"cluster": "interlace-prod", "service": "interlace-api", "taskDefinition": "interlace-api", "forceNewDeployment": false}),
            ),
            (
                "ecs",
                "DescribeServices",
                CI_GO_UA,
                json!({"cluster": "interlace-prod", "services": ["interlace-api"]}),
            ),
            (
                "ecs",
                "DescribeServices",
                CI_GO_UA,
                json!({"cluster": "interlace-prod", "services": ["interlace-api"]}),
            ),
            (
                "s3",
                "GetBucketLocation",
                CI_TF_UA,
                json!({"bucketName": ctx.estate.buckets.get(2).map(|b| b.0.as_str()).unwrap_or(""), "Host": "s3.amazonaws.com", "location": ""}),
            ),
        ];
        for (service, name, ua, params) in steps {
            let rng = &mut *sink.rng;
            t = t.plus_millis(jitter(rng, 1, 40));
            let region = if service == "s3" { HOME_REGION } else { region };
            let mut call = Call::api(t, region, service, name, who, ip, ua).params(params);
            if service == "ecr" && name != "GetAuthorizationToken" {
                call = call.resource(acct, "AWS::ECR::Repository", &repo_arn);
            }
            if service == "cloudformation" {
                call = call.resource(acct, "AWS::CloudFormation::Stack", &stack);
            }
            if call.read_only && rng.random_bool(0.004) {
                call = call.throttled();
            }
            sink.emit(call);
        }
        // The ECS scheduler moves targets behind the load balancer.
        let tg = format!(
            "arn:aws:elasticloadbalancing:{region}:{acct}:targetgroup/interlace-api/{}",
            ids::hex(sink.rng, 16)
        );
        for name in ["RegisterTargets", "DeregisterTargets"] {
            t = t.plus_millis(jitter(sink.rng, 20, 90));
            let ip = format!(
                "10.20.{}.{}",
                11 + sink.rng.random_range(0..2u8),
                sink.rng.random_range(20..250u8)
            );
            let call = Call::api(
                t,
                region,
                "elasticloadbalancing",
                name,
                Who::Session(slr),
                "ecs.amazonaws.com",
                "ecs.amazonaws.com",
            )
            .params(json!({"targetGroupArn": tg, "targets": [{"id": ip, "port": 8080}]}));
            sink.emit(call);
        }
    }
}

fn ops<'a>(ctx: &Ctx<'a>, sink: &mut Sink<'_>, user: &'a User, day0: Timestamp) {
    let rng = &mut *sink.rng;
    if clock::is_weekend(day0) || !rng.random_bool(0.35) {
        return;
    }
    let acct = ctx.ids.account.as_str();
    let mut t = day0.plus_millis(13 * HOUR + rng.random_range(0..8 * HOUR));
    let ip = user
        .ips
        .choose(rng)
        .map(String::as_str)
        .unwrap_or("192.0.2.17");
    let role = ctx.ids.ops_admin();
    let mut session = Session::new(role, acct, &user.name, ids::access_key_id(rng, "ASIA"), t);
    session.mfa = true;
    let serial = format!("arn:aws:iam::{acct}:mfa/{}", user.name);
    let caller = Who::User {
        user,
        account: acct,
        key: Some(&user.access_key_id),
        console: None,
    };
    let call = rec::assume_role(
        t,
        HOME_REGION,
        caller,
        ip,
        &user.user_agent,
        &session,
        Some(&serial),
        rng,
    );
    sink.emit(call);
    let n = sink.rng.random_range(5..20);
    let target = ctx.estate.target();
    for _ in 0..n {
        let rng = &mut *sink.rng;
        t = t.plus_millis(jitter(rng, 5, 120));
        let region = if rng.random_bool(0.85) {
            HOME_REGION
        } else {
            BACKUP_REGION
        };
        let who = Who::Session(&session);
        let pick = rng.random_range(0..10);
        let call = match pick {
            0 | 1 => Call::api(t, region, "rds", "DescribeDBClusters", who, ip, &user.user_agent).params(json!({"dBClusterIdentifier": target.id})).resource(acct, "AWS::RDS::DBCluster", &target.arn),
            2 => Call::api(t, region, "rds", "DescribeDBClusterSnapshots", who, ip, &user.user_agent).params(json!({"dBClusterIdentifier": target.id, "snapshotType": "manual", "includeShared": false, "includePublic": false})),
            3 => Call::api(t, region, "rds", "DescribeDBInstances", who, ip, &user.user_agent).params(json!({"maxRecords": 100})),
            4 | 5 => browse_call(ctx, rng, t, region, who, ip, &user.user_agent),
            6 => Call::api(t, region, "monitoring", "GetMetricStatistics", who, ip, &user.user_agent).params(json!({"namespace": "AWS/RDS", "metricName": "DatabaseConnections", "dimensions": [{"name": "DBClusterIdentifier", "value": target.id}], "period": 300, "statistics": ["Average"]})),
            7 => {
                let h = &ctx.estate.hosts.choose(rng).map(|h| h.instance_id.clone()).unwrap_or_default();
                Call::api(t, HOME_REGION, "ssm", "StartSession", who, ip, &user.user_agent)
                    .params(json!({"target": h}))
                    .response(json!({"sessionId": format!("{}-{}", user.name, ids::hex(rng, 17)), "tokenValue": "Value hidden due to security reasons.", "streamUrl": format!("wss://ssmmessages.{HOME_REGION}.amazonaws.com/v1/data-channel/{}-{}", user.name, ids::hex(rng, 17))}))
                    .resource(acct, "AWS::EC2::Instance", &format!("arn:aws:ec2:{HOME_REGION}:{acct}:instance/{h}"))
            }
            8 => Call::api(t, HOME_REGION, "iam", "GetRole", who, ip, &user.user_agent).params(json!({"roleName": "lumen-web-instance-role"})),
            _ => Call::api(t, region, "ec2", "DescribeSnapshots", who, ip, &user.user_agent).params(json!({"ownersSet": {"items": [{"owner": "self"}]}})),
        };
        sink.emit(call);
    }
    if user.console && sink.rng.random_bool(0.3) {
        let t = day0.plus_millis(14 * HOUR + sink.rng.random_range(0..6 * HOUR));
        let who = Who::User {
            user,
            account: acct,
            key: None,
            console: None,
        };
        sink.emit(console_login(ctx, who, t, ip, Some(&user.name)));
    }
}

/// The contractor: a short CLI session from the office now and then, always in one region.
fn contractor<'a>(
    ctx: &Ctx<'a>,
    sink: &mut Sink<'_>,
    user: &'a User,
    day0: Timestamp,
    day: u32,
    last_day: u32,
) {
    let rng = &mut *sink.rng;
    if day > last_day || clock::is_weekend(day0) || !rng.random_bool(0.3) {
        return;
    }
    let acct = ctx.ids.account.as_str();
    let mut t = day0.plus_millis(14 * HOUR + rng.random_range(0..6 * HOUR));
    let ip = user.ips.first().map(String::as_str).unwrap_or("192.0.2.17");
    let who = Who::User {
        user,
        account: acct,
        key: Some(&user.access_key_id),
        console: None,
    };
    let target = ctx.estate.target();
    let n = rng.random_range(4..12);
    for i in 0..n {
        let rng = &mut *sink.rng;
        t = t.plus_millis(jitter(rng, 3, 100));
        let call = match (i, rng.random_range(0..5)) {
            (0, _) => Call::api(t, HOME_REGION, "sts", "GetCallerIdentity", who, ip, &user.user_agent),
            (_, 0) => Call::api(t, HOME_REGION, "ecr", "GetAuthorizationToken", who, ip, &user.user_agent).params(json!({"registryIds": [acct]})),
            (_, 1) => Call::api(t, HOME_REGION, "rds", "DescribeDBClusters", who, ip, &user.user_agent).params(json!({"dBClusterIdentifier": target.id})).resource(acct, "AWS::RDS::DBCluster", &target.arn),
            (_, 2) => Call::api(t, HOME_REGION, "ecr", "PutImage", who, ip, &user.user_agent).params(json!({"repositoryName": "lumen-web", "registryId": acct, "imageTag": "1.4.2"})).resource(acct, "AWS::ECR::Repository", &format!("arn:aws:ecr:{HOME_REGION}:{acct}:repository/lumen-web")),
            _ => Call::api(t, HOME_REGION, "ec2", "DescribeInstances", who, ip, &user.user_agent).params(json!({"instancesSet": {"items": [{"instanceId": ctx.estate.compromised().instance_id}]}, "filterSet": {}})),
        };
        sink.emit(call);
    }
}

/// Instance profiles: SSM agent heartbeats every ~10 minutes, credentials every 6 hours.
fn instances(ctx: &Ctx<'_>, sink: &mut Sink<'_>, day0: Timestamp) {
    let acct = ctx.ids.account.as_str();
    let role = &ctx.ids.roles[ctx.ids.instance_role];
    for host in &ctx.estate.hosts {
        let ip = host.public_ip.as_deref().unwrap_or_else(|| {
            ctx.ids
                .nat_ips
                .first()
                .map(String::as_str)
                .unwrap_or("198.51.100.40")
        });
        let arn = format!(
            "arn:aws:ec2:{HOME_REGION}:{acct}:instance/{}",
            host.instance_id
        );
        for quarter in 0..4 {
            let rng = &mut *sink.rng;
            let t0 = day0.plus_millis(quarter * 6 * HOUR + jitter(rng, 0, 120));
            let session = Session::new(
                role,
                acct,
                &host.instance_id,
                ids::access_key_id(rng, "ASIA"),
                t0,
            );
            sink.service_assumes_role(t0, "ec2.amazonaws.com", &session);
            let mut t = t0.plus_millis(jitter(sink.rng, 30, 300));
            while t < t0.plus_millis(6 * HOUR) {
                let rng = &mut *sink.rng;
                let name = if rng.random_bool(0.15) {
                    "ListInstanceAssociations"
                } else {
                    "UpdateInstanceInformation"
                };
                let params = if name == "UpdateInstanceInformation" {
                    json!({"instanceId": host.instance_id, "agentVersion": "3.3.808.0", "agentStatus": "Active", "platformType": "Linux", "platformName": "Ubuntu", "platformVersion": "22.04", "iPAddress": host.private_ip, "computerName": format!("{}.ec2.internal", host.hostname()), "agentName": "amazon-ssm-agent", "availabilityZone": ctx.estate.subnets.get(host.subnet).map(|s| s.az.as_str()).unwrap_or("us-east-1a")})
                } else {
                    json!({"instanceId": host.instance_id, "maxResults": 50})
                };
                let call = Call::api(
                    t,
                    HOME_REGION,
                    "ssm",
                    name,
                    Who::Session(&session),
                    ip,
                    SSM_UA,
                )
                .params(params)
                .resource(acct, "AWS::EC2::Instance", &arn);
                sink.emit(call);
                t = t.plus_millis(10 * MINUTE + jitter(sink.rng, -30, 30));
            }
        }
    }
}

/// ECS tasks of the API service: credentials every hour, then KMS and Secrets Manager reads.
fn ecs_tasks(ctx: &Ctx<'_>, sink: &mut Sink<'_>, day0: Timestamp) {
    let acct = ctx.ids.account.as_str();
    let kms = format!(
        "arn:aws:kms:{HOME_REGION}:{acct}:key/{}",
        ctx.estate.kms_key_id
    );
    for role in ctx
        .ids
        .roles
        .iter()
        .filter(|r| r.kind == crate::identities::RoleKind::EcsTask)
    {
        for hour in 0..24 {
            let rng = &mut *sink.rng;
            let t0 = day0.plus_millis(hour * HOUR + jitter(rng, 0, 600));
            let task = ids::hex(rng, 32);
            let session = Session::new(role, acct, &task, ids::access_key_id(rng, "ASIA"), t0);
            sink.service_assumes_role(t0, "ecs-tasks.amazonaws.com", &session);
            let ip = ctx
                .ids
                .nat_ips
                .choose(sink.rng)
                .map(String::as_str)
                .unwrap_or("198.51.100.40");
            let n = sink.rng.random_range(2..7);
            let mut t = t0;
            for _ in 0..n {
                let rng = &mut *sink.rng;
                t = t.plus_millis(jitter(rng, 1, 900));
                let call = if rng.random_bool(0.5) {
                    Call::api(t, HOME_REGION, "kms", "Decrypt", Who::Session(&session), ip, ECS_TASK_UA)
                        .params(json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"service": "interlace-api"}}))
                        .resource(acct, "AWS::KMS::Key", &kms)
                } else {
                    let secret = format!(
                        "arn:aws:secretsmanager:{HOME_REGION}:{acct}:secret:interlace/api/db-AbCdEf"
                    );
                    Call::api(
                        t,
                        HOME_REGION,
                        "secretsmanager",
                        "GetSecretValue",
                        Who::Session(&session),
                        ip,
                        ECS_TASK_UA,
                    )
                    .params(json!({"secretId": secret}))
                };
                sink.emit(call);
            }
        }
    }
}

/// The nightly backup Lambda: snapshot every cluster, copy to the backup region, prune.
fn backup(ctx: &Ctx<'_>, sink: &mut Sink<'_>, day0: Timestamp) {
    let acct = ctx.ids.account.as_str();
    let role = &ctx.ids.roles[ctx.ids.backup];
    let rng = &mut *sink.rng;
    let t0 = day0.plus_millis(3 * HOUR + jitter(rng, 0, 90));
    let session = Session::new(
        role,
        acct,
        "interlace-nightly-backup",
        ids::access_key_id(rng, "ASIA"),
        t0,
    );
    sink.service_assumes_role(t0, "lambda.amazonaws.com", &session);
    let ip = ctx
        .ids
        .nat_ips
        .last()
        .map(String::as_str)
        .unwrap_or("198.51.100.41");
    let who = Who::Session(&session);
    let mut t = t0.plus_millis(jitter(sink.rng, 1, 5));
    sink.emit(Call::api(
        t,
        HOME_REGION,
        "rds",
        "DescribeDBClusters",
        who,
        ip,
        LAMBDA_UA,
    ));
    let date = clock::event_time(day0).get(..10).unwrap_or("").to_string();
    let old = clock::event_time(day0.plus_millis(-7 * DAY))
        .get(..10)
        .unwrap_or("")
        .to_string();
    for c in &ctx.estate.clusters {
        let snap = format!("nightly-{}-{date}", c.id);
        let snap_arn = format!("arn:aws:rds:{HOME_REGION}:{acct}:cluster-snapshot:{snap}");
        t = t.plus_millis(jitter(sink.rng, 1, 4));
        let create = Call::api(t, HOME_REGION, "rds", "CreateDBClusterSnapshot", who, ip, LAMBDA_UA)
            .params(json!({"dBClusterSnapshotIdentifier": snap, "dBClusterIdentifier": c.id, "tags": [{"key": "backup", "value": "nightly"}]}))
            .response(json!({"dBClusterSnapshotIdentifier": snap, "dBClusterIdentifier": c.id, "dBClusterSnapshotArn": snap_arn, "status": "creating", "engine": "aurora-postgresql", "snapshotType": "manual", "storageEncrypted": true, "percentProgress": 0}))
            .resource(acct, "AWS::RDS::DBCluster", &c.arn);
        sink.emit(create);
        t = t.plus_millis(jitter(sink.rng, 60, 240));
        sink.emit(Call::api(t, HOME_REGION, "rds", "DescribeDBClusterSnapshots", who, ip, LAMBDA_UA).params(json!({"dBClusterSnapshotIdentifier": snap, "includeShared": false, "includePublic": false})));
        t = t.plus_millis(jitter(sink.rng, 1, 5));
        let copy = format!("{snap}-dr");
        sink.emit(
            Call::api(t, BACKUP_REGION, "rds", "CopyDBClusterSnapshot", who, ip, LAMBDA_UA)
                .params(json!({"sourceDBClusterSnapshotIdentifier": snap_arn, "targetDBClusterSnapshotIdentifier": copy, "kmsKeyId": "alias/interlace-dr", "sourceRegion": HOME_REGION}))
                .response(json!({"dBClusterSnapshotIdentifier": copy, "status": "copying", "sourceDBClusterSnapshotArn": snap_arn})),
        );
        t = t.plus_millis(jitter(sink.rng, 1, 5));
        let old_snap = format!("nightly-{}-{old}", c.id);
        sink.emit(
            Call::api(
                t,
                HOME_REGION,
                "rds",
                "DeleteDBClusterSnapshot",
                who,
                ip,
                LAMBDA_UA,
            )
            .params(json!({"dBClusterSnapshotIdentifier": old_snap})),
        );
    }
}

fn root(ctx: &Ctx<'_>, sink: &mut Sink<'_>, day0: Timestamp) {
    let acct = ctx.ids.account.as_str();
    let rng = &mut *sink.rng;
    let t = day0.plus_millis(16 * HOUR + jitter(rng, 0, 3600));
    let ip = ctx
        .ids
        .office_ips
        .first()
        .map(String::as_str)
        .unwrap_or("192.0.2.17");
    let login = Who::Root {
        account: acct,
        key: None,
        created: t,
    };
    sink.emit(console_login(ctx, login, t, ip, Some("root")));
    let key = ids::access_key_id(sink.rng, "ASIA");
    let who = Who::Root {
        account: acct,
        key: Some(&key),
        created: t,
    };
    for i in 0..3 {
        let at = t.plus_millis((i + 1) * 40 * SECOND);
        let call = Call::api(at, HOME_REGION, "ce", "GetCostAndUsage", who, ip, CONSOLE_UA)
            .params(json!({"timePeriod": {"start": "2026-09-01", "end": "2026-10-01"}, "granularity": "MONTHLY", "metrics": ["UnblendedCost"]}))
            .console();
        sink.emit(call);
    }
}

/// Everyone's ordinary activity on day `day` (0-based) of the story.
pub fn day(ctx: &Ctx<'_>, sink: &mut Sink<'_>, day: u32, contractor_last_day: u32) {
    let day0 = ctx.start.plus_millis(i64::from(day) * DAY);
    let acct = ctx.ids.account.as_str();
    let slr_role = &ctx.ids.roles[ctx.ids.ecs_slr];
    let mut slr = Session::new(
        slr_role,
        acct,
        "ecs-service-scheduler",
        ids::access_key_id(sink.rng, "ASIA"),
        day0,
    );
    slr.invoked_by = Some("ecs.amazonaws.com");
    for user in &ctx.ids.users {
        match user.kind {
            UserKind::Developer => developer(ctx, sink, user, day0),
            UserKind::Ci => ci(ctx, sink, user, day0, &slr),
            UserKind::Ops => ops(ctx, sink, user, day0),
            UserKind::Contractor => contractor(ctx, sink, user, day0, day, contractor_last_day),
        }
    }
    instances(ctx, sink, day0);
    ecs_tasks(ctx, sink, day0);
    backup(ctx, sink, day0);
    if day == 3 {
        root(ctx, sink, day0);
    }
}

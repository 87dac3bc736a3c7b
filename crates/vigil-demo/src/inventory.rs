//! Inventory files exactly as the AWS CLI prints them: IAM authorization details, the
//! credential report, and the EC2/VPC/RDS/S3 describe outputs.

use crate::DemoError;
use crate::clock::{self, DAY, HOUR};
use crate::estate::Estate;
use crate::identities::{Identities, RoleKind, UserKind};
use crate::ids::{self, DemoRng};
use crate::ordinary::KeyUse;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use vigil_model::Timestamp;

pub const FILES: [&str; 10] = [
    "iam-authorization-details.json",
    "credential-report.csv",
    "ec2-describe-instances.json",
    "ec2-describe-vpcs.json",
    "ec2-describe-subnets.json",
    "ec2-describe-security-groups.json",
    "ec2-describe-internet-gateways.json",
    "ec2-describe-route-tables.json",
    "rds-describe-db-clusters.json",
    "s3-list-buckets.json",
];

/// The AWS CLI's JSON: four-space indentation.
fn write_json(dir: &Path, name: &str, v: &Value) -> Result<(), DemoError> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser).map_err(DemoError::Json)?;
    buf.push(b'\n');
    let path = dir.join(name);
    std::fs::write(&path, buf).map_err(|e| DemoError::io(&path, e))
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

struct Policy {
    name: &'static str,
    path: &'static str,
    aws: bool,
    document: Value,
}

fn policies(ids: &Identities) -> Vec<Policy> {
    let acct = &ids.account;
    let admin = &ids.ops_admin().arn;
    vec![
        Policy {
            name: "InterlaceDeveloperAccess",
            path: "/",
            aws: false,
            document: doc(json!([{
                "Sid": "DailyWork",
                "Effect": "Allow",
                "Action": ["ec2:Describe*", "logs:Describe*", "logs:FilterLogEvents", "logs:GetLogEvents", "lambda:Get*", "lambda:List*", "lambda:UpdateFunctionCode", "ecs:Describe*", "ecs:List*", "ecr:Describe*", "ecr:List*", "cloudwatch:Get*", "cloudwatch:List*", "ssm:GetParameter", "ssm:GetParameters", "dynamodb:DescribeTable", "sqs:ListQueues", "cloudformation:Describe*", "s3:ListAllMyBuckets", "s3:GetBucketLocation", "sts:GetCallerIdentity"],
                "Resource": "*"
            }])),
        },
        Policy {
            name: "InterlaceOpsAssumeAdmin",
            path: "/",
            aws: false,
            document: doc(json!([{
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": admin,
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            }])),
        },
        Policy {
            name: "InterlaceCiDeploy",
            path: "/",
            aws: false,
            document: doc(json!([
                {"Effect": "Allow", "Action": ["ecr:*", "cloudformation:*", "ecs:*", "elasticloadbalancing:Describe*", "s3:GetBucketLocation", "s3:ListAllMyBuckets", "sts:GetCallerIdentity"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{acct}:role/interlace-api*")}
            ])),
        },
        Policy {
            name: "ContractorSelfService",
            path: "/",
            aws: false,
            document: doc(json!([{
                "Effect": "Allow",
                "Action": ["iam:GetUser", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:GetUserPolicy", "iam:ListGroupsForUser", "iam:ChangePassword", "iam:ListAccessKeys"],
                "Resource": format!("arn:aws:iam::{acct}:user/${{aws:username}}")
            }])),
        },
        Policy {
            name: "InterlaceOpsAdminPolicy",
            path: "/",
            aws: false,
            document: doc(json!([
                {"Sid": "Operate", "Effect": "Allow", "Action": ["ec2:*", "s3:*", "kms:*", "secretsmanager:*", "ssm:*", "cloudwatch:*", "logs:*", "lambda:*", "backup:*", "elasticloadbalancing:*", "autoscaling:*", "dynamodb:*"], "Resource": "*"},
                {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:PassRole"], "Resource": "*"}
            ])),
        },
        Policy {
            name: "NightlyBackupPolicy",
            path: "/service-role/",
            aws: false,
            document: doc(json!([
                {"Effect": "Allow", "Action": ["rds:DescribeDBClusters", "rds:CreateDBClusterSnapshot", "rds:DescribeDBClusterSnapshots", "rds:CopyDBClusterSnapshot", "rds:DeleteDBClusterSnapshot", "rds:AddTagsToResource"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["kms:CreateGrant", "kms:DescribeKey"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}
            ])),
        },
        Policy {
            name: "AmazonRDSFullAccess",
            path: "/",
            aws: true,
            document: doc(json!([
                {"Sid": "AmazonRDSFullAccess", "Effect": "Allow", "Action": ["rds:*", "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingActivities", "application-autoscaling:DescribeScalingPolicies", "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget", "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricStatistics", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "ec2:DescribeAccountAttributes", "ec2:DescribeAvailabilityZones", "ec2:DescribeCoipPools", "ec2:DescribeInternetGateways", "ec2:DescribeLocalGatewayRouteTablePermissions", "ec2:DescribeLocalGatewayRouteTables", "ec2:DescribeLocalGatewayRouteTableVpcAssociations", "ec2:DescribeLocalGateways", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcAttribute", "ec2:DescribeVpcs", "ec2:GetCoipPoolUsage", "sns:ListSubscriptions", "sns:ListTopics", "sns:Publish", "logs:DescribeLogStreams", "logs:GetLogEvents", "outposts:GetOutpostInstanceTypes", "devops-guru:GetResourceCollection"], "Resource": "*"},
                {"Sid": "PerformanceInsights", "Effect": "Allow", "Action": "pi:*", "Resource": ["arn:aws:pi:*:*:metrics/rds/*", "arn:aws:pi:*:*:perf-reports/rds/*"]},
                {"Sid": "CreateServiceLinkedRole", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*", "Condition": {"StringLike": {"iam:AWSServiceName": ["rds.amazonaws.com", "rds.application-autoscaling.amazonaws.com"]}}}
            ])),
        },
        Policy {
            name: "AmazonSSMManagedInstanceCore",
            path: "/",
            aws: true,
            document: doc(json!([
                {"Effect": "Allow", "Action": ["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"], "Resource": "*"}
            ])),
        },
        Policy {
            name: "AmazonECSServiceRolePolicy",
            path: "/aws-service-role/",
            aws: true,
            document: doc(json!([
                {"Sid": "ECSTaskManagement", "Effect": "Allow", "Action": ["ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:Describe*", "ec2:DetachNetworkInterface", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterTargets", "servicediscovery:RegisterInstance", "servicediscovery:DeregisterInstance"], "Resource": "*"}
            ])),
        },
    ]
}

fn policy_arn(acct: &str, p: &Policy) -> String {
    if p.aws {
        format!("arn:aws:iam::aws:policy{}{}", p.path, p.name)
    } else {
        format!("arn:aws:iam::{acct}:policy{}{}", p.path, p.name)
    }
}

fn attached(acct: &str, all: &[Policy], names: &[&str]) -> Value {
    Value::Array(
        all.iter()
            .filter(|p| names.contains(&p.name))
            .map(|p| json!({"PolicyName": p.name, "PolicyArn": policy_arn(acct, p)}))
            .collect(),
    )
}

fn trust(principal: Value) -> Value {
    doc(json!([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]))
}

fn authorization_details(ids: &Identities, rng: &mut DemoRng, now: Timestamp) -> Value {
    let acct = ids.account.as_str();
    let all = policies(ids);
    let iso = clock::iso_offset;
    let users: Vec<Value> = ids
        .users
        .iter()
        .map(|u| {
            let inline = if u.kind == UserKind::Contractor {
                json!([{
                    "PolicyName": "lumen-contractor-access",
                    "PolicyDocument": doc(json!([
                        {"Sid": "LumenBuild", "Effect": "Allow", "Action": ["ec2:Describe*", "ecr:*", "rds:Describe*", "s3:ListAllMyBuckets", "sts:GetCallerIdentity"], "Resource": "*"},
                        {"Sid": "LumenUploads", "Effect": "Allow", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::lumen-uploads-prod-{acct}"), format!("arn:aws:s3:::lumen-uploads-prod-{acct}/*")]},
                        {"Sid": "DebugDatabaseAsOps", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ids.ops_admin().arn}
                    ]))
                }])
            } else {
                json!([])
            };
            json!({
                "Path": "/",
                "UserName": u.name,
                "UserId": u.user_id,
                "Arn": u.arn,
                "CreateDate": iso(u.created),
                "UserPolicyList": inline,
                "GroupList": [u.group],
                "AttachedManagedPolicies": [],
                "Tags": if u.kind == UserKind::Contractor { json!([{"Key": "company", "Value": "external"}]) } else { json!([]) },
            })
        })
        .collect();
    let groups: Vec<Value> = [
        ("developers", &["InterlaceDeveloperAccess"][..]),
        (
            "ops",
            &["InterlaceOpsAssumeAdmin", "InterlaceDeveloperAccess"],
        ),
        ("ci", &["InterlaceCiDeploy"]),
        ("contractors", &["ContractorSelfService"]),
    ]
    .iter()
    .map(|(name, pols)| {
        json!({
            "Path": "/",
            "GroupName": name,
            "GroupId": ids::unique_id(rng, "AGPA"),
            "Arn": format!("arn:aws:iam::{acct}:group/{name}"),
            "CreateDate": iso(ids.root_created.plus_millis(30 * DAY)),
            "GroupPolicyList": [],
            "AttachedManagedPolicies": attached(acct, &all, pols),
        })
    })
    .collect();
    let roles: Vec<Value> = ids
        .roles
        .iter()
        .map(|r| {
            let (trust_doc, pols): (Value, &[&str]) = match r.kind {
                RoleKind::OpsAdmin => (trust(json!({"AWS": format!("arn:aws:iam::{acct}:root")})), &["InterlaceOpsAdminPolicy", "AmazonRDSFullAccess"]),
                RoleKind::Instance => (trust(json!({"Service": r.service})), &["AmazonSSMManagedInstanceCore"]),
                RoleKind::Backup => (trust(json!({"Service": r.service})), &["NightlyBackupPolicy"]),
                RoleKind::EcsServiceLinked => (trust(json!({"Service": r.service})), &["AmazonECSServiceRolePolicy"]),
                RoleKind::EcsTask => (trust(json!({"Service": r.service})), &[]),
            };
            let inline = if r.kind == RoleKind::EcsTask {
                json!([{"PolicyName": "api-runtime", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": ["kms:Decrypt", "secretsmanager:GetSecretValue"], "Resource": "*"}]))}])
            } else {
                json!([])
            };
            let base = json!({
                "Path": r.path,
                "RoleName": r.name,
                "RoleId": r.role_id,
                "Arn": r.arn,
                "CreateDate": iso(r.created),
                "AssumeRolePolicyDocument": trust_doc,
            });
            let profiles: Vec<Value> = r
                .instance_profile
                .iter()
                .map(|(name, id)| {
                    json!({
                        "Path": "/",
                        "InstanceProfileName": name,
                        "InstanceProfileId": id,
                        "Arn": format!("arn:aws:iam::{acct}:instance-profile/{name}"),
                        "CreateDate": iso(r.created),
                        "Roles": [base],
                    })
                })
                .collect();
            let mut v = base.clone();
            if let Value::Object(m) = &mut v {
                m.insert("InstanceProfileList".into(), Value::Array(profiles));
                m.insert("RolePolicyList".into(), inline);
                m.insert("AttachedManagedPolicies".into(), attached(acct, &all, pols));
                m.insert("Tags".into(), json!([]));
                m.insert(
                    "RoleLastUsed".into(),
                    json!({"LastUsedDate": iso(now.plus_millis(-(DAY + 5 * HOUR))), "Region": "us-east-1"}),
                );
            }
            v
        })
        .collect();
    let policy_list: Vec<Value> = all
        .iter()
        .map(|p| {
            let created = if p.aws {
                ids.root_created.plus_millis(-400 * DAY)
            } else {
                ids.root_created.plus_millis(60 * DAY)
            };
            json!({
                "PolicyName": p.name,
                "PolicyId": ids::unique_id(rng, "ANPA"),
                "Arn": policy_arn(acct, p),
                "Path": p.path,
                "DefaultVersionId": "v1",
                "AttachmentCount": 1,
                "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": true,
                "CreateDate": iso(created),
                "UpdateDate": iso(created),
                "PolicyVersionList": [{
                    "Document": p.document,
                    "VersionId": "v1",
                    "IsDefaultVersion": true,
                    "CreateDate": iso(created),
                }],
            })
        })
        .collect();
    json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policy_list,
    })
}

pub const CREDENTIAL_REPORT_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

fn credential_report(
    ids: &Identities,
    last_used: &BTreeMap<String, KeyUse>,
    now: Timestamp,
) -> String {
    let iso = clock::iso_offset;
    let mut out = String::from(CREDENTIAL_REPORT_HEADER);
    out.push('\n');
    let acct = &ids.account;
    out.push_str(&format!(
        "<root_account>,arn:aws:iam::{acct}:root,{},not_supported,{},not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
        iso(ids.root_created),
        iso(now.plus_millis(-27 * DAY + 16 * HOUR)),
    ));
    for u in &ids.users {
        let (pw, pw_used, pw_changed) = if u.console {
            (
                "true",
                iso(now.plus_millis(-2 * DAY)),
                iso(u.created.plus_millis(HOUR)),
            )
        } else {
            ("false", "N/A".to_string(), "N/A".to_string())
        };
        let (used, region, service) = match last_used.get(&u.access_key_id) {
            Some(k) => (iso(k.time), k.region.clone(), k.service.clone()),
            None => ("N/A".to_string(), "N/A".to_string(), "N/A".to_string()),
        };
        out.push_str(&format!(
            "{},{},{},{pw},{pw_used},{pw_changed},N/A,{},true,{},{used},{region},{service},false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
            u.name,
            u.arn,
            iso(u.created),
            u.mfa,
            iso(u.key_created),
        ));
    }
    out
}

fn tags(name: &str) -> Value {
    json!([{"Key": "Name", "Value": name}])
}

fn ec2(estate: &Estate, ids: &Identities, rng: &mut DemoRng) -> BTreeMap<&'static str, Value> {
    let acct = ids.account.as_str();
    let region = estate.region;
    let role = &ids.roles[ids.instance_role];
    let profile = role.instance_profile.clone().unwrap_or_default();
    let reservations: Vec<Value> = estate
        .hosts
        .iter()
        .map(|h| {
            let subnet = estate.subnets.get(h.subnet);
            let sg = estate.security_groups.get(h.security_group);
            let sgs = json!([{"GroupName": sg.map(|s| s.name.as_str()), "GroupId": sg.map(|s| s.id.as_str())}]);
            let private_dns = format!("{}.ec2.internal", h.hostname());
            let public_dns = h.public_ip.as_ref().map(|ip| format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-"))).unwrap_or_default();
            let mac = format!("0e:{}:{}:{}:{}:{}", ids::hex(rng, 2), ids::hex(rng, 2), ids::hex(rng, 2), ids::hex(rng, 2), ids::hex(rng, 2));
            let eni = format!("eni-0{}", ids::hex(rng, 16));
            let mut addr = json!({"Primary": true, "PrivateDnsName": private_dns, "PrivateIpAddress": h.private_ip});
            if let (Some(ip), Value::Object(m)) = (&h.public_ip, &mut addr) {
                m.insert("Association".into(), json!({"IpOwnerId": "amazon", "PublicDnsName": public_dns, "PublicIp": ip}));
            }
            let mut inst = json!({
                "AmiLaunchIndex": 0,
                "ImageId": h.image_id,
                "InstanceId": h.instance_id,
                "InstanceType": h.instance_type,
                "KeyName": if h.compromised { "dmitri-laptop" } else { "interlace-ops" },
                "LaunchTime": clock::iso_offset(h.launch),
                "Monitoring": {"State": "disabled"},
                "Placement": {"AvailabilityZone": subnet.map(|s| s.az.as_str()), "GroupName": "", "Tenancy": "default"},
                "PrivateDnsName": private_dns,
                "PrivateIpAddress": h.private_ip,
                "ProductCodes": [],
                "PublicDnsName": public_dns,
                "State": {"Code": 16, "Name": "running"},
                "StateTransitionReason": "",
                "SubnetId": subnet.map(|s| s.id.as_str()),
                "VpcId": estate.vpc_id,
                "Architecture": "x86_64",
                "BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"AttachTime": clock::iso_offset(h.launch), "DeleteOnTermination": true, "Status": "attached", "VolumeId": format!("vol-0{}", ids::hex(rng, 16))}}],
                "ClientToken": ids::uuid4(rng),
                "EbsOptimized": true,
                "EnaSupport": true,
                "Hypervisor": "xen",
                "IamInstanceProfile": {"Arn": format!("arn:aws:iam::{acct}:instance-profile/{}", profile.0), "Id": profile.1},
                "NetworkInterfaces": [{
                    "Attachment": {"AttachTime": clock::iso_offset(h.launch), "AttachmentId": format!("eni-attach-0{}", ids::hex(rng, 16)), "DeleteOnTermination": true, "DeviceIndex": 0, "Status": "attached", "NetworkCardIndex": 0},
                    "Description": "",
                    "Groups": sgs,
                    "Ipv6Addresses": [],
                    "MacAddress": mac,
                    "NetworkInterfaceId": eni,
                    "OwnerId": acct,
                    "PrivateDnsName": private_dns,
                    "PrivateIpAddress": h.private_ip,
                    "PrivateIpAddresses": [addr],
                    "SourceDestCheck": true,
                    "Status": "in-use",
                    "SubnetId": subnet.map(|s| s.id.as_str()),
                    "VpcId": estate.vpc_id,
                    "InterfaceType": "interface"
                }],
                "RootDeviceName": "/dev/sda1",
                "RootDeviceType": "ebs",
                "SecurityGroups": sgs,
                "SourceDestCheck": true,
                "Tags": tags(&h.name),
                "VirtualizationType": "hvm",
                "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
                "MetadataOptions": {"State": "applied", "HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "disabled"},
                "PlatformDetails": "Linux/UNIX",
                "UsageOperation": "RunInstances",
            });
            if let (Some(ip), Value::Object(m)) = (&h.public_ip, &mut inst) {
                m.insert("PublicIpAddress".into(), ip.clone().into());
            }
            json!({"Groups": [], "Instances": [inst], "OwnerId": acct, "ReservationId": format!("r-0{}", ids::hex(rng, 16))})
        })
        .collect();
    let vpcs = json!({"Vpcs": [{
        "CidrBlock": estate.vpc_cidr,
        "DhcpOptionsId": estate.dhcp_options_id,
        "State": "available",
        "VpcId": estate.vpc_id,
        "OwnerId": acct,
        "InstanceTenancy": "default",
        "CidrBlockAssociationSet": [{"AssociationId": format!("vpc-cidr-assoc-0{}", ids::hex(rng, 16)), "CidrBlock": estate.vpc_cidr, "CidrBlockState": {"State": "associated"}}],
        "IsDefault": false,
        "Tags": tags("lumen-vpc"),
    }]});
    let subnets: Vec<Value> = estate
        .subnets
        .iter()
        .map(|s| {
            json!({
                "AvailabilityZone": s.az,
                "AvailabilityZoneId": if s.az.ends_with('a') { "use1-az1" } else { "use1-az2" },
                "AvailableIpAddressCount": 245,
                "CidrBlock": s.cidr,
                "DefaultForAz": false,
                "MapPublicIpOnLaunch": s.public,
                "State": "available",
                "SubnetId": s.id,
                "VpcId": estate.vpc_id,
                "OwnerId": acct,
                "AssignIpv6AddressOnCreation": false,
                "Ipv6CidrBlockAssociationSet": [],
                "Tags": tags(&s.name),
                "SubnetArn": format!("arn:aws:ec2:{region}:{acct}:subnet/{}", s.id),
            })
        })
        .collect();
    let sgs: Vec<Value> = estate
        .security_groups
        .iter()
        .map(|g| {
            let perms: Vec<Value> = g
                .ingress
                .iter()
                .map(|r| {
                    let (ranges, pairs) = if r.source.starts_with("sg-") {
                        (json!([]), json!([{"GroupId": r.source, "UserId": acct}]))
                    } else {
                        (json!([{"CidrIp": r.source}]), json!([]))
                    };
                    json!({"FromPort": r.from, "IpProtocol": r.protocol, "IpRanges": ranges, "Ipv6Ranges": [], "PrefixListIds": [], "ToPort": r.to, "UserIdGroupPairs": pairs})
                })
                .collect();
            json!({
                "Description": g.description,
                "GroupName": g.name,
                "IpPermissions": perms,
                "OwnerId": acct,
                "GroupId": g.id,
                "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}],
                "VpcId": estate.vpc_id,
            })
        })
        .collect();
    let igws = json!({"InternetGateways": [{
        "Attachments": [{"State": "available", "VpcId": estate.vpc_id}],
        "InternetGatewayId": estate.igw_id,
        "OwnerId": acct,
        "Tags": tags("lumen-igw"),
    }]});
    let nat = format!("nat-0{}", ids::hex(rng, 16));
    let rtb = |rng: &mut DemoRng, id: &str, public: bool, name: &str| {
        let assoc: Vec<Value> = estate
            .subnets
            .iter()
            .filter(|s| s.public == public)
            .map(|s| json!({"Main": false, "RouteTableAssociationId": format!("rtbassoc-0{}", ids::hex(rng, 16)), "RouteTableId": id, "SubnetId": s.id, "AssociationState": {"State": "associated"}}))
            .collect();
        let default = if public {
            json!({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": estate.igw_id, "Origin": "CreateRoute", "State": "active"})
        } else {
            json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat, "Origin": "CreateRoute", "State": "active"})
        };
        json!({
            "Associations": assoc,
            "PropagatingVgws": [],
            "RouteTableId": id,
            "Routes": [{"DestinationCidrBlock": estate.vpc_cidr, "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}, default],
            "Tags": tags(name),
            "VpcId": estate.vpc_id,
            "OwnerId": acct,
        })
    };
    let rtbs = json!({"RouteTables": [rtb(rng, &estate.public_rtb, true, "lumen-public"), rtb(rng, &estate.private_rtb, false, "lumen-private")]});
    let mut out = BTreeMap::new();
    out.insert(
        "ec2-describe-instances.json",
        json!({"Reservations": reservations}),
    );
    out.insert("ec2-describe-vpcs.json", vpcs);
    out.insert("ec2-describe-subnets.json", json!({"Subnets": subnets}));
    out.insert(
        "ec2-describe-security-groups.json",
        json!({"SecurityGroups": sgs}),
    );
    out.insert("ec2-describe-internet-gateways.json", igws);
    out.insert("ec2-describe-route-tables.json", rtbs);
    out
}

fn rds(estate: &Estate, ids: &Identities, now: Timestamp) -> Value {
    let acct = ids.account.as_str();
    let region = estate.region;
    let clusters: Vec<Value> = estate
        .clusters
        .iter()
        .map(|c| {
            let sg = estate.security_groups.get(c.security_group).map(|s| s.id.as_str());
            let host = format!("{}.cluster-c9akciq32.{region}.rds.amazonaws.com", c.id);
            json!({
                "AllocatedStorage": 1,
                "AvailabilityZones": [format!("{region}a"), format!("{region}b"), format!("{region}c")],
                "BackupRetentionPeriod": 7,
                "DatabaseName": c.id.replace('-', "_"),
                "DBClusterIdentifier": c.id,
                "DBClusterParameterGroup": "default.aurora-postgresql15",
                "DBSubnetGroup": "lumen-db-subnets",
                "Status": "available",
                "EarliestRestorableTime": clock::iso_offset(now.plus_millis(-7 * DAY)),
                "Endpoint": host,
                "ReaderEndpoint": host.replace(".cluster-", ".cluster-ro-"),
                "MultiAZ": false,
                "Engine": "aurora-postgresql",
                "EngineVersion": c.engine_version,
                "LatestRestorableTime": clock::iso_offset(now.plus_millis(-5 * 60 * 1000)),
                "Port": 5432,
                "MasterUsername": "postgres",
                "PreferredBackupWindow": "04:00-04:30",
                "PreferredMaintenanceWindow": "sun:06:00-sun:06:30",
                "ReadReplicaIdentifiers": [],
                "DBClusterMembers": [{"DBInstanceIdentifier": format!("{}-instance-1", c.id), "IsClusterWriter": true, "DBClusterParameterGroupStatus": "in-sync", "PromotionTier": 1}],
                "VpcSecurityGroups": [{"VpcSecurityGroupId": sg, "Status": "active"}],
                "HostedZoneId": "Z2R2ITUGPM61AM",
                "StorageEncrypted": true,
                "KmsKeyId": format!("arn:aws:kms:{region}:{acct}:key/{}", estate.kms_key_id),
                "DbClusterResourceId": c.resource_id,
                "DBClusterArn": c.arn,
                "AssociatedRoles": [],
                "IAMDatabaseAuthenticationEnabled": false,
                "ClusterCreateTime": clock::iso_offset(c.created),
                "EngineMode": "provisioned",
                "DeletionProtection": false,
                "HttpEndpointEnabled": false,
                "CopyTagsToSnapshot": true,
                "CrossAccountClone": false,
                "DomainMemberships": [],
                "TagList": [],
                "AutoMinorVersionUpgrade": true,
                "NetworkType": "IPV4",
            })
        })
        .collect();
    json!({"DBClusters": clusters})
}

/// Writes every inventory file; returns how many.
pub fn write(
    out_dir: &Path,
    ids: &Identities,
    estate: &Estate,
    last_used: &BTreeMap<String, KeyUse>,
    now: Timestamp,
    rng: &mut DemoRng,
) -> Result<u64, DemoError> {
    let dir = out_dir.join("inventory");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::io(&dir, e))?;
    write_json(
        &dir,
        "iam-authorization-details.json",
        &authorization_details(ids, rng, now),
    )?;
    let path = dir.join("credential-report.csv");
    std::fs::write(&path, credential_report(ids, last_used, now))
        .map_err(|e| DemoError::io(&path, e))?;
    for (name, v) in ec2(estate, ids, rng) {
        write_json(&dir, name, &v)?;
    }
    write_json(
        &dir,
        "rds-describe-db-clusters.json",
        &rds(estate, ids, now),
    )?;
    let buckets: Vec<Value> = estate
        .buckets
        .iter()
        .map(|(name, created)| json!({"Name": name, "CreationDate": clock::iso_offset(*created)}))
        .collect();
    let s3 = json!({"Buckets": buckets, "Owner": {"DisplayName": "interlace-aws", "ID": ids::hex(rng, 64)}});
    write_json(&dir, "s3-list-buckets.json", &s3)?;
    Ok(FILES.len() as u64)
}

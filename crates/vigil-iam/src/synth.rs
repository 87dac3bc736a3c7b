//! A synthetic account of any size, shaped like a real one (groups of people sharing managed
//! policies, service roles, a few administrators, some risky grants), for benchmarks and scale
//! tests. Deterministic: the same size gives the same account.

use serde_json::{Value, json};

/// `get-account-authorization-details` JSON for an account with `principals` users and roles.
pub fn account_json(principals: usize) -> Value {
    let acct = "123456789012";
    let teams = [
        "web", "data", "ml", "ops", "sec", "mobile", "billing", "search",
    ];
    let mut policies = Vec::new();
    let mut pol = |name: String, doc: Value| {
        policies.push(json!({
            "PolicyName": name, "Arn": format!("arn:aws:iam::{acct}:policy/{name}"), "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
            "CreateDate": "2024-01-01T00:00:00Z", "UpdateDate": "2024-01-01T00:00:00Z",
            "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2024-01-01T00:00:00Z"}]
        }));
    };
    for t in teams {
        pol(
            format!("{t}-developer"),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["ec2:Describe*", "logs:Get*", "logs:FilterLogEvents", "cloudwatch:Get*", "cloudwatch:List*", "s3:ListAllMyBuckets"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{t}-*"), format!("arn:aws:s3:::{t}-*/*")]},
                {"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:Get*", "lambda:List*"], "Resource": format!("arn:aws:lambda:*:{acct}:function:{t}-*")},
                {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
            ]}),
        );
        pol(
            format!("{t}-service"),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "sqs:*", "sns:Publish", "kms:Decrypt"], "Resource": "*"},
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": format!("arn:aws:secretsmanager:*:{acct}:secret:{t}/*")}
            ]}),
        );
    }
    pol(
        "self-service".into(),
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:CreateAccessKey", "iam:ListAccessKeys", "iam:GetUser"], "Resource": format!("arn:aws:iam::{acct}:user/${{aws:username}}")},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": format!("arn:aws:iam::{acct}:role/*-readonly"), "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
        ]}),
    );
    pol(
        "ci-deploy".into(),
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["cloudformation:*", "iam:PassRole", "lambda:*", "ecs:*"], "Resource": "*"}
        ]}),
    );
    pol(
        "full-admin".into(),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    let groups: Vec<Value> = teams
        .iter()
        .map(|t| json!({"GroupName": t, "Arn": format!("arn:aws:iam::{acct}:group/{t}"), "Path": "/", "GroupPolicyList": [],
            "AttachedManagedPolicies": [
                {"PolicyName": format!("{t}-developer"), "PolicyArn": format!("arn:aws:iam::{acct}:policy/{t}-developer")},
                {"PolicyName": "self-service", "PolicyArn": format!("arn:aws:iam::{acct}:policy/self-service")}]}))
        .collect();
    let mut users = Vec::new();
    let mut roles = Vec::new();
    for i in 0..principals {
        let t = teams[i % teams.len()];
        if i % 4 == 3 {
            // A role: mostly service roles, some assumable by people.
            let svc = [
                "lambda.amazonaws.com",
                "ec2.amazonaws.com",
                "ecs-tasks.amazonaws.com",
            ][i % 3];
            let (name, trust, attached) = if i % 20 == 3 {
                (
                    format!("{t}-readonly-{i}"),
                    json!({"AWS": format!("arn:aws:iam::{acct}:root")}),
                    format!("{t}-developer"),
                )
            } else if i % 500 == 7 {
                (
                    format!("{t}-admin-{i}"),
                    json!({"AWS": format!("arn:aws:iam::{acct}:root")}),
                    "full-admin".to_string(),
                )
            } else {
                (
                    format!("{t}-svc-{i}"),
                    json!({"Service": svc}),
                    format!("{t}-service"),
                )
            };
            roles.push(json!({
                "RoleName": name, "RoleId": format!("AROA{i:016}"), "Arn": format!("arn:aws:iam::{acct}:role/{name}"), "Path": "/",
                "CreateDate": "2024-01-01T00:00:00Z",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"}]},
                "InstanceProfileList": [], "RolePolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": attached, "PolicyArn": format!("arn:aws:iam::{acct}:policy/{attached}")}],
                "Tags": [], "RoleLastUsed": {"LastUsedDate": "2024-06-01T00:00:00Z"}
            }));
        } else {
            let name = format!("{t}.user{i}");
            let mut attached = Vec::new();
            if i % 97 == 1 {
                attached.push(json!({"PolicyName": "ci-deploy", "PolicyArn": format!("arn:aws:iam::{acct}:policy/ci-deploy")}));
            }
            if i % 1000 == 2 {
                attached.push(json!({"PolicyName": "full-admin", "PolicyArn": format!("arn:aws:iam::{acct}:policy/full-admin")}));
            }
            let inline = if i % 250 == 5 {
                json!([{"PolicyName": "legacy", "PolicyDocument": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["iam:PutUserPolicy", "iam:AttachUserPolicy"], "Resource": "*"}}}])
            } else {
                json!([])
            };
            users.push(json!({
                "UserName": name, "UserId": format!("AIDA{i:016}"), "Arn": format!("arn:aws:iam::{acct}:user/{name}"), "Path": "/",
                "CreateDate": "2024-01-01T00:00:00Z", "GroupList": [t], "AttachedManagedPolicies": attached,
                "UserPolicyList": inline, "Tags": [{"Key": "team", "Value": t}]
            }));
        }
    }
    json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies})
}

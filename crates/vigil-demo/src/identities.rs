//! The cast of Interlace Labs: IAM users and roles with their keys, home regions, networks and
//! tools. Everything is drawn once from the seeded RNG so every output file agrees on it.

use crate::clock::{DAY, HOUR};
use crate::ids::{self, DemoRng};
use rand::Rng;
use rand::seq::IndexedRandom;
use vigil_model::Timestamp;

pub const HOME_REGION: &str = "us-east-1";
pub const SECOND_REGION: &str = "eu-west-1";
pub const BACKUP_REGION: &str = "us-west-2";

const FIRST: [&str; 12] = [
    "alice", "bruno", "chen", "dana", "emeka", "farah", "goran", "hana", "ivan", "julia", "kofi",
    "lena",
];
const LAST: [&str; 12] = [
    "nguyen", "rossi", "wei", "cohen", "okafor", "haddad", "petrov", "sato", "mendes", "kowalski",
    "mensah", "berg",
];
const OPS: [&str; 3] = ["ops.maria", "ops.tomasz", "ops.sunil"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    Developer,
    Contractor,
    Ci,
    Ops,
}

#[derive(Debug, Clone)]
pub struct User {
    pub kind: UserKind,
    pub name: String,
    pub arn: String,
    pub user_id: String,
    pub access_key_id: String,
    pub key_created: Timestamp,
    pub created: Timestamp,
    pub regions: Vec<&'static str>,
    pub ips: Vec<String>,
    pub user_agent: String,
    /// Signs in to the console (with a password).
    pub console: bool,
    pub mfa: bool,
    pub group: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    OpsAdmin,
    Instance,
    EcsTask,
    Backup,
    EcsServiceLinked,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub kind: RoleKind,
    pub name: String,
    pub path: &'static str,
    pub arn: String,
    pub role_id: String,
    pub created: Timestamp,
    /// The service principal that assumes it, or `None` for roles people assume.
    pub service: Option<&'static str>,
    /// `(name, id)` of the instance profile wrapping it.
    pub instance_profile: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Identities {
    pub account: String,
    pub root_created: Timestamp,
    pub users: Vec<User>,
    pub roles: Vec<Role>,
    pub contractor: usize,
    pub ops_admin: usize,
    pub backup: usize,
    pub instance_role: usize,
    pub ecs_slr: usize,
    pub office_ips: Vec<String>,
    pub nat_ips: Vec<String>,
}

impl Identities {
    pub fn contractor(&self) -> &User {
        &self.users[self.contractor]
    }
    pub fn ops_admin(&self) -> &Role {
        &self.roles[self.ops_admin]
    }
}

fn cli_agent(rng: &mut DemoRng) -> String {
    let os = [
        "os/macos#23.6.0 md/arch#arm64",
        "os/linux#6.8.0-45-generic md/arch#x86_64",
        "os/macos#24.1.0 md/arch#x86_64",
    ]
    .choose(rng)
    .copied()
    .unwrap_or("os/linux#6.8.0 md/arch#x86_64");
    let minor = rng.random_range(15..24u32);
    let patch = rng.random_range(0..40u32);
    format!(
        "aws-cli/2.{minor}.{patch} md/awscrt#0.21.2 ua/2.0 {os} lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off"
    )
}

fn boto_agent(rng: &mut DemoRng) -> String {
    let v = rng.random_range(28..36u32);
    let p = rng.random_range(0..90u32);
    format!(
        "Boto3/1.{v}.{p} md/Botocore#1.{v}.{p} ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.{v}.{p}"
    )
}

pub fn build(rng: &mut DemoRng, start: Timestamp, scale: u32) -> Identities {
    let account = ids::account_id(rng);
    let office_ips: Vec<String> = [17u8, 18, 33]
        .iter()
        .map(|o| format!("192.0.2.{o}"))
        .collect();
    let ci_ips: Vec<String> = (10u8..16).map(|o| format!("198.51.100.{o}")).collect();
    let nat_ips = vec!["198.51.100.40".to_string(), "198.51.100.41".to_string()];
    let mut users = Vec::new();
    let scale = scale.max(1) as usize;
    let days_before = |rng: &mut DemoRng, lo: i64, hi: i64| {
        start.plus_millis(-(rng.random_range(lo..hi) * DAY + rng.random_range(0..20) * HOUR))
    };
    let user = |rng: &mut DemoRng, kind, name: String, group, ips: Vec<String>, ua: String| {
        let created = days_before(rng, 300, 900);
        let key_created = match kind {
            UserKind::Contractor => created.plus_millis(2 * HOUR),
            _ => days_before(rng, 5, 55),
        };
        let regions = match kind {
            UserKind::Developer if rng.random_bool(0.35) => vec![HOME_REGION, SECOND_REGION],
            UserKind::Ci => vec![HOME_REGION, SECOND_REGION],
            UserKind::Ops => vec![HOME_REGION, BACKUP_REGION],
            _ => vec![HOME_REGION],
        };
        let console =
            matches!(kind, UserKind::Ops) || (kind == UserKind::Developer && rng.random_bool(0.5));
        User {
            kind,
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            user_id: ids::unique_id(rng, "AIDA"),
            access_key_id: ids::access_key_id(rng, "AKIA"),
            key_created,
            created,
            regions,
            ips,
            user_agent: ua,
            console,
            mfa: console,
            group,
            name,
        }
    };
    for i in 0..8 * scale {
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i * 7 + i / FIRST.len()) % LAST.len()];
        let name = if i < FIRST.len() {
            format!("{first}.{last}")
        } else {
            format!("{first}.{last}{}", i / FIRST.len() + 1)
        };
        let ua = if rng.random_bool(0.3) {
            boto_agent(rng)
        } else {
            cli_agent(rng)
        };
        users.push(user(
            rng,
            UserKind::Developer,
            name,
            "developers",
            office_ips.clone(),
            ua,
        ));
    }
    for i in 0..3 * scale {
        let base = OPS[i % OPS.len()];
        let name = if i < OPS.len() {
            base.to_string()
        } else {
            format!("{base}{}", i / OPS.len() + 1)
        };
        let ua = cli_agent(rng);
        users.push(user(
            rng,
            UserKind::Ops,
            name,
            "ops",
            office_ips.clone(),
            ua,
        ));
    }
    for i in 0..scale {
        let name = if i == 0 {
            "ci-deployer".to_string()
        } else {
            format!("ci-deployer-{}", i + 1)
        };
        users.push(user(
            rng,
            UserKind::Ci,
            name,
            "ci",
            ci_ips.clone(),
            String::new(),
        ));
    }
    let contractor = users.len();
    let ua = "aws-cli/2.13.25 Python/3.11.5 Linux/6.2.0-39-generic exe/x86_64.ubuntu.22 prompt/off command/ecr.get-login-password".to_string();
    let mut c = user(
        rng,
        UserKind::Contractor,
        "contractor-dmitri".to_string(),
        "contractors",
        vec![office_ips.first().cloned().unwrap_or_default()],
        ua,
    );
    // The contractor joined about eight months before the story and never rotated his key.
    c.created = start.plus_millis(-(243 * DAY + 5 * HOUR));
    c.key_created = c.created.plus_millis(2 * HOUR);
    c.console = false;
    c.mfa = false;
    users.push(c);

    let mut roles = Vec::new();
    let mut role = |rng: &mut DemoRng, kind, name: &str, path, service, profile: bool| {
        let arn = format!("arn:aws:iam::{account}:role{path}{name}");
        let instance_profile = profile.then(|| (name.to_string(), ids::unique_id(rng, "AIPA")));
        roles.push(Role {
            kind,
            name: name.to_string(),
            path,
            arn,
            role_id: ids::unique_id(rng, "AROA"),
            created: days_before(rng, 200, 700),
            service,
            instance_profile,
        });
        roles.len() - 1
    };
    let ops_admin = role(
        rng,
        RoleKind::OpsAdmin,
        "InterlaceOpsAdmin",
        "/",
        None,
        false,
    );
    let instance_role = role(
        rng,
        RoleKind::Instance,
        "lumen-web-instance-role",
        "/",
        Some("ec2.amazonaws.com"),
        true,
    );
    let backup = role(
        rng,
        RoleKind::Backup,
        "NightlyBackupRole",
        "/service-role/",
        Some("lambda.amazonaws.com"),
        false,
    );
    let ecs_slr = role(
        rng,
        RoleKind::EcsServiceLinked,
        "AWSServiceRoleForECS",
        "/aws-service-role/ecs.amazonaws.com/",
        Some("ecs.amazonaws.com"),
        false,
    );
    for i in 0..scale {
        let name = if i == 0 {
            "interlace-api-task-role".to_string()
        } else {
            format!("interlace-api{}-task-role", i + 1)
        };
        role(
            rng,
            RoleKind::EcsTask,
            &name,
            "/",
            Some("ecs-tasks.amazonaws.com"),
            false,
        );
    }
    Identities {
        root_created: start.plus_millis(-1400 * DAY),
        account,
        users,
        roles,
        contractor,
        ops_admin,
        backup,
        instance_role,
        ecs_slr,
        office_ips,
        nat_ips,
    }
}

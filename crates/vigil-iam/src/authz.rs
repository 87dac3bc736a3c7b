//! The account as `aws iam get-account-authorization-details` describes it: users, groups,
//! roles (with trust policies and instance profiles), managed policies with every version,
//! inline policies and permissions boundaries. Parsed from bytes into [`Account`]; each defect
//! is a [`Problem`] naming the principal and policy, and never stops the rest.

use crate::condition::parse_date;
use crate::document::compile;
use crate::policy::{Policy, PolicyKind};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use vigil_model::Timestamp;

/// A defect in the input, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub policy: String,
    pub message: String,
    /// For a managed policy: the principals it is attached to (directly or by group).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attached_to: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Role,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
        }
    }
}

/// A user or a role.
#[derive(Debug, Clone)]
pub struct PrincipalInfo {
    pub arn: String,
    pub name: String,
    pub id: String,
    pub kind: PrincipalKind,
    pub created: Option<Timestamp>,
    /// Indexes into [`Account::groups`].
    pub groups: Vec<usize>,
    /// Identity policies in force, direct and through groups (indexes into
    /// [`Account::policies`]).
    pub identity: Vec<usize>,
    /// Managed policies attached directly (ARNs).
    pub attached: Vec<String>,
    /// Inline policies (indexes into [`Account::policies`]).
    pub inline: Vec<usize>,
    pub boundary: Option<usize>,
    /// A role's trust policy.
    pub trust: Option<usize>,
    pub instance_profiles: Vec<String>,
    pub tags: Vec<(String, String)>,
    /// `RoleLastUsed.LastUsedDate`.
    pub last_used: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub arn: String,
    pub name: String,
    /// Identity policies of the group (managed and inline).
    pub policies: Vec<usize>,
    pub attached: Vec<String>,
    pub inline: Vec<usize>,
}

/// A managed policy and its versions.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    /// AWS-managed (`arn:aws:iam::aws:policy/…`): customers cannot change it.
    pub aws_managed: bool,
    /// The default version, compiled.
    pub policy: usize,
    /// Other versions, compiled (a `SetDefaultPolicyVersion` away).
    pub other_versions: Vec<(String, usize)>,
}

/// The whole account.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub account_id: String,
    pub principals: Vec<PrincipalInfo>,
    pub groups: Vec<GroupInfo>,
    pub policies: Vec<Policy>,
    pub managed: Vec<ManagedPolicy>,
    pub managed_by_arn: HashMap<String, usize>,
    /// Service control policies in force for the account (none given: no SCP layer).
    pub scps: Option<Vec<usize>>,
    /// Resource-based policies by resource ARN.
    pub resource_policies: HashMap<String, usize>,
    pub problems: Vec<Problem>,
    /// The newest time written anywhere in the file: "now" when nothing better is known.
    pub newest_time: Option<Timestamp>,
    by_arn: HashMap<String, usize>,
}

/// Reads AWS's date shapes: RFC 3339 or `2023-03-09 10:41:45+00:00`.
pub fn aws_date(s: &str) -> Option<Timestamp> {
    if s.len() > 10 && s.as_bytes().get(10) == Some(&b' ') {
        let mut t = s.to_string();
        t.replace_range(10..11, "T");
        return parse_date(&t);
    }
    parse_date(s)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

impl Account {
    /// Parses the authorization-details JSON. A document that is not JSON at all is an error;
    /// anything inside it that is wrong becomes a [`Problem`].
    pub fn from_authorization_details(bytes: &[u8]) -> Result<Account, String> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
        if !v.is_object() {
            return Err("not a JSON object".to_string());
        }
        let mut acct = Account::default();
        acct.load(&v);
        Ok(acct)
    }

    pub fn principal_by_arn(&self, arn: &str) -> Option<usize> {
        self.by_arn.get(arn).copied()
    }

    /// Finds a principal by ARN, by name, or by `user/NAME` / `role/NAME`.
    pub fn find_principal(&self, key: &str) -> Option<usize> {
        if let Some(i) = self.principal_by_arn(key) {
            return Some(i);
        }
        let (kind, name) = match key.split_once('/') {
            Some(("user", n)) => (Some(PrincipalKind::User), n),
            Some(("role", n)) => (Some(PrincipalKind::Role), n),
            _ => (None, key),
        };
        self.principals
            .iter()
            .position(|p| p.name == name && kind.is_none_or(|k| k == p.kind))
    }

    fn see_time(&mut self, v: &Value, key: &str) {
        if let Some(t) = v.get(key).and_then(Value::as_str).and_then(aws_date) {
            self.newest_time = Some(self.newest_time.map_or(t, |n| n.max(t)));
        }
    }

    fn add_policy(
        &mut self,
        name: &str,
        kind: PolicyKind,
        via: &str,
        doc: &Value,
        principal: Option<&str>,
    ) -> usize {
        let (mut policy, problems) = compile(name, kind, doc);
        policy.via = via.to_string();
        for message in problems {
            self.problems.push(Problem {
                principal: principal.map(str::to_string),
                policy: name.to_string(),
                message,
                attached_to: Vec::new(),
            });
        }
        self.policies.push(policy);
        self.policies.len() - 1
    }

    /// Adds a service control policy (given separately: it is not in the file).
    pub fn add_scp(&mut self, name: &str, doc: &Value) {
        let idx = self.add_policy(name, PolicyKind::Scp, "", doc, None);
        self.scps.get_or_insert_with(Vec::new).push(idx);
    }

    /// Adds a resource-based policy for a resource ARN.
    pub fn add_resource_policy(&mut self, resource_arn: &str, doc: &Value) {
        let idx = self.add_policy(
            &format!("resource-policy:{resource_arn}"),
            PolicyKind::Resource,
            "",
            doc,
            None,
        );
        self.resource_policies.insert(resource_arn.to_string(), idx);
    }

    fn load(&mut self, v: &Value) {
        for p in list(v, "Policies") {
            self.load_managed(p);
        }
        let mut group_idx = HashMap::new();
        for g in list(v, "GroupDetailList") {
            let name = s(g, "GroupName").to_string();
            let mut info = GroupInfo {
                arn: s(g, "Arn").to_string(),
                name: name.clone(),
                policies: Vec::new(),
                attached: Vec::new(),
                inline: Vec::new(),
            };
            let via = format!("group:{name}");
            for ip in list(g, "GroupPolicyList") {
                let pname = format!("inline:{}", s(ip, "PolicyName"));
                let doc = ip.get("PolicyDocument").unwrap_or(&Value::Null);
                let idx = self.add_policy(&pname, PolicyKind::Identity, &via, doc, Some(&info.arn));
                info.inline.push(idx);
                info.policies.push(idx);
            }
            for mp in list(g, "AttachedManagedPolicies") {
                let arn = s(mp, "PolicyArn");
                info.attached.push(arn.to_string());
                if let Some(idx) = self.managed_policy(arn, &info.arn) {
                    info.policies.push(idx);
                }
            }
            group_idx.insert(name, self.groups.len());
            self.groups.push(info);
        }
        for u in list(v, "UserDetailList") {
            self.load_principal(u, PrincipalKind::User, &group_idx);
        }
        for r in list(v, "RoleDetailList") {
            self.load_principal(r, PrincipalKind::Role, &group_idx);
        }
        // Name the holders of each managed policy that had problems.
        let mut holders: HashMap<String, Vec<String>> = HashMap::new();
        for p in &self.principals {
            for &i in &p.identity {
                if let Some(pol) = self.policies.get(i) {
                    holders
                        .entry(pol.name.clone())
                        .or_default()
                        .push(p.arn.clone());
                }
            }
        }
        for prob in self.problems.iter_mut().filter(|p| p.principal.is_none()) {
            if let Some(h) = holders.get(&prob.policy) {
                prob.attached_to = h.clone();
            }
        }
        if self.account_id.is_empty() {
            self.account_id = self
                .principals
                .iter()
                .find_map(|p| crate::arn::account_of(&p.arn).map(str::to_string))
                .unwrap_or_default();
        }
    }

    fn load_managed(&mut self, p: &Value) {
        let arn = s(p, "Arn").to_string();
        let name = s(p, "PolicyName").to_string();
        self.see_time(p, "UpdateDate");
        let default_id = s(p, "DefaultVersionId").to_string();
        let mut default = None;
        let mut others = Vec::new();
        for ver in list(p, "PolicyVersionList") {
            let id = s(ver, "VersionId");
            let is_default = ver
                .get("IsDefaultVersion")
                .and_then(Value::as_bool)
                .unwrap_or(id == default_id);
            let doc = ver.get("Document").unwrap_or(&Value::Null);
            let label = if is_default {
                name.clone()
            } else {
                format!("{name} ({id})")
            };
            let idx = self.add_policy(&label, PolicyKind::Identity, "", doc, None);
            if is_default && default.is_none() {
                default = Some(idx);
            } else {
                others.push((id.to_string(), idx));
            }
        }
        let Some(policy) = default else {
            self.problems.push(Problem {
                principal: None,
                policy: name,
                message: "managed policy has no default version document".to_string(),
                attached_to: Vec::new(),
            });
            return;
        };
        self.managed_by_arn.insert(arn.clone(), self.managed.len());
        self.managed.push(ManagedPolicy {
            aws_managed: arn.contains(":iam::aws:policy/"),
            arn,
            name,
            policy,
            other_versions: others,
        });
    }

    fn managed_policy(&mut self, arn: &str, principal: &str) -> Option<usize> {
        match self.managed_by_arn.get(arn) {
            Some(&m) => self.managed.get(m).map(|m| m.policy),
            None => {
                self.problems.push(Problem {
                    principal: Some(principal.to_string()),
                    policy: arn.to_string(),
                    message:
                        "attached managed policy is not in the file; its permissions are unknown"
                            .to_string(),
                    attached_to: Vec::new(),
                });
                None
            }
        }
    }

    fn load_principal(
        &mut self,
        v: &Value,
        kind: PrincipalKind,
        group_idx: &HashMap<String, usize>,
    ) {
        let arn = s(v, "Arn").to_string();
        let (name_key, id_key, inline_key) = match kind {
            PrincipalKind::User => ("UserName", "UserId", "UserPolicyList"),
            PrincipalKind::Role => ("RoleName", "RoleId", "RolePolicyList"),
        };
        if arn.is_empty() || crate::arn::Arn::parse(&arn).is_none() {
            self.problems.push(Problem {
                principal: Some(s(v, name_key).to_string()),
                policy: String::new(),
                message: format!("principal has no valid ARN (`{arn}`); skipped"),
                attached_to: Vec::new(),
            });
            return;
        }
        self.see_time(v, "CreateDate");
        let mut info = PrincipalInfo {
            arn: arn.clone(),
            name: s(v, name_key).to_string(),
            id: s(v, id_key).to_string(),
            kind,
            created: v
                .get("CreateDate")
                .and_then(Value::as_str)
                .and_then(aws_date),
            groups: Vec::new(),
            identity: Vec::new(),
            attached: Vec::new(),
            inline: Vec::new(),
            boundary: None,
            trust: None,
            instance_profiles: Vec::new(),
            tags: list(v, "Tags")
                .iter()
                .map(|t| (s(t, "Key").to_string(), s(t, "Value").to_string()))
                .collect(),
            last_used: v
                .get("RoleLastUsed")
                .and_then(|r| r.get("LastUsedDate"))
                .and_then(Value::as_str)
                .and_then(aws_date),
        };
        if let Some(t) = info.last_used {
            self.newest_time = Some(self.newest_time.map_or(t, |n| n.max(t)));
        }
        for ip in list(v, inline_key) {
            let pname = format!("inline:{}", s(ip, "PolicyName"));
            let doc = ip.get("PolicyDocument").unwrap_or(&Value::Null);
            let idx = self.add_policy(&pname, PolicyKind::Identity, "", doc, Some(&arn));
            info.inline.push(idx);
            info.identity.push(idx);
        }
        for mp in list(v, "AttachedManagedPolicies") {
            let parn = s(mp, "PolicyArn");
            info.attached.push(parn.to_string());
            if let Some(idx) = self.managed_policy(parn, &arn) {
                info.identity.push(idx);
            }
        }
        for g in v
            .get("GroupList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let gname = g.as_str().unwrap_or("");
            match group_idx.get(gname) {
                Some(&gi) => {
                    info.groups.push(gi);
                    if let Some(group) = self.groups.get(gi) {
                        info.identity.extend(group.policies.iter().copied());
                    }
                }
                None => self.problems.push(Problem {
                    principal: Some(arn.clone()),
                    policy: format!("group:{gname}"),
                    message: "group is not in the file".to_string(),
                    attached_to: Vec::new(),
                }),
            }
        }
        if let Some(b) = v.get("PermissionsBoundary") {
            let barn = s(b, "PermissionsBoundaryArn");
            match self.managed_by_arn.get(barn).and_then(|&m| self.managed.get(m)) {
                Some(m) => {
                    let (name, doc_idx) = (m.name.clone(), m.policy);
                    let mut pol = self.policies.get(doc_idx).cloned().unwrap_or_else(|| Policy {
                        name: name.clone(),
                        kind: PolicyKind::Boundary,
                        via: String::new(),
                        statements: Vec::new(),
                    });
                    pol.kind = PolicyKind::Boundary;
                    self.policies.push(pol);
                    info.boundary = Some(self.policies.len() - 1);
                }
                None => self.problems.push(Problem {
                    principal: Some(arn.clone()),
                    policy: barn.to_string(),
                    message: "permissions boundary policy is not in the file; treated as unknown (no boundary applied)".to_string(),
                    attached_to: Vec::new(),
                }),
            }
        }
        if kind == PrincipalKind::Role {
            let doc = v.get("AssumeRolePolicyDocument").unwrap_or(&Value::Null);
            let idx = self.add_policy(
                &format!("trust:{}", info.name),
                PolicyKind::Trust,
                "",
                doc,
                Some(&arn),
            );
            info.trust = Some(idx);
            info.instance_profiles = list(v, "InstanceProfileList")
                .iter()
                .map(|p| s(p, "Arn").to_string())
                .collect();
        }
        self.by_arn.insert(arn, self.principals.len());
        self.principals.push(info);
    }
}

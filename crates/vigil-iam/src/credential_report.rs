//! The IAM credential report (`aws iam get-credential-report`, base64-decoded): one CSV row
//! per user with password, MFA and access-key facts. Rows that cannot be read are reported
//! and skipped.

use crate::authz::aws_date;
use serde::Serialize;
use vigil_model::Timestamp;

#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessKeyFacts {
    /// 1 or 2, as the report numbers them.
    pub slot: u8,
    pub active: bool,
    pub last_rotated: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
    pub last_used_service: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CredentialRow {
    pub user: String,
    pub arn: String,
    pub created: Option<Timestamp>,
    pub is_root: bool,
    pub password_enabled: bool,
    pub password_last_used: Option<Timestamp>,
    pub mfa_active: bool,
    pub keys: Vec<AccessKeyFacts>,
}

impl CredentialRow {
    pub fn active_keys(&self) -> impl Iterator<Item = &AccessKeyFacts> {
        self.keys.iter().filter(|k| k.active)
    }

    /// The latest sign-in or key use.
    pub fn last_activity(&self) -> Option<Timestamp> {
        self.keys
            .iter()
            .filter_map(|k| k.last_used)
            .chain(self.password_last_used)
            .max()
    }
}

#[derive(Debug, Clone, Default)]
pub struct CredentialReport {
    pub rows: Vec<CredentialRow>,
    /// `line N: reason` for every row skipped.
    pub problems: Vec<String>,
}

impl CredentialReport {
    pub fn row_for(&self, arn: &str) -> Option<&CredentialRow> {
        self.rows.iter().find(|r| r.arn == arn)
    }

    pub fn newest_time(&self) -> Option<Timestamp> {
        self.rows
            .iter()
            .flat_map(|r| {
                r.keys
                    .iter()
                    .flat_map(|k| [k.last_rotated, k.last_used])
                    .chain([r.created, r.password_last_used])
            })
            .flatten()
            .max()
    }
}

/// Splits one CSV line, honouring double quotes (the report does not use them, but a hand-made
/// or re-saved file may).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn date(v: &str) -> Option<Timestamp> {
    match v {
        "N/A" | "not_supported" | "no_information" | "" => None,
        _ => aws_date(v),
    }
}

/// Parses the report. Fails only when there is no header with the columns it needs.
pub fn parse(bytes: &[u8]) -> Result<CredentialReport, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines().enumerate();
    let header = loop {
        match lines.next() {
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break split_csv(l.trim_start_matches('\u{feff}')),
            None => return Err("empty credential report".to_string()),
        }
    };
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(c_user), Some(c_arn)) = (col("user"), col("arn")) else {
        return Err("credential report has no `user` and `arn` columns".to_string());
    };
    let c_created = col("user_creation_time");
    let c_pw = col("password_enabled");
    let c_pw_used = col("password_last_used");
    let c_mfa = col("mfa_active");
    let key_cols: Vec<[Option<usize>; 4]> = (1..=2)
        .map(|n| {
            [
                col(&format!("access_key_{n}_active")),
                col(&format!("access_key_{n}_last_rotated")),
                col(&format!("access_key_{n}_last_used_date")),
                col(&format!("access_key_{n}_last_used_service")),
            ]
        })
        .collect();
    let mut report = CredentialReport::default();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        if f.len() < header.len() {
            report.problems.push(format!(
                "line {}: {} fields where the header has {}",
                i + 1,
                f.len(),
                header.len()
            ));
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| f.get(c)).map(|s| s.trim()).unwrap_or("");
        let truthy = |c: Option<usize>| get(c).eq_ignore_ascii_case("true");
        let user = get(Some(c_user)).to_string();
        let mut row = CredentialRow {
            is_root: user == "<root_account>",
            user,
            arn: get(Some(c_arn)).to_string(),
            created: date(get(c_created)),
            password_enabled: truthy(c_pw),
            password_last_used: date(get(c_pw_used)),
            mfa_active: truthy(c_mfa),
            keys: Vec::new(),
        };
        for (n, [a, r, u, s]) in key_cols.iter().enumerate() {
            let svc = get(*s);
            let facts = AccessKeyFacts {
                slot: n as u8 + 1,
                active: truthy(*a),
                last_rotated: date(get(*r)),
                last_used: date(get(*u)),
                last_used_service: (!svc.is_empty() && svc != "N/A").then(|| svc.to_string()),
            };
            if facts.active || facts.last_rotated.is_some() {
                row.keys.push(facts);
            }
        }
        report.rows.push(row);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_reports_short_ones() {
        let csv = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
            bob,arn:aws:iam::1:user/bob,2025-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,true,2025-01-01T00:00:00+00:00,2025-06-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
            broken,row\n";
        let r = parse(csv.as_bytes()).unwrap();
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.problems.len(), 1);
        let bob = &r.rows[0];
        assert!(bob.password_enabled && !bob.mfa_active);
        assert_eq!(bob.active_keys().count(), 1);
        assert!(bob.keys[0].last_rotated.is_some());
        assert!(parse(b"a,b\n").is_err());
    }
}

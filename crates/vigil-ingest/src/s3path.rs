//! What CloudTrail's S3 layout says about a file:
//! `AWSLogs/[<org-id>/]<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz`.

use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathInfo {
    pub account: Option<String>,
    pub region: Option<String>,
    /// `YYYYMMDDTHHMMZ` from the file name: sorts in time order as text.
    pub timestamp: Option<String>,
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 14
        && b.get(8) == Some(&b'T')
        && b.get(13) == Some(&b'Z')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || i == 13 || c.is_ascii_digit())
}

/// Account, region and timestamp from the file name, falling back to the directories.
pub fn path_info(path: &Path) -> PathInfo {
    let mut info = PathInfo::default();
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        let parts: Vec<&str> = name.split('_').collect();
        if let [acct, "CloudTrail", region, stamp, ..] = parts.as_slice() {
            if is_account(acct) {
                info.account = Some((*acct).to_string());
            }
            if !region.is_empty() {
                info.region = Some((*region).to_string());
            }
            if is_stamp(stamp) {
                info.timestamp = Some((*stamp).to_string());
            }
        }
    }
    let comps: Vec<&str> = path
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    if let Some(pos) = comps.iter().position(|c| *c == "CloudTrail") {
        if info.account.is_none() {
            info.account = pos
                .checked_sub(1)
                .and_then(|i| comps.get(i))
                .filter(|a| is_account(a))
                .map(|a| (*a).to_string());
        }
        if info.region.is_none() {
            // The region directory is followed by YYYY; the file itself is not a region.
            info.region = comps
                .get(pos + 1)
                .filter(|_| pos + 2 < comps.len())
                .map(|r| (*r).to_string());
        }
    }
    info
}

/// CloudTrail digest files hold hashes of log files, not events.
pub fn is_digest(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s.contains("CloudTrail-Digest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_s3_layout() {
        let p = Path::new(
            "logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1205Z_abcDEF123.json.gz",
        );
        let i = path_info(p);
        assert_eq!(i.account.as_deref(), Some("111122223333"));
        assert_eq!(i.region.as_deref(), Some("eu-west-1"));
        assert_eq!(i.timestamp.as_deref(), Some("20240501T1205Z"));
        let org = Path::new("AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/05/01/x.json");
        let i = path_info(org);
        assert_eq!(i.account.as_deref(), Some("111122223333"));
        assert_eq!(i.region.as_deref(), Some("us-east-1"));
        assert_eq!(path_info(Path::new("trail.json")), PathInfo::default());
        assert!(is_digest(Path::new(
            "AWSLogs/1/CloudTrail-Digest/us-east-1/2024/05/01/1_CloudTrail-Digest_us-east-1_x.json.gz"
        )));
    }
}

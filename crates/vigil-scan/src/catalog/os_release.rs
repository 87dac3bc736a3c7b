//! The OS from os-release (`/etc/os-release`, falling back to `/usr/lib/os-release`), and
//! Alpine's `/etc/alpine-release` for images that lack os-release.

use crate::fs::{Filesystem, read_resolved};
use crate::report::OsInfo;

fn unquote(v: &str) -> String {
    let v = v.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
        .unwrap_or(v);
    v.replace("\\\"", "\"")
}

pub fn parse_os_release(text: &str) -> Option<OsInfo> {
    let mut os = OsInfo::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim() {
            "ID" => os.id = unquote(v).to_ascii_lowercase(),
            "VERSION_ID" => os.version_id = unquote(v),
            "PRETTY_NAME" => os.pretty_name = unquote(v),
            _ => {}
        }
    }
    (!os.id.is_empty()).then_some(os)
}

pub fn detect_os(fs: &dyn Filesystem) -> Option<OsInfo> {
    for p in ["/etc/os-release", "/usr/lib/os-release"] {
        if let Ok(bytes) = read_resolved(fs, p, 64 * 1024)
            && let Some(os) = parse_os_release(&String::from_utf8_lossy(&bytes))
        {
            return Some(os);
        }
    }
    let bytes = read_resolved(fs, "/etc/alpine-release", 1024).ok()?;
    let v = String::from_utf8_lossy(&bytes).trim().to_string();
    Some(OsInfo {
        id: "alpine".into(),
        pretty_name: format!("Alpine Linux v{v}"),
        version_id: v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubuntu() {
        let os = parse_os_release("NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.1 LTS\"\n").unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_str()),
            ("ubuntu", "22.04")
        );
        assert!(parse_os_release("garbage\n").is_none());
    }
}

//! Alpine's installed database (`/lib/apk/db/installed`): `P:` name, `V:` version, `o:` origin.

use super::package;
use crate::report::{OsInfo, Package};

pub fn parse_apk(text: &str, path: &str, os: Option<&OsInfo>) -> Vec<Package> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let (mut name, mut version, mut origin) = (None, None, None);
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("P:") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("V:") {
                version = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("o:") {
                origin = Some(v.trim());
            }
        }
        if let (Some(n), Some(v)) = (name, version) {
            let mut p = package("apk", n, v, path, os);
            if let Some(o) = origin {
                p.source = Some(o.to_string());
                p.source_version = Some(v.to_string());
            }
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apk_db() {
        let p = parse_apk(
            "C:Q1x\nP:musl\nV:1.1.20-r4\no:musl\n\nP:libcrypto1.1\nV:1.1.1c-r0\no:openssl\n",
            "/lib/apk/db/installed",
            None,
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].source.as_deref(), Some("openssl"));
    }
}

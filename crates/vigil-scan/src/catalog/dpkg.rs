//! dpkg: installed packages from `/var/lib/dpkg/status` (and distroless `status.d/*`), and
//! which package owns which file from `/var/lib/dpkg/info/*.list` (for active packages).

use super::package;
use crate::report::{OsInfo, Package};
use std::collections::HashMap;

/// One control paragraph as (field, value) with continuation lines joined.
fn paragraphs(text: &str) -> impl Iterator<Item = Vec<(&str, String)>> {
    text.split("\n\n").map(|para| {
        let mut fields: Vec<(&str, String)> = Vec::new();
        for line in para.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = fields.last_mut() {
                    last.1.push('\n');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim(), v.trim().to_string()));
            }
        }
        fields
    })
}

pub fn parse_status(text: &str, path: &str, os: Option<&OsInfo>) -> Vec<Package> {
    let mut out = Vec::new();
    for fields in paragraphs(text) {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let (Some(name), Some(version)) = (get("Package"), get("Version")) else {
            continue;
        };
        // Distroless status.d files carry no Status field; a status file must say installed.
        if let Some(status) = get("Status")
            && status.split_whitespace().nth(2) != Some("installed")
        {
            continue;
        }
        let mut p = package("deb", name, version, path, os);
        if let Some(src) = get("Source") {
            let (sname, sver) = match src.split_once('(') {
                Some((n, v)) => (n.trim(), Some(v.trim_end_matches(')').trim().to_string())),
                None => (src.trim(), None),
            };
            p.source = Some(sname.to_string());
            p.source_version = sver.or_else(|| Some(version.to_string()));
        }
        if let Some(arch) = get("Architecture") {
            p.purl = match p.purl.split_once('?') {
                Some((base, q)) => format!("{base}?arch={arch}&{q}"),
                None => format!("{}?arch={arch}", p.purl),
            };
        }
        out.push(p);
    }
    out
}

/// Maps each file a package installed to the package's name, from `info/<pkg>[:arch].list`
/// files given as `(list file name, contents)`.
pub fn file_owners<'a>(
    lists: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> HashMap<String, String> {
    let mut owners = HashMap::new();
    for (file, text) in lists {
        let stem = file.trim_end_matches(".list");
        let pkg = stem.split(':').next().unwrap_or(stem);
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with('/') && l != "/." {
                owners.insert(l.to_string(), pkg.to_string());
            }
        }
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paragraphs as jammy writes them: `bsdutils` carries an epoch its source `util-linux`
    /// does not have, so the source version is the one in parentheses; `zlib1g` names its
    /// source without a version because both share `1:1.2.11.dfsg-2ubuntu9.2`, epoch included.
    #[test]
    fn status_paragraphs() {
        let text = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.2-0ubuntu1\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: bsdutils\nStatus: install ok installed\nSource: util-linux (2.37.2-4ubuntu3)\nVersion: 1:2.37.2-4ubuntu3\n\nPackage: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.11.dfsg-2ubuntu9.2\n";
        let pkgs = parse_status(text, "/var/lib/dpkg/status", None);
        assert_eq!(pkgs.len(), 3);
        assert_eq!(pkgs[0].source.as_deref(), Some("openssl"));
        assert_eq!(pkgs[0].source_version.as_deref(), Some("3.0.2-0ubuntu1"));
        assert_eq!(pkgs[1].source.as_deref(), Some("util-linux"));
        assert_eq!(pkgs[1].version, "1:2.37.2-4ubuntu3");
        assert_eq!(pkgs[1].source_version.as_deref(), Some("2.37.2-4ubuntu3"));
        assert_eq!(pkgs[2].source.as_deref(), Some("zlib"));
        assert_eq!(
            pkgs[2].source_version.as_deref(),
            Some("1:1.2.11.dfsg-2ubuntu9.2")
        );
        assert!(
            pkgs[0]
                .purl
                .starts_with("pkg:deb/debian/libssl3@3.0.2-0ubuntu1?arch=amd64")
        );
    }

    #[test]
    fn owners() {
        let o = file_owners([("libc6:amd64.list", "/.\n/lib/x86_64-linux-gnu/libc.so.6\n")]);
        assert_eq!(
            o.get("/lib/x86_64-linux-gnu/libc.so.6").map(String::as_str),
            Some("libc6")
        );
    }
}

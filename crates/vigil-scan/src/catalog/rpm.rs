//! rpm: installed packages from the rpm database. Each package is one header blob, rpm's own
//! binary format: a count of index entries (`il`) and the size of the data store (`dl`), both
//! big-endian, then `il` entries of (tag, type, offset, count), then the data store the offsets
//! point into. The blobs come from the SQLite rpmdb ([`super::rpmdb_sqlite`]); this module only
//! decodes them, so a Berkeley DB or NDB reader would feed the same code.

use super::purl_escape;
use crate::report::{OsInfo, Package};

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm refuses headers with more index entries than this (`HEADER_TAGS_MAX`).
const MAX_ENTRIES: usize = 0xffff;
/// Nor larger data stores (`HEADER_DATA_MAX`, 256 MiB).
const MAX_DATA: usize = 0x0fff_ffff;

/// The fields Vigil uses from one package header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub license: Option<String>,
    pub source_rpm: Option<String>,
    /// Every file the package owns, as absolute paths.
    pub files: Vec<String>,
}

impl RpmHeader {
    /// `[epoch:]version-release`, the form rpm advisories use.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

/// `count` NUL-terminated strings from `data[offset..]`.
fn strings(data: &[u8], offset: usize, count: usize) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(count.min(4096));
    let mut at = offset;
    for _ in 0..count {
        let rest = data.get(at..)?;
        let len = memchr::memchr(0, rest)?;
        out.push(String::from_utf8_lossy(rest.get(..len)?).into_owned());
        at += len + 1;
    }
    Some(out)
}

fn int32s(data: &[u8], offset: usize, count: usize) -> Option<Vec<u32>> {
    (0..count)
        .map(|i| be32(data, offset.checked_add(i.checked_mul(4)?)?))
        .collect()
}

/// Decodes one header blob (as stored in the rpmdb: no lead, no magic).
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, String> {
    let il = be32(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
    let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
    if il == 0 || il > MAX_ENTRIES || dl > MAX_DATA {
        return Err(format!("implausible header: {il} entries, {dl} data bytes"));
    }
    let data_start = 8 + il * 16;
    let data = blob.get(data_start..data_start + dl).ok_or_else(|| {
        format!(
            "header truncated: {} of {} bytes",
            blob.len(),
            data_start + dl
        )
    })?;
    let mut h = RpmHeader::default();
    let (mut dirnames, mut dirindexes, mut basenames) = (None, None, None);
    for i in 0..il {
        let at = 8 + i * 16;
        let (Some(tag), Some(kind), Some(offset), Some(count)) = (
            be32(blob, at),
            be32(blob, at + 4),
            be32(blob, at + 8),
            be32(blob, at + 12),
        ) else {
            return Err(format!("index entry {i} truncated"));
        };
        let e = Entry {
            tag,
            kind,
            offset: offset as usize,
            count: count as usize,
        };
        if e.offset >= dl || e.count > dl {
            continue;
        }
        let one_string = || match e.kind {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                strings(data, e.offset, 1).and_then(|v| v.into_iter().next())
            }
            _ => None,
        };
        match e.tag {
            TAG_NAME => h.name = one_string().unwrap_or_default(),
            TAG_VERSION => h.version = one_string().unwrap_or_default(),
            TAG_RELEASE => h.release = one_string().unwrap_or_default(),
            TAG_EPOCH if e.kind == TYPE_INT32 => h.epoch = be32(data, e.offset),
            TAG_LICENSE => h.license = one_string(),
            TAG_ARCH => h.arch = one_string(),
            TAG_SOURCERPM => h.source_rpm = one_string(),
            TAG_DIRNAMES if e.kind == TYPE_STRING_ARRAY => {
                dirnames = strings(data, e.offset, e.count)
            }
            TAG_BASENAMES if e.kind == TYPE_STRING_ARRAY => {
                basenames = strings(data, e.offset, e.count)
            }
            TAG_DIRINDEXES if e.kind == TYPE_INT32 => dirindexes = int32s(data, e.offset, e.count),
            _ => {}
        }
    }
    if h.name.is_empty() || h.version.is_empty() {
        return Err("header without a name or version".into());
    }
    if let (Some(dirs), Some(idx), Some(base)) = (dirnames, dirindexes, basenames) {
        h.files = base
            .iter()
            .zip(idx)
            .filter_map(|(b, i)| dirs.get(i as usize).map(|d| format!("{d}{b}")))
            .collect();
    }
    Ok(h)
}

/// `openssl-3.0.7-27.el9.src.rpm` → (`openssl`, `3.0.7-27.el9`).
fn split_source_rpm(s: &str) -> Option<(&str, String)> {
    let stem = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let mut it = stem.rsplitn(3, '-');
    let release = it.next()?;
    let version = it.next()?;
    let name = it.next()?;
    Some((name, format!("{version}-{release}")))
}

/// A package URL as the purl spec writes rpm ones: the epoch is a qualifier, not in the version.
pub fn rpm_purl(h: &RpmHeader, os: Option<&OsInfo>) -> String {
    let ns = os
        .map(|o| o.id.as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("redhat");
    let mut q = Vec::new();
    if let Some(a) = &h.arch {
        q.push(format!("arch={}", purl_escape(a)));
    }
    if let Some(o) = os {
        q.push(format!("distro={}-{}", o.id, o.version_id));
    }
    if let Some(e) = h.epoch {
        q.push(format!("epoch={e}"));
    }
    let v = purl_escape(&format!("{}-{}", h.version, h.release));
    let base = format!("pkg:rpm/{}/{}@{v}", purl_escape(ns), purl_escape(&h.name));
    if q.is_empty() {
        base
    } else {
        format!("{base}?{}", q.join("&"))
    }
}

/// Packages from decoded headers; rpm's `gpg-pubkey` pseudo-packages (imported signing keys)
/// are not software and are left out.
pub fn packages(headers: &[RpmHeader], path: &str, os: Option<&OsInfo>) -> Vec<Package> {
    headers
        .iter()
        .filter(|h| h.name != "gpg-pubkey")
        .map(|h| {
            let mut p = super::package("rpm", &h.name, &h.evr(), path, os);
            p.purl = rpm_purl(h, os);
            if let Some((src, ver)) = h.source_rpm.as_deref().and_then(split_source_rpm) {
                p.source = Some(src.to_string());
                p.source_version = Some(match h.epoch {
                    Some(e) => format!("{e}:{ver}"),
                    None => ver,
                });
            }
            p
        })
        .collect()
}

/// Which package owns which file, for active-package marking.
pub fn file_owners(headers: &[RpmHeader]) -> std::collections::HashMap<String, String> {
    headers
        .iter()
        .flat_map(|h| h.files.iter().map(|f| (f.clone(), h.name.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a header blob the way rpm lays one out.
    fn blob(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, bytes, count) in entries {
            if *kind == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for v in [*tag, *kind, data.len() as u32, *count] {
                index.extend(v.to_be_bytes());
            }
            data.extend(bytes);
        }
        let mut out = Vec::new();
        out.extend((entries.len() as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    fn s(x: &str) -> Vec<u8> {
        let mut v = x.as_bytes().to_vec();
        v.push(0);
        v
    }

    #[test]
    fn decodes_fields_and_files() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, s("openssl-libs"), 1),
            (TAG_VERSION, TYPE_STRING, s("3.0.7"), 1),
            (TAG_RELEASE, TYPE_STRING, s("27.el9"), 1),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec(), 1),
            (TAG_ARCH, TYPE_STRING, s("x86_64"), 1),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                s("openssl-3.0.7-27.el9.src.rpm"),
                1,
            ),
            (
                TAG_DIRNAMES,
                TYPE_STRING_ARRAY,
                [s("/usr/lib64/"), s("/etc/")].concat(),
                2,
            ),
            (
                TAG_BASENAMES,
                TYPE_STRING_ARRAY,
                [s("libssl.so.3"), s("ssl.cnf")].concat(),
                2,
            ),
            (
                TAG_DIRINDEXES,
                TYPE_INT32,
                [0u32.to_be_bytes(), 1u32.to_be_bytes()].concat(),
                2,
            ),
        ]);
        let h = parse_header(&b).unwrap();
        assert_eq!(h.evr(), "1:3.0.7-27.el9");
        assert_eq!(h.files, vec!["/usr/lib64/libssl.so.3", "/etc/ssl.cnf"]);
        let p = packages(&[h], "/var/lib/rpm/rpmdb.sqlite", None);
        assert_eq!(p[0].source.as_deref(), Some("openssl"));
        assert_eq!(p[0].source_version.as_deref(), Some("1:3.0.7-27.el9"));
        assert_eq!(
            p[0].purl,
            "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1"
        );
    }

    #[test]
    fn bad_headers_are_errors_not_panics() {
        assert!(parse_header(b"").is_err());
        assert!(parse_header(&[0, 0, 0, 1, 0, 0, 0, 4]).is_err());
        assert!(parse_header(&[0xff; 64]).is_err());
        let mut b = blob(&[
            (TAG_NAME, TYPE_STRING, s("x"), 1),
            (TAG_VERSION, TYPE_STRING, s("1"), 1),
        ]);
        assert!(parse_header(&b).is_ok());
        b.truncate(b.len() - 1);
        assert!(parse_header(&b).is_err());
        // A count past the data store is not followed: the version is missing.
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, s("x"), 1),
            (TAG_VERSION, TYPE_STRING, s("1"), 9999),
        ]);
        assert!(parse_header(&b).is_err());
    }
}

//! Go: `go.mod` requirements, and the build information the Go toolchain (1.18+) embeds in
//! every binary (`\xff Go buildinf:` + inline version and module strings): the main module,
//! every dependency with its version, and the toolchain as `stdlib`.

use super::package;
use crate::report::Package;

const MAGIC: &[u8] = b"\xff Go buildinf:";

pub fn parse_go_mod(text: &str, path: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let l = line.split("//").next().unwrap_or("").trim();
        if in_block {
            if l == ")" {
                in_block = false;
                continue;
            }
            push_req(l, path, &mut out);
        } else if let Some(rest) = l.strip_prefix("require") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
            } else {
                push_req(rest, path, &mut out);
            }
        }
    }
    out
}

/// The `go` directive's minor version (`go 1.15` → 15).
pub fn go_minor(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("go "))
        .and_then(|v| v.trim().split('.').nth(1))
        .and_then(|m| m.parse().ok())
}

/// Before Go 1.17, go.mod lists only direct requirements; the modules really built are the
/// ones go.sum holds a content hash for (lines without `/go.mod`). Adds those missing from
/// `pkgs`, the highest version of each.
pub fn add_go_sum(pkgs: &mut Vec<Package>, go_sum: &str, path: &str) {
    let mut best: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for line in go_sum.lines() {
        let mut it = line.split_whitespace();
        let (Some(m), Some(v)) = (it.next(), it.next()) else {
            continue;
        };
        if v.ends_with("/go.mod") {
            continue;
        }
        let newer = best.get(m).is_none_or(|old| {
            crate::version::compare(crate::version::Scheme::Go, v, old)
                == Some(std::cmp::Ordering::Greater)
        });
        if newer {
            best.insert(m, v);
        }
    }
    for (m, v) in best {
        if !pkgs.iter().any(|p| p.name == m) {
            pkgs.push(package("golang", m, v, path, None));
        }
    }
}

fn push_req(l: &str, path: &str, out: &mut Vec<Package>) {
    let mut it = l.split_whitespace();
    if let (Some(m), Some(v)) = (it.next(), it.next()) {
        out.push(package("golang", m, v, path, None));
    }
}

/// Cheap check before the full search: an ELF/Mach-O/PE binary holding the build-info magic.
pub fn looks_like_go_binary(bytes: &[u8]) -> bool {
    let exe = bytes.starts_with(b"\x7fELF")
        || bytes.starts_with(b"MZ")
        || bytes.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]);
    exe && memchr::memmem::find(bytes, MAGIC).is_some()
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

fn read_str(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, n) = uvarint(b)?;
    let len = usize::try_from(len).ok()?;
    let s = b.get(n..n.checked_add(len)?)?;
    Some((s, b.get(n + len..)?))
}

/// Packages from a Go binary's build info; empty when there is none or it is the pre-1.18
/// pointer format (not read).
pub fn go_binary_packages(bytes: &[u8], path: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let Some(at) = memchr::memmem::find_iter(bytes, MAGIC).find(|i| i % 16 == 0) else {
        return out;
    };
    let Some(header) = bytes.get(at..at + 32) else {
        return out;
    };
    let flags = header.get(15).copied().unwrap_or(0);
    if flags & 2 == 0 {
        return out;
    }
    let Some(rest) = bytes.get(at + 32..) else {
        return out;
    };
    let Some((go_version, rest)) = read_str(rest) else {
        return out;
    };
    let Some((mod_info, _)) = read_str(rest) else {
        return out;
    };
    let go_version = String::from_utf8_lossy(go_version);
    if let Some(v) = go_version.strip_prefix("go") {
        let v = v.split([' ', '-']).next().unwrap_or(v);
        out.push(package("golang", "stdlib", &format!("v{v}"), path, None));
    }
    // The module text sits between two 16-byte sentinels.
    let text = if mod_info.len() >= 33 {
        mod_info.get(16..mod_info.len() - 16).unwrap_or_default()
    } else {
        mod_info
    };
    let text = String::from_utf8_lossy(text);
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", m, v, ..] if *v != "(devel)" => out.push(package("golang", m, v, path, None)),
            ["dep", m, v, ..] => out.push(package("golang", m, v, path, None)),
            ["=>", m, v, ..] => {
                // A replace directive: the previous dependency is really this module.
                if let Some(last) = out.last_mut() {
                    *last = package("golang", m, v, path, None);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_requires() {
        let p = parse_go_mod(
            "module x\n\ngo 1.17\n\nrequire github.com/a/b v1.0.0\nrequire (\n\tgolang.org/x/text v0.3.6 // indirect\n)\n",
            "go.mod",
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].version, "v0.3.6");
    }

    #[test]
    fn build_info_inline_strings() {
        let mut bin = b"\x7fELF".to_vec();
        bin.resize(64, 0);
        let mut header = MAGIC.to_vec();
        header.push(8);
        header.push(2);
        header.resize(32, 0);
        bin.extend_from_slice(&header);
        let ver = b"go1.21.5";
        bin.push(ver.len() as u8);
        bin.extend_from_slice(ver);
        let mut info = vec![b'x'; 16];
        info.extend_from_slice(b"path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.6\th1:x\n");
        info.extend_from_slice(&[b'y'; 16]);
        bin.push(info.len() as u8);
        bin.extend_from_slice(&info);
        assert!(looks_like_go_binary(&bin));
        let p = go_binary_packages(&bin, "/app");
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("stdlib", "v1.21.5"), ("golang.org/x/text", "v0.3.6")]
        );
    }
}

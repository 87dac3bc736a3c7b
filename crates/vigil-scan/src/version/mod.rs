//! Version ordering, each ecosystem by its own rules: dpkg (epochs, `~`), apk (suffixes,
//! `-rN`), rpm (rpmvercmp), PEP 440, SemVer (npm, Cargo) and Go modules (`v` prefix,
//! `+incompatible`, pseudo-versions). Plus the constraint strings advisories use
//! (`>= 2.1.3, < 3.0.0 || = 1.0.0`).

mod apk;
mod constraint;
mod rpm;

pub use constraint::{Constraint, satisfies_any};

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::str::FromStr;

/// A family of version rules. Distro releases do not matter here, only the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    Dpkg,
    Apk,
    Rpm,
    Pep440,
    Semver,
    Go,
    /// Unknown ecosystems: dotted numbers compared numerically, then text.
    Generic,
}

impl Scheme {
    /// The rules of an OSV ecosystem name (`Debian:12`, `PyPI`, `crates.io` …).
    pub fn for_ecosystem(eco: &str) -> Scheme {
        let family = eco.split(':').next().unwrap_or(eco).to_ascii_lowercase();
        match family.as_str() {
            "debian" | "ubuntu" => Scheme::Dpkg,
            "alpine" | "wolfi" | "chainguard" => Scheme::Apk,
            "red hat" | "redhat" | "rocky linux" | "almalinux" | "amazon" | "amazon linux"
            | "centos" | "oracle" | "opensuse" | "suse" | "mariner" | "photon" => Scheme::Rpm,
            "pypi" | "pip" => Scheme::Pep440,
            "npm" | "crates.io" | "cargo" | "rubygems" | "nuget" | "packagist" | "pub" | "hex" => {
                Scheme::Semver
            }
            "go" | "golang" => Scheme::Go,
            _ => Scheme::Generic,
        }
    }
}

/// Orders two versions under `scheme`; `None` when either does not parse.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Option<Ordering> {
    match scheme {
        Scheme::Dpkg => {
            let a = debversion::Version::from_str(a.trim()).ok()?;
            let b = debversion::Version::from_str(b.trim()).ok()?;
            Some(a.cmp(&b))
        }
        Scheme::Apk => Some(apk::compare(a.trim(), b.trim())),
        Scheme::Rpm => Some(rpm::compare_evr(a.trim(), b.trim())),
        Scheme::Pep440 => {
            let a = pep440_rs::Version::from_str(a.trim()).ok()?;
            let b = pep440_rs::Version::from_str(b.trim()).ok()?;
            Some(a.cmp(&b))
        }
        Scheme::Semver => Some(compare_semver(a, b)),
        Scheme::Go => {
            let strip = |v: &str| {
                v.trim()
                    .trim_start_matches('v')
                    .split('+')
                    .next()
                    .unwrap_or("")
                    .to_string()
            };
            Some(compare_semver(&strip(a), &strip(b)))
        }
        Scheme::Generic => Some(compare_generic(a, b)),
    }
}

/// SemVer when both parse (build metadata ignored, as SemVer says); otherwise a lenient
/// reading that pads missing parts (`2.0` = `2.0.0`).
fn compare_semver(a: &str, b: &str) -> Ordering {
    let parse = |s: &str| {
        let s = s.trim().trim_start_matches(['v', '=']);
        let core = s.split('+').next().unwrap_or("");
        semver::Version::parse(core).ok().or_else(|| {
            let (nums, pre) = core
                .split_once('-')
                .map_or((core, None), |(n, p)| (n, Some(p)));
            let mut parts: Vec<&str> = nums.split('.').collect();
            if parts.len() > 3
                || parts
                    .iter()
                    .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
            {
                return None;
            }
            while parts.len() < 3 {
                parts.push("0");
            }
            let text = match pre {
                Some(p) => format!("{}-{p}", parts.join(".")),
                None => parts.join("."),
            };
            semver::Version::parse(&text).ok()
        })
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp_precedence(&y),
        _ => compare_generic(a, b),
    }
}

/// Splits into runs of digits and non-digits; digits compare as numbers.
pub(crate) fn compare_generic(a: &str, b: &str) -> Ordering {
    let toks = |s: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let d = c.is_ascii_digit();
            match out.last_mut() {
                Some((is_d, t)) if *is_d == d && c.is_ascii_alphanumeric() => t.push(c),
                _ if c.is_ascii_alphanumeric() => out.push((d, c.to_string())),
                _ => {}
            }
        }
        out
    };
    let (ta, tb) = (toks(a), toks(b));
    for (x, y) in ta.iter().zip(tb.iter()) {
        let o = match (x.0, y.0) {
            (true, true) => {
                let (xs, ys) = (x.1.trim_start_matches('0'), y.1.trim_start_matches('0'));
                xs.len().cmp(&ys.len()).then_with(|| xs.cmp(ys))
            }
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.1.cmp(&y.1),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ta.len().cmp(&tb.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn dpkg_epochs_and_tildes() {
        assert_eq!(compare(Scheme::Dpkg, "1:1.0", "2.0"), Some(Greater));
        assert_eq!(compare(Scheme::Dpkg, "1.0~rc1", "1.0"), Some(Less));
        assert_eq!(
            compare(Scheme::Dpkg, "3.0.11-1~deb12u2", "3.0.15-1~deb12u1"),
            Some(Less)
        );
        assert_eq!(
            compare(Scheme::Dpkg, "3.0.2-0ubuntu1", "3.0.2-0ubuntu1.2"),
            Some(Less)
        );
    }

    #[test]
    fn pep440_pre_and_post_releases() {
        assert_eq!(compare(Scheme::Pep440, "5.3.1", "5.4b1"), Some(Less));
        assert_eq!(compare(Scheme::Pep440, "1.0.post1", "1.0"), Some(Greater));
        assert_eq!(compare(Scheme::Pep440, "0.11", "0.11.0"), Some(Equal));
        assert_eq!(compare(Scheme::Pep440, "2.0rc1", "2.0"), Some(Less));
    }

    #[test]
    fn semver_and_go() {
        assert_eq!(compare(Scheme::Semver, "4.17.15", "4.17.19"), Some(Less));
        assert_eq!(compare(Scheme::Semver, "1.0.0-alpha", "1.0.0"), Some(Less));
        assert_eq!(compare(Scheme::Semver, "2.0", "2.0.0"), Some(Equal));
        assert_eq!(
            compare(Scheme::Go, "v2.7.1+incompatible", "v2.8.0"),
            Some(Less)
        );
        assert_eq!(
            compare(Scheme::Go, "v0.0.0-20210101-abcdef", "v0.0.1"),
            Some(Less)
        );
    }

    #[test]
    fn generic_numbers_compare_numerically() {
        assert_eq!(compare_generic("1.10", "1.9"), Greater);
        assert_eq!(compare_generic("1.0", "1.0.1"), Less);
    }
}

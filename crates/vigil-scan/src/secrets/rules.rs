//! Rule files in gitleaks' TOML format (gitleaks' own `gitleaks.toml` loads as is): `regex`,
//! `secretGroup`, `entropy`, `keywords`, `path`, per-rule `[[rules.allowlists]]` (and the older
//! `[rules.allowlist]`), and the global `[allowlist]`.

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use vigil_model::Severity;

#[derive(Debug, Deserialize, Default)]
struct RawAllowlist {
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default, rename = "regexTarget")]
    regex_target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawRule {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default, rename = "secretGroup")]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
    /// Vigil extension: what kind of secret (`aws_access_key`, `private_key` …).
    #[serde(default)]
    kind: Option<String>,
    /// Vigil extension.
    #[serde(default)]
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
struct RawConfig {
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Secret,
    Match,
    Line,
}

#[derive(Debug, Clone)]
pub struct Allowlist {
    pub all_must_match: bool,
    pub paths: Vec<Regex>,
    /// `paths` as one set: one pass over a path instead of one per pattern (gitleaks' global
    /// list has 25, checked for every file).
    pub path_set: Option<regex::RegexSet>,
    pub regexes: Vec<Regex>,
    pub target: Target,
    pub stopwords: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    /// Over bytes, ASCII classes (as Go's RE2 reads `\w`, `\s`, `\b`): fast and faithful.
    pub regex: Option<regex::bytes::Regex>,
    /// How many line breaks one match of `regex` can span (`None`: no bound). Keyword hits
    /// widen to this many lines around them before the regex runs.
    pub newline_reach: Option<u32>,
    pub path: Option<Regex>,
    pub secret_group: Option<usize>,
    pub entropy: Option<f64>,
    pub keywords: Vec<String>,
    pub allowlists: Vec<Allowlist>,
    pub kind: String,
    pub severity: Severity,
}

/// The most line breaks a match of `pattern` can hold; `None` when unbounded, e.g. `[\s\S]+`.
pub fn newline_reach(pattern: &str) -> Option<u32> {
    let pattern = go_to_rust_regex(pattern);
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(&pattern)
        .ok()?;
    reach(&hir)
}

fn reach(hir: &regex_syntax::hir::Hir) -> Option<u32> {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(l) => Some(l.0.iter().filter(|b| **b == b'\n').count() as u32),
        HirKind::Class(Class::Unicode(c)) => Some(u32::from(
            c.ranges()
                .iter()
                .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        )),
        HirKind::Class(Class::Bytes(c)) => Some(u32::from(
            c.ranges()
                .iter()
                .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        )),
        HirKind::Repetition(r) => {
            let one = reach(&r.sub)?;
            match (one, r.max) {
                (0, _) => Some(0),
                (_, None) => None,
                (n, Some(max)) => n.checked_mul(max),
            }
        }
        HirKind::Capture(c) => reach(&c.sub),
        HirKind::Concat(v) => v.iter().try_fold(0u32, |acc, h| acc.checked_add(reach(h)?)),
        HirKind::Alternation(v) => v.iter().try_fold(0u32, |acc, h| Some(acc.max(reach(h)?))),
    }
}

fn compile_bytes(pattern: &str) -> Result<regex::bytes::Regex, String> {
    let pattern = go_to_rust_regex(pattern);
    regex::bytes::RegexBuilder::new(&pattern)
        .unicode(false)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| e.to_string())
}

/// Go's RE2 reads a `{` that does not start a valid repetition (`{2}`, `{2,}`, `{2,5}`) as a
/// literal brace; Rust's regex refuses it. Escape those braces so gitleaks' rules load as
/// written.
pub fn go_to_rust_regex(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let (mut i, mut in_class, mut prev_atom) = (0, false, false);
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            out.push(c);
            if let Some(&n) = chars.get(i + 1) {
                out.push(n);
            }
            i += 2;
            prev_atom = true;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal member.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
                prev_atom = true;
            }
            '{' => {
                let rest: String = chars
                    .get(i + 1..)
                    .unwrap_or_default()
                    .iter()
                    .take(24)
                    .collect();
                let valid = rest.find('}').is_some_and(|end| {
                    let body = rest.get(..end).unwrap_or("");
                    let mut parts = body.splitn(2, ',');
                    let lo = parts.next().unwrap_or("");
                    !lo.is_empty()
                        && lo.bytes().all(|b| b.is_ascii_digit())
                        && parts
                            .next()
                            .is_none_or(|hi| hi.bytes().all(|b| b.is_ascii_digit()))
                });
                if valid && prev_atom {
                    out.push(c);
                } else {
                    out.push_str("\\{");
                }
                prev_atom = true;
            }
            '}' => {
                out.push(c);
                prev_atom = true;
            }
            '(' | '|' => {
                out.push(c);
                prev_atom = false;
            }
            _ => {
                out.push(c);
                prev_atom = true;
            }
        }
        i += 1;
    }
    out
}

fn compile(pattern: &str) -> Result<Regex, String> {
    let pattern = go_to_rust_regex(pattern);
    RegexBuilder::new(&pattern)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| e.to_string())
}

fn allowlist(raw: RawAllowlist, errors: &mut Vec<String>, owner: &str) -> Allowlist {
    let mut re = |list: Vec<String>| -> Vec<Regex> {
        list.into_iter()
            .filter_map(|p| {
                compile(&p)
                    .map_err(|e| errors.push(format!("{owner}: allowlist regex: {e}")))
                    .ok()
            })
            .collect()
    };
    Allowlist {
        all_must_match: raw
            .condition
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("and")),
        path_set: regex::RegexSetBuilder::new(raw.paths.iter().map(|p| go_to_rust_regex(p)))
            .size_limit(64 << 20)
            .build()
            .ok()
            .filter(|_| raw.paths.len() > 1),
        paths: re(raw.paths),
        regexes: re(raw.regexes),
        target: match raw.regex_target.as_deref() {
            Some("match") => Target::Match,
            Some("line") => Target::Line,
            _ => Target::Secret,
        },
        stopwords: raw
            .stopwords
            .into_iter()
            .map(|s| s.to_ascii_lowercase())
            .collect(),
    }
}

impl Allowlist {
    /// Does one of `paths` match `path`?
    pub fn path_matches(&self, path: &str) -> bool {
        match &self.path_set {
            Some(set) => set.is_match(path),
            None => self.paths.iter().any(|r| r.is_match(path)),
        }
    }
}

/// A kind name for a gitleaks rule id (`github-pat` → `github_token`).
fn kind_for(id: &str) -> String {
    let id = id.to_ascii_lowercase();
    let k = if id.contains("private-key") {
        "private_key"
    } else if id.starts_with("aws") {
        "aws_access_key"
    } else if id.starts_with("github") || id.starts_with("gitlab") {
        "vcs_token"
    } else if id.starts_with("gcp")
        || id.starts_with("azure")
        || id.starts_with("alibaba")
        || id.starts_with("digitalocean")
    {
        "cloud_credential"
    } else if id.contains("jwt") {
        "jwt"
    } else if id.contains("generic") || id.contains("password") {
        "generic_secret"
    } else {
        "api_token"
    };
    k.to_string()
}

fn severity_for(kind: &str) -> Severity {
    match kind {
        "aws_access_key" | "private_key" | "cloud_credential" => Severity::High,
        "generic_secret" => Severity::Medium,
        _ => Severity::High,
    }
}

/// Global allowlists and rules of one file; `errors` names what did not compile.
pub fn load_rules(
    text: &str,
    errors: &mut Vec<String>,
) -> Result<(Vec<Allowlist>, Vec<Rule>), String> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut global = Vec::new();
    for a in raw.allowlist.into_iter().chain(raw.allowlists) {
        global.push(allowlist(a, errors, "global"));
    }
    let mut rules = Vec::new();
    for r in raw.rules {
        let regex = match r.regex.as_deref().map(compile_bytes).transpose() {
            Ok(re) => re,
            Err(e) => {
                errors.push(format!("rule `{}`: {e}", r.id));
                continue;
            }
        };
        let path = match r.path.as_deref().map(compile).transpose() {
            Ok(p) => p,
            Err(e) => {
                errors.push(format!("rule `{}` path: {e}", r.id));
                continue;
            }
        };
        if regex.is_none() && path.is_none() {
            errors.push(format!("rule `{}` has neither regex nor path", r.id));
            continue;
        }
        let kind = r.kind.unwrap_or_else(|| kind_for(&r.id));
        let allowlists = r
            .allowlist
            .into_iter()
            .chain(r.allowlists)
            .map(|a| allowlist(a, errors, &r.id))
            .collect();
        let newline_reach = r.regex.as_deref().and_then(newline_reach);
        rules.push(Rule {
            newline_reach,
            severity: r.severity.unwrap_or_else(|| severity_for(&kind)),
            kind,
            description: r.description,
            regex,
            path,
            secret_group: r.secret_group,
            entropy: r.entropy,
            keywords: r
                .keywords
                .into_iter()
                .map(|k| k.to_ascii_lowercase())
                .collect(),
            allowlists,
            id: r.id,
        });
    }
    Ok((global, rules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_literal_braces() {
        assert_eq!(
            go_to_rust_regex(r"^\$(?:\d+|{\d+})$"),
            r"^\$(?:\d+|\{\d+})$"
        );
        assert_eq!(go_to_rust_regex(r"a{2,3}[{]x{"), r"a{2,3}[{]x\{");
        assert_eq!(go_to_rust_regex(r"\${{[^}]+}}"), r"\$\{\{[^}]+}}");
        assert!(compile(r"import[ \t]+{[ \t\w,]+}[ \t]+from").is_ok());
    }
}

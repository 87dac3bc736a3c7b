//! Hard-coded secrets. Rules in gitleaks' format (gitleaks' own file plus Vigil's pack in
//! `data/secrets/vigil-rules.toml`), a keyword prefilter (one lazy-DFA pass picks the
//! rules a file can match), Shannon entropy, allowlists, and AWS key pairs joined per file.
//! Findings carry a fingerprint and a redacted preview; the secret itself never leaves
//! [`SecretScanner::scan`].

mod prefilter;
mod rules;
mod window;

pub use rules::{Allowlist, Rule, Target, load_rules};

use crate::report::SecretFinding;
use prefilter::{Prefilter, Seen};
use vigil_model::Severity;

/// Vigil's own rules, shipped with the binary.
pub const VIGIL_RULES: &str = include_str!("../../data/secrets/vigil-rules.toml");

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The first four characters, then one `*` per hidden character (at most 16).
pub fn redact(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    let hidden = secret.chars().count().saturating_sub(4).clamp(4, 16);
    format!("{shown}{}", "*".repeat(hidden))
}

pub fn fingerprint(secret: &str) -> String {
    format!(
        "xxh3:{:016x}",
        xxhash_rust::xxh3::xxh3_64(secret.as_bytes())
    )
}

pub struct SecretScanner {
    rules: Vec<Rule>,
    global: Vec<Allowlist>,
    /// Keywords and keyword-less regexes in one pass; `None` (it did not build): every rule
    /// runs over whole files.
    prefilter: Option<Prefilter>,
    /// For each keyword, the rules it enables.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules with a regex and no keywords, in the prefilter's regex order.
    always: Vec<usize>,
    /// Rules with a regex, no keywords and a path condition: whole files, where the path fits.
    gated: Vec<usize>,
    /// Rules without a regex and without keywords: the path alone decides.
    path_only: Vec<usize>,
    pub load_errors: Vec<String>,
}

/// Files with a NUL byte in this many leading bytes are binary: no text rule runs on them.
const BINARY_SNIFF: usize = 8192;

const AWS_ID: &str = "vigil-aws-access-key-id";
const AWS_SECRET: &str = "vigil-aws-secret-access-key";

fn is_aws_key_id(s: &str) -> bool {
    s.len() == 20
        && (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn allowed(list: &Allowlist, path: &str, secret: &str, matched: &str, line: &str) -> bool {
    let target = match list.target {
        Target::Secret => secret,
        Target::Match => matched,
        Target::Line => line,
    };
    let lower = secret.to_ascii_lowercase();
    let checks = [
        (!list.paths.is_empty()).then(|| list.path_matches(path)),
        (!list.regexes.is_empty()).then(|| list.regexes.iter().any(|r| r.is_match(target))),
        (!list.stopwords.is_empty())
            .then(|| list.stopwords.iter().any(|w| lower.contains(w.as_str()))),
    ];
    let present: Vec<bool> = checks.into_iter().flatten().collect();
    if present.is_empty() {
        return false;
    }
    if list.all_must_match {
        present.iter().all(|x| *x)
    } else {
        present.iter().any(|x| *x)
    }
}

struct Hit {
    rule: usize,
    secret: String,
    line: u32,
}

impl SecretScanner {
    /// Vigil's rules plus any gitleaks-format rule files' texts.
    pub fn new(extra: &[&str]) -> Result<SecretScanner, String> {
        let mut errors = Vec::new();
        let (mut global, mut rules) = load_rules(VIGIL_RULES, &mut errors)?;
        for text in extra {
            let (g, r) = load_rules(text, &mut errors)?;
            global.extend(g);
            rules.extend(r);
        }
        Ok(Self::from_rules(global, rules, errors))
    }

    pub fn from_rules(
        global: Vec<Allowlist>,
        rules: Vec<Rule>,
        load_errors: Vec<String>,
    ) -> SecretScanner {
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let (mut always, mut path_only) = (Vec::new(), Vec::new());
        for (i, r) in rules.iter().enumerate() {
            if r.keywords.is_empty() {
                if r.regex.is_some() {
                    always.push(i);
                } else {
                    path_only.push(i);
                }
            }
            for k in &r.keywords {
                match words.iter().position(|w| w == k) {
                    Some(p) => keyword_rules.get_mut(p).into_iter().for_each(|v| v.push(i)),
                    None => {
                        words.push(k.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // Rules limited to some paths stay out of the prefilter: they run where the path fits.
        let (gated, always): (Vec<usize>, Vec<usize>) = always
            .into_iter()
            .partition(|&i| rules.get(i).is_some_and(|r| r.path.is_some()));
        let patterns: Vec<&str> = always
            .iter()
            .filter_map(|&i| {
                rules
                    .get(i)
                    .and_then(|r| r.regex.as_ref())
                    .map(|re| re.as_str())
            })
            .collect();
        let mut load_errors = load_errors;
        let prefilter = Prefilter::build(&words, &patterns)
            .map_err(|e| load_errors.push(format!("prefilter (every rule runs everywhere): {e}")))
            .ok();
        SecretScanner {
            rules,
            global,
            prefilter,
            keyword_rules,
            always,
            gated,
            path_only,
            load_errors,
        }
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Secrets in one file's bytes. `path` is the file's path in the target.
    ///
    /// One pass ([`prefilter`]) finds every keyword and every end of a keyword-less rule's
    /// match; each rule's regex then runs only over the lines around those ([`window`]).
    /// Binary files (a NUL early on) get only the path rules.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<SecretFinding> {
        if self.global.iter().any(|g| {
            !g.paths.is_empty()
                && g.regexes.is_empty()
                && g.stopwords.is_empty()
                && g.path_matches(path)
        }) {
            return Vec::new();
        }
        let text = bytes;
        let head = text.get(..text.len().min(BINARY_SNIFF)).unwrap_or_default();
        let binary = memchr::memchr(0, head).is_some();
        let mut path_ok: Vec<Option<bool>> = vec![None; self.rules.len()];
        let mut path_allows = |i: usize, rule: &Rule| -> bool {
            let Some(p) = &rule.path else { return true };
            match path_ok.get_mut(i) {
                Some(Some(ok)) => *ok,
                Some(slot) => *slot.insert(p.is_match(path)),
                None => false,
            }
        };
        let mut hits: Vec<Hit> = Vec::new();
        let path_hit = |i: usize| Hit {
            rule: i,
            secret: format!("{path}:{}", bytes.len()),
            line: 1,
        };
        for &i in &self.path_only {
            if let Some(rule) = self.rules.get(i)
                && path_allows(i, rule)
            {
                hits.push(path_hit(i));
            }
        }
        if binary {
            return self.findings(path, hits);
        }
        // (rule, span) for every keyword hit and keyword-less match end.
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        let complete = self.prefilter.as_ref().is_some_and(|pf| {
            pf.scan(text, |seen| match seen {
                Seen::Keyword { k, start, end } => {
                    for &i in self.keyword_rules.get(k).into_iter().flatten() {
                        let reach = self.rules.get(i).and_then(|r| r.newline_reach);
                        let (s, e) = window::around(text, start, end, reach);
                        found.push((i, s, e));
                    }
                }
                Seen::Regex { r, end } => {
                    if let Some(&i) = self.always.get(r) {
                        let reach = self.rules.get(i).and_then(|r| r.newline_reach);
                        let (s, e) = window::ending_at(text, end, reach);
                        found.push((i, s, e));
                    }
                }
            })
            .is_ok()
        });
        if !complete {
            // No prefilter, or it gave up: every rule, whole file.
            found.clear();
            found.extend(
                (0..self.rules.len())
                    .filter(|i| !self.path_only.contains(i))
                    .map(|i| (i, 0, text.len())),
            );
        }
        found.extend(self.gated.iter().map(|&i| (i, 0, text.len())));
        found.sort_unstable();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for group in found.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(i, _, _)) = group.first() else {
                continue;
            };
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
            if !path_allows(i, rule) {
                continue;
            }
            let Some(re) = &rule.regex else {
                hits.push(path_hit(i));
                continue;
            };
            spans.clear();
            spans.extend(group.iter().map(|&(_, s, e)| (s, e)));
            window::merge(&mut spans);
            // Keywords everywhere: one pass over the file beats thousands of short ones.
            let covered: usize = spans.iter().map(|(s, e)| e - s).sum();
            if spans.len() > 256 || covered > text.len() / 2 {
                spans.clear();
                spans.push((0, text.len()));
            }
            for &(s, e) in &spans {
                self.run(i, re, text, (s, e), path, &mut hits);
            }
        }
        self.findings(path, hits)
    }

    /// Rule `i`'s matches that start inside `span` of `text`, checked against entropy, inline
    /// markers and allowlists.
    fn run(
        &self,
        i: usize,
        re: &regex::bytes::Regex,
        text: &[u8],
        span: (usize, usize),
        path: &str,
        hits: &mut Vec<Hit>,
    ) {
        let Some(rule) = self.rules.get(i) else {
            return;
        };
        let hay = text.get(..span.1).unwrap_or_default();
        let mut at = span.0;
        // The DFA finds matches fast; captures are resolved only where one starts.
        while at < span.1 {
            let Some(m) = re.find_at(hay, at) else { break };
            at = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + 1
            };
            let Some(caps) = re.captures_at(hay, m.start()) else {
                continue;
            };
            let Some(whole) = caps.get(0) else { continue };
            let secret = match rule.secret_group {
                Some(g) => caps.get(g),
                None => (1..caps.len())
                    .find_map(|g| caps.get(g).filter(|m| !m.as_bytes().is_empty()))
                    .or(Some(whole)),
            };
            let Some(secret) = secret else { continue };
            let secret = String::from_utf8_lossy(secret.as_bytes());
            if let Some(min) = rule.entropy
                && entropy(&secret) < min
            {
                continue;
            }
            let start = whole.start();
            let before = text.get(..start).unwrap_or_default();
            let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
            let line_end = memchr::memchr(b'\n', text.get(start..).unwrap_or_default())
                .map_or(text.len(), |i| start + i);
            let line = String::from_utf8_lossy(text.get(line_start..line_end).unwrap_or_default());
            // Inline markers people already use: gitleaks', detect-secrets' and ours.
            if line.contains("gitleaks:allow")
                || line.contains("pragma: allowlist secret")
                || line.contains("vigil:allow")
            {
                continue;
            }
            let matched = String::from_utf8_lossy(whole.as_bytes());
            if rule
                .allowlists
                .iter()
                .chain(self.global.iter())
                .any(|a| allowed(a, path, &secret, &matched, &line))
            {
                continue;
            }
            let line_no = memchr::memchr_iter(b'\n', before).count() as u32 + 1;
            hits.push(Hit {
                rule: i,
                secret: secret.into_owned(),
                line: line_no,
            });
        }
    }

    /// Joins AWS key ids with secret keys of the same file, drops duplicates (one secret at
    /// one line found by several rules), and redacts.
    fn findings(&self, path: &str, hits: Vec<Hit>) -> Vec<SecretFinding> {
        let rule_id = |h: &Hit| self.rules.get(h.rule).map(|r| r.id.as_str()).unwrap_or("");
        let key_ids: Vec<&Hit> = hits.iter().filter(|h| is_aws_key_id(&h.secret)).collect();
        let aws_secrets: Vec<&Hit> = hits.iter().filter(|h| rule_id(h) == AWS_SECRET).collect();
        let mut out: Vec<SecretFinding> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for sec in &aws_secrets {
            // Nearest key id in the file, by line.
            let id = key_ids
                .iter()
                .min_by_key(|k| k.line.abs_diff(sec.line))
                .map(|k| k.secret.clone());
            let paired = id.is_some();
            seen.insert(sec.secret.clone());
            out.push(SecretFinding {
                rule: if paired {
                    "vigil-aws-key-pair".into()
                } else {
                    AWS_SECRET.into()
                },
                kind: "aws_access_key".into(),
                path: path.to_string(),
                line: sec.line,
                severity: if paired {
                    Severity::Critical
                } else {
                    Severity::High
                },
                fingerprint: fingerprint(&sec.secret),
                preview: redact(&sec.secret),
                aws_access_key_id: id,
            });
        }
        let paired_ids: std::collections::HashSet<String> = out
            .iter()
            .filter_map(|f| f.aws_access_key_id.clone())
            .collect();
        // When several rules find one secret, the most specific rule names it.
        let mut order: Vec<&Hit> = hits.iter().collect();
        order.sort_by_key(|h| {
            self.rules
                .get(h.rule)
                .is_none_or(|r| r.kind == "generic_secret" || r.id.contains("generic"))
        });
        for h in order {
            let Some(rule) = self.rules.get(h.rule) else {
                continue;
            };
            if rule.id == AWS_SECRET || seen.contains(&h.secret) {
                continue;
            }
            let is_id = is_aws_key_id(&h.secret);
            if is_id && paired_ids.contains(&h.secret) {
                continue;
            }
            seen.insert(h.secret.clone());
            out.push(SecretFinding {
                rule: if is_id {
                    AWS_ID.to_string()
                } else {
                    rule.id.clone()
                },
                kind: if is_id {
                    "aws_access_key_id".into()
                } else {
                    rule.kind.clone()
                },
                path: path.to_string(),
                line: h.line,
                severity: if is_id {
                    Severity::Medium
                } else {
                    rule.severity
                },
                fingerprint: fingerprint(&h.secret),
                preview: if is_id {
                    h.secret.clone()
                } else {
                    redact(&h.secret)
                },
                aws_access_key_id: is_id.then(|| h.secret.clone()),
            });
        }
        out.sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.rule.cmp(&b.rule)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_pair_is_joined_and_redacted() {
        let s = SecretScanner::new(&[]).unwrap();
        assert!(s.load_errors.is_empty(), "{:?}", s.load_errors);
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8h3kP2vY";
        let text = format!(
            "AWS_ACCESS_KEY_ID = \"AKIAZ7QW3ERT5YUIJOPL\"\nAWS_SECRET_ACCESS_KEY = \"{secret}\"\n"
        );
        let f = s.scan("/opt/app/config/settings.py", text.as_bytes());
        let pair = f
            .iter()
            .find(|f| f.rule == "vigil-aws-key-pair")
            .expect("pair");
        assert_eq!(
            pair.aws_access_key_id.as_deref(),
            Some("AKIAZ7QW3ERT5YUIJOPL")
        );
        assert_eq!(pair.severity, Severity::Critical);
        assert_eq!(pair.line, 2);
        let json = serde_json::to_string(&f).unwrap();
        assert!(!json.contains(secret), "the secret leaked: {json}");
        assert!(
            !f.iter().any(|x| x.rule == AWS_ID),
            "the paired id is not reported twice"
        );
    }

    #[test]
    fn entropy_and_redaction() {
        assert!(entropy("aaaaaaaa") < 0.01);
        assert!(entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8h3kP2vY") > 4.0);
        assert_eq!(redact("ghp_abcdefghijklmnop1234"), "ghp_****************");
        assert_eq!(redact("abc"), "abc****");
    }
}

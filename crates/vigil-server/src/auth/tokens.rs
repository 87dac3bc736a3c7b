//! Configured tokens and their roles.

use std::path::Path;

/// Shortest token accepted: shorter ones are guessable.
const MIN_TOKEN_LEN: usize = 16;
/// A tokens file larger than this is refused (it is a short list, not a database).
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Look, never change.
    ReadOnly,
    /// Only send agent events: what a host agent's token should be.
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReadOnly => "read_only",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "read_only" | "read-only" | "readonly" => Some(Role::ReadOnly),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the tokens file `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the tokens file `{0}` is larger than 1 MiB")]
    TooLarge(String),
    #[error(
        "`{path}` line {line}: {message} (expected `ROLE NAME TOKEN`, ROLE one of admin, read_only, agent)"
    )]
    Syntax {
        path: String,
        line: usize,
        message: String,
    },
    #[error("the token of `{0}` is shorter than 16 characters")]
    TooShort(String),
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    role: Role,
    token: Vec<u8>,
}

/// Every token the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Vec<Entry>,
}

impl Tokens {
    /// The `VIGIL_TOKEN` admin token (named `admin`) plus the tokens file, if it exists.
    pub fn load(admin_token: Option<&str>, file: &Path) -> Result<Tokens, TokenError> {
        let mut tokens = Tokens::default();
        if let Some(t) = admin_token.filter(|t| !t.is_empty()) {
            tokens.add("admin", Role::Admin, t)?;
        }
        let meta = match std::fs::metadata(file) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(tokens),
            Err(source) => {
                return Err(TokenError::Read {
                    path: file.display().to_string(),
                    source,
                });
            }
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(TokenError::TooLarge(file.display().to_string()));
        }
        let text = std::fs::read_to_string(file).map_err(|source| TokenError::Read {
            path: file.display().to_string(),
            source,
        })?;
        tokens.add_file_text(&file.display().to_string(), &text)?;
        Ok(tokens)
    }

    fn add_file_text(&mut self, path: &str, text: &str) -> Result<(), TokenError> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let syntax = |message: &str| TokenError::Syntax {
                path: path.to_string(),
                line: i + 1,
                message: message.to_string(),
            };
            let mut parts = line.split_whitespace();
            let (Some(role), Some(name), Some(token), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(syntax("not three fields"));
            };
            let role = Role::parse(role).ok_or_else(|| syntax("unknown role"))?;
            self.add(name, role, token)?;
        }
        Ok(())
    }

    pub fn add(&mut self, name: &str, role: Role, token: &str) -> Result<(), TokenError> {
        if token.len() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort(name.to_string()));
        }
        self.entries.push(Entry {
            name: name.to_string(),
            role,
            token: token.as_bytes().to_vec(),
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The name and role of `presented`, comparing against every entry in constant time per
    /// entry so timing says nothing about how much of a token matched.
    pub fn check(&self, presented: &str) -> Option<(String, Role)> {
        let mut found = None;
        for e in &self.entries {
            if constant_time_eq(&e.token, presented.as_bytes()) && found.is_none() {
                found = Some((e.name.clone(), e.role));
            }
        }
        found
    }
}

/// Equal length and bytes, without an early exit on the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= x ^ y;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_roles_and_rejects_bad_lines() {
        let mut t = Tokens::default();
        t.add_file_text(
            "tokens",
            "# comment\nread_only alice aaaaaaaaaaaaaaaaaaaa\nagent web-1 bbbbbbbbbbbbbbbbbbbb\n",
        )
        .unwrap();
        assert_eq!(
            t.check("aaaaaaaaaaaaaaaaaaaa"),
            Some(("alice".into(), Role::ReadOnly))
        );
        assert_eq!(
            t.check("bbbbbbbbbbbbbbbbbbbb"),
            Some(("web-1".into(), Role::Agent))
        );
        assert_eq!(t.check("aaaaaaaaaaaaaaaaaaa"), None);
        assert_eq!(t.check(""), None);
        let err = Tokens::default()
            .add_file_text("tokens", "root bob cccccccccccccccccccc\n")
            .unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        assert!(matches!(
            Tokens::default().add_file_text("tokens", "admin bob short\n"),
            Err(TokenError::TooShort(_))
        ));
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }
}

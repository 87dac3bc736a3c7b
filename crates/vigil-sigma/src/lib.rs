//! Sigma-compatible rule engine: parse, lint, compile and index Sigma rules; match them against
//! vigil-model events through a field-mapping data file. Pure: matching does no I/O and reads
//! no clock (only [`RuleSet::load_dir`] reads rule files, once, at start-up).
//!
//! ```no_run
//! use vigil_sigma::{RuleSet, RuleRef};
//! # fn events() -> Vec<vigil_model::Event> { vec![] }
//! let (rules, problems) = RuleSet::load_dir(std::path::Path::new("rules"));
//! for p in &problems { eprintln!("{p}"); }
//! let mut hits: Vec<RuleRef> = Vec::new();
//! for event in events() {
//!     hits.clear();
//!     rules.matches(&event, &mut hits);          // allocation-free once warmed up
//!     for &h in &hits {
//!         let rule = rules.rule(h);              // id, title, severity, tactics, ...
//!         println!("{} {}", rule.severity, rule.title);
//!     }
//! }
//! ```
//!
//! How it works: each rule file is parsed (YAML), its detection compiled into a matcher tree
//! whose leaves are field accessors resolved through the mapping files in `mappings/` (Sigma
//! field name → a place in [`vigil_model::Event`], chainsaw-style), and indexed by the values
//! of `eventName`/`eventSource` (cloud) or the image basename (host) so an event only meets
//! rules that could match it. Anything the engine cannot honour is a [`LoadProblem`] with the
//! file path and a reason; the other rules still load.

mod compile;
mod condition;
mod eval;
mod field;
mod fold;
mod index;
mod load;
mod memo;
mod needle_memo;
mod pattern;
mod prefilter;
mod problem;
mod rule;
mod ruleset;
mod sigma_regex;
pub mod testcase;

pub use field::FieldMap;
pub use memo::MemoStats;
pub use problem::{LoadProblem, ProblemLevel};
pub use rule::{Logsource, Rule, RuleRef, Target};
pub use ruleset::{IndexStats, RuleSet, RuleSource, Scratch};

/// Largest rule file accepted (bytes); SigmaHQ's largest is ~20 KB.
pub const MAX_RULE_BYTES: u64 = 1 << 20;

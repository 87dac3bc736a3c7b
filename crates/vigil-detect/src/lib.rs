//! Detection engine: identity resolution, rule findings, behaviour baselines, composite alerts
//! and suppression. Pure: events in, alerts out; no I/O and no clock ("now" is the newest event
//! time seen). Its whole state is plain serde data ([`EngineState`]) the caller persists.
//!
//! ```
//! use vigil_detect::{DetectConfig, Engine, NoRules};
//! let mut engine = Engine::new(DetectConfig::default(), Box::new(NoRules));
//! # let events: Vec<vigil_model::Event> = vec![];
//! for e in &events {
//!     engine.process(e);
//! }
//! let alerts = engine.take_alerts();      // new or changed since the last call
//! let state = engine.state();             // save it; `Engine::restore` picks up from it
//! # let _ = (alerts, state);
//! ```
//!
//! The flow for one cloud event: resolve its chain ([`identity`]) → check and learn the
//! baselines of the chain's key, principal, role and account ([`baseline`]) → rules
//! ([`rules`]) and contextual detectors ([`detectors`]) → findings go to the correlator
//! ([`correlate`]), which raises composites, groups repeats and applies suppressions.
//!
//! A host event (agent, Falco, auditd) goes to [`host`]: the host's process table, the host
//! detectors (escape, privilege escalation, discovery, credential access, reverse shell,
//! download-and-execute, miners), the per-application baselines ([`host::apps`]: new binary,
//! child, outbound destination, listening port) and the rules; its findings sit on the chain
//! `host:<id>`, where the correlator raises `compromised_host`.
//!
//! Settings come from [`DetectConfig`] (a `detect.toml` through [`DetectConfig::from_toml`]);
//! suppressions ([`suppress`]) are set by the caller and counted by the engine.

pub mod baseline;
pub mod config;
mod config_file;
pub mod correlate;
pub mod detectors;
mod engine;
pub mod fasthash;
pub mod features;
pub mod finding;
pub mod host;
pub mod identity;
pub mod rules;
pub mod sigma;
mod sts;
pub mod suppress;

pub use config::DetectConfig;
pub use config_file::{ConfigError, parse_duration_ms};
pub use engine::{Engine, EngineCounters, EngineState, EngineStats, ProfileReport};
pub use finding::{Category, Finding};
pub use identity::{Chain, Origin};
pub use rules::{NoRules, RuleHit, RuleInfo, RuleMatcher};
pub use sigma::SigmaRules;
pub use suppress::{Suppression, SuppressionError};

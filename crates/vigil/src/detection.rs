//! Detection in the CLI: the [`EventFeed`] that runs every newly stored event through the
//! detection engine, restores the engine's state (baselines, sessions, open incidents,
//! suppressions) from the store before an ingest and saves it, with the alerts, after.
//!
//! The engine's settings come from `--detect-config FILE`, else `DATA_DIR/detect.toml` when
//! present, else the defaults. The suppressions a person manages (`vigil suppress`) live
//! under their own key and are handed to the engine at every load, so a change made while
//! an ingest runs is picked up by the next one and never overwritten by it.

use crate::cmd::feed::Timeline;
use crate::pipeline::EventFeed;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use vigil_detect::{DetectConfig, Engine, EngineState, EngineStats, RuleMatcher, SigmaRules};
use vigil_model::{Alert, AlertKind, Event, Severity};
use vigil_store::Store;

/// Where the engine's state lives in the store.
pub const STATE_NAMESPACE: &str = "detect";
const STATE_KEY: &str = "engine";
/// The suppressions `vigil suppress` manages ([`ManagedSuppressions`]).
pub const SUPPRESSIONS_KEY: &str = "suppressions";
/// The settings file looked for in the data directory.
pub const CONFIG_FILE: &str = "detect.toml";
/// Largest settings file read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// `--detect-config`, set once by the command line before any command runs.
static CONFIG_OVERRIDE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Makes `path` the settings file for this process (the `--detect-config` option).
pub fn use_config_file(path: PathBuf) {
    let _ = CONFIG_OVERRIDE.set(path);
}

/// The suppressions a person manages, with the counter that names new ones (ids are never
/// reused, so the engine's hit counts never pass to a different suppression).
#[derive(Debug, Default, Serialize, serde::Deserialize)]
pub struct ManagedSuppressions {
    pub next: u64,
    pub list: Vec<vigil_detect::Suppression>,
}

/// The few fields of the saved engine state that `vigil suppress` shows, read without
/// decoding the baselines.
#[derive(Debug, Default, serde::Deserialize)]
struct StateGlance {
    #[serde(default)]
    now: Option<vigil_model::Timestamp>,
    #[serde(default)]
    suppressions: Vec<vigil_detect::Suppression>,
}

fn glance(store: &Store) -> Result<StateGlance> {
    Ok(store
        .get_state(STATE_NAMESPACE, STATE_KEY)
        .context("reading the detection state")?
        .unwrap_or_default())
}

/// The newest event time detection has seen, if it has run.
pub fn engine_now(store: &Store) -> Result<Option<vigil_model::Timestamp>> {
    Ok(glance(store)?.now)
}

/// The suppressions as the engine last saved them (with what each held back).
pub fn engine_suppressions(store: &Store) -> Result<Vec<vigil_detect::Suppression>> {
    Ok(glance(store)?.suppressions)
}

/// The engine settings: `--detect-config`, else `DATA_DIR/detect.toml`, else the defaults.
/// A named file that cannot be read, or a file with an unknown key or a bad value, is a usage
/// error (exit 2) naming the file.
/// Without a data directory (`vigil rules hunt`) only `--detect-config` is looked at.
pub fn load_config(data_dir: Option<&Path>) -> Result<DetectConfig> {
    let (path, named) = match (CONFIG_OVERRIDE.get(), data_dir) {
        (Some(p), _) => (p.clone(), true),
        (None, Some(d)) => (d.join(CONFIG_FILE), false),
        (None, None) => return Ok(DetectConfig::default()),
    };
    if !named && !path.is_file() {
        return Ok(DetectConfig::default());
    }
    let shown = path.display().to_string();
    let meta = std::fs::metadata(&path).map_err(|e| {
        crate::exit::UnreadableInput(format!("cannot read detection settings `{shown}`: {e}"))
    })?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(crate::exit::UsageError(format!(
            "detection settings `{shown}` are larger than 1 MiB"
        ))
        .into());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        crate::exit::UnreadableInput(format!("cannot read detection settings `{shown}`: {e}"))
    })?;
    DetectConfig::from_toml(&text)
        .map_err(|e| crate::exit::UsageError(format!("detection settings `{shown}`: {e}")).into())
}

/// Environment variable naming rule directories (`:`-separated) to load instead of the defaults.
pub const RULES_ENV: &str = "VIGIL_RULES";

/// Runs detection on the events the pipeline hands over, checking their order on the way.
pub struct DetectFeed {
    engine: Engine,
    timeline: Timeline,
    alerts: std::collections::BTreeMap<String, Alert>,
    rules: RulesLoaded,
}

/// Which rule directories were loaded, and what did not load.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RulesLoaded {
    pub dirs: Vec<String>,
    pub rules: usize,
    pub problems: usize,
}

/// What detection did in one run.
#[derive(Debug, Clone, Serialize)]
pub struct DetectSummary {
    /// The settings detection ran with (defaults, DATA_DIR/detect.toml or --detect-config).
    pub config: DetectConfig,
    pub rules: RulesLoaded,
    pub alerts_written: usize,
    pub composites: usize,
    pub stats: EngineStats,
    /// The composites and high or critical alerts written, most severe first.
    pub top: Vec<AlertLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertLine {
    pub id: String,
    #[serde(rename = "type")]
    pub alert_type: String,
    pub kind: AlertKind,
    pub severity: Severity,
    pub title: String,
    pub score: f64,
    pub evidence: usize,
    pub children: usize,
}

impl DetectFeed {
    /// The engine with the state saved by the last run (or a fresh one), the settings of
    /// [`load_config`], the managed suppressions, and the rules found in `$VIGIL_RULES`,
    /// `DATA_DIR/rules` or the embedded pack.
    pub fn load(store: &Store, data_dir: &Path) -> Result<DetectFeed> {
        let state: EngineState = store
            .get_state(STATE_NAMESPACE, STATE_KEY)
            .context("reading the detection state")?
            .unwrap_or_default();
        let config = load_config(Some(data_dir))?;
        let managed: Option<ManagedSuppressions> = store
            .get_state(STATE_NAMESPACE, SUPPRESSIONS_KEY)
            .context("reading the suppressions")?;
        let (rules, loaded) = load_rules(&[], data_dir);
        let mut engine = Engine::restore(config, rules, state);
        if let Some(m) = managed {
            engine.set_suppressions(m.list);
        }
        Ok(DetectFeed {
            engine,
            timeline: Timeline::default(),
            alerts: Default::default(),
            rules: loaded,
        })
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Writes the alerts raised and the engine's state to the store.
    pub fn finish(mut self, store: &mut Store) -> Result<DetectSummary> {
        self.engine.flush();
        self.collect();
        let alerts: Vec<Alert> = std::mem::take(&mut self.alerts).into_values().collect();
        store.upsert_alerts(&alerts).context("storing the alerts")?;
        store
            .put_state(STATE_NAMESPACE, STATE_KEY, &self.engine.state())
            .context("saving the detection state")?;
        let mut top: Vec<AlertLine> = alerts
            .iter()
            .filter(|a| a.kind == AlertKind::Composite || a.severity >= Severity::High)
            .map(|a| AlertLine {
                id: a.id.clone(),
                alert_type: a.alert_type.clone(),
                kind: a.kind,
                severity: a.severity,
                title: a.title.clone(),
                score: a.score,
                evidence: a.evidence.len(),
                children: a.children.len(),
            })
            .collect();
        top.sort_by(|a, b| {
            (b.kind == AlertKind::Composite)
                .cmp(&(a.kind == AlertKind::Composite))
                .then(b.severity.cmp(&a.severity))
                .then(a.id.cmp(&b.id))
        });
        Ok(DetectSummary {
            config: self.engine.config().clone(),
            rules: self.rules.clone(),
            alerts_written: alerts.len(),
            composites: alerts
                .iter()
                .filter(|a| a.kind == AlertKind::Composite)
                .count(),
            stats: self.engine.stats(),
            top,
        })
    }

    fn collect(&mut self) {
        for a in self.engine.take_alerts() {
            self.alerts.insert(a.id.clone(), a);
        }
    }
}

impl EventFeed for DetectFeed {
    fn feed(&mut self, event: &Event) {
        self.timeline.feed(event);
        self.engine.process(event);
        // Hand alerts over now and then so the engine's output buffer stays small.
        if self.timeline.events.is_multiple_of(65_536) {
            self.collect();
        }
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// Rules from `given` when not empty, else `$VIGIL_RULES` (a path list) or `DATA_DIR/rules`
/// when present; otherwise the rule pack embedded in the binary at build time.
pub fn load_rules(given: &[PathBuf], data_dir: &Path) -> (Box<dyn RuleMatcher>, RulesLoaded) {
    let dirs: Vec<PathBuf> = if !given.is_empty() {
        given.to_vec()
    } else {
        match std::env::var_os(RULES_ENV) {
            Some(v) => std::env::split_paths(&v).collect(),
            None => vec![data_dir.join("rules")],
        }
    };
    let dirs: Vec<PathBuf> = dirs
        .into_iter()
        .filter(|d| d.is_dir() || !given.is_empty())
        .collect();
    let (set, problems, from) = if dirs.is_empty() {
        let sources = embedded::EMBEDDED_RULES
            .iter()
            .map(|(path, text)| vigil_sigma::RuleSource {
                path: Path::new("embedded:rules").join(path),
                text: (*text).to_string(),
            });
        let (set, problems) = vigil_sigma::RuleSet::from_sources(sources);
        (set, problems, vec!["embedded rule pack".to_string()])
    } else {
        let (set, problems) = vigil_sigma::RuleSet::load_paths(&dirs);
        let from = dirs.iter().map(|d| d.display().to_string()).collect();
        (set, problems, from)
    };
    let loaded = RulesLoaded {
        dirs: from,
        rules: set.len(),
        problems: problems.len(),
    };
    (Box::new(SigmaRules::new(set)), loaded)
}

/// The detection lines of a human report.
pub fn write_human(out: &mut impl std::io::Write, s: &DetectSummary) -> std::io::Result<()> {
    let st = &s.stats;
    writeln!(
        out,
        "detection: {} event(s), {} rule(s), {} identities baselined ({} B each on average, {} B largest), {} live role session(s)",
        st.counters.events,
        s.rules.rules,
        st.identities,
        st.baseline_bytes_per_identity,
        st.baseline_bytes_max,
        st.live_sessions
    )?;
    if st.app_baselines > 0 {
        writeln!(
            out,
            "  {} application baseline(s) on hosts ({} B largest, {} saturated, {} refused by the cap)",
            st.app_baselines, st.app_baseline_bytes_max, st.saturated_apps, st.apps_refused
        )?;
    }
    writeln!(
        out,
        "  {} finding(s) → {} alert(s) written ({} composite), {} grouped, {} suppressed ({} rule hit(s) dropped), {} quiet incident(s)",
        st.correlation.findings,
        s.alerts_written,
        s.composites,
        st.correlation.grouped,
        st.correlation.suppressed,
        st.correlation.suppressed_findings,
        st.correlation.quiet_incidents
    )?;
    for a in &s.top {
        writeln!(
            out,
            "  [{}] {} {}: {} (score {:.0}, {} evidence, {} children)",
            a.severity,
            a.kind.as_str(),
            a.alert_type,
            crate::output::cell(&a.title, 140),
            a.score,
            a.evidence,
            a.children
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_files(dir: &Path, n: &mut usize) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rule_files(&path, n);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                *n += 1;
            }
        }
    }

    /// The binary carries the whole rule pack of this checkout, and every rule in it loads.
    #[test]
    fn the_embedded_pack_is_the_rules_directory() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        let mut files = 0;
        rule_files(&root, &mut files);
        assert!(files > 100, "{files} rule files under {}", root.display());
        assert_eq!(embedded::EMBEDDED_RULES.len(), files);
        let empty = tempfile::tempdir().unwrap();
        // Nothing in the test environment sets VIGIL_RULES (it would replace the pack).
        let (_, loaded) = load_rules(&[], empty.path());
        assert_eq!(loaded.dirs, ["embedded rule pack"]);
        assert_eq!((loaded.rules, loaded.problems), (files, 0));
    }
}

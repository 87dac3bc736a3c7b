//! Detection in the CLI: the [`EventFeed`] that runs every newly stored event through the
//! detection engine, restores the engine's state (baselines, sessions, open incidents,
//! suppressions) from the store before an ingest and saves it, with the alerts, after.

use crate::cmd::feed::Timeline;
use crate::pipeline::EventFeed;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use vigil_detect::{DetectConfig, Engine, EngineState, EngineStats, RuleMatcher, SigmaRules};
use vigil_model::{Alert, AlertKind, Event, Severity};
use vigil_store::Store;

/// Where the engine's state lives in the store.
const STATE_NAMESPACE: &str = "detect";
const STATE_KEY: &str = "engine";

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
    /// The engine with the state saved by the last run (or a fresh one) and the rules found
    /// in `$VIGIL_RULES`, `DATA_DIR/rules` and the source tree's `rules/`.
    pub fn load(store: &Store, data_dir: &Path) -> Result<DetectFeed> {
        let state: EngineState = store
            .get_state(STATE_NAMESPACE, STATE_KEY)
            .context("reading the detection state")?
            .unwrap_or_default();
        let (rules, loaded) = load_rules(data_dir);
        Ok(DetectFeed {
            engine: Engine::restore(DetectConfig::default(), rules, state),
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

/// Rules from `$VIGIL_RULES` (a path list) or `DATA_DIR/rules` when present; otherwise the
/// rule pack embedded in the binary at build time.
fn load_rules(data_dir: &Path) -> (Box<dyn RuleMatcher>, RulesLoaded) {
    let dirs: Vec<PathBuf> = match std::env::var_os(RULES_ENV) {
        Some(v) => std::env::split_paths(&v).collect(),
        None => vec![data_dir.join("rules")],
    };
    let dirs: Vec<PathBuf> = dirs.into_iter().filter(|d| d.is_dir()).collect();
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
    writeln!(
        out,
        "  {} finding(s) → {} alert(s) written ({} composite), {} grouped, {} suppressed, {} quiet incident(s)",
        st.correlation.findings,
        s.alerts_written,
        s.composites,
        st.correlation.grouped,
        st.correlation.suppressed,
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

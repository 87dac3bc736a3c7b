//! Tunables of the engine. Every duration is in milliseconds of event time: the engine has no
//! clock, "now" is the newest event time it has seen.

use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectConfig {
    /// How long an identity is watched before its "never did this" findings count.
    pub learning_period_ms: i64,
    /// Findings on one chain this close together belong to one incident.
    pub incident_window_ms: i64,
    /// An alert with no new evidence for this long is closed; a later hit opens a new one.
    pub group_idle_ms: i64,
    /// The longest an STS session is kept when its expiry is unknown or absurd.
    pub max_session_ms: i64,
    /// Distinct regions of List/Describe/Get calls within an hour that make a discovery burst.
    pub discovery_regions: usize,
    /// Failed calls within an hour (at least this, and 3× the learned rate) that make a spike.
    pub denied_spike_min: u32,
    /// Events within an hour (at least this, and 3× the learned peak) that make a volume spike.
    pub volume_spike_min: u32,
    /// Score (0–100) an incident needs before it becomes a composite alert.
    pub composite_min_score: f64,
    /// Most values kept per baseline dimension for one identity.
    pub max_values_per_dimension: usize,
    /// Most evidence items kept on one alert.
    pub max_evidence: usize,
    /// Deletes (or re-encrypting writes) in S3 within 10 minutes that look like ransomware.
    pub ransomware_min_objects: u32,
    /// Instances launched within an hour that look like mining when the type or region is new.
    pub cryptomining_min_instances: u32,
    /// S3 object reads within an hour after discovery that look like mass collection.
    pub mass_read_min_objects: u32,
    /// Most values kept per dimension (binaries, children, destinations, listening ports) of
    /// one application's host baseline.
    pub max_app_values: usize,
    /// Most applications baselined per host; later ones are not baselined.
    pub max_apps_per_host: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            learning_period_ms: 7 * DAY,
            incident_window_ms: 6 * HOUR,
            group_idle_ms: DAY,
            max_session_ms: 36 * HOUR,
            discovery_regions: 5,
            denied_spike_min: 10,
            volume_spike_min: 200,
            composite_min_score: 60.0,
            max_values_per_dimension: 512,
            max_evidence: 400,
            ransomware_min_objects: 100,
            cryptomining_min_instances: 5,
            mass_read_min_objects: 500,
            max_app_values: 256,
            max_apps_per_host: 128,
        }
    }
}

pub(crate) const HOUR_MS: i64 = HOUR;

//! The detection settings file (`detect.toml`): the tunables of [`DetectConfig`] in sections a
//! person can read, durations written with units (`"7d"`, `"6h"`). Every key is optional (an
//! absent one keeps its default); an unknown key or section is an error naming it, so a typo
//! never silently leaves a default in force. `docs/detect.example.toml` shows every key.

use crate::config::DetectConfig;
use serde::Deserialize;

/// A settings file that cannot be used, with the reason (and the place, for syntax errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    learning: Learning,
    #[serde(default)]
    correlation: Correlation,
    #[serde(default)]
    sessions: Sessions,
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    caps: Caps,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Learning {
    /// How long an identity or application is watched before "never did this" counts.
    period: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Correlation {
    incident_window: Option<String>,
    group_idle: Option<String>,
    composite_min_score: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sessions {
    max_session: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Thresholds {
    discovery_regions: Option<usize>,
    denied_spike_min: Option<u32>,
    volume_spike_min: Option<u32>,
    ransomware_min_objects: Option<u32>,
    cryptomining_min_instances: Option<u32>,
    mass_read_min_objects: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Caps {
    max_values_per_dimension: Option<usize>,
    max_evidence: Option<usize>,
    max_app_values: Option<usize>,
    max_apps_per_host: Option<usize>,
}

impl DetectConfig {
    /// The defaults overridden by a `detect.toml` text.
    pub fn from_toml(text: &str) -> Result<DetectConfig, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        let mut c = DetectConfig::default();
        set_duration(
            &mut c.learning_period_ms,
            file.learning.period,
            "learning.period",
        )?;
        let co = file.correlation;
        set_duration(
            &mut c.incident_window_ms,
            co.incident_window,
            "correlation.incident_window",
        )?;
        set_duration(
            &mut c.group_idle_ms,
            co.group_idle,
            "correlation.group_idle",
        )?;
        if let Some(s) = co.composite_min_score {
            if !(0.0..=100.0).contains(&s) {
                return Err(ConfigError(format!(
                    "correlation.composite_min_score: `{s}` is not between 0 and 100"
                )));
            }
            c.composite_min_score = s;
        }
        set_duration(
            &mut c.max_session_ms,
            file.sessions.max_session,
            "sessions.max_session",
        )?;
        let t = file.thresholds;
        set_count(
            &mut c.discovery_regions,
            t.discovery_regions,
            "thresholds.discovery_regions",
        )?;
        set_count(
            &mut c.denied_spike_min,
            t.denied_spike_min,
            "thresholds.denied_spike_min",
        )?;
        set_count(
            &mut c.volume_spike_min,
            t.volume_spike_min,
            "thresholds.volume_spike_min",
        )?;
        set_count(
            &mut c.ransomware_min_objects,
            t.ransomware_min_objects,
            "thresholds.ransomware_min_objects",
        )?;
        set_count(
            &mut c.cryptomining_min_instances,
            t.cryptomining_min_instances,
            "thresholds.cryptomining_min_instances",
        )?;
        set_count(
            &mut c.mass_read_min_objects,
            t.mass_read_min_objects,
            "thresholds.mass_read_min_objects",
        )?;
        let k = file.caps;
        set_count(
            &mut c.max_values_per_dimension,
            k.max_values_per_dimension,
            "caps.max_values_per_dimension",
        )?;
        set_count(&mut c.max_evidence, k.max_evidence, "caps.max_evidence")?;
        set_count(
            &mut c.max_app_values,
            k.max_app_values,
            "caps.max_app_values",
        )?;
        set_count(
            &mut c.max_apps_per_host,
            k.max_apps_per_host,
            "caps.max_apps_per_host",
        )?;
        Ok(c)
    }
}

fn set_duration(slot: &mut i64, value: Option<String>, key: &str) -> Result<(), ConfigError> {
    if let Some(v) = value {
        *slot = parse_duration_ms(&v).map_err(|e| ConfigError(format!("{key}: {e}")))?;
    }
    Ok(())
}

fn set_count<T: PartialEq + Default + Copy>(
    slot: &mut T,
    value: Option<T>,
    key: &str,
) -> Result<(), ConfigError> {
    if let Some(v) = value {
        if v == T::default() {
            return Err(ConfigError(format!("{key}: must be at least 1")));
        }
        *slot = v;
    }
    Ok(())
}

/// `"90s"`, `"15m"`, `"6h"`, `"7d"`, `"2w"`, `"500ms"` → milliseconds (more than zero).
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit_ms: i64 = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => {
            return Err(format!(
                "`{text}` is not a duration: write a number and a unit (ms, s, m, h, d, w), e.g. `7d`"
            ));
        }
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: it needs a number before the unit"))?;
    match n.checked_mul(unit_ms) {
        Some(ms) if ms > 0 => Ok(ms),
        Some(_) => Err(format!("`{text}`: a duration must be longer than zero")),
        None => Err(format!("`{text}` is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_overrides_and_the_rest_keeps_defaults() {
        let c = DetectConfig::from_toml(
            r#"
[learning]
period = "3d"
[correlation]
incident_window = "2h"
composite_min_score = 50
[thresholds]
discovery_regions = 8
[caps]
max_app_values = 64
"#,
        )
        .unwrap();
        assert_eq!(c.learning_period_ms, 3 * 86_400_000);
        assert_eq!(c.incident_window_ms, 2 * 3_600_000);
        assert!((c.composite_min_score - 50.0).abs() < f64::EPSILON);
        assert_eq!(c.discovery_regions, 8);
        assert_eq!(c.max_app_values, 64);
        let d = DetectConfig::default();
        assert_eq!(c.group_idle_ms, d.group_idle_ms);
        assert_eq!(c.max_evidence, d.max_evidence);
        assert_eq!(DetectConfig::from_toml("").unwrap(), d);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let e = DetectConfig::from_toml("[learning]\nperiods = \"3d\"\n").unwrap_err();
        assert!(e.0.contains("unknown field `periods`"), "{e}");
        let e = DetectConfig::from_toml("[baseline]\nperiod = \"3d\"\n").unwrap_err();
        assert!(e.0.contains("unknown field `baseline`"), "{e}");
        let e = DetectConfig::from_toml("[learning]\nperiod = \"3 days\"\n").unwrap_err();
        assert!(e.0.starts_with("learning.period:"), "{e}");
        let e = DetectConfig::from_toml("[caps]\nmax_evidence = 0\n").unwrap_err();
        assert!(e.0.contains("caps.max_evidence"), "{e}");
        let e = DetectConfig::from_toml("[correlation]\ncomposite_min_score = 120\n").unwrap_err();
        assert!(e.0.contains("between 0 and 100"), "{e}");
        assert!(DetectConfig::from_toml("[caps]\nmax_evidence = -1\n").is_err());
    }

    #[test]
    fn the_documented_example_is_the_defaults() {
        let text = include_str!("../../../docs/detect.example.toml");
        assert_eq!(
            DetectConfig::from_toml(text).unwrap(),
            DetectConfig::default()
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("90s"), Ok(90_000));
        assert_eq!(parse_duration_ms("2w"), Ok(14 * 86_400_000));
        assert!(parse_duration_ms("0d").is_err());
        assert!(parse_duration_ms("d").is_err());
        assert!(parse_duration_ms("7").is_err());
        assert!(parse_duration_ms("99999999999999999d").is_err());
    }
}

//! Per-application baselines on a host: what each application normally does, learned over the
//! learning period, so that afterwards "this app never did that" can be said with the baseline
//! it is measured against.
//!
//! An application is a container image (`image:<name>`) for containerised processes, else the
//! executable of the service's root process (`exe:<path>`: the process started by PID 1, or
//! whose parent is not known). Every process inherits its parent's application, so a shell an
//! exploited web app spawns, and anything that shell runs, count against the web app.
//!
//! Four dimensions per application: binaries executed (full path), child processes (parent
//! name → child name), outbound destinations (`a.b.c.0/24:port`, IPv6 `/64:port`) and
//! listening ports. Each is a capped set of hashes (`caps.max_app_values`); applications per
//! host are capped too (`caps.max_apps_per_host`). A full set stops learning and stops
//! reporting (it could not tell new from forgotten); the report shows it as saturated.

use crate::baseline::ValueSet;
use crate::config::DetectConfig;
use crate::fasthash::{FastMap, value_hash};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use vigil_model::Timestamp;

/// A dimension of an application's baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppDimension {
    Binary,
    Child,
    Destination,
    ListenPort,
}

impl AppDimension {
    fn seed(self) -> u8 {
        match self {
            AppDimension::Binary => 61,
            AppDimension::Child => 62,
            AppDimension::Destination => 63,
            AppDimension::ListenPort => 64,
        }
    }

    /// What the dimension holds, as a sentence fragment.
    pub fn what(self) -> &'static str {
        match self {
            AppDimension::Binary => "binary",
            AppDimension::Child => "child process",
            AppDimension::Destination => "outbound destination",
            AppDimension::ListenPort => "listening port",
        }
    }
}

/// What one application on one host has been seen doing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppBaseline {
    pub name: String,
    pub first_seen: Timestamp,
    pub events: u64,
    pub binaries: ValueSet,
    pub children: ValueSet,
    pub destinations: ValueSet,
    pub listen_ports: ValueSet,
}

impl AppBaseline {
    fn set(&mut self, d: AppDimension) -> &mut ValueSet {
        match d {
            AppDimension::Binary => &mut self.binaries,
            AppDimension::Child => &mut self.children,
            AppDimension::Destination => &mut self.destinations,
            AppDimension::ListenPort => &mut self.listen_ports,
        }
    }

    fn sets(&self) -> [&ValueSet; 4] {
        [
            &self.binaries,
            &self.children,
            &self.destinations,
            &self.listen_ports,
        ]
    }

    /// Approximate heap and inline size (a set slot is the 8-byte hash plus a control byte
    /// at up to 7/8 load).
    pub fn memory_bytes(&self) -> usize {
        let values: usize = self.sets().iter().map(|s| s.len()).sum();
        std::mem::size_of::<AppBaseline>() + self.name.len() + values * 10
    }

    /// Whether any dimension hit its cap.
    pub fn saturated(&self) -> bool {
        self.sets().iter().any(|s| s.overflow() > 0)
    }
}

/// Something an application did that its baseline never saw.
#[derive(Debug, Clone)]
pub struct AppNovelty {
    pub dimension: AppDimension,
    pub value: String,
    pub app: String,
    /// Values the baseline held before this one.
    pub known: usize,
    pub since: Timestamp,
}

impl AppNovelty {
    /// The explanation: what is new against which baseline.
    pub fn explain(&self, host_id: &str) -> String {
        format!(
            "application {} on {host_id} had never used {} {} ({} known, learned since {})",
            self.app,
            self.dimension.what(),
            self.value,
            self.known,
            self.since
        )
    }
}

/// The application baselines of one host.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppBaselines {
    apps: FastMap<u64, AppBaseline>,
    /// Applications not baselined because the host already had `max_apps_per_host`.
    #[serde(default)]
    pub refused: u64,
}

impl AppBaselines {
    pub fn len(&self) -> usize {
        self.apps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &AppBaseline> {
        self.apps.values()
    }

    /// Makes sure application `key` (named by `name()`) has a baseline; false when the host
    /// is at its cap and the application is new.
    pub fn ensure(
        &mut self,
        key: u64,
        name: impl FnOnce() -> String,
        now: Timestamp,
        config: &DetectConfig,
    ) -> bool {
        if self.apps.contains_key(&key) {
            return true;
        }
        if self.apps.len() >= config.max_apps_per_host {
            self.refused += 1;
            return false;
        }
        self.apps.insert(
            key,
            AppBaseline {
                name: name(),
                first_seen: now,
                events: 0,
                binaries: ValueSet::default(),
                children: ValueSet::default(),
                destinations: ValueSet::default(),
                listen_ports: ValueSet::default(),
            },
        );
        true
    }

    /// Learns a value (its hash `h`, its text made by `value()` only when needed) in
    /// `dimension` of application `key`; after the learning period a value the baseline
    /// never held is returned as a novelty (and learned, so it is said once).
    pub fn observe(
        &mut self,
        key: u64,
        dimension: AppDimension,
        h: u64,
        value: impl FnOnce() -> String,
        now: Timestamp,
        config: &DetectConfig,
    ) -> Option<AppNovelty> {
        if key == 0 {
            return None;
        }
        let app = self.apps.get_mut(&key)?;
        app.events += 1;
        let learning = now.as_millis() < app.first_seen.as_millis() + config.learning_period_ms;
        let since = app.first_seen;
        let set = app.set(dimension);
        if set.contains(h) {
            return None;
        }
        let known = set.len();
        let full = known >= config.max_app_values;
        set.learn(h, config.max_app_values);
        if learning || full {
            return None;
        }
        Some(AppNovelty {
            dimension,
            value: value(),
            app: app.name.clone(),
            known,
            since,
        })
    }
}

/// The hash of a binary's path.
pub fn binary_hash(exe: &str) -> u64 {
    value_hash(AppDimension::Binary.seed(), exe)
}

/// The hash of a parent → child pair of process names, without building the pair's text.
pub fn child_hash(parent: &str, child: &str) -> u64 {
    let p = value_hash(AppDimension::Child.seed(), parent);
    xxhash_rust::xxh3::xxh3_64_with_seed(child.as_bytes(), p)
}

/// The hash of a destination as [`destination`] names it, without building the text.
pub fn destination_hash(ip: &str, port: u16) -> u64 {
    let seed = u64::from(AppDimension::Destination.seed());
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            let n = (u64::from(o[0]) << 40)
                | (u64::from(o[1]) << 32)
                | (u64::from(o[2]) << 24)
                | u64::from(port);
            xxhash_rust::xxh3::xxh3_64_with_seed(&n.to_le_bytes(), seed)
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let mut b = [0u8; 10];
            for (i, seg) in s.iter().take(4).enumerate() {
                b[i * 2..i * 2 + 2].copy_from_slice(&seg.to_le_bytes());
            }
            b[8..].copy_from_slice(&port.to_le_bytes());
            xxhash_rust::xxh3::xxh3_64_with_seed(&b, seed ^ 6)
        }
        Err(_) => {
            let p = xxhash_rust::xxh3::xxh3_64_with_seed(ip.as_bytes(), seed ^ 7);
            p ^ u64::from(port).rotate_left(17)
        }
    }
}

/// The hash of a listening port.
pub fn listen_hash(port: u16) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(
        &port.to_le_bytes(),
        u64::from(AppDimension::ListenPort.seed()),
    )
}

/// The key of an application name.
pub fn app_key(name: &str) -> u64 {
    // 0 means "no application"; a real hash of 0 is vanishingly unlikely and only loses
    // that one application's baseline.
    value_hash(60, name)
}

/// `a.b.c.0/24:port` for IPv4, the /64 for IPv6, the text itself otherwise.
pub fn destination(ip: &str, port: u16) -> String {
    let mut out = String::with_capacity(24);
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            let _ = write!(out, "{}.{}.{}.0/24:{port}", o[0], o[1], o[2]);
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let _ = write!(
                out,
                "[{:x}:{:x}:{:x}:{:x}::/64]:{port}",
                s[0], s[1], s[2], s[3]
            );
        }
        Err(_) => {
            let _ = write!(out, "{ip}:{port}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_then_reports_once_and_respects_caps() {
        let config = DetectConfig {
            learning_period_ms: 1_000,
            max_app_values: 2,
            max_apps_per_host: 1,
            ..DetectConfig::default()
        };
        let mut b = AppBaselines::default();
        let t = |ms: i64| Timestamp::from_millis(ms);
        let k = app_key("exe:/usr/sbin/nginx");
        assert!(b.ensure(k, || "exe:/usr/sbin/nginx".into(), t(0), &config));
        assert!(!b.ensure(app_key("other"), || "other".into(), t(0), &config));
        assert_eq!(b.refused, 1);
        let d = AppDimension::Binary;
        let mut see = |exe: &str, ms: i64| {
            b.observe(k, d, binary_hash(exe), || exe.to_string(), t(ms), &config)
        };
        assert!(see("/usr/sbin/nginx", 10).is_none());
        let n = see("/bin/sh", 2_000).unwrap();
        assert_eq!(n.known, 1);
        assert!(
            n.explain("i-1")
                .contains("never used binary /bin/sh (1 known")
        );
        assert!(see("/bin/sh", 2_001).is_none());
        // Full: not learned, not reported, and shown as saturated.
        assert!(see("/bin/ls", 2_002).is_none());
        assert!(b.iter().all(AppBaseline::saturated));
    }

    #[test]
    fn destinations_are_grouped_by_network() {
        assert_eq!(destination("203.0.113.77", 4444), "203.0.113.0/24:4444");
        assert_eq!(
            destination("2001:db8:1:2:3::9", 443),
            "[2001:db8:1:2::/64]:443"
        );
        assert_eq!(destination("not-an-ip", 80), "not-an-ip:80");
        assert_eq!(
            destination_hash("203.0.113.77", 4444),
            destination_hash("203.0.113.5", 4444)
        );
        assert_ne!(
            destination_hash("203.0.113.77", 4444),
            destination_hash("203.0.114.77", 4444)
        );
        assert_ne!(
            destination_hash("203.0.113.77", 4444),
            destination_hash("203.0.113.77", 4445)
        );
        assert_ne!(child_hash("nginx", "sh"), child_hash("sh", "nginx"));
    }
}

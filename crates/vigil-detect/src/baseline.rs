//! Behaviour baselines (the polygraph idea): per access key, principal, role and account, the
//! set of regions, services, API calls, source networks, user-agent families and roles assumed
//! it has been seen using, with error and hourly-volume peaks. After an identity's learning
//! period, a value it never used is a [`Novelty`]; the baseline then learns the value (it keeps
//! learning), so each new thing is reported once.
//!
//! Values are kept as stable 64-bit hashes: memory per identity is about 8 bytes per value
//! plus a fixed part, capped per dimension (see [`Profile::memory_bytes`]).

use crate::config::{DetectConfig, HOUR_MS};
use crate::fasthash::{FastMap, FastSet, value_hash};
use crate::features::Features;
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

/// What kind of identity a baseline is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    AccessKey,
    Principal,
    Role,
    Account,
    /// An application on a host (container image, or the executable of a service's root
    /// process): see [`crate::host::apps`].
    Application,
}

impl ProfileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::AccessKey => "access key",
            ProfileKind::Principal => "principal",
            ProfileKind::Role => "role",
            ProfileKind::Account => "account",
            ProfileKind::Application => "application",
        }
    }
}

/// A baseline dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Region,
    Service,
    Api,
    Network,
    UserAgent,
    AssumedRole,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Region => "region",
            Dimension::Service => "service",
            Dimension::Api => "API call",
            Dimension::Network => "source network",
            Dimension::UserAgent => "user-agent family",
            Dimension::AssumedRole => "role assumed",
        }
    }
}

/// One set of learned values, capped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ValueSet {
    values: FastSet<u64>,
    /// Values refused because the set was full.
    #[serde(default)]
    overflow: u32,
    /// The value last learned or met, always one of `values`: an identity repeats its region,
    /// network and user agent call after call, and this answers them without a probe of the
    /// set's table (a cache miss more often than not, with thousands of profiles).
    #[serde(skip)]
    last: Option<u64>,
}

impl ValueSet {
    /// Learns `h`; returns whether it was new.
    pub(crate) fn learn(&mut self, h: u64, cap: usize) -> bool {
        if self.last == Some(h) {
            return false;
        }
        if self.values.contains(&h) {
            self.last = Some(h);
            return false;
        }
        if self.values.len() < cap {
            self.values.insert(h);
            self.last = Some(h);
        } else {
            self.overflow = self.overflow.saturating_add(1);
        }
        true
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub(crate) fn contains(&self, h: u64) -> bool {
        self.values.contains(&h)
    }

    /// Values refused because the set was full.
    pub fn overflow(&self) -> u32 {
        self.overflow
    }
}

/// What one identity has been seen doing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub kind: ProfileKind,
    pub name: String,
    /// The account the identity lives in (for rarity across the account).
    pub account: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub events: u64,
    pub errors: u64,
    pub regions: ValueSet,
    pub services: ValueSet,
    pub apis: ValueSet,
    pub networks: ValueSet,
    pub user_agents: ValueSet,
    pub roles: ValueSet,
    pub peak_hourly: u32,
    pub peak_hourly_denied: u32,
    /// Most distinct regions of List/Describe/Get calls within an hour while learning.
    #[serde(default)]
    pub peak_discovery_regions: u32,
    hour: i64,
    hour_count: u32,
    hour_denied: u32,
    /// Recent List/Describe/Get regions: (region hash, last time).
    recent_discovery: Vec<(u64, i64)>,
    /// The hour a spike or burst was last reported in, per kind (volume, denied, discovery).
    reported_hour: [i64; 3],
    /// For accounts: API hash → how many identities of the account have used it.
    #[serde(default)]
    api_users: FastMap<u64, u32>,
    #[serde(default)]
    identities: u32,
}

impl Profile {
    fn new(kind: ProfileKind, name: &str, account: &str, now: Timestamp) -> Self {
        Profile {
            kind,
            name: name.to_string(),
            account: account.to_string(),
            first_seen: now,
            last_seen: now,
            events: 0,
            errors: 0,
            regions: ValueSet::default(),
            services: ValueSet::default(),
            apis: ValueSet::default(),
            networks: ValueSet::default(),
            user_agents: ValueSet::default(),
            roles: ValueSet::default(),
            peak_hourly: 0,
            peak_hourly_denied: 0,
            peak_discovery_regions: 0,
            hour: i64::MIN,
            hour_count: 0,
            hour_denied: 0,
            recent_discovery: Vec::new(),
            reported_hour: [i64::MIN; 3],
            api_users: FastMap::default(),
            identities: 0,
        }
    }

    pub fn learning(&self, now: Timestamp, config: &DetectConfig) -> bool {
        now.as_millis() < self.first_seen.as_millis() + config.learning_period_ms
    }

    /// Values learned across every dimension.
    pub fn values(&self) -> usize {
        self.regions.len()
            + self.services.len()
            + self.apis.len()
            + self.networks.len()
            + self.user_agents.len()
            + self.roles.len()
            + self.api_users.len()
    }

    /// Approximate heap and inline bytes this baseline holds.
    pub fn memory_bytes(&self) -> usize {
        // A hash set slot is the 8-byte value plus a control byte, at up to 7/8 load.
        let sets = self.values() * 10;
        std::mem::size_of::<Profile>()
            + self.name.len()
            + self.account.len()
            + sets
            + self.api_users.len() * 4
            + self.recent_discovery.capacity() * 16
    }

    /// Whether any dimension hit its cap.
    pub fn saturated(&self) -> bool {
        [
            &self.regions,
            &self.services,
            &self.apis,
            &self.networks,
            &self.user_agents,
            &self.roles,
        ]
        .iter()
        .any(|s| s.overflow > 0)
    }
}

/// Something an identity had never done, against which baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Novelty {
    pub profile: ProfileKind,
    pub name: String,
    pub dimension: Dimension,
    /// Values learned in that dimension before this one.
    pub known: usize,
    pub since: Timestamp,
    /// For API calls: 0 (used by every identity of the account) … 1 (by none).
    pub rarity: f64,
}

/// A rate anomaly on the identity a chain starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spike {
    Volume { count: u32, peak: u32 },
    Denied { count: u32, peak: u32 },
    Discovery { regions: usize, known: usize },
}

/// What one observation says beyond novelties: whether the call was new for the most specific
/// identity (the role in use, else the root), even while learning, and whether the account is
/// still in its learning period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    pub api_new: bool,
    pub account_learning: bool,
}

/// Which identities one event is about: (kind, name); the first is the chain's root.
pub type Subjects<'a> = [Option<(ProfileKind, &'a str)>; 4];

/// Every baseline, keyed by a hash of (kind, name).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Baselines {
    profiles: FastMap<u64, Profile>,
    /// Identities not tracked because the table was full.
    #[serde(default)]
    pub untracked: u64,
}

/// Most identities tracked at once.
const MAX_PROFILES: usize = 250_000;

fn profile_key(kind: ProfileKind, name: &str) -> u64 {
    value_hash(10 + kind as u8, name)
}

impl Baselines {
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    pub fn get(&self, kind: ProfileKind, name: &str) -> Option<&Profile> {
        self.profiles.get(&profile_key(kind, name))
    }

    /// Whether `subject` has called this API before (after its learning period).
    pub fn habitual(&self, kind: ProfileKind, name: &str, api_h: u64) -> bool {
        self.get(kind, name).is_some_and(|p| p.apis.contains(api_h))
    }

    /// Checks one event against the baselines of its subjects, then learns it.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        subjects: &Subjects<'_>,
        account: &str,
        f: &Features<'_>,
        assumed_role: Option<&str>,
        now: Timestamp,
        config: &DetectConfig,
        novelties: &mut Vec<Novelty>,
        spikes: &mut Vec<Spike>,
    ) -> Observed {
        let mut observed = Observed::default();
        let specific = if subjects[2].is_some() { 2 } else { 0 };
        let cap = config.max_values_per_dimension;
        let role_h = assumed_role.map(|r| value_hash(crate::features::DIM_ROLE, r));
        // Rarity across the account of this API call, read before this event is learned.
        let acct_key = profile_key(ProfileKind::Account, account);
        let rarity = self.profiles.get(&acct_key).map_or(1.0, |a| {
            let users = a.api_users.get(&f.api_h).copied().unwrap_or(0);
            1.0 - f64::from(users) / f64::from(a.identities.max(users).max(1))
        });
        let mut new_api_for_identity = 0u32;
        for (i, subject) in subjects.iter().enumerate() {
            let Some((kind, name)) = *subject else {
                continue;
            };
            let key = profile_key(kind, name);
            if !self.profiles.contains_key(&key) {
                if self.profiles.len() >= MAX_PROFILES {
                    self.untracked += 1;
                    continue;
                }
                self.profiles
                    .insert(key, Profile::new(kind, name, account, now));
                if kind != ProfileKind::Account
                    && let Some(a) = self.profiles.get_mut(&acct_key)
                {
                    a.identities = a.identities.saturating_add(1);
                }
            }
            let Some(p) = self.profiles.get_mut(&key) else {
                continue;
            };
            let watching = !p.learning(now, config);
            p.last_seen = now;
            p.events += 1;
            p.errors += u64::from(f.error);
            let mut note = |p: &Profile, dimension, known| {
                if watching {
                    novelties.push(Novelty {
                        profile: p.kind,
                        name: p.name.clone(),
                        dimension,
                        known,
                        since: p.first_seen,
                        rarity: if dimension == Dimension::Api {
                            rarity
                        } else {
                            0.0
                        },
                    });
                }
            };
            if f.region.is_some() {
                let known = p.regions.len();
                if p.regions.learn(f.region_h, cap) {
                    note(p, Dimension::Region, known);
                }
            }
            if f.network.is_some() {
                let known = p.networks.len();
                if p.networks.learn(f.network_h, cap) {
                    note(p, Dimension::Network, known);
                }
            }
            if f.ua_family.is_some() {
                let known = p.user_agents.len();
                if p.user_agents.learn(f.ua_h, cap) {
                    note(p, Dimension::UserAgent, known);
                }
            }
            // A refused call teaches nothing about what the identity normally does.
            if !f.error {
                let known = p.services.len();
                if p.services.learn(f.service_h, cap) {
                    note(p, Dimension::Service, known);
                }
                let known = p.apis.len();
                if p.apis.learn(f.api_h, cap) {
                    observed.api_new |= i == specific;
                    if kind != ProfileKind::Account {
                        new_api_for_identity += 1;
                    }
                    // An API new to a service-new identity is already said by the service.
                    note(p, Dimension::Api, known);
                }
                if let Some(rh) = role_h {
                    let known = p.roles.len();
                    if p.roles.learn(rh, cap) {
                        note(p, Dimension::AssumedRole, known);
                    }
                }
            }
            if i == 0 {
                rates(p, f, now, config, watching, spikes);
            }
            if kind == ProfileKind::Account {
                observed.account_learning = !watching;
            }
        }
        if new_api_for_identity > 0
            && let Some(a) = self.profiles.get_mut(&acct_key)
        {
            *a.api_users.entry(f.api_h).or_default() += 1;
        }
        observed
    }
}

/// Hourly volume, refusals and multi-region discovery of the chain's root identity.
fn rates(
    p: &mut Profile,
    f: &Features<'_>,
    now: Timestamp,
    config: &DetectConfig,
    watching: bool,
    spikes: &mut Vec<Spike>,
) {
    let t = now.as_millis();
    let hour = t.div_euclid(HOUR_MS);
    if hour != p.hour {
        if p.hour != i64::MIN {
            p.peak_hourly = p.peak_hourly.max(p.hour_count);
            p.peak_hourly_denied = p.peak_hourly_denied.max(p.hour_denied);
        }
        p.hour = hour;
        p.hour_count = 0;
        p.hour_denied = 0;
    }
    p.hour_count = p.hour_count.saturating_add(1);
    p.hour_denied = p.hour_denied.saturating_add(u32::from(f.denied));
    if !watching {
        p.peak_hourly = p.peak_hourly.max(p.hour_count);
        p.peak_hourly_denied = p.peak_hourly_denied.max(p.hour_denied);
    }
    if f.discovery
        && let Some(_) = f.region
    {
        p.recent_discovery.retain(|(_, at)| t - at < HOUR_MS);
        let len = p.recent_discovery.len();
        match p
            .recent_discovery
            .iter_mut()
            .find(|(h, _)| *h == f.region_h)
        {
            Some(slot) => slot.1 = t,
            None if len < 64 => p.recent_discovery.push((f.region_h, t)),
            None => {}
        }
    }
    if !watching {
        p.peak_discovery_regions = p
            .peak_discovery_regions
            .max(p.recent_discovery.len() as u32);
        return;
    }
    let volume_at = config.volume_spike_min.max(p.peak_hourly.saturating_mul(3));
    if p.hour_count > volume_at && p.reported_hour[0] != hour {
        p.reported_hour[0] = hour;
        spikes.push(Spike::Volume {
            count: p.hour_count,
            peak: p.peak_hourly,
        });
    }
    let denied_at = config
        .denied_spike_min
        .max(p.peak_hourly_denied.saturating_mul(3));
    if f.denied && p.hour_denied >= denied_at && p.reported_hour[1] != hour {
        p.reported_hour[1] = hour;
        spikes.push(Spike::Denied {
            count: p.hour_denied,
            peak: p.peak_hourly_denied,
        });
    }
    let known = p.peak_discovery_regions as usize;
    let burst_at = config.discovery_regions.max(known + 3);
    if f.discovery && p.recent_discovery.len() >= burst_at && p.reported_hour[2] != hour {
        p.reported_hour[2] = hour;
        spikes.push(Spike::Discovery {
            regions: p.recent_discovery.len(),
            known,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::ValueSet;

    #[test]
    fn a_value_set_answers_repeats_and_refusals_alike_with_its_last_value() {
        let mut s = ValueSet::default();
        assert!(s.learn(1, 2));
        assert!(!s.learn(1, 2), "a repeat is known");
        assert!(s.learn(2, 2));
        assert!(!s.learn(1, 2), "an earlier value is known");
        assert!(!s.learn(2, 2));
        // Full: a new value is new every time it comes (and counted), never remembered.
        assert!(s.learn(3, 2));
        assert!(s.learn(3, 2));
        assert_eq!((s.len(), s.overflow()), (2, 2));
        assert!(!s.contains(3));
        assert!(!s.learn(2, 2));
        assert!(!s.learn(1, 2));
        // The value last met does not survive a store round trip, the set does.
        let back: ValueSet = serde_json::from_str(&serde_json::to_string(&s).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!((back.len(), back.overflow()), (2, 2));
        assert!(back.contains(1) && back.contains(2) && !back.contains(3));
    }
}

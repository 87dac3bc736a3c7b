//! The Interlace Labs story (PRODUCT.md) as files in the real formats Vigil ingests: raw
//! CloudTrail in its S3 layout, the agent's JSON lines, AWS CLI inventory output and the
//! compromised host's filesystem, plus a [`DemoManifest`] naming the story's facts.
//!
//! Deterministic: the same [`DemoConfig`] gives byte-identical files. Every random choice
//! comes from a ChaCha8 stream seeded from `seed` (one stream per output kind, so a change to
//! one generator does not reshuffle the others), and nothing reads the wall clock.
//!
//! ```no_run
//! let manifest = vigil_demo::generate(
//!     std::path::Path::new("/tmp/demo"),
//!     &vigil_demo::DemoConfig::default(),
//! )?;
//! println!("attacker at {}", manifest.attacker_ip);
//! # Ok::<(), vigil_demo::DemoError>(())
//! ```

mod agent;
mod attack;
mod clock;
mod cloudtrail_records;
mod cloudtrail_writer;
mod estate;
mod identities;
mod ids;
mod inventory;
mod manifest;
mod ordinary;
mod rootfs;

pub use attack::AttackTimes;
pub use inventory::CREDENTIAL_REPORT_HEADER;
pub use manifest::{Counts, DemoManifest};

use clock::DAY;
use ids::DemoRng;
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vigil_model::Timestamp;

/// Days of ordinary activity before the attack (the learning period).
pub const BASELINE_DAYS: u32 = 30;
/// The day (0-based) of the attack: the 31st.
pub const ATTACK_DAY: u32 = BASELINE_DAYS;
/// The contractor's last ordinary use of his key (0-based day): he has logged off since.
const CONTRACTOR_LAST_DAY: u32 = 26;
const MAX_SCALE: u32 = 1000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub seed: u64,
    /// 1 is the default size; N multiplies identities, hosts and volume roughly N times.
    pub scale: u32,
    /// Midnight of the first day (default 2026-10-01T00:00:00Z).
    pub start: Timestamp,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 31,
            scale: 1,
            start: clock::default_start(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialise demo data: {0}")]
    Json(serde_json::Error),
    #[error("`{0}` is not empty: generate the demo into a new or empty directory")]
    NotEmpty(PathBuf),
    #[error("scale `{0}` is out of range (1 to {MAX_SCALE})")]
    Scale(u32),
}

impl DemoError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        DemoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Independent random streams, one per output kind.
#[derive(Clone, Copy)]
enum Stream {
    Cast = 1,
    Plan,
    Records,
    Files,
    Agent,
    Inventory,
    Rootfs,
}

fn rng(seed: u64, stream: Stream) -> DemoRng {
    let mut r = DemoRng::seed_from_u64(seed);
    r.set_stream(stream as u64);
    r
}

/// Writes the whole story under `out_dir` (created if missing; must be empty) and returns
/// its manifest, also written as `out_dir/manifest.json`.
pub fn generate(out_dir: &Path, config: &DemoConfig) -> Result<DemoManifest, DemoError> {
    if config.scale == 0 || config.scale > MAX_SCALE {
        return Err(DemoError::Scale(config.scale));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| DemoError::io(out_dir, e))?;
    let non_empty = std::fs::read_dir(out_dir)
        .map_err(|e| DemoError::io(out_dir, e))?
        .next()
        .is_some();
    if non_empty {
        return Err(DemoError::NotEmpty(out_dir.to_path_buf()));
    }
    let start = clock::midnight(config.start);
    let seed = config.seed;

    let mut cast_rng = rng(seed, Stream::Cast);
    let cast = identities::build(&mut cast_rng, start, config.scale);
    let estate = estate::build(&mut cast_rng, &cast.account, start, config.scale);
    let plan = attack::plan(&mut rng(seed, Stream::Plan), start, ATTACK_DAY);
    let baseline_end = start.plus_millis(i64::from(ATTACK_DAY) * DAY);
    let days = ATTACK_DAY + 1;
    let end = start.plus_millis(i64::from(days) * DAY);

    // CloudTrail, one day at a time so memory stays bounded at any scale.
    let mut rec_rng = rng(seed, Stream::Records);
    let mut file_rng = rng(seed, Stream::Files);
    let trail_bucket = estate
        .buckets
        .first()
        .map(|b| b.0.clone())
        .unwrap_or_default();
    let mut writer = cloudtrail_writer::TrailWriter::new(out_dir, &cast.account, &trail_bucket);
    let ctx = ordinary::Ctx {
        ids: &cast,
        estate: &estate,
        start,
    };
    let mut last_used = BTreeMap::new();
    let mut attack_ids = Vec::new();
    for day in 0..days {
        let mut records = Vec::new();
        let mut sink = ordinary::Sink {
            rng: &mut rec_rng,
            out: &mut records,
            account: cast.account.clone(),
            last_used: &mut last_used,
            last_used_until: baseline_end,
        };
        ordinary::day(&ctx, &mut sink, day, CONTRACTOR_LAST_DAY);
        if day == plan.day {
            attack_ids = attack::cloud(&ctx, &plan, &mut sink);
        }
        let day0 = start.plus_millis(i64::from(day) * DAY);
        writer.write_day(day0, records, &mut file_rng)?;
    }

    let agent_stats = agent::write(
        out_dir,
        &estate,
        &plan,
        start,
        days,
        &cast.office_ips,
        &mut rng(seed, Stream::Agent),
    )?;
    let inventory_files = inventory::write(
        out_dir,
        &cast,
        &estate,
        &last_used,
        baseline_end,
        &mut rng(seed, Stream::Inventory),
    )?;
    let target = estate.target();
    let fs = rootfs::write_rootfs(
        out_dir,
        &cast,
        &format!(
            "{}.cluster-c9akciq32.{}.rds.amazonaws.com",
            target.id, estate.region
        ),
        &mut rng(seed, Stream::Rootfs),
    )?;

    let host = estate.compromised();
    let contractor = cast.contractor();
    let role = cast.ops_admin();
    let acct = cast.account.clone();
    let stats = writer.stats;
    let manifest = DemoManifest {
        seed,
        scale: config.scale,
        start,
        baseline_end,
        end,
        inventory_time: baseline_end,
        account_id: acct.clone(),
        account_ids: vec![acct.clone()],
        outside_account_id: plan.outside_account.clone(),
        regions: vec![
            identities::HOME_REGION.to_string(),
            identities::SECOND_REGION.to_string(),
            identities::BACKUP_REGION.to_string(),
        ],
        attack_regions: attack::SWEEP_REGIONS
            .iter()
            .map(|r| (*r).to_string())
            .collect(),
        contractor_user_name: contractor.name.clone(),
        contractor_user_arn: contractor.arn.clone(),
        contractor_access_key_id: contractor.access_key_id.clone(),
        contractor_key_created: contractor.key_created,
        contractor_secret_fingerprint: format!("{}…xxh3:{}", fs.secret_prefix, fs.secret_xxh3),
        hardcoded_key_path: fs.key_path.clone(),
        attacker_ip: plan.attacker_ip.clone(),
        privileged_role_arn: role.arn.clone(),
        role_session_name: plan.session_name.clone(),
        role_session_arn: format!(
            "arn:aws:sts::{acct}:assumed-role/{}/{}",
            role.name, plan.session_name
        ),
        session_access_key_id: plan.session_key.clone(),
        rds_cluster_id: target.id.clone(),
        rds_cluster_arn: target.arn.clone(),
        snapshot_ids: plan.snapshot_ids.clone(),
        snapshot_arns: plan
            .snapshot_ids
            .iter()
            .map(|s| format!("arn:aws:rds:{}:{acct}:cluster-snapshot:{s}", estate.region))
            .collect(),
        compromised_instance_id: host.instance_id.clone(),
        compromised_instance_public_ip: host.public_ip.clone().unwrap_or_default(),
        container_id: host.container_id.clone(),
        container_image: estate.image.clone(),
        vpc_id: estate.vpc_id.clone(),
        subnet_id: estate
            .subnets
            .get(host.subnet)
            .map(|s| s.id.clone())
            .unwrap_or_default(),
        security_group_id: estate
            .security_groups
            .get(host.security_group)
            .map(|s| s.id.clone())
            .unwrap_or_default(),
        reverse_shell_ip: plan.attacker_ip.clone(),
        reverse_shell_port: plan.reverse_shell_port,
        reverse_shell_destination: format!("{}:{}", plan.attacker_ip, plan.reverse_shell_port),
        attack: plan.times.clone(),
        counts: Counts {
            cloudtrail_files: stats.files,
            cloudtrail_digest_files: stats.digest_files,
            cloudtrail_records: stats.records,
            cloudtrail_late_records: stats.late_records,
            attack_cloudtrail_records: attack_ids.len() as u64,
            agent_files: agent_stats.files,
            agent_events: agent_stats.events,
            attack_agent_events: agent_stats.attack_events,
            inventory_files,
            rootfs_files: fs.files,
        },
        attack_event_ids: attack_ids,
    };
    let path = out_dir.join("manifest.json");
    let mut text = serde_json::to_string_pretty(&manifest).map_err(DemoError::Json)?;
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| DemoError::io(&path, e))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_picks_the_cast() {
        let start = clock::default_start();
        let a = identities::build(&mut rng(1, Stream::Cast), start, 1);
        let b = identities::build(&mut rng(1, Stream::Cast), start, 1);
        let c = identities::build(&mut rng(2, Stream::Cast), start, 1);
        assert_eq!(a.contractor().access_key_id, b.contractor().access_key_id);
        assert_ne!(a.contractor().access_key_id, c.contractor().access_key_id);
        assert_ne!(a.account, c.account);
        let plan = attack::plan(&mut rng(1, Stream::Plan), start, ATTACK_DAY);
        assert!(plan.attacker_ip.starts_with("203.0.113."));
        assert!(plan.times.host_exploit < plan.times.reverse_shell);
        assert!(plan.times.reverse_shell < plan.times.key_first_use);
        assert!(plan.times.assume_role < plan.times.snapshot_shared);
    }

    #[test]
    fn scale_grows_the_cast() {
        let start = clock::default_start();
        let one = identities::build(&mut rng(1, Stream::Cast), start, 1);
        let ten = identities::build(&mut rng(1, Stream::Cast), start, 10);
        assert!(one.users.len() >= 12 && one.users.len() <= 25);
        assert!(ten.users.len() > 9 * one.users.len() - 10);
        let names: std::collections::BTreeSet<_> = ten.users.iter().map(|u| &u.name).collect();
        assert_eq!(names.len(), ten.users.len(), "user names are unique");
    }
}

//! The manifest: the story's facts, so tests and the console can check what Vigil found
//! against what really happened. Written as `manifest.json` beside the data.

use crate::attack::AttackTimes;
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

/// How much was written, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// CloudTrail log files (`CloudTrail/…json.gz`).
    pub cloudtrail_files: u64,
    /// Digest files (`CloudTrail-Digest/…json.gz`), which hold no records.
    pub cloudtrail_digest_files: u64,
    /// Records across all CloudTrail log files, the attack's included.
    pub cloudtrail_records: u64,
    /// Records delivered one file late.
    pub cloudtrail_late_records: u64,
    /// Records the attacker's calls produced.
    pub attack_cloudtrail_records: u64,
    pub agent_files: u64,
    pub agent_events: u64,
    /// Agent events of the host attack chain.
    pub attack_agent_events: u64,
    pub inventory_files: u64,
    pub rootfs_files: u64,
}

/// The facts of one generated story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoManifest {
    pub seed: u64,
    pub scale: u32,
    /// First instant of generated activity.
    pub start: Timestamp,
    /// End of the learning period: midnight before the attack day.
    pub baseline_end: Timestamp,
    /// End of generated activity (exclusive).
    pub end: Timestamp,
    /// When the inventory snapshot was taken (the start of the attack day).
    pub inventory_time: Timestamp,
    /// Interlace Labs' account.
    pub account_id: String,
    /// Every account of the estate (one today).
    pub account_ids: Vec<String>,
    /// The attacker's account the snapshot is shared with.
    pub outside_account_id: String,
    /// Regions with ordinary activity.
    pub regions: Vec<String>,
    /// Regions the attacker swept.
    pub attack_regions: Vec<String>,
    pub contractor_user_name: String,
    pub contractor_user_arn: String,
    pub contractor_access_key_id: String,
    pub contractor_key_created: Timestamp,
    /// `<first four characters>…xxh3:<hex>` of the planted secret key; never the secret.
    pub contractor_secret_fingerprint: String,
    /// Where the key is hard-coded, relative to `rootfs/`.
    pub hardcoded_key_path: String,
    pub attacker_ip: String,
    pub privileged_role_arn: String,
    pub role_session_name: String,
    pub role_session_arn: String,
    pub session_access_key_id: String,
    pub rds_cluster_id: String,
    pub rds_cluster_arn: String,
    pub snapshot_ids: Vec<String>,
    pub snapshot_arns: Vec<String>,
    pub compromised_instance_id: String,
    pub compromised_instance_public_ip: String,
    pub container_id: String,
    pub container_image: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub security_group_id: String,
    pub reverse_shell_ip: String,
    pub reverse_shell_port: u16,
    /// `ip:port`.
    pub reverse_shell_destination: String,
    pub attack: AttackTimes,
    /// `eventID`s of the attacker's CloudTrail records, in the order they were made.
    pub attack_event_ids: Vec<String>,
    pub counts: Counts,
}

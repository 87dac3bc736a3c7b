//! vigil-ingest: sources → normalised [`vigil_model::Event`]s.
//!
//! - CloudTrail in every shape users have it ([`parse_cloudtrail_bytes`],
//!   [`read_cloudtrail_file`]): S3 `{"Records":[...]}` files (plain or gzip), JSON lines, bare
//!   arrays, single records, CloudTrail Lake results, EventBridge events, `lookup-events`.
//! - Host events in the agent's JSON lines ([`parse_host_bytes`]; the format is in
//!   `AGENT_EVENTS.md`), Falco JSON alerts ([`parse_falco_bytes`]) and Linux audit logs
//!   ([`parse_auditd_bytes`]); [`read_host_file`] sniffs which one a file is.
//! - [`discover`] walks paths; [`IngestReport`] sums up a run.
//!
//! The parsers are pure functions over bytes; only `read` and `discover` touch the file
//! system. Bad input never panics and never costs more than the bad part: every record that
//! does not become an event is a [`Skip`] with a stable [`SkipReason`] code and a [`Location`].
//! Files are independent, so callers may read them on several threads.

mod actor;
mod auditd;
mod cloudtrail;
mod container;
mod depth;
mod discover;
mod falco;
mod fast_record;
mod host;
mod host_format;
mod lake;
mod limits;
mod memo;
mod normalize;
mod one_pass;
mod parts;
mod raw;
mod read;
mod reason;
mod report;
mod s3path;
mod scan;
#[cfg(test)]
mod scan_props;
pub mod split;
mod text;
mod time_order;
mod timefmt;

pub use auditd::{UNKNOWN_HOST, parse_auditd_bytes};
pub use cloudtrail::{
    ParseOutcome, parse_cloudtrail, parse_cloudtrail_bytes, parse_cloudtrail_general,
};
pub use depth::{PARSER_STACK, spawn_parser};
pub use discover::{Discovery, discover};
pub use falco::parse_falco_bytes;
pub use host::parse_host_bytes;
pub use host_format::{HostFormat, parse_host_any, sniff_host_format};
pub use limits::{FileContext, Limits};
pub use normalize::derived_id;
pub use read::{
    EachPart, FileOutcome, ReadEnd, read_capped, read_capped_sized, read_cloudtrail_file,
    read_cloudtrail_file_each, read_host_file,
};
pub use reason::{IgnoreReason, Location, Skip, SkipReason};
pub use report::{EXAMPLES_PER_REASON, IngestReport, ReasonTally};
pub use s3path::{PathInfo, is_digest, path_info};
pub use time_order::{
    NotInTimeOrder, PART_LINES as TIME_ORDER_PART_LINES, TimeIndex, TimeOrderOutcome,
    plainly_shuffled,
};
pub use timefmt::parse_time;

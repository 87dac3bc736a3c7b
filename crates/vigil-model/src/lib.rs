//! The vocabulary every Vigil crate speaks: one normalised [`Event`] for cloud API activity and
//! host activity, [`EntityRef`]s that tie events to the things they touch, inventory
//! [`entity`] records, and the [`Alert`] contract that scripts rely on.
//!
//! Architecture invariant: this crate does no I/O and reads no clock. Every type is plain serde
//! data so engines can persist their state through the store without knowing SQL.

pub mod alert;
mod body_json;
pub mod cloud;
pub mod entity;
pub mod event;
pub mod host;
pub mod json_pointer;
pub mod order;
pub mod raw_json;
pub mod severity;
pub mod time;

pub use alert::{Alert, AlertKind, AlertStatus, Evidence, MitreRef, RelatedAlert};
pub use body_json::write_body_json;
pub use cloud::{Actor, CloudEvent, ResourceRef};
pub use entity::{EntityKind, EntityRef};
pub use event::{Event, EventBody, EventSource};
pub use host::{HostEvent, HostEventKind};
pub use order::sort_by_time;
pub use raw_json::RawJson;
pub use severity::Severity;
pub use time::Timestamp;

/// The string type of the event model's short fields: up to 24 bytes live inline, with no
/// allocation (account ids, regions, services, actions, key ids, addresses).
pub use compact_str::CompactString;

//! One integration-test binary for the store (one link instead of many).

// clippy.toml exempts `#[test]` functions; the helpers beside them are test code too.
#![allow(clippy::unwrap_used)]

mod alerts;
mod differential;
mod events;
mod fixtures;
mod prepared;
mod records;
mod scaling;
mod segments;

//! One module per subcommand.

pub mod alerts;
pub mod demo;
pub mod events;
pub mod feed;
pub mod ingest;
pub mod status;

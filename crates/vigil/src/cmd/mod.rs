//! One module per subcommand.

pub mod agent;
pub mod alerts;
pub mod demo;
pub mod events;
pub mod feed;
pub mod hunt;
pub mod iam;
pub mod ingest;
pub mod paths;
pub mod rules;
pub mod scan;
pub mod serve;
pub mod status;
pub mod suppress;

//! Where events come from. Each source runs on its own thread until the stop flag is set, and
//! hands what it sees to an [`crate::emit::Emitter`].

pub mod exec;
pub mod files;
pub mod logins;
pub mod net;

//! `vigil agent`: runs the host agent in the foreground (the same program as the standalone
//! `vigil-agent` binary): process, network, login and sensitive-file events shipped to a
//! Vigil server or a JSON-lines file, until SIGTERM/SIGINT or `--duration-secs`.

use crate::exit::UsageError;
use anyhow::{Result, anyhow};
use std::time::Duration;
use vigil_agent::AgentArgs;

pub fn run(args: &AgentArgs) -> Result<()> {
    let config = args.resolve().map_err(UsageError)?;
    vigil_agent::run_until_signal(config, args.duration_secs.map(Duration::from_secs))
        .map(|_| ())
        .map_err(|e| anyhow!(e))
}

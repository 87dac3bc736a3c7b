//! `vigil serve`: the REST API, the console and the agent ingest endpoint on one port. The
//! HTTP stack lives in vigil-server; this only maps arguments and errors.

use crate::exit::UsageError;
use anyhow::Result;
use clap::Args;
use std::net::SocketAddr;
use std::path::Path;
use vigil_server::{ServerConfig, ServerError};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The admin token (API `Authorization: Bearer`, console login). More tokens go in
    /// DATA_DIR/tokens, one `ROLE NAME TOKEN` per line (roles: admin, read_only, agent).
    #[arg(long = "token", env = "VIGIL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Let loopback clients in as admin without a token (demos only; refused on any other
    /// address).
    #[arg(long)]
    pub allow_anonymous_loopback: bool,
}

pub fn run(data_dir: &Path, args: &ServeArgs) -> Result<()> {
    let config = ServerConfig {
        listen: args.listen,
        data_dir: data_dir.to_path_buf(),
        admin_token: args.token.clone(),
        allow_anonymous_loopback: args.allow_anonymous_loopback,
    };
    let ready = |s: &vigil_server::Server| {
        println!("Vigil console and API on http://{}/", s.addr());
        println!("  data:  {}", data_dir.display());
        println!("  auth:  {}", s.auth_summary());
        println!("  API:   http://{}/api/v1/openapi.json", s.addr());
        println!("Ctrl-C (or SIGTERM) stops the server.");
    };
    crate::announce_upgrade(data_dir);
    vigil_server::serve(config, ready).map_err(|e| match e {
        ServerError::NoTokens(_)
        | ServerError::AnonymousNotLoopback(_)
        | ServerError::Tokens(_)
        | ServerError::Bind { .. } => UsageError(e.to_string()).into(),
        other => anyhow::Error::new(other),
    })
}

/// What `vigil demo` runs at its end: the console on loopback without a token, saying so.
pub fn run_demo(data_dir: &Path, listen: SocketAddr) -> Result<()> {
    run(
        data_dir,
        &ServeArgs {
            listen,
            token: std::env::var("VIGIL_TOKEN").ok(),
            allow_anonymous_loopback: true,
        },
    )
}

//! What the server needs to start: where to listen, where the data lives, who may come in.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The tokens file inside the data directory: one token per line, `ROLE NAME TOKEN`.
pub const TOKENS_FILE: &str = "tokens";

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The admin token (`VIGIL_TOKEN`), if given.
    pub admin_token: Option<String>,
    /// Serve without any token, as admin, when `listen` is a loopback address. For the demo
    /// only; refused on any other address.
    pub allow_anonymous_loopback: bool,
}

//! Shared by the integration tests: a store seeded with the demo story (real files through the
//! real parsers into the real store), alerts built from those events the way the detection
//! engine will raise them, a server on 127.0.0.1, and a small HTTP client.

#![allow(dead_code)]

pub mod http;
pub mod seed;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vigil_server::{Server, ServerConfig};

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub seeded: seed::Seeded,
    pub server: Server,
}

/// One store seeded with the demo story and one server on it, shared by the tests of this
/// binary (seeding takes a while in a debug build).
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let seeded = seed::seed_demo(dir.path(), &data);
        let server = start(&data);
        Fixture {
            _dir: dir,
            data,
            seeded,
            server,
        }
    })
}

pub const ADMIN: &str = "admin-token-0123456789abcdef";
pub const READER: &str = "reader-token-0123456789abcdef";
pub const AGENT: &str = "agent-token-0123456789abcdef";

/// Writes a tokens file with a read-only and an agent token, and starts a server with the
/// admin token on a free loopback port.
pub fn start(data_dir: &Path) -> Server {
    std::fs::create_dir_all(data_dir).unwrap();
    std::fs::write(
        data_dir.join(vigil_server::TOKENS_FILE),
        format!("# test tokens\nread_only reader {READER}\nagent web-1 {AGENT}\n"),
    )
    .unwrap();
    Server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        admin_token: Some(ADMIN.to_string()),
        allow_anonymous_loopback: false,
    })
    .unwrap()
}

//! Shared by the integration tests: a store seeded with the demo story (real files through the
//! real parsers into the real store), alerts built from those events the way the detection
//! engine will raise them, a server on 127.0.0.1, and a small HTTP client.

#![allow(dead_code)]

pub mod http;
pub mod posture;
pub mod seed;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vigil_server::{Server, ServerConfig};

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    /// The generated demo input (CloudTrail, agent events, inventory, rootfs).
    pub input: PathBuf,
    pub seeded: seed::Seeded,
    /// The scan of the compromised host, as stored.
    pub scan: vigil_scan::ScanReport,
    /// The contractor's secret access key, hard-coded in the host's settings file: what must
    /// never reach an API answer or a page.
    pub secret: String,
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
        let input = dir.path().join("demo-input");
        let m = &seeded.manifest;
        let mut store = vigil_store::Store::open(&data).unwrap();
        let scan = posture::seed(
            &mut store,
            &posture::Inputs {
                inventory: &input.join("inventory"),
                rootfs: &input.join("rootfs"),
                instance_id: &m.compromised_instance_id,
                key_owner: None,
                credential_report: true,
            },
        );
        drop(store);
        let secret = planted_secret(&input.join("rootfs").join(&m.hardcoded_key_path));
        let server = start(&data);
        Fixture {
            _dir: dir,
            data,
            input,
            seeded,
            scan,
            secret,
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

/// The value of `AWS_SECRET_ACCESS_KEY = "…"` in the demo's settings file.
fn planted_secret(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("AWS_SECRET_ACCESS_KEY"))
        .unwrap();
    let secret = line.split('"').nth(1).unwrap().to_string();
    assert_eq!(secret.len(), 40, "an AWS secret access key");
    secret
}

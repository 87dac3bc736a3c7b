//! Destinations for batches. A delivery either succeeds (the batch may be forgotten) or fails
//! (the batch stays spooled and is tried again).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

pub trait Sink: Send {
    /// Delivers one batch of JSON lines. `batch_id` is stable across retries of the same batch.
    fn deliver(&mut self, batch_id: &str, body: &[u8]) -> Result<(), String>;
}

/// Appends batches to a JSON-lines file (`-` for standard output).
#[derive(Debug)]
pub struct FileSink {
    pub path: PathBuf,
}

impl Sink for FileSink {
    fn deliver(&mut self, _batch_id: &str, body: &[u8]) -> Result<(), String> {
        if self.path.as_os_str() == "-" {
            let mut out = std::io::stdout().lock();
            return out
                .write_all(body)
                .and_then(|()| out.flush())
                .map_err(|e| e.to_string());
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| format!("`{}`: {e}", self.path.display()))?;
        f.write_all(body)
            .and_then(|()| f.flush())
            .map_err(|e| format!("`{}`: {e}", self.path.display()))
    }
}

/// Posts batches to the Vigil server: `POST {server}/api/v1/agent/events` with the bearer
/// token and `X-Vigil-Batch: <agent-id>-<seq>` (the server ignores a batch id it has already
/// accepted, so a retry after a lost response adds nothing). Any 2xx is acceptance.
pub struct HttpSink {
    agent: ureq::Agent,
    url: String,
    token: String,
}

/// The path of the events endpoint under the server's base URL.
pub const EVENTS_PATH: &str = "/api/v1/agent/events";

impl HttpSink {
    pub fn new(server: &str, token: String, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .build();
        HttpSink {
            agent: ureq::Agent::new_with_config(config),
            url: format!("{}{EVENTS_PATH}", server.trim_end_matches('/')),
            token,
        }
    }
}

impl Sink for HttpSink {
    fn deliver(&mut self, batch_id: &str, body: &[u8]) -> Result<(), String> {
        let resp = self
            .agent
            .post(&self.url)
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/x-ndjson")
            .header("X-Vigil-Batch", batch_id)
            .send(body)
            .map_err(|e| format!("{}: {e}", self.url))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{}: HTTP {status}", self.url))
        }
    }
}

//! The agent's options, shared by the `vigil-agent` binary and `vigil agent`.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Command-line options of the agent.
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// Ship to this Vigil server (`http://host:port`): batches are POSTed to
    /// `/api/v1/agent/events` with the bearer token.
    #[arg(long, conflicts_with = "output", required_unless_present = "output")]
    pub server: Option<String>,
    /// Write JSON lines to this file instead (`-` for standard output).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// File holding the bearer token for --server (or set VIGIL_AGENT_TOKEN).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// The on-disk buffer: batches wait here until the destination accepts them.
    #[arg(long, default_value = "/var/lib/vigil-agent/spool")]
    pub spool_dir: PathBuf,
    /// Bound of the spool; past it the oldest batches are dropped and counted as lost.
    #[arg(long, default_value_t = 256)]
    pub spool_max_mb: u64,
    /// Host id on every event (default: the EC2 instance id from DMI, else the hostname).
    #[arg(long)]
    pub host_id: Option<String>,
    /// Agent id in batch and event ids (default: the host id).
    #[arg(long)]
    pub agent_id: Option<String>,
    /// Events per batch at most.
    #[arg(long, default_value_t = 1000)]
    pub batch_events: usize,
    /// A batch is shipped at the latest this many milliseconds after its first event.
    #[arg(long, default_value_t = 1000)]
    pub batch_ms: u64,
    /// Events held in memory between the sources and the spool; more are dropped and counted.
    #[arg(long, default_value_t = 65_536)]
    pub queue: usize,
    /// How often the socket tables are polled, in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub net_poll_ms: u64,
    /// A sensitive file to watch (repeatable; `~/` means every home directory).
    #[arg(long = "watch")]
    pub watch: Vec<String>,
    /// Watch only the --watch files, not the built-in list of credential files.
    #[arg(long)]
    pub no_default_watch: bool,
    /// An authentication log to follow for logins (repeatable; default /var/log/auth.log and
    /// /var/log/secure).
    #[arg(long = "auth-log")]
    pub auth_logs: Vec<PathBuf>,
    /// Sources to leave off (repeatable): process, network, files, logins.
    #[arg(long = "disable", value_parser = ["process", "network", "files", "logins"])]
    pub disable: Vec<String>,
    /// Write the agent's counters (events seen, shipped, lost) to this JSON file every 5 s.
    #[arg(long)]
    pub stats_file: Option<PathBuf>,
    /// Nice value of the thread that reads `/proc` at each exec (-20..19; negative runs it
    /// sooner, so short-lived processes are read before they exit).
    #[arg(long, default_value_t = -15, allow_hyphen_values = true)]
    pub exec_nice: i32,
    /// How to collect: `auto` loads the eBPF programs and falls back to the process connector,
    /// /proc and fanotify when they cannot load; `ebpf` fails instead; `fallback` never tries eBPF.
    #[arg(long, env = "VIGIL_AGENT_COLLECTOR", default_value = "auto", value_parser = ["auto", "ebpf", "fallback"])]
    pub collector: String,
    /// Also report forks (`process_fork` events), not only execs.
    #[arg(long)]
    pub forks: bool,
    /// Stop after this many seconds (default: run until SIGTERM or SIGINT).
    #[arg(long)]
    pub duration_secs: Option<u64>,
    /// On stop, keep trying to deliver the spool for this many seconds.
    #[arg(long, default_value_t = 5)]
    pub drain_secs: u64,
}

/// Which collection path the agent uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collector {
    /// eBPF when it loads, else the fallback.
    Auto,
    /// eBPF or nothing.
    Ebpf,
    /// Never eBPF: process connector, /proc polling, fanotify.
    Fallback,
}

/// Where batches go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    File(PathBuf),
    Server { url: String, token: String },
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub destination: Destination,
    pub spool_dir: PathBuf,
    pub spool_max_bytes: u64,
    pub host_id: String,
    pub hostname: Option<String>,
    pub agent_id: String,
    pub batch_max_events: usize,
    pub batch_max_wait: Duration,
    pub queue_capacity: usize,
    pub net_poll: Duration,
    pub watch_files: Vec<PathBuf>,
    pub auth_logs: Vec<PathBuf>,
    pub process: bool,
    pub network: bool,
    pub files: bool,
    pub logins: bool,
    pub stats_file: Option<PathBuf>,
    pub drain_timeout: Duration,
    pub exec_nice: i32,
    pub collector: Collector,
    pub forks: bool,
}

impl AgentArgs {
    pub fn resolve(&self) -> Result<AgentConfig, String> {
        let destination = match (&self.server, &self.output) {
            (Some(url), None) => {
                if !url.starts_with("http://") && !url.starts_with("https://") {
                    return Err(format!(
                        "--server `{url}` is not an http:// or https:// URL"
                    ));
                }
                if url.starts_with("https://") && !cfg!(feature = "tls") {
                    return Err(format!(
                        "--server `{url}` needs HTTPS, and this build has no TLS (build with the `tls` feature)"
                    ));
                }
                Destination::Server {
                    url: url.clone(),
                    token: self.token()?,
                }
            }
            (None, Some(path)) => Destination::File(path.clone()),
            _ => return Err("give exactly one of --server and --output".into()),
        };
        let hostname = read_trimmed("/proc/sys/kernel/hostname");
        let host_id = self
            .host_id
            .clone()
            .or_else(ec2_instance_id)
            .or_else(|| hostname.clone())
            .unwrap_or_else(|| "unknown-host".into());
        let mut patterns: Vec<String> = if self.no_default_watch {
            Vec::new()
        } else {
            crate::sources::files::DEFAULT_SENSITIVE_FILES
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        patterns.extend(self.watch.iter().cloned());
        let auth_logs = if self.auth_logs.is_empty() {
            crate::sources::logins::DEFAULT_AUTH_LOGS
                .iter()
                .map(PathBuf::from)
                .collect()
        } else {
            self.auth_logs.clone()
        };
        let on = |s: &str| !self.disable.iter().any(|d| d == s);
        Ok(AgentConfig {
            destination,
            spool_dir: self.spool_dir.clone(),
            spool_max_bytes: self.spool_max_mb.saturating_mul(1 << 20),
            agent_id: batch_safe(self.agent_id.as_deref().unwrap_or(&host_id)),
            host_id,
            hostname,
            batch_max_events: self.batch_events.max(1),
            batch_max_wait: Duration::from_millis(self.batch_ms.max(1)),
            queue_capacity: self.queue.max(1),
            net_poll: Duration::from_millis(self.net_poll_ms.max(10)),
            watch_files: crate::sources::files::expand(&patterns, std::path::Path::new("/")),
            auth_logs,
            process: on("process"),
            network: on("network"),
            files: on("files"),
            logins: on("logins"),
            stats_file: self.stats_file.clone(),
            drain_timeout: Duration::from_secs(self.drain_secs),
            exec_nice: self.exec_nice.clamp(-20, 19),
            collector: match self.collector.as_str() {
                "auto" => Collector::Auto,
                "ebpf" => Collector::Ebpf,
                "fallback" => Collector::Fallback,
                other => return Err(format!("--collector `{other}`: use auto, ebpf or fallback")),
            },
            forks: self.forks,
        })
    }

    fn token(&self) -> Result<String, String> {
        if let Some(path) = &self.token_file {
            let t = read_trimmed(path)
                .ok_or_else(|| format!("cannot read the token file `{}`", path.display()))?;
            if t.is_empty() {
                return Err(format!("the token file `{}` is empty", path.display()));
            }
            return Ok(t);
        }
        match std::env::var("VIGIL_AGENT_TOKEN") {
            Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
            _ => Err("--server needs a token: --token-file PATH or VIGIL_AGENT_TOKEN".into()),
        }
    }
}

/// The agent id as it goes into batch ids (`X-Vigil-Batch` takes `A-Z a-z 0-9 - _ . :`, at
/// most 128 characters with the instance and sequence): other characters become `_`.
fn batch_safe(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.:".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if s.is_empty() { "agent".into() } else { s }
}

fn read_trimmed(path: impl AsRef<std::path::Path>) -> Option<String> {
    let b = crate::procfs::read_small(path.as_ref(), 64 * 1024)?;
    Some(String::from_utf8_lossy(&b).trim().to_string())
}

/// On EC2 (Nitro) the instance id is the DMI board asset tag.
fn ec2_instance_id() -> Option<String> {
    read_trimmed("/sys/devices/virtual/dmi/id/board_asset_tag").filter(|t| {
        t.starts_with("i-")
            && t.len() <= 19
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn batch_ids_stay_in_the_server_alphabet() {
        assert_eq!(super::batch_safe("web-1.prod"), "web-1.prod");
        assert_eq!(super::batch_safe("my host/ü"), "my_host__");
        assert_eq!(super::batch_safe(""), "agent");
        assert_eq!(super::batch_safe(&"x".repeat(200)).len(), 80);
    }
}

//! The Vigil host agent: process starts and exits, uid changes, TCP connections, logins and
//! reads of sensitive files, shipped as the agent JSON lines (`vigil-ingest/AGENT_EVENTS.md`)
//! in batches to the Vigil server or a file, through an on-disk spool that loses nothing while
//! the server is away.
//!
//! Collection without eBPF: the netlink process connector (fork/exec/exit/uid machine-wide)
//! with `/proc/PID` read at exec, `/proc/net/tcp{,6}` polled for sockets, fanotify for
//! sensitive files, the syslog auth log for logins. [`COLLECTION_PATH`] names it; each source's
//! module says its limits.
//!
//! Threads: one per source, one shipper. Sources never block: they hand events to a bounded
//! queue, and whatever does not fit is counted as lost coverage ([`StatsSnapshot`]).

pub mod clock;
pub mod config;
pub mod emit;
pub mod procfs;
pub mod proctable;
pub mod ship;
pub mod sources;
pub mod stats;
pub mod users;

pub use config::{AgentArgs, AgentConfig, Destination};
pub use stats::{Stats, StatsSnapshot};

use crate::proctable::ProcTable;
use crate::ship::shipper::Shipper;
use crate::ship::sink::{FileSink, HttpSink, Sink};
use crate::ship::spool::Spool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What this build collects with.
pub const COLLECTION_PATH: &str = "netlink process connector + procfs + fanotify (no eBPF)";

/// Processes remembered at once (live plus recently exited).
const PROC_TABLE_CAPACITY: usize = 200_000;

/// A running agent.
pub struct Agent {
    stop: Arc<AtomicBool>,
    sources: Vec<JoinHandle<()>>,
    shipper: Option<JoinHandle<()>>,
    stats: Arc<Stats>,
    /// The sources that started, e.g. `["process", "network"]`, and the ones that could not
    /// with why.
    pub started: Vec<&'static str>,
    pub failed: Vec<(&'static str, String)>,
}

impl Agent {
    /// Opens the spool and the sources and starts the threads. A source that cannot start
    /// (no permission) is listed in `failed`; the agent runs with the others. It is an error
    /// when none starts.
    pub fn start(config: AgentConfig) -> Result<Agent, String> {
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let spool = Spool::open(&config.spool_dir, config.spool_max_bytes)
            .map_err(|e| format!("spool `{}`: {e}", config.spool_dir.display()))?;
        let sink: Box<dyn Sink> = match &config.destination {
            Destination::File(path) => Box::new(FileSink { path: path.clone() }),
            Destination::Server { url, token } => {
                Box::new(HttpSink::new(url, token.clone(), Duration::from_secs(10)))
            }
        };
        let (emitter, rx) = emit::queue(config.queue_capacity, stats.clone());
        let table = Arc::new(Mutex::new(ProcTable::new(PROC_TABLE_CAPACITY)));
        let proc_root = procfs::ProcRoot::default();
        let clock = clock::Clock::new();
        let mut started = Vec::new();
        let mut failed = Vec::new();
        let mut sources = Vec::new();

        if config.process {
            match sources::exec::open() {
                Ok(conn) => {
                    let src = sources::exec::ExecSource {
                        proc_root: proc_root.clone(),
                        passwd: "/etc/passwd".into(),
                        table: table.clone(),
                        emitter: emitter.clone(),
                        clock,
                        nice: config.exec_nice,
                    };
                    src.snapshot();
                    let stop = stop.clone();
                    sources.push(spawn("vigil-exec", move || src.run(conn, stop))?);
                    started.push("process");
                }
                Err(e) => failed.push(("process", e)),
            }
        }
        if config.network {
            let src = sources::net::NetSource {
                proc_root: proc_root.clone(),
                table: table.clone(),
                emitter: emitter.clone(),
                interval: config.net_poll,
            };
            let stop = stop.clone();
            sources.push(spawn("vigil-net", move || src.run(stop))?);
            started.push("network");
        }
        if config.files && !config.watch_files.is_empty() {
            match sources::files::open() {
                Ok(fan) => {
                    let src = sources::files::FileSource {
                        paths: config.watch_files.clone(),
                        proc_root: proc_root.clone(),
                        table: table.clone(),
                        emitter: emitter.clone(),
                    };
                    let stop = stop.clone();
                    sources.push(spawn("vigil-files", move || src.run(fan, stop))?);
                    started.push("files");
                }
                Err(e) => failed.push(("files", e)),
            }
        }
        if config.logins {
            let src = sources::logins::LoginSource {
                paths: config.auth_logs.clone(),
                emitter: emitter.clone(),
                interval: Duration::from_secs(1),
            };
            let stop = stop.clone();
            sources.push(spawn("vigil-logins", move || src.run(stop))?);
            started.push("logins");
        }
        drop(emitter);
        if started.is_empty() {
            stop.store(true, Ordering::Relaxed);
            let why: Vec<String> = failed.iter().map(|(s, e)| format!("{s}: {e}")).collect();
            return Err(format!("no source could start ({})", why.join("; ")));
        }
        let shipper = Shipper {
            spool,
            sink,
            agent_id: config.agent_id.clone(),
            host_id: config.host_id.clone(),
            hostname: config.hostname.clone(),
            batch_max_events: config.batch_max_events,
            batch_max_wait: config.batch_max_wait,
            stats: stats.clone(),
            stats_file: config.stats_file.clone(),
            drain_timeout: config.drain_timeout,
        };
        let shipper = spawn("vigil-ship", move || shipper.run(rx))?;
        Ok(Agent {
            stop,
            sources,
            shipper: Some(shipper),
            stats,
            started,
            failed,
        })
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// The flag that stops the agent when set (for signal handlers and tests).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Stops the sources, ships what is left (for at most the drain timeout) and returns the
    /// final counters.
    pub fn stop(mut self) -> StatsSnapshot {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.sources.drain(..) {
            let _ = t.join();
        }
        if let Some(s) = self.shipper.take() {
            let _ = s.join();
        }
        self.stats.snapshot()
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, String> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(|e| format!("cannot start thread {name}: {e}"))
}

/// Runs the agent until SIGTERM/SIGINT (or `duration`), then stops it and returns the counters.
/// Used by both the `vigil-agent` binary and `vigil agent`.
pub fn run_until_signal(
    config: AgentConfig,
    duration: Option<Duration>,
) -> Result<StatsSnapshot, String> {
    use nix::sys::signal::{SigSet, Signal};
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGINT);
    mask.add(Signal::SIGTERM);
    // Blocked before the threads start so they inherit the mask and one thread takes them.
    mask.thread_block()
        .map_err(|e| format!("signal mask: {e}"))?;
    let agent = Agent::start(config)?;
    eprintln!(
        "vigil-agent: collecting with {COLLECTION_PATH}; sources: {}",
        agent.started.join(", ")
    );
    for (s, e) in &agent.failed {
        eprintln!("vigil-agent: source {s} is off: {e}");
    }
    let stop = agent.stop_flag();
    let waiter = stop.clone();
    std::thread::Builder::new()
        .name("vigil-signals".into())
        .spawn(move || {
            if mask.wait().is_ok() {
                waiter.store(true, Ordering::Relaxed);
            }
        })
        .map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    while !stop.load(Ordering::Relaxed) && duration.is_none_or(|d| started.elapsed() < d) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let stats = agent.stop();
    eprintln!(
        "vigil-agent: stopped; {}",
        serde_json::to_string(&stats).unwrap_or_default()
    );
    Ok(stats)
}

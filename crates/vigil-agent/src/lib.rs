//! The Vigil host agent: process starts and exits, uid changes, TCP connections, logins and
//! reads of sensitive files, shipped as the agent JSON lines (`vigil-ingest/AGENT_EVENTS.md`)
//! in batches to the Vigil server or a file, through an on-disk spool that loses nothing while
//! the server is away.
//!
//! Two collection paths ([`CollectionPath`]), chosen at start:
//! - **eBPF** ([`ebpf`]): C tracepoint programs loaded with aya report execs, forks, exits, uid
//!   changes, TCP connect/accept/listen and opens of watched files from the kernel.
//! - **fallback**, when eBPF cannot load (no BPF object in the build, no permission, an old
//!   kernel) or `--collector fallback`: the netlink process connector (fork/exec/exit/uid
//!   machine-wide) with `/proc/PID` read at exec, `/proc/net/tcp{,6}` polled for sockets,
//!   fanotify for sensitive files.
//!
//! Both produce the same events. Logins come from the syslog auth log on either path. Each
//! source's module says its limits.
//!
//! Threads: one per source, one shipper. Sources never block: they hand events to a bounded
//! queue, and whatever does not fit is counted as lost coverage ([`StatsSnapshot`]).

pub mod clock;
pub mod config;
pub mod ebpf;
pub mod emit;
pub mod lost;
pub mod procfs;
pub mod proctable;
pub mod ship;
pub mod sources;
pub mod stats;
pub mod users;

pub use config::{AgentArgs, AgentConfig, Collector, Destination};
pub use stats::{Stats, StatsSnapshot};

use crate::proctable::ProcTable;
use crate::ship::shipper::Shipper;
use crate::ship::sink::{FileSink, HttpSink, Sink};
use crate::ship::spool::Spool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the fallback path collects with.
pub const FALLBACK_SOURCES: &str = "netlink process connector + procfs + fanotify, no eBPF";

/// The collection path a running agent uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionPath {
    Ebpf,
    Fallback,
}

impl CollectionPath {
    /// `ebpf` or `fallback`, as the agent prints it at start.
    pub fn name(self) -> &'static str {
        match self {
            CollectionPath::Ebpf => "ebpf",
            CollectionPath::Fallback => "fallback",
        }
    }
}

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
    /// The path the process, network and file events come from.
    pub path: CollectionPath,
    /// Why eBPF is not in use (on the fallback path), or the optional tracepoints it skipped.
    pub path_note: Option<String>,
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

        let mut path = CollectionPath::Fallback;
        let mut path_note = None;
        let wants_kernel = config.process || config.network || config.files;
        if wants_kernel && config.collector != Collector::Fallback {
            let want = ebpf::collector::Want {
                process: config.process,
                network: config.network,
                files: config.files && !config.watch_files.is_empty(),
                forks: config.forks,
            };
            match ebpf::open(want, &config.watch_files) {
                Ok(probes) => {
                    snapshot(&proc_root, &table);
                    if want.network {
                        sources::net::NetSource {
                            proc_root: proc_root.clone(),
                            table: table.clone(),
                            emitter: emitter.clone(),
                            interval: config.net_poll,
                        }
                        .poll_once();
                    }
                    if !probes.skipped.is_empty() {
                        path_note = Some(format!("skipped: {}", probes.skipped.join("; ")));
                    }
                    let collector = ebpf::collector::Collector::new(
                        proc_root.clone(),
                        users::Users::new("/etc/passwd".into()),
                        table.clone(),
                        emitter.clone(),
                        clock,
                        ebpf::watched_set(&config.watch_files),
                        want,
                    );
                    let stop = stop.clone();
                    sources.push(spawn("vigil-ebpf", move || probes.run(collector, stop))?);
                    for (on, name) in [
                        (want.process, "process"),
                        (want.network, "network"),
                        (want.files, "files"),
                    ] {
                        if on {
                            started.push(name);
                        }
                    }
                    path = CollectionPath::Ebpf;
                }
                Err(e) if config.collector == Collector::Ebpf => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(format!("eBPF collection could not start: {e}"));
                }
                Err(e) => path_note = Some(e),
            }
        }
        if path == CollectionPath::Fallback {
            start_fallback(
                &config,
                &FallbackParts {
                    proc_root: proc_root.clone(),
                    table: table.clone(),
                    emitter: emitter.clone(),
                    clock,
                    stop: stop.clone(),
                },
                &mut sources,
                &mut started,
                &mut failed,
            )?;
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
            path,
            path_note,
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

/// What the fallback sources share.
struct FallbackParts {
    proc_root: procfs::ProcRoot,
    table: Arc<Mutex<ProcTable>>,
    emitter: emit::Emitter,
    clock: clock::Clock,
    stop: Arc<AtomicBool>,
}

/// Starts the fallback sources: process connector, socket-table polling, fanotify.
fn start_fallback(
    config: &AgentConfig,
    parts: &FallbackParts,
    sources: &mut Vec<JoinHandle<()>>,
    started: &mut Vec<&'static str>,
    failed: &mut Vec<(&'static str, String)>,
) -> Result<(), String> {
    if config.process {
        match sources::exec::open() {
            Ok(conn) => {
                let src = sources::exec::ExecSource {
                    proc_root: parts.proc_root.clone(),
                    passwd: "/etc/passwd".into(),
                    table: parts.table.clone(),
                    emitter: parts.emitter.clone(),
                    clock: parts.clock,
                    nice: config.exec_nice,
                    forks: config.forks,
                };
                snapshot(&parts.proc_root, &parts.table);
                let stop = parts.stop.clone();
                sources.push(spawn("vigil-exec", move || src.run(conn, stop))?);
                started.push("process");
            }
            Err(e) => failed.push(("process", e)),
        }
    }
    if config.network {
        let src = sources::net::NetSource {
            proc_root: parts.proc_root.clone(),
            table: parts.table.clone(),
            emitter: parts.emitter.clone(),
            interval: config.net_poll,
        };
        let stop = parts.stop.clone();
        sources.push(spawn("vigil-net", move || src.run(stop))?);
        started.push("network");
    }
    if config.files && !config.watch_files.is_empty() {
        match sources::files::open() {
            Ok(fan) => {
                let src = sources::files::FileSource {
                    paths: config.watch_files.clone(),
                    proc_root: parts.proc_root.clone(),
                    table: parts.table.clone(),
                    emitter: parts.emitter.clone(),
                };
                let stop = parts.stop.clone();
                sources.push(spawn("vigil-files", move || src.run(fan, stop))?);
                started.push("files");
            }
            Err(e) => failed.push(("files", e)),
        }
    }
    Ok(())
}

/// Fills the table with the processes alive now, so their children and sockets resolve.
pub fn snapshot(proc_root: &procfs::ProcRoot, table: &Mutex<ProcTable>) {
    let now = clock::now();
    let mut t = sources::exec::lock(table);
    for pid in proc_root.pids() {
        if let Some(p) = proc_root.process(pid, now) {
            t.insert(pid, proctable::Entry::of(&p));
        }
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
    let how = match agent.path {
        CollectionPath::Ebpf => "tracepoints loaded with aya".to_string(),
        CollectionPath::Fallback => FALLBACK_SOURCES.to_string(),
    };
    eprintln!(
        "vigil-agent: collecting with {} ({how}); sources: {}",
        agent.path.name(),
        agent.started.join(", ")
    );
    if let Some(note) = &agent.path_note {
        match agent.path {
            CollectionPath::Ebpf => eprintln!("vigil-agent: ebpf: {note}"),
            CollectionPath::Fallback => eprintln!("vigil-agent: not using eBPF: {note}"),
        }
    }
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

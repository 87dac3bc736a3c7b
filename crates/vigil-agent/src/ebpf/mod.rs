//! The eBPF collection path: tracepoint programs written in C (`bpf/vigil.bpf.c`, compiled by
//! build.rs when clang is installed) loaded with aya 0.14, reporting into one ring buffer.
//!
//! Programs: `sched/sched_process_exec` (pid, parent, uids, argv from the new `mm`, namespaces,
//! cgroup, what stdin/stdout are), the raw tracepoint `sched_process_fork` (threads skipped in
//! the kernel), `sched/sched_process_exit`, the exits of `connect`, `listen`, `accept4`/`accept`
//! (both ends read from the socket), `setuid`/`setreuid`/`setresuid`, and the entries of
//! `openat`/`open` filtered in the kernel to the watched paths (absolute paths, and bare names
//! resolved here against the opener's working directory). kprobes, fentry and LSM programs do
//! not load on every kernel (not on the one CI runs), so only tracepoints are used.
//!
//! Unlike the fallback there is no race with short-lived processes (argv, ids and stdio come
//! from the kernel at exec) and no polling of socket tables. Limits: opens through `..`,
//! symlinks or a directory fd other than the cwd are not matched; argv past 4 KiB is read from
//! `/proc` (lost if the process is gone); only the network namespace-independent socket ends
//! are reported (TCP over IPv4/IPv6). Records the ring buffer had no room for are counted per
//! kind in the kernel and reported as lost coverage.

pub mod collector;
pub mod record;

use crate::ebpf::collector::{Collector, Want};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Whether this build embeds the BPF object (clang was there when it was compiled).
pub const BUILT_WITH_EBPF: bool = cfg!(vigil_ebpf);

/// Where the tracepoint definitions are; aya needs tracefs mounted to attach.
const TRACEFS: &str = "/sys/kernel/tracing";

/// The loaded and attached programs with their maps; dropping it detaches everything.
pub struct Probes {
    #[cfg(vigil_ebpf)]
    inner: loaded::Loaded,
    #[cfg(not(vigil_ebpf))]
    never: std::convert::Infallible,
    /// Tracepoints that are optional and did not attach (e.g. `open` on arm64), with why.
    pub skipped: Vec<String>,
}

/// The keys the kernel filter matches opens against: each watched path, the path with its
/// directory's symlinks resolved (`/var/run` → `/run`), and each file name alone.
pub fn watch_keys(paths: &[PathBuf]) -> Vec<String> {
    let mut keys = Vec::new();
    for p in paths {
        keys.push(p.to_string_lossy().into_owned());
        if let (Some(dir), Some(name)) = (p.parent(), p.file_name())
            && let Ok(real) = std::fs::canonicalize(dir)
        {
            keys.push(real.join(name).to_string_lossy().into_owned());
        }
        if let Some(name) = p.file_name() {
            keys.push(name.to_string_lossy().into_owned());
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The watched set as the collector checks it: the paths and their resolved forms.
pub fn watched_set(paths: &[PathBuf]) -> std::collections::HashSet<PathBuf> {
    watch_keys(paths)
        .into_iter()
        .filter(|k| k.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}

/// Mounts tracefs when it is not (it is not by default on some hosts).
fn ensure_tracefs() -> Result<(), String> {
    if Path::new(TRACEFS).join("events").is_dir()
        || Path::new("/sys/kernel/debug/tracing/events").is_dir()
    {
        return Ok(());
    }
    rustix::mount::mount(
        "tracefs",
        TRACEFS,
        "tracefs",
        rustix::mount::MountFlags::empty(),
        None,
    )
    .map_err(|e| format!("tracefs is not mounted and mounting it at {TRACEFS} failed: {e}"))
}

/// Loads the programs and attaches them. An error says why (no BPF object in this build, no
/// permission, the verifier refused): the caller falls back.
pub fn open(want: Want, watch: &[PathBuf]) -> Result<Probes, String> {
    #[cfg(vigil_ebpf)]
    {
        ensure_tracefs()?;
        let keys = if want.files {
            watch_keys(watch)
        } else {
            Vec::new()
        };
        let (inner, skipped) = loaded::Loaded::open(want, &keys)?;
        Ok(Probes { inner, skipped })
    }
    #[cfg(not(vigil_ebpf))]
    {
        let _ = (want, watch, ensure_tracefs as fn() -> Result<(), String>);
        Err("this build has no BPF object (clang and libbpf-dev were not installed when it was compiled)".into())
    }
}

impl Probes {
    /// Reads the ring buffer until `stop`, handing each record to the collector.
    pub fn run(self, collector: Collector, stop: Arc<AtomicBool>) {
        #[cfg(vigil_ebpf)]
        {
            self.inner.run(collector, stop);
        }
        #[cfg(not(vigil_ebpf))]
        {
            let _ = (collector, stop);
            match self.never {}
        }
    }
}

#[cfg(vigil_ebpf)]
mod loaded {
    use super::collector::{Collector, Want};
    use super::record::{self, KINDS};
    use crate::stats::Stats;
    use aya::Ebpf;
    use aya::maps::{HashMap as BpfHashMap, MapData, PerCpuArray, RingBuf};
    use aya::programs::{RawTracePoint, TracePoint};
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    use vigil_model::HostEventKind;

    static OBJECT: &[u8] = aya::include_bytes_aligned!(env!("VIGIL_BPF_OBJECT"));

    /// (program, tracepoint category, name, group it belongs to, required).
    const TRACEPOINTS: &[(&str, &str, &str, Group, bool)] = &[
        (
            "vigil_exec",
            "sched",
            "sched_process_exec",
            Group::Process,
            true,
        ),
        (
            "vigil_exit",
            "sched",
            "sched_process_exit",
            Group::Process,
            true,
        ),
        (
            "vigil_setuid",
            "syscalls",
            "sys_exit_setuid",
            Group::Process,
            false,
        ),
        (
            "vigil_setreuid",
            "syscalls",
            "sys_exit_setreuid",
            Group::Process,
            false,
        ),
        (
            "vigil_setresuid",
            "syscalls",
            "sys_exit_setresuid",
            Group::Process,
            false,
        ),
        (
            "vigil_connect_enter",
            "syscalls",
            "sys_enter_connect",
            Group::Network,
            true,
        ),
        (
            "vigil_connect_exit",
            "syscalls",
            "sys_exit_connect",
            Group::Network,
            true,
        ),
        (
            "vigil_accept4_exit",
            "syscalls",
            "sys_exit_accept4",
            Group::Network,
            true,
        ),
        (
            "vigil_accept_exit",
            "syscalls",
            "sys_exit_accept",
            Group::Network,
            false,
        ),
        (
            "vigil_listen_enter",
            "syscalls",
            "sys_enter_listen",
            Group::Network,
            false,
        ),
        (
            "vigil_listen_exit",
            "syscalls",
            "sys_exit_listen",
            Group::Network,
            false,
        ),
        (
            "vigil_openat",
            "syscalls",
            "sys_enter_openat",
            Group::Files,
            true,
        ),
        (
            "vigil_open",
            "syscalls",
            "sys_enter_open",
            Group::Files,
            false,
        ),
    ];

    /// An error with its causes (aya's top-level messages leave out the OS error).
    fn chain(e: &dyn std::error::Error) -> String {
        let mut s = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            s.push_str(": ");
            s.push_str(&c.to_string());
            cause = c.source();
        }
        s
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Group {
        Process,
        Network,
        Files,
    }

    pub struct Loaded {
        // Holds the programs and their links: dropping it detaches them.
        _bpf: Ebpf,
        ring: RingBuf<MapData>,
        lost: PerCpuArray<MapData, u64>,
    }

    fn wanted(want: Want, g: Group) -> bool {
        match g {
            Group::Process => true, // the process table feeds every other kind
            Group::Network => want.network,
            Group::Files => want.files,
        }
    }

    impl Loaded {
        pub fn open(want: Want, keys: &[String]) -> Result<(Loaded, Vec<String>), String> {
            let mut bpf =
                Ebpf::load(OBJECT).map_err(|e| format!("loading the BPF object: {}", chain(&e)))?;
            let mut skipped = Vec::new();
            for &(prog, category, name, group, required) in TRACEPOINTS {
                if !wanted(want, group) {
                    continue;
                }
                let attached = (|| -> Result<(), String> {
                    let p: &mut TracePoint = bpf
                        .program_mut(prog)
                        .ok_or("not in the object")?
                        .try_into()
                        .map_err(|e| chain(&e))?;
                    p.load().map_err(|e| format!("load: {}", chain(&e)))?;
                    p.attach(category, name)
                        .map_err(|e| format!("attach: {}", chain(&e)))?;
                    Ok(())
                })();
                match attached {
                    Ok(()) => {}
                    Err(e) if required => return Err(format!("tracepoint {category}/{name}: {e}")),
                    Err(e) => skipped.push(format!("{category}/{name}: {e}")),
                }
            }
            {
                let fork: &mut RawTracePoint = bpf
                    .program_mut("vigil_fork")
                    .ok_or("program vigil_fork is not in the object")?
                    .try_into()
                    .map_err(|e| format!("vigil_fork: {e}"))?;
                fork.load().map_err(|e| {
                    format!("raw tracepoint sched_process_fork: load: {}", chain(&e))
                })?;
                fork.attach("sched_process_fork").map_err(|e| {
                    format!("raw tracepoint sched_process_fork: attach: {}", chain(&e))
                })?;
            }
            if !keys.is_empty() {
                let mut watched: BpfHashMap<_, [u8; record::PATH_KEY], u8> =
                    BpfHashMap::try_from(bpf.map_mut("WATCHED").ok_or("map WATCHED is missing")?)
                        .map_err(|e| format!("map WATCHED: {e}"))?;
                for k in keys {
                    if let Some(key) = record::path_key(k) {
                        watched
                            .insert(key, 1, 0)
                            .map_err(|e| format!("map WATCHED: {e}"))?;
                    }
                }
            }
            let ring = RingBuf::try_from(bpf.take_map("EVENTS").ok_or("map EVENTS is missing")?)
                .map_err(|e| format!("map EVENTS: {e}"))?;
            let lost = PerCpuArray::try_from(bpf.take_map("LOST").ok_or("map LOST is missing")?)
                .map_err(|e| format!("map LOST: {e}"))?;
            Ok((
                Loaded {
                    _bpf: bpf,
                    ring,
                    lost,
                },
                skipped,
            ))
        }

        /// The kernel's loss counters, summed over CPUs, per kind.
        fn lost_counts(&self) -> [u64; KINDS as usize] {
            let mut out = [0u64; KINDS as usize];
            for (k, slot) in out.iter_mut().enumerate() {
                if let Ok(v) = self.lost.get(&(k as u32), 0) {
                    *slot = v.iter().sum();
                }
            }
            out
        }

        pub fn run(mut self, mut collector: Collector, stop: Arc<AtomicBool>) {
            let mut last_lost = [0u64; KINDS as usize];
            let mut window_start = crate::clock::now();
            let mut last_check = Instant::now();
            let mut last_users = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let ready = {
                    let mut fds = [PollFd::new(self.ring.as_fd(), PollFlags::POLLIN)];
                    poll(&mut fds, PollTimeout::from(200u16)).unwrap_or(0)
                };
                if ready > 0 {
                    // Drain in bounded rounds so the loss check and the stop flag get a turn.
                    for _ in 0..65_536 {
                        let Some(item) = self.ring.next() else { break };
                        let decoded = record::decode(&item);
                        // Frees the slot before the (slower) handling.
                        drop(item);
                        match decoded {
                            Some(r) => collector.handle(r),
                            None => Stats::add(&collector.emitter.stats().ebpf_bad_records, 1),
                        }
                    }
                }
                if last_check.elapsed() >= Duration::from_secs(1) {
                    last_check = Instant::now();
                    let now = crate::clock::now();
                    let counts = self.lost_counts();
                    for (k, (&n, prev)) in counts.iter().zip(last_lost.iter_mut()).enumerate() {
                        if n > *prev {
                            let delta = n - *prev;
                            *prev = n;
                            collector.count_lost(delta);
                            collector.emitter.emit(
                                now,
                                HostEventKind::LostCoverage {
                                    count: delta,
                                    reason: "ebpf_buffer_full".into(),
                                    event_kind: Some(record::kind_name(k as u32).into()),
                                    window_start,
                                    window_end: now,
                                },
                            );
                        }
                    }
                    window_start = now;
                }
                if last_users.elapsed() > Duration::from_secs(5) {
                    collector.users.refresh();
                    last_users = Instant::now();
                }
            }
        }
    }
}

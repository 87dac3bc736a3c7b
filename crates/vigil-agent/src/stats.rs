//! Counters the agent keeps about itself: what it saw, shipped, and lost. Losses are the
//! "lost coverage" report: every event the agent could not deliver is counted under a reason.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shared by every thread of the agent; updated with relaxed atomics (they are tallies).
#[derive(Debug, Default)]
pub struct Stats {
    pub events_observed: AtomicU64,
    pub events_shipped: AtomicU64,
    pub batches_shipped: AtomicU64,
    pub delivery_failures: AtomicU64,
    /// Events dropped because the in-memory queue was full (the shipper fell behind).
    pub lost_queue_full: AtomicU64,
    /// Events dropped because the spool reached its size bound (the oldest batches go first).
    pub lost_spool_full: AtomicU64,
    /// Events that could not be written to the spool (disk error).
    pub lost_spool_error: AtomicU64,
    /// Times the kernel said it dropped process events (netlink ENOBUFS); the count of events in
    /// each loss is unknown.
    pub kernel_overruns: AtomicU64,
    /// fanotify queue overflows (file events lost, count unknown).
    pub file_overflows: AtomicU64,
    /// Processes that exited before `/proc` could be read at exec: their start event carries
    /// only what the kernel message and the parent gave.
    pub exec_partial: AtomicU64,
    /// eBPF records the kernel could not put in the ring buffer (it was full).
    pub lost_ebpf_buffer: AtomicU64,
    /// eBPF records that did not decode (never expected; counted, not trusted).
    pub ebpf_bad_records: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let usage = crate::procfs::self_usage();
        StatsSnapshot {
            events_observed: g(&self.events_observed),
            events_shipped: g(&self.events_shipped),
            batches_shipped: g(&self.batches_shipped),
            delivery_failures: g(&self.delivery_failures),
            lost_queue_full: g(&self.lost_queue_full),
            lost_spool_full: g(&self.lost_spool_full),
            lost_spool_error: g(&self.lost_spool_error),
            kernel_overruns: g(&self.kernel_overruns),
            file_overflows: g(&self.file_overflows),
            exec_partial: g(&self.exec_partial),
            lost_ebpf_buffer: g(&self.lost_ebpf_buffer),
            ebpf_bad_records: g(&self.ebpf_bad_records),
            cpu_ms: usage.0,
            rss_kib: usage.1,
        }
    }
}

/// A point-in-time copy of [`Stats`], as the stats file and the exit summary show it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub events_observed: u64,
    pub events_shipped: u64,
    pub batches_shipped: u64,
    pub delivery_failures: u64,
    pub lost_queue_full: u64,
    pub lost_spool_full: u64,
    pub lost_spool_error: u64,
    pub kernel_overruns: u64,
    pub file_overflows: u64,
    pub exec_partial: u64,
    pub lost_ebpf_buffer: u64,
    pub ebpf_bad_records: u64,
    /// CPU time the agent has used (user + system), in milliseconds.
    pub cpu_ms: u64,
    /// The agent's resident memory, in KiB.
    pub rss_kib: u64,
}

impl StatsSnapshot {
    /// Events known lost (queue, spool, eBPF ring buffer); netlink and fanotify overruns are
    /// counted apart because their size is unknown.
    pub fn events_lost(&self) -> u64 {
        self.lost_queue_full + self.lost_spool_full + self.lost_spool_error + self.lost_ebpf_buffer
    }
}

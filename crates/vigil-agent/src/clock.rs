//! Wall-clock time for events. The process connector stamps events with the monotonic clock;
//! the offset to the real-time clock, taken once at start, turns them into UTC.

use std::time::{SystemTime, UNIX_EPOCH};
use vigil_model::Timestamp;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Real-time minus monotonic, in nanoseconds.
    offset_ns: i128,
}

impl Clock {
    pub fn new() -> Self {
        let mono = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
            .map(|t| i128::from(t.tv_sec()) * 1_000_000_000 + i128::from(t.tv_nsec()))
            .unwrap_or(0);
        Clock {
            offset_ns: now_ns() - mono,
        }
    }

    /// The UTC time of a monotonic-clock stamp.
    pub fn from_monotonic_ns(&self, ns: u64) -> Timestamp {
        let wall = i128::from(ns) + self.offset_ns;
        Timestamp::from_millis(i64::try_from(wall / 1_000_000).unwrap_or(i64::MAX))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Now, for observations that carry no time of their own (polled sockets, log lines).
pub fn now() -> Timestamp {
    Timestamp::from_millis(i64::try_from(now_ns() / 1_000_000).unwrap_or(i64::MAX))
}

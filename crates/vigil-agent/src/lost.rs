//! Lost coverage as events: the losses the agent counted since the last report become
//! `lost_coverage` host events, one per reason, so whoever reads the events knows where the
//! record has holes. (eBPF ring-buffer losses are reported by the eBPF source itself, per kind.)

use crate::stats::StatsSnapshot;
use vigil_model::{HostEventKind, Timestamp};

/// Remembers the counters at the last report.
#[derive(Debug)]
pub struct LossReporter {
    last: StatsSnapshot,
    since: Timestamp,
}

impl LossReporter {
    pub fn new(start: Timestamp) -> Self {
        LossReporter {
            last: StatsSnapshot::default(),
            since: start,
        }
    }

    /// The events for what was lost between the last call and `now`.
    pub fn events(&mut self, snap: &StatsSnapshot, now: Timestamp) -> Vec<HostEventKind> {
        let reasons: [(&str, Option<&str>, u64, u64); 5] = [
            (
                "queue_full",
                None,
                snap.lost_queue_full,
                self.last.lost_queue_full,
            ),
            (
                "spool_full",
                None,
                snap.lost_spool_full,
                self.last.lost_spool_full,
            ),
            (
                "spool_error",
                None,
                snap.lost_spool_error,
                self.last.lost_spool_error,
            ),
            (
                "kernel_overrun",
                Some("process_start"),
                snap.kernel_overruns,
                self.last.kernel_overruns,
            ),
            (
                "file_overflow",
                Some("file_access"),
                snap.file_overflows,
                self.last.file_overflows,
            ),
        ];
        let out = reasons
            .iter()
            .filter(|(_, _, now_n, last_n)| now_n > last_n)
            .map(
                |(reason, kind, now_n, last_n)| HostEventKind::LostCoverage {
                    count: now_n - last_n,
                    reason: (*reason).to_string(),
                    event_kind: kind.map(str::to_string),
                    window_start: self.since,
                    window_end: now,
                },
            )
            .collect();
        self.last = *snap;
        self.since = now;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_only_new_losses_with_their_window() {
        let t0 = Timestamp::from_secs(100);
        let mut r = LossReporter::new(t0);
        let mut s = StatsSnapshot::default();
        assert!(r.events(&s, Timestamp::from_secs(105)).is_empty());
        s.lost_queue_full = 7;
        s.kernel_overruns = 2;
        let ev = r.events(&s, Timestamp::from_secs(110));
        assert_eq!(ev.len(), 2);
        assert!(
            matches!(&ev[0], HostEventKind::LostCoverage { count: 7, reason, window_start, .. }
            if reason == "queue_full" && *window_start == Timestamp::from_secs(105))
        );
        assert!(
            matches!(&ev[1], HostEventKind::LostCoverage { count: 2, event_kind: Some(k), .. } if k == "process_start")
        );
        s.lost_queue_full = 10;
        let ev = r.events(&s, Timestamp::from_secs(115));
        assert!(matches!(
            &ev[..],
            [HostEventKind::LostCoverage { count: 3, .. }]
        ));
    }
}

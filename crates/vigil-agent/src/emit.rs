//! The hand-off from sources to the shipper: a bounded queue that never blocks a source. When it
//! is full the event is dropped and counted (lost coverage), so a burst costs events, not memory.

use crate::stats::Stats;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use vigil_model::{HostEventKind, Timestamp};

/// One observation before it has an id and a host.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub time: Timestamp,
    pub kind: HostEventKind,
}

/// A source's handle on the queue.
#[derive(Debug, Clone)]
pub struct Emitter {
    tx: SyncSender<Observed>,
    stats: Arc<Stats>,
}

impl Emitter {
    pub fn emit(&self, time: Timestamp, kind: HostEventKind) {
        match self.tx.try_send(Observed { time, kind }) {
            Ok(()) => Stats::add(&self.stats.events_observed, 1),
            Err(TrySendError::Full(_)) => Stats::add(&self.stats.lost_queue_full, 1),
            // The shipper is gone: the agent is stopping.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }
}

/// A queue of `capacity` events.
pub fn queue(capacity: usize, stats: Arc<Stats>) -> (Emitter, Receiver<Observed>) {
    let (tx, rx) = sync_channel(capacity);
    (Emitter { tx, stats }, rx)
}

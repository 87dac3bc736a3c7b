//! Two halves of a job on two threads: this thread produces vectors of events (reading and
//! parsing files, or reading events back from the store), a second consumes them in the order
//! handed over (detection). Used by the ingest pipeline (`vigil rules hunt` on two threads
//! shares both between parsing and detection instead: `vigil_ingest`'s `parts.rs`).
//!
//! The consumer empties each vector (so the events are freed on its thread, which has time to
//! spare: producing is the longer half) and hands it back for a later batch. On one thread, or
//! when no second thread starts, each batch is consumed as it is handed over: same batches,
//! same order.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};
use vigil_model::Event;

/// Batches queued between the two threads: enough that neither waits on a batch that took
/// the other a little longer, few enough that queued events stay in the caches.
const QUEUE: usize = 4;

/// Whatever consumes the batches.
pub type Consume<'c> = &'c mut (dyn FnMut(&[Event]) + Send);

/// The queue to the second thread, and the vectors it hands back.
type Queue<'c> = (SyncSender<Vec<Event>>, &'c Receiver<Vec<Event>>);

/// Where the producer hands its batches.
pub struct Handoff<'c> {
    to: Option<Queue<'c>>,
    here: Option<Consume<'c>>,
    waited: Duration,
    gone: bool,
}

impl<'c> Handoff<'c> {
    fn new(to: Option<Queue<'c>>, here: Option<Consume<'c>>) -> Self {
        Handoff {
            to,
            here,
            waited: Duration::ZERO,
            gone: false,
        }
    }

    /// Hands `events` over, leaving an empty vector in their place (one handed back when there
    /// is one). `false` once the consumer is gone (it panicked; the panic comes out of [`run`]).
    pub fn send(&mut self, events: &mut Vec<Event>) -> bool {
        if events.is_empty() || self.gone {
            return !self.gone;
        }
        if let Some(consume) = self.here.as_mut() {
            consume(events);
            events.clear();
            return true;
        }
        let Some((to, back)) = &self.to else {
            return false;
        };
        let spare = back.try_recv().unwrap_or_default();
        let full = std::mem::replace(events, spare);
        let t = Instant::now();
        self.gone = to.send(full).is_err();
        self.waited += t.elapsed();
        !self.gone
    }

    /// Time the producer spent waiting for the consumer to take a batch.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

/// Runs `produce` on this thread and `consume` over every batch it hands over: on a second
/// thread when `two_threads` and one starts, else here as each batch is handed over. Returns
/// what `produce` returned, once `consume` has taken every batch. A panic in `consume` is
/// resumed here.
pub fn run<'c, R>(
    two_threads: bool,
    consume: Consume<'c>,
    produce: impl FnOnce(&mut Handoff<'_>) -> R,
) -> R {
    if !two_threads {
        return produce(&mut Handoff::new(None, Some(consume)));
    }
    let (to, batches) = sync_channel::<Vec<Event>>(QUEUE);
    let (to_back, back) = sync_channel::<Vec<Event>>(QUEUE + 2);
    // Taken by the second thread once it runs; still here if it does not start.
    let slot: Mutex<Option<Consume<'c>>> = Mutex::new(Some(consume));
    let take = || slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    std::thread::scope(|scope| {
        let consumer = std::thread::Builder::new()
            .name("vigil-detect".to_string())
            .spawn_scoped(scope, || {
                let Some(consume) = take() else {
                    return;
                };
                for mut batch in batches {
                    consume(&batch);
                    batch.clear();
                    // A full return queue only means the producer has vectors enough.
                    let _ = to_back.try_send(batch);
                }
            });
        match consumer {
            Ok(consumer) => {
                let mut handoff = Handoff::new(Some((to, &back)), None);
                let out = produce(&mut handoff);
                drop(handoff);
                if let Err(panic) = consumer.join() {
                    std::panic::resume_unwind(panic);
                }
                out
            }
            // No second thread: nothing was consumed yet.
            Err(_) => produce(&mut Handoff::new(None, take())),
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_events::events;

    #[test]
    fn every_batch_is_consumed_in_order_on_one_thread_or_two() {
        let all = events(1000);
        let want: Vec<String> = all.iter().map(|e| e.id.clone()).collect();
        for two_threads in [false, true] {
            let mut seen = Vec::new();
            let mut consume = |batch: &[Event]| seen.extend(batch.iter().map(|e| e.id.clone()));
            let sent = run(two_threads, &mut consume, |h| {
                // Batches of varied sizes, an empty one among them.
                let mut rest = all.clone();
                let mut size = 0;
                while !rest.is_empty() {
                    let mut batch: Vec<Event> = rest.drain(..size.min(rest.len())).collect();
                    assert!(h.send(&mut batch));
                    assert!(batch.is_empty());
                    size = (size * 7 + 3) % 90;
                }
                true
            });
            assert!(sent);
            assert_eq!(seen, want, "two threads: {two_threads}");
        }
    }
}

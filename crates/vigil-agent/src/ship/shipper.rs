//! The shipping loop: gather observations into batches (by count or age), spool each batch,
//! deliver spooled batches oldest-first, back off while the destination is away.

use crate::emit::Observed;
use crate::ship::sink::Sink;
use crate::ship::spool::Spool;
use crate::stats::Stats;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use vigil_model::{Event, EventBody, EventSource, HostEvent};

const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

pub struct Shipper {
    pub spool: Spool,
    pub sink: Box<dyn Sink>,
    pub agent_id: String,
    pub host_id: String,
    pub hostname: Option<String>,
    pub batch_max_events: usize,
    pub batch_max_wait: Duration,
    pub stats: Arc<Stats>,
    pub stats_file: Option<PathBuf>,
    /// How long the final delivery may keep trying once the sources have stopped.
    pub drain_timeout: Duration,
}

impl Shipper {
    /// Runs until every [`crate::emit::Emitter`] is dropped, then spools what is left and
    /// tries to deliver it for at most `drain_timeout`.
    pub fn run(mut self, rx: Receiver<Observed>) {
        let mut pending: Vec<Observed> = Vec::new();
        let mut first_at = Instant::now();
        let mut next_attempt = Instant::now();
        let mut backoff = BACKOFF_MIN;
        let mut last_stats = Instant::now();
        let mut last_lost = 0u64;
        let mut losses = crate::lost::LossReporter::new(crate::clock::now());
        loop {
            let wait = if pending.is_empty() {
                Duration::from_millis(200)
            } else {
                self.batch_max_wait.saturating_sub(first_at.elapsed())
            };
            let wait = wait.min(next_attempt.saturating_duration_since(Instant::now()).max(
                Duration::from_millis(if self.spool.is_empty() { 200 } else { 1 }),
            ));
            let disconnected = match rx.recv_timeout(wait) {
                Ok(ev) => {
                    if pending.is_empty() {
                        first_at = Instant::now();
                    }
                    pending.push(ev);
                    // Drain what is already queued without waiting.
                    while pending.len() < self.batch_max_events {
                        match rx.try_recv() {
                            Ok(ev) => pending.push(ev),
                            Err(_) => break,
                        }
                    }
                    false
                }
                Err(RecvTimeoutError::Timeout) => false,
                Err(RecvTimeoutError::Disconnected) => true,
            };
            if disconnected || last_stats.elapsed() >= Duration::from_secs(5) {
                self.add_losses(&mut losses, &mut pending, &mut first_at);
            }
            if !pending.is_empty()
                && (disconnected
                    || pending.len() >= self.batch_max_events
                    || first_at.elapsed() >= self.batch_max_wait)
            {
                self.spool_batch(std::mem::take(&mut pending));
            }
            if disconnected {
                self.drain();
                break;
            }
            if Instant::now() >= next_attempt && !self.spool.is_empty() {
                if self.deliver_all() {
                    backoff = BACKOFF_MIN;
                } else {
                    next_attempt = Instant::now() + backoff;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
            if last_stats.elapsed() >= Duration::from_secs(5) {
                last_lost = self.report(last_lost);
                last_stats = Instant::now();
            }
        }
        self.report(last_lost);
    }

    /// Appends a `lost_coverage` event per reason for what was lost since the last report.
    fn add_losses(
        &self,
        losses: &mut crate::lost::LossReporter,
        pending: &mut Vec<Observed>,
        first_at: &mut Instant,
    ) {
        let now = crate::clock::now();
        for kind in losses.events(&self.stats.snapshot(), now) {
            if pending.is_empty() {
                *first_at = Instant::now();
            }
            // Counted as observed so that observed = shipped + lost still holds.
            Stats::add(&self.stats.events_observed, 1);
            pending.push(Observed { time: now, kind });
        }
    }

    /// The final delivery after the sources stopped: keep trying until empty or out of time.
    fn drain(&mut self) {
        let deadline = Instant::now() + self.drain_timeout;
        let mut backoff = BACKOFF_MIN;
        while !self.spool.is_empty() && !self.deliver_all() && Instant::now() < deadline {
            std::thread::sleep(backoff.min(deadline.saturating_duration_since(Instant::now())));
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }

    /// Serialises a batch (ids `<agent-id>-<spool instance>-<seq>-<n>`) and stores it in the spool.
    fn spool_batch(&mut self, batch: Vec<Observed>) {
        let count = batch.len() as u64;
        let seq = match self.spool.next_seq() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("vigil-agent: spool: {e}");
                Stats::add(&self.stats.lost_spool_error, count);
                return;
            }
        };
        let mut body = Vec::with_capacity(batch.len() * 320);
        for (i, ob) in batch.into_iter().enumerate() {
            let ev = Event {
                id: format!("{}-{}-{seq}-{i}", self.agent_id, self.spool.instance()),
                time: ob.time,
                source: EventSource::Agent,
                body: EventBody::Host(HostEvent {
                    host_id: self.host_id.clone(),
                    hostname: self.hostname.clone(),
                    kind: ob.kind,
                }),
            };
            if serde_json::to_writer(&mut body, &ev).is_ok() {
                body.push(b'\n');
            }
        }
        match self.spool.push(seq, count, &body) {
            Ok(d) => Stats::add(&self.stats.lost_spool_full, d.events),
            Err(e) => {
                eprintln!("vigil-agent: spool: {e}");
                Stats::add(&self.stats.lost_spool_error, count);
            }
        }
    }

    /// Delivers spooled batches oldest-first; false at the first failure.
    fn deliver_all(&mut self) -> bool {
        while let Some(b) = self.spool.oldest().cloned() {
            // The spool wrote this file itself, under its size bound.
            let body = match std::fs::read(&b.path) {
                Ok(body) => body,
                Err(e) => {
                    eprintln!("vigil-agent: spool `{}`: {e}", b.path.display());
                    Stats::add(&self.stats.lost_spool_error, b.count);
                    let _ = self.spool.pop_oldest();
                    continue;
                }
            };
            let id = format!("{}-{}-{}", self.agent_id, self.spool.instance(), b.seq);
            match self.sink.deliver(&id, &body) {
                Ok(()) => {
                    Stats::add(&self.stats.events_shipped, b.count);
                    Stats::add(&self.stats.batches_shipped, 1);
                    if let Err(e) = self.spool.pop_oldest() {
                        eprintln!("vigil-agent: spool: {e}");
                    }
                }
                Err(e) => {
                    Stats::add(&self.stats.delivery_failures, 1);
                    eprintln!("vigil-agent: delivery of batch {id} failed (kept in spool): {e}");
                    return false;
                }
            }
        }
        true
    }

    /// Writes the stats file and warns when events were lost since the last report.
    fn report(&self, last_lost: u64) -> u64 {
        let snap = self.stats.snapshot();
        let lost = snap.events_lost();
        if lost > last_lost {
            eprintln!(
                "vigil-agent: lost coverage: {} event(s) dropped (queue full {}, spool full {}, spool error {})",
                lost - last_lost,
                snap.lost_queue_full,
                snap.lost_spool_full,
                snap.lost_spool_error
            );
        }
        if let Some(path) = &self.stats_file {
            let tmp = path.with_extension("tmp");
            let written = std::fs::File::create(&tmp).and_then(|mut f| {
                serde_json::to_writer_pretty(&mut f, &snap)?;
                f.write_all(b"\n")
            });
            if written.is_ok() {
                let _ = std::fs::rename(&tmp, path);
            }
        }
        lost
    }
}

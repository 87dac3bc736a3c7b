//! Events made ready for storing: everything the store needs from each event that is pure and
//! per event — its dedup key, its document, its entity keys — worked out before the write.
//!
//! Why a separate step: a store has one writer (SQLite's write lock), and encoding a ~2 KB
//! body as JSON, hashing its key and listing its entities cost about as much as the writer's
//! I/O and SQL together. Done here, on the threads that parsed the events, the writer is left
//! with what only it can do. [`crate::Store::insert_events`] prepares on the calling thread.

use crate::error::{Result, StoreError};
use crate::event_keys::EventKey;
use crate::seeded_hash::SeededHash;
use crate::segment;
use std::collections::HashMap;
use std::ops::Range;
use vigil_model::{Event, EventSource, Timestamp};

/// A run of events (typically one file's) ready for [`crate::Store::insert_prepared`].
///
/// It does not hold the events themselves, only what is stored of them; event `i` here is
/// event `i` of the slice it was prepared from.
#[derive(Debug, Default, Clone)]
pub struct PreparedEvents {
    pub(crate) events: Vec<PreparedEvent>,
    /// Every document, back to back.
    pub(crate) docs: Vec<u8>,
    /// The distinct entity keys (`kind:id`) of these events, each with the indexes of the
    /// events involving it, ascending. Gathered here so the writer merges a few lists per
    /// entity rather than hashing every mention.
    pub(crate) entities: Vec<(String, Vec<u32>)>,
    /// Where each entity key is in `entities`, while preparing.
    index: HashMap<String, u32, SeededHash>,
    scratch: String,
}

/// One event's share of a [`PreparedEvents`].
#[derive(Debug, Clone)]
pub(crate) struct PreparedEvent {
    pub time: Timestamp,
    pub source: EventSource,
    pub key: EventKey,
    /// Its document in `docs`.
    pub doc: Range<usize>,
}

/// Events encoded before the buffer is sized from their average.
const SIZING_SAMPLE: usize = 32;

/// The most that sizing reserves up front (a few huge first events must not reserve gigabytes);
/// past it the buffer grows as it needs.
const MAX_RESERVE: usize = 64 * 1024 * 1024;

impl PreparedEvents {
    /// Prepares `events` for storing. Fails only when an event cannot be encoded (an id over
    /// 4 GiB), which would fail the insert anyway.
    pub fn prepare(events: &[Event]) -> Result<PreparedEvents> {
        PreparedEvents::default().prepare_again(events)
    }

    /// [`PreparedEvents::prepare`] into the buffers of a spent `self` (one already stored).
    ///
    /// Why: a file's documents are megabytes, and memory fresh from the system costs a page
    /// fault and the zeroing of every page on first touch; the ingest bench measured that at
    /// about as much as encoding the documents. Buffers passed round again are already mapped.
    pub fn prepare_again(mut self, events: &[Event]) -> Result<PreparedEvents> {
        self.events.clear();
        self.docs.clear();
        self.entities.clear();
        self.index.clear();
        self.events.reserve(events.len());
        let index = u32::try_from(events.len()).map_err(|_| StoreError::BadValue {
            what: "events in one run",
            key: String::new(),
            value: events.len().to_string(),
        })?;
        for (i, event) in (0..index).zip(events) {
            if i as usize == SIZING_SAMPLE {
                // Size the buffer once from the first documents rather than let it double
                // its way up, copying and faulting in every intermediate size.
                let want = ((self.docs.len() / SIZING_SAMPLE)
                    .saturating_mul(events.len())
                    .saturating_mul(9)
                    / 8)
                .min(MAX_RESERVE);
                if self.docs.capacity() < want {
                    // Into a new buffer: growing a reused one would copy all of its old
                    // capacity, where only the sample's documents are in use.
                    let mut docs = Vec::with_capacity(want);
                    docs.extend_from_slice(&self.docs);
                    self.docs = docs;
                }
            }
            self.push(i, event)?;
        }
        Ok(self)
    }

    fn push(&mut self, i: u32, event: &Event) -> Result<()> {
        let start = self.docs.len();
        segment::doc::encode(event, &mut self.docs)?;
        let (index, entities, scratch) = (&mut self.index, &mut self.entities, &mut self.scratch);
        event.each_entity(|kind, id| {
            scratch.clear();
            scratch.push_str(kind.as_str());
            scratch.push(':');
            scratch.push_str(id);
            let slot = match index.get(scratch.as_str()) {
                Some(&slot) => slot,
                None => {
                    let slot = u32::try_from(entities.len()).unwrap_or(u32::MAX);
                    index.insert(scratch.clone(), slot);
                    entities.push((scratch.clone(), Vec::new()));
                    slot
                }
            };
            // An entity the event names twice is listed once.
            if let Some((_, events)) = entities.get_mut(slot as usize)
                && events.last() != Some(&i)
            {
                events.push(i);
            }
        });
        self.events.push(PreparedEvent {
            time: event.time,
            source: event.source,
            key: EventKey::of(event.source, &event.id),
            doc: start..self.docs.len(),
        });
        Ok(())
    }

    /// How many events were prepared.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The document of event `e`.
    pub(crate) fn doc(&self, e: &PreparedEvent) -> &[u8] {
        self.docs.get(e.doc.clone()).unwrap_or_default()
    }
}

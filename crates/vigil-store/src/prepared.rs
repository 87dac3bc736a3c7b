//! Events made ready for storing: everything the store needs from each event that is pure and
//! per event — its dedup key, its document, its entity keys — worked out before the write.
//!
//! Why a separate step: a store has one writer (SQLite's write lock), and encoding a ~2 KB
//! body as JSON, hashing its key and listing its entities cost about as much as the writer's
//! I/O and SQL together. Done here, on the threads that parsed the events, the writer is left
//! with what only it can do. [`crate::Store::insert_events`] prepares on the calling thread.

use crate::error::{Result, StoreError};
use crate::event_keys::EventKey;
use crate::segment;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::ops::Range;
use vigil_model::{Event, EventSource, Timestamp};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A run of events (typically one file's) ready for [`crate::Store::insert_prepared`].
///
/// It does not hold the events themselves, only what is stored of them; event `i` here is
/// event `i` of the slice it was prepared from.
#[derive(Debug, Default, Clone)]
pub struct PreparedEvents {
    pub(crate) events: Vec<PreparedEvent>,
    /// The documents, back to back in chunks of about [`CHUNK`] bytes (the first
    /// `chunks_used`; the rest are kept for the next run).
    chunks: Vec<Vec<u8>>,
    chunks_used: usize,
    /// The distinct entity keys (`kind:id`) of these events, in order of first mention, back
    /// to back; `key_ends` has where each ends.
    key_text: String,
    key_ends: Vec<u32>,
    /// Per entity key, the end of its events in `postings` (each run ascending). Gathered
    /// here so the writer merges a few lists per entity rather than hashing every mention.
    ends: Vec<u32>,
    postings: Vec<u32>,
    /// While preparing: (hash, entity) of every key, found by kind and id without writing
    /// the key out (hashbrown's `HashTable` compares against the arena); and per mention
    /// (entity, event) with per entity its count and last event, for the counting sort that
    /// makes `postings`.
    index: HashTable<(u64, u32)>,
    seed: u64,
    mentions: Vec<(u32, u32)>,
    counts: Vec<u32>,
    last: Vec<u32>,
}

/// One event's share of a [`PreparedEvents`].
#[derive(Debug, Clone)]
pub(crate) struct PreparedEvent {
    pub time: Timestamp,
    pub source: EventSource,
    pub key: EventKey,
    /// Its document: chunk, then the range in it.
    pub chunk: u32,
    pub doc: Range<u32>,
}

/// Bytes per document chunk. Why chunks and not one buffer: a file's documents are megabytes
/// and their total is not known before they are encoded; one buffer had to be sized by
/// guessing, and each wrong guess copied everything encoded so far into fresh memory.
const CHUNK: usize = 4 << 20;

/// A document starts a new chunk when less than this is left in the current one, so a chunk
/// grows (and is copied) only for a document larger than this.
const HEADROOM: usize = 256 << 10;

/// Entity key `slot` of the arena.
fn key_of<'a>(text: &'a str, ends: &[u32], slot: u32) -> Option<&'a str> {
    let end = *ends.get(slot as usize)?;
    let start = match slot.checked_sub(1) {
        Some(prev) => *ends.get(prev as usize)?,
        None => 0,
    };
    text.get(start as usize..end as usize)
}

/// Mixed into the seed per entity kind, so `ip:x` and `host:x` hash apart.
fn kind_seed(kind: &str) -> u64 {
    kind.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// `last` of an entity not yet mentioned.
const NONE: u32 = u32::MAX;

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
        for c in &mut self.chunks {
            c.clear();
        }
        self.chunks_used = 0;
        self.key_text.clear();
        self.key_ends.clear();
        self.ends.clear();
        self.postings.clear();
        self.index.clear();
        if self.seed == 0 {
            // Input chooses the keys; a random seed per buffer keeps it from choosing buckets.
            self.seed = std::collections::hash_map::RandomState::new().hash_one(0u8) | 1;
        }
        self.mentions.clear();
        self.counts.clear();
        self.last.clear();
        self.events.reserve(events.len());
        let index = u32::try_from(events.len())
            .ok()
            .filter(|&n| n != NONE)
            .ok_or_else(|| StoreError::BadValue {
                what: "events in one run",
                key: String::new(),
                value: events.len().to_string(),
            })?;
        for (i, event) in (0..index).zip(events) {
            self.push(i, event)?;
        }
        self.gather_postings();
        Ok(self)
    }

    /// The chunk the next document goes to, starting a new one when this one is nearly full.
    fn chunk_for_next(&mut self) -> usize {
        let current = self.chunks_used.checked_sub(1);
        if let Some(c) = current
            && let Some(buf) = self.chunks.get(c)
            && buf.capacity() - buf.len() >= HEADROOM
        {
            return c;
        }
        let next = self.chunks_used;
        if self.chunks.len() <= next {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks_used += 1;
        next
    }

    fn push(&mut self, i: u32, event: &Event) -> Result<()> {
        let c = self.chunk_for_next();
        let Some(buf) = self.chunks.get_mut(c) else {
            return Err(StoreError::BadValue {
                what: "document chunk",
                key: String::new(),
                value: c.to_string(),
            });
        };
        let start = buf.len();
        segment::doc::encode(event, buf)?;
        let doc = u32::try_from(start)
            .ok()
            .zip(u32::try_from(buf.len()).ok())
            .map(|(s, e)| s..e)
            .ok_or_else(|| StoreError::BadValue {
                what: "document",
                key: event.id.to_string(),
                value: format!("{} bytes", buf.len() - start),
            })?;
        let (index, seed) = (&mut self.index, self.seed);
        let (key_text, key_ends) = (&mut self.key_text, &mut self.key_ends);
        let (mentions, counts, last) = (&mut self.mentions, &mut self.counts, &mut self.last);
        event.each_entity(|kind, id| {
            let kind = kind.as_str();
            let hash = xxh3_64_with_seed(id.as_bytes(), seed ^ kind_seed(kind));
            let is_key = |slot: u32| {
                key_of(key_text, key_ends, slot).is_some_and(|k| {
                    k.len() == kind.len() + 1 + id.len()
                        && k.ends_with(id)
                        && k.starts_with(kind)
                        && k.as_bytes().get(kind.len()) == Some(&b':')
                })
            };
            let slot = match index.find(hash, |&(h, slot)| h == hash && is_key(slot)) {
                Some(&(_, slot)) => slot,
                None => {
                    let slot = u32::try_from(key_ends.len()).unwrap_or(NONE);
                    key_text.push_str(kind);
                    key_text.push(':');
                    key_text.push_str(id);
                    key_ends.push(u32::try_from(key_text.len()).unwrap_or(u32::MAX));
                    index.insert_unique(hash, (hash, slot), |&(h, _)| h);
                    counts.push(0);
                    last.push(NONE);
                    slot
                }
            };
            // An entity the event names twice is listed once.
            if let (Some(l), Some(n)) = (last.get_mut(slot as usize), counts.get_mut(slot as usize))
                && *l != i
            {
                *l = i;
                *n += 1;
                mentions.push((slot, i));
            }
        });
        self.events.push(PreparedEvent {
            time: event.time,
            source: event.source,
            key: EventKey::of(event.source, &event.id, event.time),
            chunk: u32::try_from(c).unwrap_or(u32::MAX),
            doc,
        });
        Ok(())
    }

    /// Mentions, in event order, into one run of events per entity (a counting sort: runs
    /// come out ascending because mentions are in event order).
    fn gather_postings(&mut self) {
        let mut next: Vec<u32> = Vec::with_capacity(self.counts.len());
        let mut total = 0u32;
        for &n in &self.counts {
            next.push(total);
            total += n;
            self.ends.push(total);
        }
        self.postings.resize(total as usize, 0);
        for &(slot, event) in &self.mentions {
            if let Some(at) = next.get_mut(slot as usize) {
                if let Some(p) = self.postings.get_mut(*at as usize) {
                    *p = event;
                }
                *at += 1;
            }
        }
    }

    /// Every entity key of these events with the events (indexes here) that involve it.
    pub(crate) fn entities(&self) -> impl Iterator<Item = (&str, &[u32])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        (0..)
            .map_while(|slot| key_of(&self.key_text, &self.key_ends, slot))
            .zip(starts.zip(&self.ends))
            .map(|(k, (s, &e))| {
                (
                    k,
                    self.postings
                        .get(s as usize..e as usize)
                        .unwrap_or_default(),
                )
            })
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
        self.chunks
            .get(e.chunk as usize)
            .and_then(|c| c.get(e.doc.start as usize..e.doc.end as usize))
            .unwrap_or_default()
    }
}

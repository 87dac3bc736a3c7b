//! What newly stored events are handed to, in event-time order. Until the detection engine is
//! wired in, [`Timeline`] checks the ordering promise and counts what went by.

use crate::pipeline::EventFeed;
use serde::Serialize;
use std::collections::BTreeMap;
use vigil_model::{Event, Timestamp};

#[derive(Debug, Default, Serialize)]
pub struct Timeline {
    pub events: u64,
    /// Events that arrived earlier in time than the one before: must stay 0.
    pub out_of_order: u64,
    pub by_source: BTreeMap<&'static str, u64>,
    #[serde(skip)]
    last: Option<Timestamp>,
}

impl EventFeed for Timeline {
    fn feed(&mut self, event: &Event) {
        self.events += 1;
        if self.last.is_some_and(|last| event.time < last) {
            self.out_of_order += 1;
        }
        self.last = Some(event.time);
        *self.by_source.entry(event.source.as_str()).or_default() += 1;
    }
}

//! Putting events that come *nearly* in time order into exact time order as they stream, for
//! `vigil rules hunt`.
//!
//! CloudTrail's S3 files follow each other in delivery order, but each holds some minutes of
//! calls and the next one may start before the last one ended. Read one after the other, the
//! events are out of order by minutes at most. The window holds what it was given until the
//! newest event seen is [`WINDOW_MS`] past it (or, with a window of 0, just at it), then
//! releases it in order: what comes out is the
//! stable sort by time of everything that went in (ties keep the order they arrived in), as
//! long as nothing arrives older than an event already released. When something does, the
//! caller is told and starts again over everything, sorted whole.
//!
//! Events are held in arrival order; only small `(time, arrival)` keys go through the heap, so
//! each event is moved in once and out once.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use vigil_model::{Event, Timestamp};

/// How far behind the newest event seen an event may arrive (30 minutes): AWS delivers
/// CloudTrail files about five minutes after the calls, each spanning a few minutes.
pub const WINDOW_MS: i64 = 30 * 60 * 1000;

#[derive(Debug)]
pub struct Reorder {
    window_ms: i64,
    /// Events not yet released, by arrival number (`first` is the front's), `None` once out.
    held: VecDeque<Option<Event>>,
    first: u64,
    /// `(time, arrival)` of every held event, earliest first.
    keys: BinaryHeap<Reverse<(Timestamp, u64)>>,
    newest: Option<Timestamp>,
    released: Option<Timestamp>,
}

/// An event arrived older than one already released: exact order can no longer be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLate;

impl Reorder {
    pub fn new(window_ms: i64) -> Reorder {
        Reorder {
            window_ms,
            held: VecDeque::new(),
            first: 0,
            keys: BinaryHeap::new(),
            newest: None,
            released: None,
        }
    }

    /// Takes `part` (leaving it empty: when all of it goes out into an empty `out`, the two
    /// vectors trade places) and appends to `out`, in order, every event the window has
    /// passed. A part in order arriving at an empty window skips the heap: what the window has
    /// passed goes straight out, so input in time order streams at no cost.
    pub fn take(&mut self, part: &mut Vec<Event>, out: &mut Vec<Event>) -> Result<(), TooLate> {
        if self.keys.is_empty()
            && let (Some(first), Some(last)) = (part.first(), part.last())
            && part.is_sorted_by_key(|e| e.time)
        {
            if self.released.is_some_and(|r| first.time < r) {
                return Err(TooLate);
            }
            let newest = self.newest.map_or(last.time, |n| n.max(last.time));
            self.newest = Some(newest);
            let edge = newest.plus_millis(-self.window_ms);
            let split = part.partition_point(|e| e.time <= edge);
            if split > 0 {
                self.released = part.get(split - 1).map(|e| e.time);
                if split == part.len() && out.is_empty() {
                    // All of it into an empty `out` (the hunt hands each release on): the
                    // vectors trade places instead of every event (some 500 bytes) moving
                    // into `out` as it grows.
                    std::mem::swap(part, out);
                } else {
                    out.extend(part.drain(..split));
                }
            }
        }
        for e in part.drain(..) {
            if self.released.is_some_and(|r| e.time < r) {
                return Err(TooLate);
            }
            let arrival = self.first + self.held.len() as u64;
            self.newest = Some(self.newest.map_or(e.time, |n| n.max(e.time)));
            self.keys.push(Reverse((e.time, arrival)));
            self.held.push_back(Some(e));
        }
        self.release(out, false);
        Ok(())
    }

    /// The input has ended: appends every held event to `out`, in order.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        self.release(out, true);
    }

    /// Appends to `out`, in order, every held event at or behind the window's edge (all of
    /// them when `all`).
    fn release(&mut self, out: &mut Vec<Event>, all: bool) {
        let edge = self.newest.map(|n| n.plus_millis(-self.window_ms));
        while let Some(&Reverse((time, arrival))) = self.keys.peek() {
            if !all && edge.is_none_or(|edge| time > edge) {
                break;
            }
            self.keys.pop();
            let slot = usize::try_from(arrival - self.first)
                .ok()
                .and_then(|i| self.held.get_mut(i))
                .and_then(Option::take);
            if let Some(e) = slot {
                self.released = Some(time);
                out.push(e);
            }
            while self.held.front().is_some_and(Option::is_none) {
                self.held.pop_front();
                self.first += 1;
            }
        }
    }

    /// Events held now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// Feeds `times` in parts of `part` events, releasing after each part; `None` if it was
    /// too late for one. Each release is handed on as the hunt does (`out` emptied after each
    /// part), and the same must come out when it is left to gather instead.
    fn run(times: &[i64], part: usize, window_ms: i64) -> Option<Vec<String>> {
        let events = crate::test_events::events_at(times.iter().copied().enumerate());
        let mut results = [true, false].map(|hand_on| {
            let mut r = Reorder::new(window_ms);
            let (mut out, mut handed) = (Vec::new(), Vec::new());
            for chunk in events.chunks(part.max(1)) {
                let mut part = chunk.to_vec();
                r.take(&mut part, &mut out).ok()?;
                assert!(part.is_empty());
                if hand_on {
                    handed.append(&mut out);
                }
            }
            r.finish(&mut out);
            handed.append(&mut out);
            assert_eq!(r.len(), 0);
            Some(handed.into_iter().map(|e| e.id).collect::<Vec<_>>())
        });
        assert_eq!(results[0], results[1]);
        results[0].take()
    }

    /// The stable sort by time, as ids.
    fn sorted(times: &[i64]) -> Vec<String> {
        let mut order: Vec<(i64, usize)> = times.iter().copied().zip(0..).collect();
        order.sort();
        order.into_iter().map(|(_, i)| format!("e{i}")).collect()
    }

    #[test]
    fn late_by_less_than_the_window_comes_out_in_order() {
        let min = 60_000;
        // Files of ten minutes that overlap the one before by three.
        let times: Vec<i64> = (0..6)
            .flat_map(|f| (0..10).map(move |m| (f * 7 + m) * min))
            .collect();
        assert_eq!(run(&times, 10, WINDOW_MS), Some(sorted(&times)));
    }

    #[test]
    fn an_in_order_part_keeps_its_tail_inside_the_window() {
        // The first part is in order and goes out up to the window's edge (5); 10 must wait,
        // as 7 comes next.
        assert_eq!(run(&[0, 10, 7], 2, 5), Some(sorted(&[0, 10, 7])));
    }

    #[test]
    fn late_by_more_than_the_window_is_refused() {
        let hour = 3_600_000;
        let times = [0, hour, 2 * hour, 10, 3 * hour];
        assert_eq!(run(&times, 1, WINDOW_MS), None);
    }

    /// Times mostly in order (as CloudTrail's files come), a step back now and then: parts in
    /// order are common, so the window's fast path is taken.
    fn nearly_in_order() -> impl Strategy<Value = Vec<i64>> {
        proptest::collection::vec(-4i64..8, 0..80).prop_map(|steps| {
            steps
                .into_iter()
                .scan(0i64, |t, step| {
                    *t += step;
                    Some(*t)
                })
                .collect()
        })
    }

    proptest! {
        /// Whatever comes in: either the stable sort by time comes out, or the window refused
        /// an event older than one it had released (and a refusal only ever happens then).
        #[test]
        fn out_comes_the_stable_sort_or_a_refusal(
            times in prop_oneof![proptest::collection::vec(0i64..50, 0..80), nearly_in_order()],
            part in 1usize..12,
            window in 0i64..20,
        ) {
            let want = sorted(&times);
            match run(&times, part, window) {
                Some(got) => prop_assert_eq!(got, want),
                None => {
                    // Refused: some event is later than the window allows behind an earlier
                    // arrival.
                    let mut newest = i64::MIN;
                    let mut late = false;
                    for &t in &times {
                        if t < newest.saturating_sub(window) {
                            late = true;
                        }
                        newest = newest.max(t);
                    }
                    prop_assert!(late, "refused without an event late by more than the window");
                }
            }
        }
    }
}

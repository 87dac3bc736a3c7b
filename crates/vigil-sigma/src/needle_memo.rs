//! The rules a CloudTrail field's value led to through [`crate::prefilter::FieldNeedles`],
//! remembered by the value.
//!
//! Why: the needle fields (the actor's ARN, the user agent) repeat from event to event (a
//! session's calls share an ARN, a tool its agent), and lowercasing the value and searching it
//! for every literal cost about 440 instructions an event in a 20k-event hunt; a remembered
//! value costs a hash and a comparison. Direct-mapped with [`SLOTS`] slots, so memory stays
//! bounded whatever the input: a new value takes its slot's place.

/// Slots; a power of two.
const SLOTS: usize = 256;

#[derive(Debug, Default)]
struct Slot {
    /// The rule set and the filter (its place among the set's extra keys) the value went
    /// through: one scratch may serve several sets.
    set: u64,
    filter: usize,
    value: String,
    rules: Vec<u32>,
    used: bool,
}

#[derive(Debug, Default)]
pub(crate) struct NeedleMemo {
    slots: Vec<Slot>,
}

impl NeedleMemo {
    /// The rules remembered for `value` through `filter` of set `set`, or `None`.
    pub fn recall(&mut self, set: u64, filter: usize, value: &str) -> Option<&[u32]> {
        let slot = self.slots.get(slot_of(filter, value))?;
        (slot.used && slot.set == set && slot.filter == filter && slot.value == value)
            .then_some(slot.rules.as_slice())
    }

    /// Remembers `rules` for `value` through `filter` of set `set`, in place of whatever its
    /// slot held (the slot's buffers are reused).
    pub fn remember(&mut self, set: u64, filter: usize, value: &str, rules: &[u32]) {
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, Slot::default);
        }
        let Some(slot) = self.slots.get_mut(slot_of(filter, value)) else {
            return;
        };
        slot.set = set;
        slot.filter = filter;
        slot.value.clear();
        slot.value.push_str(value);
        slot.rules.clear();
        slot.rules.extend_from_slice(rules);
        slot.used = true;
    }
}

/// A value's slot, from its length and three of its words (start, middle, end): a full hash
/// of a 100-byte user agent cost more than the search it saves. Values that share those
/// bytes share a slot and take turns in it; the full comparison in [`NeedleMemo::recall`]
/// keeps answers right.
fn slot_of(filter: usize, value: &str) -> usize {
    let b = value.as_bytes();
    let word = |at: usize| -> u64 {
        b.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let len = b.len();
    let h = (len as u64 ^ ((filter as u64) << 32))
        .wrapping_add(word(0))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
        ^ word((len / 2).saturating_sub(4))
        ^ word(len.saturating_sub(8)).rotate_left(17);
    (h.wrapping_mul(0x2545_F491_4F6C_DD1D) >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recalls_only_what_was_remembered_for_that_set_and_filter() {
        let mut m = NeedleMemo::default();
        assert_eq!(m.recall(1, 0, "arn:aws:iam::1:root"), None);
        m.remember(1, 0, "arn:aws:iam::1:root", &[3, 7]);
        assert_eq!(m.recall(1, 0, "arn:aws:iam::1:root"), Some(&[3, 7][..]));
        assert_eq!(m.recall(2, 0, "arn:aws:iam::1:root"), None);
        assert_eq!(m.recall(1, 1, "arn:aws:iam::1:root"), None);
        assert_eq!(m.recall(1, 0, "arn:aws:iam::1:rooT"), None);
        m.remember(1, 0, "arn:aws:iam::1:root", &[]);
        assert_eq!(m.recall(1, 0, "arn:aws:iam::1:root"), Some(&[][..]));
    }

    #[test]
    fn values_that_share_a_slot_are_told_apart() {
        // Same length and the same bytes where the slot is read (start, middle, end): one slot.
        let a = "aws-cli/2.15.0 Python/3.11 exe/x86_64.xy";
        let b = "aws-cli/2.99.9 Python/3.11 exe/x86_64.xy";
        assert_eq!(slot_of(0, a), slot_of(0, b));
        let mut m = NeedleMemo::default();
        m.remember(1, 0, a, &[5]);
        assert_eq!(m.recall(1, 0, b), None);
        assert_eq!(m.recall(1, 0, a), Some(&[5][..]));
        m.remember(1, 0, b, &[6]);
        assert_eq!(m.recall(1, 0, a), None);
        assert_eq!(m.recall(1, 0, b), Some(&[6][..]));
    }

    #[test]
    fn stays_bounded() {
        let mut m = NeedleMemo::default();
        for i in 0..10_000u32 {
            m.remember(1, 0, &format!("agent/{i}"), &[i]);
        }
        assert_eq!(m.slots.len(), SLOTS);
        // The last value is still there; most early ones were replaced.
        assert_eq!(m.recall(1, 0, "agent/9999"), Some(&[9999][..]));
        let kept = (0..10_000u32)
            .filter(|i| m.recall(1, 0, &format!("agent/{i}")).is_some())
            .count();
        assert!(kept <= SLOTS, "{kept}");
    }
}

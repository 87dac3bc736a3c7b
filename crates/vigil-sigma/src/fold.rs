//! ASCII case folding eight bytes at a time, for the comparisons Sigma makes without regard to
//! case (its default; folding is ASCII-only, as SQLite's `NOCASE`). Rule values are folded once
//! when compiled, so a comparison folds only the event's side.
//!
//! Why not `str::eq_ignore_ascii_case`: it folds both sides a byte at a time, and it was most of
//! the cost of a field test (an 11-byte `userIdentity.type` compare ~60 instructions of the
//! ~170 an equality test cost in the 20k-event hunt).

/// The last bytes of `key` (which does not fill whole words) as one word, read with fixed-size
/// loads: the last eight bytes when there are eight (overlapping the word before), else two
/// overlapping four-byte reads, else three single bytes. Copying the remainder into a zeroed
/// word called `memcpy` for every index lookup and was a third of its cost. Every byte lands in
/// the word, so two texts of one length with equal tail words have equal leftover bytes (what
/// [`folded_eq`] relies on); the index's hash also folds it in.
pub(crate) fn tail_word(key: &[u8]) -> u64 {
    let n = key.len();
    let word = |at: usize| {
        key.get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |at: usize| {
        key.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    };
    let byte = |at: usize| key.get(at).map_or(0, |&b| u64::from(b));
    match n {
        0 => 0,
        1..=3 => byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16,
        4..=7 => half(0) | half(n - 4) << 32,
        _ => word(n - 8),
    }
}

/// Eight bytes with each ASCII capital letter lowercased (SWAR; other bytes unchanged).
pub(crate) fn lower8(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = w & !HIGH;
    // High bit of each byte set where the low seven bits are >= 'A', resp. > 'Z'.
    let ge_a = low7 + ONES * u64::from(0x80 - b'A');
    let gt_z = low7 + ONES * u64::from(0x7f - b'Z');
    let upper = (ge_a & !gt_z) & !w & HIGH;
    w | (upper >> 2)
}

/// Whether `h` equals `folded` ignoring ASCII case, where `folded` is already lowercased
/// (`str::to_ascii_lowercase`): the same answer as `h.eq_ignore_ascii_case(folded)`.
#[inline]
pub(crate) fn folded_eq(h: &[u8], folded: &[u8]) -> bool {
    if h.len() != folded.len() {
        return false;
    }
    let mut hs = h.chunks_exact(8);
    let mut fs = folded.chunks_exact(8);
    for (a, b) in (&mut hs).zip(&mut fs) {
        let (Ok(a), Ok(b)) = (<[u8; 8]>::try_from(a), <[u8; 8]>::try_from(b)) else {
            return false;
        };
        if lower8(u64::from_le_bytes(a)) != u64::from_le_bytes(b) {
            return false;
        }
    }
    // The bytes left over, as one word read the same way from both (lengths are equal, so the
    // same positions): every byte of each side lands in it.
    hs.remainder().is_empty() || lower8(tail_word(h)) == tail_word(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn near(s: &[u8], flips: &[(usize, u8)]) -> Vec<u8> {
        let mut v = s.to_vec();
        for &(at, c) in flips {
            if !v.is_empty() {
                let n = v.len();
                v[at % n] = c;
            }
        }
        v
    }

    proptest! {
        #[test]
        fn folded_equality_is_eq_ignore_ascii_case(
            s in proptest::collection::vec(any::<u8>(), 0..40),
            flips in proptest::collection::vec((any::<usize>(), prop_oneof![any::<u8>(), Just(b'a'), Just(b'A'), Just(0x80u8 | b'a')]), 0..3),
            upper in any::<bool>(),
        ) {
            let folded = s.to_ascii_lowercase();
            let mut h = near(&s, &flips);
            if upper {
                h.make_ascii_uppercase();
            }
            prop_assert_eq!(folded_eq(&h, &folded), h.eq_ignore_ascii_case(&folded));
        }

        #[test]
        fn lowering_a_word_is_lowering_its_bytes(w in any::<[u8; 8]>()) {
            let mut want = w;
            want.make_ascii_lowercase();
            prop_assert_eq!(lower8(u64::from_le_bytes(w)).to_le_bytes(), want);
        }
    }

    #[test]
    fn every_length_and_position() {
        for n in 0..=24 {
            let s: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            let up = s.to_ascii_uppercase();
            assert!(folded_eq(&up, &s), "{n}");
            for at in 0..n {
                let mut d = up.clone();
                d[at] = b'#';
                assert!(!folded_eq(&d, &s), "{n} {at}");
                // A byte that differs from the letter only in its high bit is another byte.
                d[at] = s[at] ^ 0x80;
                assert!(!folded_eq(&d, &s), "{n} {at}");
            }
        }
    }
}

//! Which records of a segment involve an entity: ascending record indexes, delta-encoded as
//! LEB128 varints (most gaps fit one byte).

pub(crate) fn encode(ordinals: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ordinals.len() + 4);
    let mut prev = 0u32;
    for (i, &o) in ordinals.iter().enumerate() {
        let mut gap = if i == 0 { o } else { o.wrapping_sub(prev) };
        prev = o;
        loop {
            let byte = (gap & 0x7f) as u8;
            gap >>= 7;
            if gap == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// `None` for a truncated or overlong varint, or indexes that overflow.
pub(crate) fn decode(bytes: &[u8]) -> Option<Vec<u32>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut value = 0u32;
    let mut shift = 0u32;
    let mut prev: Option<u32> = None;
    for &b in bytes {
        if shift > 28 {
            return None;
        }
        value |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            let o = match prev {
                None => value,
                Some(p) => p.checked_add(value)?,
            };
            out.push(o);
            prev = Some(o);
            value = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn postings_round_trip(mut v in proptest::collection::vec(any::<u32>(), 0..200)) {
            v.sort_unstable();
            v.dedup();
            prop_assert_eq!(decode(&encode(&v)), Some(v));
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&b);
        }
    }

    #[test]
    fn truncated_varints_are_refused() {
        assert_eq!(decode(&[0x80]), None);
        assert_eq!(decode(&[1, 2, 3]), Some(vec![1, 3, 6]));
    }
}

//! rpm's version comparison (`rpmvercmp`) over `[epoch:]version[-release]`.

use std::cmp::Ordering;

/// rpmvercmp: alternating runs of digits and letters, separators ignored, `~` sorts before
/// everything (even the end), `^` after the end but before anything else.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        let skip = |s: &[u8]| -> usize {
            s.iter()
                .take_while(|c| !c.is_ascii_alphanumeric() && **c != b'~' && **c != b'^')
                .count()
        };
        a = a.get(skip(a)..).unwrap_or_default();
        b = b.get(skip(b)..).unwrap_or_default();
        match (a.first(), b.first()) {
            (Some(b'~'), Some(b'~')) => {
                a = a.get(1..).unwrap_or_default();
                b = b.get(1..).unwrap_or_default();
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (Some(b'^'), Some(b'^')) => {
                a = a.get(1..).unwrap_or_default();
                b = b.get(1..).unwrap_or_default();
                continue;
            }
            (Some(b'^'), None) => return Ordering::Greater,
            (None, Some(b'^')) => return Ordering::Less,
            (Some(b'^'), _) => return Ordering::Less,
            (_, Some(b'^')) => return Ordering::Greater,
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(_)) => {
                let numeric = x.is_ascii_digit();
                let run = |s: &[u8]| -> usize {
                    s.iter()
                        .take_while(|c| {
                            if numeric {
                                c.is_ascii_digit()
                            } else {
                                c.is_ascii_alphabetic()
                            }
                        })
                        .count()
                };
                let (ra, rb) = (run(a), run(b));
                if rb == 0 {
                    // Different kinds: numbers are newer than letters.
                    return if numeric {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                }
                let (sa, sb) = (
                    a.get(..ra).unwrap_or_default(),
                    b.get(..rb).unwrap_or_default(),
                );
                let o = if numeric {
                    let ta: &[u8] = &sa[sa.iter().take_while(|c| **c == b'0').count()..];
                    let tb: &[u8] = &sb[sb.iter().take_while(|c| **c == b'0').count()..];
                    ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
                } else {
                    sa.cmp(sb)
                };
                if o != Ordering::Equal {
                    return o;
                }
                a = a.get(ra..).unwrap_or_default();
                b = b.get(rb..).unwrap_or_default();
            }
        }
    }
}

fn split_evr(s: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match s.split_once(':') {
        Some((e, r)) if e.bytes().all(|b| b.is_ascii_digit()) => (e.parse().unwrap_or(0), r),
        _ => (0, s),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => (epoch, v, r),
        None => (epoch, rest, ""),
    }
}

/// Compares `[epoch:]version[-release]`; a missing release matches any release.
pub fn compare_evr(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = split_evr(a);
    let (eb, vb, rb) = split_evr(b);
    ea.cmp(&eb).then_with(|| rpmvercmp(va, vb)).then_with(|| {
        if ra.is_empty() || rb.is_empty() {
            Ordering::Equal
        } else {
            rpmvercmp(ra, rb)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn rpm_rules() {
        assert_eq!(rpmvercmp("1.0", "1.0"), Equal);
        assert_eq!(rpmvercmp("1.0a", "1.0"), Greater);
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Greater);
        assert_eq!(rpmvercmp("1.10", "1.9"), Greater);
        assert_eq!(rpmvercmp("2.0.1", "2.0.1a"), Less);
        assert_eq!(compare_evr("1:1.0-1.el8", "2.0-1.el8"), Greater);
        assert_eq!(compare_evr("1.0.2k-19.el7", "1.0.2k-21.el7"), Less);
    }
}

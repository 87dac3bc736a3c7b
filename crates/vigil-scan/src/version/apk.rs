//! Alpine's apk version ordering: dotted numbers, an optional letter, suffixes
//! (`_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` < `_svn` < `_git` < `_hg` < `_p`), then
//! `-rN`.

use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Parsed {
    nums: Vec<u64>,
    letter: Option<u8>,
    suffixes: Vec<(i8, u64)>,
    rev: u64,
}

fn suffix_rank(s: &str) -> i8 {
    match s {
        "alpha" => -4,
        "beta" => -3,
        "pre" => -2,
        "rc" => -1,
        "cvs" => 1,
        "svn" => 2,
        "git" => 3,
        "hg" => 4,
        "p" => 5,
        _ => 0,
    }
}

fn parse(v: &str) -> Parsed {
    let (main, rev) = match v.rsplit_once("-r") {
        Some((m, r)) if r.bytes().all(|b| b.is_ascii_digit()) && !r.is_empty() => {
            (m, r.parse().unwrap_or(0))
        }
        _ => (v, 0),
    };
    let mut parts = main.split('_');
    let head = parts.next().unwrap_or("");
    let mut nums = Vec::new();
    let mut letter = None;
    for seg in head.split('.') {
        let digits: String = seg.chars().take_while(char::is_ascii_digit).collect();
        nums.push(digits.parse().unwrap_or(0));
        if let Some(c) = seg.bytes().find(u8::is_ascii_alphabetic) {
            letter = Some(c);
        }
    }
    let suffixes = parts
        .map(|s| {
            let name: String = s.chars().take_while(char::is_ascii_alphabetic).collect();
            let n: String = s.chars().skip_while(char::is_ascii_alphabetic).collect();
            (suffix_rank(&name), n.parse().unwrap_or(0))
        })
        .collect();
    Parsed {
        nums,
        letter,
        suffixes,
        rev,
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (parse(a), parse(b));
    // Numbers compare part by part; a longer list wins when the common parts are equal.
    for (x, y) in pa.nums.iter().zip(pb.nums.iter()) {
        if x != y {
            return x.cmp(y);
        }
    }
    pa.nums
        .len()
        .cmp(&pb.nums.len())
        .then_with(|| pa.letter.cmp(&pb.letter))
        .then_with(|| {
            // A missing suffix is rank 0 ("release").
            let n = pa.suffixes.len().max(pb.suffixes.len());
            for i in 0..n {
                let x = pa.suffixes.get(i).copied().unwrap_or((0, 0));
                let y = pb.suffixes.get(i).copied().unwrap_or((0, 0));
                if x != y {
                    return x.cmp(&y);
                }
            }
            Ordering::Equal
        })
        .then_with(|| pa.rev.cmp(&pb.rev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn apk_rules() {
        assert_eq!(compare("1.1.1d-r0", "1.1.1d-r2"), Less);
        assert_eq!(compare("1.1.1c-r0", "1.1.1d-r0"), Less);
        assert_eq!(compare("1.1.20-r4", "1.1.20-r5"), Less);
        assert_eq!(compare("2.0_rc1-r0", "2.0-r0"), Less);
        assert_eq!(compare("2.0_p1-r0", "2.0-r0"), Greater);
        assert_eq!(compare("1.10-r0", "1.9-r9"), Greater);
        assert_eq!(compare("2.35.2-r0", "2.35.2-r0"), Equal);
    }
}

//! Identifier generators in the shapes AWS and Docker use, all drawn from the seeded RNG.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

const HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Access key ids use base32 (`A–Z`, `2–7`) after the four-letter prefix.
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub type DemoRng = ChaCha8Rng;

fn from_alphabet(rng: &mut DemoRng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| {
            let i = rng.random_range(0..alphabet.len());
            char::from(alphabet.get(i).copied().unwrap_or(b'0'))
        })
        .collect()
}

pub fn hex(rng: &mut DemoRng, n: usize) -> String {
    from_alphabet(rng, HEX, n)
}

pub fn alnum(rng: &mut DemoRng, n: usize) -> String {
    from_alphabet(rng, ALNUM, n)
}

/// A random UUID v4 (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`).
pub fn uuid4(rng: &mut DemoRng) -> String {
    let variant = char::from(b"89ab"[rng.random_range(0..4usize)]);
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 3),
        hex(rng, 3),
        hex(rng, 12)
    )
}

/// An access key id: `AKIA…` (long-lived) or `ASIA…` (session), 20 characters.
pub fn access_key_id(rng: &mut DemoRng, prefix: &str) -> String {
    format!("{prefix}{}", from_alphabet(rng, BASE32, 16))
}

/// A unique id (`AIDA…` user, `AROA…` role, `AGPA…` group, `ANPA…` policy, `AIPA…` profile).
pub fn unique_id(rng: &mut DemoRng, prefix: &str) -> String {
    format!("{prefix}{}", from_alphabet(rng, UPPER_ALNUM, 17))
}

/// A 40-character secret access key.
pub fn secret_access_key(rng: &mut DemoRng) -> String {
    from_alphabet(rng, SECRET, 40)
}

/// A placeholder STS session token (real ones are ~800 characters; nobody needs all of them).
pub fn session_token(rng: &mut DemoRng) -> String {
    format!("IQoJb3JpZ2luX2VjE{}", from_alphabet(rng, SECRET, 64))
}

/// A 12-digit account id that does not start with 0.
pub fn account_id(rng: &mut DemoRng) -> String {
    let first = rng.random_range(1..10u32);
    let rest: u64 = rng.random_range(0..100_000_000_000u64);
    format!("{first}{rest:011}")
}

/// `i-0` followed by 16 hex digits.
pub fn instance_id(rng: &mut DemoRng) -> String {
    format!("i-0{}", hex(rng, 16))
}

/// `vpc-0…`, `subnet-0…`, `sg-0…`: a resource id with a 17-digit hex suffix.
pub fn resource_id(rng: &mut DemoRng, prefix: &str) -> String {
    format!("{prefix}-0{}", hex(rng, 16))
}

/// A Docker container id: 64 hex digits.
pub fn container_id(rng: &mut DemoRng) -> String {
    hex(rng, 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shapes() {
        let mut rng = DemoRng::seed_from_u64(1);
        let u = uuid4(&mut rng);
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        let k = access_key_id(&mut rng, "AKIA");
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA"));
        assert_eq!(secret_access_key(&mut rng).len(), 40);
        let a = account_id(&mut rng);
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(instance_id(&mut rng).len(), 19);
        assert_eq!(container_id(&mut rng).len(), 64);
    }
}

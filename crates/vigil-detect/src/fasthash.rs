//! Stable 64-bit hashes for baseline values and a pass-through hasher for maps keyed by them.
//! Stable across runs and machines (xxh3 with no seed), because the hashes are persisted.

use std::hash::{BuildHasherDefault, Hasher};

/// The stable hash of a value in one baseline dimension.
pub fn value_hash(dimension: u8, value: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(value.as_bytes(), u64::from(dimension))
}

/// The stable hash of an API call: service and action joined without allocating.
pub fn api_hash(service: &str, action: &str) -> u64 {
    let s = xxhash_rust::xxh3::xxh3_64(service.as_bytes());
    xxhash_rust::xxh3::xxh3_64_with_seed(action.as_bytes(), s)
}

/// A hasher for keys that already are good 64-bit hashes; strings go through xxh3.
#[derive(Default, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
    fn write_u8(&mut self, n: u8) {
        self.0 = self.0.rotate_left(8) ^ u64::from(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = self.0.rotate_left(7) ^ n as u64;
    }
}

pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<PassThrough>>;
pub type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<PassThrough>>;

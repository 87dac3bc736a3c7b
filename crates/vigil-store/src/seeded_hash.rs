//! A hasher for the maps built per insert batch, whose keys (entity names) come from the input:
//! xxh3 in one shot with a random seed per map, so input cannot choose its buckets.
//!
//! Why not `xxh3::Xxh3Builder`: its streaming state is over 500 bytes, set up and copied per
//! key, which the ingest bench showed costing more than the map work itself for short keys.

use std::hash::{BuildHasher, Hasher};

#[derive(Clone, Copy)]
pub(crate) struct SeededHash {
    seed: u64,
}

impl Default for SeededHash {
    fn default() -> Self {
        SeededHash {
            seed: std::collections::hash_map::RandomState::new().hash_one(0u8),
        }
    }
}

impl std::fmt::Debug for SeededHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeededHash")
    }
}

impl BuildHasher for SeededHash {
    type Hasher = OneShot;

    fn build_hasher(&self) -> OneShot {
        OneShot { state: self.seed }
    }
}

pub(crate) struct OneShot {
    state: u64,
}

impl Hasher for OneShot {
    fn write(&mut self, bytes: &[u8]) {
        self.state = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.state);
    }

    /// `str` hashes as its bytes then `0xff`; mixing that in needs no second hash.
    fn write_u8(&mut self, byte: u8) {
        self.state = self.state.rotate_left(8) ^ u64::from(byte);
    }

    fn finish(&self) -> u64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_seeds_differ() {
        let a = SeededHash::default();
        assert_eq!(a.hash_one("key:AKIA1"), a.hash_one("key:AKIA1"));
        assert_ne!(a.hash_one("key:AKIA1"), a.hash_one("key:AKIA2"));
        assert_ne!(a.hash_one("ab"), a.hash_one("a"));
        let b = SeededHash::default();
        assert_ne!(a.hash_one("key:AKIA1"), b.hash_one("key:AKIA1"));
    }
}

//! Partitioning: which shard holds a key.

use serde::Deserialize;

use crate::keys::mix;

/// Separates the shard hash from the other uses of [`mix`].
const SHARD_SALT: u64 = 0x7368_6172_6473_616c;

/// How keys are split over shards, as written in `by:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partitioning {
    /// By a hash of the key: shards get even shares of keys, hot or not.
    Hash,
    /// By contiguous ranges of the key space: neighbours share a shard, so the
    /// most popular keys (the lowest ranks) all land on the first shard.
    Range,
}

/// Returns the shard of `key` among `shards`, for a key space of `key_count`
/// keys. O(1).
pub fn shard_of(key: u32, shards: u32, by: Partitioning, key_count: u32) -> u32 {
    if shards <= 1 {
        return 0;
    }
    let shards64 = u64::from(shards);
    match by {
        Partitioning::Hash => (mix(u64::from(key) ^ SHARD_SALT) % shards64) as u32,
        Partitioning::Range => {
            let count = u64::from(key_count.max(1));
            ((u64::from(key) * shards64 / count).min(shards64 - 1)) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_contiguous_and_hashes_are_even() {
        let range: Vec<u32> = (0..10)
            .map(|k| shard_of(k, 4, Partitioning::Range, 10))
            .collect();
        assert_eq!(range, [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]);
        let mut counts = [0u32; 4];
        for key in 0..100_000 {
            counts[shard_of(key, 4, Partitioning::Hash, 100_000) as usize] += 1;
        }
        // Each share is binomial(100000, 1/4): sd 137, allow 5 sd.
        assert!(counts
            .iter()
            .all(|&c| (f64::from(c) - 25_000.0).abs() < 685.0));
        assert_eq!(shard_of(12345, 1, Partitioning::Hash, 100), 0);
    }
}

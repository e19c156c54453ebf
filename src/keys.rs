//! Keys of the data tier: the key space requests draw from, the popularity
//! law over it, and the hashing that caches and databases share.
//!
//! Keys are numbered by popularity rank: key 0 is the most popular under a
//! Zipf law. A range partition therefore puts the hottest keys together (like
//! sequential ids or recent timestamps), while a hash partition scatters them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rand::RngExt;
use rand_distr::{Distribution, Zipf};
use serde::Deserialize;

use crate::engine::SimRng;

/// The keys requests are about, as written in `traffic.keys`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeySpace {
    /// Number of distinct keys (keys are `0..count`).
    pub count: u32,
    /// How often each key is asked for.
    pub popularity: Popularity,
}

/// The popularity law over the key space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Popularity {
    /// Every key equally likely.
    Uniform,
    /// Key of rank `i` (1-based) with probability proportional to `i^-s`.
    Zipf {
        /// The skew exponent (positive; 0 would be uniform).
        s: f64,
    },
}

/// The name of a popularity law, as written in `popularity:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopularityName {
    /// `uniform`
    Uniform,
    /// `zipf`
    Zipf,
}

/// Draws keys from a key space in O(1) per draw and O(1) memory.
///
/// The Zipf law uses rejection-inversion (an exact sampler whose expected
/// number of rounds is bounded whatever the key count), so a key space of a
/// billion keys costs no table and no setup.
#[derive(Clone, Debug)]
pub struct KeySampler {
    count: u32,
    zipf: Option<Zipf<f64>>,
}

impl KeySampler {
    /// Prepares draws from `space`; a Zipf law with an invalid exponent falls
    /// back to uniform (validation refuses it before this point).
    pub fn new(space: &KeySpace) -> Self {
        let count = space.count.max(1);
        let zipf = match space.popularity {
            Popularity::Uniform => None,
            Popularity::Zipf { s } => Zipf::new(f64::from(count), s).ok(),
        };
        Self { count, zipf }
    }

    /// Draws one key in `0..count`.
    #[inline]
    pub fn draw(&self, rng: &mut SimRng) -> u32 {
        match &self.zipf {
            None => rng.random_range(0..self.count),
            Some(law) => {
                // The sampler returns a rank in 1..=count as a float.
                let rank = law.sample(rng) as u64;
                (rank.clamp(1, u64::from(self.count)) - 1) as u32
            }
        }
    }
}

/// Returns the probability of every key (by rank) under `space`'s law.
///
/// This is O(count): for theory and tests, never for the simulation itself.
pub fn probabilities(space: &KeySpace) -> Vec<f64> {
    let n = space.count.max(1) as usize;
    match space.popularity {
        Popularity::Uniform => vec![1.0 / n as f64; n],
        Popularity::Zipf { s } => {
            let weights: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-s)).collect();
            let total: f64 = weights.iter().sum();
            weights.into_iter().map(|w| w / total).collect()
        }
    }
}

/// Scrambles a 64-bit value (the splitmix64 finaliser): every output bit
/// depends on every input bit, so consecutive keys land far apart.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hasher for integer keys: one multiply-and-mix, far cheaper than SipHash.
///
/// The maps that use it are only looked up, never iterated, so their order
/// cannot leak into results and the weaker hash cannot break determinism.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        mix(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map from keys, with the cheap [`KeyHasher`].
pub type KeyMap<V> = HashMap<u32, V, BuildHasherDefault<KeyHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream_rng;

    #[test]
    fn zipf_draws_follow_the_law() {
        let space = KeySpace {
            count: 1000,
            popularity: Popularity::Zipf { s: 0.9 },
        };
        let sampler = KeySampler::new(&space);
        let p = probabilities(&space);
        let mut rng = stream_rng(1, 0, &["keys-test"]);
        let n = 1_000_000;
        let mut counts = vec![0u64; 1000];
        for _ in 0..n {
            counts[sampler.draw(&mut rng) as usize] += 1;
        }
        // Ranks 1, 2, 10, 100 and the tail beyond 500: binomial counts within 5 sd.
        for rank in [0usize, 1, 9, 99] {
            let expected = p[rank] * n as f64;
            let sd = (expected * (1.0 - p[rank])).sqrt();
            let got = counts[rank] as f64;
            assert!(
                (got - expected).abs() < 5.0 * sd,
                "rank {rank}: {got} vs {expected}"
            );
        }
        let tail_p: f64 = p[500..].iter().sum();
        let tail: u64 = counts[500..].iter().sum();
        let expected = tail_p * n as f64;
        let sd = (expected * (1.0 - tail_p)).sqrt();
        assert!(
            (tail as f64 - expected).abs() < 5.0 * sd,
            "tail {tail} vs {expected}"
        );
        // A chi-squared test over all 1000 keys: mean 999, sd about 45.
        let chi2: f64 = counts
            .iter()
            .zip(&p)
            .map(|(&c, &pi)| {
                let e = pi * n as f64;
                (c as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi2 < 999.0 + 5.0 * 44.7, "chi-squared {chi2}");
    }

    #[test]
    fn uniform_draws_cover_the_space_evenly() {
        let space = KeySpace {
            count: 10,
            popularity: Popularity::Uniform,
        };
        let sampler = KeySampler::new(&space);
        let mut rng = stream_rng(2, 0, &["keys-test"]);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[sampler.draw(&mut rng) as usize] += 1;
        }
        // Each count is binomial(100000, 0.1): sd 95, allow 5 sd.
        assert!(counts
            .iter()
            .all(|&c| (f64::from(c) - 10_000.0).abs() < 475.0));
    }

    #[test]
    fn a_huge_zipf_space_needs_no_table() {
        let space = KeySpace {
            count: u32::MAX,
            popularity: Popularity::Zipf { s: 1.2 },
        };
        let sampler = KeySampler::new(&space);
        let mut rng = stream_rng(3, 0, &["keys-test"]);
        let hits_on_top = (0..100_000).filter(|_| sampler.draw(&mut rng) == 0).count();
        // P(rank 1) = 1 / zeta(1.2) = 0.1789 for an unbounded space.
        assert!(
            (hits_on_top as f64 / 1e5 - 0.1789).abs() < 0.006,
            "{hits_on_top}"
        );
    }

    #[test]
    fn the_key_map_finds_what_it_stored() {
        let mut map: KeyMap<u32> = KeyMap::default();
        for k in 0..10_000u32 {
            map.insert(k.wrapping_mul(7919), k);
        }
        assert!((0..10_000u32).all(|k| map.get(&k.wrapping_mul(7919)) == Some(&k)));
    }
}

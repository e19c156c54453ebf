//! Seeded random streams, one per component and purpose.
//!
//! A stream's seed is a hash of the scenario seed, the replication number and
//! the stream's labels (for example `["web", "service"]`). Adding a component
//! therefore never shifts the draws of another, which is what lets `compare`
//! feed the same arrivals to different architectures (common random numbers).

use rand::SeedableRng;
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};

/// The generator used for every stream: portable and fast.
pub type SimRng = Xoshiro256PlusPlus;

/// The generator of the few draws that belong to one request (its work at a
/// station, the lag of its write at a replica).
///
/// Every request carries a random seed, and each station draws from the
/// request's seed mixed with its own salt, so that compared architectures give
/// the same request the same work (common random numbers). Such a stream is
/// created per request and used for one or two draws: SplitMix64 starts from
/// its seed at no cost, where Xoshiro256++ would first run four rounds of
/// SplitMix64 to fill its state, and its output passes the same statistical
/// test batteries.
pub type RequestRng = SplitMix64;

/// Returns the generator of one request's draws at one place (`seed`: the
/// request's seed mixed with the place's salt).
#[inline]
pub fn request_rng(seed: u64) -> RequestRng {
    RequestRng::seed_from_u64(seed)
}

/// Returns the 64-bit seed of the stream named by `labels`.
pub fn stream_seed(seed: u64, replication: u64, labels: &[&str]) -> u64 {
    let mut h = splitmix(seed ^ 0x5ca1_e51d_0000_0000);
    h = splitmix(h ^ replication.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    for label in labels {
        h = splitmix(h ^ fnv1a(label.as_bytes()));
    }
    h
}

/// Returns a generator for the stream named by `labels`.
pub fn stream_rng(seed: u64, replication: u64, labels: &[&str]) -> SimRng {
    SimRng::seed_from_u64(stream_seed(seed, replication, labels))
}

/// Returns the 64-bit FNV-1a hash of `bytes`: the same on every platform, in
/// every process and in every version of Rust (unlike the standard hasher).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_label_seed_and_replication() {
        let base = stream_seed(42, 0, &["web", "service"]);
        assert_eq!(base, stream_seed(42, 0, &["web", "service"]));
        assert_ne!(base, stream_seed(42, 0, &["web", "arrivals"]));
        assert_ne!(base, stream_seed(43, 0, &["web", "service"]));
        assert_ne!(base, stream_seed(42, 1, &["web", "service"]));
        assert_ne!(
            stream_seed(1, 0, &["ab", "c"]),
            stream_seed(1, 0, &["a", "bc"])
        );
    }
}

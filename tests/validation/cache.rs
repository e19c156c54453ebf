//! Caches under independent Zipf requests: LRU against Che's approximation
//! (settled, or warm from the first request), FIFO and random eviction
//! against the characteristic-time approximation,
//! and a cache that holds every key against the count of distinct keys.

use scalesim::keys::{probabilities, KeySpace, Popularity};
use scalesim::metrics::RunSummary;

use crate::support::{assert_matches, interval, replicate};
use crate::theory::{che_lru_hit_ratio, expected_distinct, fifo_hit_ratio};

/// Keys in every test: large enough for the approximations to be sharp.
const KEYS: u32 = 10_000;

/// A cache in front of a database that answers at once, with no network:
/// a miss is filled before the next request arrives, so the cache sees the
/// independent reference model exactly.
fn cache(s: f64, capacity: u32, eviction: &str) -> String {
    format!(
        "name: cache {eviction} s={s} C={capacity}
seed: 31
duration: 12s
warmup: 2s
traffic:
  rate: 100000/s
  keys: {{count: {KEYS}, popularity: zipf, s: {s}}}
entry: cache
network: {{latency: 0ms}}
components:
  cache: {{kind: cache, capacity: {capacity}, eviction: {eviction}, hit_time: 0ms, backend: db}}
  db: {{kind: database, work: 0ms}}
"
    )
}

/// Returns the cache's figure `name`.
fn figure(run: &RunSummary, name: &str) -> f64 {
    run.figure(&format!("components.cache.{name}"))
        .unwrap_or_else(|| panic!("no components.cache.{name}"))
}

/// Asserts that the simulated hit ratio is within `tolerance` (absolute) of
/// an approximation, with an interval narrow enough to tell.
fn assert_close(what: &str, runs: &[RunSummary], approximation: f64, tolerance: f64) {
    let ci = interval(runs, |r| figure(r, "hit_ratio"));
    eprintln!(
        "{what}: simulated {:.4} ± {:.4} (99.9%), approximation {approximation:.4}",
        ci.mean, ci.half_width
    );
    assert!(
        ci.half_width < tolerance / 4.0,
        "{what}: interval half-width {} is too wide to compare",
        ci.half_width
    );
    assert!(
        (ci.mean - approximation).abs() < tolerance,
        "{what}: simulated {} is more than {tolerance} from {approximation}",
        ci.mean
    );
}

fn zipf(s: f64) -> Vec<f64> {
    probabilities(&KeySpace {
        count: KEYS,
        popularity: Popularity::Zipf { s },
    })
}

#[test]
fn lru_hit_ratio_matches_che_for_two_skews_and_two_sizes() {
    for s in [0.8, 1.2] {
        let p = zipf(s);
        for capacity in [100, 1000] {
            let runs = replicate(&cache(s, capacity, "lru"), 5);
            let che = che_lru_hit_ratio(&p, f64::from(capacity));
            assert_close(
                &format!("LRU hit ratio, Zipf s={s}, capacity {capacity} (Che)"),
                &runs,
                che,
                0.02,
            );
        }
    }
}

#[test]
fn a_warm_lru_cache_is_at_its_steady_state_from_the_first_request() {
    // 20,000 requests from time zero, without a warm-up.
    let (s, capacity) = (0.8, 1000);
    let p = zipf(s);
    let che = che_lru_hit_ratio(&p, f64::from(capacity));
    let warm = cache(s, capacity, "lru")
        .replace("hit_time: 0ms", "hit_time: 0ms, warm_start: true")
        .replace("warmup: 2s", "warmup: 0s")
        .replace("duration: 12s", "duration: 200ms");
    // A node filled with the most popular keys would answer this share,
    // which the tolerance below tells apart from LRU's: the check can fail.
    let best: f64 = p[..capacity as usize].iter().sum();
    assert!(best > che + 0.1, "{best} against {che}");
    assert_close(
        &format!("warm LRU hit ratio from time zero, Zipf s={s}, capacity {capacity} (Che)"),
        &replicate(&warm, 20),
        che,
        0.02,
    );
}

#[test]
fn fifo_and_random_hit_ratios_match_the_characteristic_time_approximation() {
    let s = 0.8;
    let p = zipf(s);
    let approximation = fifo_hit_ratio(&p, 500.0);
    for eviction in ["fifo", "random"] {
        let runs = replicate(&cache(s, 500, eviction), 5);
        assert_close(
            &format!("{eviction} hit ratio, Zipf s={s}, capacity 500"),
            &runs,
            approximation,
            0.02,
        );
    }
}

#[test]
fn a_cache_larger_than_the_key_space_misses_once_per_distinct_key() {
    // Evenly spaced arrivals make the number of requests the same in every
    // replication; from time zero every distinct key misses exactly once.
    let s = 0.9;
    let yaml = cache(s, 2 * KEYS, "lru")
        .replace("rate: 100000/s", "rate: 5000/s\n  arrivals: constant")
        .replace("warmup: 2s", "warmup: 0s")
        .replace("duration: 12s", "duration: 10s");
    let runs = replicate(&yaml, 10);
    let requests = runs[0].requests.offered as f64;
    assert!(runs.iter().all(|r| r.requests.offered as f64 == requests));
    let distinct = expected_distinct(&zipf(s), requests);
    assert_matches(
        "ideal cache hit ratio (1 - distinct / requests)",
        &runs,
        |r| figure(r, "hit_ratio"),
        1.0 - distinct / requests,
        0.002,
    );
}

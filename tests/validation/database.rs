//! Databases: uniform keys over hash shards are independent M/M/1 queues.

use scalesim::parts::kinds::database::{shard_of, Partitioning};

use crate::support::{assert_matches, replicate};

#[test]
fn uniform_keys_over_hash_shards_are_independent_mm1_queues() {
    // Four one-core shards at 2800/s: each key's shard is fixed by its hash,
    // and uniform keys make each shard's arrivals Poisson at lambda times its
    // share of the keys (1/4 up to the hash's rounding, computed exactly).
    let (shards, keys, lambda, mu) = (4u32, 1_000_000u32, 2800.0, 1000.0);
    let yaml = format!(
        "name: hash shards
seed: 23
duration: 100s
warmup: 5s
traffic:
  rate: {lambda}/s
  keys: {{count: {keys}, popularity: uniform}}
entry: db
components:
  db: {{kind: database, cores: 1, work: 1ms, service: exponential, shards: {shards}, by: hash}}
"
    );
    let mut share = vec![0.0; shards as usize];
    for key in 0..keys {
        share[shard_of(key, shards, Partitioning::Hash, keys) as usize] += 1.0 / f64::from(keys);
    }
    let runs = replicate(&yaml, 10);
    // A request lands on shard i with probability share_i and then spends an
    // M/M/1 sojourn of mean 1 / (mu - lambda share_i) there.
    let w_ms: f64 = share.iter().map(|s| s * 1000.0 / (mu - lambda * s)).sum();
    assert_matches(
        "hash shards mean response (ms)",
        &runs,
        |r| r.latency_ms.mean,
        w_ms,
        0.04,
    );
    for (i, s) in share.iter().enumerate() {
        let name = format!("components.db.shard_{i}_utilization");
        assert_matches(
            &format!("shard {i} utilisation"),
            &runs,
            |r| r.figure(&name).unwrap(),
            lambda * s / mu,
            0.02,
        );
    }
    assert_matches(
        "hash shards P(wait)",
        &runs,
        |r| r.wait_ms.p_wait,
        share.iter().map(|s| s * lambda * s / mu).sum(),
        0.02,
    );
}
